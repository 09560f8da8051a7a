"""layers.build and layers.stated on synthetic entities with sentences written for the test."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import LineString, Point, Polygon

from geocode.model import Entity, Mention, entity_id
from gis._errors import PlanmapError
from layers.build import layers_from_entities, status_by_year, timeline_from_entities
from layers.model import PROJECT_COLUMNS, TIMELINE_COLUMNS
from layers.stated import stated_belts, stated_zone

EAST_SECTION = "五、持续优化空间格局 > （一）东部中山公园地区"
WEST_SECTION = "五、持续优化空间格局 > （三）西部临空地区"


def mention(
    name: str,
    sentence: str,
    *,
    type_: str = "plot",
    year: int | None = 2021,
    status: str = "planned",
    section: str = "",
    doc: str = "plan.txt",
    line: int = 10,
    surface: str | None = None,
    in_changning: bool = True,
) -> Mention:
    surface = surface or name
    start = max(sentence.find(surface), 0)
    return Mention(
        doc=doc,
        line=line,
        start=start,
        end=start + len(surface),
        surface=surface,
        name=name,
        type=type_,
        year=year,
        mode="plan",
        status=status,
        status_cue="推进" if status != "mentioned" else "",
        sentence=sentence,
        section=section,
        in_changning=in_changning,
    )


def entity(
    name: str,
    geometry,
    mentions: list[Mention],
    *,
    type_: str = "plot",
    precision: str = "exact",
    precision_m: float | None = 50.0,
    in_changning: bool = True,
) -> Entity:
    return Entity(
        id=entity_id(name, type_),
        name=name,
        type=type_,
        aliases=sorted({m.surface for m in mentions} - {name}),
        in_changning=in_changning,
        mentions=mentions,
        geometry=geometry,
        precision=precision,
        precision_m=precision_m,
        geocoder="gazetteer",
        coord_source="test fixture",
    )


S_EAST = "加快苏州河岸线、中山公园等公共空间有机更新。"
S_WEST = "聚焦临空核心四街坊，推进宜家荟聚购物中心、临空12号地块等项目建设。"
S_MIXED = "临空经济示范区建设稳步推进，新华路、番禺路美丽街区建成开放。"
S_BELT = "延安西路-虹桥路时尚文化集聚带，串联新华路、虹桥路、延安西路等区域文化资源。"


def sample_entities() -> list[Entity]:
    """Ten entities covering every rule; coordinates checked against the zone polygons."""
    park = entity(
        "中山公园",
        Point(121.4160, 31.2195),
        [
            mention(
                "中山公园", S_EAST, type_="park", section=EAST_SECTION, year=2021, status="planned"
            ),
            mention(
                "中山公园",
                "中山公园一号门地下空间开工建设。",
                type_="park",
                year=2022,
                status="started",
                line=3,
            ),
            mention(
                "中山公园",
                "中山公园一号门地下空间基本建成。",
                type_="park",
                year=2022,
                status="completed",
                line=9,
            ),
            mention(
                "中山公园",
                "中山公园一号门地下空间开放。",
                type_="park",
                year=2023,
                status="opened",
                line=4,
            ),
        ],
        type_="park",
    )
    plot = entity(
        "临空12号地块",
        Point(121.3560, 31.2130),
        [
            mention("临空12号地块", S_WEST, section=WEST_SECTION),
        ],
    )
    # the text puts 宜家荟聚 in the west zone; this fixture places it in the east: a conflict.
    ikea = entity(
        "宜家荟聚购物中心",
        Point(121.4250, 31.2070),
        [
            mention("宜家荟聚购物中心", S_WEST, type_="building", section=WEST_SECTION),
        ],
        type_="building",
    )
    road = entity(
        "新华路",
        LineString([(121.4150, 31.2035), (121.4300, 31.2085)]),
        [
            mention("新华路", S_MIXED, type_="road", year=2019, status="completed"),
            mention("新华路", S_BELT, type_="road", year=2021, status="planned"),
        ],
        type_="road",
        precision="road",
        precision_m=None,
    )
    area = entity(
        "天山路680弄",
        Polygon(
            [(121.4010, 31.2115), (121.4030, 31.2115), (121.4030, 31.2130), (121.4010, 31.2130)]
        ),
        [
            mention(
                "天山路680弄",
                "加快天山路680弄、仙霞南丰地块等项目建设。",
                section="五、持续优化空间格局 > （二）中部虹桥地区",
            ),
        ],
        type_="plot",
        precision="approximate",
        precision_m=200.0,
    )
    far = entity(
        "徐家汇书院",
        Point(121.4370, 31.1950),
        [
            mention("徐家汇书院", "借鉴徐家汇书院经验。", type_="venue", in_changning=False),
        ],
        type_="venue",
        in_changning=False,
    )
    edge = entity(
        "静安寺商圈",
        Point(121.4450, 31.2250),
        [
            mention("静安寺商圈", "对接静安寺商圈。", type_="area"),
        ],
        type_="area",
        precision="area",
        precision_m=800.0,
    )
    lost = entity(
        "某某地块",
        None,
        [mention("某某地块", "推进某某地块出让。")],
        precision="unresolved",
        precision_m=None,
    )
    undated = entity(
        "天原公园",
        Point(121.3990, 31.2075),
        [
            mention(
                "天原公园", "推动天原公园改造提升。", type_="park", year=None, status="renovated"
            ),
        ],
        type_="park",
    )
    creek = entity(
        "苏州河",
        LineString([(121.3650, 31.2212), (121.3720, 31.2208)]),
        [
            mention(
                "苏州河",
                "苏州河滨水商务休闲景观带，打造滨河景观空间。",
                type_="river",
                surface="苏州河",
            ),
        ],
        type_="river",
        precision="road",
        precision_m=100.0,
    )
    return [park, plot, ikea, road, area, far, edge, lost, undated, creek]


@pytest.fixture(scope="module")
def layers():
    return layers_from_entities(
        sample_entities(),
        documents=[
            {"name": "plan.txt", "title": "规划", "date": "2021-01-20", "kind": "five_year_plan"}
        ],
    )


def by_name(layers, name):
    rows = layers.projects[layers.projects["name"] == name]
    assert len(rows) == 1, name
    return rows.iloc[0]


def test_features_and_columns(layers):
    p = layers.projects
    assert list(p.columns[: len(PROJECT_COLUMNS)]) == list(PROJECT_COLUMNS)
    assert p.crs.to_epsg() == 4326
    # 徐家汇书院 (not in Changning) and 某某地块 (no geometry) are left out
    assert sorted(p["name"]) == sorted(
        [
            "中山公园",
            "临空12号地块",
            "宜家荟聚购物中心",
            "新华路",
            "天山路680弄",
            "静安寺商圈",
            "天原公园",
            "苏州河",
        ]
    )
    assert list(p["id"]) == sorted(p["id"])
    assert by_name(layers, "中山公园")["id"] == entity_id("中山公园", "park")


def test_zone_by_geometry(layers):
    assert by_name(layers, "中山公园")["zone"] == "east"
    assert by_name(layers, "临空12号地块")["zone"] == "west"
    assert by_name(layers, "天山路680弄")["zone"] == "central"
    assert by_name(layers, "新华路")["zone"] == "east"
    assert by_name(layers, "静安寺商圈")["zone"] == "outside"
    inside = layers.projects[layers.projects["name"] != "静安寺商圈"]
    assert set(inside["zone"]) <= {"east", "central", "west"}


def test_belts_by_geometry(layers):
    assert by_name(layers, "新华路")["belts"] == "yanan_hongqiao"
    assert "suzhou_creek" in by_name(layers, "苏州河")["belts"].split(",")
    assert by_name(layers, "临空12号地块")["belts"] == ""


def test_stated_zone_and_conflict(layers):
    park = by_name(layers, "中山公园")
    assert (park["zone_stated"], bool(park["zone_conflict"])) == ("east", False)
    plot = by_name(layers, "临空12号地块")
    assert (plot["zone_stated"], bool(plot["zone_conflict"])) == ("west", False)
    ikea = by_name(layers, "宜家荟聚购物中心")
    assert (ikea["zone"], ikea["zone_stated"], bool(ikea["zone_conflict"])) == (
        "east",
        "west",
        True,
    )
    area = by_name(layers, "天山路680弄")
    assert (area["zone_stated"], bool(area["zone_conflict"])) == ("central", False)
    # 新华路 shares a sentence with 临空 but not its clause
    assert by_name(layers, "新华路")["zone_stated"] == ""


def test_stated_belts(layers):
    road = by_name(layers, "新华路")
    assert (road["belts_stated"], bool(road["belt_conflict"])) == ("yanan_hongqiao", False)
    creek = by_name(layers, "苏州河")
    assert (creek["belts_stated"], bool(creek["belt_conflict"])) == ("suzhou_creek", False)


def test_belt_conflict_flagged():
    far_from_creek = entity(
        "苏州河",
        Point(121.3700, 31.1960),
        [
            mention("苏州河", "苏州河滨水商务休闲景观带，打造滨河景观空间。", type_="river"),
        ],
        type_="river",
        precision_m=50.0,
    )
    row = layers_from_entities([far_from_creek]).projects.iloc[0]
    assert row["belts_stated"] == "suzhou_creek"
    assert bool(row["belt_conflict"]) is True


def test_status_by_year_rule(layers):
    park = by_name(layers, "中山公园")
    assert json.loads(park["status_by_year"]) == {
        "2021": "planned",
        "2022": "completed",
        "2023": "opened",
    }
    assert (park["status_latest"], park["first_year"], park["last_year"]) == ("opened", 2021, 2023)
    assert park["mention_count"] == 4
    undated = by_name(layers, "天原公园")
    assert undated["status_by_year"] == "{}"
    assert undated["status_latest"] == "renovated"
    assert undated["first_year"] is None or str(undated["first_year"]) == "<NA>"


def test_status_by_year_prefers_most_advanced_regardless_of_order():
    ms = [
        mention("X", "X竣工。", status="completed", year=2020),
        mention("X", "X开工。", status="started", year=2020),
    ]
    assert status_by_year(ms) == {2020: "completed"}


def test_timeline(layers):
    t = layers.timeline
    assert list(t.columns) == list(TIMELINE_COLUMNS)
    park_rows = t[t["name"] == "中山公园"]
    assert len(park_rows) == 4
    assert set(t["entity_id"]) <= set(layers.projects["id"])
    assert "徐家汇书院" not in set(t["name"])
    assert park_rows["evidence"].iloc[0] == S_EAST


def test_timeline_dedupes_identical_rows():
    m = mention("Y", "Y开工。", status="started")
    e = entity("Y", Point(121.40, 31.21), [m, m])
    assert len(timeline_from_entities([e])) == 1


def test_repeated_ids_raise_once_listing_all():
    e = sample_entities()[0]
    bad = entity("坏", Point(121.40, 31.21), [mention("坏", "坏。")], type_="nonsense")
    with pytest.raises(PlanmapError, match=r"repeats 2 times.*nonsense"):
        layers_from_entities([e, e, bad])


def test_documents_kept(layers):
    assert layers.documents == [
        {"name": "plan.txt", "title": "规划", "date": "2021-01-20", "kind": "five_year_plan"}
    ]


@pytest.mark.parametrize(
    ("sentence", "surface", "section", "expected"),
    [
        (S_WEST, "宜家荟聚购物中心", "", ""),  # 临空 only inside another name, other clause
        (S_WEST, "临空12号地块", "", "west"),  # name rule
        ("推进临空园区和愚园路建设。", "愚园路", "", "west"),  # same clause
        ("推进临空园区建设，推进愚园路建设。", "愚园路", "", ""),  # other clause
        ("推进愚园路建设。", "愚园路", EAST_SECTION, "east"),  # section
        (
            "以中山公园商业中心、虹桥国际贸易中心、虹桥临空经济示范区为核心的东中西三大功能区",
            "三大功能区",
            "",
            "",
        ),
        ("中部虹桥地区，推进古北黄金城道建设。", "古北黄金城道", "", "central"),  # topic
    ],
)
def test_stated_zone_rules(sentence, surface, section, expected):
    m = mention(surface, sentence, section=section)
    others = ["宜家荟聚购物中心", "临空12号地块"] if sentence == S_WEST else []
    assert stated_zone(m, others)[0] == expected


def test_stated_belts_rules():
    m = mention("延安西路", S_BELT, type_="road")
    assert stated_belts(m)[0] == ["yanan_hongqiao"]
    m1 = mention("新华路", S_BELT, type_="road")
    assert stated_belts(m1) == (["yanan_hongqiao"], "topic")
    m2 = mention("金钟路", "依托轨道交通2号线沿线周边载体资源，推进金钟路建设。", type_="road")
    assert stated_belts(m2)[0] == []
    m3 = mention("威宁路", "依托轨道交通2号线沿线威宁路周边载体资源。", type_="road")
    assert stated_belts(m3)[0] == ["line2"]
    m4 = mention("12号线", "推进12号线沿线建设。", type_="transit")
    assert stated_belts(m4)[0] == []
