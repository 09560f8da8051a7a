"""Tests of status from the clause around a mention (sentences written for the tests)."""

from __future__ import annotations

import pytest

from geocode.status import clause_around, status_of


def status(sentence: str, name: str, mode: str = "review") -> tuple[str, str]:
    start = sentence.index(name)
    return status_of(sentence, start, start + len(name), mode)


@pytest.mark.parametrize(
    ("sentence", "name", "mode", "expected"),
    [
        ("规划建设滨江公园。", "滨江公园", "plan", "planned"),
        ("研究苏州河滨河空间提升方案。", "苏州河", "review", "planned"),
        ("推进长宁体育中心建设。", "长宁体育中心", "plan", "planned"),
        ("推进长宁体育中心建设。", "长宁体育中心", "review", "under_construction"),
        ("加快建设天山西路菜场。", "天山西路菜场", "review", "under_construction"),
        ("福泉路养老院开工建设。", "福泉路养老院", "review", "started"),
        ("启动临空5号地块建设。", "临空5号地块", "review", "started"),
        ("北渔路小学竣工。", "北渔路小学", "review", "completed"),
        ("建成新泾公园。", "新泾公园", "review", "completed"),
        ("协和路菜场正式开业。", "协和路菜场", "review", "opened"),
        ("剑河路驿站投入使用。", "剑河路驿站", "review", "opened"),
        ("完成仙霞路人行道改造。", "仙霞路", "review", "renovated"),
        ("优化延安西路沿线交通组织。", "延安西路", "review", "ongoing"),
        ("金虹桥国际中心税收超百亿元。", "金虹桥国际中心", "review", "mentioned"),
    ],
)
def test_status_words(sentence, name, mode, expected):
    assert status(sentence, name, mode)[0] == expected


def test_cue_is_kept():
    assert status("北渔路小学竣工。", "北渔路小学") == ("completed", "竣工")
    assert status("完成仙霞路人行道改造。", "仙霞路") == ("renovated", "完成…改造")


def test_status_comes_from_the_mentions_own_clause():
    s = "福泉路养老院已经竣工，新泾公园开工建设。"
    assert status(s, "福泉路养老院")[0] == "completed"
    assert status(s, "新泾公园")[0] == "started"


def test_decisive_cue_beats_a_weak_nearer_one():
    s = "推动协和路大厦等2个楼宇开工建设。"
    assert status(s, "协和路大厦") == ("started", "开工建设")


def test_mode_decides_only_the_mode_dependent_cues():
    # 推进 depends on the mode; a decisive cue (开工) does not
    assert status("推进新泾公园建设。", "新泾公园", "plan")[0] == "planned"
    assert status("推进新泾公园建设。", "新泾公园", "review")[0] == "under_construction"
    assert status("新泾公园开工。", "新泾公园", "plan")[0] == "started"


def test_cue_inside_the_name_is_ignored():
    assert status("城市更新中心举办展览。", "城市更新中心")[0] != "renovated"


def test_clause_bounds():
    s = "甲乙丙，丁戊己；庚辛。"
    assert clause_around(s, 4, 5) == (4, 7)
    assert clause_around(s, 0, 1) == (0, 3)
