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
from pypdf import PdfReader

from maps import palette
from maps.briefing import MAP_TABLE_ROWS, TABLE_ROWS, changed_projects, make_briefing


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    out = tmp_path_factory.mktemp("briefing")
    paths = make_briefing(briefing_layers(), out)
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
    return n + max(1, math.ceil(len(changes) / TABLE_ROWS))


def test_make_briefing_returns_pictures_and_deck(deck):
    out, paths, _ = deck
    assert paths[-1] == out / "briefing.pptx"
    assert all(p.exists() for p in paths)
    assert {p.parent for p in paths[:-1]} == {out / "slides"}


def test_deck_has_the_expected_slides(deck):
    _, _, prs = deck
    layers = briefing_layers()
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
    assert titles[-1].startswith("2022—2023 年状态变化")


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
