"""The briefing deck: slides, tables, searchable text with a CJK font, PDF rendering."""

from __future__ import annotations

import math
import os
import shutil
import subprocess

import pytest
from briefing_fixtures import TRICKY_NAME, briefing_layers
from pptx import Presentation
from pptx.oxml.ns import qn
from pptx.util import Inches
from pypdf import PdfReader

from layers.delivery import delivery_summary
from maps import palette
from maps.briefing import make_briefing
from maps.deck import MAP_TABLE_ROWS, TABLE_ROWS, changed_projects


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    out = tmp_path_factory.mktemp("briefing")
    paths = make_briefing(briefing_layers(delivery=True), out)
    return out, paths, Presentation(str(out / "briefing.pptx"))


def _texts(slide) -> list[str]:
    texts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            texts.append(shape.text_frame.text)
        if shape.has_table:
            texts += [cell.text for row in shape.table.rows for cell in row.cells]
    return texts


def _tables(slide):
    return [shape.table for shape in slide.shapes if shape.has_table]


def _pictures(slide):
    return [shape for shape in slide.shapes if shape.shape_type == 13]  # PICTURE


def _expected_slide_count(layers) -> int:
    projects = layers.projects
    n = 2  # title + overview
    for key in ("east", "central", "west"):
        count = int((projects["zone"] == key).sum())
        n += 1 + math.ceil(max(0, count - MAP_TABLE_ROWS) / TABLE_ROWS)
    for key in palette.BELTS:
        count = int(projects["belts"].str.split(",").apply(lambda b, k=key: k in b).sum())
        n += 1 + math.ceil(max(0, count - MAP_TABLE_ROWS) / TABLE_ROWS)
    _, changes = changed_projects(layers)
    n += max(1, math.ceil(len(changes) / TABLE_ROWS))
    return n + (2 if layers.delivery is not None else 0)  # delivery table + map


def test_make_briefing_returns_pictures_and_deck(deck):
    out, paths, _ = deck
    assert paths[-1] == out / "briefing.pptx"
    assert all(p.exists() for p in paths)
    assert {p.parent for p in paths[:-1]} == {out / "slides"}


def test_deck_has_the_expected_slides(deck):
    _, _, prs = deck
    layers = briefing_layers(delivery=True)
    slides = list(prs.slides)
    assert len(slides) == _expected_slide_count(layers)
    assert prs.slide_width * 9 == prs.slide_height * 16  # 16:9
    assert "长宁区规划项目简报" in _texts(slides[0])
    assert _pictures(slides[1]) and "长宁区规划项目总览：三区三带" in _texts(slides[1])
    titles = [next(iter(_texts(s)), "") for s in slides]
    for key in ("east", "central", "west"):
        assert palette.ZONES[key][0] in titles
    for key in palette.BELTS:
        assert palette.BELTS[key][0] in titles
    assert titles[-3].startswith("2022—2023 年状态变化")
    assert titles[-2:] == ["承诺兑现情况（按分区）", "无后续报告的承诺项目（按分区）"]


def _zone_rows(prs, title: str) -> list[list[str]]:
    rows = []
    for slide in prs.slides:
        texts = _texts(slide)
        if texts and (texts[0] == title or texts[0].startswith(f"{title}（续")):
            for table in _tables(slide):
                rows += [[c.text for c in row.cells] for row in list(table.rows)[1:]]
    return rows


def test_zone_slides_have_a_map_and_a_table_of_all_their_projects(deck):
    _, _, prs = deck
    projects = briefing_layers().projects
    for key in ("east", "central", "west"):
        title = palette.ZONES[key][0]
        slide = next(s for s in prs.slides if _texts(s)[0] == title)
        assert len(_pictures(slide)) == 1
        header = [c.text for c in _tables(slide)[0].rows[0].cells]
        assert header == ["号", "项目", "状态", "年份"]
        rows = _zone_rows(prs, title)
        expected = projects[projects["zone"] == key]
        assert sorted(r[1] for r in rows) == sorted(expected["name"])
        by_name = dict(zip(expected["name"], expected["status_latest"], strict=True))
        for _, name, status, year in rows:
            assert status == palette.status_label(by_name[name])
            assert year.isdigit()
    # the long east table was continued on a following slide
    assert any(_texts(s)[0].startswith(f"{palette.ZONES['east'][0]}（续") for s in prs.slides)


def test_text_is_searchable_and_markup_survives(deck):
    _, _, prs = deck
    everything = [t for s in prs.slides for t in _texts(s)]
    assert "中山公园" in everything
    assert TRICKY_NAME in everything  # escaped into XML, read back verbatim


def test_every_run_has_the_cjk_east_asian_typeface(deck):
    _, _, prs = deck
    runs = 0
    for slide in prs.slides:
        for r in slide._element.iter(qn("a:r")):
            rpr = r.find(qn("a:rPr"))
            assert rpr is not None
            ea = rpr.find(qn("a:ea"))
            assert ea is not None and ea.get("typeface") == "Noto Sans CJK SC"
            assert rpr.find(qn("a:latin")).get("typeface") == "Noto Sans CJK SC"
            runs += 1
    assert runs > 100


def test_changes_lists_projects_whose_status_moved():
    layers = briefing_layers(crowd=False)
    years, changes = changed_projects(layers)
    assert years == (2022, 2023)
    moved = {c["name"]: (c["before"], c["after"]) for c in changes}
    assert moved["北新泾社区文化中心"] == ("started", "completed")
    assert moved["新泾公园"] == (None, "opened")  # first recorded in 2023
    assert "中山公园" not in moved  # renovated in 2021, nothing since
    assert "外环林带" not in moved  # last recorded 2022: unchanged as of 2023
    counts = dict(zip(layers.projects["name"], layers.projects["mention_count"], strict=True))
    assert [counts[c["name"]] for c in changes] == sorted(
        (counts[c["name"]] for c in changes), reverse=True)


def test_changes_slide_with_a_single_year(tmp_path):
    layers = briefing_layers(crowd=False)
    layers.projects = layers.projects[layers.projects["name"] == "上生新所"]
    assert changed_projects(layers) == (None, [])
    make_briefing(layers, tmp_path)
    prs = Presentation(str(tmp_path / "briefing.pptx"))
    assert "资料只记载了一个年份，无法比较。" in _texts(list(prs.slides)[-1])
    # no delivery table (layers.delivery is None): no delivery slides, no delivery picture
    everything = [t for s in prs.slides for t in _texts(s)]
    assert not [t for t in everything if "承诺" in t]
    assert not list((tmp_path / "slides").glob("delivery_*"))


def _slide(prs, title: str):
    return next(s for s in prs.slides if _texts(s) and _texts(s)[0] == title)


def test_delivery_table_slide_equals_delivery_summary(deck):
    _, _, prs = deck
    layers = briefing_layers(delivery=True)
    summary = delivery_summary(layers.delivery)
    slide = _slide(prs, "承诺兑现情况（按分区）")
    (table,) = _tables(slide)
    cells = [[c.text for c in row.cells] for row in table.rows]
    header, rows = cells[0], cells[1:]
    classes = list(palette.DELIVERY_CLASSES)
    assert header == ["分区", "承诺", *(palette.DELIVERY_CLASSES[c][0] for c in classes),
                      "中位滞后（年）"]
    labels = {"east": palette.ZONES["east"][0], "central": palette.ZONES["central"][0],
              "west": palette.ZONES["west"][0], "district": "全区（未细分）",
              "unlocated": "未定位"}
    expected = {labels[z]: stats for z, stats in summary["by_zone"].items()}
    expected["合计"] = summary["total"]
    assert [r[0] for r in rows] == [labels[z] for z in ("east", "central", "west", "district",
                                                        "unlocated")] + ["合计"]
    for row in rows:
        stats = expected[row[0]]
        assert int(row[1]) == stats["promised"]
        assert [int(v) for v in row[2:-1]] == [stats["classes"][c] for c in classes]
        lag = stats["median_lag_years"]
        assert row[-1] == ("—" if lag is None else f"{lag:g}")
    assert sum(int(r[1]) for r in rows[:-1]) == int(rows[-1][1]) == len(layers.delivery)


def test_delivery_map_slide_counts_what_cannot_be_drawn(deck):
    out, _, prs = deck
    layers = briefing_layers(delivery=True)
    slide = _slide(prs, "无后续报告的承诺项目（按分区）")
    assert len(_pictures(slide)) == 1
    texts = _texts(slide)
    assert "8 项承诺到期后无后续文件提及，图上标出 6 项；另有 2 项只知在全区或未定位，无法在图上标出" \
        in texts
    (table,) = _tables(slide)
    names = {row.cells[1].text for row in list(table.rows)[1:]}
    delivery = layers.delivery
    wanted = delivery[(delivery["delivery_class"] == "no_later_report")
                      & delivery["zone"].isin(["east", "central", "west"])]
    assert names == set(wanted["name"])
    # the legend is text on the slide, with the count per zone
    assert any(f"{palette.ZONES['east'][0]}：2 项" in t for t in texts)
    assert (out / "slides" / "delivery_no_later_report.png").exists()


def test_zone_slides_carry_their_legend_as_text(deck):
    _, _, prs = deck
    slide = _slide(prs, palette.ZONES["east"][0])
    legend = next(t for t in _texts(slide) if t.startswith("项目状态"))
    assert palette.status_label("planned") in legend and palette.BELTS["line2"][0] in legend
    sizes = {r.font.size.pt for shape in slide.shapes if shape.has_text_frame
             for p in shape.text_frame.paragraphs for r in p.runs if r.text.strip()}
    assert min(sizes) >= 8  # nothing on the slide is drawn smaller than 8 pt
    # the map is cropped to its frame, so it is drawn larger than the whole picture would be
    (pic,) = _pictures(slide)
    assert pic.crop_right > 0.3 and pic.height > Inches(5)


def _soffice() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.slow
@pytest.mark.skipif(_soffice() is None,
                    reason="LibreOffice is not installed (apt-get install libreoffice-impress)")
def test_deck_renders_to_pdf_with_one_page_per_slide(deck, tmp_path):
    out, _, prs = deck
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    result = subprocess.run(
        [_soffice(), f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(out / "briefing.pptx")],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )
    pdf = tmp_path / "briefing.pdf"
    assert pdf.exists(), result.stderr
    reader = PdfReader(str(pdf))
    assert len(reader.pages) == len(prs.slides)
    # the Chinese text is text in the PDF too, not a picture
    assert "长宁区规划项目简报" in reader.pages[0].extract_text().replace(" ", "")


def test_preparing_the_briefing_leaves_python_pptx_for_the_deck():
    # the deck is made while the picture workers draw; python-pptx loaded before the first
    # picture would only delay it
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from maps.briefing import prepare_briefing\n"
        "prepare_briefing()\n"
        "assert 'matplotlib' in sys.modules\n"
        "assert 'pptx' not in sys.modules, 'python-pptx imported before the deck'\n"
        "import maps.deck\n"
        "assert 'pptx' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
