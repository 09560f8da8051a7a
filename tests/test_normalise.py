"""Normalisation keeps the way back to the original text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gis.normalise import normalise_text
from gis.reading import document_from_text


def test_name_broken_by_line_break_and_blank_line_is_joined():
    original = "今年全面完成了老旧小区综合改造工作，包括仙\n\n霞新村街道的三个小区和天山路沿线。\n"
    n = normalise_text(original)
    assert "仙霞新村街道" in n.text
    start = n.text.index("仙霞新村街道")
    a, b = n.offsets[start], n.offsets[start + 5] + 1
    assert original[a:b].replace("\n", "") == "仙霞新村街道"


def test_spaces_inside_cjk_and_numbers_are_removed():
    n = normalise_text("推进临空 12号地块建设，2023 年完成投资 1 250 万元。")
    assert n.text == "推进临空12号地块建设，2023年完成投资1250万元。"


def test_latin_words_keep_one_space():
    n = normalise_text("打造 Hongqiao  Smart   Valley 品牌。")
    assert "Hongqiao Smart Valley" in n.text


def test_fullwidth_digits_and_halfwidth_punctuation_are_folded():
    n = normalise_text("临空１２号地块(一期),建成。")
    assert n.text == "临空12号地块（一期），建成。"


def test_headings_and_short_titles_are_not_glued_to_the_next_line():
    text = (
        "一、2022年工作回顾\n"
        "过去一年，我们推进了一批重点项目，城区面貌有了新的变化和\n"
        "提升，天山路沿线环境进一步改善。\n"
        "（一）优化空间布局\n"
        "建成新的口袋公园。\n"
    )
    paragraphs = normalise_text(text).text.split("\n")
    assert paragraphs[0] == "一、2022年工作回顾"
    assert paragraphs[1].endswith("天山路沿线环境进一步改善。")
    assert paragraphs[2] == "（一）优化空间布局"


def test_list_cut_by_a_page_break_after_a_list_comma_is_joined():
    # a long paragraph line (so the wrap width is large), cut after 、 by a page break
    text = (
        "——完善配套设施。推动商业街区和公共空间提升，促进功能同步提升，形成新的样板，"
        "逐步改善城区环境。加快新华路 211 弄、\n"
        "\n"
        "番禺路地块、法华镇路地块等项目建设。\n"
        "二、保障措施\n"
        "（一）加强组织领导，\n"
        "\n"
        "（二）完善工作机制\n"
    )
    paragraphs = normalise_text(text).text.split("\n")
    assert paragraphs[0].endswith("加快新华路211弄、番禺路地块、法华镇路地块等项目建设。")
    assert paragraphs[1] == "二、保障措施"
    # a heading still starts its own line, even after a comma
    assert paragraphs[2:] == ["（一）加强组织领导，", "（二）完善工作机制"]


def test_document_maps_spans_back_to_lines():
    original = (
        "一、2022年工作回顾\n\n"
        "这一年来我们持续推进重点产业项目落地，推进联影智\n\n"
        "慧医疗产业园建设，园区首批企业已经入驻并开始运\n\n"
        "营。\n"
    )
    doc = document_from_text(original, name="t.txt")
    start = doc.text.index("联影智慧医疗产业园")
    a, b = doc.to_original(start, start + len("联影智慧医疗产业园"))
    assert doc.line_of(a) == 3 and doc.line_of(b - 1) == 5
    assert original[a:b].replace("\n", "") == "联影智慧医疗产业园"


_chars = st.sampled_from(list("长宁区虹桥公园天山路12 3　\n\n，。、（）(),;Ａ１ab\t"))


@settings(max_examples=200, deadline=None)
@given(st.text(_chars, max_size=300))
def test_every_kept_character_points_at_its_original(original):
    n = normalise_text(original)
    assert len(n.offsets) == len(n.text)
    assert list(n.offsets) == sorted(n.offsets)
    for ch, off in zip(n.text, n.offsets, strict=True):
        src = original[off]
        if ch == "\n":
            assert src == "\n"
        elif ch == " ":
            assert src.isspace()
        elif ch == "\t":
            assert src == "\t"
        else:
            assert src == ch or ord(src) > 0xFF00 or src in ",;:()!?"
