"""The gazetteer's names without its geometry: what recognition needs, without pandas.

``geocode.gazetteer.name_index`` maps every name and alias of a loaded gazetteer
(a GeoDataFrame) to its row. Recognising names in a document needs only that
map, not the geometry, so ``read_name_index`` makes the same map from the CSV
with the standard library: an extraction worker then never imports pandas and
geopandas, parses no WKT, and starts extracting a third of a second sooner
(the changed document of a warm rebuild is extracted on the build's longest
path). Both build the map with ``index_names``; ``tests/test_gazetteer.py``
checks they agree on the bundled gazetteer.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass

from gis._errors import GazetteerError

__all__ = ["NAME_COLUMNS", "GazetteerName", "as_bool", "index_names", "read_name_index"]

#: The columns a name index is made of, in the order ``index_names`` takes them.
NAME_COLUMNS: tuple[str, ...] = ("id", "name", "aliases", "type", "in_changning")


@dataclass(frozen=True)
class GazetteerName:
    """What a name or alias of the gazetteer stands for.

    Attributes
    ----------
    name : str
        Canonical name of the row.
    type : str
        One of ``geocode.model.TYPES``.
    in_changning : bool
        Whether the place lies in Changning.
    id : str
        Gazetteer row id.
    """

    name: str
    type: str
    in_changning: bool
    id: str


def as_bool(value: object) -> bool:
    """A gazetteer's truth value: ``True`` for true/1/yes/y/t in any case, else ``False``."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"true", "1", "yes", "y", "t"}


def index_names(rows: Iterable[tuple[str, str, object, str, object]]) -> dict[str, GazetteerName]:
    """Map every name and alias of gazetteer rows to its row.

    Parameters
    ----------
    rows : iterable of tuple
        ``(id, name, aliases, type, in_changning)`` per row, in file order;
        ``aliases`` ``|``-joined (empty or missing for none).

    Returns
    -------
    dict of str to GazetteerName
        Canonical names win over aliases; when two rows share a name, the one in
        Changning wins, then the first row.
    """
    index: dict[str, GazetteerName] = {}
    alias_of: dict[str, GazetteerName] = {}
    for id_, name, aliases, type_, inside in rows:
        entry = GazetteerName(name, type_, as_bool(inside), id_)
        old = index.get(name)
        if old is None or (entry.in_changning and not old.in_changning):
            index[name] = entry
        for alias in str(aliases or "").split("|"):
            alias = alias.strip()
            if alias and alias not in alias_of:
                alias_of[alias] = entry
    for alias, entry in alias_of.items():
        index.setdefault(alias, entry)
    return index


def read_name_index(path: str | os.PathLike[str]) -> dict[str, GazetteerName]:
    """The name index of a gazetteer CSV (``geocode.gazetteer``'s format), read without pandas.

    Parameters
    ----------
    path : path-like
        The gazetteer CSV (UTF-8, a header row).

    Returns
    -------
    dict of str to GazetteerName
        As ``geocode.gazetteer.name_index(load_gazetteer(path))`` gives it.

    Raises
    ------
    GazetteerError
        When the file is missing, not UTF-8 CSV, or lacks a column of ``NAME_COLUMNS``.
    """
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            missing = [c for c in NAME_COLUMNS if c not in header]
            if missing:
                raise GazetteerError(f"gazetteer {str(path)!r} lacks columns {missing!r}")
            at = [header.index(c) for c in NAME_COLUMNS]
            width = max(at) + 1
            rows = [tuple(row[i] for i in at) for row in reader
                    if row and len(row) >= width]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GazetteerError(f"cannot read the gazetteer {str(path)!r}: {exc}") from exc
    return index_names(rows)
