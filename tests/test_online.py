"""Opt-in online geocoding with a fake geopy-compatible geocoder: never the network."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from geopy.exc import GeocoderQuotaExceeded, GeocoderTimedOut
from geopy.location import Location
from shapely.geometry import Point, box

from geocode.datums import bd09_to_wgs84, wgs84_to_bd09
from geocode.model import Mention
from geocode.online import OnlineGeocoder, make_online_geocoder
from geocode.resolve import resolve_entities
from gis._errors import GeocodeError

DISTRICT = box(121.33, 31.18, 121.44, 31.25)


class FakeGeocoder:
    """Answers from a dict; raises what it is told to; counts calls."""

    def __init__(self, answers=None, error=None):
        self.answers = answers or {}
        self.error = error
        self.queries = []

    def geocode(self, query, **kwargs):
        self.queries.append(query)
        if self.error is not None:
            raise self.error
        lonlat = self.answers.get(query)
        if lonlat is None:
            return None
        return Location(query, (lonlat[1], lonlat[0]), {})


def make(fake, tmp_path, provider="nominatim"):
    return OnlineGeocoder(fake, provider, cache_folder=tmp_path, min_delay_seconds=0, district=DISTRICT)


def test_answer_is_cached_on_disk_and_read_before_calling(tmp_path):
    fake = FakeGeocoder({"上海市长宁区某广场": (121.40, 31.21)})
    g = make(fake, tmp_path)
    a = g.geocode("某广场")
    assert a.point.equals(Point(121.40, 31.21)) and a.provider == "nominatim"
    cache = json.loads((tmp_path / "online_nominatim.json").read_text(encoding="utf-8"))
    assert cache == {"上海市长宁区某广场": [121.40, 31.21]}
    # a new geocoder on the same folder answers from the cache, without calling
    fake2 = FakeGeocoder(error=GeocoderTimedOut("must not be called"))
    b = make(fake2, tmp_path).geocode("某广场")
    assert b.point.equals(a.point) and fake2.queries == []


def test_no_answer_is_cached_too(tmp_path):
    fake = FakeGeocoder()
    g = make(fake, tmp_path)
    assert g.geocode("无名地") is None and g.geocode("无名地") is None
    assert len(fake.queries) == 1


@pytest.mark.parametrize("error", [GeocoderTimedOut("slow"), GeocoderQuotaExceeded("quota")])
def test_failure_keeps_the_offline_answer(tmp_path, error, caplog):
    fake = FakeGeocoder(error=error)
    g = make(fake, tmp_path)
    assert g.geocode("某广场") is None
    assert g.failures == 1 and "keeping the offline answer" in caplog.text
    assert not (tmp_path / "online_nominatim.json").exists()  # failures are not cached
    gaz = gpd.GeoDataFrame(
        [dict(id="d", name="长宁区", aliases="", type="area", in_changning=True, precision_m=5000.0,
              source="t", source_datum="WGS84", note="", geometry=DISTRICT),
         dict(id="r", name="某路", aliases="", type="road", in_changning=True, precision_m=900.0,
              source="t", source_datum="WGS84", note="", geometry=Point(121.40, 31.20).buffer(0.001).exterior)],
        geometry="geometry", crs="EPSG:4326")
    m = Mention(doc="a", line=1, start=0, end=6, surface="某路某广场", name="某路某广场", type="venue",
                year=None, mode="plan", status="planned", status_cue="", sentence="某路某广场")
    (e,) = resolve_entities([m], gazetteer=gaz, online=g)
    assert e.gazetteer_id == "r" and e.precision == "road" and e.geocoder == "locator"


def test_online_answer_improves_a_coarse_offline_one(tmp_path):
    fake = FakeGeocoder({"上海市长宁区某广场": (121.41, 31.21)})
    g = make(fake, tmp_path)
    gaz = gpd.GeoDataFrame(
        [dict(id="d", name="长宁区", aliases="", type="area", in_changning=True, precision_m=5000.0,
              source="t", source_datum="WGS84", note="", geometry=DISTRICT)],
        geometry="geometry", crs="EPSG:4326")
    m = Mention(doc="a", line=1, start=0, end=3, surface="某广场", name="某广场", type="venue",
                year=None, mode="plan", status="planned", status_cue="", sentence="某广场")
    (e,) = resolve_entities([m], gazetteer=gaz, online=g)
    assert e.geocoder == "nominatim" and e.precision == "approximate"
    assert e.geometry.equals(Point(121.41, 31.21))


def test_answer_outside_the_district_is_refused(tmp_path):
    fake = FakeGeocoder({"上海市长宁区某广场": (121.60, 31.20)})
    assert make(fake, tmp_path).geocode("某广场") is None


def test_baidu_answers_are_converted_from_bd09(tmp_path):
    wgs = (121.40, 31.21)
    bd = wgs84_to_bd09(*wgs)
    fake = FakeGeocoder({"上海市长宁区某广场": bd})
    a = make(fake, tmp_path, provider="baidu").geocode("某广场")
    assert (a.point.x, a.point.y) == pytest.approx(bd09_to_wgs84(*bd))
    assert a.point.distance(Point(wgs)) < 1e-5  # back on the WGS84 spot, not ~700 m off
    assert Point(bd).distance(Point(wgs)) > 5e-3


def test_make_online_geocoder_checks_provider_and_key(tmp_path, monkeypatch):
    with pytest.raises(GeocodeError, match="unknown online provider"):
        make_online_geocoder("google", cache_folder=tmp_path)
    monkeypatch.delenv("PLANMAP_ONLINE_API_KEY", raising=False)
    monkeypatch.setattr("gis.settings.online_api_key", None)
    with pytest.raises(GeocodeError, match="API key"):
        make_online_geocoder("baidu", cache_folder=tmp_path)
    g = make_online_geocoder("nominatim", cache_folder=tmp_path, geocoder=FakeGeocoder(), min_delay_seconds=0)
    assert g.provider == "nominatim" and g.cache_path.parent == tmp_path
