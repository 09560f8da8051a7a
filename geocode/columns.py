"""Mentions by column: every mention of a build as integer arrays.

A large archive has hundreds of thousands of mentions. Making a ``Mention``
object for each, and touching each object again for the timeline, the
grouping and the summaries, is what a warm rebuild spent its time on. The
extraction results (and the cache entries) already hold the mentions by
column, with the values that repeat (document, entity id, status, sentence …)
stored once per document and an integer code per mention; ``MentionColumns``
keeps those columns, with one code space for the whole build. Row ``i`` is the
``i``-th mention of the build. ``MentionRows`` is a sequence of some rows that
makes their ``Mention`` objects only when it is read: most entities are never
read mention by mention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

__all__ = ["MISSING", "Coder", "MentionColumns", "MentionRows", "integer_array", "packed_key"]

#: an integer column's code for ``None`` (years and lines are positive).
MISSING = -1

#: the columns kept as codes into a list of values.
CODED = ("entity_id", "doc", "mode", "status", "status_cue", "sentence", "surface", "name",
         "type", "period", "section")
#: coded columns whose codes are equal only within a document (the same sentence in two
#: documents gets two codes), kept without an index of their values: they are compared
#: only with the document in the key, or only read.
LOCAL = ("sentence", "surface", "name", "type", "period", "section")
#: the columns kept as integers (``MISSING`` for ``None``).
INTEGER = ("line", "start", "end", "year")
#: the columns kept as booleans.
BOOLEAN = ("in_changning",)
#: the columns kept as an object per row (a list).
OBJECTS = ("locators",)


def integer_array(values: Sequence[int | None]) -> np.ndarray:
    """Integers (``None`` as ``MISSING``) as an int64 array."""
    try:
        return np.array(values, dtype=np.int64)
    except TypeError:  # a None among them
        return np.array([MISSING if v is None else v for v in values], dtype=np.int64)


class Coder:
    """Distinct values and an integer code for each (in order of first appearance).

    Parameters
    ----------
    values : sequence, optional
        Values already coded ``0 .. n-1`` (distinct).
    """

    def __init__(self, values: Sequence[Any] = ()) -> None:
        self.values: list[Any] = list(values)
        self.index: dict[Any, int] = {v: i for i, v in enumerate(self.values)}

    def codes(self, values: Sequence[Any]) -> np.ndarray:
        """The codes of ``values`` as an integer array (new values get new codes)."""
        index = self.index
        seen = len(self.values)
        # len(index) is taken before a new value is put in: the next code
        codes = [index.setdefault(v, len(index)) for v in values]
        if len(index) > seen:
            known = self.values
            for value, code in zip(values, codes, strict=True):
                if code == len(known):
                    known.append(value)
        return np.array(codes, dtype=np.int64)

    def ranks(self) -> np.ndarray:
        """Per code, its value's place in sorted order (``None`` last)."""
        order = sorted(range(len(self.values)),
                       key=lambda i: (self.values[i] is None, self.values[i] or ""))
        rank = np.empty(len(self.values), dtype=np.int64)
        rank[order] = np.arange(len(self.values))
        return rank


@dataclass
class MentionColumns:
    """The mentions of a build by column, in the order of its mention list.

    Attributes
    ----------
    codes : dict of str to ndarray or list
        Per column of ``CODED``, one code per mention into ``coders[column]``;
        per column of ``INTEGER``, the value (``MISSING`` for ``None``); per
        column of ``BOOLEAN``, the value; per column of ``OBJECTS``, a list of
        the values (lists, copied for each ``Mention`` made).
    coders : dict of str to Coder
        The values of each ``CODED`` column (distinct, except for ``LOCAL``
        columns, whose coder is not to be used for new values).
    stated : list of (int, str, list of str)
        The rows whose text states a zone or belt: (row, zone, belts), as
        ``layers.stated.stated_by_mention`` gives them.
    by_document : bool
        False when two documents joined share a name: the ``LOCAL`` codes of
        their rows are then not comparable, and the columns are not to be used.
    """

    codes: dict[str, np.ndarray] = field(default_factory=dict)
    coders: dict[str, Coder] = field(default_factory=lambda: {c: Coder() for c in CODED})
    stated: list[tuple[int, str, list[str]]] = field(default_factory=list)
    by_document: bool = True
    _arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        column = self.codes.get("line")
        return 0 if column is None else len(column)

    def part(self, columns: Mapping[str, Any], n: int,
             stated: Sequence[Sequence[Any]] = ()) -> dict[str, Any]:
        """One document's mentions from its extraction result's ``columns``, coded.

        Parameters
        ----------
        columns : mapping
            The result's columns (``gis.pipeline._result``): each column of
            ``CODED`` as ``{"values": [...], "codes": [...]}``, any other as a list
            (integer columns also as arrays).
        n : int
            How many mentions the columns hold.
        stated : sequence of (int, str, list of str)
            The result's ``stated``: (mention index, zone, belts).

        Returns
        -------
        dict of str to ndarray
            The document's part, for ``join``.

        Raises
        ------
        ValueError
            When a column does not hold ``n`` values.
        """
        part: dict[str, np.ndarray] = {}
        for name in CODED:
            column = columns[name]
            codes = np.asarray(column["codes"], dtype=np.int64)
            if name in LOCAL:  # the document's values, appended as they are
                known = self.coders[name].values
                part[name] = codes + len(known)
                known.extend(column["values"])
            else:
                part[name] = self.coders[name].codes(column["values"])[codes]
        for name in INTEGER:
            part[name] = integer_array(columns[name])
        for name in BOOLEAN:
            part[name] = np.array(columns[name], dtype=bool)
        for name in OBJECTS:  # a Python list (each value a list): copied when read
            part[name] = list(columns[name])
        if any(len(v) != n for v in part.values()):
            raise ValueError(f"mention columns do not hold {n} values each")
        part["stated"] = [(int(i), zone, list(belts)) for i, zone, belts in stated]
        return part

    def join(self, parts: Sequence[Mapping[str, Any]]) -> MentionColumns:
        """Set the columns to the documents' parts one after the other; returns itself."""
        empty = {**{c: np.empty(0, np.int64) for c in (*CODED, *INTEGER)},
                 **{c: np.empty(0, bool) for c in BOOLEAN}}
        self.codes = {
            name: np.concatenate([p[name] for p in parts]) if parts else empty[name]
            for name in (*CODED, *INTEGER, *BOOLEAN)
        }
        for name in OBJECTS:
            self.codes[name] = list(chain.from_iterable(p[name] for p in parts))
        self._arrays = {}
        sizes = np.array([len(p["line"]) for p in parts], dtype=np.int64)
        # two files of one name: their LOCAL codes cannot be told apart
        part_of = np.repeat(np.arange(len(parts)), sizes)
        pairs = np.unique(self.codes["doc"] * max(len(parts), 1) + part_of)
        docs = pairs // max(len(parts), 1)
        self.by_document = bool(len(docs) == len(np.unique(docs)))
        offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        self.stated = [(offsets[k] + i, zone, belts) for k, p in enumerate(parts)
                       for i, zone, belts in p["stated"]]
        return self

    def values(self, name: str, rows: np.ndarray) -> np.ndarray:
        """The values of column ``name`` at ``rows``, as an object array."""
        if name in INTEGER:
            column = self.codes[name][rows]
            out = column.astype(object)
            out[column == MISSING] = None
            return out
        if name in BOOLEAN:
            return self.codes[name][rows].astype(object)
        if name in OBJECTS:
            raise KeyError(f"{name!r} is kept as a list of lists, not as values to gather")
        distinct = self._arrays.get(name)
        if distinct is None or len(distinct) != len(self.coders[name].values):
            distinct = np.empty(len(self.coders[name].values), dtype=object)
            distinct[:] = self.coders[name].values
            self._arrays[name] = distinct
        return distinct[self.codes[name][rows]]

    def mentions(self, rows: np.ndarray) -> list[Any]:
        """The ``Mention`` objects of ``rows`` (new objects, equal to the ones extracted)."""
        from geocode.model import MENTION_FIELDS, Mention

        rows = np.asarray(rows, dtype=np.int64)
        fields = []
        for name in MENTION_FIELDS:
            if name in OBJECTS:  # each mention its own list, as extracted
                column = self.codes[name]
                fields.append([list(column[i]) for i in rows.tolist()])
            else:
                fields.append(self.values(name, rows).tolist())
        return list(map(Mention, *fields)) if len(rows) else []

    def rows(self, rows: np.ndarray | None = None) -> MentionRows:
        """``MentionRows`` of ``rows`` (every row when ``None``)."""
        return MentionRows(self, np.arange(len(self)) if rows is None else rows)

    def whole(self, entities: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Per row, its entity's index in ``entities``, and which entities the rows hold whole.

        An entity is held whole when its id is unique among ``entities`` and
        the columns hold exactly as many rows with that id as it has mentions:
        its mentions are then the mentions extracted with its id (only an alias
        merge re-makes mentions, and it gives its entity more mentions than
        rows under its id). A row's index is ``-1`` when its entity is not in
        ``entities`` or not whole.

        Parameters
        ----------
        entities : sequence of Entity
            The entities, each with ``id`` and ``mentions``.

        Returns
        -------
        (ndarray, ndarray)
            The rows' entity indices and, per entity, whether it is whole.
        """
        index: dict[str, int] = {}
        repeated: set[str] = set()
        for i, e in enumerate(entities):
            if e.id in index:
                repeated.add(e.id)
            index[e.id] = i
        entity_of_code = np.array(
            [-1 if v in repeated else index.get(v, -1) for v in self.coders["entity_id"].values],
            dtype=np.int64,
        )
        row_entity = entity_of_code[self.codes["entity_id"]]
        known = row_entity >= 0
        counts = np.bincount(row_entity[known], minlength=len(entities))
        sizes = np.array([len(e.mentions) for e in entities], dtype=np.int64)
        whole = (counts == sizes) & (sizes > 0)
        row_entity[known] = np.where(whole[row_entity[known]], row_entity[known], -1)
        return row_entity, whole


def packed_key(keys: Sequence[np.ndarray]) -> np.ndarray | None:
    """One int64 per row that sorts as the rows of ``keys`` do, or ``None``.

    A stable sort of one packed column is several times faster than
    ``numpy.lexsort`` of its parts.

    Parameters
    ----------
    keys : sequence of ndarray
        Non-negative integer columns of equal length, the first the most significant.

    Returns
    -------
    ndarray or None
        ``None`` when their bits do not fit in 62 or a value is negative.
    """
    out = np.zeros(len(keys[0]), dtype=np.int64) if keys else None
    bits = 0
    for key in keys:
        width = int(key.max()).bit_length() if len(key) else 0
        bits += width
        if bits > 62 or (len(key) and key.min() < 0):
            return None
        out = (out << width) | key
    return out


class MentionRows(Sequence):
    """Some rows of ``MentionColumns`` as a sequence of ``Mention`` objects.

    Its length is known at once; the objects are made the first time it is
    read (all of them, once: they are the same objects on every later read).

    Parameters
    ----------
    columns : MentionColumns
        The build's mentions by column.
    rows : ndarray
        The rows, in the sequence's order.
    """

    __slots__ = ("columns", "indices", "_items")

    def __init__(self, columns: MentionColumns, rows: np.ndarray) -> None:
        self.columns = columns
        self.indices = rows
        self._items: list[Any] | None = None

    def _list(self) -> list[Any]:
        if self._items is None:
            self._items = self.columns.mentions(self.indices)
        return self._items

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        return self._list()[index]

    def __iter__(self) -> Any:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: Sequence[Any]) -> list[Any]:
        return [*self, *other]

    def __radd__(self, other: Sequence[Any]) -> list[Any]:
        return [*other, *self]

    def __repr__(self) -> str:
        return f"MentionRows({len(self)} rows)"

