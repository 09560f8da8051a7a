"""Promises and delivery: of what the documents promised, what was delivered, where, how late.

Every rule below is applied by ``delivery_from_timeline`` and tested in
``tests/test_delivery.py``.

Reading the timeline
--------------------
- **Promise.** A timeline row in *plan* mode whose status is one of
  ``PROMISE_STATUSES`` (``推进临空12号地块建设`` → planned; ``加快建设`` →
  under_construction in a plan is still a promise). A plan-mode row that only
  *mentions* a place (``依托…``) or promises running it (``ongoing``:
  ``优化``/``运营``/``举办``) is not a promise of a project. The **first
  promise** of an entity is the one with the smallest year (then the earliest
  document, then line); it is the promise that is judged.
- **Promise year** is the row's year, which comes from the section
  (``gis.sections``): a 2023 work report's plan section is about 2023, a
  five-year plan's plan sections about its first year. A row without a year
  takes its document's year.
- **Due year.** A promise made in a section that covers a period
  (``Mention.period`` ``"2021-2025"``) is due by the period's last year (2025);
  a promise in a five-year plan whose period is unknown is due by the last
  year of the five-year period that holds its year (2021 → 2025); any other
  promise is due in its own year (an annual plan).
- **Later document.** A promise is judged only against documents *dated
  after* the promise's document (``date`` of the documents; a document
  without a date takes 1 January of the newest year its rows mention).
- **Evidence** is a row of a later document, not in plan mode (``review`` or
  ``unknown``), whose year (else its document's year) is not before the
  promise year. *Done*: status in ``DONE_STATUSES`` (completed, opened,
  renovated); *work*: status in ``WORK_STATUSES`` (started,
  under_construction). Any row of a later document, in any mode and status,
  is a **later mention**.
- **Due passed.** The archive can judge a promise due in year ``Y`` only
  when it holds a document dated after ``Y`` (a January 2024 report reviews
  2023): ``newest document year > due_year``.

Classes (``DELIVERY_CLASSES``), decided in this order
-----------------------------------------------------
1. ``delivered``: a later document reports it done (``done_year`` = year of
   the first done row; ``lag_years`` = done_year − promise_year;
   ``late_years`` = done_year − due_year, negative when early).
2. ``in_progress``: a later document reports work, none reports it done.
3. ``not_yet_due``: neither, and the archive cannot judge it yet: no
   document is dated after the promise's document (promised in the newest
   document), or the due year is not over in the newest document. A
   2021-2025 promise in an archive whose newest document is dated 2024 is
   ``not_yet_due`` unless work or completion was reported (then 2. or 1.).
4. ``no_later_report``: due, and no later document mentions it at all.
5. ``mentioned_later``: due, later documents mention it (often promising it
   again) but report neither work nor completion. The issue named four
   classes; this fifth one keeps "no later document mentions it" literally
   true of ``no_later_report``.

Aliases
-------
Different names of one site across years (上海生物制品研究所 → 上生新所)
must be one entity or its delivery is missed. ``merge_alias_entities`` runs
between ``resolve_entities`` and ``layers_from_entities`` and merges entities
(1) whose names the gazetteer maps to the same canonical row, (2) that share a
name under different types, or (3) where one entity's surfaces include
the name of another of the same type, or (4) whose names differ only by a
metro-line prefix or ``（暂定名）``; it returns the list of merges made.

Where
-----
``zone``, ``belts`` and ``precision`` come from the project layer. An entity
placed no finer than the whole district (``precision_m`` ≥
``DISTRICT_WIDE_M``: the resolver's "only known to lie in 长宁区" fallback)
gets zone ``district`` and no belt: the zone its outline shares most with
would be an artefact of the zones' sizes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geocode.model import Entity, Mention, entity_id
from gis import settings
from gis._errors import PlanmapError
from gis.atomic import atomic_path
from layers.model import TIMELINE_COLUMNS
from maps.palette import DELIVERY_CLASSES

__all__ = [
    "DELIVERY_CLASSES",
    "DELIVERY_COLUMNS",
    "DELIVERY_FIELD_TYPES",
    "DISTRICT_WIDE_M",
    "DISTRICT_ZONE",
    "DONE_STATUSES",
    "PROMISE_STATUSES",
    "WORK_STATUSES",
    "delivery_from_timeline",
    "delivery_layer",
    "delivery_summary",
    "format_delivery_summary",
    "merge_alias_entities",
    "write_delivery_csv",
]

log = logging.getLogger(__name__)

#: class key -> (Chinese label, English label, hex colour), in the order they are decided.
#: plan-mode statuses that make a row a promise.
PROMISE_STATUSES: frozenset[str] = frozenset(
    {"planned", "started", "under_construction", "completed", "opened", "renovated"}
)
#: statuses of a later review that report work on the site.
WORK_STATUSES: frozenset[str] = frozenset({"started", "under_construction"})
#: statuses of a later review that report the site done.
DONE_STATUSES: frozenset[str] = frozenset({"completed", "opened", "renovated"})

#: an entity whose precision_m reaches this (m) is only known to lie in the district.
DISTRICT_WIDE_M: float = 5000.0
#: zone given to such entities.
DISTRICT_ZONE = "district"

#: column -> description of the delivery table (``delivery.csv``).
DELIVERY_COLUMNS: dict[str, str] = {
    "entity_id": "str: id of the entity (projects.id)",
    "name": "str: canonical name",
    "zone": "str: east | central | west | outside | district (placed no finer), '' if not in projects",
    "belts": "str: belt keys, ','-joined ('' for district-wide entities)",
    "precision": "str: precision of the entity's geometry (projects.precision)",
    "promise_year": "int: year of the first promise (from its section)",
    "promise_doc": "str: document of the first promise",
    "promise_line": "int: line of the first promise in that document",
    "promise_status": "str: status of the promise row",
    "promise_sentence": "str: the promise sentence",
    "period": "str: plan period of the promise ('2021-2025'), '' for an annual plan",
    "due_year": "int: year by which the promise is due",
    "first_work_year": "int: first year a later document reports work (started/under_construction)",
    "done_year": "int: first year a later document reports it done",
    "done_status": "str: completed | opened | renovated, '' when not done",
    "delivery_status": "str: status of the row in delivery_sentence",
    "delivery_sentence": "str: the done sentence, else the work sentence, else the first later mention",
    "delivery_doc": "str: document of delivery_sentence",
    "delivery_line": "int: line of delivery_sentence",
    "later_mentions": "int: rows of later documents about the entity",
    "lag_years": "int: done_year - promise_year",
    "late_years": "int: done_year - due_year (negative: early)",
    "delivery_class": "str: one of DELIVERY_CLASSES",
}

_INT_COLUMNS = (
    "promise_year", "promise_line", "due_year", "first_work_year", "done_year",
    "delivery_line", "later_mentions", "lag_years", "late_years",
)
#: fiona field type of each non-text column of the delivery table (the rest are ``str``).
DELIVERY_FIELD_TYPES: dict[str, str] = dict.fromkeys(_INT_COLUMNS, "int")
_PERIOD_RE = re.compile(r"^\s*(\d{4})\s*[-–—~至]\s*(\d{4})\s*$")
_DATE_RE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


# ----------------------------------------------------------------------------- helpers
def _parse_date(value: Any) -> dt.date | None:
    """A date from ``date``/``datetime`` or ISO text (``2024``, ``2021-01``, ``2023-01-04``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE_RE.match(str(value))
    if not match:
        return None
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return dt.date(year, 1, 1)


def _parse_period(value: Any) -> tuple[int, int] | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return int(value[0]), int(value[1])
    match = _PERIOD_RE.match(str(value))
    return (int(match.group(1)), int(match.group(2))) if match else None


def _five_year_period_end(year: int) -> int:
    """Last year of the five-year plan period holding ``year`` (2021-2025 is the 14th)."""
    return 2021 + 5 * math.floor((year - 2021) / 5) + 4


def _doc_info(
    documents: Iterable[Any], timeline: pd.DataFrame
) -> tuple[dict[str, dt.date], dict[str, str]]:
    """Date and kind of every document; undated ones take their newest row year."""
    dates: dict[str, dt.date] = {}
    kinds: dict[str, str] = {}
    for doc in documents:
        get = doc.get if isinstance(doc, Mapping) else (lambda k, d=doc: getattr(d, k, None))
        name = get("name")
        if not name:
            continue
        kinds[str(name)] = str(get("kind") or "other")
        date = _parse_date(get("date"))
        if date is not None:
            dates[str(name)] = date
    in_timeline = pd.unique(timeline["doc"].to_numpy(dtype=object))
    for name in sorted({str(u) for u in in_timeline[~pd.isna(in_timeline)]}):
        if name in dates:
            continue
        years = timeline.loc[timeline["doc"] == name, "year"].dropna()
        if len(years):
            dates[name] = dt.date(int(years.max()), 1, 1)
            log.warning(
                "delivery: document %r has no date; placed at %s (newest year it mentions)",
                name, dates[name].isoformat(),
            )
        else:
            log.warning("delivery: document %r has no date and no dated row; its rows are ignored", name)
    return dates, kinds


def _period_lookup(mentions: Iterable[Mention] | None) -> dict[tuple[str, int, str], str]:
    out: dict[tuple[str, int, str], str] = {}
    for m in mentions or ():
        if m.period:
            out[(m.doc, int(m.line), m.sentence)] = m.period
    return out


def _int_or_none(value: Any) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def _int_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(ints, missing)`` of a column: what ``_int_or_none`` gives for each value, as arrays.

    Integer and finite float columns are converted by numpy (floats truncated, as
    ``int`` does); any other column value by value with ``_int_or_none``.
    """
    missing = values.isna().to_numpy(dtype=bool)
    if pd.api.types.is_integer_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=np.int64, na_value=0), missing
    if pd.api.types.is_float_dtype(values.dtype):
        floats = values.to_numpy(dtype=np.float64, na_value=0.0)
        if np.isfinite(floats).all() and (np.abs(floats) < 2.0**53).all():
            return np.trunc(floats).astype(np.int64), missing
    ints = [_int_or_none(v) for v in values.tolist()]
    return (
        np.array([0 if v is None else v for v in ints], dtype=np.int64),
        np.array([v is None for v in ints], dtype=bool),
    )


def _flags(values: pd.Series, *tests: Any) -> list[np.ndarray]:
    """For each of ``tests``, ``[test(v) for v in values]`` as a bool array.

    Each test is called once per distinct value.
    """
    codes, uniques = _factorize(values)
    return [np.array([bool(test(u)) for u in uniques], dtype=bool)[codes] for test in tests]


def _factorize(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """``pd.factorize`` of a column with missing values kept as values of their own."""
    array = values.to_numpy(dtype=object)
    codes, uniques = pd.factorize(array)  # faster than keeping NA; -1 marks a missing value
    if len(codes) and codes.min() < 0:
        codes, uniques = pd.factorize(array, use_na_sentinel=False)
    return codes, list(uniques)


class _Rows:
    """The timeline rows of dated documents as arrays, sorted as delivery reads them.

    Rows are grouped by entity (``keys``: ``str(entity_id)`` in sorted order) and,
    within an entity, stably sorted by effective year (the row's year, else its
    document's), document date and line (rows without a line last). Rows of
    documents without a date are dropped.
    """

    def __init__(self, timeline: pd.DataFrame, dates: Mapping[str, dt.date]) -> None:
        codes, uniques = _factorize(timeline["doc"])
        ordinals = np.array(
            [d.toordinal() if (d := dates.get(str(u))) is not None else -1 for u in uniques],
            dtype=np.int64,
        )
        doc_years = np.array([dt.date.fromordinal(o).year if o >= 0 else 0 for o in ordinals.tolist()],
                             dtype=np.int64)
        date = ordinals[codes]
        kept = np.flatnonzero(date >= 0)
        every = len(kept) == len(timeline)
        year, no_year = _int_values(timeline["year"])
        year = np.where(no_year, doc_years[codes], year)
        line, no_line = _int_values(timeline["line"])
        ent_codes, ent_uniques = _factorize(timeline["entity_id"])
        names = [str(u) for u in ent_uniques]
        self.keys: list[str] = sorted(set(names))
        rank = {k: i for i, k in enumerate(self.keys)}
        entity = np.array([rank[n] for n in names], dtype=np.int64)[ent_codes]
        if not every:
            entity, year, date, line, no_line = (
                a[kept] for a in (entity, year, date, line, no_line)
            )
        # lexsort is stable; its last key is the first sorted on
        order = np.lexsort((line, no_line, date, year, entity))
        self._positions = order if every else kept[order]
        self.entity = entity[order]
        self.year = year[order]
        self.date = date[order]
        self._line, self._no_line = line[order], no_line[order]
        self._table = timeline
        (plan,) = _flags(timeline["mode"], lambda v: v == "plan")
        promise, done, work = _flags(
            timeline["status"], PROMISE_STATUSES.__contains__, DONE_STATUSES.__contains__,
            WORK_STATUSES.__contains__,
        )
        self.plan = plan[self._positions]
        self.promise = self.plan & promise[self._positions]
        self.done = done[self._positions]
        self.work = work[self._positions]
        self._columns: dict[str, np.ndarray] = {}

    def first_of(self, mask: np.ndarray) -> np.ndarray:
        """Per entity, the (sorted) position of its first row in ``mask``, else -1."""
        first = np.full(len(self.keys), -1, dtype=np.int64)
        hits = np.flatnonzero(mask)
        entities, at = np.unique(self.entity[hits], return_index=True)
        first[entities] = hits[at]
        return first

    def value(self, column: str, i: int) -> Any:
        """The timeline's value of ``column`` in sorted row ``i``."""
        values = self._columns.get(column)
        if values is None:
            values = self._columns[column] = self._table[column].to_numpy(dtype=object)
        return values[self._positions[i]]

    def line_value(self, i: int) -> int | None:
        """The line of sorted row ``i`` (``None`` when missing)."""
        return None if self._no_line[i] else int(self._line[i])

    def date_of(self, i: int) -> dt.date:
        """The date of the document of sorted row ``i``."""
        return dt.date.fromordinal(int(self.date[i]))


def _per_entity(rows: _Rows, first: np.ndarray, values: np.ndarray, *, fill: int) -> np.ndarray:
    """``values`` at each entity's row ``first`` (``fill`` where it has none)."""
    out = np.full(len(first), fill, dtype=np.int64)
    has = first >= 0
    out[has] = values[first[has]]
    return out


def _where(projects: gpd.GeoDataFrame | None) -> dict[str, tuple[str, str, str]]:
    """Map id -> (zone, belts, precision); district-wide entities get zone ``district``, no belt."""
    if projects is None or not len(projects):
        return {}
    out: dict[str, tuple[str, str, str]] = {}
    n = len(projects)
    columns = projects.columns

    def column(name: str, default: Any) -> list[Any]:
        return projects[name].tolist() if name in columns else [default] * n

    for pid, zone, belts, precision, metres in zip(
        column("id", None), column("zone", None), column("belts", None),
        column("precision", ""), column("precision_m", math.nan), strict=True,
    ):
        zone, belts = str(zone), "" if pd.isna(belts) else str(belts)
        if math.isfinite(float(metres)) and float(metres) >= DISTRICT_WIDE_M:
            zone, belts = DISTRICT_ZONE, ""
        out[str(pid)] = (zone, belts, str(precision))
    return out


# ----------------------------------------------------------------------------- the table
def delivery_from_timeline(
    timeline: pd.DataFrame,
    documents: Iterable[Any],
    *,
    projects: gpd.GeoDataFrame | None = None,
    mentions: Iterable[Mention] | None = None,
) -> pd.DataFrame:
    """One row per promised entity: its promise, what later documents report, its class.

    Parameters
    ----------
    timeline : DataFrame
        ``ProjectLayers.timeline`` (columns ``layers.model.TIMELINE_COLUMNS``). An
        optional ``period`` column (``"2021-2025"``) is used when present.
    documents : iterable of dict or Document
        Every document of the archive, with ``name``, ``date`` (ISO text or date)
        and ``kind`` (``ProjectLayers.documents``). Documents without a mention
        still count for "newest document".
    projects : GeoDataFrame, optional
        ``ProjectLayers.projects``: gives ``zone`` and ``belts`` by ``id``.
    mentions : iterable of Mention, optional
        Where the plan period of each promise is read (``Mention.period``), matched
        by document, line and sentence, when ``timeline`` has no ``period`` column.
        Without either, a five-year plan's promise is due by the end of its
        five-year period and every other promise in its own year.

    Returns
    -------
    DataFrame
        Columns ``DELIVERY_COLUMNS``, integer columns nullable (``Int64``), sorted by
        promise year, name and id. See the module docstring for the rules.

    Raises
    ------
    PlanmapError
        When ``timeline`` lacks a column of ``TIMELINE_COLUMNS``.
    """
    missing = [c for c in TIMELINE_COLUMNS if c not in timeline.columns]
    if missing:
        raise PlanmapError(
            f"timeline lacks columns {missing!r}; pass ProjectLayers.timeline "
            "(layers.build.timeline_from_entities)"
        )
    docs = list(documents)
    dates, kinds = _doc_info(docs, timeline)
    newest = max(dates.values()) if dates else None
    periods = _period_lookup(mentions)
    where = _where(projects)
    has_period_col = "period" in timeline.columns
    rows = _Rows(timeline, dates)
    first_promise = rows.first_of(rows.promise)
    # a row is later than its entity's first promise when its document is dated after it
    promise_date = _per_entity(rows, first_promise, rows.date, fill=np.iinfo(np.int64).max)
    promise_year = _per_entity(rows, first_promise, rows.year, fill=np.iinfo(np.int64).max)
    later = rows.date > promise_date[rows.entity]
    evidence = later & ~rows.plan & (rows.year >= promise_year[rows.entity])
    first_later = rows.first_of(later)
    first_done = rows.first_of(evidence & rows.done)
    first_work = rows.first_of(evidence & rows.work)  # the earliest year: rows sort by year first
    later_count = np.bincount(rows.entity[later], minlength=len(rows.keys))

    records: list[dict[str, Any]] = []
    for e in np.flatnonzero(first_promise >= 0).tolist():
        eid = rows.keys[e]
        p = int(first_promise[e])
        promise_year_e = int(rows.year[p])
        period = _parse_period(rows.value("period", p)) if has_period_col else None
        if period is None:
            line = rows.line_value(p)
            period = _parse_period(periods.get((str(rows.value("doc", p)), line or 0,
                                                str(rows.value("evidence", p)))))
        if period is not None:
            due_year = period[1]
        elif kinds.get(str(rows.value("doc", p))) == "five_year_plan":
            due_year = _five_year_period_end(promise_year_e)
        else:
            due_year = promise_year_e

        done, work, first = int(first_done[e]), int(first_work[e]), int(first_later[e])
        no_later_doc = newest is None or newest <= rows.date_of(p)
        due_passed = not no_later_doc and newest.year > due_year
        if done >= 0:
            cls, shown = "delivered", done
        elif work >= 0:
            cls, shown = "in_progress", work
        elif not due_passed:
            cls, shown = "not_yet_due", first
        elif first < 0:
            cls, shown = "no_later_report", -1
        else:
            cls, shown = "mentioned_later", first

        done_year = int(rows.year[done]) if done >= 0 else None
        place = where.get(eid, ("", "", ""))
        records.append(
            {
                "entity_id": eid,
                "name": str(rows.value("name", p)),
                "zone": place[0],
                "belts": place[1],
                "precision": place[2],
                "promise_year": promise_year_e,
                "promise_doc": str(rows.value("doc", p)),
                "promise_line": rows.line_value(p),
                "promise_status": str(rows.value("status", p)),
                "promise_sentence": str(rows.value("evidence", p)),
                "period": f"{period[0]}-{period[1]}" if period else "",
                "due_year": due_year,
                "first_work_year": int(rows.year[work]) if work >= 0 else None,
                "done_year": done_year,
                "done_status": str(rows.value("status", done)) if done >= 0 else "",
                "delivery_status": str(rows.value("status", shown)) if shown >= 0 else "",
                "delivery_sentence": str(rows.value("evidence", shown)) if shown >= 0 else "",
                "delivery_doc": str(rows.value("doc", shown)) if shown >= 0 else "",
                "delivery_line": rows.line_value(shown) if shown >= 0 else None,
                "later_mentions": int(later_count[e]),
                "lag_years": done_year - promise_year_e if done_year is not None else None,
                "late_years": done_year - due_year if done_year is not None else None,
                "delivery_class": cls,
            }
        )
    frame = pd.DataFrame(records, columns=list(DELIVERY_COLUMNS))
    for col in _INT_COLUMNS:
        frame[col] = frame[col].astype("Int64")
    frame = frame.sort_values(["promise_year", "name", "entity_id"], kind="mergesort")
    frame = frame.reset_index(drop=True)
    counts = frame["delivery_class"].value_counts()
    log.info(
        "delivery: %d promised entities: %s",
        len(frame),
        ", ".join(f"{k} {int(counts.get(k, 0))}" for k in DELIVERY_CLASSES),
    )
    return frame


# ----------------------------------------------------------------------------- summary
def _group_stats(part: pd.DataFrame) -> dict[str, Any]:
    counts = part["delivery_class"].value_counts()
    lags = part.loc[part["delivery_class"] == "delivered", "lag_years"].dropna()
    return {
        "promised": len(part),
        "classes": {k: int(counts.get(k, 0)) for k in DELIVERY_CLASSES},
        "median_lag_years": float(lags.median()) if len(lags) else None,
    }


def delivery_summary(delivery: pd.DataFrame) -> dict[str, Any]:
    """Counts per class and median lag, in total and by zone, by belt and by promise year.

    Parameters
    ----------
    delivery : DataFrame
        As returned by ``delivery_from_timeline``.

    Returns
    -------
    dict
        JSON-ready: ``{"classes": [...], "total": {...}, "by_zone": {...},
        "by_belt": {...}, "by_promise_year": {...}}``; every group is
        ``{"promised": n, "classes": {class: n}, "median_lag_years": float | None}``
        (median over delivered promises). A promise on two belts counts under
        both; ``"none"`` gathers promises on no belt and ``"unlocated"`` those
        with no zone.
    """
    zones = delivery["zone"].fillna("").replace("", "unlocated")
    by_zone = {
        str(z): _group_stats(delivery[zones == z]) for z in sorted(set(zones))
    }
    belt_lists = delivery["belts"].fillna("").map(lambda v: [b for b in str(v).split(",") if b] or ["none"])
    belts = sorted({b for lst in belt_lists for b in lst})
    by_belt = {b: _group_stats(delivery[belt_lists.map(lambda lst, b=b: b in lst)]) for b in belts}
    years = sorted({int(y) for y in delivery["promise_year"].dropna()})
    by_year = {str(y): _group_stats(delivery[delivery["promise_year"] == y]) for y in years}
    return {
        "classes": list(DELIVERY_CLASSES),
        "total": _group_stats(delivery),
        "by_zone": by_zone,
        "by_belt": by_belt,
        "by_promise_year": by_year,
    }


def format_delivery_summary(summary: Mapping[str, Any]) -> str:
    """The summary as a plain-text table for the terminal.

    Parameters
    ----------
    summary : mapping
        As returned by ``delivery_summary``.

    Returns
    -------
    str
        One block per grouping (zone, belt, promise year) and a total line;
        columns: promised, one per class, median lag in years.
    """
    classes = list(summary.get("classes", DELIVERY_CLASSES))
    short = {
        "delivered": "deliv", "in_progress": "in_prog", "not_yet_due": "not_due",
        "no_later_report": "no_report", "mentioned_later": "mentioned",
    }
    heads = ["promised", *(short.get(c, c) for c in classes), "median_lag"]
    width = max([14, *(len(k) for g in ("by_zone", "by_belt", "by_promise_year")
                       for k in summary.get(g, {}))])

    def line(label: str, stats: Mapping[str, Any]) -> str:
        lag = stats.get("median_lag_years")
        cells = [str(stats["promised"]), *(str(stats["classes"].get(c, 0)) for c in classes),
                 "-" if lag is None else f"{lag:g}"]
        return f"{label:<{width}} " + " ".join(f"{c:>{max(len(h), 4)}}" for c, h in zip(cells, heads, strict=True))

    header = f"{'':<{width}} " + " ".join(f"{h:>{max(len(h), 4)}}" for h in heads)
    out = ["Promises and delivery", header]
    for key, title in (("by_zone", "by zone"), ("by_belt", "by belt"),
                       ("by_promise_year", "by promise year")):
        out.append(f"-- {title}")
        out.extend(line(label, stats) for label, stats in summary.get(key, {}).items())
    out.append("-- total")
    out.append(line("all", summary["total"]))
    return "\n".join(out)


# ----------------------------------------------------------------------------- outputs
def write_delivery_csv(delivery: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write the delivery table as CSV, UTF-8 with a BOM (Excel opens it right), atomically.

    Parameters
    ----------
    delivery : DataFrame
        As returned by ``delivery_from_timeline``.
    path : path-like
        Target file (``delivery.csv``); its folder is created when missing.

    Returns
    -------
    Path
        The file written.
    """
    with atomic_path(path) as tmp:
        delivery.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
    log.info("delivery: wrote %d rows to %s", len(delivery), path)
    return Path(path)


def delivery_layer(delivery: pd.DataFrame, projects: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The delivery table with each entity's geometry, for the GeoPackage and the map.

    Parameters
    ----------
    delivery : DataFrame
        As returned by ``delivery_from_timeline``.
    projects : GeoDataFrame
        ``ProjectLayers.projects`` (``id``, geometry, EPSG:4326).

    Returns
    -------
    GeoDataFrame
        The rows whose entity is in ``projects``, with its geometry, in
        ``settings.output_crs``; rows of entities not in the layer are dropped
        (logged with their count).
    """
    geom = projects.set_index(projects["id"].astype(str)).geometry
    kept = delivery[delivery["entity_id"].isin(geom.index)].reset_index(drop=True)
    if len(kept) < len(delivery):
        log.warning("delivery layer: %d promised entities have no geometry and are left out",
                    len(delivery) - len(kept))
    return gpd.GeoDataFrame(
        kept, geometry=list(geom.loc[kept["entity_id"]]), crs=projects.crs or settings.output_crs
    )


# ----------------------------------------------------------------------------- aliases
class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


_QUALIFIERS_RE = re.compile(r"^(?:轨道交通|轨交|地铁)?\d+号线|[（(]暂定名[)）]$")


_LOCATOR_RE = re.compile(r"^(.{2,}?[路街])(\d+(?:号|弄)(?:地块)?)(.{2,})$")


def _without_locator(name: str) -> str | None:
    """``name`` without a house or plot number after its road, when it has one.

    ``清池路108号地块养老院`` → ``清池路养老院``; ``天山路680弄`` (nothing after the
    number) and names without a road give ``None``.
    """
    m = _LOCATOR_RE.match(name.strip())
    return m.group(1) + m.group(3) if m else None


def _core_name(name: str) -> str:
    """Name without a leading metro-line qualifier or a trailing ``（暂定名）``."""
    core = _QUALIFIERS_RE.sub("", name.strip())
    return core if len(core) >= 3 else name.strip()


_PRECISION_ORDER = ("exact", "approximate", "road", "subdistrict", "area", "unresolved")


def merge_alias_entities(
    entities: Sequence[Entity], gazetteer: gpd.GeoDataFrame | None = None
) -> tuple[list[Entity], list[dict[str, Any]]]:
    """Merge entities that are one site under different names.

    Two entities are merged (transitively) when

    1. the gazetteer maps both names to the same canonical name (a name and its
       alias: 上海生物制品研究所 and 上生新所 are both 上生·新所);
    2. they have the same name under different types; or
    3. a surface of one (``Entity.aliases``, at least two characters) is the
       name of the other *and* both have the same type. (Without the type check a
       list like ``愚园路、武夷路美丽街区`` would merge the road 武夷路 into the
       street block, and 仙霞路街道 into 仙霞路.)
    4. they have the same type and the same name once a leading metro-line
       qualifier (``15号线``, ``轨交15号线``) and a trailing ``（暂定名）`` are
       removed: ``15号线娄山关路站换乘通道`` (2023) is ``娄山关路站换乘通道`` (2022).
    5. they have the same type and one name is the other with a house or plot
       number after the road: ``清池路108号地块养老院`` (a plan) is
       ``清池路养老院`` (a later report).

    The merged entity keeps the name of the gazetteer row when the group's names
    map to one (else the name of the member with the most mentions), the type,
    geometry and placement of its best member (a member named so, else the one
    with the most mentions; ties: finer precision, the shorter name, then id), every mention
    (re-labelled with the new id; the input mentions are not changed), and
    every other name and surface as ``aliases``.

    Parameters
    ----------
    entities : sequence of Entity
        Resolved entities (``geocode.resolve_entities``).
    gazetteer : GeoDataFrame, optional
        As returned by ``geocode.load_gazetteer``; ``None`` loads the bundled one.

    Returns
    -------
    entities : list of Entity
        Sorted by id; unmerged entities are returned as they were.
    merges : list of dict
        One per entity merged away: ``into_id``, ``into_name``, ``from_id``,
        ``from_name``, ``from_type``, ``mentions`` (how many moved) and ``reason``.
    """
    from geocode.gazetteer import name_index

    index = name_index(gazetteer)
    ents = list(entities)
    canon = [index[e.name].name if e.name in index else e.name for e in ents]
    uf = _UnionFind(len(ents))
    reasons: dict[tuple[int, int], str] = {}
    by_key: dict[str, int] = {}
    by_name: dict[str, list[int]] = {}
    for i, e in enumerate(ents):
        by_name.setdefault(e.name, []).append(i)
    for i, e in enumerate(ents):
        key = canon[i]
        if key in by_key:
            j = by_key[key]
            if ents[j].name == e.name:
                reasons[(j, i)] = f"same name {e.name!r} under types {ents[j].type!r} and {e.type!r}"
            else:
                reasons[(j, i)] = f"gazetteer: {ents[j].name!r} and {e.name!r} are names of {key!r}"
            uf.union(j, i)
        else:
            by_key[key] = i
    for i, e in enumerate(ents):
        for surface in e.aliases:
            surface = surface.strip()
            if len(surface) < 2 or surface == e.name:
                continue
            for j in by_name.get(surface, []):
                if ents[j].type == e.type and uf.find(i) != uf.find(j):
                    reasons[(i, j)] = f"{surface!r} is written for {e.name!r} and is the name of an entity"
                    uf.union(i, j)

    by_core: dict[tuple[str, str], int] = {}
    for i, e in enumerate(ents):
        core = (_core_name(e.name), e.type)
        j = by_core.setdefault(core, i)
        if j != i and uf.find(i) != uf.find(j):
            reasons[(j, i)] = f"{ents[j].name!r} and {e.name!r} differ only by a qualifier"
            uf.union(j, i)

    for i, e in enumerate(ents):
        short = _without_locator(e.name)
        for j in by_name.get(short, []) if short else []:
            if ents[j].type == e.type and uf.find(i) != uf.find(j):
                reasons[(j, i)] = f"{e.name!r} is {ents[j].name!r} with its house or plot number"
                uf.union(j, i)

    groups: dict[int, list[int]] = {}
    for i in range(len(ents)):
        groups.setdefault(uf.find(i), []).append(i)
    out: list[Entity] = []
    merges: list[dict[str, Any]] = []
    for members in groups.values():
        if len(members) == 1:
            out.append(ents[members[0]])
            continue
        keys = {canon[i] for i in members}
        gaz_name = next(iter(keys)) if len(keys) == 1 and next(iter(keys)) in index else None

        def rank(i: int, gaz_name: str | None = gaz_name) -> tuple:
            e = ents[i]
            prec = _PRECISION_ORDER.index(e.precision) if e.precision in _PRECISION_ORDER else 99
            return (e.name != gaz_name, -len(e.mentions), prec, len(e.name), e.id)

        best = min(members, key=rank)
        b = ents[best]
        name = gaz_name or b.name
        new_id = entity_id(name, b.type)
        located = [i for i in members if ents[i].geometry is not None]
        place = ents[min(located, key=rank)] if located else b
        mentions = sorted(
            (dataclasses.replace(m, entity_id=new_id) for i in members for m in ents[i].mentions),
            key=lambda m: (m.doc, m.start, m.end),
        )
        aliases = {a for i in members for a in ents[i].aliases} | {ents[i].name for i in members}
        merged = dataclasses.replace(
            place,
            id=new_id,
            name=name,
            type=b.type,
            aliases=sorted(aliases - {name, ""}),
            in_changning=b.in_changning,
            mentions=mentions,
        )
        out.append(merged)
        for i in members:
            if ents[i].id == new_id:
                continue
            why = next((r for (a, c), r in reasons.items() if i in (a, c) and {a, c} <= set(members)),
                       "merged with its group")
            merges.append(
                {
                    "into_id": new_id,
                    "into_name": name,
                    "from_id": ents[i].id,
                    "from_name": ents[i].name,
                    "from_type": ents[i].type,
                    "mentions": len(ents[i].mentions),
                    "reason": why,
                }
            )
    out.sort(key=lambda e: e.id)
    ids = [e.id for e in out]
    if len(set(ids)) != len(ids):  # a merged id equal to an unmerged entity's id
        raise PlanmapError(f"merging aliases made repeated ids {sorted({i for i in ids if ids.count(i) > 1})!r}")
    for m in merges:
        log.info("merged entity %s (%s, %s) into %s (%s): %s", m["from_id"], m["from_name"],
                 m["from_type"], m["into_id"], m["into_name"], m["reason"])
    log.info("alias merge: %d entities -> %d (%d merged away)", len(ents), len(out), len(merges))
    return out, merges
