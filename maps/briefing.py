"""The briefing deck (``briefing.pptx``) built with python-pptx from the pictures.

Slides: a title slide, the overview map, one slide per zone and one per belt
(map + table of its projects, long tables continued on following slides), and
"changes since last year" (projects whose status moved between the two latest
years). All text is real text with the CJK font set as the East Asian
typeface (``a:ea``), so it is searchable and LibreOffice renders it.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.oxml.ns import qn
from pptx.presentation import Presentation as PresentationType
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt

from gis.atomic import atomic_path
from layers.model import ProjectLayers
from maps import palette
from maps._cartography import status_as_of, status_years
from maps.fonts import PPTX_EA_FALLBACK, cjk_family
from maps.pictures import Picture, render_pictures

__all__ = ["MAP_TABLE_ROWS", "TABLE_ROWS", "changed_projects", "deck_from_pictures",
           "make_briefing"]

log = logging.getLogger(__name__)

#: Rows of the project table beside a map; the rest go to continuation slides.
MAP_TABLE_ROWS = 12
#: Rows of a table on a continuation slide.
TABLE_ROWS = 15
#: At most this many continuation slides per zone/belt; further projects are counted.
MAX_CONTINUATIONS = 3

_W, _H = Emu(12192000), Emu(6858000)  # 13.333 × 7.5 in, exactly 16:9
#: Fraction of a picture's height taken by its title band (the slide has its own title).
_TITLE_BAND = 0.095
_DARK = RGBColor(0x22, 0x22, 0x22)
_GREY = RGBColor(0x66, 0x66, 0x66)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _clean(text: object) -> str:
    """Text safe for XML: control characters (which lxml refuses) removed."""
    return _CONTROL.sub("", "" if text is None else str(text))


def _set_fonts(run, family: str) -> None:
    """Set the Latin, East Asian and complex-script typefaces of a run."""
    rpr = run._r.get_or_add_rPr()
    rpr.set("lang", "zh-CN")
    rpr.set("altLang", "en-US")
    for tag in ("a:latin", "a:ea", "a:cs"):
        for old in rpr.findall(qn(tag)):
            rpr.remove(old)
    for tag in ("a:latin", "a:ea", "a:cs"):
        el = etree.SubElement(rpr, qn(tag))
        el.set("typeface", family)
        if tag == "a:ea":
            # charset -122 (GB2312) lets PowerPoint pick a Simplified Chinese
            # font (e.g. 微软雅黑) when the family is not installed
            el.set("charset", "-122")
            el.set("pitchFamily", "34")
    # keep schema order: latin, ea, cs must follow the fill elements and precede hyperlinks
    for tag in ("a:hlinkClick", "a:hlinkMouseOver", "a:rtl", "a:extLst"):
        for el in rpr.findall(qn(tag)):
            rpr.remove(el)
            rpr.append(el)


def _write(tf, lines: Sequence[str] | str, *, size: float, bold: bool = False,
           color: RGBColor = _DARK, family: str) -> None:
    """Replace the text of a text frame with ``lines`` (one paragraph each)."""
    if isinstance(lines, str):
        lines = [lines]
    tf.clear()
    for i, line in enumerate(lines):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        run = para.add_run()
        run.text = _clean(line)
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = color
        _set_fonts(run, family)


def _textbox(slide: Slide, x, y, w, h, lines, *, size: float, family: str, bold: bool = False,
             color: RGBColor = _DARK):
    box = slide.shapes.add_textbox(x, y, w, h)
    box.text_frame.word_wrap = True
    _write(box.text_frame, lines, size=size, bold=bold, color=color, family=family)
    return box


def _title(slide: Slide, text: str, family: str, subtitle: str = "") -> None:
    _textbox(slide, Inches(0.4), Inches(0.2), Inches(12.5), Inches(0.6), text, size=26, bold=True,
             family=family)
    if subtitle:
        _textbox(slide, Inches(0.4), Inches(0.78), Inches(12.5), Inches(0.35), subtitle, size=12,
                 color=_GREY, family=family)


def _table(slide: Slide, header: Sequence[str], rows: Sequence[Sequence[str]], *, x, y, w,
           widths: Sequence[float], family: str, size: float = 11):
    """Add a table; ``widths`` are relative column widths."""
    row_h = Inches(0.33)
    shape = slide.shapes.add_table(len(rows) + 1, len(header), x, y, w, row_h * (len(rows) + 1))
    table = shape.table
    total = sum(widths)
    for i, rel in enumerate(widths):
        table.columns[i].width = Emu(int(w * rel / total))
    for r, values in enumerate([header, *rows]):
        table.rows[r].height = row_h
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            color = RGBColor(0xFF, 0xFF, 0xFF) if r == 0 else _DARK
            _write(cell.text_frame, str(value), size=size, bold=r == 0, color=color, family=family)
    return table


def _blank(prs: PresentationType) -> Slide:
    return prs.slides.add_slide(prs.slide_layouts[6])


def _picture(slide: Slide, path: Path, x, y, *, width=None, height=None,
             crop_top: float = 0.0) -> None:
    """Add a picture; ``crop_top`` (fraction) cuts the picture's own title band."""
    pic = slide.shapes.add_picture(str(path), x, y, width=width, height=height)
    if crop_top:
        pic.crop_top = crop_top
        pic.height = int(pic.height * (1 - crop_top))


def _year_of(row: pd.Series) -> str:
    years = status_years(row.get("status_by_year"))
    if years:
        return str(max(years))
    last = row.get("last_year")
    return "" if pd.isna(last) else str(int(last))


def _project_rows(layers: ProjectLayers, picture: Picture) -> list[list[str]]:
    """Table rows (编号, 名称, 状态, 年份) of the projects drawn on a picture."""
    projects = layers.projects.set_index(layers.projects["id"].astype(str))
    rows = []
    for pid in picture.project_ids:
        if pid not in projects.index:
            continue
        row = projects.loc[pid]
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        number = picture.numbers.get(pid)
        mark = str(number) if number is not None else ("●" if pid in picture.named else "")
        rows.append([mark, _clean(row["name"]), palette.status_label(str(row["status_latest"])),
                     _year_of(row)])
    return rows


def _map_slides(prs: PresentationType, layers: ProjectLayers, picture: Picture, family: str,
                subtitle: str) -> None:
    rows = _project_rows(layers, picture)
    slide = _blank(prs)
    _title(slide, picture.title, family, subtitle)
    _picture(slide, picture.png, Inches(0.2), Inches(1.25), width=Inches(9.1), crop_top=_TITLE_BAND)
    header = ("号", "项目", "状态", "年份")
    widths = (0.4, 2.3, 1.05, 0.6)
    x, w = Inches(9.4), Inches(3.75)
    if not rows:
        _textbox(slide, x, Inches(1.3), w, Inches(1), "本图无已定位项目。", size=14, family=family)
        return
    first, rest = rows[:MAP_TABLE_ROWS], rows[MAP_TABLE_ROWS:]
    _table(slide, header, first, x=x, y=Inches(1.25), w=w, widths=widths, family=family, size=10)
    note = ["编号对应图中数字；● 为图上直接标注名称。"]
    if rest:
        note.append(f"另有 {len(rest)} 项，见续页。")
    _textbox(slide, x, Inches(1.25) + Inches(0.33) * (len(first) + 1) + Inches(0.1), w,
             Inches(0.7), note, size=10, color=_GREY, family=family)
    chunks = [rest[i:i + TABLE_ROWS] for i in range(0, len(rest), TABLE_ROWS)]
    for n, chunk in enumerate(chunks[:MAX_CONTINUATIONS], start=1):
        cont = _blank(prs)
        _title(cont, f"{picture.title}（续 {n}）", family, subtitle)
        _table(cont, header, chunk, x=Inches(0.6), y=Inches(1.3), w=Inches(12.1),
               widths=(0.6, 6.0, 1.6, 1.0), family=family)
    left = sum(len(c) for c in chunks[MAX_CONTINUATIONS:])
    if left:
        _textbox(cont, Inches(0.6), Inches(6.8), Inches(12), Inches(0.4),
                 f"另有 {left} 项未列出，完整名单见 projects.csv。", size=11, color=_GREY,
                 family=family)


def changed_projects(layers: ProjectLayers) -> tuple[tuple[int, int] | None, list[dict]]:
    """Projects whose status moved between the two latest years of the data.

    Parameters
    ----------
    layers : ProjectLayers
        Its ``projects.status_by_year`` holds each project's history.

    Returns
    -------
    (years, changes)
        ``years`` is ``(previous, latest)`` or ``None`` when fewer than two
        years are recorded. ``changes`` holds dicts with ``id``, ``name``,
        ``zone``, ``before`` (status as of the previous year, ``None`` if not
        yet recorded) and ``after``, most mentioned first.
    """
    projects = layers.projects
    histories = projects.get("status_by_year", pd.Series(dtype=str))
    years = sorted({y for v in histories for y in status_years(v)})
    if len(years) < 2:
        return None, []
    previous, latest = years[-2], years[-1]
    order = projects.assign(
        _count=pd.to_numeric(projects.get("mention_count", 0), errors="coerce").fillna(0)
    ).sort_values(["_count", "name"], ascending=[False, True], kind="stable")
    changes = []
    for _, row in order.iterrows():
        before = status_as_of(row["status_by_year"], previous)
        after = status_as_of(row["status_by_year"], latest)
        if after is not None and after != before:
            changes.append({"id": str(row["id"]), "name": str(row["name"]),
                            "zone": str(row.get("zone", "")), "before": before, "after": after})
    return (previous, latest), changes


def _changes_slides(prs: PresentationType, layers: ProjectLayers, family: str) -> None:
    years, changes = changed_projects(layers)
    slide = _blank(prs)
    if years is None:
        _title(slide, "年度状态变化", family)
        _textbox(slide, Inches(0.6), Inches(1.4), Inches(12), Inches(1),
                 "资料只记载了一个年份，无法比较。", size=16, family=family)
        return
    previous, latest = years
    title = f"{previous}—{latest} 年状态变化"
    subtitle = f"{len(changes)} 个项目的状态在 {latest} 年较 {previous} 年有变化（含 {latest} 年新出现的项目）"
    _title(slide, title, family, subtitle)
    if not changes:
        _textbox(slide, Inches(0.6), Inches(1.4), Inches(12), Inches(1),
                 f"{previous} 年到 {latest} 年没有项目状态发生变化。", size=16, family=family)
        return
    header = ("项目", "分区", f"{previous} 年", f"{latest} 年")
    rows = [[_clean(c["name"]), palette.ZONES.get(c["zone"], ("—",))[0],
             palette.status_label(c["before"]) if c["before"] else "（未记载）",
             palette.status_label(c["after"])] for c in changes]
    chunks = [rows[i:i + TABLE_ROWS] for i in range(0, len(rows), TABLE_ROWS)]
    for n, chunk in enumerate(chunks[: MAX_CONTINUATIONS + 1]):
        if n:
            slide = _blank(prs)
            _title(slide, f"{title}（续 {n}）", family, subtitle)
        _table(slide, header, chunk, x=Inches(0.6), y=Inches(1.3), w=Inches(12.1),
               widths=(5.0, 3.0, 1.6, 1.6), family=family)
    left = sum(len(c) for c in chunks[MAX_CONTINUATIONS + 1:])
    if left:
        _textbox(slide, Inches(0.6), Inches(6.8), Inches(12), Inches(0.4),
                 f"另有 {left} 项未列出，完整记录见 timeline.csv。", size=11, color=_GREY,
                 family=family)


def deck_from_pictures(layers: ProjectLayers, pictures: Sequence[Picture], path: Path) -> Path:
    """Write the briefing deck for pictures already drawn by ``render_pictures``.

    Parameters
    ----------
    layers : ProjectLayers
        The projects the tables list.
    pictures : sequence of Picture
        The overview, zone and belt pictures (year pictures are not used).
    path : Path
        The ``.pptx`` file to write (atomically).

    Returns
    -------
    Path
        ``path``.
    """
    family = cjk_family()
    prs = Presentation()
    prs.slide_width, prs.slide_height = _W, _H
    prs.core_properties.title = "长宁区规划项目简报"
    prs.core_properties.author = "planmap"

    docs = [_clean(d.get("title") or d.get("name") or "") for d in layers.documents]
    slide = _blank(prs)
    _textbox(slide, Inches(0.8), Inches(2.3), Inches(11.7), Inches(1.2), "长宁区规划项目简报",
             size=40, bold=True, family=family)
    n = len(layers.projects)
    _textbox(slide, Inches(0.8), Inches(3.5), Inches(11.7), Inches(0.6),
             f"三区三带项目分布与进展 · {n} 个已定位项目 · {_dt.date.today().isoformat()}",
             size=18, color=_GREY, family=family)
    if docs:
        _textbox(slide, Inches(0.8), Inches(4.4), Inches(11.7), Inches(2.4),
                 ["资料来源：", *docs[:8]] + ([f"等 {len(docs)} 份文件"] if len(docs) > 8 else []),
                 size=13, color=_GREY, family=family)

    by_kind: dict[str, list[Picture]] = {}
    for picture in pictures:
        by_kind.setdefault(picture.kind, []).append(picture)
    for overview in by_kind.get("overview", []):
        slide = _blank(prs)
        _title(slide, overview.title, family, f"{len(overview.project_ids)} 个已定位项目，颜色为最近一年的状态")
        _picture(slide, overview.png, Inches(0.55), Inches(1.2), width=Inches(12.2),
                 crop_top=_TITLE_BAND)
    for picture in by_kind.get("zone", []):
        _map_slides(prs, layers, picture, family, f"分区 · {len(picture.project_ids)} 个项目")
    for picture in by_kind.get("belt", []):
        _map_slides(prs, layers, picture, family, f"发展带 · {len(picture.project_ids)} 个项目")
    _changes_slides(prs, layers, family)

    with atomic_path(path) as tmp:
        prs.save(str(tmp))
    log.info("briefing: wrote %d slides to %s (CJK font %s, PowerPoint fallback %s)",
             len(prs.slides), path, family, PPTX_EA_FALLBACK)
    return Path(path)


def make_briefing(layers: ProjectLayers, out: Path, *, reference: dict | None = None
                  ) -> list[Path]:
    """Draw the briefing pictures and write ``out/briefing.pptx``.

    Parameters
    ----------
    layers : ProjectLayers
        Projects, zones, belts and the documents used.
    out : Path
        Output folder: pictures go to ``out/slides/``, the deck to ``out/briefing.pptx``.
    reference : dict of GeoDataFrame, optional
        Base layers; ``None`` uses the bundled reference data.

    Returns
    -------
    list of Path
        Every picture (PNG and SVG) and, last, the deck.

    Raises
    ------
    PlanmapError
        When no CJK font is installed (the message names ``fonts-noto-cjk``).
    """
    out = Path(out)
    pictures = render_pictures(layers, out, reference=reference)
    deck = deck_from_pictures(layers, pictures, out / "briefing.pptx")
    paths = [p for picture in pictures for p in (picture.png, picture.svg)]
    return [*paths, deck]
