"""The gazetteer build script's derivations, alias rules and the self-check of curated rows."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from geocode.gazetteer import load_gazetteer, name_index
from geocode.model import Mention
from geocode.resolve import resolve_entities

REPO = Path(__file__).resolve().parent.parent


def _module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def builder():
    return _module("build_gazetteer", REPO / "scripts" / "build_gazetteer.py")


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def addresses(*rows):
    """Address points (road, number, lon, lat) in the shape of ``parse_addresses``."""
    return gpd.GeoDataFrame(
        {"road": [r[0] for r in rows], "num": [float(r[1]) for r in rows],
         "clean": [f"{r[0]}{r[1]}号" for r in rows]},
        geometry=[Point(r[2], r[3]) for r in rows], crs="EPSG:4326")


# ----------------------------------------------------------------------------- house numbers
def test_house_number_exact_interpolated_nearest_none(builder):
    a = addresses(("测试路", 100, 121.400, 31.20), ("测试路", 200, 121.404, 31.20),
                  ("测试路", 1000, 121.460, 31.20))
    pt, unc, how = builder.house_number_point(a, "测试路", 100)
    assert pt.equals(Point(121.400, 31.20)) and unc == builder.ADDRESS_POINT_M and "address point" in how
    pt, unc, how = builder.house_number_point(a, "测试路", 150)
    assert pt.x == pytest.approx(121.402) and "interpolated" in how
    gap = builder.metres(Point(121.400, 31.20), Point(121.404, 31.20))
    assert unc == pytest.approx(builder.ADDRESS_POINT_M + gap / 2)  # uncertainty grows with the gap
    pt, unc, how = builder.house_number_point(a, "测试路", 1030)  # beyond the last number, but close
    assert "nearest" in how and unc == builder.NEAREST_NUMBER_M
    assert builder.house_number_point(a, "测试路", 5000) is None
    assert builder.house_number_point(a, "别的路", 100) is None


def test_house_number_prefers_the_tightest_bracket(builder):
    # 597 on this side is far off in number; 1088 and 1118 (other side) bracket 1111 closely
    a = addresses(("测试路", 597, 121.370, 31.21), ("测试路", 1225, 121.3715, 31.21),
                  ("测试路", 1088, 121.380, 31.20), ("测试路", 1118, 121.382, 31.20))
    _pt, _unc, how = builder.house_number_point(a, "测试路", 1111)
    assert "1088" in how and "1118" in how


def test_house_number_drops_off_road_outliers_in_the_osm_box(builder):
    road = LineString([(121.415, 31.200), (121.425, 31.200)])
    a = addresses(("测试路", 100, 121.416, 31.200), ("测试路", 102, 121.420, 31.206))  # 102: 660 m off
    got = builder.house_number_point(a, "测试路", 102, road_geom=road)
    assert got is not None and "nearest" in got[2] and got[0].equals(Point(121.416, 31.200))


def test_house_number_keeps_the_consistent_one_of_two_points(builder):
    # the geocoder gave 200 twice: once on the road, once 660 m south of it
    a = addresses(("测试路", 100, 121.400, 31.200), ("测试路", 200, 121.404, 31.194),
                  ("测试路", 200, 121.404, 31.200), ("测试路", 300, 121.408, 31.200))
    pt, unc, how = builder.house_number_point(a, "测试路", 200)
    assert pt.equals(Point(121.404, 31.200)) and unc == builder.ADDRESS_POINT_M
    pt, _unc, how = builder.house_number_point(a, "测试路", 250)
    assert "interpolated" in how and pt.y == pytest.approx(31.200)


def test_house_number_extrapolated_a_little_beyond_the_last(builder):
    a = addresses(("测试路", 100, 121.400, 31.20), ("测试路", 200, 121.404, 31.20))
    pt, unc, how = builder.house_number_point(a, "测试路", 280)  # 80 numbers past 200
    assert "extrapolated" in how and pt.x == pytest.approx(121.4072, abs=1e-6)
    assert unc == pytest.approx(builder.ADDRESS_POINT_M + 2 * builder.metres(Point(121.404, 31.20), pt), abs=0.1)
    pt, unc, how = builder.house_number_point(a, "测试路", 40)  # before the first number
    assert "extrapolated" in how and pt.x == pytest.approx(121.3976, abs=1e-6)
    assert unc >= builder.NEAREST_NUMBER_M
    assert builder.house_number_point(a, "测试路", 400) is None  # too far past the data


def test_crossing_point_of_lines_that_meet_or_nearly_meet(builder):
    rows = builder.Rows(Point(121.40, 31.20).buffer(0.1))
    src = dict(accuracy_m=20, source="© OpenStreetMap contributors (ODbL)", datum="WGS84")
    rows.add("甲路", "road", LineString([(121.39, 31.20), (121.41, 31.20)]), **src)
    rows.add("乙路", "road", LineString([(121.40, 31.19), (121.40, 31.21)]), **src)
    rows.add("丙路", "road", LineString([(121.40, 31.201), (121.40, 31.22)]), **src)  # starts 111 m north
    rows.add("丁路", "road", LineString([(121.45, 31.19), (121.45, 31.21)]), **src)
    pt, unc, how = builder.crossing_point(rows, "甲路", "乙路")
    assert pt.equals(Point(121.40, 31.20)) and unc == 100 and how == "甲路 × 乙路"
    pt, unc, how = builder.crossing_point(rows, "甲路", "丙路")
    assert pt.y == pytest.approx(31.2005) and 200 < unc < 220 and "apart" in how
    assert builder.crossing_point(rows, "甲路", "丁路") is None  # 4.7 km apart
    assert builder.crossing_point(rows, "甲路", "没有路") is None


# ----------------------------------------------------------------------------- alias rules
def test_a_plot_or_phase_is_refused_as_an_alias(builder):
    cur = pd.DataFrame({"name": ["东航", "乙"], "aliases": ["东航K1-01地块|东航基地", "某期"]})
    with pytest.raises(SystemExit, match="东航K1-01地块"):
        builder.check_aliases(cur)
    cur = pd.DataFrame({"name": ["甲", "乙"], "aliases": ["共名", "共名"]})
    with pytest.raises(SystemExit, match="both"):
        builder.check_aliases(cur)


def test_curated_aliases_pass_the_rule(builder):
    builder.check_aliases(pd.read_csv(builder.SOURCES / "curated_places.csv", dtype=str, keep_default_na=False))


def test_bundled_alias_merges(gaz):
    ix = name_index(gaz)
    assert ix["上海生物制品研究所"].name == "上生·新所"
    assert ix["上生新所二期"].name == "上生新所二期"  # a phase is its own row
    assert ix["东航K1-01地块"].name == "东航K1-01地块" and ix["东航K1-01地块"].type == "plot"
    assert ix["东航友乐路商办楼"].name == "东航友乐路商办楼"
    assert ix["体操中心"].name == "上海国际体操中心"
    assert ix["孙科住宅"].name == "孙科别墅"
    assert ix["新华社区"].name == "新华路街道"
    assert ix["延安高架"].name == "延安高架路"  # aliases survive a later geometry of the same row
    # the park and the zone are different rows
    assert ix["临空园区"].name == "虹桥临空经济园区"
    assert ix["临空地区"].name == "虹桥临空经济示范区"
    # the west functional zone is a row of its own, not an alias of the 示范区 inside it
    assert ix["西部临空地区"].name == "西部临空地区"


def test_the_hub_is_not_the_business_district(gaz):
    ix = name_index(gaz)
    assert ix["虹桥商务区"].name == "虹桥国际中央商务区"
    hub = ix["虹桥国际开放枢纽"]
    assert hub.name == "虹桥国际开放枢纽" and hub.in_changning is False
    assert ix["北向拓展带"].name == "虹桥国际开放枢纽北向拓展带"
    row = gaz[gaz["name"] == "虹桥国际中央商务区"].iloc[0]
    assert "虹桥国际开放枢纽" not in row["aliases"].split("|")


def test_a_class_of_building_is_not_a_landmark_name(builder, gaz):
    assert builder.GENERIC_LANDMARK.fullmatch("花园住宅")
    assert builder.GENERIC_LANDMARK.fullmatch("花园住宅群")
    assert not builder.GENERIC_LANDMARK.fullmatch("宋氏花园住宅")
    assert not builder.GENERIC_LANDMARK.fullmatch("孙科别墅")
    ix = name_index(gaz)
    assert "花园住宅" not in ix and "花园住宅群" not in ix


# ----------------------------------------------------------------------------- derivations
def test_derived_rows_name_their_derivation(gaz):
    rows = gaz.set_index("name")
    hua = rows.loc["华东政法大学长宁校区"]
    assert hua["source"].startswith("derived: 万航渡路1575号") and "Amap" in hua["source"]
    assert hua["precision_m"] >= 300  # a campus, not its gate
    tongren = rows.loc["同仁医院"]
    assert "interpolated" in tongren["source"] and tongren["precision_m"] >= 300
    market = rows.loc["美天安顺菜场"]
    assert market["source"].startswith("derived: on 安顺路")
    assert market["precision_m"] == rows.loc["安顺路"]["precision_m"]  # the road's, not twice it
    assert rows.loc["东航K1-01地块"]["source"] == "estimate"  # anchored on an estimate stays one


def test_long_roads_keep_their_far_ends(gaz):
    rows = gaz.set_index("name")
    road = rows.loc["虹桥路"].geometry
    assert road.distance(Point(121.3823, 31.2030)) < 0.002  # 虹桥路1889弄, 3 km west of the OSM box


def test_curated_and_estimated_rows_pass_the_self_check(gaz, builder):
    check = _module("gazetteer_check", REPO / "bench" / "gazetteer_check.py")
    curated = pd.read_csv(builder.SOURCES / "curated_places.csv", dtype=str, keep_default_na=False)
    findings = check.check_rows(gaz, curated, builder)
    assert findings
    flagged = [f for f in findings if f.flagged]
    assert not flagged, flagged


def test_check_flags_a_precision_the_evidence_denies(gaz, builder):
    check = _module("gazetteer_check", REPO / "bench" / "gazetteer_check.py")
    fake = gaz[gaz["name"] == "长宁区"].copy()
    extra = gaz[gaz["name"] == "中山公园站"].copy()
    park = gaz[gaz["name"] == "中山公园"].copy()
    park["geometry"] = [Point(121.38, 31.21)]  # 3 km off its station
    park["precision_m"] = 300.0
    curated = pd.DataFrame({"name": ["中山公园"], "evidence": [""]})
    findings = check.check_rows(pd.concat([fake, extra, park]), curated, builder)
    assert any(f.flagged and f.evidence == "station:中山公园站" for f in findings)


def test_note_address_is_the_first_known_road_and_number(builder):
    check = _module("gazetteer_check", REPO / "bench" / "gazetteer_check.py")
    roads = {"遵义路", "仙霞路", "延安西路"}
    assert check.note_address("east gate 遵义路101号, south gate 仙霞路127号 (http://x/1234)", roads) == "遵义路101号"
    assert check.note_address("位于延安西路1731号", roads) == "延安西路1731号"
    assert check.note_address("武定西路1251弄20号", roads) is None
    assert check.note_address("blogId=42664", roads) is None


def test_check_flags_a_row_far_from_the_address_in_its_note(gaz, builder):
    check = _module("gazetteer_check", REPO / "bench" / "gazetteer_check.py")
    fake = gaz[gaz["name"] == "长宁区"].copy()
    park = gaz[gaz["name"] == "天山公园"].copy()
    park["geometry"] = [Point(121.38, 31.21)]  # 3 km west of 延安西路1731号
    curated = pd.DataFrame({"name": ["天山公园"], "evidence": [""]})
    findings = check.check_rows(pd.concat([fake, park]), curated, builder)
    assert any(f.flagged and f.evidence == "address:延安西路1731号" for f in findings)


def test_parks_and_campuses_from_their_addresses(gaz):
    rows = gaz.set_index("name")
    for name, address in [("天山公园", "延安西路1731号"), ("虹桥公园", "遵义路101号"), ("水霞公园", "仙霞路505号"),
                          ("上海国际体操中心", "武夷路777号"), ("上海工程技术大学长宁校区", "仙霞路350号"),
                          ("包玉刚实验学校", "武定西路1251弄")]:
        row = rows.loc[name]
        assert row.source.startswith(f"derived: {address}"), name
        assert address in row.note and "http" in row.note, name
        assert row.precision_m <= 700, name
    # the park lies beside its metro station, and the 新虹桥 garden between its roads
    station = rows.loc["延安西路站"].geometry
    assert rows.loc["天山公园"].geometry.distance(station) < 0.006
    assert rows.loc["新虹桥中心花园"].source.startswith("derived: between 延安西路 × 伊犁路")
    # universities whose main campus is elsewhere stay outside the district
    for name in ("华东师范大学", "上海师范大学", "上海中医药大学", "上海市医疗器械检验研究院"):
        assert not rows.loc[name].in_changning, name


# ----------------------------------------------------------------------------- resolution
def _mention(name, type_="other"):
    return Mention(doc="a.txt", line=1, start=0, end=len(name), surface=name, name=name, type=type_,
                   year=2022, mode="review", status="mentioned", status_cue="", sentence=name,
                   in_changning=True, section="", locators=[])


def test_new_rows_resolve():
    got = {e.name: e for e in resolve_entities([_mention("美天安顺菜场", "market"),
                                                _mention("新华社区地块学校", "campus"),
                                                _mention("东航K1-01地块", "plot")], district_fallback=False)}
    assert got["美天安顺菜场"].geocoder == "gazetteer"
    assert got["新华社区地块学校"].precision == "subdistrict"
    assert got["东航K1-01地块"].coord_source == "estimate" and got["东航K1-01地块"].precision == "area"


def test_a_part_resolves_through_its_parent_and_a_tower_through_its_park():
    day = _mention("日间中心大楼", "building")
    day.sentence = "推进同仁医院新建日间中心大楼、光华医院异地迁建等项目。"
    got = {e.name: e for e in resolve_entities([day, _mention("新微智谷T2", "campus")], district_fallback=False)}
    assert got["日间中心大楼"].coord_source.startswith("part of 同仁医院")
    assert got["日间中心大楼"].geocoder == "locator"
    assert got["新微智谷T2"].geocoder == "locator" and got["新微智谷T2"].precision == "approximate"


def test_an_area_bounded_by_roads_is_the_polygon_of_its_crossings(gaz):
    row = gaz.set_index("name").loc["上海硅巷科创街区"]
    assert row.geometry.geom_type == "Polygon" and row.source.startswith("derived: polygon of the crossings")
    area_km2 = gpd.GeoSeries([row.geometry], crs="EPSG:4326").to_crs("EPSG:32651").area.iloc[0] / 1e6
    assert 1.2 < area_km2 < 1.8  # the plan gives about 1.48 km2
    got = resolve_entities([_mention("上海硅谷科创街区", "area")], district_fallback=False)[0]
    assert got.gazetteer_id == row.id


def test_the_west_zone_row_is_the_zone_layers_west_zone(gaz):
    """西部临空地区 is the union of the subdistricts layers/data/zone_mapping.csv puts in the west."""
    mapping = pd.read_csv(REPO / "layers" / "data" / "zone_mapping.csv", dtype=str)
    west = set(mapping.loc[mapping["zone"] == "west", "subdistrict"])
    rows = gaz.set_index("name")
    union = gpd.GeoSeries([rows.loc[n].geometry for n in sorted(west)], crs="EPSG:4326").union_all()
    zone = rows.loc["西部临空地区"]
    assert zone.type == "area" and zone.in_changning
    assert zone.geometry.symmetric_difference(union).area < 1e-6 * union.area
    # the 示范区 (新泾镇 + 程家桥街道) lies inside the zone
    assert zone.geometry.buffer(1e-6).contains(rows.loc["虹桥临空经济示范区"].geometry)


def test_schools_from_their_address_or_crossing(gaz):
    rows = gaz.set_index("name")
    school = rows.loc["西延安中学"]
    assert school.source.startswith("derived: 清池路211号") and "清池路211号" in school.note and "http" in school.note
    assert school.precision_m >= 250
    north = rows.loc["北新泾第二小学"]
    assert north.source == "derived: 天山西路 × 剑河路" and "北二小学" in north.aliases.split("|")
    assert "inference" in north.note  # the short name's identification is said to be inferred
    assert rows.loc["北新泾街道"].geometry.contains(north.geometry)


def test_west_zone_word_and_school_short_names_resolve():
    got = {e.name: e for e in resolve_entities([_mention("西部四公园", "park"), _mention("北二小学", "campus"),
                                                _mention("西延安中学", "campus")], district_fallback=False)}
    assert got["西部四公园"].geocoder == "area" and got["西部四公园"].precision == "area"
    assert "西部临空地区" in got["西部四公园"].coord_source
    assert got["北二小学"].precision == "approximate"
    assert got["北二小学"].gazetteer_id == load_gazetteer().set_index("name").loc["北新泾第二小学"].id
    assert got["西延安中学"].geocoder == "gazetteer" and got["西延安中学"].precision == "approximate"


def test_the_former_sewage_plant_and_its_plot(gaz):
    rows = gaz.set_index("name")
    plant = rows.loc["天山污水处理厂"]
    assert plant.source.startswith("derived: 天山路31号 extrapolated") and "天山路31号" in plant.note
    assert plant.precision_m >= 500  # an extrapolated address and a plant site
    assert "原天山污水厂" in plant.aliases.split("|")
    plot = rows.loc["原天山污水厂地块"]
    assert plot.type == "plot" and plot.geometry.equals(plant.geometry) and plot.precision_m >= plant.precision_m
    got = resolve_entities([_mention("原天山污水厂地块", "plot")], district_fallback=False)[0]
    assert got.gazetteer_id == plot.id and got.precision == "area"


def test_an_address_on_a_road_we_lack_is_an_estimate_inside_its_area(gaz):
    """estimate-in: the district CDC's road (临新路) is not in the data; knowledge puts it in the west zone."""
    rows = gaz.set_index("name")
    cdc, zone = rows.loc["长宁区疾病预防控制中心"], rows.loc["西部临空地区"]
    assert cdc.source == "estimate" and cdc.geometry.equals(zone.geometry)
    assert cdc.precision_m >= max(300, zone.precision_m)
    assert "临新路268弄" in cdc.note and "http" in cdc.note and "estimate from knowledge" in cdc.note
    got = resolve_entities([_mention("区疾控中心", "building")], district_fallback=False)[0]
    assert got.gazetteer_id == cdc.id and got.precision == "area" and got.coord_source == "estimate"


def test_a_street_known_only_by_its_station(gaz):
    """凯田路 (IM Shanghai's weekend pedestrian street) is reached from 虹桥路 station; the road is not in the data."""
    rows = gaz.set_index("name")
    road, station = rows.loc["凯田路"], rows.loc["虹桥路站"]
    assert road.type == "road" and road.geometry.equals(station.geometry)
    assert road.precision_m >= 500 and "shine.cn" in road.note
    got = resolve_entities([_mention("凯田路分时步行街", "road")], district_fallback=False)[0]
    assert got.gazetteer_id == road.id and got.precision == "road"


def test_a_place_known_only_by_its_town_is_the_town(gaz):
    """绿八乐颐生境花园: the only location fact is 新泾镇, so the row is that polygon (area precision)."""
    rows = gaz.set_index("name")
    garden, town = rows.loc["绿八乐颐生境花园"], rows.loc["新泾镇"]
    assert garden.geometry.equals(town.geometry) and garden.precision_m >= town.precision_m
    got = resolve_entities([_mention("绿八乐颐生境花园", "community")], district_fallback=False)[0]
    assert got.gazetteer_id == garden.id and got.precision == "area"


def test_creek_parks_are_placed_on_the_creek_or_left_at_its_extent(gaz):
    g = gaz.set_index("name")
    creek = g.loc["苏州河"].geometry
    metric = gpd.GeoSeries([creek], crs="EPSG:4326").to_crs("EPSG:32651").iloc[0]
    for name in ("天原河滨公园", "虹桥河滨公园", "风铃绿地", "中环苏州河公共开放空间"):
        row = g.loc[name]
        assert row.geometry.geom_type == "Point" and row.source.startswith("derived:")
        pt = gpd.GeoSeries([row.geometry], crs="EPSG:4326").to_crs("EPSG:32651").iloc[0]
        assert pt.distance(metric) <= row.precision_m  # the park touches the creek within its precision
    # only "along 苏州河": the creek itself, with the creek's extent as precision; no invented point
    assert g.loc["临空二号公园"].geometry.equals(creek)
    assert g.loc["临空二号公园"].precision_m == g.loc["苏州河"].precision_m


def test_new_places_resolve_through_their_aliases_and_parent_rows(gaz):
    g = gaz.set_index("name")
    cases = {"临空一号公园": "临空音乐公园", "虹桥31号地块": "虹桥经济技术开发区31号地块", "上海红坊": "红坊创意产业园",
             "愚园路街区": "愚园艺术生活街区", "虹桥河滨休闲公园": "虹桥河滨公园"}
    for alias, name in cases.items():
        got = resolve_entities([_mention(alias, "park")], district_fallback=False)[0]
        assert got.gazetteer_id == g.loc[name].id, alias
    # bare 红坊 is no alias: it would be found in 网红坊间
    assert "红坊" not in g.loc["红坊创意产业园"].aliases.split("|")
    # parts drawn as their site: the museum as 中山公园, the hospital's 武夷路 site as the hospital
    assert g.loc["上海凝聚力工程博物馆"].geometry.equals(g.loc["中山公园"].geometry)
    assert g.loc["长宁区妇幼保健院武夷路院区"].geometry.equals(g.loc["长宁区妇幼保健院"].geometry)
    assert g.loc["外环400米林带"].geometry.equals(g.loc["外环林带"].geometry)
    # no corner crossing of 新虹桥商业中心 is in the data: an estimate as wide as its stated 3.15 km2
    assert g.loc["新虹桥商业中心"].source == "estimate" and g.loc["新虹桥商业中心"].precision_m >= 1000
