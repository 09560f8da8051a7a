"""Datum conversions: round trips over Shanghai, and GCJ-02 input is never passed through."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import LineString, Point

from geocode import datums

GEOD = Geod(ellps="WGS84")
shanghai_lon = st.floats(min_value=121.0, max_value=121.9, allow_nan=False)
shanghai_lat = st.floats(min_value=30.7, max_value=31.5, allow_nan=False)


def dist_m(a, b):
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


@settings(max_examples=200, deadline=None)
@given(shanghai_lon, shanghai_lat)
def test_gcj02_round_trip_within_1m(lon, lat):
    back = datums.gcj02_to_wgs84(*datums.wgs84_to_gcj02(lon, lat))
    assert dist_m((lon, lat), back) < 1.0


@settings(max_examples=200, deadline=None)
@given(shanghai_lon, shanghai_lat)
def test_bd09_round_trip_within_1m(lon, lat):
    back = datums.bd09_to_wgs84(*datums.wgs84_to_bd09(lon, lat))
    assert dist_m((lon, lat), back) < 1.0


def test_gcj02_point_is_converted_not_passed_through():
    # a GCJ-02 point in Changning (the shmetro 中山公园 station as Amap gives it)
    gcj = (121.416485, 31.218045)
    wgs = datums.gcj02_to_wgs84(*gcj)
    shift = dist_m(gcj, wgs)
    assert 400 < shift < 600, shift
    # the shift goes west and north in Shanghai
    assert wgs[0] < gcj[0] and wgs[1] > gcj[1]


def test_bd09_is_further_off_than_gcj02():
    lon, lat = 121.41, 31.21
    bd = datums.wgs84_to_bd09(lon, lat)
    gcj = datums.wgs84_to_gcj02(lon, lat)
    assert dist_m((lon, lat), bd) > dist_m((lon, lat), gcj) > 400


def test_to_wgs84_dispatches_and_rejects_unknown():
    p = (121.42, 31.22)
    assert datums.to_wgs84(*p, "WGS84") == p
    assert datums.to_wgs84(*p, "gcj02") == datums.gcj02_to_wgs84(*p)
    assert datums.to_wgs84(*p, "Baidu") == datums.bd09_to_wgs84(*p)
    with pytest.raises(ValueError, match="unknown datum"):
        datums.to_wgs84(*p, "Tokyo")


def test_geometry_to_wgs84_converts_every_vertex():
    line = LineString([(121.40, 31.20), (121.43, 31.23)])
    out = datums.geometry_to_wgs84(line, "GCJ-02")
    assert out.geom_type == "LineString"
    for (x0, y0), (x1, y1) in zip(line.coords, out.coords, strict=True):
        assert (x1, y1) == pytest.approx(datums.gcj02_to_wgs84(x0, y0))
    assert datums.geometry_to_wgs84(Point(1, 2), "WGS84").equals(Point(1, 2))
