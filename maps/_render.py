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
string, and comes from the cache when any picture drew it before. A plain
string's measure (width, height, descent) is worked out from that same
layout and each glyph's kept box, so a string is shaped once to be both
measured and drawn. It needs
matplotlib's text internals of 3.10+ (``FT2Font._layout``); with older
versions text is drawn by matplotlib as usual.
"""

from __future__ import annotations

import codecs
import contextlib
import itertools
import logging
import os
import unicodedata
from dataclasses import dataclass

import matplotlib as mpl
from matplotlib import cbook, patheffects
from matplotlib.backend_bases import RendererBase
from matplotlib.backends import backend_agg
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG, _XMLWriter
from matplotlib.colors import to_hex, to_rgba
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.textpath import TextToPath

__all__ = ["SVG_BACKEND", "AggCanvas", "FigureCanvas", "SVGFragment", "SharedTextToPath",
           "share_text", "text_cache", "text_halos"]

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


_MEASURES: dict[tuple, tuple[float, float, float]] = {}


def _raster_measure(s: str, prop: FontProperties, dpi: float) -> tuple[float, float, float]:
    """Width, height and descent (pixels) of plain text as the Agg renderer measures it.

    The same numbers as ``RendererAgg.get_text_width_height_descent``
    (hinted, at the picture's resolution), kept for the process: the SVG of
    a picture measures the same strings again (``_SharedRendererSVG``), and
    shaping a CJK string costs some 0.6 ms. They are worked out from the
    string's layout, which drawing it needs anyway (``_measure_layout``),
    so a string is shaped once, not once to be measured and again to be
    drawn; FreeType's own measure (``set_text``) is the fallback.
    """
    flags = backend_agg.get_hinting_flag()
    params = mpl.rcParams
    factors = (params["text.hinting_factor"], params["text.kerning_factor"])
    key = (s, _prop_key(prop), dpi, flags, factors)
    found = _MEASURES.get(key)
    if found is None:
        if len(_MEASURES) >= _MAX_ENTRIES:
            _MEASURES.clear()
        found = _measure_layout(s, prop, dpi, flags, factors) if _FAST_AGG_TEXT else None
        if found is None:
            font = get_font(fontManager._find_fonts_by_props(prop))
            font.clear()
            font.set_size(prop.get_size_in_points(), dpi)
            font.set_text(s, 0.0, flags=flags)
            w, h = font.get_width_height()
            found = (w / 64.0, h / 64.0, font.get_descent() / 64.0)
        _MEASURES[key] = found
    return found


def _measure_layout(s: str, prop: FontProperties, dpi: float, flags, factors: tuple
                    ) -> tuple[float, float, float] | None:
    """``_raster_measure`` from the string's kept layout and its glyphs' kept boxes.

    What FreeType's ``set_text`` computes, in 26.6 fixed point: the width is
    the pen position of the last glyph plus that glyph's advance, the height
    and descent those of the union of the hinted glyphs' boxes, each glyph's
    box measured once per process (``_glyph_box``). ``None`` (measure with
    ``set_text``) for an empty string and wherever glyphs and characters do
    not pair one to one (combining marks, which the shaper may merge or
    move: there the last glyph's advance is not the string's end).
    """
    if not s or any(unicodedata.combining(ch) for ch in s):
        return None
    items = _laid_out(s, prop, dpi, flags, factors)
    if len(items) != len(s):
        return None
    size = prop.get_size_in_points()
    low, high = 32000, -32000
    for face, glyph, _, y in items:
        bottom, top, advance = _glyph_box(face, size, dpi, glyph, flags, s, prop, factors)
        shift = round(y * 64)
        low, high = min(low, bottom + shift), max(high, top + shift)
    width = round(items[-1][2] * 64) + advance
    return width / 64.0, (high - low) / 64.0, -low / 64.0


def _glyph_box(face: tuple, size: float, dpi: float, glyph: int, flags, s: str,
               prop: FontProperties, factors: tuple) -> tuple[int, int, int]:
    """Bottom, top (26.6, its hinted box) and advance of one glyph, kept for the process."""
    key = (face, size, dpi, glyph, flags)
    found = _AGG.boxes.get(key)
    if found is None:
        ft = _AGG.faces.get(face)
        if ft is None:  # laid out by the parent process: open this process's own
            _shape(s, prop, dpi, flags, factors)
            ft = _AGG.faces[face]
        ft.set_size(size, dpi)
        loaded = ft.load_glyph(glyph, flags)
        found = _AGG.boxes[key] = (loaded.bbox[1], loaded.bbox[3], loaded.horiAdvance)
    return found


def _laid_out(s: str, prop: FontProperties, dpi: float, flags, factors: tuple) -> list[tuple]:
    """The kept layout of a string (``_shape``), shaped the first time it is asked for."""
    key = (s, _prop_key(prop), factors, dpi, flags)
    items = _AGG.layouts.get(key)
    if items is None:
        _AGG.clear_if_big()
        items = _AGG.layouts[key] = _shape(s, prop, dpi, flags, factors)
    return items


def _shape(s: str, prop: FontProperties, dpi: float, flags, factors: tuple) -> list[tuple]:
    """(face, glyph index, x, y) of each glyph of ``s``; this process's faces noted.

    The font prepared as ``RendererAgg._prepare_font`` prepares it.
    """
    font = get_font(fontManager._find_fonts_by_props(prop))
    font.clear()
    font.set_size(prop.get_size_in_points(), dpi)
    items = []
    for item in font._layout(s, flags=flags):
        face = _face(item.ft_object, factors)
        _AGG.faces.setdefault(face, item.ft_object)
        items.append((face, item.glyph_index, item.x, item.y))
    return items


def text_cache() -> SharedTextToPath:
    """The process-wide shared text cache."""
    return _SHARED


def share_text(renderer: RendererBase) -> RendererBase:
    """Make ``renderer`` turn text into paths with the shared cache; return it."""
    if getattr(renderer, "_text2path", None) is not _SHARED:
        renderer._text2path = _SHARED
    return renderer


#: Attribute a text carries while ``text_halos`` draws its halo: (width in points, colour, effects).
_HALO_ATTR = "_planmap_halo"


def _plain_halo(effects) -> tuple[float, str] | None:
    """(width in points, colour) of a lone ``withStroke(linewidth=..., foreground=...)``."""
    if len(effects) != 1 or type(effects[0]) is not patheffects.withStroke:
        return None
    effect = effects[0]
    style = getattr(effect, "_gc", None)
    if getattr(effect, "_offset", None) != (0, 0) or not isinstance(style, dict) \
            or not set(style) <= {"linewidth", "foreground"}:
        return None
    return float(style.get("linewidth", 1.0)), style.get("foreground", "white")


@contextlib.contextmanager
def text_halos(fig):
    """Let the renderers here draw the white halos of a figure's labels while saving.

    A text whose only path effect is a plain ``withStroke`` halo (the map
    labels, scale bar, north arrow) is otherwise drawn by matplotlib as an
    outline path stroked and filled: the costliest text there is, and in
    SVG two paths instead of a text. Inside this context such texts have no
    path effect and carry their halo instead: the Agg renderer draws each
    glyph's bitmap dilated by the stroke's half width (kept per glyph) under
    the glyph, as the stroke would; the SVG renderer writes the text twice,
    first in the halo colour with a round-joined stroke of the same width,
    then as is (readable in every SVG viewer, no ``paint-order`` needed).
    Other renderers see no halo marker and draw the text plainly, so this
    is only for ``AggCanvas`` and ``SVG_BACKEND`` saves.
    """
    changed = []
    for text in (*fig.texts, *(t for ax in fig.axes for t in ax.texts)):
        effects = text.get_path_effects()
        halo = _plain_halo(effects) if effects else None
        if halo is not None:
            setattr(text, _HALO_ATTR, (*halo, effects))
            text.set_path_effects([])
            changed.append(text)
    try:
        yield
    finally:
        for text in changed:
            text.set_path_effects(getattr(text, _HALO_ATTR)[2])
            delattr(text, _HALO_ATTR)


def _halo(mtext):
    return None if mtext is None else getattr(mtext, _HALO_ATTR, None)


def _halo_gc(renderer, gc, colour):
    halo_gc = renderer.new_gc()
    halo_gc.copy_properties(gc)
    halo_gc.set_foreground(colour)
    return halo_gc


@dataclass(frozen=True)
class SVGFragment:
    """A stretch of SVG text as a renderer wrote it, and the renderer's state around it.

    Attributes
    ----------
    text : str
        What the renderer wrote, byte for byte.
    before, after : tuple
        The renderer's state (``_svg_state``) where the stretch began and
        where it ended: the writer's open tags, the group counters, clip
        paths and other definitions the file's end will write.
    """

    text: str
    before: tuple
    after: tuple


_RENDERER_STATE = ("_groupd", "_clipd", "_markers", "_hatchd", "_clip_path_ids", "_glyph_map")
#: Whether this matplotlib's SVG writer and renderer have the internals ``SVGFragment`` needs.
_FRAGMENTS = all(name in _XMLWriter.__init__.__code__.co_names for name in (
    "_XMLWriter__write", "_XMLWriter__open", "_XMLWriter__tags", "_XMLWriter__data")) and all(
    name in RendererSVG.__init__.__code__.co_names for name in (
        *_RENDERER_STATE, "_path_collection_id", "_n_gradients", "_has_gouraud",
        "_image_counter"))


def _svg_state(renderer: RendererSVG) -> tuple:
    """What the output after this point depends on, of an SVG renderer and its writer."""
    writer = renderer.writer
    return (writer._XMLWriter__open, tuple(writer._XMLWriter__tags),
            tuple(writer._XMLWriter__data),
            *(tuple(getattr(renderer, name).items()) for name in _RENDERER_STATE),
            renderer._path_collection_id, renderer._n_gradients, renderer._has_gouraud,
            repr(renderer._image_counter))


def _plain(value) -> bool:
    """Whether a state value is made of numbers and strings only (kept safely for later)."""
    if isinstance(value, tuple):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (str, int, float))


def _set_svg_state(renderer: RendererSVG, state: tuple) -> None:
    """Put an SVG renderer in a state ``_svg_state`` gave (the inverse of it)."""
    writer = renderer.writer
    opened, tags, data, *dicts = state[:3 + len(_RENDERER_STATE)]
    writer._XMLWriter__open = opened
    writer._XMLWriter__tags = list(tags)
    writer._XMLWriter__data = list(data)
    for name, items in zip(_RENDERER_STATE, dicts, strict=True):
        setattr(renderer, name, dict(items))
    renderer._path_collection_id, renderer._n_gradients, renderer._has_gouraud, counter = \
        state[3 + len(_RENDERER_STATE):]
    renderer._image_counter = itertools.count(int(counter[len("count("):-1]))


class _SharedRendererSVG(RendererSVG):
    """``RendererSVG`` (72 dpi) with kept font heights and halo texts written as text.

    Font heights: ``_font_height_metrics``; halos: ``text_halos``. It also
    records what it writes between two points of a drawing as an
    ``SVGFragment`` (``start_fragment``, ``end_fragment``) and writes such a
    fragment again in place of drawing it (``replay_fragment``).
    """

    _recording: list[str] | None = None
    _recording_from: tuple | None = None
    _recording_write = None

    def start_fragment(self) -> None:
        """Begin recording what is written (no-op without the writer internals)."""
        if not _FRAGMENTS or self._recording is not None:
            return
        self._recording_from = _svg_state(self)
        self._recording = recording = []
        self._recording_write = write = self.writer._XMLWriter__write

        def both(text: str) -> None:
            recording.append(text)
            write(text)

        self.writer._XMLWriter__write = both

    def end_fragment(self) -> SVGFragment | None:
        """Stop recording; the fragment written since ``start_fragment``.

        ``None`` when nothing was being recorded or the state the stretch
        left (clip paths, hatches) holds objects that cannot be kept.
        """
        if self._recording is None:
            return None
        text = "".join(self._recording)
        self.writer._XMLWriter__write = self._recording_write
        before, after = self._recording_from, _svg_state(self)
        self._recording = self._recording_from = None
        if not (_plain(before) and _plain(after)):
            return None
        return SVGFragment(text, before, after)

    def replay_fragment(self, fragment: SVGFragment) -> bool:
        """Write ``fragment`` here if the renderer is where it began; whether it was written."""
        if not _FRAGMENTS or self._recording is not None or _svg_state(self) != fragment.before:
            return False
        self.writer._XMLWriter__write(fragment.text)
        _set_svg_state(self, fragment.after)
        return True

    def _get_font_height_metrics(self, prop):
        return _font_height_metrics(prop, 72)

    def get_text_width_height_descent(self, s, prop, ismath):
        # plain text measured as in the PNG (hinted at the raster dpi), scaled to points:
        # the PNG drawn first measured the same strings; alignment moves by a fraction of
        # a point against matplotlib's unhinted measure
        if ismath or self.image_dpi == 72:
            return super().get_text_width_height_descent(s, prop, ismath)
        scale = 72.0 / self.image_dpi
        w, h, d = _raster_measure(s, prop, self.image_dpi)
        return w * scale, h * scale, d * scale

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        halo = _halo(mtext)
        if halo is None:
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        width, colour, effects = halo
        if ismath or mpl.rcParams["svg.fonttype"] == "path":
            return patheffects.PathEffectRenderer(effects, self).draw_text(
                gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        rgba = to_rgba(colour)
        style = f"stroke:{to_hex(rgba)};stroke-width:{width:g};stroke-linejoin:round"
        if rgba[3] != 1:
            style += f";stroke-opacity:{rgba[3]:g}"
        halo_gc = _halo_gc(self, gc, colour)
        self.writer.start("g", attrib={"style": style})
        super().draw_text(halo_gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        self.writer.end("g")
        halo_gc.restore()
        return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)


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
    """Layouts of strings, bitmaps and boxes of glyphs, kept for the process and its forks.

    Keys name a font face by its file, index and the rc settings FreeType is
    given for it (``_face``), not by the ``FT2Font`` object: matplotlib opens
    its fonts again in a forked child (the parent's share their file offsets
    with it), so object keys would make every child lay out and render again
    what its parent already had. ``faces`` holds this process's font objects,
    the ones glyphs are rendered with; it is emptied in a forked child.
    """

    def __init__(self) -> None:
        self.layouts: dict[tuple, list[tuple]] = {}
        self.glyphs: dict[tuple, tuple] = {}
        self.halos: dict[tuple, tuple] = {}
        self.boxes: dict[tuple, tuple[int, int, int]] = {}
        self.faces: dict[tuple, object] = {}

    def clear_if_big(self) -> None:
        if len(self.glyphs) > _MAX_ENTRIES or len(self.layouts) > _MAX_ENTRIES:
            self.layouts.clear()
            self.glyphs.clear()
            self.halos.clear()
            self.boxes.clear()


_AGG = _LayoutCache()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_AGG.faces.clear)


def _face(ft, factors: tuple) -> tuple:
    """A font face across processes: file, index in it, hinting and kerning factors."""
    return (ft.fname, getattr(ft, "face_index", 0), *factors)


class _SharedRendererAgg(RendererAgg):
    """``RendererAgg`` whose plain, unrotated text comes from ``_AGG``, font heights kept."""

    def _get_font_height_metrics(self, prop):
        return _font_height_metrics(prop, self.dpi)

    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        return _raster_measure(s, prop, self.dpi)

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        halo = _halo(mtext)
        if ismath or angle or not _FAST_AGG_TEXT or (
                mtext is not None and (mtext.get_fontfeatures() or mtext.get_language())):
            if halo is not None:
                return patheffects.PathEffectRenderer(halo[2], self).draw_text(
                    gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        global _IDENTITY
        if _IDENTITY is None:
            import numpy as np

            _IDENTITY = (0x10000 * np.eye(2)).round().astype(int)
        flags = backend_agg.get_hinting_flag()
        size = prop.get_size_in_points()
        params = mpl.rcParams
        factors = (params["text.hinting_factor"], params["text.kerning_factor"])
        items = _laid_out(s, prop, self.dpi, flags, factors)
        x, y = round(x), round(y)  # whole pixels: a glyph bitmap depends on its own offset only
        mode = RenderMode.NORMAL if gc.get_antialiased() else RenderMode.MONO
        height = self.height
        draw = self._renderer.draw_text_image
        glyphs = []
        for face, glyph, dx, dy in items:
            px, py = round(0x40 * (x + dx)), round(0x40 * (height - y + dy))
            gkey = (face, size, self.dpi, glyph, flags, mode, px & 63, py & 63)
            found = _AGG.glyphs.get(gkey)
            if found is None:
                ft = _AGG.faces.get(face)
                if ft is None:  # laid out by the parent process: open this process's own
                    _shape(s, prop, self.dpi, flags, factors)
                    ft = _AGG.faces[face]
                ft.set_size(size, self.dpi)
                ft._set_transform(_IDENTITY, [px, py])
                bitmap = ft._render_glyph(glyph, flags, mode)
                buffer = bitmap.buffer
                if mode is not RenderMode.NORMAL:
                    buffer = buffer * 0xff
                found = _AGG.glyphs[gkey] = (buffer, bitmap.left - (px >> 6),
                                             bitmap.top - (py >> 6))
            glyphs.append((gkey, found, px >> 6, py >> 6))
        if halo is not None:
            # every halo under every glyph, as the stroked outline is drawn before the fill
            radius = halo[0] / 2 * self.dpi / 72
            halo_gc = _halo_gc(self, gc, halo[1])
            for gkey, found, px, py in glyphs:
                hkey = (gkey, radius)
                dilated = _AGG.halos.get(hkey)
                if dilated is None:
                    dilated = _AGG.halos[hkey] = _dilate(*found, radius)
                buffer, left, top = dilated
                draw(buffer, left + px, int(height) - (top + py) + buffer.shape[0], 0, halo_gc)
            halo_gc.restore()
        for _, (buffer, left, top), px, py in glyphs:
            draw(buffer, left + px, int(height) - (top + py) + buffer.shape[0], 0, gc)
        return None


def _dilate(buffer, left: int, top: int, radius: float) -> tuple:
    """A glyph bitmap grown by ``radius`` pixels all round, for its halo.

    As a round-joined stroke of twice that width, filled: the largest
    coverage within the radius, edge pixels weighted by how far inside the
    radius they lie.
    """
    import numpy as np

    pad = int(np.ceil(radius + 0.5))
    h, w = buffer.shape
    src = buffer.astype(np.float32)
    out = np.zeros((h + 2 * pad, w + 2 * pad), np.float32)
    for dy in range(-pad, pad + 1):
        for dx in range(-pad, pad + 1):
            weight = min(1.0, radius + 0.5 - (dx * dx + dy * dy) ** 0.5)
            if weight <= 0:
                continue
            view = out[pad + dy:pad + dy + h, pad + dx:pad + dx + w]
            np.maximum(view, src * weight if weight < 1 else src, out=view)
    return np.round(out).astype(np.uint8), left - pad, top + pad


class AggCanvas(FigureCanvasAgg):
    """Matplotlib's Agg canvas with the shared text caches (``_SharedRendererAgg``)."""

    def get_renderer(self, *args, **kwargs):
        renderer = super().get_renderer(*args, **kwargs)
        if type(renderer) is RendererAgg:
            # the same object, given the subclass that only adds the text caches
            renderer.__class__ = _SharedRendererAgg
        return share_text(renderer)
