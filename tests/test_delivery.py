"""layers.delivery on timelines, mentions and entities written for the test.

Every sentence here is invented for the test; the place names are fictional except
where the bundled gazetteer's aliases are the point (上生·新所).
"""

from __future__ import annotations

import json
import logging

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geocode.model import Entity, Mention, entity_id
from gis._errors import PlanmapError
from layers.build import layers_from_entities
from layers.delivery import (
    DELIVERY_CLASSES,
    DELIVERY_COLUMNS,
    DISTRICT_ZONE,
    delivery_from_timeline,
    delivery_layer,
    delivery_summary,
    format_delivery_summary,
    merge_alias_entities,
    write_delivery_csv,
)
from layers.model import TIMELINE_COLUMNS

# an archive of four documents: annual reports of 2019, 2020, 2022 and a five-year plan of 2021
DOCS = [
    {"name": "r2019.txt", "date": "2019-01-08", "kind": "work_report"},
    {"name": "r2020.txt", "date": "2020-01-09", "kind": "work_report"},
    {"name": "p2021.txt", "date": "2021-01", "kind": "five_year_plan"},
    {"name": "r2022.txt", "date": "2022-01-11", "kind": "work_report"},
]


def row(name, doc, year, mode, status, evidence, *, line=5, eid=None, period=None):
    rec = {
        "entity_id": eid or entity_id(name, "plot"),
        "name": name,
        "year": year,
        "mode": mode,
        "status": status,
        "status_cue": "" if status == "mentioned" else "推进",
        "doc": doc,
        "line": line,
        "evidence": evidence,
    }
    if period is not None:
        rec["period"] = period
    return rec


def timeline(*rows) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    cols = list(TIMELINE_COLUMNS) + (["period"] if "period" in df.columns else [])
    df = df[cols]
    df["year"] = df["year"].astype("Int64")
    df["line"] = df["line"].astype("Int64")
    return df


def one(delivery: pd.DataFrame, name: str) -> pd.Series:
    rows = delivery[delivery["name"] == name]
    assert len(rows) == 1, f"{name!r}: {len(rows)} rows"
    return rows.iloc[0]


# ----------------------------------------------------------------------------- the classes
def test_delivered_with_lag_and_sentences_side_by_side():
    promise = "今年推进青枫园地块综合开发建设。"
    done = "青枫园地块商办楼宇全面竣工。"
    d = delivery_from_timeline(
        timeline(
            row("青枫园地块", "r2019.txt", 2019, "plan", "planned", promise, line=12),
            row("青枫园地块", "r2022.txt", 2021, "review", "completed", done, line=30),
        ),
        DOCS,
    )
    r = one(d, "青枫园地块")
    assert r["delivery_class"] == "delivered"
    assert (r["promise_year"], r["due_year"], r["done_year"]) == (2019, 2019, 2021)
    assert r["lag_years"] == 2 and r["late_years"] == 2
    assert r["promise_sentence"] == promise and r["promise_line"] == 12
    assert r["delivery_sentence"] == done and r["delivery_doc"] == "r2022.txt"
    assert r["delivery_line"] == 30 and r["done_status"] == "completed"
    assert list(d.columns) == list(DELIVERY_COLUMNS)


def test_in_progress_when_work_but_no_completion():
    d = delivery_from_timeline(
        timeline(
            row("蓝湾体育馆", "r2019.txt", 2019, "plan", "planned", "启动蓝湾体育馆前期工作。"),
            row("蓝湾体育馆", "r2020.txt", 2019, "review", "started", "蓝湾体育馆开工建设。"),
            row("蓝湾体育馆", "r2022.txt", 2021, "review", "under_construction", "蓝湾体育馆主体在建。"),
        ),
        DOCS,
    )
    r = one(d, "蓝湾体育馆")
    assert r["delivery_class"] == "in_progress"
    assert r["first_work_year"] == 2019
    assert pd.isna(r["done_year"]) and pd.isna(r["lag_years"])
    assert r["delivery_sentence"] == "蓝湾体育馆开工建设。"


def test_no_later_report_when_no_later_document_mentions_it():
    d = delivery_from_timeline(
        timeline(
            row("梧桐泵站", "r2020.txt", 2020, "plan", "planned", "年内完成梧桐泵站改造。"),
            # an earlier document mentions it: does not count as a later report
            row("梧桐泵站", "r2019.txt", 2018, "review", "mentioned", "梧桐泵站汛期运行平稳。"),
        ),
        DOCS,
    )
    r = one(d, "梧桐泵站")
    assert r["delivery_class"] == "no_later_report"
    assert r["later_mentions"] == 0 and r["delivery_sentence"] == ""


def test_mentioned_later_when_only_promised_again():
    d = delivery_from_timeline(
        timeline(
            row("银杏广场", "r2019.txt", 2019, "plan", "planned", "谋划银杏广场改造。"),
            row("银杏广场", "r2022.txt", 2022, "plan", "planned", "继续推进银杏广场改造。"),
        ),
        DOCS,
    )
    r = one(d, "银杏广场")
    assert r["delivery_class"] == "mentioned_later"
    assert r["later_mentions"] == 1 and r["delivery_sentence"] == "继续推进银杏广场改造。"


def test_not_yet_due_when_promised_in_the_newest_document():
    d = delivery_from_timeline(
        timeline(row("松风里", "r2022.txt", 2022, "plan", "planned", "启动松风里城市更新。")),
        DOCS,
    )
    assert one(d, "松风里")["delivery_class"] == "not_yet_due"


def test_same_document_review_does_not_deliver_its_own_promise():
    # the 2022 report says in its review (about 2021) that work was done, and promises more
    d = delivery_from_timeline(
        timeline(
            row("松风里", "r2022.txt", 2021, "review", "completed", "松风里一期竣工。", line=3),
            row("松风里", "r2022.txt", 2022, "plan", "planned", "推进松风里二期。", line=40),
        ),
        DOCS,
    )
    r = one(d, "松风里")
    assert r["delivery_class"] == "not_yet_due"
    assert pd.isna(r["done_year"])


def test_later_review_of_a_year_before_the_promise_is_not_evidence():
    # promised for 2020; the 2022 report reviews 2019 (a section year) as done: before the promise
    d = delivery_from_timeline(
        timeline(
            row("柳岸步道", "r2020.txt", 2020, "plan", "planned", "贯通柳岸步道。"),
            row("柳岸步道", "r2022.txt", 2019, "review", "opened", "柳岸步道此前已开放。"),
        ),
        DOCS,
    )
    r = one(d, "柳岸步道")
    assert r["delivery_class"] == "mentioned_later"
    assert pd.isna(r["done_year"])


def test_year_comes_from_the_section_not_the_document_date():
    # the 2022 report's review section is about 2021: delivered in 2021, one year after the promise
    d = delivery_from_timeline(
        timeline(
            row("枫林桥", "r2020.txt", 2020, "plan", "planned", "推进枫林桥建设。"),
            row("枫林桥", "r2022.txt", 2021, "review", "opened", "枫林桥建成通车。"),
        ),
        DOCS,
    )
    r = one(d, "枫林桥")
    assert (r["done_year"], r["lag_years"]) == (2021, 1)


def test_plan_mode_mentions_and_ongoing_are_not_promises():
    d = delivery_from_timeline(
        timeline(
            row("竹园", "r2019.txt", 2019, "plan", "mentioned", "依托竹园周边资源发展文旅。"),
            row("竹园", "r2020.txt", 2020, "plan", "ongoing", "优化竹园日常管理。"),
        ),
        DOCS,
    )
    assert d.empty
    assert list(d.columns) == list(DELIVERY_COLUMNS)


def test_first_promise_is_judged():
    d = delivery_from_timeline(
        timeline(
            row("杉木街区", "r2020.txt", 2020, "plan", "planned", "推进杉木街区更新。"),
            row("杉木街区", "r2019.txt", 2019, "plan", "planned", "研究杉木街区更新方案。"),
            row("杉木街区", "r2022.txt", 2021, "review", "renovated", "杉木街区更新完成。"),
        ),
        DOCS,
    )
    r = one(d, "杉木街区")
    assert (r["promise_year"], r["promise_doc"], r["lag_years"]) == (2019, "r2019.txt", 2)


# ----------------------------------------------------------------------------- five-year plans
FIVE_YEAR = "“十四五”期间建成云杉滨水公园。"


def _five_year_mention(**kw) -> Mention:
    base = dict(
        doc="p2021.txt", line=77, start=0, end=6, surface="云杉滨水公园", name="云杉滨水公园",
        type="park", year=2021, mode="plan", status="planned", status_cue="建成",
        sentence=FIVE_YEAR, period="2021-2025",
    )
    base.update(kw)
    return Mention(**base)


def test_five_year_promise_is_due_at_the_end_of_its_period():
    eid = entity_id("云杉滨水公园", "park")
    t = timeline(row("云杉滨水公园", "p2021.txt", 2021, "plan", "planned", FIVE_YEAR, line=77, eid=eid))
    d = delivery_from_timeline(t, DOCS, mentions=[_five_year_mention()])
    r = one(d, "云杉滨水公园")
    # newest document is of 2022; the promise is due by 2025: not judged yet
    assert (r["period"], r["due_year"], r["delivery_class"]) == ("2021-2025", 2025, "not_yet_due")
    # the same archive with a document dated after 2025 that does not mention it
    later = [*DOCS, {"name": "r2026.txt", "date": "2026-01-07", "kind": "work_report"}]
    r2 = one(delivery_from_timeline(t, later, mentions=[_five_year_mention()]), "云杉滨水公园")
    assert r2["delivery_class"] == "no_later_report"


def test_five_year_promise_before_due_with_work_is_in_progress_and_with_completion_delivered():
    eid = entity_id("云杉滨水公园", "park")
    promise = row("云杉滨水公园", "p2021.txt", 2021, "plan", "planned", FIVE_YEAR, line=77, eid=eid,
                  period="2021-2025")
    work = row("云杉滨水公园", "r2022.txt", 2021, "review", "started", "云杉滨水公园开工。", eid=eid,
               period=None)
    d = delivery_from_timeline(timeline(promise, work), DOCS)
    assert one(d, "云杉滨水公园")["delivery_class"] == "in_progress"
    done = dict(work, status="completed", evidence="云杉滨水公园建成。")
    r = one(delivery_from_timeline(timeline(promise, done), DOCS), "云杉滨水公园")
    assert (r["delivery_class"], r["done_year"], r["lag_years"], r["late_years"]) == (
        "delivered", 2021, 0, -4)


def test_five_year_plan_without_a_period_falls_back_on_the_document_kind():
    d = delivery_from_timeline(
        timeline(row("栖霞园区", "p2021.txt", 2021, "plan", "planned", "谋划栖霞园区转型。")), DOCS
    )
    r = one(d, "栖霞园区")
    assert (r["due_year"], r["period"], r["delivery_class"]) == (2025, "", "not_yet_due")


def test_annual_promise_due_in_its_year_is_judged_by_a_later_archive():
    # promised in 2020 (annual), mentioned nowhere later, newest document 2022: judged
    d = delivery_from_timeline(
        timeline(row("栖霞园区", "r2020.txt", 2020, "plan", "planned", "推进栖霞园区转型。")), DOCS
    )
    assert one(d, "栖霞园区")["due_year"] == 2020
    assert one(d, "栖霞园区")["delivery_class"] == "no_later_report"


def test_missing_timeline_columns_raise():
    with pytest.raises(PlanmapError, match="lacks columns"):
        delivery_from_timeline(pd.DataFrame({"entity_id": ["x"]}), DOCS)


def test_undated_document_is_placed_at_its_newest_year(caplog):
    docs = [*DOCS[:2], {"name": "nodate.txt", "date": None, "kind": "news"}]
    caplog.set_level(logging.WARNING, logger="layers.delivery")
    d = delivery_from_timeline(
        timeline(
            row("青枫园地块", "r2019.txt", 2019, "plan", "planned", "推进青枫园地块建设。"),
            row("青枫园地块", "nodate.txt", 2023, "review", "completed", "青枫园地块竣工。"),
        ),
        docs,
    )
    assert one(d, "青枫园地块")["delivery_class"] == "delivered"
    assert "has no date" in caplog.text


# ----------------------------------------------------------------------------- summary
def _sample_delivery() -> pd.DataFrame:
    return delivery_from_timeline(
        timeline(
            row("甲地块", "r2019.txt", 2019, "plan", "planned", "推进甲地块。"),
            row("甲地块", "r2020.txt", 2019, "review", "completed", "甲地块竣工。"),
            row("乙地块", "r2019.txt", 2019, "plan", "planned", "推进乙地块。"),
            row("乙地块", "r2022.txt", 2021, "review", "completed", "乙地块竣工。"),
            row("丙地块", "r2020.txt", 2020, "plan", "planned", "推进丙地块。"),
            row("丁地块", "r2022.txt", 2022, "plan", "planned", "推进丁地块。"),
        ),
        DOCS,
        projects=pd.DataFrame(
            {
                "id": [entity_id(n, "plot") for n in ("甲地块", "乙地块", "丙地块", "丁地块")],
                "zone": ["east", "east", "west", "west"],
                "belts": ["line2,suzhou_creek", "line2", "", ""],
                "precision": ["exact", "exact", "area", "area"],
                "precision_m": [50.0, 50.0, 800.0, 6000.0],
            }
        ),
    )


def test_zone_and_belts_from_projects_and_district_wide_entities():
    d = _sample_delivery()
    assert one(d, "甲地块")["belts"] == "line2,suzhou_creek"
    assert one(d, "丙地块")["zone"] == "west"
    assert one(d, "丁地块")["zone"] == DISTRICT_ZONE  # placed no finer than the district


def test_summary_counts_and_median_lag():
    s = delivery_summary(_sample_delivery())
    assert s["classes"] == list(DELIVERY_CLASSES)
    assert s["total"]["promised"] == 4
    east = s["by_zone"]["east"]
    assert east["classes"]["delivered"] == 2 and east["median_lag_years"] == 1.0  # lags 0 and 2
    assert s["by_zone"]["west"]["classes"]["no_later_report"] == 1
    assert s["by_zone"][DISTRICT_ZONE]["classes"]["not_yet_due"] == 1
    assert s["by_belt"]["line2"]["promised"] == 2 and s["by_belt"]["suzhou_creek"]["promised"] == 1
    assert s["by_belt"]["none"]["promised"] == 2
    assert s["by_promise_year"]["2019"]["median_lag_years"] == 1.0
    assert s["by_promise_year"]["2022"]["median_lag_years"] is None
    json.dumps(s)  # JSON-ready for build_report.json


def test_format_summary_is_a_table():
    text = format_delivery_summary(delivery_summary(_sample_delivery()))
    lines = text.splitlines()
    assert lines[0] == "Promises and delivery"
    assert "median_lag" in lines[1]
    east = next(ln for ln in lines if ln.startswith("east"))
    assert east.split() == ["east", "2", "2", "0", "0", "0", "0", "1"]
    assert any(ln.startswith("2022") for ln in lines)


# ----------------------------------------------------------------------------- outputs
def test_csv_has_a_bom_and_reads_back(tmp_path):
    d = _sample_delivery()
    path = write_delivery_csv(d, tmp_path / "out" / "delivery.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    assert list(back.columns) == list(DELIVERY_COLUMNS)
    assert sorted(back["name"]) == sorted(d["name"])
    assert "推进甲地块。" in set(back["promise_sentence"])
    assert not list(tmp_path.joinpath("out").glob(".*"))  # no temporary file left


def test_delivery_layer_round_trips_through_a_geopackage(tmp_path):
    d = _sample_delivery()
    ids = [entity_id(n, "plot") for n in ("甲地块", "乙地块", "丙地块")]
    projects = gpd.GeoDataFrame(
        {"id": ids}, geometry=[Point(121.42, 31.21), Point(121.40, 31.20), Point(121.36, 31.21)],
        crs="EPSG:4326",
    )
    layer = delivery_layer(d, projects)
    assert len(layer) == 3 and layer.crs.to_epsg() == 4326
    assert set(layer["name"]) == {"甲地块", "乙地块", "丙地块"}
    path = tmp_path / "d.gpkg"
    layer.to_file(path, layer="delivery", driver="GPKG", engine="fiona")
    back = gpd.read_file(path, layer="delivery", engine="fiona")
    assert sorted(back["delivery_class"]) == sorted(layer["delivery_class"])
    assert back.loc[back["name"] == "甲地块", "lag_years"].iloc[0] == 0


# ----------------------------------------------------------------------------- aliases
def _mention(name, doc, year, mode, status, sentence, *, type_="campus", line=4):
    return Mention(doc=doc, line=line, start=0, end=len(name), surface=name, name=name, type=type_,
                   year=year, mode=mode, status=status, status_cue="", sentence=sentence)


def _entity(name, mentions, *, type_="campus", geometry=None, aliases=()):
    return Entity(id=entity_id(name, type_), name=name, type=type_, aliases=list(aliases),
                  mentions=mentions, geometry=geometry,
                  precision="exact" if geometry is not None else "unresolved",
                  precision_m=60.0 if geometry is not None else None)


def test_alias_merge_across_years_with_the_bundled_gazetteer_delivers():
    # the old name in 2019, the new name in 2022: one site in the bundled gazetteer (上生·新所)
    old = _entity("上海生物制品研究所", [
        _mention("上海生物制品研究所", "r2019.txt", 2019, "plan", "planned",
                 "启动上海生物制品研究所老厂区保护性更新。")])
    new = _entity("上生新所", [
        _mention("上生新所", "r2022.txt", 2021, "review", "opened", "上生新所改造后向市民开放。")],
        geometry=Point(121.4235, 31.2093))
    merged, merges = merge_alias_entities([old, new])
    assert len(merged) == 1
    site = merged[0]
    assert site.name == "上生·新所" and site.id == entity_id("上生·新所", "campus")
    assert {"上海生物制品研究所", "上生新所"} <= set(site.aliases)
    assert {m["from_name"] for m in merges} == {"上海生物制品研究所", "上生新所"}
    assert all(m["into_id"] == site.id and "gazetteer" in m["reason"] for m in merges)
    assert all(m.entity_id == site.id for m in site.mentions)
    assert old.mentions[0].entity_id == old.id  # the input is not changed
    layers = layers_from_entities(merged, documents=DOCS)
    d = delivery_from_timeline(layers.timeline, layers.documents, projects=layers.projects)
    r = one(d, "上生·新所")
    assert (r["delivery_class"], r["promise_year"], r["done_year"], r["lag_years"]) == (
        "delivered", 2019, 2021, 2)
    assert r["zone"] == "east"
    # without the merge the promise has no later report
    apart = layers_from_entities([_entity("上海生物制品研究所", old.mentions,
                                          geometry=Point(121.4235, 31.2093)), new], documents=DOCS)
    d2 = delivery_from_timeline(apart.timeline, apart.documents, projects=apart.projects)
    assert one(d2, "上海生物制品研究所")["delivery_class"] == "no_later_report"


def test_alias_merge_with_a_user_gazetteer():
    gaz = gpd.GeoDataFrame(
        {"id": ["gz-1"], "name": ["云杉里"], "aliases": ["云杉仪器厂|云杉里园区"], "type": ["campus"],
         "in_changning": [True]},
        geometry=[Point(121.41, 31.21)], crs="EPSG:4326",
    )
    a = _entity("云杉仪器厂", [_mention("云杉仪器厂", "r2019.txt", 2019, "plan", "planned", "搬迁云杉仪器厂。")])
    b = _entity("云杉里", [_mention("云杉里", "r2022.txt", 2021, "review", "completed", "云杉里建成。")],
                geometry=Point(121.41, 31.21))
    c = _entity("梧桐泵站", [_mention("梧桐泵站", "r2019.txt", 2019, "plan", "planned", "改造梧桐泵站。")],
                type_="other")
    merged, merges = merge_alias_entities([a, b, c], gaz)
    assert sorted(e.name for e in merged) == ["云杉里", "梧桐泵站"]
    assert len(merges) == 1
    m = merges[0]
    assert (m["into_id"], m["into_name"], m["from_id"], m["from_name"], m["mentions"]) == (
        b.id, "云杉里", a.id, "云杉仪器厂", 1)
    assert m["reason"].startswith("gazetteer:") and "'云杉里'" in m["reason"]
    site = next(e for e in merged if e.name == "云杉里")
    assert site.geometry is not None and len(site.mentions) == 2
    assert next(e for e in merged if e.name == "梧桐泵站") is c  # untouched entities are returned as is


def test_merge_by_metro_line_qualifier_same_name_and_surface_rules():
    empty = gpd.GeoDataFrame({"id": [], "name": [], "aliases": [], "type": [], "in_changning": []},
                             geometry=[], crs="EPSG:4326")
    short = _entity("枫林站换乘通道", [_mention("枫林站换乘通道", "r2020.txt", 2020, "plan", "planned",
                                                "启动枫林站换乘通道建设。", type_="transit")], type_="transit")
    full = _entity("9号线枫林站换乘通道", [_mention("9号线枫林站换乘通道", "r2022.txt", 2021, "review",
                                                  "started", "9号线枫林站换乘通道开工。", type_="transit")],
                   type_="transit")
    park = _entity("蓝湾", [_mention("蓝湾", "r2019.txt", 2019, "plan", "planned", "建设蓝湾。", type_="park")],
                   type_="park")
    area = _entity("蓝湾", [_mention("蓝湾", "r2020.txt", 2020, "review", "mentioned", "蓝湾人气旺。",
                                    type_="area")], type_="area")
    # a road named inside a street block's list: different types, not merged
    road = _entity("柳岸路", [_mention("柳岸路", "r2019.txt", 2019, "plan", "planned", "整治柳岸路。",
                                      type_="road")], type_="road")
    block = _entity("柳岸路美丽街区", [_mention("柳岸路", "r2020.txt", 2020, "plan", "planned",
                                              "打造柳岸路、松风路美丽街区。", type_="area")],
                    type_="area", aliases=["柳岸路"])
    merged, merges = merge_alias_entities([short, full, park, area, road, block], empty)
    names = sorted(e.name for e in merged)
    # one mention each: the shorter name wins the tie
    assert names == ["枫林站换乘通道", "柳岸路", "柳岸路美丽街区", "蓝湾"]
    reasons = {m["from_name"]: m["reason"] for m in merges}
    assert "qualifier" in reasons["9号线枫林站换乘通道"]
    assert "same name" in next(r for n, r in reasons.items() if n == "蓝湾")
    assert len(merges) == 2
    transit = next(e for e in merged if e.name == "枫林站换乘通道")
    assert transit.id == short.id and "9号线枫林站换乘通道" in transit.aliases
    assert [m.year for m in transit.mentions] == [2020, 2021]


def test_merge_by_house_or_plot_number_after_the_road():
    empty = gpd.GeoDataFrame({"id": [], "name": [], "aliases": [], "type": [], "in_changning": []},
                             geometry=[], crs="EPSG:4326")
    plan = _entity("松风路26号地块敬老院", [_mention("松风路26号地块敬老院", "p2021.txt", 2021, "plan",
                                                  "planned", "新建松风路26号地块敬老院项目。")])
    later = _entity("松风路敬老院", [_mention("松风路敬老院", "r2023.txt", 2022, "review", "started",
                                            "松风路敬老院开工建设。")])
    # the same road and head under another type, and a lane with nothing after its number
    school = _entity("松风路学校", [_mention("松风路学校", "r2023.txt", 2022, "review", "started",
                                          "松风路学校开工。")], type_="building")
    lane = _entity("松风路88弄", [_mention("松风路88弄", "r2023.txt", 2022, "review", "completed",
                                        "完成松风路88弄改造。", type_="community")], type_="community")
    road = _entity("松风路", [_mention("松风路", "r2023.txt", 2022, "review", "completed",
                                      "整治松风路。", type_="road")], type_="road")
    merged, merges = merge_alias_entities([plan, later, school, lane, road], empty)
    # one mention each: the shorter name wins the tie
    assert {e.name for e in merged} == {"松风路敬老院", "松风路学校", "松风路88弄", "松风路"}
    assert len(merges) == 1
    home = next(e for e in merged if "敬老院" in e.name)
    assert {"松风路26号地块敬老院", "松风路敬老院"} <= {home.name, *home.aliases}
    assert [m.year for m in home.mentions] == [2021, 2022]
    assert "house or plot number" in merges[0]["reason"]


def test_an_archive_without_promises_gives_empty_outputs(tmp_path):
    d = delivery_from_timeline(pd.DataFrame(columns=list(TIMELINE_COLUMNS)), DOCS)
    assert d.empty and list(d.columns) == list(DELIVERY_COLUMNS)
    s = delivery_summary(d)
    assert s["total"]["promised"] == 0 and s["by_zone"] == {}
    assert format_delivery_summary(s).splitlines()[-1].split()[:2] == ["all", "0"]
    path = write_delivery_csv(d, tmp_path / "delivery.csv")
    assert path.read_text(encoding="utf-8-sig").splitlines() == [",".join(DELIVERY_COLUMNS)]
