"""Renderers for the briefing pictures that share their text work across pictures.

Noto Sans CJK is a large CFF font: every time matplotlib measures a string
or turns it into a path, FreeType loads and interprets each glyph again
(some 50 µs a glyph). Pictures repeat much of their text (the source line,
legends, label numbers, project names), and the SVG backend makes a new
renderer, with empty text caches, for every file. Here one
``SharedTextToPath`` keeps, for the whole process, the measure and the
outline path of every (string, font) met, and both renderers use it:

- the Agg renderer of a figure, through ``share_text(renderer)`` (the
  path-effect halos draw text as paths through ``renderer._text2path``);
- the SVG files, written with ``savefig(..., backend=SVG_BACKEND)``: this
  module is that backend (``FigureCanvas``), whose renderer measures text
  with the shared object.

The results are exactly what matplotlib computes (they are its own results,
kept); only the repeated work goes.

The Agg canvas (``AggCanvas``) also keeps, for plain text, the layout of each
string and the bitmap of each glyph: a string's origin is put on a whole
pixel (at most half a pixel away, which nobody sees), so a glyph's bitmap
depends only on the glyph, its size and its quarter-pixel offset in the
string, and comes from the cache when any picture drew it before. It needs
matplotlib's text internals of 3.10+ (``FT2Font._layout``); with older
versions text is drawn by matplotlib as usual.
"""

from __future__ import annotations

import codecs
import logging

from matplotlib import cbook
from matplotlib.backend_bases import RendererBase
from matplotlib.backends import backend_agg
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.textpath import TextToPath

__all__ = ["SVG_BACKEND", "AggCanvas", "FigureCanvas", "SharedTextToPath", "share_text",
           "text_cache"]

log = logging.getLogger(__name__)

#: The ``backend`` argument of ``Figure.savefig`` that writes SVG with the shared text cache.
SVG_BACKEND = f"module://{__name__}"
#: Entries kept per kind of result before the cache starts again (bounds memory on huge runs).
_MAX_ENTRIES = 50_000


def _prop_key(prop: FontProperties) -> tuple:
    """Everything of a ``FontProperties`` that changes a measure or an outline."""
    return (tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(),
            prop.get_stretch(), prop.get_size_in_points(), prop.get_file(),
            prop.get_math_fontfamily())


class SharedTextToPath(TextToPath):
    """A ``TextToPath`` that keeps its measures and outline paths.

    Keys are the string, the font properties' values (not the object, which
    matplotlib may change later) and the math/feature/language flags.
    """

    def __init__(self) -> None:
        super().__init__()
        self._sizes: dict[tuple, tuple[float, float, float]] = {}
        self._paths: dict[tuple, tuple] = {}
        self.hits = 0
        self.misses = 0

    def get_text_width_height_descent(self, s, prop, ismath):
        key = (s, _prop_key(prop), ismath)
        found = self._sizes.get(key)
        if found is None:
            self.misses += 1
            if len(self._sizes) >= _MAX_ENTRIES:
                self._sizes.clear()
            found = self._sizes[key] = super().get_text_width_height_descent(s, prop, ismath)
        else:
            self.hits += 1
        return found

    def get_text_path(self, prop, s, ismath=False, *, features=None, language=None):
        key = (s, _prop_key(prop), ismath,
               None if features is None else tuple(features),
               None if language is None else str(language))
        found = self._paths.get(key)
        if found is None:
            self.misses += 1
            if len(self._paths) >= _MAX_ENTRIES:
                self._paths.clear()
            verts, codes = super().get_text_path(prop, s, ismath=ismath, features=features,
                                                 language=language)
            found = self._paths[key] = (verts, codes)
        else:
            self.hits += 1
        return found


_SHARED = SharedTextToPath()
_HEIGHTS: dict[tuple, tuple[float, float, float]] = {}


def _font_height_metrics(prop: FontProperties, dpi: float) -> tuple[float, float, float]:
    """Ascent, descent and line gap of a font at a size, as ``Text._get_layout`` works them out.

    Matplotlib (3.9+) asks a renderer's ``_get_font_height_metrics`` first
    and otherwise reads the font's OS/2 and head tables for every text it
    lays out; the same arithmetic is done here once per font, size and dpi.
    """
    key = (_prop_key(prop), dpi)
    found = _HEIGHTS.get(key)
    if found is None:
        font = get_font(fontManager._find_fonts_by_props(prop))
        found = (None, None, None)
        for table_name, linegap_key, ascent_key, descent_key in (
                ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                ("hhea", "lineGap", "ascent", "descent")):
            table = font.get_sfnt_table(table_name)
            if table is None:
                continue
            fontsize = prop.get_size_in_points()
            units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
            scale = 1 / units_per_em * fontsize * dpi / 72
            found = (table[ascent_key] * scale, -table[descent_key] * scale,
                     table[linegap_key] * scale)
            break
        _HEIGHTS[key] = found
    return found


def text_cache() -> SharedTextToPath:
    """The process-wide shared text cache."""
    return _SHARED


def share_text(renderer: RendererBase) -> RendererBase:
    """Make ``renderer`` turn text into paths with the shared cache; return it."""
    if getattr(renderer, "_text2path", None) is not _SHARED:
        renderer._text2path = _SHARED
    return renderer


class _SharedRendererSVG(RendererSVG):
    """``RendererSVG`` (72 dpi) with the font heights kept (``_font_height_metrics``)."""

    def _get_font_height_metrics(self, prop):
        return _font_height_metrics(prop, 72)


class FigureCanvas(FigureCanvasSVG):
    """The SVG canvas of matplotlib whose renderer uses the shared text cache.

    ``print_svg`` is matplotlib's own (3.x), with the renderer's
    ``_text2path`` replaced before drawing; like matplotlib's, it takes and
    ignores the options ``print_figure`` passes to every format (``dpi``,
    ``facecolor``, ``edgecolor``, ``orientation``).
    """

    def print_svg(self, filename, *, bbox_inches_restore=None, metadata=None, **_ignored):
        with cbook.open_file_cm(filename, "w", encoding="utf-8") as fh:
            if not cbook.file_requires_unicode(fh):
                fh = codecs.getwriter("utf-8")(fh)
            dpi = self.figure.dpi
            self.figure.dpi = 72
            width, height = self.figure.get_size_inches()
            w, h = width * 72, height * 72
            svg = share_text(_SharedRendererSVG(w, h, fh, image_dpi=dpi, metadata=metadata))
            renderer = MixedModeRenderer(self.figure, width, height, dpi, svg,
                                         bbox_inches_restore=bbox_inches_restore)
            self.figure.draw(renderer)
            renderer.finalize()


#: Whether this matplotlib has the text internals the cached Agg text needs.
_FAST_AGG_TEXT = all(hasattr(obj, name) for obj, name in (
    (backend_agg, "get_hinting_flag"), (RendererAgg, "_prepare_font"),
    (RendererAgg, "_draw_text_glyphs_and_boxes")))
try:
    from matplotlib.ft2font import FT2Font, RenderMode

    _FAST_AGG_TEXT = _FAST_AGG_TEXT and all(
        hasattr(FT2Font, name) for name in ("_layout", "_render_glyph", "_set_transform"))
except ImportError:  # matplotlib before 3.10
    _FAST_AGG_TEXT = False

_IDENTITY = None  # the 16.16 identity matrix FreeType is given for unrotated text


class _LayoutCache:
    """Layouts of strings and bitmaps of glyphs, kept for the process."""

    def __init__(self) -> None:
        self.layouts: dict[tuple, list[tuple]] = {}
        self.glyphs: dict[tuple, tuple] = {}
        self.fonts: dict[int, object] = {}  # keeps the fonts whose id() is in a key alive

    def clear_if_big(self) -> None:
        if len(self.glyphs) > _MAX_ENTRIES or len(self.layouts) > _MAX_ENTRIES:
            self.layouts.clear()
            self.glyphs.clear()


_AGG = _LayoutCache()


class _SharedRendererAgg(RendererAgg):
    """``RendererAgg`` whose plain, unrotated text comes from ``_AGG``, font heights kept."""

    def _get_font_height_metrics(self, prop):
        return _font_height_metrics(prop, self.dpi)

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath or angle or not _FAST_AGG_TEXT or (
                mtext is not None and (mtext.get_fontfeatures() or mtext.get_language())):
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        global _IDENTITY
        if _IDENTITY is None:
            import numpy as np

            _IDENTITY = (0x10000 * np.eye(2)).round().astype(int)
        flags = backend_agg.get_hinting_flag()
        size = prop.get_size_in_points()
        font = self._prepare_font(prop)
        key = (s, id(font), size, self.dpi, flags)
        items = _AGG.layouts.get(key)
        if items is None:
            _AGG.clear_if_big()
            _AGG.fonts[id(font)] = font
            items = _AGG.layouts[key] = [(item.ft_object, item.glyph_index, item.x, item.y)
                                         for item in font._layout(s, flags=flags)]
        x, y = round(x), round(y)  # whole pixels: a glyph bitmap depends on its own offset only
        mode = RenderMode.NORMAL if gc.get_antialiased() else RenderMode.MONO
        height = self.height
        draw = self._renderer.draw_text_image
        for ft, glyph, dx, dy in items:
            px, py = round(0x40 * (x + dx)), round(0x40 * (height - y + dy))
            gkey = (id(ft), size, self.dpi, glyph, flags, mode, px & 63, py & 63)
            found = _AGG.glyphs.get(gkey)
            if found is None:
                _AGG.fonts[id(ft)] = ft
                ft.set_size(size, self.dpi)
                ft._set_transform(_IDENTITY, [px, py])
                bitmap = ft._render_glyph(glyph, flags, mode)
                buffer = bitmap.buffer
                if mode is not RenderMode.NORMAL:
                    buffer = buffer * 0xff
                found = _AGG.glyphs[gkey] = (buffer, bitmap.left - (px >> 6),
                                             bitmap.top - (py >> 6))
            buffer, left, top = found
            draw(buffer, left + (px >> 6), int(height) - (top + (py >> 6)) + buffer.shape[0],
                 0, gc)
        return None


class AggCanvas(FigureCanvasAgg):
    """Matplotlib's Agg canvas with the shared text caches (``_SharedRendererAgg``)."""

    def get_renderer(self, *args, **kwargs):
        renderer = super().get_renderer(*args, **kwargs)
        if type(renderer) is RendererAgg:
            # the same object, given the subclass that only adds the text caches
            renderer.__class__ = _SharedRendererAgg
        return share_text(renderer)
