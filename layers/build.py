"""Entities → ``ProjectLayers``: zone and belts by geometry, timeline, stated-zone conflicts.

Rules (documented here, tested in ``tests/test_layers_build.py``):

- **Which entities.** One feature per entity with a geometry and
  ``in_changning`` True. Entities with ``in_changning`` False are dropped from
  the district layers (logged with their count); entities without geometry
  are left to ``unresolved.csv`` (geocode). Located in-district entities whose
  geometry falls outside the outline stay, with zone ``outside``.
- **zone** (by geometry, in ``settings.metric_crs``): the zone holding the
  largest part of the geometry (area for polygons, length for lines; the
  zone containing it for points); ``outside`` when it does not reach the
  district. The zones tile the district, so every in-district feature has one.
- **belts**: every belt polygon the geometry intersects (sorted keys).
- **zone_stated / belts_stated**: what the text states (``layers.stated``) in
  any of the entity's mentions; several stated zones are ``","``-joined.
- **zone_conflict**: a stated zone that the geometry, grown by its own
  uncertainty (``precision_m``, at most ``CONFLICT_TOLERANCE_M``), does not
  reach. **belt_conflict**: likewise for a stated belt. A conflict is a
  finding (the text and the gazetteer disagree), kept and flagged, never
  resolved silently.
- **status_by_year**: for each year, the most advanced status of that year's
  mentions in ``STATUS_RANK`` order (mentioned < planned < ongoing < started <
  under_construction < renovated < completed < opened); **status_latest** is
  the value of the last year; mentions without a year count for neither.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geocode.columns import LOCAL, MISSING, Coder, MentionColumns, integer_array, packed_key
from geocode.model import PRECISIONS, TYPES, Entity, Mention
from gis import settings
from gis._errors import PlanmapError
from layers.model import PROJECT_COLUMNS, TIMELINE_COLUMNS, ProjectLayers
from layers.stated import StatedKey, StatedMemo, sentence_surfaces, stated_by_mention
from layers.zones import (
    BELT_KEYS,
    ZONE_KEYS,
    belt_layer,
    belts_metric,
    district_metric,
    zone_layer,
    zones_metric,
)
from maps.palette import OUTSIDE_ZONE

__all__ = [
    "CONFLICT_TOLERANCE_M",
    "STATUS_RANK",
    "assign_zone",
    "layers_from_entities",
    "status_by_year",
    "timeline_from_entities",
    "validate_layers",
]

log = logging.getLogger(__name__)

#: status -> rank; the higher wins within a year.
STATUS_RANK: dict[str, int] = {
    "mentioned": 0,
    "planned": 1,
    "ongoing": 2,
    "started": 3,
    "under_construction": 4,
    "renovated": 5,
    "completed": 6,
    "opened": 7,
}
#: largest uncertainty (m) by which a geometry is grown before a stated zone/belt counts as a conflict.
CONFLICT_TOLERANCE_M: float = 500.0


def _measure(geom: BaseGeometry) -> float:
    if geom.is_empty:
        return 0.0
    dim = shapely.get_dimensions(geom)
    if dim >= 2:
        return float(geom.area)
    if dim == 1:
        return float(geom.length)
    return 1.0


def assign_zone(
    geom_metric: BaseGeometry, zones: dict[str, BaseGeometry], district: BaseGeometry
) -> str:
    """Zone of a geometry in the metric CRS.

    Parameters
    ----------
    geom_metric : shapely geometry
        The feature, in ``settings.metric_crs``.
    zones : dict of str to geometry
        Zone polygons (``layers.zones.zones_metric()``).
    district : geometry
        District outline (``layers.zones.district_metric()``).

    Returns
    -------
    str
        The zone holding the largest part of the geometry, or ``"outside"``.
    """
    if geom_metric.is_empty or not district.intersects(geom_metric):
        return OUTSIDE_ZONE
    dim = shapely.get_dimensions(geom_metric)
    point = geom_metric.geom_type == "Point"
    shares: dict[str, float] = {}
    for key in ZONE_KEYS:
        # a zone the geometry does not meet has no share (its intersection is empty);
        # a point's part of a zone it meets is the point itself (measure 1)
        if not zones[key].intersects(geom_metric):
            shares[key] = 0.0
            continue
        if point:
            shares[key] = 1.0
            continue
        part = geom_metric.intersection(zones[key])
        shares[key] = _measure(part) if shapely.get_dimensions(part) >= dim else 0.0
    best = max(ZONE_KEYS, key=lambda k: shares[k])
    if shares[best] > 0:
        return best
    # touches the district only along an edge: nearest zone to its representative point
    point = geom_metric.representative_point()
    return min(ZONE_KEYS, key=lambda k: zones[k].distance(point))


class _ZoneMemo:
    """``assign_zone`` of each geometry, computed once per distinct geometry.

    Many features share a geometry (entities placed on the same subdistrict
    or area polygon), and a polygon across zones costs an overlay with each.
    Geometries are told apart by their WKB: equal bytes, equal answer.
    """

    def __init__(self, zones: dict[str, BaseGeometry], district: BaseGeometry) -> None:
        self._zones = zones
        self._district = district
        self._memo: dict[bytes, str] = {}

    def __call__(self, geom_metric: BaseGeometry) -> str:
        """The zone of ``geom_metric`` (``assign_zone``)."""
        if geom_metric.geom_type == "Point":  # cheap already
            return assign_zone(geom_metric, self._zones, self._district)
        key = shapely.to_wkb(geom_metric)
        zone = self._memo.get(key)
        if zone is None:
            zone = self._memo[key] = assign_zone(geom_metric, self._zones, self._district)
        return zone


def status_by_year(mentions: Iterable[Mention]) -> dict[int, str]:
    """Per year, the most advanced status of that year's mentions.

    Parameters
    ----------
    mentions : iterable of Mention
        Mentions of one entity.

    Returns
    -------
    dict of int to str
        Year -> status (``STATUS_RANK`` order decides), sorted by year.
    """
    best: dict[int, str] = {}
    for m in mentions:
        if m.year is None:
            continue
        current = best.get(m.year)
        if current is None or STATUS_RANK.get(m.status, 0) > STATUS_RANK.get(current, 0):
            best[m.year] = m.status
    return dict(sorted(best.items()))


def _sentence_surfaces(entities: Sequence[Entity]) -> dict[tuple[str, str], frozenset[str]]:
    """(doc, sentence) -> surfaces of its mentions, for sentences holding a zone or belt phrase."""
    return sentence_surfaces(m for ent in entities for m in ent.mentions)


#: ``StatedMemo`` under its former name.
_StatedMemo = StatedMemo


#: ``_grown_keys`` decides by distance alone below this share of the tolerance (inside)
#: and above the other (outside); in between it buffers, as it did always.
_SURELY_INSIDE, _SURELY_OUTSIDE = 0.9, 1.05


def _grown_keys(
    geom: BaseGeometry, precision_m: float | None, polys: dict[str, BaseGeometry]
) -> set[str]:
    """The keys of ``polys`` met by ``geom`` grown by its precision (capped).

    The precision is capped at ``CONFLICT_TOLERANCE_M``. The answer is that of
    ``geom.buffer(tol).intersects(poly)``; buffering a long line by hundreds of
    metres takes milliseconds, so a polygon is first
    judged by its distance from ``geom``. GEOS's round buffer differs from the
    exact one by its chords (0.12% of ``tol`` at 16 segments a quadrant) and
    its simplification of the input (1% of ``tol``): a polygon nearer than
    ``_SURELY_INSIDE * tol`` is met by the buffer, one farther than
    ``_SURELY_OUTSIDE * tol`` is not. Only the others are tested on the buffer.
    """
    tol = 0.0 if precision_m is None or not math.isfinite(precision_m) else precision_m
    tol = min(max(tol, 0.0), CONFLICT_TOLERANCE_M)
    if tol < 1.0:  # no margins for tiny buffers: as computed
        grown = geom.buffer(tol) if tol > 0 else geom
        return {k for k, poly in polys.items() if grown.intersects(poly)}
    keys = list(polys)
    distances = shapely.distance(geom, [polys[k] for k in keys]).tolist()
    found = {k for k, d in zip(keys, distances, strict=True) if d <= _SURELY_INSIDE * tol}
    unsure = [k for k, d in zip(keys, distances, strict=True)
              if _SURELY_INSIDE * tol < d <= _SURELY_OUTSIDE * tol]
    if unsure:
        grown = geom.buffer(tol)
        found.update(k for k in unsure if grown.intersects(polys[k]))
    return found


def _documents(documents: Iterable[Any]) -> list[dict]:
    out = []
    for doc in documents:
        if isinstance(doc, dict):
            rec = {k: doc.get(k) for k in ("name", "title", "date", "kind")}
        else:
            rec = {k: getattr(doc, k, None) for k in ("name", "title", "date", "kind")}
        if rec["date"] is not None and not isinstance(rec["date"], str):
            rec["date"] = rec["date"].isoformat()
        out.append(rec)
    return sorted(out, key=lambda r: str(r["name"]))


def timeline_from_entities(
    entities: Sequence[Entity], *, columns: MentionColumns | None = None
) -> pd.DataFrame:
    """One row per (entity, year, status, doc, line, evidence).

    Parameters
    ----------
    entities : sequence of Entity
        Entities whose mentions make the rows.
    columns : MentionColumns, optional
        The build's mentions by column (``geocode.columns``). An entity whose
        id is unique among ``entities`` and holds exactly the rows of the
        columns with its id takes its rows from there, without touching its
        ``Mention`` objects; any other (an alias merge, a test's entity) from
        its mentions. The rows are the same either way.

    Returns
    -------
    DataFrame
        Columns ``TIMELINE_COLUMNS``; ``year`` and ``line`` are nullable
        integers; rows sorted by entity id, year, doc, line, status.
    """
    # by column with numpy: the same rows, repeats and order as
    # drop_duplicates(entity_id, year, status, doc, line, evidence) (the first kept)
    # over the entities' mentions in order, followed by a stable sort by (entity_id,
    # year, doc, line, status) with missing values last. Each value becomes an integer
    # code (a rank where the order counts), so both steps sort integer arrays.
    ents = list(entities)
    coded = ("doc", "mode", "status", "status_cue", "sentence")
    known = {c: columns.coders[c].values if columns is not None else [] for c in coded}
    # the columns' sentence codes are equal only within a document (geocode.columns.LOCAL),
    # which the doc in the key makes enough; the mentions' sentences get codes after them
    coders = {c: Coder(known[c]) for c in coded if c not in LOCAL}
    coders["sentence"] = Coder()
    parts: list[dict[str, np.ndarray]] = []
    from_columns = np.zeros(len(ents), dtype=bool)
    if columns is not None and len(columns) and columns.by_document:
        part, from_columns = _rows_from_columns(ents, columns)
        parts.append(part)
    for i in np.flatnonzero(~from_columns):
        mentions = ents[i].mentions
        part = {"owner": np.full(len(mentions), i, dtype=np.int64)}
        for name in ("year", "line"):
            part[name] = integer_array(list(map(attrgetter(name), mentions)))
        for name in coded:
            part[name] = coders[name].codes(list(map(_ATTRIBUTE[name], mentions)))
        part["sentence"] += len(known["sentence"])
        parts.append(part)
    rows = {k: np.concatenate([p[k] for p in parts]) if parts else np.empty(0, np.int64)
            for k in ("owner", "year", "line", *coded)}
    owner = rows["owner"]
    ids = Coder()
    id_codes = ids.codes([e.id for e in ents])
    eid = ids.ranks()[id_codes][owner] if ents else np.empty(0, np.int64)
    year = _missing_last(rows["year"])
    line = _missing_last(rows["line"])
    doc = coders["doc"].ranks()[rows["doc"]]
    status = coders["status"].ranks()[rows["status"]]
    evidence = rows["sentence"]
    # rows are in their mentions' order within each entity: stable sorts keep it
    key = packed_key([eid, year, doc, line, status])
    dedup = packed_key([eid, year, doc, line, status, evidence])
    # repeats: equal in every key column; the first of each run (the earliest) is kept
    if dedup is not None:
        order = np.argsort(dedup, kind="stable")
        sorted_keys = dedup[order][None, :]
    else:
        order = np.lexsort((np.arange(len(owner)), evidence, status, line, doc, year, eid))
        sorted_keys = np.stack([eid, year, doc, line, status, evidence])[:, order]
    first = np.ones(len(owner), dtype=bool)
    first[1:] = (sorted_keys[:, 1:] != sorted_keys[:, :-1]).any(axis=0)
    kept = np.sort(order[first])
    if key is not None:
        kept = kept[np.argsort(key[kept], kind="stable")]
    else:
        kept = kept[np.lexsort((kept, status[kept], line[kept], doc[kept], year[kept],
                                eid[kept]))]
    who = owner[kept]
    frame: dict[str, Any] = {
        "entity_id": _objects([e.id for e in ents], who),
        "name": _objects([e.name for e in ents], who),
    }
    for col, source in (("year", "year"), ("mode", "mode"), ("status", "status"),
                        ("status_cue", "status_cue"), ("doc", "doc"), ("line", "line"),
                        ("evidence", "sentence")):
        values = rows[source][kept]
        if source in ("year", "line"):
            frame[col] = pd.arrays.IntegerArray(np.where(values == MISSING, 0, values),
                                                values == MISSING)
        elif source in LOCAL:
            extra = coders[source].values
            frame[col] = _objects([*known[source], *extra] if extra else known[source], values)
        else:
            frame[col] = _objects(coders[source].values, values)
    df = pd.DataFrame(frame, columns=list(TIMELINE_COLUMNS))
    for col in ("entity_id", "name", "mode", "status", "status_cue", "doc", "evidence"):
        df[col] = df[col].astype(object)  # pandas infers its str dtype; the contract is object
    return df


def _rows_from_columns(
    ents: list[Entity], columns: MentionColumns
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The timeline rows of the entities the columns hold whole, and which those are.

    The rows' order within an entity is its mentions' order: document, start,
    end, then the order read (``geocode.entities.entities_from_mentions``).
    """
    row_entity, whole = columns.whole(ents)
    rows = np.flatnonzero(row_entity >= 0)
    codes = columns.codes
    doc_rank = columns.coders["doc"].ranks()[codes["doc"][rows]]
    within = [doc_rank, codes["start"][rows], codes["end"][rows]]
    packed = packed_key(within)  # rows ascend: a stable sort keeps the order read for ties
    rows = rows[np.argsort(packed, kind="stable") if packed is not None else
                np.lexsort((rows, *reversed(within)))]
    part = {"owner": row_entity[rows]}
    for name in ("year", "line", "doc", "mode", "status", "status_cue", "sentence"):
        part[name] = codes[name][rows]
    return part, whole


@dataclass
class _Summary:
    """What a project feature needs of an entity's mentions (``_summaries``)."""

    by_year: dict[int, str]
    docs: str
    zones: set[str]
    belts: set[str]


def _summaries(ents: list[Entity], columns: MentionColumns | None) -> list[_Summary | None]:
    """Per entity, its status by year, documents and stated zones and belts from ``columns``.

    ``None`` for an entity the columns do not hold whole (``MentionColumns.whole``),
    or for all when the columns are missing or hold a status without a rank:
    those are summarised from their mentions.
    """
    out: list[_Summary | None] = [None] * len(ents)
    if columns is None or not len(columns) or not columns.by_document:
        return out
    statuses = columns.coders["status"].values
    if any(s not in STATUS_RANK for s in statuses):
        return out
    row_entity, whole = columns.whole(ents)
    codes = columns.codes
    rows = np.flatnonzero(row_entity >= 0)
    ent = row_entity[rows]
    # status by year: per (entity, year) the highest rank
    rank_of = np.array([STATUS_RANK[s] for s in statuses], dtype=np.int64)
    year = codes["year"][rows]
    dated = year != MISSING
    e_d, y_d = ent[dated], year[dated]
    r_d = rank_of[codes["status"][rows][dated]] if len(statuses) else np.empty(0, np.int64)
    packed = packed_key([e_d, y_d, r_d])
    order = np.argsort(packed, kind="stable") if packed is not None else np.lexsort((r_d, y_d, e_d))
    e_d, y_d, r_d = e_d[order], y_d[order], r_d[order]
    last = np.ones(len(e_d), dtype=bool)
    last[:-1] = (e_d[1:] != e_d[:-1]) | (y_d[1:] != y_d[:-1])
    status_of_rank = {v: k for k, v in STATUS_RANK.items()}
    by_year: dict[int, dict[int, str]] = {}
    for e, y, r in zip(e_d[last].tolist(), y_d[last].tolist(), r_d[last].tolist(), strict=True):
        by_year.setdefault(e, {})[y] = status_of_rank[r]
    # documents: the distinct (entity, doc) pairs, in entity then name order
    coder = columns.coders["doc"]
    rank = coder.ranks()
    doc_of_rank = np.empty(len(rank), dtype=object)
    doc_of_rank[rank] = coder.values
    pair = ent * len(rank) + rank[codes["doc"][rows]]
    if len(ents) * len(rank) <= 1 << 26:  # a flag per (entity, doc): no sort
        seen = np.zeros(len(ents) * len(rank), dtype=bool)
        seen[pair] = True
        pairs = np.flatnonzero(seen)
    else:
        pairs = np.unique(pair)
    owners = pairs // len(rank) if len(rank) else pairs
    cuts = np.flatnonzero(owners[1:] != owners[:-1]) + 1
    docs = {int(part_owners[0]): "|".join(doc_of_rank[part % len(rank)].tolist())
            for part, part_owners in zip(np.split(pairs, cuts), np.split(owners, cuts),
                                         strict=True) if len(part)}
    zones: dict[int, set[str]] = {}
    belts: dict[int, set[str]] = {}
    for row, zone, belt_keys in columns.stated:
        e = int(row_entity[row])
        if e >= 0:
            if zone:
                zones.setdefault(e, set()).add(zone)
            belts.setdefault(e, set()).update(belt_keys)
    for i in np.flatnonzero(whole).tolist():
        out[i] = _Summary(by_year=by_year.get(i, {}), docs=docs.get(i, ""),
                          zones=zones.get(i, set()), belts=belts.get(i, set()))
    return out


def _objects(values: Sequence[Any], index: np.ndarray) -> np.ndarray:
    """``values[index]`` as an object array (the values themselves, not copies)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array[index]


def _missing_last(values: np.ndarray) -> np.ndarray:
    """An integer column as a sort key: ``MISSING`` after every value."""
    present = values != MISSING
    last = values[present].max() + 1 if present.any() else 0
    return np.where(present, values, last)


#: how a mention gives each timeline column that is coded.
_ATTRIBUTE = {name: attrgetter(name) for name in ("doc", "mode", "status", "status_cue", "sentence")}


def _clip_lines(metric: gpd.GeoSeries, district: BaseGeometry) -> gpd.GeoSeries:
    """Roads and rivers named in the district's documents mean their stretch in it.

    A gazetteer line (an expressway corridor, the whole creek) may run far
    beyond the district; it is cut to the district grown by
    ``settings.line_clip_buffer_m`` so that zones, belts and maps see the
    district's stretch. Lines that do not reach the district are kept whole.
    """
    reach = district.buffer(settings.line_clip_buffer_m)
    out = []
    for geom in metric:
        if geom.geom_type in ("LineString", "MultiLineString") and not reach.contains(geom):
            parts = [
                p for p in shapely.get_parts(geom.intersection(reach))
                if p.geom_type == "LineString" and not p.is_empty
            ]
            if parts:
                geom = parts[0] if len(parts) == 1 else shapely.MultiLineString(parts)
        out.append(geom)
    return gpd.GeoSeries(out, crs=metric.crs)


def layers_from_entities(
    entities: Sequence[Entity],
    *,
    documents: Iterable[Any] = (),
    stated: dict[StatedKey, tuple[str, list[str]]] | None = None,
    columns: MentionColumns | None = None,
    on_timeline: Callable[[pd.DataFrame, list[dict]], None] | None = None,
) -> ProjectLayers:
    """Build the project layer, timeline, zones and belts from resolved entities.

    Parameters
    ----------
    entities : sequence of Entity
        Resolved entities (``geocode.resolve_entities``); ids must be unique.
    documents : iterable of Document or dict, optional
        The documents read; kept as ``name``, ``title``, ``date`` (ISO), ``kind``.
    stated : dict, optional
        ``layers.stated.stated_by_mention`` of every mention of ``entities``,
        computed per document beforehand (the pipeline caches it with each
        extraction); ``None`` computes it here.
    columns : MentionColumns, optional
        The mentions by column (``timeline_from_entities``), for a faster timeline.
    on_timeline : callable, optional
        Called with the timeline and the documents (the ``ProjectLayers``
        ``timeline`` and ``documents`` to come, the same objects) as soon as they
        are made, before the features: the pipeline begins writing them
        (``layers.export.start_save_timeline``) while the rest is made.

    Returns
    -------
    ProjectLayers
        ``projects`` (EPSG:4326, ``PROJECT_COLUMNS``, sorted by id), ``timeline``
        (rows for the entities in ``projects``), ``zones``, ``belts``, ``documents``.

    Raises
    ------
    PlanmapError
        When ids repeat or an entity has an unknown type or precision (every
        problem is listed).
    """
    problems: list[str] = []
    seen = Counter(e.id for e in entities)
    problems += [f"entity id {i!r} repeats {n} times" for i, n in sorted(seen.items()) if n > 1]
    for e in entities:
        if e.type not in TYPES:
            problems.append(
                f"entity {e.id!r} ({e.name!r}) has type {e.type!r}, expected one of {TYPES}"
            )
        if e.precision not in PRECISIONS:
            problems.append(f"entity {e.id!r} ({e.name!r}) has precision {e.precision!r}")
    if problems:
        raise PlanmapError("cannot build layers: " + "; ".join(problems))

    outside = [e for e in entities if not e.in_changning]
    unlocated = [
        e for e in entities if e.in_changning and (e.geometry is None or e.geometry.is_empty)
    ]
    kept = sorted(
        (
            e
            for e in entities
            if e.in_changning and e.geometry is not None and not e.geometry.is_empty
        ),
        key=lambda e: e.id,
    )
    log.info(
        "layers: %d entities -> %d features (%d outside Changning dropped, %d without geometry)",
        len(entities),
        len(kept),
        len(outside),
        len(unlocated),
    )

    # the timeline first: its writers can begin while the features are made
    timeline = timeline_from_entities(kept, columns=columns)
    records_of_documents = _documents(documents)
    if on_timeline is not None:
        on_timeline(timeline, records_of_documents)

    zones = zones_metric()
    belts = belts_metric()
    district = district_metric()
    # prepared (in place; predicates only get faster): each is tested against every feature
    shapely.prepare([district, *zones.values(), *belts.values()])
    zone_of = _ZoneMemo(zones, district)
    columns_stated = stated is not None  # the columns' stated rows are the documents' too
    if stated is None:
        stated = stated_by_mention(m for ent in entities for m in ent.mentions)
    stated_of = stated.get
    nothing: tuple[str, list[str]] = ("", [])
    geoms = gpd.GeoSeries(
        [shapely.make_valid(e.geometry) if not e.geometry.is_valid else e.geometry for e in kept],
        crs=settings.output_crs,
    )
    metric = _clip_lines(geoms.to_crs(settings.metric_crs), district)
    geoms = metric.to_crs(settings.output_crs)
    records = []
    # from the columns when they hold the entity whole and the stated zones are the
    # documents' (the same values as from the mentions, without a pass over them)
    summaries = _summaries(kept, columns if columns_stated else None)
    for ent, gm, summary in zip(kept, metric, summaries, strict=True):
        zone = zone_of(gm)
        belts_geo = sorted(k for k in BELT_KEYS if belts[k].intersects(gm))
        if summary is None:
            summary = _summary(ent, stated_of, nothing)
        z_stated, b_stated = summary.zones, summary.belts
        reach_z = _grown_keys(gm, ent.precision_m, zones) if z_stated else set()
        reach_b = _grown_keys(gm, ent.precision_m, belts) if b_stated else set()
        by_year = summary.by_year
        years = list(by_year)
        records.append(
            {
                "id": ent.id,
                "name": ent.name,
                "aliases": "|".join(sorted(set(ent.aliases))),
                "type": ent.type,
                "in_changning": bool(ent.in_changning),
                "zone": zone,
                "zone_stated": ",".join(sorted(z_stated)),
                "zone_conflict": bool(z_stated - reach_z),
                "belts": ",".join(belts_geo),
                "belts_stated": ",".join(sorted(b_stated)),
                "belt_conflict": bool(b_stated - reach_b),
                "precision": ent.precision,
                "precision_m": float(ent.precision_m) if ent.precision_m is not None else math.nan,
                "geocoder": ent.geocoder,
                "coord_source": ent.coord_source,
                "status_latest": by_year[years[-1]] if years else _latest_status(ent.mentions),
                "first_year": years[0] if years else None,
                "last_year": years[-1] if years else None,
                "status_by_year": json.dumps(
                    {str(y): s for y, s in by_year.items()}, ensure_ascii=False, sort_keys=True
                ),
                "docs": summary.docs,
                "mention_count": len(ent.mentions),
            }
        )
    frame = pd.DataFrame(records, columns=list(PROJECT_COLUMNS))
    for col in ("first_year", "last_year", "mention_count"):
        frame[col] = frame[col].astype("Int64")
    frame["precision_m"] = frame["precision_m"].astype(float)
    for col in ("zone_conflict", "belt_conflict", "in_changning"):
        frame[col] = frame[col].astype(bool)
    projects = gpd.GeoDataFrame(frame, geometry=list(geoms), crs=settings.output_crs)
    stated = int((projects["zone_stated"] != "").sum())
    conflicts = int(projects["zone_conflict"].sum())
    log.info(
        "layers: %d features state a zone in the text, %d disagree with the geometry (flagged)",
        stated,
        conflicts,
    )
    layers = ProjectLayers(
        projects=projects,
        timeline=timeline,
        zones=zone_layer(),
        belts=belt_layer(),
        documents=records_of_documents,
    )
    validate_layers(layers)
    return layers


def _summary(ent: Entity, stated_of: Any, nothing: tuple[str, list[str]]) -> _Summary:
    """``_Summary`` of an entity from its mentions and the stated zones by mention key."""
    zones_stated: set[str] = set()
    belts_stated: set[str] = set()
    for m in ent.mentions:
        z, b = stated_of((m.doc, m.start, m.end, m.name), nothing)
        if z:
            zones_stated.add(z)
        belts_stated.update(b)
    return _Summary(by_year=status_by_year(ent.mentions),
                    docs="|".join(sorted({m.doc for m in ent.mentions})),
                    zones=zones_stated, belts=belts_stated)


def _latest_status(mentions: Sequence[Mention]) -> str:
    """Status of an entity none of whose mentions has a year: the most advanced one."""
    statuses = [m.status for m in mentions]
    return max(statuses, key=lambda s: STATUS_RANK.get(s, 0)) if statuses else "mentioned"


def validate_layers(layers: ProjectLayers) -> None:
    """Check ``layers`` against the layer contract; raise once listing every problem.

    Parameters
    ----------
    layers : ProjectLayers
        The layers to check.

    Raises
    ------
    PlanmapError
        When columns are missing, ids repeat, the CRS is not WGS84, a zone or
        belt key is unknown, or a timeline row names an entity not in the layer.
    """
    problems: list[str] = []
    p = layers.projects
    missing = [c for c in PROJECT_COLUMNS if c not in p.columns]
    if missing:
        problems.append(f"projects lacks columns {missing!r}")
    if p.crs is None or p.crs.to_epsg() != 4326:
        problems.append(f"projects CRS is {p.crs!r}, expected EPSG:4326")
    if "id" in p.columns and p["id"].duplicated().any():
        problems.append(f"repeated ids {sorted(p.loc[p['id'].duplicated(), 'id'])!r}")
    if "zone" in p.columns:
        bad = sorted(set(p["zone"]) - set(ZONE_KEYS) - {OUTSIDE_ZONE})
        if bad:
            problems.append(f"unknown zones {bad!r}")
    for col in ("belts", "belts_stated"):
        if col in p.columns:
            keys = {k for v in p[col] for k in str(v).split(",") if k}
            if keys - set(BELT_KEYS):
                problems.append(f"unknown belts in {col}: {sorted(keys - set(BELT_KEYS))!r}")
    if p.geometry.isna().any() or p.geometry.is_empty.any():
        problems.append("projects has features without geometry")
    missing_t = [c for c in TIMELINE_COLUMNS if c not in layers.timeline.columns]
    if missing_t:
        problems.append(f"timeline lacks columns {missing_t!r}")
    elif "id" in p.columns:
        orphans = sorted(set(layers.timeline["entity_id"]) - set(p["id"]))
        if orphans:
            problems.append(f"timeline rows for entities not in projects: {orphans[:5]!r}")
    if problems:
        raise PlanmapError("invalid project layers: " + "; ".join(problems))
