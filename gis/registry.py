"""The registry of documents: ``registry.json`` beside them (title, date, kind, sha256).

A registry is a JSON object ``{"documents": [{"file": ..., "title": ...,
"date": "2023-01-04", "kind": "work_report", "sha256": ...}, ...]}``. Dates
may be given to the day, the month (``"2024-01"``) or the year (``"2024"``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from gis._errors import RegistryError
from gis.documents import KINDS

__all__ = ["RegistryEntry", "load_registry", "parse_date", "registry_paths"]

log = logging.getLogger(__name__)

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_date(value: str) -> dt.date:
    """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (missing parts become 1).

    Raises
    ------
    ValueError
        When the text is no such date.
    """
    match = _DATE_RE.match(value.strip())
    if not match:
        raise ValueError(f"date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else 1 for g in match.groups())
    return dt.date(year, month, day)


@dataclass(frozen=True)
class RegistryEntry:
    """What the registry says of one document."""

    file: str
    title: str = ""
    date: dt.date | None = None
    kind: str = "other"
    sha256: str = ""


def registry_paths(document: Path) -> list[Path]:
    """The registries that speak for a document: the bundled seeds' one, then one beside it.

    Later registries override earlier ones; each file appears once, and only if it exists.
    """
    from gis import settings

    candidates = [Path(settings.seeds_folder) / "registry.json", document.parent / "registry.json"]
    found: list[Path] = []
    for path in candidates:
        if path.exists() and all(path.resolve() != f.resolve() for f in found):
            found.append(path)
    return found


def load_registry(path: Path) -> dict[str, RegistryEntry]:
    """Read a registry file; entries keyed by file name and by sha256.

    Parameters
    ----------
    path : Path
        The ``registry.json`` file.

    Returns
    -------
    dict
        ``{file name: entry, sha256: entry}``; empty when the file does not exist.

    Raises
    ------
    RegistryError
        When the file is not valid JSON or an entry is malformed; the message
        lists every problem found.
    """
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegistryError(
            f"registry {str(path)!r} is not valid UTF-8 JSON ({exc}); fix or delete it"
        ) from exc
    docs = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(docs, list):
        raise RegistryError(
            f"registry {str(path)!r} must be an object with a list 'documents'; "
            f"found {type(data).__name__}"
        )
    problems: list[str] = []
    entries: dict[str, RegistryEntry] = {}
    for i, item in enumerate(docs):
        if not isinstance(item, dict) or not isinstance(item.get("file"), str):
            problems.append(f"entry {i}: needs a string 'file', got {item!r:.80}")
            continue
        date = None
        if item.get("date"):
            try:
                date = parse_date(str(item["date"]))
            except ValueError as exc:
                problems.append(f"entry {i} ({item['file']!r}): {exc}")
        kind = item.get("kind", "other")
        if kind not in KINDS:
            problems.append(f"entry {i} ({item['file']!r}): kind {kind!r} is not one of {KINDS}")
        entry = RegistryEntry(
            file=item["file"],
            title=str(item.get("title", "")),
            date=date,
            kind=kind if kind in KINDS else "other",
            sha256=str(item.get("sha256", "")).lower(),
        )
        entries[entry.file] = entry
        if entry.sha256:
            entries[entry.sha256] = entry
    if problems:
        raise RegistryError(f"registry {str(path)!r} has problems:\n  " + "\n  ".join(problems))
    log.debug("registry %s: %d documents", path, len(docs))
    return entries
