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
from collections.abc import Iterable, Sequence
from operator import attrgetter, itemgetter
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

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
    if geom_metric.is_empty or not geom_metric.intersects(district):
        return OUTSIDE_ZONE
    dim = shapely.get_dimensions(geom_metric)
    shares: dict[str, float] = {}
    for key in ZONE_KEYS:
        part = geom_metric.intersection(zones[key])
        shares[key] = _measure(part) if shapely.get_dimensions(part) >= dim else 0.0
    best = max(ZONE_KEYS, key=lambda k: shares[k])
    if shares[best] > 0:
        return best
    # touches the district only along an edge: nearest zone to its representative point
    point = geom_metric.representative_point()
    return min(ZONE_KEYS, key=lambda k: zones[k].distance(point))


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


def _grown_keys(
    geom: BaseGeometry, precision_m: float | None, polys: dict[str, BaseGeometry]
) -> set[str]:
    tol = 0.0 if precision_m is None or not math.isfinite(precision_m) else precision_m
    tol = min(max(tol, 0.0), CONFLICT_TOLERANCE_M)
    grown = geom.buffer(tol) if tol > 0 else geom
    return {k for k, poly in polys.items() if grown.intersects(poly)}


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


def timeline_from_entities(entities: Sequence[Entity]) -> pd.DataFrame:
    """One row per (entity, year, status, doc, line, evidence).

    Parameters
    ----------
    entities : sequence of Entity
        Entities whose mentions make the rows.

    Returns
    -------
    DataFrame
        Columns ``TIMELINE_COLUMNS``; ``year`` and ``line`` are nullable
        integers; rows sorted by entity id, year, doc, line, status.
    """
    # pure Python, per entity: the same rows, duplicates and order as
    # drop_duplicates(entity_id, year, status, doc, line, evidence) followed by a
    # stable sort by (entity_id, year, doc, line, status) with missing values last
    by_id: dict[str, list[tuple[str, list[tuple]]]] = {}
    for ent in entities:  # rows as (year, mode, status, status_cue, doc, line, sentence)
        by_id.setdefault(ent.id, []).append((ent.name, list(map(_ROW, ent.mentions))))
    columns: list[list[Any]] = [[] for _ in TIMELINE_COLUMNS]
    for eid in sorted(by_id):
        parts = by_id.pop(eid)
        if len(parts) == 1:  # ids are unique in a build; repeated ones are merged here
            rows = parts[0][1]
        else:
            rows = [r for _, part in parts for r in part]
        seen: set[tuple] = set()
        keep = []
        for i, key in enumerate(map(_ROW_KEY, rows)):
            if key not in seen:
                seen.add(key)
                keep.append(i)
        keep.sort(key=lambda i, rows=rows: _timeline_order(rows[i]))
        columns[0].extend([eid] * len(keep))
        if len(parts) == 1:
            columns[1].extend([parts[0][0]] * len(keep))
        else:
            names = [name for name, part in parts for _ in part]
            columns[1].extend([names[i] for i in keep])
        picked = [rows[i] for i in keep]
        for column, values in zip(columns[2:], zip(*picked, strict=True), strict=False):
            column.extend(values)
    df = pd.DataFrame(
        {
            col: pd.array(values, dtype="Int64" if col in ("year", "line") else object)
            for col, values in zip(TIMELINE_COLUMNS, columns, strict=True)
        },
        columns=list(TIMELINE_COLUMNS),
    )
    for col in ("entity_id", "name", "mode", "status", "status_cue", "doc", "evidence"):
        df[col] = df[col].astype(object)  # pandas infers its str dtype; the contract is object
    return df


#: a mention's timeline values: year, mode, status, status_cue, doc, line, sentence (evidence).
_ROW = attrgetter("year", "mode", "status", "status_cue", "doc", "line", "sentence")
#: the values that make a timeline row a repeat: year, status, doc, line, evidence.
_ROW_KEY = itemgetter(0, 2, 4, 5, 6)


def _timeline_order(row: tuple) -> tuple:
    """Sort key of a ``_ROW``: year, doc, line, status; missing year or line last."""
    year, line = row[0], row[5]
    return (year is None, year or 0, row[4], line is None, line or 0, row[2])


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

    zones = zones_metric()
    belts = belts_metric()
    district = district_metric()
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
    for ent, gm in zip(kept, metric, strict=True):
        zone = assign_zone(gm, zones, district)
        belts_geo = sorted(k for k in BELT_KEYS if gm.intersects(belts[k]))
        z_stated: set[str] = set()
        b_stated: set[str] = set()
        for m in ent.mentions:
            z, b = stated_of((m.doc, m.start, m.end, m.name), nothing)
            if z:
                z_stated.add(z)
            b_stated.update(b)
        reach_z = _grown_keys(gm, ent.precision_m, zones) if z_stated else set()
        reach_b = _grown_keys(gm, ent.precision_m, belts) if b_stated else set()
        by_year = status_by_year(ent.mentions)
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
                "docs": "|".join(sorted({m.doc for m in ent.mentions})),
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
    timeline = timeline_from_entities(kept)
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
        documents=_documents(documents),
    )
    validate_layers(layers)
    return layers


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
