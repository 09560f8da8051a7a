"""Resolution paths on a small gazetteer written for the test, plus the bundled one."""

from __future__ import annotations

import csv

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from geocode.model import Mention, entity_id
from geocode.resolve import precision_class, resolve_entities, write_unresolved_csv

COLS = ["id", "name", "aliases", "type", "in_changning", "precision_m", "source", "source_datum", "note"]


def row(id_, name, type_, geom, prec, aliases="", in_cn=True, source="test"):
    return dict(zip(COLS, [id_, name, aliases, type_, in_cn, float(prec), source, "WGS84", ""], strict=True),
                geometry=geom)


@pytest.fixture()
def gaz():
    rows = [
        row("d", "长宁区", "area", box(121.30, 31.15, 121.50, 31.30), 9000, aliases="长宁"),
        row("s1", "甲街道", "subdistrict", box(121.30, 31.15, 121.40, 31.30), 4000, aliases="甲"),
        row("a1", "东部片区", "area", box(121.40, 31.15, 121.50, 31.30), 5000),
        row("r1", "测试路", "road", LineString([(121.41, 31.20), (121.45, 31.20)]), 1500,
            source="OpenStreetMap"),
        row("r2", "横路", "road", LineString([(121.43, 31.18), (121.43, 31.22)]), 1500, source="OpenStreetMap"),
        row("p100", "测试路100弄", "community", Point(121.420, 31.2001), 100),
        row("p200", "测试路200弄", "community", Point(121.425, 31.2001), 100),
        row("k1", "乙公园", "park", Point(121.35, 31.22), 300, aliases="乙园"),
        row("o1", "远方机场", "transit", Point(121.80, 31.14), 3000, in_cn=False),
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def mention(name, type_="other", *, surface=None, locators=(), section="", doc="a.txt", start=0, in_cn=True):
    return Mention(doc=doc, line=1, start=start, end=start + len(surface or name), surface=surface or name,
                   name=name, type=type_, year=2022, mode="review", status="mentioned", status_cue="",
                   sentence=f"……{surface or name}……", in_changning=in_cn, section=section,
                   locators=list(locators))


def one(mentions, gaz, **kw):
    out = resolve_entities(mentions, gazetteer=gaz, **kw)
    assert len(out) == 1
    return out[0]


def test_exact_name(gaz):
    e = one([mention("乙公园", "park")], gaz)
    assert (e.geocoder, e.gazetteer_id, e.precision) == ("gazetteer", "k1", "approximate")
    assert e.geometry.equals(Point(121.35, 31.22)) and e.precision_m == 300
    assert e.coord_source == "test"


def test_alias_surface_and_grouping(gaz):
    ms = [mention("乙公园", "park", surface="乙园", start=50), mention("乙公园", "park", start=10, doc="b.txt")]
    e = one(ms, gaz)
    assert e.aliases == ["乙园"]
    assert [m.doc for m in e.mentions] == ["a.txt", "b.txt"]
    assert e.id == entity_id("乙公园", "park")


def test_exact_address_point(gaz):
    e = one([mention("测试路100弄综合项目", "building")], gaz)
    assert e.geocoder == "locator" and e.gazetteer_id == "p100"
    assert e.precision == "exact"


def test_interpolated_house_number(gaz):
    e = one([mention("测试路150弄", "community")], gaz)
    assert e.geocoder == "locator" and e.precision == "approximate"
    assert e.geometry.x == pytest.approx(121.4225, abs=1e-6)
    assert "interpolated" in e.coord_source
    assert 100 < e.precision_m <= 500


def test_house_number_far_off_falls_back_to_road(gaz):
    e = one([mention("测试路900弄", "community")], gaz)
    assert e.precision == "road" and e.gazetteer_id == "r1"
    assert e.geometry.geom_type == "LineString"


def test_locator_inside_subdistrict(gaz):
    e = one([mention("甲街道250街坊", "plot")], gaz)
    assert (e.precision, e.gazetteer_id, e.geocoder) == ("subdistrict", "s1", "locator")
    assert e.geometry.geom_type == "Polygon"


def test_mention_locators_are_hints(gaz):
    e = one([mention("北横通道某匝道", "transit", locators=["测试路"])], gaz)
    assert e.gazetteer_id == "r1" and e.precision == "road"


def test_two_roads_give_their_crossing(gaz):
    e = one([mention("测试路横路人行天桥", "transit")], gaz)
    assert e.precision == "exact"
    assert e.geometry.distance(Point(121.43, 31.20)) < 1e-6
    assert "crossing" in e.coord_source


def sentence_mention(name, sentence, type_="building", doc="a.txt"):
    m = mention(name, type_, doc=doc)
    m.sentence = sentence
    return m


def test_part_of_a_site_named_before_it(gaz):
    e = one([sentence_mention("日间中心大楼", "推进乙公园新建日间中心大楼、其他项目建设。")], gaz)
    assert (e.geocoder, e.gazetteer_id) == ("locator", "k1")
    assert e.precision_m == 400 and e.precision == "approximate"
    assert e.coord_source.startswith("part of 乙公园")


def test_part_rule_needs_an_adjacent_site(gaz):
    # a list separator breaks the link; a road before it is no parent; no sentence, no parent
    for sentence in ("推进乙公园、日间中心大楼建设。", "测试路日间中心大楼", "日间中心大楼建成"):
        e = one([sentence_mention("日间中心大楼", sentence)], gaz, district_fallback=False)
        assert e.geometry is None, sentence


def test_part_rule_sentences_disagree(gaz):
    gaz = gaz.copy()
    gaz.loc[len(gaz)] = row("k2", "丙医院", "building", Point(121.36, 31.21), 200)
    ms = [sentence_mention("日间中心大楼", "乙公园新建日间中心大楼"),
          sentence_mention("日间中心大楼", "丙医院日间中心大楼", doc="b.txt")]
    e = one(ms, gaz, district_fallback=False)
    assert e.geometry is None


def test_enclosing_area_from_section(gaz):
    e = one([mention("望春花地块", "plot", section="五、空间格局 > （三）东部片区")], gaz)
    assert (e.geocoder, e.gazetteer_id, e.precision) == ("area", "a1", "area")


def _with(gaz, *rows):
    extra = gpd.GeoDataFrame(list(rows), geometry="geometry", crs="EPSG:4326")
    return gpd.GeoDataFrame(pd.concat([gaz, extra], ignore_index=True), geometry="geometry", crs="EPSG:4326")


def test_a_name_opening_with_a_zone_word_lies_in_that_zone(gaz):
    g = _with(gaz, row("z1", "西部测试地区", "area", box(121.30, 31.15, 121.35, 31.30), 6000))
    e = one([mention("西部四公园", "park")], g, district_fallback=False)
    assert (e.geocoder, e.gazetteer_id, e.precision) == ("area", "z1", "area")
    assert "西部测试地区" in e.coord_source
    # an alias opening with the word counts too; a place outside the district does not
    e = one([mention("某公园", "park", surface="西部某公园")], g, district_fallback=False)
    assert e.gazetteer_id == "z1"
    e = one([mention("西部新城", "area", in_cn=False)], g, district_fallback=False)
    assert e.geometry is None
    # no zone of that word, or two rows opening with it: no guess
    e = one([mention("东部某公园", "park")], g, district_fallback=False)
    assert e.geometry is None  # 东部片区 is no …地区 zone row
    g2 = _with(g, row("z2", "西部另一地区", "area", box(121.30, 31.15, 121.33, 31.30), 6000))
    e = one([mention("西部四公园", "park")], g2, district_fallback=False)
    assert e.geometry is None


def test_district_fallback_and_unresolved(gaz, tmp_path):
    e = one([mention("某某中心", "building")], gaz)
    assert (e.geocoder, e.gazetteer_id, e.precision) == ("area", "d", "area")
    e = one([mention("某某中心", "building")], gaz, district_fallback=False)
    assert e.geometry is None and e.precision == "unresolved" and e.precision_m is None
    assert "no gazetteer name" in e.unresolved_reason
    out = tmp_path / "unresolved.csv"
    assert write_unresolved_csv([e], out) == 1
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["name"] == "某某中心" and rows[0]["reason"] == e.unresolved_reason


def test_outside_entities_are_not_put_in_the_district(gaz):
    e = one([mention("远方某城", "area", in_cn=False)], gaz)
    assert e.geometry is None and "outside" in e.unresolved_reason
    e = one([mention("远方机场", "transit", in_cn=True)], gaz)
    assert e.in_changning is False  # the gazetteer row decides


def test_sorted_by_id_and_stable(gaz):
    ms = [mention(n) for n in ("乙公园", "测试路", "甲街道", "某地")]
    a = resolve_entities(ms, gazetteer=gaz)
    b = resolve_entities(list(reversed(ms)), gazetteer=gaz)
    assert [e.id for e in a] == sorted(e.id for e in a) == [e.id for e in b]


def test_precision_class_thresholds():
    p = Point(0, 0)
    assert precision_class("park", p, 100) == "exact"
    assert precision_class("park", p, 101) == "approximate"
    assert precision_class("park", p, 501) == "area"
    assert precision_class("road", p, 10) == "road"
    assert precision_class("subdistrict", p, 10) == "subdistrict"


# ----------------------------------------------------------------------------- bundled data
def test_bundled_gazetteer_places_known_sites():
    ms = [mention("娄山关路站", "transit"), mention("程家桥街道250街坊", "plot"),
          mention("苏州河", "river", surface="苏河"), mention("天山路680弄", "building")]
    got = {e.name: e for e in resolve_entities(ms)}
    assert got["娄山关路站"].precision in {"exact", "approximate"} and got["娄山关路站"].precision_m <= 300
    assert got["程家桥街道250街坊"].precision == "subdistrict"
    assert got["苏州河"].geometry.geom_type in {"LineString", "MultiLineString"}
    assert got["天山路680弄"].precision == "approximate"
