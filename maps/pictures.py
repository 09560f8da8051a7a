"""Static briefing pictures (16:9, 1920×1080 PNG + SVG) drawn with matplotlib.

One overview of the district with its three zones and three belts, one map
per zone, one per belt, one per year (status as of that year) and, when the
layers carry a delivery table, one map of the promises no later document
reports on, coloured by zone. The base is vector data only (district,
subdistricts, creek, metro) in the metric CRS ``settings.metric_crs``, so the
scale bar is true. Chinese text is drawn in the CJK font of ``maps.fonts``
(a ``PlanmapError`` names the apt package when none is installed). Main
projects are labelled by name where the label fits; the rest get numbers
listed in a key beside the map.

Speed: every geometry is turned into a matplotlib ``Path`` once (the bundled
reference layers once per process), and each style group is one collection
(one per base layer, one per kind of project symbol; strokes and hatches one
path per colour), so a picture has a few dozen artists whatever the number of
projects. One figure and its two axes serve every sheet; text measures,
layouts, glyph bitmaps and outlines are kept for the process
(``maps._render``, keyed by font face, so forked workers keep what their
parent laid out and rendered); a map base shared by several sheets is drawn
once and its pixels put back (``_BaseRegion``), and its SVG text written again
(``maps._render.SVGFragment``); the PNG is written by a small numpy + deflate
writer (ISA-L when the ``isal`` package is installed, zlib otherwise), in bands
through one small buffer. A label's size is measured once
per string (``maps._cartography``). Sheets are drawn in forked workers after
the first is drawn here (the garbage collector frozen first, so the workers do
not copy the heap).
Haloed labels are drawn as text, not outline paths (``maps._render.text_halos``:
dilated glyph bitmaps in the PNG, a stroked copy of the text in the SVG); plain
text is measured once for both files; the key's rows are one artist that draws
number and name as two strings (``_KeyRows``), so a name is shaped once per
process; an approximate outline shared by several projects is hatched and
dashed once, in the colour of the last one.

Cache: with ``cache=True`` (the default) a sheet whose inputs are unchanged
(its projects, legend and titles, the base layers, the drawing code, the
font and the matplotlib settings; ``_sheet_key`` and ``_fingerprint``) is
copied byte for byte from ``settings.cache_folder / "pictures"``
(``maps._picture_cache``) instead of drawn. A sheet never depends on the one
drawn before it, so a copied picture is the picture a fresh draw would give.
"""

from __future__ import annotations

import colorsys
import contextlib
import functools
import gc
import logging
import multiprocessing
import os
import re
import struct
import time
import unicodedata
import zlib
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.artist import Artist
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex, to_rgb, to_rgba, to_rgba_array
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox, IdentityTransform
from PIL import Image
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from gis import settings
from gis._errors import PlanmapError
from gis.atomic import atomic_path, write_bytes_atomic
from layers.model import ProjectLayers
from layers.reference import REFERENCE_FILES, reference_layers
from maps import palette
from maps._cartography import (
    Label,
    fit_extent,
    north_arrow,
    place_labels,
    scale_bar,
    status_as_of,
    status_years,
)
from maps._picture_cache import PictureCache, digest
from maps._render import SVG_BACKEND, AggCanvas, share_text, text_halos
from maps.fonts import cjk_family, cjk_font_face, safe_text

try:  # ISA-L's deflate: the PNG's pixels compressed three times faster than with zlib
    from isal import isal_zlib as _isal_zlib
except ImportError:  # optional: zlib does the same job, slower
    _isal_zlib = None

__all__ = ["MAP_BOX", "LegendEntry", "Picture", "pictures_from_layers", "render_pictures",
           "zone_label"]

log = logging.getLogger(__name__)

#: Figure size (inches) and resolution: 12.8 × 7.2 in at 150 dpi = 1920 × 1080 px.
FIGSIZE = (12.8, 7.2)
DPI = 150
#: The map axes (left, bottom, width, height) as fractions of the picture; the deck crops to it.
MAP_BOX = (0.012, 0.075, 0.628, 0.825)
_PANEL_BOX = (0.655, 0.075, 0.335, 0.825)
_KEY_FONTSIZE = 9.0
_SAFE_KEY = re.compile(r"[^a-z0-9_]+")
#: Delivery class drawn on the delivery map.
DELIVERY_MAP_CLASS = "no_later_report"
#: Zones of the delivery table that have no drawable place.
_UNDRAWABLE_ZONES = frozenset({"district", "unlocated", ""})
#: Chinese names of the zone keys that are not functional zones.
_OTHER_ZONES = {"outside": "区外", "district": "全区（未细分）", "unlocated": "未定位"}


def zone_label(key: str) -> str:
    """Chinese name of a zone key, including ``outside``, ``district`` and ``unlocated``."""
    if key in palette.ZONES:
        return palette.ZONES[key][0]
    return _OTHER_ZONES.get(key, safe_text(str(key)) or "未定位")


@dataclass
class LegendEntry:
    """One legend line: what kind of symbol, its label and colour.

    ``kind`` is ``"point"`` (a dot), ``"coarse"`` (a hatched outline),
    ``"zone"`` (a filled square), ``"belt"`` (a dashed outline) or
    ``"line"`` (a stroke).
    """

    kind: str
    label: str
    colour: str


@dataclass
class Picture:
    """One picture written by ``render_pictures``.

    Attributes
    ----------
    stem : str
        File name without suffix (``overview``, ``zone_east``, ``belt_line2``,
        ``year_2023``, ``delivery_no_later_report``).
    kind : str
        ``"overview"``, ``"zone"``, ``"belt"``, ``"year"`` or ``"delivery"``.
    key : str
        Zone or belt key, the year as text, the delivery class, or ``""`` for the overview.
    title : str
        Chinese title drawn on the picture.
    png, svg : Path
        The files written.
    project_ids : list of str
        Ids of the projects drawn, most mentioned first.
    named : dict
        ``{id: name}`` of the projects labelled by name.
    numbers : dict
        ``{id: number}`` of the projects numbered in the key.
    texts : list of str
        Every string drawn on the picture (for glyph checks).
    legend : list of (str, list of LegendEntry)
        The legend sections drawn beside the map (title, entries), for the deck
        to repeat as text.
    note : str
        The note under the key (unlabelled projects, what could not be drawn).
    source : str
        The source and base-map credit line.
    credit : str
        The base-map credit alone (the deck lists the documents on its title slide).
    not_drawn : int
        Features of the picture's subject that have no place to draw
        (delivery map: promises placed district-wide or not at all).
    seconds : float
        Time taken to draw and save the picture.
    """

    stem: str
    kind: str
    key: str
    title: str
    png: Path
    svg: Path
    project_ids: list[str] = field(default_factory=list)
    named: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    legend: list[tuple[str, list[LegendEntry]]] = field(default_factory=list)
    note: str = ""
    source: str = ""
    credit: str = ""
    not_drawn: int = 0
    seconds: float = 0.0


# --------------------------------------------------------------------------- geometry → paths

_MOVETO, _LINETO, _CLOSE = MplPath.MOVETO, MplPath.LINETO, MplPath.CLOSEPOLY


def _geom_path(geom: BaseGeometry | None) -> MplPath | None:
    """One compound matplotlib path of a geometry's rings and lines (points are left out).

    Polygons are oriented (shell counter-clockwise, holes clockwise) so holes
    stay empty under either fill rule.
    """
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("LineString", "LinearRing"):
        # no codes: Agg clips such a path to the view, so a dash pattern starts where the line
        # enters it (as geopandas draws lines; parallel carriageways stay in phase)
        xy = shapely.get_coordinates(geom)
        return MplPath(xy) if len(xy) >= 2 else None
    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for part in shapely.get_parts(geom):
        kind = part.geom_type
        if kind == "Polygon":
            part = shapely.orient_polygons(part)
            for ring in (part.exterior, *part.interiors):
                xy = shapely.get_coordinates(ring)
                if len(xy) < 3:
                    continue
                c = np.full(len(xy), _LINETO, dtype=np.uint8)
                c[0], c[-1] = _MOVETO, _CLOSE
                verts.append(xy)
                codes.append(c)
        elif kind in ("LineString", "LinearRing"):
            xy = shapely.get_coordinates(part)
            if len(xy) < 2:
                continue
            c = np.full(len(xy), _LINETO, dtype=np.uint8)
            c[0] = _MOVETO
            verts.append(xy)
            codes.append(c)
        elif kind.startswith("Multi") or kind == "GeometryCollection":
            sub = _geom_path(part)
            if sub is not None:
                verts.append(sub.vertices)
                codes.append(sub.codes)
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _paths(geoms) -> list[MplPath]:
    return [p for p in (_geom_path(g) for g in geoms) if p is not None]


def _joined(paths: Sequence[MplPath]) -> MplPath:
    """One compound path of several (each part starts with a move), for stroking alike.

    A collection of n paths is n elements of the SVG and n strokes in Agg;
    the same outlines as one path draw alike (SVG and Agg restart a dash
    pattern at each move) at a fraction of the cost.
    """
    if len(paths) == 1:
        return paths[0]
    verts, codes = [], []
    for path in paths:
        if path.codes is None:
            c = np.full(len(path.vertices), _LINETO, dtype=np.uint8)
            c[0] = _MOVETO
        else:
            c = path.codes
        verts.append(path.vertices)
        codes.append(c)
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _by_colour(paths: Sequence[MplPath], colours: Sequence) -> tuple[list[MplPath], list]:
    """Join the paths of each colour into one (for strokes without fill).

    Returns the joined paths and their colours (RGBA tuples), stacked in the
    order of each colour's last feature, as if the features were drawn one
    by one.
    """
    groups: dict[tuple, list[MplPath]] = {}
    for path, colour in zip(paths, colours, strict=True):
        key = tuple(to_rgba(colour))
        groups.setdefault(key, []).append(path)
        groups[key] = groups.pop(key)  # to the end: the colour of the last feature on top
    return [_joined(g) for g in groups.values()], list(groups)


def _collection(paths: Sequence[MplPath], **kwargs) -> PathCollection:
    return PathCollection(list(paths), **kwargs)


@functools.lru_cache(maxsize=8)
def _marker_path(marker: str) -> MplPath:
    style = MarkerStyle(marker)
    return style.get_path().transformed(style.get_transform())


def _dots(ax, x, y, *, s: float, facecolors, edgecolors, linewidths: float, marker: str = "o",
          zorder: float = 1, transform=None, clip_on: bool = True) -> PathCollection:
    """What ``ax.scatter`` draws for plain markers, without its argument parsing.

    The parsing cost a third of a legend.
    """
    dots = PathCollection((_marker_path(marker),), [s], facecolors=facecolors,
                          edgecolors=edgecolors, linewidths=linewidths,
                          offsets=np.column_stack([np.asarray(x, float), np.asarray(y, float)]),
                          offset_transform=ax.transData if transform is None else transform,
                          zorder=zorder)
    dots.set_transform(IdentityTransform())
    dots.set_clip_on(clip_on)
    ax.add_collection(dots, autolim=False)
    return dots


def _rgba(colours: Sequence[str] | str, alpha: float | Sequence[float] = 1.0) -> np.ndarray:
    out = to_rgba_array(colours)
    out[:, 3] = alpha
    return out


def _strong(colour: str) -> str:
    """A saturated, darker version of a pale fill colour, for symbols on top of that fill."""
    h, _, _ = colorsys.rgb_to_hls(*to_rgb(colour))
    return to_hex(colorsys.hls_to_rgb(h, 0.38, 0.75))


# --------------------------------------------------------------------------- context


@dataclass
class _Base:
    """The reference layers as paths in metres: built once per reference set."""

    district: MplPath
    district_shape: BaseGeometry
    bounds: tuple[float, float, float, float]
    subdistricts: list[MplPath]
    creek_polys: list[MplPath]
    creek_lines: list[MplPath]
    metro: list[MplPath]
    stations: np.ndarray
    keys: list[str]
    center_lonlat: tuple[float, float]


@dataclass
class _Context:
    """Everything every sheet needs, projected once to the metric CRS."""

    crs: str
    base: _Base
    zones: list[tuple[str, MplPath]]
    zone_bounds: dict[str, tuple[float, float, float, float]]
    belts: list[tuple[str, MplPath]]
    belt_bounds: dict[str, tuple[float, float, float, float]]
    projects: gpd.GeoDataFrame
    source: str
    credit: str
    delivery: gpd.GeoDataFrame | None = None
    delivery_not_drawn: int = 0
    veils: dict[tuple, MplPath | None] = field(default_factory=dict)
    unions: dict[tuple, MplPath | None] = field(default_factory=dict)
    source_bitmap: tuple | None = None
    source_blends: dict = field(default_factory=dict)  # the source bitmap over white
    base_pixels: dict[tuple, object] = field(default_factory=dict)
    base_svg: dict[tuple, object] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # project name → ``safe_text`` of it


def _safe_key(key: object, fallback: str) -> str:
    cleaned = _SAFE_KEY.sub("", str(key).lower())[:40]
    return cleaned or fallback


def _metric(gdf: gpd.GeoDataFrame | None, crs: str) -> gpd.GeoDataFrame:
    if gdf is None or len(gdf) == 0:
        return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs=crs)
    if gdf.crs is None:
        gdf = gdf.set_crs(settings.output_crs)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return gdf.to_crs(crs)


def _make_base(reference: dict, crs: str) -> _Base:
    ref = {key: _metric(gdf, crs) for key, gdf in reference.items() if gdf is not None}
    if "district" not in ref or ref["district"].empty:
        raise PlanmapError("the reference layers have no 'district' outline; pictures need one "
                           "(layers.reference.reference_layers() provides it)")
    district = ref["district"].union_all()
    creek = ref.get("creek", _metric(None, crs))
    is_poly = creek.geometry.geom_type.str.contains("Polygon")
    stations = ref.get("metro_stations", _metric(None, crs))
    c = gpd.GeoSeries([district], crs=crs).to_crs(settings.output_crs).iloc[0].centroid
    return _Base(
        district=_geom_path(district),
        district_shape=district,
        bounds=tuple(float(v) for v in district.bounds),
        subdistricts=_one(_paths(ref.get("subdistricts", _metric(None, crs)).geometry)),
        creek_polys=_paths(creek.geometry[is_poly]),
        creek_lines=_one(_paths(creek.geometry[~is_poly])),
        metro=_one(_paths(ref.get("metro_lines", _metric(None, crs)).geometry)),
        stations=shapely.get_coordinates(stations.geometry.values),
        keys=[k for k in ("district", "subdistricts", "creek", "metro_lines", "metro_stations")
              if k in ref and len(ref[k])],
        center_lonlat=(c.x, c.y),
    )


def _one(paths: list[MplPath]) -> list[MplPath]:
    """The outlines of a base layer drawn in one style, as one compound path (or none)."""
    return [_joined(paths)] if paths else []


@functools.lru_cache(maxsize=4)
def _bundled_base(crs: str, folder: str) -> _Base:
    """The bundled reference layers as paths, projected once per process."""
    return _make_base(reference_layers(Path(folder)), crs)


def _credits(keys: Sequence[str]) -> list[str]:
    """Credits of the reference layers drawn, each once."""
    return list(dict.fromkeys(c for k in keys if (c := REFERENCE_FILES.get(k, ("", ""))[1])))


def _source_line(layers: ProjectLayers, drawn: list[str]) -> str:
    docs = [safe_text(str(d.get("title") or d.get("name") or "")) for d in layers.documents]
    docs = [d for d in docs if d]
    doc_text = "；".join(docs) if docs else "（未列出）"
    return f"资料来源：{doc_text}。{_credit_line(_credits(drawn))}"


def _credit_line(credits: Sequence[str]) -> str:
    return f"底图：{'; '.join(credits)}。项目位置由文本地名匹配得出，斜线/虚线表示近似位置。"


def _anchors(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Label anchors: the point itself, a line's middle, a polygon's representative point."""
    xs, ys = np.empty(len(geoms)), np.empty(len(geoms))
    for i, geom in enumerate(geoms):
        kind = geom.geom_type
        if kind == "Point":
            p = geom
        elif "LineString" in kind:
            p = geom.interpolate(0.5, normalized=True)
        else:
            p = geom.representative_point()
        xs[i], ys[i] = p.x, p.y
    return xs, ys


def _prepare(projects: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add the drawing columns computed once per layer: kind, coarseness, paths, anchors."""
    if not len(projects):
        return projects.assign(_kind=pd.Series(dtype=str), _coarse=pd.Series(dtype=bool),
                               _path=pd.Series(dtype=object), _halo=pd.Series(dtype=object),
                               _halo_geom=pd.Series(dtype=object),
                               _x=pd.Series(dtype=float), _y=pd.Series(dtype=float))
    types = projects.geometry.geom_type.fillna("")
    kind = np.where(types.str.contains("Point"), "point",
                    np.where(types.str.contains("LineString"), "line", "polygon"))
    precision = projects["precision"] if "precision" in projects.columns else ""
    coarse = pd.Series(precision, index=projects.index).astype(str).isin(
        palette.COARSE_PRECISIONS).to_numpy()
    # one path object per distinct geometry: many projects share a subdistrict's outline
    shared: dict[bytes, MplPath | None] = {}
    paths: list[MplPath | None] = []
    for k, g in zip(kind, projects.geometry, strict=True):
        if k == "point":
            paths.append(None)
            continue
        if k == "line":
            # one path per part: a dash pattern restarts at each part, as for separate lines
            paths.append(_paths(shapely.get_parts(g)) or None)
            continue
        wkb = shapely.to_wkb(g)
        if wkb not in shared:
            shared[wkb] = _geom_path(g)
        paths.append(shared[wkb])
    halos: list[MplPath | None] = [None] * len(projects)
    halo_geoms: list[BaseGeometry | None] = [None] * len(projects)
    halo_rows = np.flatnonzero((kind == "point") & coarse)
    if len(halo_rows):
        metres = pd.to_numeric(projects["precision_m"], errors="coerce") \
            if "precision_m" in projects.columns else pd.Series(np.nan, index=projects.index)
        radius = np.clip(metres.fillna(300.0).replace(0, 300.0).to_numpy(float), 150.0, 800.0)
        buffered = shapely.buffer(np.asarray(projects.geometry)[halo_rows], radius[halo_rows])
        for i, geom in zip(halo_rows, buffered, strict=True):
            halos[i] = _geom_path(geom)
            halo_geoms[i] = geom
    xs, ys = _anchors(projects.geometry)
    return projects.assign(_kind=kind, _coarse=coarse, _path=_objects(paths, projects.index),
                           _halo=_objects(halos, projects.index),
                           _halo_geom=_objects(halo_geoms, projects.index), _x=xs, _y=ys)


def _objects(values: Sequence, index: pd.Index) -> pd.Series:
    """A Series of arbitrary objects (paths), never unpacked by pandas or numpy."""
    array = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        array[i] = value
    return pd.Series(array, index=index, dtype=object)


def _delivery_projects(layers: ProjectLayers, crs: str) -> tuple[gpd.GeoDataFrame | None, int]:
    """The promises of ``DELIVERY_MAP_CLASS`` that can be drawn, and how many cannot."""
    delivery = layers.delivery
    if delivery is None or not len(delivery):
        return None, 0
    from layers.delivery import delivery_layer

    wanted = delivery[delivery["delivery_class"].astype(str) == DELIVERY_MAP_CLASS]
    zone = wanted["zone"].fillna("").astype(str)
    placed = wanted[~zone.isin(_UNDRAWABLE_ZONES)]
    if len(placed) and len(layers.projects):
        gdf = delivery_layer(placed, layers.projects)
    else:
        gdf = gpd.GeoDataFrame(placed.iloc[:0].copy(), geometry=[], crs=settings.output_crs)
    gdf = _metric(gdf, crs)
    extra = layers.projects.set_index(layers.projects["id"].astype(str))
    for column in ("mention_count", "precision_m", "type"):
        if column in extra.columns and len(gdf):
            values = extra[column][~extra.index.duplicated()]
            gdf[column] = gdf["entity_id"].astype(str).map(values).to_numpy()
    if len(gdf):
        gdf = gdf.assign(
            id=gdf["entity_id"].astype(str),
            mention_count=pd.to_numeric(gdf.get("mention_count", 0), errors="coerce").fillna(0),
        ).sort_values(["mention_count", "name"], ascending=[False, True], kind="stable")
        gdf["colour_draw"] = [_strong(palette.ZONES[z][2]) if z in palette.ZONES else "#555555"
                              for z in gdf["zone"].astype(str)]
    return _prepare(gdf), len(wanted) - len(gdf)


def _context(layers: ProjectLayers, reference: dict | None) -> _Context:
    crs = settings.metric_crs
    if reference is None:
        base = _bundled_base(crs, str(settings.reference_data_folder))
    else:
        base = _make_base(reference, crs)
    projects = layers.projects.copy()
    if "in_changning" in projects.columns:
        projects = projects[projects["in_changning"].fillna(True).astype(bool)]
    projects = _metric(projects, crs)
    if len(projects):
        projects = projects.assign(
            mention_count=pd.to_numeric(projects.get("mention_count", 0), errors="coerce").fillna(0)
        ).sort_values(["mention_count", "name"], ascending=[False, True], kind="stable")
    zones = _metric(layers.zones, crs)
    belts = _metric(layers.belts, crs)
    zone_keys = [str(k) for k in zones.get("zone", [])]
    belt_keys = [str(k) for k in belts.get("belt", [])]
    belt_shapes = []
    for key in dict.fromkeys(belt_keys):
        shape = belts[belts["belt"].astype(str) == key].union_all()
        clipped = shape.intersection(base.district_shape)
        belt_shapes.append((key, clipped if not clipped.is_empty else shape))
    delivery, not_drawn = _delivery_projects(layers, crs)
    return _Context(
        crs=crs,
        base=base,
        zones=[(k, p) for k, g in zip(zone_keys, zones.geometry, strict=True)
               if (p := _geom_path(g)) is not None],
        zone_bounds={k: tuple(zones[zones["zone"].astype(str) == k].total_bounds)
                     for k in dict.fromkeys(zone_keys)},
        belts=[(k, p) for k, g in belt_shapes if (p := _geom_path(g)) is not None],
        belt_bounds={k: tuple(g.bounds) for k, g in belt_shapes},
        projects=_prepare(projects),
        source=_source_line(layers, base.keys),
        credit=_credit_line(_credits(base.keys)),
        delivery=delivery,
        delivery_not_drawn=not_drawn,
    )


# --------------------------------------------------------------------------- drawing


def _draw_base(ax, ctx: _Context, *, zone_focus: str | None = None,
               belt_focus: str | None = None, show_belts: bool = True) -> None:
    """The base map: one collection per layer (zones and belts each one, coloured per feature)."""
    base = ctx.base
    add = ax.add_collection
    add(_collection([base.district], facecolors="#f6f6f4", edgecolors="none", zorder=1),
        autolim=False)
    if ctx.zones:
        colours = [palette.ZONES.get(k, ("", "", "#eeeeee"))[2] for k, _ in ctx.zones]
        alpha = [0.75 if zone_focus in (None, k) else 0.2 for k, _ in ctx.zones]
        add(_collection([p for _, p in ctx.zones], facecolors=_rgba(colours, alpha),
                        edgecolors=_rgba(["white"] * len(colours), alpha), linewidths=1.5,
                        zorder=2), autolim=False)
    if base.subdistricts:
        add(_collection(base.subdistricts, facecolors="none", edgecolors="#9a9a9a",
                        linewidths=0.6, linestyles=[(0, (4, 2))], zorder=3), autolim=False)
    if show_belts and ctx.belts:
        colours = [palette.BELTS.get(k, ("", "", "#555555"))[2] for k, _ in ctx.belts]
        focus = [belt_focus in (None, k) for k, _ in ctx.belts]
        paths = [p for _, p in ctx.belts]
        # a light fill only on the belt's own map: elsewhere a pink wash would read as a zone
        fill = [0.16 if belt_focus == k else 0.0 for k, _ in ctx.belts]
        add(_collection(paths, facecolors=_rgba(colours, fill), edgecolors="none", zorder=4),
            autolim=False)
        add(_collection(paths, facecolors="none",
                        edgecolors=_rgba(colours, [1.0 if f else 0.4 for f in focus]),
                        linewidths=[1.8 if f else 0.8 for f in focus],
                        linestyles=[(0, (6, 3))], zorder=4), autolim=False)
    add(_collection([base.district], facecolors="none", edgecolors="#333333", linewidths=1.4,
                    zorder=5), autolim=False)
    if base.creek_polys:
        add(_collection(base.creek_polys, facecolors="#9ecae1", edgecolors="#4a90c2",
                        linewidths=0.8, zorder=6), autolim=False)
    if base.creek_lines:
        add(_collection(base.creek_lines, facecolors="none", edgecolors="#4a90c2",
                        linewidths=2.5, zorder=6), autolim=False)
    if base.metro:
        add(_collection(base.metro, facecolors="none", edgecolors=to_rgba("#6f6f6f", 0.8),
                        linewidths=1.1, zorder=7), autolim=False)
    if len(base.stations):
        _dots(ax, base.stations[:, 0], base.stations[:, 1], marker="s", s=10, facecolors="white",
              edgecolors="#555555", linewidths=0.7, zorder=8)


def _mask_outside(ax, ctx: _Context) -> None:
    """Veil what lies outside the district so the eye stays inside it."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    key = (round(x0), round(y0), round(x1), round(y1))
    if key not in ctx.veils:
        veil = box(x0, y0, x1, y1).difference(ctx.base.district_shape)
        ctx.veils[key] = _geom_path(veil)
    path = ctx.veils[key]
    if path is not None:
        ax.add_collection(_collection([path], facecolors=to_rgba("white", 0.55), edgecolors="none",
                                      zorder=8.5), autolim=False)


def _colours(projects: gpd.GeoDataFrame) -> list[str]:
    if "colour_draw" in projects.columns:
        return [str(c) for c in projects["colour_draw"]]
    return [palette.status_color(str(s)) for s in projects["status_draw"]]


_MISSING = object()


def _hatch_paths(geoms: Sequence[BaseGeometry], colours: Sequence[str], keys: Sequence[int],
                 cache: dict | None) -> tuple[list[MplPath], list[str]]:
    """One path per colour: the union of that colour's hatched shapes.

    Agg builds a hatch tile for every path it fills, so a hatch costs about a
    millisecond per path; the union also keeps overlapping hatches from
    cancelling out (Agg fills compound paths even-odd). ``keys`` identify the
    shapes for the cache (the union of the same shapes is reused across
    pictures).
    """
    groups: dict[str, dict[int, BaseGeometry]] = {}
    last: dict[str, int] = {}
    for n, (geom, colour, key) in enumerate(zip(geoms, colours, keys, strict=True)):
        groups.setdefault(colour, {})[key] = geom
        last[colour] = n
    paths, cols = [], []
    # stacked as if drawn one by one: the colour of the last feature ends on top
    for colour in sorted(groups, key=last.__getitem__):
        shapes = groups[colour]
        cache_key = (colour, tuple(sorted(shapes)))
        path = cache.get(cache_key, _MISSING) if cache is not None else _MISSING
        if path is _MISSING:
            parts = list(shapes.values())
            path = _geom_path(shapely.union_all(parts) if len(parts) > 1 else parts[0])
            if cache is not None:
                cache[cache_key] = path
        if path is not None:
            paths.append(path)
            cols.append(colour)
    return paths, cols


def _draw_projects(ax, projects: gpd.GeoDataFrame, crs: str | None = None, *,
                   cache: dict | None = None) -> None:
    """Draw projects in the colour of their ``status_draw`` (or ``colour_draw``).

    Coarse ones (``palette.COARSE_PRECISIONS``) look approximate: hatched
    dashed outlines, dashed lines, points with a hatched halo as wide as their
    ``precision_m`` (150–800 m). Each kind of symbol is one collection,
    whatever the number of projects: filled areas one path per feature,
    strokes (lines, dashed outlines) and hatches one path per colour, halos
    filled and hatched on the union of their colour. ``cache`` (a dict kept
    across pictures of one layer) keeps those unions.
    """
    if not len(projects):
        return
    if "_kind" not in projects.columns:
        projects = _prepare(projects)
    colours = np.array(_colours(projects), dtype=object)
    kind = projects["_kind"].to_numpy()
    coarse = projects["_coarse"].to_numpy(bool)
    add = ax.add_collection

    def pick(mask, column, *, unique=False):
        values = projects[column].to_numpy()
        rows = [i for i in np.flatnonzero(mask) if values[i] is not None]
        if unique:  # the same outline is drawn once, where (and in the colour) it was last
            seen: set[int] = set()
            rows = [i for i in reversed(rows)
                    if id(values[i]) not in seen and not seen.add(id(values[i]))][::-1]
        return rows, [values[i] for i in rows], list(colours[rows])

    _, paths, cols = pick((kind == "polygon") & ~coarse, "_path")
    if paths:
        add(_collection(paths, facecolors=_rgba(cols, 0.45), edgecolors=_rgba(cols, 0.45),
                        linewidths=1.2, zorder=10), autolim=False)
    # several approximate projects often share an outline (a subdistrict's): opaque dashes
    # and hatch lines in the same place cover each other exactly, so only the one drawn last
    # (on top) is drawn
    rows, paths, cols = pick((kind == "polygon") & coarse, "_path", unique=True)
    if paths:
        geoms = np.asarray(projects.geometry)[rows]
        hatch, hatch_cols = _hatch_paths(geoms, cols, [id(p) for p in paths], cache)
        add(_collection(hatch, facecolors="none", edgecolors="none", hatchcolors=hatch_cols,
                        hatch="///", zorder=10), autolim=False)
        outlines, outline_cols = _by_colour(paths, cols)
        add(_collection(outlines, facecolors="none", edgecolors=outline_cols, linewidths=1.0,
                        linestyles=[(0, (4, 2))], zorder=10), autolim=False)
    for is_coarse, width, style in ((False, 2.6, "solid"), (True, 3.2, (0, (3, 2)))):
        _, parts, part_cols = pick((kind == "line") & (coarse == is_coarse), "_path")
        paths = [p for ps in parts for p in ps]
        cols = [c for ps, c in zip(parts, part_cols, strict=True) for _ in ps]
        if paths:
            # one path per colour: a road has many parts (carriageways, ramps), each
            # was an element of the SVG
            lines, line_cols = _by_colour(paths, cols)
            add(_collection(lines, facecolors="none", edgecolors=_rgba(line_cols, 0.85),
                            linewidths=width, linestyles=[style], zorder=11), autolim=False)
    rows, paths, cols = pick((kind == "point") & coarse, "_halo")
    if paths:
        geoms = projects["_halo_geom"].to_numpy()[rows]
        # fill and hatch per colour on the union of that colour's halos (one path each)
        hatch, hatch_cols = _hatch_paths(geoms, cols, [id(p) for p in paths], cache)
        add(_collection(hatch, facecolors=_rgba(hatch_cols, 0.12), edgecolors="none", zorder=9),
            autolim=False)
        add(_collection(hatch, facecolors="none", edgecolors="none",
                        hatchcolors=_rgba(hatch_cols, 0.55), hatch="////", zorder=9),
            autolim=False)
        outlines, outline_cols = _by_colour(paths, cols)
        add(_collection(outlines, facecolors="none", edgecolors=_rgba(outline_cols, 0.55),
                        linewidths=0.8, linestyles=[(0, (3, 2))], zorder=9), autolim=False)
    points = kind == "point"
    if points.any():
        xy, index = shapely.get_coordinates(np.asarray(projects.geometry)[points],
                                            return_index=True)
        point_colours = colours[np.flatnonzero(points)][index]
        point_coarse = coarse[points][index]
        for is_coarse in (True, False):
            sel = point_coarse == is_coarse
            if not sel.any():
                continue
            cols = list(point_colours[sel])
            if is_coarse:
                _dots(ax, xy[sel, 0], xy[sel, 1], s=38, facecolors="white", edgecolors=cols,
                      linewidths=2.0, zorder=12)
            else:
                _dots(ax, xy[sel, 0], xy[sel, 1], s=46, facecolors=cols, edgecolors="white",
                      linewidths=1.0, zorder=12)


# --------------------------------------------------------------------------- legend


def _status_entries(statuses: Sequence[str], any_coarse: bool) -> list[LegendEntry]:
    entries = [LegendEntry("point", palette.status_label(s), palette.status_color(s))
               for s in palette.STATUSES if s in statuses]
    if any_coarse:
        entries.append(LegendEntry("coarse", "近似位置（道路/街道/片区级）", "#666666"))
    return entries


def _structure_entries(ctx: _Context, *, zones: bool, belts: bool) -> list[LegendEntry]:
    entries: list[LegendEntry] = []
    if zones:
        present = {k for k, _ in ctx.zones}
        entries += [LegendEntry("zone", palette.ZONES[k][0], palette.ZONES[k][2])
                    for k in palette.ZONES if k in present]
    if belts:
        present = {k for k, _ in ctx.belts}
        entries += [LegendEntry("belt", palette.BELTS[k][0], palette.BELTS[k][2])
                    for k in palette.BELTS if k in present]
    entries.append(LegendEntry("line", "轨道交通线路", "#6f6f6f"))
    entries.append(LegendEntry("line", "苏州河", "#4a90c2"))
    return entries


_LEGEND_FONTSIZE = 9.0


def _draw_legend(panel, title: str, entries: Sequence[LegendEntry], ncol: int, top: float
                 ) -> float:
    """Draw a legend section in the panel from ``top`` (axes fraction); return its bottom.

    Drawn by hand (a title, one symbol and one text per entry, row by row in
    ``ncol`` columns): a matplotlib ``Legend`` re-lays out its boxes at every
    save and cost more than the rest of the panel. The symbols are added as
    plain artists: ``add_patch``/``add_line`` also work out data limits, which
    these symbols (in axes fractions) never change, at twice the cost.
    """
    box = panel.get_position()
    fig_w, fig_h = panel.figure.get_size_inches()
    em_x = _LEGEND_FONTSIZE / 72 / (box.width * fig_w)  # one em in axes fractions
    em_y = _LEGEND_FONTSIZE / 72 / (box.height * fig_h)
    trans = panel.transAxes
    panel.text(0.0, top, title, fontsize=10, fontweight="bold", va="top", transform=trans)
    row_h = em_y * 1.65
    y0 = top - em_y * 1.35 * 10 / _LEGEND_FONTSIZE - row_h * 0.55
    handle_w, handle_h = em_x * 1.6, em_y * 0.75
    points_x, points_y, points_c = [], [], []
    for n, entry in enumerate(entries):
        row, col = divmod(n, ncol)
        x, y = col / ncol, y0 - row * row_h
        if entry.kind == "point":
            points_x.append(x + handle_w / 2)
            points_y.append(y)
            points_c.append(entry.colour)
        elif entry.kind == "line":
            width = 2.5 if entry.colour == "#4a90c2" else 1.1
            panel.add_artist(Line2D([x, x + handle_w], [y, y], color=entry.colour, linewidth=width,
                                  transform=trans, clip_on=False))
        else:
            style = {"coarse": {"facecolor": "none", "edgecolor": entry.colour, "hatch": "////",
                                "linestyle": "--"},
                     "zone": {"facecolor": entry.colour, "edgecolor": "white"},
                     "belt": {"facecolor": "none", "edgecolor": entry.colour, "linestyle": "--",
                              "linewidth": 1.8}}.get(entry.kind, {"facecolor": entry.colour})
            panel.add_artist(Rectangle((x, y - handle_h / 2), handle_w, handle_h, transform=trans,
                                      clip_on=False, **style))
        panel.text(x + handle_w + em_x * 0.6, y, entry.label, fontsize=_LEGEND_FONTSIZE,
                   va="center", transform=trans)
    if points_x:
        _dots(panel, points_x, points_y, s=64, facecolors=points_c, edgecolors="white",
              linewidths=1.0, transform=trans, clip_on=False, zorder=3)
    rows = -(-len(entries) // ncol)
    return y0 - (rows - 1) * row_h - row_h * 0.5


def _width(text: str) -> int:
    """Width of ``text`` in half-width units (a Chinese character counts two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(text: str, width: int) -> list[str]:
    """Wrap ``text`` to ``width`` half-width units (a Chinese character counts two).

    A line may end after any Chinese character, but a Latin word (a run of
    half-width characters without a space) is carried to the next line whole
    rather than cut, unless it is longer than a line.
    """
    lines, current, used = [], "", 0
    for ch in text:
        w = _width(ch)
        if current and used + w > width:
            keep, carry = current, ""
            if not ch.isspace() and w == 1:
                # the half-width word being cut: back to the space or wide character before it
                cut = len(current)
                while cut and not current[cut - 1].isspace() and _width(current[cut - 1]) == 1:
                    cut -= 1
                if cut:
                    keep, carry = current[:cut], current[cut:]
            lines.append(keep.rstrip())
            current, used = carry, _width(carry)
            if not current and ch.isspace():
                continue  # no line starts with the space it broke at
        current += ch
        used += w
    if current:
        lines.append(current)
    return lines


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


# --------------------------------------------------------------------------- one sheet


@dataclass
class _Spec:
    """What one sheet shows."""

    stem: str
    kind: str
    key: str
    title: str
    subtitle: str
    bounds: Sequence[float]
    projects: gpd.GeoDataFrame
    legend: list[tuple[str, list[LegendEntry], int]]
    zone_focus: str | None = None
    belt_focus: str | None = None
    max_names: int = 12
    key_title: str = "编号索引（按提及次数）"
    note: str = ""
    not_drawn: int = 0


_SOURCE_XY = (0.012, 0.012)


def _source_block(ctx: _Context, fig: Figure):
    """The source line at the foot of the picture, as text and as a cached bitmap.

    The line (every document title and the base-map credits, some 500
    characters) is the same on every picture and costs a third of the text
    drawing; the PNG shows a bitmap of it rendered once (pixel for pixel what
    the text draws over white), the SVG the text itself. Returns both
    artists; the text is visible, the bitmap hidden.
    """
    source = "\n".join(_wrap(ctx.source, 232)[:3])
    style = {"fontsize": 7.5, "color": "#555555", "va": "bottom"}
    text = fig.text(*_SOURCE_XY, source, **style)
    if ctx.source_bitmap is None:
        scratch = Figure(figsize=FIGSIZE, dpi=DPI, facecolor="none")
        AggCanvas(scratch)
        probe = scratch.text(*_SOURCE_XY, source, **style)
        scratch.canvas.draw()
        pixels = np.asarray(scratch.canvas.buffer_rgba())
        height = pixels.shape[0]
        extent = probe.get_window_extent(scratch.canvas.get_renderer())
        x0, x1 = max(0, int(extent.x0) - 2), min(pixels.shape[1], int(extent.x1) + 3)
        top, bottom = max(0, height - int(extent.y1) - 3), min(height, height - int(extent.y0) + 2)
        ctx.source_bitmap = (pixels[top:bottom, x0:x1].copy(), x0, height - bottom)
    image = fig.add_artist(_Pasted(*ctx.source_bitmap, kept=ctx.source_blends))
    image.set_zorder(text.get_zorder())
    image.set_visible(False)
    return text, image


class _Pasted(Artist):
    """An RGBA bitmap blended straight into the Agg canvas at a whole-pixel place.

    What ``figimage`` shows for a bitmap at its own size, without its
    resampling machinery (8 ms for the source line); vector output ignores it.
    ``xo``, ``yo``: the bitmap's lower left corner, pixels from the figure's
    lower left.
    """

    def __init__(self, rgba: np.ndarray, xo: int, yo: int, *, kept: dict | None = None) -> None:
        super().__init__()
        self.rgba = rgba
        self.xo, self.yo = int(xo), int(yo)
        self.kept = {} if kept is None else kept  # of every _Pasted of the same bitmap

    @property
    def over_white(self) -> np.ndarray:
        """The blend over white, the usual ground (the foot of the picture): copied, not computed."""
        if "white" not in self.kept:
            self.kept["white"] = self._blend(np.full(self.rgba.shape[:2] + (3,), 255, np.uint8))
        return self.kept["white"]

    def _blend(self, below: np.ndarray) -> np.ndarray:
        # Agg's blend of a colour over an opaque pixel (its "plain" RGBA blender), so the
        # pixels are those the text itself draws
        below = below.astype(np.int32)
        rgb = self.rgba[..., :3].astype(np.int32)
        alpha = self.rgba[..., 3:].astype(np.int32)
        return (((rgb * 256 - below * 255) * alpha + below * (255 * 256))
                // (255 * 256 + alpha)).astype(np.uint8)

    def draw(self, renderer) -> None:
        if not self.get_visible() or not hasattr(renderer, "buffer_rgba"):
            return
        canvas = np.asarray(renderer.buffer_rgba())
        h, w = self.rgba.shape[:2]
        top = canvas.shape[0] - self.yo - h
        if top < 0 or self.xo < 0 or self.xo + w > canvas.shape[1]:
            return
        region = canvas[top:top + h, self.xo:self.xo + w, :3]
        region[...] = self.over_white if region.min() == 255 else self._blend(region)


def _figure() -> Figure:
    """The figure every sheet is drawn on in turn: its map axes and panel axes.

    The two axes, the Agg renderer and its text cache are kept from sheet to
    sheet (``_clear`` takes away what a sheet drew): making axes (ticks,
    spines) cost more than a fifth of a sheet.
    """
    fig = Figure(figsize=FIGSIZE, dpi=DPI, facecolor="white")
    AggCanvas(fig)
    ax = fig.add_axes(MAP_BOX)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#bbbbbb")
    ax.set_autoscale_on(False)
    panel = fig.add_axes(_PANEL_BOX)
    panel.set_axis_off()
    share_text(fig.canvas.get_renderer())
    return fig


def _clear(fig: Figure) -> None:
    """Remove what the last sheet drew; keep the figure's two axes."""
    for artist in [*fig.texts, *fig.images, *fig.artists]:
        artist.remove()
    for ax in fig.axes:
        for artist in [*ax.collections, *ax.patches, *ax.lines, *ax.texts, *ax.images,
                       *ax.artists]:
            artist.remove()


def _drawn_texts(fig: Figure) -> list[str]:
    """Every string drawn on a sheet (figure, map and panel text, the key's rows)."""
    texts = [t.get_text() for t in (*fig.texts, *(t for ax in fig.axes for t in ax.texts))
             if t.get_text()]
    for ax in fig.axes:
        for artist in ax.artists:
            if isinstance(artist, _KeyRows):
                texts += artist.texts()
    return texts


class _KeyRows(Artist):
    """The rows of the numbered key ("12 name"), drawn straight by the renderer.

    A ``Text`` per row cost 1.7 ms in Agg: "12 name" is a new string on
    every sheet (numbers differ), so it was measured and shaped anew each
    time. Here a row's top is put on the font's ascent (as ``va="top"``
    does for a line whose ink stays within it), and the number and the name
    are drawn as two strings, the name after the number's width and a
    space: a name's shape is kept from sheet to sheet and nothing is
    measured but the few numbers. In SVG each row is two text elements.
    """

    def __init__(self, fontsize: float, transform, colour: str = "black") -> None:
        super().__init__()
        self.set_transform(transform)
        self.fontsize = fontsize
        self.colour = colour
        self.rows: list[tuple[float, float, str, str]] = []

    def add(self, x: float, y: float, number: str, name: str) -> None:
        """A row whose top left is at (x, y) in the artist's coordinates."""
        self.rows.append((x, y, number, name))

    def texts(self) -> list[str]:
        return [f"{number} {name}" for _, _, number, name in self.rows]

    def draw(self, renderer) -> None:
        if not self.get_visible() or not self.rows:
            return
        from matplotlib.font_manager import FontProperties

        prop = FontProperties(size=self.fontsize)
        metrics = getattr(renderer, "_get_font_height_metrics", None)
        ascent = metrics(prop)[0] if metrics is not None else None
        if ascent is None:
            w, h, d = renderer.get_text_width_height_descent("lp", prop, False)
            ascent = h - d
        space = renderer.points_to_pixels(self.fontsize) * 0.25
        gc = renderer.new_gc()
        gc.set_foreground(self.colour)
        renderer.open_group("key_rows", gid=self.get_gid())
        points = self.get_transform().transform([(x, y) for x, y, _, _ in self.rows])
        flip = renderer.flipy()
        height = renderer.get_canvas_width_height()[1]
        for (px, py), (_, _, number, name) in zip(points, self.rows, strict=True):
            baseline = py - ascent
            ty = height - baseline if flip else baseline
            renderer.draw_text(gc, px, ty, number, prop, 0.0)
            width = renderer.get_text_width_height_descent(number, prop, False)[0]
            renderer.draw_text(gc, px + width + space, ty, name, prop, 0.0)
        renderer.close_group("key_rows")
        gc.restore()


def _sheet(ctx: _Context, spec: _Spec, fig: Figure | None = None) -> tuple[Figure, dict]:
    projects = spec.projects
    if fig is None:
        fig = _figure()
    _clear(fig)
    fig.text(0.012, 0.955, spec.title, fontsize=20, fontweight="bold", va="center")
    fig.text(0.012, 0.915, spec.subtitle, fontsize=11, color="#444444", va="center")
    ax, panel = fig.axes
    # the equal aspect of the last sheet moved the box by a rounding error: a sheet must
    # not depend on the one drawn before (the picture cache relies on it)
    ax.set_position(MAP_BOX)
    panel.set_position(_PANEL_BOX)
    _draw_base(ax, ctx, zone_focus=spec.zone_focus, belt_focus=spec.belt_focus)
    _draw_projects(ax, projects, ctx.crs, cache=ctx.unions)
    fit_extent(spec.bounds, ax, pad=0.06)
    _mask_outside(ax, ctx)
    region = ax.add_artist(_BaseRegion(ctx.base_pixels, (ax.get_xlim(), ax.get_ylim(),
                                                         spec.zone_focus, spec.belt_focus),
                                       ctx.base_svg))
    ax.add_artist(_BaseStart(region))
    scale_bar(ax)
    north_arrow(ax, ctx.crs, lonlat=ctx.base.center_lonlat)
    source_text, source_image = _source_block(ctx, fig)

    renderer = share_text(fig.canvas.get_renderer())
    top = 1.0
    for legend_title, entries, ncol in spec.legend:
        if entries:
            top = _draw_legend(panel, legend_title, entries, ncol, top) - 0.03

    # key of numbered projects: as many rows as fit below the legends, in two columns
    panel_px = panel.get_window_extent(renderer)
    line_h = _KEY_FONTSIZE * 1.5 / 72 * DPI / panel_px.height
    key_top = top - 0.05
    rows = max(0, int((key_top - 0.02) / line_h))
    capacity = rows * 2
    # each name checked against the font once per layers, not once per sheet
    known = ctx.names
    names = [known[n] if n in known else known.setdefault(n, safe_text(n))
             for n in map(str, projects["name"])] if len(projects) else []
    ids = [str(i) for i in projects["id"]] if len(projects) else []
    labels = [Label(x, y, text=n, key=k) for x, y, n, k in
              zip(projects["_x"] if len(projects) else [], projects["_y"] if len(projects) else [],
                  names, ids, strict=True)]
    named, numbers = place_labels(ax, labels, max_names=spec.max_names, max_numbers=capacity,
                                  fontsize=10)
    if numbers:
        panel.text(0.0, top, spec.key_title, fontsize=10, fontweight="bold", va="top",
                   transform=panel.transAxes)
        position = {k: i for i, k in enumerate(ids)}
        colours = _colours(projects)
        char_limit = max(4, int(panel_px.width / 2 / (_KEY_FONTSIZE / 72 * DPI)) - 3)
        dots_x, dots_y, dots_c = [], [], []
        key_rows = _KeyRows(_KEY_FONTSIZE, panel.transAxes)
        for pid, number in numbers.items():
            i = position[pid]
            col, r = divmod(number - 1, rows)
            x, y = col * 0.5, key_top - r * line_h
            dots_x.append(x + 0.012)
            dots_y.append(y - line_h * 0.35)
            dots_c.append(colours[i])
            key_rows.add(x + 0.035, y, str(number), _truncate(names[i], char_limit))
        panel.add_artist(key_rows)
        _dots(panel, dots_x, dots_y, s=36, facecolors=dots_c, edgecolors="face",
              transform=panel.transAxes, clip_on=False, linewidths=0)
    unlabelled = len(projects) - len(named) - len(numbers)
    extra = spec.note
    if unlabelled > 0:
        extra = (extra + "；" if extra else "") + f"另有 {unlabelled} 项未标注（见简报表格）"
    if extra:
        panel.text(0.0, 0.0, extra, fontsize=8.5, color="#555555", va="bottom",
                   transform=panel.transAxes, wrap=True)
    return fig, {"named": named, "numbers": numbers, "note": extra,
                 "source": (source_text, source_image)}


def _status_legend(ctx: _Context, projects: gpd.GeoDataFrame, *, zones: bool = True
                   ) -> list[tuple[str, list[LegendEntry], int]]:
    statuses = set(projects["status_draw"]) if len(projects) else set()
    any_coarse = bool(len(projects)) and bool(projects["_coarse"].any())
    return [("项目状态", _status_entries(statuses, any_coarse), 2),
            ("分区与发展带" if zones else "底图", _structure_entries(ctx, zones=zones, belts=True), 1)]


def _specs(ctx: _Context) -> Iterator[_Spec]:
    projects = ctx.projects
    district_bounds = ctx.base.bounds
    n_all = len(projects)

    latest = projects.assign(status_draw=projects["status_latest"].fillna("mentioned").astype(str)) \
        if n_all else projects.assign(status_draw=pd.Series(dtype=str))
    yield _Spec("overview", "overview", "", "长宁区规划项目总览：三区三带",
                f"共 {n_all} 个已定位项目，颜色为最近一年的状态", district_bounds, latest,
                _status_legend(ctx, latest), max_names=10)

    zone_keys = [k for k in palette.ZONES if k in ctx.zone_bounds]
    zone_keys += [k for k in ctx.zone_bounds if k not in zone_keys]
    for i, key in enumerate(zone_keys):
        sub = latest[latest["zone"].astype(str) == key] if n_all else latest
        name = palette.ZONES.get(key, (safe_text(str(key)),))[0]
        yield _Spec(f"zone_{_safe_key(key, f'z{i}')}", "zone", key, name,
                    f"{len(sub)} 个项目，颜色为最近一年的状态", ctx.zone_bounds[key], sub,
                    _status_legend(ctx, sub), zone_focus=key)

    belt_keys = [k for k in palette.BELTS if k in ctx.belt_bounds]
    belt_keys += [k for k in ctx.belt_bounds if k not in belt_keys]
    belt_lists = latest["belts"].fillna("").astype(str).str.split(",") if n_all else None
    for i, key in enumerate(belt_keys):
        sub = latest[belt_lists.apply(lambda b, k=key: k in b)] if n_all else latest
        name = palette.BELTS.get(key, (safe_text(str(key)),))[0]
        yield _Spec(f"belt_{_safe_key(key, f'b{i}')}", "belt", key, name,
                    f"{len(sub)} 个项目，颜色为最近一年的状态", ctx.belt_bounds[key], sub,
                    _status_legend(ctx, sub), belt_focus=key)

    histories = projects["status_by_year"] if n_all else pd.Series(dtype=str)
    parsed = [status_years(v) for v in histories]
    years = sorted({y for h in parsed for y in h})
    for year in years:
        status = pd.Series([status_as_of(h, year) for h in parsed], index=projects.index,
                           dtype=object)
        sub = projects.assign(status_draw=status)[status.notna()]
        yield _Spec(f"year_{int(year)}", "year", str(year), f"{year} 年项目状态",
                    f"{len(sub)} 个项目；状态为 {year} 年及以前最近一次记载", district_bounds, sub,
                    _status_legend(ctx, sub), max_names=10)

    if ctx.delivery is not None:
        yield _delivery_spec(ctx)


def _delivery_spec(ctx: _Context) -> _Spec:
    sub = ctx.delivery
    label = palette.DELIVERY_CLASSES[DELIVERY_MAP_CLASS][0]
    zones = sub["zone"].astype(str) if len(sub) else pd.Series(dtype=str)
    counts = zones.value_counts()
    order = [k for k in palette.ZONES if k in counts.index]
    order += sorted(k for k in counts.index if k not in order)
    entries = [LegendEntry("point", f"{zone_label(k)}：{int(counts[k])} 项",
                           _strong(palette.ZONES[k][2]) if k in palette.ZONES else "#555555")
               for k in order]
    if len(sub) and bool(sub["_coarse"].any()):
        entries.append(LegendEntry("coarse", "近似位置（道路/街道/片区级）", "#666666"))
    total = len(sub) + ctx.delivery_not_drawn
    not_drawn = ctx.delivery_not_drawn
    note = f"{not_drawn} 项只知在全区或未定位，图上无法标出" if not_drawn else ""
    return _Spec(
        f"delivery_{DELIVERY_MAP_CLASS}", "delivery", DELIVERY_MAP_CLASS,
        f"{label}的承诺项目（按分区）",
        f"共 {total} 项承诺到期后无后续文件提及，图上标出 {len(sub)} 项，颜色为所在分区",
        ctx.base.bounds, sub,
        [(f"{label}（按分区）", entries, 1),
         ("底图", _structure_entries(ctx, zones=True, belts=True), 1)],
        max_names=10, key_title="编号索引（按提及次数）", note=note, not_drawn=not_drawn,
    )


def _deflater(fast: bool = True):
    """A level-1 deflate compressor for a PNG's pixel stream, and the library's name.

    ISA-L (the ``isal`` package), when installed, deflates these pictures
    about three times faster than zlib for a stream some 7 % larger; zlib
    otherwise (or with ``fast=False``). Both write a standard zlib stream
    that any PNG reader inflates to the same bytes, and each gives the same
    stream for the same input every time.
    """
    if fast and _isal_zlib is not None:
        return _isal_zlib.compressobj(1), "isal"
    return zlib.compressobj(1), "zlib"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind)) & 0xFFFFFFFF
    return b"".join((struct.pack(">I", len(data)), kind, data, struct.pack(">I", crc)))


#: Rows converted and compressed at a time by ``_png_bytes``.
_PNG_BAND = 64


def _png_bytes(rgba: np.ndarray, dpi: float, *, fast: bool = True) -> bytes:
    """An opaque 8-bit RGB PNG of an RGBA pixel array (the alpha, all opaque, is dropped).

    Rows are stored unfiltered (PNG filter type "none") and deflated at
    level 1 (``_deflater``: ISA-L when installed, else zlib; ``fast=False``
    always zlib): on these pictures (flat fills, hatches, anti-aliased text)
    that is smaller than the "sub" filter (about 14 %) and than Pillow's
    adaptive filters at level 3, in a third of Pillow's time (encoding was a
    seventh of a picture's cost). The picture goes through in bands of
    ``_PNG_BAND`` rows, each put in one small buffer kept for the call: whole
    -picture copies (three of 6 MB) took fresh memory from the system for
    every picture, and its page faults cost a third as much as compressing.
    """
    height, width = rgba.shape[:2]
    rgba = np.ascontiguousarray(rgba)
    rows = np.zeros((min(_PNG_BAND, height), width * 3 + 1), dtype=np.uint8)  # filter byte 0
    packer, _ = _deflater(fast)
    data = []
    for top in range(0, height, _PNG_BAND):
        n = min(_PNG_BAND, height - top)
        # Pillow drops the alpha bytes five times faster than numpy's strided copy
        rgb = Image.frombuffer("RGBA", (width, n), rgba[top:top + n], "raw", "RGBA", 0,
                               1).convert("RGB")
        rows[:n, 1:] = np.asarray(rgb).reshape(n, width * 3)
        data.append(packer.compress(rows[:n]))
    data.append(packer.flush())
    ppm = int(dpi / 0.0254 + 0.5)
    return b"".join((
        b"\x89PNG\r\n\x1a\n",
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
        _png_chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
        _png_chunk(b"tEXt", b"Software\x00planmap"),
        _png_chunk(b"IDAT", b"".join(data)),
        _png_chunk(b"IEND", b""),
    ))


#: Z-order of ``_BaseRegion``: above the base layers and the veil (8.5), below the projects (9).
_BASE_TOP = 8.75


class _BaseRegion(Artist):
    """The pixels of a map's base, kept after one Agg draw and put back in later ones.

    Drawn in the map axes just above the base layers (district, zones,
    subdistricts, belts, creek, metro, stations, the veil outside the
    district, the frame): the first time a base (its limits and focus) is
    drawn, it keeps the pixels under the axes; a later sheet with the same
    base hides those layers (``_base_hidden``) and this puts the pixels back,
    byte for byte what drawing them gives. Half the sheets (overview, years,
    delivery) share one base.

    In SVG it ends the stretch ``_BaseStart`` begins: the first time a base
    is written, what the renderer wrote between them is kept
    (``maps._render.SVGFragment``, in ``svg_store``); a later sheet with the
    same base hides those layers (``_svg_base_artists``) and this writes the
    kept text again, with the renderer's counters, clip paths and open tags
    as drawing them leaves them, so the file is byte for byte the same.
    """

    def __init__(self, store: dict, key: tuple, svg_store: dict | None = None) -> None:
        super().__init__()
        self.set_zorder(_BASE_TOP)
        self.store = store
        self.key = key
        self.svg_store = svg_store
        self.restore = False
        self.replay: list | None = None  # the hidden base layers while an SVG fragment is replayed
        self.record = False

    def _region(self):
        x0, y0, x1, y1 = self.axes.bbox.extents
        return Bbox.from_extents(x0 - 4, y0 - 4, x1 + 4, y1 + 4)  # the frame's stroke included

    def draw(self, renderer) -> None:
        if not self.get_visible():
            return
        if hasattr(renderer, "copy_from_bbox"):
            if self.restore:
                renderer.restore_region(self.store[self.key])
            else:
                self.store[self.key] = renderer.copy_from_bbox(self._region())
        elif self.replay is not None:
            if not renderer.replay_fragment(self.svg_store[self.key]):
                # not where the fragment began (never seen): draw the layers it stands for,
                # here, in the order the axes would have drawn them
                for artist in self.replay:
                    artist.set_visible(True)
                    artist.draw(renderer)
                    artist.set_visible(False)
        elif self.record:
            fragment = renderer.end_fragment()
            if fragment is not None and self.svg_store is not None:
                self.svg_store[self.key] = fragment


class _BaseStart(Artist):
    """Where the SVG of a map's base begins (just after the axes background): see ``_BaseRegion``."""

    def __init__(self, region: _BaseRegion) -> None:
        super().__init__()
        self.set_zorder(-1)  # below every base layer, after the axes patch (drawn first)
        self.region = region

    def draw(self, renderer) -> None:
        if self.get_visible() and self.region.record:
            renderer.start_fragment()


def _base_artists(ax) -> list:
    """What ``_BaseRegion`` stands for in Agg: the axes background, frame and base layers."""
    return [ax.patch, *ax.spines.values(),
            *(c for c in ax.collections if c.get_zorder() < _BASE_TOP)]


def _svg_base_artists(ax) -> list:
    """What a base's SVG fragment stands for, in the order ``Axes.draw`` draws it.

    Everything the axes draw between ``_BaseStart`` and ``_BaseRegion``: the
    frame, the (empty) axis objects and the base layers, by z-order, ties as added.
    """
    return sorted((a for a in ax.get_children()
                   if a is not ax.patch and not isinstance(a, (_BaseStart, _BaseRegion))
                   and a.get_zorder() < _BASE_TOP and a.get_visible()),
                  key=lambda a: a.get_zorder())


def _save_png(fig: Figure, path: Path) -> None:
    """Draw the figure with Agg and write it as an opaque RGB PNG (``_png_bytes``).

    When the map's base was drawn before (``_BaseRegion``), its pixels are
    put back instead of drawing its layers again.
    """
    canvas = fig.canvas
    share_text(canvas.get_renderer())
    regions = [a for ax in fig.axes for a in ax.artists if isinstance(a, _BaseRegion)]
    hidden = []
    for region in regions:
        region.restore = region.key in region.store
        if region.restore:
            hidden += [a for a in _base_artists(region.axes) if a.get_visible()]
    for artist in hidden:
        artist.set_visible(False)
    try:
        with text_halos(fig):
            canvas.draw()
    finally:
        for artist in hidden:
            artist.set_visible(True)
        for region in regions:
            region.restore = False
    write_bytes_atomic(path, _png_bytes(np.asarray(canvas.buffer_rgba()), DPI))


def _save_svg(fig: Figure, path: Path) -> None:
    """Write the figure as SVG, text measured with the shared text cache (``maps._render``).

    A map base written before (``_BaseRegion.svg_store``) is written again
    from the kept text instead of being drawn; the first of each is recorded.
    """
    regions = [a for ax in fig.axes for a in ax.artists if isinstance(a, _BaseRegion)
               and a.svg_store is not None and ax.axison and ax.get_frame_on()
               and sum(isinstance(b, _BaseStart) and b.region is a for b in ax.artists) == 1]
    hidden = []
    for region in regions:
        if region.key in region.svg_store:
            region.replay = _svg_base_artists(region.axes)
            hidden += region.replay
        else:
            region.record = True
    for artist in hidden:
        artist.set_visible(False)
    try:
        with atomic_path(path) as tmp, text_halos(fig):
            fig.savefig(tmp, format="svg", dpi=DPI, metadata={"Date": None, "Creator": "planmap"},
                        backend=SVG_BACKEND)
    finally:
        for artist in hidden:
            artist.set_visible(True)
        for region in regions:
            region.replay, region.record = None, False


def _rc(family: str) -> dict:
    # SVG text stays text (searchable, editable, a fifth of the time of glyph outlines);
    # labels with a white halo too (maps._render.text_halos)
    return {"font.family": [family], "svg.fonttype": "none", "axes.unicode_minus": False,
            "hatch.linewidth": 0.8, "svg.hashsalt": "planmap"}


def _describe(ctx: _Context, spec: _Spec, folder: Path, *, named: dict, numbers: dict,
              texts: list[str], note: str, seconds: float) -> Picture:
    """The ``Picture`` of a sheet, drawn now or found in the cache."""
    return Picture(
        stem=spec.stem, kind=spec.kind, key=spec.key, title=spec.title,
        png=folder / f"{spec.stem}.png", svg=folder / f"{spec.stem}.svg",
        project_ids=[str(i) for i in spec.projects["id"]] if len(spec.projects) else [],
        named=named, numbers=numbers, texts=texts,
        legend=[(t, e) for t, e, _ in spec.legend if e], note=note,
        source=ctx.source, credit=ctx.credit, not_drawn=spec.not_drawn, seconds=seconds)


def _render_one(ctx: _Context, spec: _Spec, folder: Path, fig: Figure) -> Picture:
    """Draw one sheet on ``fig``, write its PNG and SVG, describe it."""
    t0 = time.perf_counter()
    fig, info = _sheet(ctx, spec, fig)
    png, svg = folder / f"{spec.stem}.png", folder / f"{spec.stem}.svg"
    texts = _drawn_texts(fig)
    source_text, source_image = info["source"]
    source_text.set_visible(False)
    source_image.set_visible(True)
    _save_png(fig, png)
    source_text.set_visible(True)
    source_image.set_visible(False)
    _save_svg(fig, svg)
    seconds = time.perf_counter() - t0
    log.debug("pictures: %s in %.2f s", spec.stem, seconds)
    return _describe(ctx, spec, folder, named=info["named"], numbers=info["numbers"],
                     texts=texts, note=info["note"], seconds=seconds)


# --------------------------------------------------------------------------- picture cache

#: Modules whose code decides what a picture looks like: part of the cache fingerprint.
_DRAWING_MODULES = ("maps.pictures", "maps._render", "maps._cartography", "maps.fonts",
                    "maps.palette", "maps._picture_cache")


def _fingerprint() -> str:
    """What every picture depends on beyond its data: code, libraries, font, rc settings.

    Call inside the pictures' ``rc_context``.
    """
    import sys

    import PIL
    from matplotlib import ft2font

    sources = [Path(sys.modules[name].__file__).read_bytes() for name in _DRAWING_MODULES
               if name in sys.modules]
    font, index, family = cjk_font_face()
    stat = font.stat()
    params = matplotlib.rcParams  # 'backend' left out: reading it may import pyplot
    rc = [(k, repr(params[k])) for k in sorted(params.keys()) if k != "backend"]
    return digest(*sources, matplotlib.__version__, PIL.__version__, np.__version__,
                  shapely.__version__, getattr(ft2font, "__freetype_version__", ""),
                  str(font), index, family, stat.st_size, stat.st_mtime_ns, rc, FIGSIZE, DPI,
                  _deflater()[1])


def _path_bytes(path: MplPath) -> tuple[bytes, bytes]:
    return path.vertices.tobytes(), b"" if path.codes is None else path.codes.tobytes()


def _context_digest(ctx: _Context) -> str:
    """What every sheet of a context shares: base layers, zones, belts, source line."""
    base = ctx.base
    parts: list = [ctx.crs, base.bounds, base.center_lonlat, base.keys, base.stations.tobytes(),
                   shapely.to_wkb(base.district_shape)]
    for path in (base.district, *base.subdistricts, *base.creek_polys, *base.creek_lines,
                 *base.metro):
        parts.extend(_path_bytes(path))
    for key, path in (*ctx.zones, *ctx.belts):
        parts.append(key)
        parts.extend(_path_bytes(path))
    parts += [ctx.zone_bounds, ctx.belt_bounds, ctx.source, ctx.credit]
    return digest(*parts)


def _sheet_key(context: str, spec: _Spec) -> str:
    """The content key of one sheet: its context, what it shows and how it is labelled."""
    legend = [(title, [(e.kind, e.label, e.colour) for e in entries], ncol)
              for title, entries, ncol in spec.legend]
    head = (spec.stem, spec.kind, spec.key, spec.title, spec.subtitle,
            tuple(float(v) for v in spec.bounds), legend, spec.zone_focus, spec.belt_focus,
            spec.max_names, spec.key_title, spec.note, spec.not_drawn)
    projects = spec.projects
    if not len(projects):
        return digest(context, head)
    rows = ([str(i) for i in projects["id"]], [str(n) for n in projects["name"]],
            _colours(projects), [str(k) for k in projects["_kind"]],
            [bool(c) for c in projects["_coarse"]])
    shapes = shapely.to_wkb(np.asarray(projects.geometry))
    halos = [b"" if g is None else shapely.to_wkb(g) for g in projects["_halo_geom"]]
    return digest(context, head, rows, *shapes, *halos)


def _record(picture: Picture) -> dict:
    """What a cache entry keeps of a picture beyond its files (the rest comes from its sheet)."""
    return {"named": picture.named, "numbers": picture.numbers, "texts": picture.texts,
            "note": picture.note}


#: What forked workers draw from: (context, specs, folder, rc), set just before the fork.
_FORK_STATE: tuple | None = None
_WORKER_FIGURE: list[Figure] = []


def _render_in_worker(index: int) -> Picture:
    ctx, specs, folder, rc = _FORK_STATE
    with matplotlib.rc_context(rc):
        if not _WORKER_FIGURE:
            _WORKER_FIGURE.append(_figure())
        return _render_one(ctx, specs[index], folder, _WORKER_FIGURE[0])


def _workers(jobs: int | None, n: int) -> int:
    """How many processes draw: ``jobs`` (``None``: one per CPU, at most 4), 1 without fork."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = min(os.cpu_count() or 1, 4) if jobs is None else int(jobs)
    return max(1, min(wanted, n))


@contextlib.contextmanager
def _heap_set_aside() -> Iterator[bool]:
    """Keep the garbage collector's full passes off what exists before drawing.

    Drawing makes thousands of short-lived objects (texts, transforms,
    paths), and the collector's passes over the oldest generation walked the
    whole heap (the layers, matplotlib, geopandas) each time: about 0.08 s
    of the 15 sheets. What exists now lives on anyway, so it is set aside
    (``gc.freeze``) while drawing and put back after; what drawing makes is
    collected as usual. Yields whether it froze the heap: when something
    else already had (``gc.get_freeze_count``), it is left as it was.
    """
    owned = gc.get_freeze_count() == 0
    if owned:
        gc.freeze()
    try:
        yield owned
    finally:
        if owned:
            gc.unfreeze()


def prepare_pictures() -> None:
    """Do now what drawing pictures of any layers needs first, to overlap other work.

    Finds the CJK font and reads its glyph map, reads the bundled reference
    layers and turns them into paths in the metric CRS (``_bundled_base``):
    each is kept for the process, so a later ``render_pictures`` without
    ``reference`` skips them. The pipeline calls this in the briefing's
    process while the documents are read.

    Raises
    ------
    PlanmapError
        When no CJK font is installed or the reference layers have no district.
    """
    started = time.perf_counter()
    cjk_family()
    _bundled_base(settings.metric_crs, str(settings.reference_data_folder))
    log.debug("pictures: font and base layers ready in %.2f s", time.perf_counter() - started)


def render_pictures(layers: ProjectLayers, out: Path, *, reference: dict | None = None,
                    jobs: int | None = None, cache: bool = True,
                    first: Collection[str] = (),
                    meanwhile: Callable[[list[Picture]], object] | None = None) -> list[Picture]:
    """Draw every briefing picture into ``out/slides`` and describe each.

    Parameters
    ----------
    layers : ProjectLayers
        Projects, zones and belts to draw; with a ``delivery`` table, also the
        map of the promises no later document reports on.
    out : Path
        Output folder; pictures go to ``out/slides/<stem>.png`` and ``.svg``.
    reference : dict of GeoDataFrame, optional
        Base layers (``district``, ``subdistricts``, ``creek``, ``metro_lines``,
        ``metro_stations``); ``None`` uses ``layers.reference.reference_layers()``
        (projected once per process).
    jobs : int, optional
        Processes that draw at once (forked, so they share what is already
        projected); ``None`` uses one per CPU (at most 4), ``1`` draws here.
        Without ``fork`` (Windows, macOS defaults) pictures are drawn here.
    cache : bool
        Reuse pictures whose inputs (the sheet's projects and legend, base
        layers, drawing code, font, matplotlib settings) are unchanged from
        ``settings.cache_folder / "pictures"`` (the files are copied byte for
        byte) and store the ones drawn; ``False`` draws every picture and
        leaves the cache alone.
    first : collection of str
        Kinds of picture (``"overview"``, ``"zone"``, ``"belt"``, ``"year"``,
        ``"delivery"``) drawn before the others.
    meanwhile : callable, optional
        Called here with the pictures of the kinds ``first`` (in drawing
        order) as soon as they are all written, while the workers draw the
        rest: the deck is made from them while the year maps are drawn.

    Returns
    -------
    list of Picture
        In drawing order: overview, zones, belts, years, delivery.

    Raises
    ------
    PlanmapError
        When no CJK font is installed (the message names ``fonts-noto-cjk``)
        or the reference layers have no district outline.
    """
    global _FORK_STATE
    family = cjk_family()  # fail before drawing anything
    folder = Path(out) / "slides"
    ctx = _context(layers, reference)
    rc = _rc(family)
    started = time.perf_counter()
    with matplotlib.rc_context(rc), _heap_set_aside() as owned:
        specs = list(_specs(ctx))
        pictures: list[Picture | None] = [None] * len(specs)
        keys: list[str] = []
        store = None
        if cache:
            store = PictureCache(Path(settings.cache_folder) / "pictures", _fingerprint())
            context = _context_digest(ctx)
            keys = [_sheet_key(context, spec) for spec in specs]
            folder.mkdir(parents=True, exist_ok=True)
            for i, spec in enumerate(specs):
                t0 = time.perf_counter()
                record = store.get(keys[i], folder / f"{spec.stem}.png",
                                   folder / f"{spec.stem}.svg")
                if record is not None:
                    pictures[i] = _describe(
                        ctx, spec, folder, named=record["named"],
                        numbers={k: int(v) for k, v in record["numbers"].items()},
                        texts=list(record["texts"]), note=record["note"],
                        seconds=time.perf_counter() - t0)
        early = [i for i, spec in enumerate(specs) if spec.kind in first]

        def early_ready() -> None:
            if meanwhile is not None:
                meanwhile([pictures[i] for i in early])

        # the sheets of kinds ``first`` before the others, each group in drawing order
        todo = sorted((i for i, picture in enumerate(pictures) if picture is None),
                      key=lambda i: specs[i].kind not in first)
        n_early = sum(1 for i in todo if specs[i].kind in first)
        workers = _workers(jobs, len(todo) - 1)  # one sheet is drawn here first
        if todo and workers > 1:
            folder.mkdir(parents=True, exist_ok=True)
            # the first sheet drawn here: the workers inherit its figure and every text,
            # glyph and outline cache it filled, instead of each filling its own
            head, rest = todo[0], todo[1:]
            fig = _figure()
            pictures[head] = _render_one(ctx, specs[head], folder, fig)
            _FORK_STATE = (ctx, specs, folder, rc)
            _WORKER_FIGURE[:] = [fig]
            # what is there now is inherited, not collected again: a worker's garbage collector
            # walking it would touch (and copy) every page of it
            gc.freeze()
            try:
                pool = ProcessPoolExecutor(max_workers=min(workers, len(rest)),
                                           mp_context=multiprocessing.get_context("fork"))
                with pool:
                    # the costliest sheets (most projects) first, so no worker ends last alone
                    order = sorted(rest, key=lambda i: (specs[i].kind not in first,
                                                        -len(specs[i].projects)))
                    if n_early <= 1:  # none, or only the first, drawn here already
                        early_ready()
                    drawn = pool.map(_render_in_worker, order)
                    for n, (i, picture) in enumerate(zip(order, drawn, strict=True), start=2):
                        pictures[i] = picture
                        if n == n_early:
                            early_ready()
            finally:
                if not owned:  # else when drawing ends (_heap_set_aside)
                    gc.unfreeze()
                _FORK_STATE = None
                _WORKER_FIGURE.clear()
            _clear(fig)
        elif todo:
            fig = _figure()
            for n, i in enumerate(todo, start=1):
                if n == n_early + 1:
                    early_ready()
                pictures[i] = _render_one(ctx, specs[i], folder, fig)
            _clear(fig)
            if n_early == len(todo):
                early_ready()
        else:
            early_ready()
        if store is not None:
            for i in todo:
                picture = pictures[i]
                store.put(keys[i], picture.png, picture.svg, _record(picture))
            store.prune()
    log.info("pictures: %d maps in %s, %d drawn (%d process%s), %d from the cache, in %.1f s",
             len(pictures), folder, len(todo), workers, "" if workers == 1 else "es",
             len(pictures) - len(todo), time.perf_counter() - started)
    return pictures


def pictures_from_layers(layers: ProjectLayers, out: Path, *, reference: dict | None = None
                         ) -> list[Path]:
    """Write the briefing pictures (PNG and SVG, 1920×1080) to ``out/slides``.

    Parameters
    ----------
    layers : ProjectLayers
        Projects, zones and belts to draw.
    out : Path
        Output folder.
    reference : dict of GeoDataFrame, optional
        Base layers; ``None`` uses the bundled reference data.

    Returns
    -------
    list of Path
        Every file written, PNG before SVG for each picture.
    """
    paths: list[Path] = []
    for picture in render_pictures(layers, out, reference=reference):
        paths.extend([picture.png, picture.svg])
    return paths
