"""layers.build: the zone and grown-keys shortcuts answer as the plain GEOS operations."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geocode.gazetteer import load_gazetteer
from gis import settings
from layers.build import (
    _SURELY_INSIDE,
    _SURELY_OUTSIDE,
    CONFLICT_TOLERANCE_M,
    _grown_keys,
    _ZoneMemo,
    assign_zone,
)
from layers.zones import ZONE_KEYS, belts_metric, district_metric, zones_metric
from maps.palette import OUTSIDE_ZONE

TOLERANCES = (None, 0.0, 0.5, 40.0, 150.0, 420.0, 800.0)


def _plain_grown_keys(geom, precision_m, polys):
    tol = 0.0 if precision_m is None or not np.isfinite(precision_m) else precision_m
    tol = min(max(tol, 0.0), CONFLICT_TOLERANCE_M)
    grown = geom.buffer(tol) if tol > 0 else geom
    return {k for k, poly in polys.items() if grown.intersects(poly)}


def _plain_zone(geom, zones, district):
    if geom.is_empty or not geom.intersects(district):
        return OUTSIDE_ZONE
    dim = shapely.get_dimensions(geom)
    shares = {}
    for key in ZONE_KEYS:
        part = geom.intersection(zones[key])
        if part.is_empty or shapely.get_dimensions(part) < dim:
            shares[key] = 0.0
        else:
            shares[key] = {2: part.area, 1: part.length}.get(shapely.get_dimensions(part), 1.0)
    best = max(ZONE_KEYS, key=lambda k: shares[k])
    if shares[best] > 0:
        return best
    point = geom.representative_point()
    return min(ZONE_KEYS, key=lambda k: zones[k].distance(point))


@pytest.fixture(scope="module")
def structure():
    zones, belts, district = zones_metric(), belts_metric(), district_metric()
    shapely.prepare([district, *zones.values(), *belts.values()])
    return zones, belts, district


@pytest.fixture(scope="module")
def geometries(structure):
    """The gazetteer's geometries near the district, and points in a grid over it."""
    _, _, district = structure
    gaz = load_gazetteer().to_crs(settings.metric_crs)
    reach = district.buffer(1500.0)
    geoms = [g.intersection(reach) if not reach.contains(g) else g
             for g in gaz.geometry if g.intersects(reach)]
    x0, y0, x1, y1 = reach.bounds
    grid = shapely.points(*np.meshgrid(np.linspace(x0, x1, 23), np.linspace(y0, y1, 19)))
    return [g for g in geoms if not g.is_empty] + list(grid.ravel())


def test_grown_keys_answers_as_the_buffer(structure, geometries):
    zones, belts, _ = structure
    unsure = 0
    for geom in geometries:
        for tol in TOLERANCES:
            for polys in (zones, belts):
                assert _grown_keys(geom, tol, polys) == _plain_grown_keys(geom, tol, polys)
            if tol and tol >= 1.0:
                d = shapely.distance(geom, list(zones.values()))
                cap = min(tol, CONFLICT_TOLERANCE_M)
                unsure += int(((d > _SURELY_INSIDE * cap) & (d <= _SURELY_OUTSIDE * cap)).any())
    assert unsure > 0  # the buffer was still asked for some


def test_zone_memo_and_shortcuts_answer_as_the_overlay(structure, geometries):
    zones, _, district = structure
    memo = _ZoneMemo(zones, district)
    answers = [assign_zone(g, zones, district) for g in geometries]
    assert answers == [_plain_zone(g, zones, district) for g in geometries]
    assert [memo(g) for g in geometries + geometries[::-1]] == answers + answers[::-1]
    assert set(answers) == {*ZONE_KEYS, OUTSIDE_ZONE}
