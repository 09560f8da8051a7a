"""Sections: every sentence gets the year it is about and its mode."""

from __future__ import annotations

import datetime as dt

import pytest

from gis.reading import document_from_text, read_document


def _find(doc, needle):
    return next(s for s in doc.sentences if needle in s.text)


def test_work_report_reviews_last_year_and_plans_this_year():
    text = (
        "政府工作报告\n——2025年1月6日在区人民代表大会上\n"
        "一、2024年工作回顾\n（一）城市更新稳步推进。建成甲乙公园。\n"
        "二、2025年主要任务\n（一）优化功能布局。推进丙丁地块建设。\n"
    )
    doc = document_from_text(text, name="wr.txt")
    assert doc.kind == "work_report" and doc.date == dt.date(2025, 1, 6)
    s = _find(doc, "甲乙公园")
    assert (s.year, s.mode) == (2024, "review")
    assert "一、2024年工作回顾" in s.section and "（一）城市更新稳步推进" in s.section
    s = _find(doc, "丙丁地块")
    assert (s.year, s.mode) == (2025, "plan")


def test_heading_without_keyword_uses_the_document_year():
    text = "报告\n2026年3月1日\n一、2025年情况\n建成某广场。\n二、2026年工作\n启动某大厦。\n"
    doc = document_from_text(text, name="x.txt", kind="other")
    assert (_find(doc, "某广场").year, _find(doc, "某广场").mode) == (2025, "review")
    assert (_find(doc, "某大厦").year, _find(doc, "某大厦").mode) == (2026, "plan")


def test_five_year_plan_plans_its_period_and_reviews_the_last():
    text = (
        "某区国民经济和社会发展第十五个五年规划纲要\n"
        "一、发展基础\n（一）“十四五”主要成就\n建成滨河绿道。\n"
        "二、空间格局\n推进北区地块开发。\n"
    )
    doc = document_from_text(text, name="fyp.txt", kind="five_year_plan")
    s = _find(doc, "滨河绿道")
    assert (s.year, s.mode, s.period) == (2025, "review", (2021, 2025))
    s = _find(doc, "北区地块")
    assert (s.year, s.mode, s.period) == (2026, "plan", (2026, 2030))


def test_news_resolves_last_year_and_this_year_against_its_date():
    text = "去年，某某公园完成改造。今年将启动滨江步道建设。某中心已经建成开放。\n"
    doc = document_from_text(text, name="n.txt", kind="news", date=dt.date(2022, 5, 3))
    assert (_find(doc, "某某公园").year, _find(doc, "某某公园").mode) == (2021, "review")
    assert (_find(doc, "滨江步道").year, _find(doc, "滨江步道").mode) == (2022, "plan")
    assert (_find(doc, "某中心").year, _find(doc, "某中心").mode) == (2022, "review")


def test_five_year_review_heading_gives_a_period():
    text = "政府工作报告\n2027年1月5日\n一、过去五年工作回顾\n建成某馆。\n二、今后五年目标任务\n建设某园。\n"
    doc = document_from_text(text, name="t.txt")
    s = _find(doc, "某馆")
    assert (s.year, s.mode, s.period) == (2026, "review", (2022, 2026))
    s = _find(doc, "某园")
    assert (s.mode, s.period) == ("plan", (2027, 2031))


def test_table_of_contents_is_not_a_heading():
    text = "目录\n一、总体要求\t3\n二、重点任务\t9\n一、2020年回顾\n建成某园。\n"
    doc = document_from_text(text, name="t.txt", kind="other", date=dt.date(2021, 1, 1))
    s = _find(doc, "某园")
    assert s.section == "一、2020年回顾" and s.year == 2020


@pytest.mark.parametrize(
    ("name", "heading_fragment", "year", "mode"),
    [
        ("000_27240cc56c075bd4.txt", "2022年工作回顾", 2022, "review"),
        ("000_27240cc56c075bd4.txt", "2023年主要任务", 2023, "plan"),
        ("003_719247f755e4186c.txt", "2021年国民经济和社会发展计划执行情况", 2021, "review"),
        ("003_719247f755e4186c.txt", "2022年国民经济和社会发展的主要任务", 2022, "plan"),
        ("004_8b03acbbd24002e3.txt", "2017年工作回顾", 2017, "review"),
        ("004_8b03acbbd24002e3.txt", "2018年主要任务", 2018, "plan"),
        ("002_23698b69ee2e821d.txt", "“十三五”主要成就", 2020, "review"),
        ("002_23698b69ee2e821d.txt", "持续优化空间格局", 2021, "plan"),
    ],
)
def test_seed_sections_have_the_year_and_mode_of_their_heading(
    seed_paths, name, heading_fragment, year, mode
):
    path = next(p for p in seed_paths if p.name == name)
    doc = read_document(path)
    inside = [s for s in doc.sentences if heading_fragment in s.section]
    assert len(inside) >= 5
    assert all((s.year, s.mode) == (year, mode) for s in inside)


def test_seed_news_has_both_years(seed_paths):
    doc = read_document(next(p for p in seed_paths if p.name.startswith("001_")))
    years = {s.year for s in doc.sentences}
    assert doc.kind == "news" and {2023, 2024} <= years
    last_year = [s for s in doc.sentences if s.text.startswith("去年")]
    assert last_year and all((s.year, s.mode) == (2023, "review") for s in last_year)
