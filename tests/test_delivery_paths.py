"""The array-based ``delivery_from_timeline`` gives what the row-by-row reference gives.

``_reference_delivery`` is the implementation before issue 8's delivery work (a dict
per timeline row, rows sorted per entity with a Python key); the fast one is compared
with it on generated timelines (every class, missing years and lines, undated and
unknown documents, five-year plans, periods from a column or from the mentions) and
on the seeds, which have real promises of every kind.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

import pandas as pd
import pandas.testing as pdt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_delivery import DOCS

import layers.delivery
from geocode.model import Mention
from gis import pipeline
from layers.delivery import (
    DELIVERY_COLUMNS,
    DISTRICT_WIDE_M,
    DISTRICT_ZONE,
    DONE_STATUSES,
    PROMISE_STATUSES,
    WORK_STATUSES,
    _doc_info,
    _five_year_period_end,
    _int_or_none,
    _parse_period,
    _period_lookup,
    delivery_from_timeline,
)
from layers.model import TIMELINE_COLUMNS


def _reference_doc_info(
    documents: Iterable[Any], timeline: pd.DataFrame
) -> tuple[dict[str, dt.date], dict[str, str]]:
    # the documents' own dates and kinds, then the undated ones found as before
    dates, kinds = _doc_info(documents, timeline.iloc[:0])
    for name in sorted(set(timeline["doc"].dropna().astype(str))):
        if name in dates:
            continue
        years = timeline.loc[timeline["doc"] == name, "year"].dropna()
        if len(years):
            dates[name] = dt.date(int(years.max()), 1, 1)
    return dates, kinds


def _reference_where(projects: pd.DataFrame | None) -> dict[str, tuple[str, str, str]]:
    if projects is None or not len(projects):
        return {}
    out: dict[str, tuple[str, str, str]] = {}
    prec_m = projects["precision_m"] if "precision_m" in projects.columns else None
    for i, row in enumerate(projects.itertuples(index=False)):
        metres = float(prec_m.iloc[i]) if prec_m is not None else math.nan
        zone, belts = str(row.zone), "" if pd.isna(row.belts) else str(row.belts)
        if math.isfinite(metres) and metres >= DISTRICT_WIDE_M:
            zone, belts = DISTRICT_ZONE, ""
        out[str(row.id)] = (zone, belts, str(getattr(row, "precision", "")))
    return out


def _reference_delivery(
    timeline: pd.DataFrame,
    documents: Iterable[Any],
    *,
    projects: pd.DataFrame | None = None,
    mentions: Iterable[Mention] | None = None,
) -> pd.DataFrame:
    """``delivery_from_timeline`` as it was: one dict per row, a Python sort per entity."""
    dates, kinds = _reference_doc_info(list(documents), timeline)
    newest = max(dates.values()) if dates else None
    periods = _period_lookup(mentions)
    where = _reference_where(projects)
    has_period_col = "period" in timeline.columns
    keys = ("entity_id", "name", "year", "mode", "status", "doc", "line", "evidence")
    columns = [timeline[k].tolist() for k in keys]
    columns.append(timeline["period"].tolist() if has_period_col else [None] * len(timeline))
    by_entity: dict[str, list[dict[str, Any]]] = {}
    for eid, name, year, mode, status, doc, line, evidence, period_value in zip(
        *columns, strict=True
    ):
        doc_date = dates.get(str(doc))
        if doc_date is None:
            continue
        eff_year = _int_or_none(year)
        row = {
            "entity_id": eid, "name": name, "mode": mode, "status": status, "doc": doc,
            "line": _int_or_none(line), "evidence": evidence, "period": period_value,
            "doc_date": doc_date, "eff_year": doc_date.year if eff_year is None else eff_year,
        }
        by_entity.setdefault(str(eid), []).append(row)

    def order(row: dict[str, Any]) -> tuple:
        year, date, line = row["eff_year"], row["doc_date"], row["line"]
        return (year is None, year or 0, date is None, date or dt.date.min, line is None, line or 0)

    records: list[dict[str, Any]] = []
    for eid in sorted(by_entity):
        group = by_entity[eid]
        promises = sorted(
            (r for r in group if r["mode"] == "plan" and r["status"] in PROMISE_STATUSES),
            key=order,
        )
        if not promises:
            continue
        p = promises[0]
        promise_year = int(p["eff_year"])
        period = _parse_period(p["period"]) if has_period_col else None
        if period is None:
            period = _parse_period(periods.get((str(p["doc"]), p["line"] or 0, str(p["evidence"]))))
        if period is not None:
            due_year = period[1]
        elif kinds.get(str(p["doc"])) == "five_year_plan":
            due_year = _five_year_period_end(promise_year)
        else:
            due_year = promise_year
        later = sorted((r for r in group if r["doc_date"] > p["doc_date"]), key=order)
        evidence = [
            r for r in later
            if r["mode"] != "plan" and r["eff_year"] is not None and r["eff_year"] >= promise_year
        ]
        done = [r for r in evidence if r["status"] in DONE_STATUSES]
        work = [r for r in evidence if r["status"] in WORK_STATUSES]
        no_later_doc = newest is None or newest <= p["doc_date"]
        due_passed = not no_later_doc and newest.year > due_year
        if done:
            cls, shown = "delivered", done[0]
        elif work:
            cls, shown = "in_progress", work[0]
        elif not due_passed:
            cls, shown = "not_yet_due", (later[0] if later else None)
        elif not later:
            cls, shown = "no_later_report", None
        else:
            cls, shown = "mentioned_later", later[0]
        done_year = int(done[0]["eff_year"]) if done else None
        first_work = min(int(r["eff_year"]) for r in work) if work else None
        place = where.get(str(eid), ("", "", ""))
        records.append(
            {
                "entity_id": str(eid), "name": str(p["name"]), "zone": place[0],
                "belts": place[1], "precision": place[2], "promise_year": promise_year,
                "promise_doc": str(p["doc"]), "promise_line": p["line"],
                "promise_status": str(p["status"]), "promise_sentence": str(p["evidence"]),
                "period": f"{period[0]}-{period[1]}" if period else "", "due_year": due_year,
                "first_work_year": first_work, "done_year": done_year,
                "done_status": str(done[0]["status"]) if done else "",
                "delivery_status": str(shown["status"]) if shown is not None else "",
                "delivery_sentence": str(shown["evidence"]) if shown is not None else "",
                "delivery_doc": str(shown["doc"]) if shown is not None else "",
                "delivery_line": shown["line"] if shown is not None else None,
                "later_mentions": len(later),
                "lag_years": done_year - promise_year if done_year is not None else None,
                "late_years": done_year - due_year if done_year is not None else None,
                "delivery_class": cls,
            }
        )
    frame = pd.DataFrame(records, columns=list(DELIVERY_COLUMNS))
    for col in layers.delivery._INT_COLUMNS:
        frame[col] = frame[col].astype("Int64")
    frame = frame.sort_values(["promise_year", "name", "entity_id"], kind="mergesort")
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------- generated input
_DOCS = [
    *DOCS,  # reports of 2019, 2020, 2022 and a five-year plan of 2021
    {"name": "n2022.txt", "date": "2022-01-11", "kind": "news"},  # same date as r2022
    {"name": "undated.txt", "date": None, "kind": "news"},
]
_DOC_NAMES = [d["name"] for d in _DOCS] + ["unlisted.txt"]
_STATUSES = sorted(PROMISE_STATUSES | WORK_STATUSES | DONE_STATUSES | {"mentioned", "ongoing"})
_SENTENCES = ["推进甲地块建设。", "甲地块竣工，乙地块开工。", "依托丙公园。"]
_ENTITIES = {"cn-a": "甲地块", "cn-b": "乙地块", "cn-c": "丙公园", "cn-d": "丁路"}

_rows = st.fixed_dictionaries(
    {
        "entity_id": st.sampled_from(sorted(_ENTITIES)),
        "year": st.one_of(st.none(), st.integers(2018, 2027)),
        "mode": st.sampled_from(["plan", "plan", "review", "unknown"]),
        "status": st.sampled_from(_STATUSES),
        "doc": st.sampled_from(_DOC_NAMES),
        "line": st.one_of(st.none(), st.integers(1, 4)),
        "evidence": st.sampled_from(_SENTENCES),
        "period": st.sampled_from([None, "2021-2025", "2016-2020", "下一阶段"]),
    }
)


def _timeline(rows: list[dict[str, Any]], with_period: bool) -> pd.DataFrame:
    for r in rows:
        r["name"] = _ENTITIES[r["entity_id"]]
        r["status_cue"] = ""
    cols = list(TIMELINE_COLUMNS) + (["period"] if with_period else [])
    df = pd.DataFrame(rows, columns=cols)
    df["year"] = df["year"].astype("Int64")
    df["line"] = df["line"].astype("Int64")
    return df


def _mentions(rows: list[dict[str, Any]]) -> list[Mention]:
    return [
        Mention(doc=r["doc"], line=r["line"] or 0, start=0, end=2, surface=r["name"],
                name=r["name"], type="plot", year=r["year"], mode=r["mode"], status=r["status"],
                status_cue="", sentence=r["evidence"], period=r["period"])
        for r in rows
    ]


_PROJECTS = pd.DataFrame(
    {
        "id": ["cn-a", "cn-b", "cn-c"],
        "zone": ["east", "west", "central"],
        "belts": ["line2,suzhou_creek", None, ""],
        "precision": ["exact", "area", "road"],
        "precision_m": [50.0, 6000.0, math.nan],
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(_rows, max_size=40),
    with_period=st.booleans(),
    with_mentions=st.booleans(),
    n_docs=st.integers(1, len(_DOCS)),
)
def test_delivery_equals_the_reference_on_generated_timelines(rows, with_period, with_mentions, n_docs):
    timeline = _timeline(rows, with_period)
    docs = _DOCS[:n_docs]
    mentions = _mentions(rows) if with_mentions else None
    want = _reference_delivery(timeline, docs, projects=_PROJECTS, mentions=mentions)
    got = delivery_from_timeline(timeline, docs, projects=_PROJECTS, mentions=mentions)
    pdt.assert_frame_equal(got, want)
    assert got.to_csv(index=False) == want.to_csv(index=False)


def test_delivery_equals_the_reference_with_float_and_object_years():
    rows = [
        {"entity_id": "cn-a", "name": "甲地块", "year": 2019.0, "mode": "plan", "status": "planned",
         "status_cue": "", "doc": "r2019.txt", "line": 3.0, "evidence": "推进甲地块建设。"},
        {"entity_id": "cn-a", "name": "甲地块", "year": None, "mode": "review",
         "status": "completed", "status_cue": "", "doc": "r2022.txt", "line": None,
         "evidence": "甲地块竣工。"},
    ]
    floats = pd.DataFrame(rows, columns=list(TIMELINE_COLUMNS))
    objects = floats.astype({"year": object, "line": object})
    for timeline in (floats, objects):
        pdt.assert_frame_equal(
            delivery_from_timeline(timeline, _DOCS), _reference_delivery(timeline, _DOCS)
        )


def test_delivery_equals_the_reference_on_the_seeds(tmp_path, seed_paths, monkeypatch):
    compared = []
    fast = layers.delivery.delivery_from_timeline

    def both(timeline, documents, *, projects=None, mentions=None):
        documents, mentions = list(documents), list(mentions or ())
        got = fast(timeline, documents, projects=projects, mentions=mentions)
        want = _reference_delivery(timeline, documents, projects=projects, mentions=mentions)
        pdt.assert_frame_equal(got, want)
        compared.append(got)
        return got

    monkeypatch.setattr(layers.delivery, "delivery_from_timeline", both)
    pipeline.build(seed_paths, tmp_path / "out", stages=("layers",))
    (got,) = compared
    # the seeds promise things of every kind: the comparison covers the classes
    assert set(got["delivery_class"]) >= {"delivered", "in_progress", "no_later_report"}
