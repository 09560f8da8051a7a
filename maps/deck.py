"""The briefing deck (``briefing.pptx``) built with python-pptx from the pictures.

``maps.briefing`` draws the pictures and calls ``deck_from_pictures``; this module
is imported only then, so python-pptx is not loaded before the pictures are drawn.

Slides: a title slide, the overview map, one slide per zone and one per belt
(the map cropped large, its legend and a table of its projects as text, long
tables continued on following slides), "changes since last year" (projects
whose status moved between the two latest years) and, when the layers carry a
delivery table, the delivery summary by zone and a map of the promises no
later document reports on. All text is real text with the CJK font set as
the East Asian typeface (``a:ea``), so it is searchable and LibreOffice
renders it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import re
import zipfile
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
from maps._cartography import status_years
from maps.fonts import PPTX_EA_FALLBACK, cjk_family
from maps.pictures import (
    FIGSIZE,
    MAP_BOX,
    LegendEntry,
    Picture,
    zone_label,
)

__all__ = ["MAP_TABLE_ROWS", "TABLE_ROWS", "changed_projects",
           "deck_from_pictures"]

log = logging.getLogger(__name__)

#: Rows of the project table beside a map; the rest go to continuation slides.
MAP_TABLE_ROWS = 12
#: Rows of a table on a continuation slide.
TABLE_ROWS = 13
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


_A_P, _A_R, _A_RPR, _A_T = qn("a:p"), qn("a:r"), qn("a:rPr"), qn("a:t")
_A_SOLID, _A_SRGB = qn("a:solidFill"), qn("a:srgbClr")
_A_FONTS = (qn("a:latin"), qn("a:ea"), qn("a:cs"))
_A_EA = qn("a:ea")


def _add_fonts(rpr, family: str) -> None:
    """Set the Latin, East Asian and complex-script typefaces of a run's ``a:rPr``."""
    for tag in _A_FONTS:
        el = etree.SubElement(rpr, tag)
        el.set("typeface", family)
        if tag == _A_EA:
            # charset -122 (GB2312) lets PowerPoint pick a Simplified Chinese
            # font (e.g. 微软雅黑) when the family is not installed
            el.set("charset", "-122")
            el.set("pitchFamily", "34")


def _append_run(p, text: str, *, size: float, bold: bool, color: RGBColor, family: str) -> None:
    """Append ``<a:r>`` to a paragraph element, its properties written directly.

    The same XML python-pptx writes through ``run.font`` (size, bold, solid
    fill colour) plus the three typefaces, in schema order (fill before fonts), at a
    tenth of the cost: decks have thousands of table cells.
    """
    r = etree.SubElement(p, _A_R)
    rpr = etree.SubElement(r, _A_RPR)
    rpr.set("lang", "zh-CN")
    rpr.set("altLang", "en-US")
    rpr.set("sz", str(int(round(size * 100))))
    rpr.set("b", "1" if bold else "0")
    etree.SubElement(etree.SubElement(rpr, _A_SOLID), _A_SRGB).set("val", str(color))
    _add_fonts(rpr, family)
    etree.SubElement(r, _A_T).text = _clean(text)


def _write(tf, lines: Sequence[str] | str, *, size: float, bold: bool = False,
           color: RGBColor = _DARK, family: str) -> None:
    """Replace the text of a text frame with ``lines`` (one paragraph each)."""
    if isinstance(lines, str):
        lines = [lines]
    tf.clear()
    body = tf._txBody
    first = body.find(_A_P)
    for i, line in enumerate(lines):
        p = first if i == 0 else etree.SubElement(body, _A_P)
        _append_run(p, line, size=size, bold=bold, color=color, family=family)


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
    margin = str(int(Inches(0.03)))
    for r, (tr, values) in enumerate(zip(table._tbl.tr_lst, [header, *rows], strict=True)):
        tr.h = row_h  # set directly: rows[r].height re-sums the frame each time
        color = RGBColor(0xFF, 0xFF, 0xFF) if r == 0 else _DARK
        for tc, value in zip(tr.tc_lst, values, strict=False):
            # the XML cell.margin_top/bottom and text_frame write, on the new cell directly
            tcPr = tc.get_or_add_tcPr()
            tcPr.set("marT", margin)
            tcPr.set("marB", margin)
            _append_run(tc.txBody.find(_A_P), str(value), size=size, bold=r == 0, color=color,
                        family=family)
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


def _map_only(slide: Slide, path: Path, x, y, height) -> int:
    """Add a picture cropped to its map (``MAP_BOX``), ``height`` high; return its width (EMU).

    The picture's own title, legend and key are cut off: the slide repeats
    them as text, at a size that can be read.
    """
    left, bottom, width, high = MAP_BOX
    margin = 0.002
    crop = {"left": left - margin, "right": 1 - left - width - margin,
            "top": 1 - bottom - high - margin, "bottom": bottom - margin}
    pic = slide.shapes.add_picture(str(path), x, y)
    pic.crop_left, pic.crop_right = crop["left"], crop["right"]
    pic.crop_top, pic.crop_bottom = crop["top"], crop["bottom"]
    visible_w = (1 - crop["left"] - crop["right"]) * FIGSIZE[0]
    visible_h = (1 - crop["top"] - crop["bottom"]) * FIGSIZE[1]
    pic.height = int(height)
    pic.width = int(height * visible_w / visible_h)
    return pic.width


#: Symbol drawn before a legend label, by ``LegendEntry.kind``.
_SYMBOLS = {"point": "●", "coarse": "▨", "zone": "■", "belt": "┅", "line": "━"}


def _rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#")[:6].upper())


def _text_width(text: str, size: float) -> float:
    """Rough width (inches) of ``text`` at ``size`` points: CJK one em, the rest 0.55 em."""
    ems = sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in text)
    return ems * size / 72


def _legend(slide: Slide, x, y, w, sections: Sequence[tuple[str, Sequence[LegendEntry]]], *,
            family: str, size: float = 11) -> int:
    """The picture's legend as real text: one paragraph per section; return its height (EMU).

    Each entry is a coloured symbol and its label; a section starts with its
    title in bold.
    """
    box = slide.shapes.add_textbox(x, y, w, Inches(0.5))
    tf = box.text_frame
    tf.word_wrap = True
    tf.clear()
    lines = 0.0
    width_in = w / 914400
    for n, (title, entries) in enumerate(sections):
        para = tf.paragraphs[0] if n == 0 else tf.add_paragraph()
        para.space_after = Pt(3)
        pieces = [(f"{title}  ", _DARK, True)]
        for entry in entries:
            pieces.append((_SYMBOLS.get(entry.kind, "●"), _rgb(entry.colour), False))
            pieces.append((f" {entry.label}   ", _DARK, False))
        used = 0.0
        for text, colour, bold in pieces:
            _append_run(para._p, text, size=size, bold=bold, color=colour, family=family)
        # estimate the wrapped lines so that what follows starts below the legend
        line_count = 1
        for text, _, _ in pieces:
            piece = _text_width(text, size)
            if used + piece > width_in and used > 0:
                line_count += 1
                used = 0.0
            used += piece
        lines += line_count
    height = Inches(lines * size * 1.25 / 72 + 0.12 * len(sections))
    box.height = height
    return height


def _source(slide: Slide, picture: Picture, family: str, *, x, y, w) -> None:
    """The base-map credit under a cropped map (the documents are on the title slide)."""
    if picture.credit:
        _textbox(slide, x, y, w, Inches(0.5), picture.credit, size=8, color=_GREY,
                 family=family)


def _year_of(status_by_year: object, last_year: object) -> str:
    """The latest year a project's status is recorded for (else its last year mentioned)."""
    years = status_years(status_by_year)
    if years:
        return str(max(years))
    return "" if last_year is None or pd.isna(last_year) else str(int(last_year))


def _project_index(layers: ProjectLayers) -> dict[str, tuple[str, str, str]]:
    """``{id: (name, status label, year)}`` of every project, the first row of an id kept.

    Built once per deck from the columns (a row-by-row pandas walk cost a
    sixth of the deck).
    """
    projects = layers.projects
    if not len(projects):
        return {}
    n = len(projects)
    by_year = projects["status_by_year"] if "status_by_year" in projects.columns else [None] * n
    last = projects["last_year"] if "last_year" in projects.columns else [None] * n
    index: dict[str, tuple[str, str, str]] = {}
    for pid, name, status, history, year in zip(
            projects["id"].astype(str), projects["name"], projects["status_latest"], by_year, last,
            strict=True):
        if pid not in index:
            index[pid] = (_clean(name), palette.status_label(str(status)),
                          _year_of(history, year))
    return index


def _project_rows(index: dict[str, tuple[str, str, str]], picture: Picture) -> list[list[str]]:
    """Table rows (编号, 名称, 状态, 年份) of the projects drawn on a picture."""
    rows = []
    for pid in picture.project_ids:
        found = index.get(pid)
        if found is None:
            continue
        number = picture.numbers.get(pid)
        mark = str(number) if number is not None else ("●" if pid in picture.named else "")
        rows.append([mark, *found])
    return rows


def _map_slides(prs: PresentationType, index: dict[str, tuple[str, str, str]],
                picture: Picture, family: str, subtitle: str, *,
                rows: list[list[str]] | None = None,
                header: Sequence[str] = ("号", "项目", "状态", "年份"),
                widths: Sequence[float] = (0.45, 3.2, 1.05, 0.65),
                more: str = "完整名单见 projects.csv",
                continuations: int = MAX_CONTINUATIONS) -> None:
    """A map slide (the map cropped large, legend and table as text) and its continuations."""
    if rows is None:
        rows = _project_rows(index, picture)
    slide = _blank(prs)
    _title(slide, picture.title, family, subtitle)
    map_w = _map_only(slide, picture.png, Inches(0.25), Inches(1.2), Inches(5.5))
    _source(slide, picture, family, x=Inches(0.25), y=Inches(6.75), w=Emu(map_w))
    x = Inches(0.25) + map_w + Inches(0.2)
    w = _W - x - Inches(0.25)
    y = Inches(1.2) + _legend(slide, x, Inches(1.15), w, picture.legend, family=family,
                              size=10.5)
    if not rows:
        _textbox(slide, x, y + Inches(0.1), w, Inches(1), "本图无已定位项目。", size=14,
                 family=family)
        return
    first, rest = rows[:MAP_TABLE_ROWS], rows[MAP_TABLE_ROWS:]
    _table(slide, header, first, x=x, y=y, w=w, widths=widths, family=family, size=10)
    note = ["编号对应图中数字；● 为图上直接标注名称。"]
    if picture.note:
        note.append(_clean(picture.note) + "。")
    if rest and continuations:
        note.append(f"另有 {len(rest)} 项，见续页。")
    elif rest:
        note.append(f"另有 {len(rest)} 项未列出，{more}。")
    _textbox(slide, x, y + Inches(0.33) * (len(first) + 1) + Inches(0.05), w,
             Inches(0.6), note, size=9.5, color=_GREY, family=family)
    if not continuations:
        return
    chunks = [rest[i:i + TABLE_ROWS] for i in range(0, len(rest), TABLE_ROWS)]
    cont_widths = (0.6, 6.0, 1.6, 1.0)
    for n, chunk in enumerate(chunks[:continuations], start=1):
        cont = _blank(prs)
        _title(cont, f"{picture.title}（续 {n}）", family, subtitle)
        _table(cont, header, chunk, x=Inches(0.6), y=Inches(1.3), w=Inches(12.1),
               widths=cont_widths, family=family)
    left = sum(len(c) for c in chunks[continuations:])
    if left:
        _textbox(cont, Inches(0.6), Inches(6.8), Inches(12), Inches(0.4),
                 f"另有 {left} 项未列出，{more}。", size=11, color=_GREY, family=family)


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
    zones = order["zone"] if "zone" in order.columns else [""] * len(order)
    changes = []
    for pid, name, zone, history in zip(order["id"], order["name"], zones,
                                        order["status_by_year"], strict=True):
        years_of = status_years(history)
        before = _as_of(years_of, previous)
        after = _as_of(years_of, latest)
        if after is not None and after != before:
            changes.append({"id": str(pid), "name": str(name), "zone": str(zone),
                            "before": before, "after": after})
    return (previous, latest), changes


def _as_of(years: dict[int, str], year: int) -> str | None:
    """``status_as_of`` on a history already parsed by ``status_years``."""
    found = None
    for y, status in years.items():
        if y <= year:
            found = status
    return found


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


_ZONE_ORDER = ("east", "central", "west", "outside", "district", "unlocated")


def _lag(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:g}"


def _delivery_table(summary: dict) -> tuple[list[str], list[list[str]]]:
    """Header and rows (one per zone, then the total) of the delivery summary table."""
    classes = list(summary.get("classes", palette.DELIVERY_CLASSES))
    header = ["分区", "承诺", *(palette.DELIVERY_CLASSES.get(c, (c,))[0] for c in classes),
              "中位滞后（年）"]
    by_zone = summary.get("by_zone", {})
    order = [z for z in _ZONE_ORDER if z in by_zone] + sorted(z for z in by_zone
                                                              if z not in _ZONE_ORDER)

    def row(label: str, stats: dict) -> list[str]:
        return [label, str(stats["promised"]),
                *(str(stats["classes"].get(c, 0)) for c in classes),
                _lag(stats.get("median_lag_years"))]

    rows = [row(zone_label(z), by_zone[z]) for z in order]
    rows.append(row("合计", summary["total"]))
    return header, rows


def _delivery_slides(prs: PresentationType, layers: ProjectLayers,
                     picture: Picture | None, family: str) -> None:
    """The delivery summary table by zone and the map of promises with no later report."""
    from layers.delivery import delivery_summary

    delivery = layers.delivery
    if delivery is None:
        return
    slide = _blank(prs)
    title = "承诺兑现情况（按分区）"
    if not len(delivery):
        _title(slide, title, family)
        _textbox(slide, Inches(0.6), Inches(1.4), Inches(12), Inches(1),
                 "资料中没有识别出承诺（规划语气的建设事项）。", size=16, family=family)
        return
    summary = delivery_summary(delivery)
    total = summary["total"]
    lag = total.get("median_lag_years")
    _title(slide, title, family,
           f"共 {total['promised']} 项承诺；已兑现 {total['classes'].get('delivered', 0)} 项"
           + (f"，从承诺到完成的中位滞后 {_lag(lag)} 年" if lag is not None else ""))
    header, rows = _delivery_table(summary)
    n = len(header)
    _table(slide, header, rows, x=Inches(0.6), y=Inches(1.3), w=Inches(12.1),
           widths=(2.6, *([1.0] * (n - 2)), 1.5), family=family, size=12)
    notes = [
        "已兑现：后续文件报告建成/开放/改造完成；推进中：后续文件报告开工或在建；"
        "未到期：承诺期限未过或尚无更晚的文件；",
        "无后续报告：已到期，之后的文件再未提及；后续仅提及：已到期，之后的文件提及但未报告进展。",
        "中位滞后：已兑现承诺从承诺年份到完成年份的年数中位数。全区（未细分）：只知位于长宁区。",
    ]
    _textbox(slide, Inches(0.6), Inches(1.3) + Inches(0.33) * (len(rows) + 1) + Inches(0.2),
             Inches(12.1), Inches(1.2), notes, size=11, color=_GREY, family=family)
    if picture is None:
        return
    ids = set(picture.project_ids)
    table = delivery[delivery["entity_id"].astype(str).isin(ids)]
    by_id = {str(r.entity_id): r for r in table.itertuples(index=False)}
    rows = []
    order = sorted(picture.project_ids, key=lambda pid: (
        0 if pid in picture.numbers else 1 if pid in picture.named else 2,
        picture.numbers.get(pid, 0)))
    for pid in order:
        r = by_id.get(pid)
        if r is None:
            continue
        number = picture.numbers.get(pid)
        mark = str(number) if number is not None else ("●" if pid in picture.named else "")
        year = "" if pd.isna(r.promise_year) else str(int(r.promise_year))
        rows.append([mark, _clean(r.name), zone_label(str(r.zone)), year])
    drawn = len(picture.project_ids)
    subtitle = f"{drawn + picture.not_drawn} 项承诺到期后无后续文件提及，图上标出 {drawn} 项"
    if picture.not_drawn:
        subtitle += f"；另有 {picture.not_drawn} 项只知在全区或未定位，无法在图上标出"
    _map_slides(prs, {}, picture, family, subtitle, rows=rows,
                header=("号", "项目", "分区", "承诺年"), widths=(0.45, 2.75, 1.55, 0.7),
                more="完整名单见 delivery.csv", continuations=0)


#: Parts already compressed (the pictures): stored in the .pptx rather than deflated again.
_STORED_SUFFIXES = (".png", ".jpg", ".jpeg")


@contextlib.contextmanager
def _media_stored():
    """While saving a deck, store its pictures in the zip instead of deflating them.

    python-pptx deflates every part; a PNG does not shrink (it is deflated
    already), and deflating the maps again was a third of the deck's time.
    Done by wrapping python-pptx's zip writer for the duration of the save;
    with a python-pptx whose writer looks different, nothing changes.
    """
    try:
        from pptx.opc.serialized import _ZipPkgWriter
    except ImportError:
        yield
        return
    original = getattr(_ZipPkgWriter, "write", None)
    if original is None or "_zipf" not in vars(_ZipPkgWriter):
        yield
        return

    def write(self, pack_uri, blob) -> None:
        if str(pack_uri).lower().endswith(_STORED_SUFFIXES):
            self._zipf.writestr(pack_uri.membername, blob, compress_type=zipfile.ZIP_STORED)
        else:
            original(self, pack_uri, blob)

    _ZipPkgWriter.write = write
    try:
        yield
    finally:
        _ZipPkgWriter.write = original



def deck_from_pictures(layers: ProjectLayers, pictures: Sequence[Picture], path: Path) -> Path:
    """Write the briefing deck for pictures already drawn by ``render_pictures``.

    Parameters
    ----------
    layers : ProjectLayers
        The projects the tables list.
    pictures : sequence of Picture
        The overview, zone, belt and delivery pictures (year pictures are not used).
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
    index = _project_index(layers)
    for picture in by_kind.get("zone", []):
        _map_slides(prs, index, picture, family, f"分区 · {len(picture.project_ids)} 个项目")
    for picture in by_kind.get("belt", []):
        _map_slides(prs, index, picture, family, f"发展带 · {len(picture.project_ids)} 个项目")
    _changes_slides(prs, layers, family)
    delivery_pictures = by_kind.get("delivery", [])
    _delivery_slides(prs, layers, delivery_pictures[0] if delivery_pictures else None, family)

    with atomic_path(path) as tmp, _media_stored():
        prs.save(str(tmp))
    log.info("briefing: wrote %d slides to %s (CJK font %s, PowerPoint fallback %s)",
             len(prs.slides), path, family, PPTX_EA_FALLBACK)
    return Path(path)
