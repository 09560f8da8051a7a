"""Map furniture for the static pictures: scale bar, north arrow, labels, status by year.

Every function here draws on a matplotlib axes whose data coordinates are in
metres of ``settings.metric_crs``; none decides what is drawn.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox
from pyproj import Transformer

__all__ = [
    "Label",
    "fit_extent",
    "north_arrow",
    "place_labels",
    "scale_bar",
    "status_as_of",
    "status_years",
]

log = logging.getLogger(__name__)

_HALO = [patheffects.withStroke(linewidth=3, foreground="white")]
#: Offsets (points) tried in turn for a label: right, left, above, below, diagonals.
_OFFSETS: tuple[tuple[float, float, str, str], ...] = (
    (7, 0, "left", "center"),
    (-7, 0, "right", "center"),
    (0, 7, "center", "bottom"),
    (0, -7, "center", "top"),
    (6, 6, "left", "bottom"),
    (-6, 6, "right", "bottom"),
    (6, -6, "left", "top"),
    (-6, -6, "right", "top"),
)


def status_years(status_by_year: str | dict | None) -> dict[int, str]:
    """Parse a ``status_by_year`` value (JSON text) into ``{year: status}``.

    Bad JSON or keys that are not years are skipped (logged), never raised:
    one odd row should not stop a briefing.
    """
    if isinstance(status_by_year, dict):
        data = status_by_year
    elif not status_by_year or not isinstance(status_by_year, str):
        return {}
    else:
        try:
            data = json.loads(status_by_year)
        except ValueError:
            log.warning("status_by_year is not JSON: %r", status_by_year)
            return {}
        if not isinstance(data, dict):
            log.warning("status_by_year is not an object: %r", status_by_year)
            return {}
    years: dict[int, str] = {}
    for key, status in data.items():
        try:
            years[int(key)] = str(status)
        except (TypeError, ValueError):
            log.warning("status_by_year key %r is not a year", key)
    return dict(sorted(years.items()))


def status_as_of(status_by_year: str | dict | None, year: int) -> str | None:
    """Status as of ``year``: the one of the latest year at or before it.

    Parameters
    ----------
    status_by_year : str or dict
        JSON object ``{"2021": "started", "2023": "completed"}`` (or the dict).
    year : int
        The year asked about.

    Returns
    -------
    str or None
        ``None`` when the project has no status at or before ``year``.
    """
    found = None
    for y, status in status_years(status_by_year).items():
        if y <= year:
            found = status
    return found


def fit_extent(bounds: Sequence[float], ax: Axes, pad: float = 0.05) -> None:
    """Set the axes limits to ``bounds`` (padded) with the axes' own aspect ratio.

    The data range is widened in one direction so that one metre is as long
    on x as on y without the axes box changing size; the scale bar and the
    label boxes then stay where they were measured.
    """
    minx, miny, maxx, maxy = bounds
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    minx, maxx = minx - w * pad, maxx + w * pad
    miny, maxy = miny - h * pad, maxy + h * pad
    fig_w, fig_h = ax.figure.get_size_inches()
    pos = ax.get_position(original=True)  # not the box the last limits shrank it to
    box_ratio = (pos.width * fig_w) / (pos.height * fig_h)
    w, h = maxx - minx, maxy - miny
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    if w / h < box_ratio:
        w = h * box_ratio
    else:
        h = w / box_ratio
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.set_aspect("equal", adjustable="box")


def _nice_length(span_m: float) -> float:
    target = span_m / 5
    for step in (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000):
        if step >= target * 0.7:
            return float(step)
    return 20000.0


def scale_bar(ax: Axes, *, fontsize: float = 9) -> float:
    """Draw a two-segment scale bar in the lower left; return its length in metres.

    The axes must be in metres of a conformal projected CRS (``settings.metric_crs``)
    with equal aspect, as set by ``fit_extent``.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    bx, by = x0 + (x1 - x0) * 0.03, y0 + (y1 - y0) * 0.04
    height = (y1 - y0) * 0.008
    half = length / 2
    for i, face in enumerate(("#222222", "white")):
        # an artist, not a patch: the map's limits are set, not worked out from what it shows
        ax.add_artist(Rectangle((bx + i * half, by), half, height, facecolor=face,
                               edgecolor="#222222", linewidth=0.8, zorder=20))
    label = f"{length / 1000:g} 公里" if length >= 1000 else f"{length:g} 米"
    for x, text in ((bx, "0"), (bx + length, label)):
        ax.text(x, by + height * 1.8, text, ha="center", va="bottom", fontsize=fontsize,
                zorder=20, path_effects=_HALO)
    return length


@functools.lru_cache(maxsize=8)
def _to_metric(crs: str) -> Transformer:
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def north_arrow(ax: Axes, crs: str, *, lonlat: tuple[float, float], fontsize: float = 11) -> float:
    """Draw a north arrow in the upper right, turned to true north; return its angle.

    Parameters
    ----------
    ax : Axes
        Axes in metres of ``crs``.
    crs : str
        The projected CRS of the axes.
    lonlat : (float, float)
        A point of the map (lon, lat) where true north is measured.
    fontsize : float
        Size of the "北 N" letter.

    Returns
    -------
    float
        Clockwise angle (degrees) between grid north and true north there.
    """
    lon, lat = lonlat
    to_metric = _to_metric(crs)
    xa, ya = to_metric.transform(lon, lat)
    xb, yb = to_metric.transform(lon, lat + 0.01)
    angle = math.atan2(xb - xa, yb - ya)
    length = 28.0  # points
    dx, dy = -length * math.sin(angle), -length * math.cos(angle)
    head = (0.955, 0.86)
    ax.annotate("", xy=head, xycoords="axes fraction", xytext=(dx, dy), textcoords="offset points",
                arrowprops={"arrowstyle": "-|>,head_length=0.8,head_width=0.45",
                            "color": "#222222", "linewidth": 2}, zorder=20)
    ax.annotate("北 N", xy=head, xycoords="axes fraction", xytext=(0, 4), textcoords="offset points",
                ha="center", va="bottom", fontsize=fontsize, fontweight="bold", zorder=20,
                path_effects=_HALO)
    return math.degrees(angle)


@dataclass
class Label:
    """A feature to label: anchor in data coordinates, its name and a key."""

    x: float
    y: float
    text: str
    key: str


class _BoxIndex:
    """Display boxes in a uniform grid: overlap queries look at nearby boxes only.

    Replaces a scan of every placed box (quadratic in the number of labels);
    overlap means what ``Bbox.overlaps`` means (touching boxes overlap).
    """

    def __init__(self, cell: float = 64.0) -> None:
        self.cell = cell
        self.grid: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}
        self.boxes: list[tuple[float, float, float, float]] = []

    def _cells(self, b: tuple[float, float, float, float]):
        c = self.cell
        for i in range(math.floor(b[0] / c), math.floor(b[2] / c) + 1):
            for j in range(math.floor(b[1] / c), math.floor(b[3] / c) + 1):
                yield i, j

    def add(self, b: tuple[float, float, float, float]) -> None:
        self.boxes.append(b)
        for key in self._cells(b):
            self.grid.setdefault(key, []).append(b)

    def hits(self, b: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = b
        for key in self._cells(b):
            for o in self.grid.get(key, ()):
                if x0 <= o[2] and o[0] <= x1 and y0 <= o[3] and o[1] <= y1:
                    return True
        return False


def _extents(b: Bbox) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = b.extents
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def place_labels(
    ax: Axes,
    labels: Sequence[Label],
    *,
    max_names: int,
    max_numbers: int,
    fontsize: float = 10,
    obstacles: list[Bbox] | None = None,
) -> tuple[dict[str, str], dict[str, int]]:
    """Label features by name where the name fits, by number elsewhere.

    Labels are tried in the given order (most important first). Each name is
    tried at eight positions around its anchor; its box (renderer extent) must
    lie inside the axes and overlap no label already placed nor an obstacle,
    otherwise the feature gets a number, drawn small beside it, for a key
    beside the map. A label's text is measured once; the eight boxes are
    that extent moved, and overlaps are looked up in a grid of the boxes
    placed so far, so placing n labels costs about n text layouts.

    Parameters
    ----------
    ax : Axes
        The map axes, with its final limits and position.
    labels : sequence of Label
        In priority order.
    max_names : int
        At most this many features are labelled by name.
    max_numbers : int
        At most this many features get a number (the rest stay unlabelled).
    fontsize : float
        Size of the names; numbers are drawn a little smaller.
    obstacles : list of Bbox, optional
        Display boxes labels must avoid (other text); extended in place.

    Returns
    -------
    (dict, dict)
        ``{key: name}`` of features labelled by name and ``{key: number}`` of
        the numbered ones (1-based, in priority order). Features whose name
        and number both fit nowhere are in neither.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = _extents(ax.get_window_extent(renderer))
    index = _BoxIndex()
    for b in obstacles or []:
        index.add(_extents(b))
    # the markers themselves: a name must not hide another feature
    if labels:
        anchors = ax.transData.transform([(label.x, label.y) for label in labels])
    else:
        anchors = []
    for px, py in anchors:
        index.add((px - 5, py - 5, px + 5, py + 5))
    named: dict[str, str] = {}
    leftover: list[tuple[Label, tuple[float, float]]] = []
    for label, anchor in zip(labels, anchors, strict=True):
        if len(named) >= max_names or not _try_place(ax, label, label.text, fontsize, frame,
                                                     index, renderer, anchor, bold=False):
            leftover.append((label, anchor))
        else:
            named[label.key] = label.text
    numbers: dict[str, int] = {}
    for label, anchor in leftover:
        if len(numbers) >= max_numbers:
            break
        number = len(numbers) + 1
        # a number that fits nowhere is left off (and counted as unlabelled), not piled on
        if _try_place(ax, label, str(number), fontsize * 0.85, frame, index, renderer, anchor,
                      bold=True):
            numbers[label.key] = number
    if obstacles is not None:
        obstacles[:] = [Bbox.from_extents(*b) for b in index.boxes]
    log.debug("labels: %d by name, %d numbered, %d unlabelled", len(named), len(numbers),
              len(labels) - len(named) - len(numbers))
    return named, numbers


def _draw(ax: Axes, label: Label, text: str, fontsize: float,
          offset: tuple[float, float, str, str], *, bold: bool):
    dx, dy, ha, va = offset
    return ax.annotate(text, xy=(label.x, label.y), xytext=(dx, dy), textcoords="offset points",
                       ha=ha, va=va, fontsize=fontsize, zorder=30, color="#111111",
                       fontweight="bold" if bold else "normal", path_effects=_HALO,
                       annotation_clip=False)


_HA = {"left": 0.0, "center": 0.5, "right": 1.0}
_VA = {"bottom": 0.0, "center": 0.5, "top": 1.0}


#: Label sizes (display units) by string, font and renderer: ``_label_size``.
_SIZES: dict[tuple, tuple[float, float]] = {}
_MAX_SIZES = 50_000


def _label_size(ax: Axes, text: str, fontsize: float, renderer, *, bold: bool
                ) -> tuple[float, float]:
    """Width and height (display units) of a label's text box, kept for the process.

    The size of the box ``Text.get_window_extent`` gives, taken from the
    text's layout before it is moved to its place, so it depends on the
    string, its font and the renderer only: the same for every picture, and
    measured once however many pictures and positions try the label. The
    key holds the font properties' values (family from the rc settings,
    size, weight), the figure's resolution and the renderer's type.
    """
    from matplotlib.font_manager import FontProperties

    from maps._render import _prop_key

    # the properties ``_draw`` gives its text (family and the rest from the rc settings)
    prop = FontProperties(size=fontsize, weight="bold" if bold else "normal")
    params = matplotlib.rcParams
    key = (text, _prop_key(prop), ax.figure.dpi, type(renderer), params["text.hinting"],
           params["text.hinting_factor"], params["text.kerning_factor"])
    found = _SIZES.get(key)
    if found is None:
        if len(_SIZES) >= _MAX_SIZES:
            _SIZES.clear()
        probe = _draw(ax, Label(0.0, 0.0, text, ""), text, fontsize, _OFFSETS[0], bold=bold)
        bbox = probe._get_layout(renderer)[0]
        probe.remove()
        found = _SIZES[key] = (bbox.width, bbox.height)
    return found


def _try_place(ax: Axes, label: Label, text: str, fontsize: float,
               frame: tuple[float, float, float, float], index: _BoxIndex, renderer,
               anchor: tuple[float, float], *, bold: bool) -> bool:
    """Try the eight positions of a label; draw it at the first free one."""
    w, h = _label_size(ax, text, fontsize, renderer, bold=bold)
    scale = ax.figure.dpi / 72.0
    px, py = anchor
    for offset in _OFFSETS:
        dx, dy, ha, va = offset
        x0 = px + dx * scale - _HA[ha] * w
        y0 = py + dy * scale - _VA[va] * h
        b = (x0 - 2, y0 - 2, x0 + w + 2, y0 + h + 2)  # padded by 2 px
        inside = b[0] >= frame[0] and b[2] <= frame[2] and b[1] >= frame[1] and b[3] <= frame[3]
        if inside and not index.hits(b):
            _draw(ax, label, text, fontsize, offset, bold=bold)
            index.add(b)
            return True
    return False
