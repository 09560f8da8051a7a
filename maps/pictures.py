"""Static briefing pictures (16:9, 1920×1080 PNG + SVG) drawn with matplotlib.

One overview of the district with its three zones and three belts, one map
per zone, one per belt and one per year (status as of that year). The base is
vector data only (district, subdistricts, creek, metro) in the metric CRS
``settings.metric_crs``, so the scale bar is true. Chinese text is drawn in
the CJK font of ``maps.fonts`` (a ``PlanmapError`` names the apt package when
none is installed). Main projects are labelled by name where the label fits;
the rest get numbers listed in a key beside the map.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import matplotlib
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from gis import settings
from gis.atomic import atomic_path
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
from maps.fonts import cjk_family, safe_text

__all__ = ["Picture", "pictures_from_layers", "render_pictures"]

log = logging.getLogger(__name__)

#: Figure size (inches) and resolution: 12.8 × 7.2 in at 150 dpi = 1920 × 1080 px.
FIGSIZE = (12.8, 7.2)
DPI = 150
_MAP_BOX = (0.012, 0.075, 0.628, 0.825)
_PANEL_BOX = (0.655, 0.075, 0.335, 0.825)
_KEY_FONTSIZE = 9.0
_SAFE_KEY = re.compile(r"[^a-z0-9_]+")


@dataclass
class Picture:
    """One picture written by ``render_pictures``.

    Attributes
    ----------
    stem : str
        File name without suffix (``overview``, ``zone_east``, ``belt_line2``, ``year_2023``).
    kind : str
        ``"overview"``, ``"zone"``, ``"belt"`` or ``"year"``.
    key : str
        Zone or belt key, the year as text, or ``""`` for the overview.
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


@dataclass
class _Context:
    """Everything every sheet needs, projected once to the metric CRS."""

    crs: str
    district: gpd.GeoDataFrame
    reference: dict[str, gpd.GeoDataFrame]
    zones: gpd.GeoDataFrame
    belts: gpd.GeoDataFrame
    projects: gpd.GeoDataFrame
    source: str
    center_lonlat: tuple[float, float]


def _safe_key(key: object, fallback: str) -> str:
    cleaned = _SAFE_KEY.sub("", str(key).lower())[:40]
    return cleaned or fallback


def _metric(gdf: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    if gdf is None or len(gdf) == 0:
        return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs=crs)
    if gdf.crs is None:
        gdf = gdf.set_crs(settings.output_crs)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return gdf.to_crs(crs)


def _source_line(layers: ProjectLayers, drawn: list[str]) -> str:
    docs = [safe_text(str(d.get("title") or d.get("name") or "")) for d in layers.documents]
    docs = [d for d in docs if d]
    doc_text = "；".join(docs) if docs else "（未列出）"
    credits: list[str] = []
    for key in drawn:
        credit = REFERENCE_FILES.get(key, ("", ""))[1]
        if credit and credit not in credits:
            credits.append(credit)
    return f"资料来源：{doc_text}。底图：{'; '.join(credits)}。项目位置由文本地名匹配得出，斜线/虚线表示近似位置。"


def _context(layers: ProjectLayers, reference: dict | None) -> _Context:
    crs = settings.metric_crs
    ref = reference if reference is not None else reference_layers()
    ref_m = {key: _metric(gdf, crs) for key, gdf in ref.items() if gdf is not None}
    if "district" not in ref_m or ref_m["district"].empty:
        from gis._errors import PlanmapError

        raise PlanmapError("the reference layers have no 'district' outline; pictures need one "
                           "(layers.reference.reference_layers() provides it)")
    projects = layers.projects.copy()
    if "in_changning" in projects.columns:
        projects = projects[projects["in_changning"].fillna(True).astype(bool)]
    projects = _metric(projects, crs)
    if len(projects):
        projects = projects.assign(
            mention_count=pd.to_numeric(projects.get("mention_count", 0), errors="coerce").fillna(0)
        ).sort_values(["mention_count", "name"], ascending=[False, True], kind="stable")
    district_wgs = ref_m["district"].to_crs(settings.output_crs).union_all()
    c = district_wgs.centroid
    return _Context(
        crs=crs,
        district=ref_m["district"],
        reference=ref_m,
        zones=_metric(layers.zones, crs),
        belts=_metric(layers.belts, crs),
        projects=projects,
        source=_source_line(layers, [k for k in ("district", "subdistricts", "creek", "metro_lines",
                                                 "metro_stations") if k in ref_m]),
        center_lonlat=(c.x, c.y),
    )


# --------------------------------------------------------------------------- drawing


def _draw_base(ax, ctx: _Context, *, zone_focus: str | None = None,
               belt_focus: str | None = None, show_belts: bool = True) -> None:
    ctx.district.plot(ax=ax, facecolor="#f6f6f4", edgecolor="none", zorder=1, aspect=None)
    for _, row in ctx.zones.iterrows():
        key = str(row.get("zone", ""))
        colour = palette.ZONES.get(key, ("", "", "#eeeeee"))[2]
        alpha = 0.75 if zone_focus in (None, key) else 0.2
        gpd.GeoSeries([row.geometry], crs=ctx.crs).plot(
            ax=ax, facecolor=colour, edgecolor="white", linewidth=1.5, alpha=alpha, zorder=2,
            aspect=None)
    sub = ctx.reference.get("subdistricts")
    if sub is not None and len(sub):
        sub.boundary.plot(ax=ax, color="#9a9a9a", linewidth=0.6, linestyle=(0, (4, 2)), zorder=3,
                          aspect=None)
    if show_belts and len(ctx.belts):
        district = ctx.district.union_all()
        for _, row in ctx.belts.iterrows():
            key = str(row.get("belt", ""))
            colour = palette.BELTS.get(key, ("", "", "#555555"))[2]
            focus = belt_focus in (None, key)
            shape = row.geometry.intersection(district)
            gpd.GeoSeries([shape], crs=ctx.crs).plot(
                ax=ax, facecolor=colour, alpha=0.16 if focus else 0.04, edgecolor="none", zorder=4,
                aspect=None)
            gpd.GeoSeries([shape], crs=ctx.crs).boundary.plot(
                ax=ax, color=colour, linewidth=1.8 if focus else 0.8, linestyle=(0, (6, 3)),
                alpha=1.0 if focus else 0.4, zorder=4, aspect=None)
    ctx.district.boundary.plot(ax=ax, color="#333333", linewidth=1.4, zorder=5, aspect=None)
    creek = ctx.reference.get("creek")
    if creek is not None and len(creek):
        kinds = creek.geometry.geom_type
        polys = creek[kinds.str.contains("Polygon")]
        lines = creek[~kinds.str.contains("Polygon")]
        if len(polys):
            polys.plot(ax=ax, facecolor="#9ecae1", edgecolor="#4a90c2", linewidth=0.8, zorder=6,
                       aspect=None)
        if len(lines):
            lines.plot(ax=ax, color="#4a90c2", linewidth=2.5, zorder=6, aspect=None)
    metro = ctx.reference.get("metro_lines")
    if metro is not None and len(metro):
        metro.plot(ax=ax, color="#6f6f6f", linewidth=1.1, alpha=0.8, zorder=7, aspect=None)
    stations = ctx.reference.get("metro_stations")
    if stations is not None and len(stations):
        stations.plot(ax=ax, marker="s", markersize=10, facecolor="white", edgecolor="#555555",
                      linewidth=0.7, zorder=8, aspect=None)


def _mask_outside(ax, ctx: _Context) -> None:
    """Veil what lies outside the district so the eye stays inside it."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    veil = box(x0, y0, x1, y1).difference(ctx.district.union_all())
    if not veil.is_empty:
        gpd.GeoSeries([veil], crs=ctx.crs).plot(ax=ax, facecolor="white", alpha=0.55,
                                                edgecolor="none", zorder=8.5, aspect=None)


def _anchor(geom: BaseGeometry) -> tuple[float, float]:
    if geom.geom_type == "Point":
        return geom.x, geom.y
    if "LineString" in geom.geom_type:
        p = geom.interpolate(0.5, normalized=True)
        return p.x, p.y
    p = geom.representative_point()
    return p.x, p.y


def _is_coarse(row: pd.Series) -> bool:
    return str(row.get("precision", "")) in palette.COARSE_PRECISIONS


def _draw_projects(ax, projects: gpd.GeoDataFrame, crs: str) -> None:
    """Draw each project in the colour of its ``status_draw``; coarse ones look approximate."""
    for _, row in projects.iterrows():
        colour = palette.status_color(row["status_draw"])
        geom = row.geometry
        coarse = _is_coarse(row)
        series = gpd.GeoSeries([geom], crs=crs)
        kind = geom.geom_type
        if "Polygon" in kind:
            if coarse:
                series.plot(ax=ax, facecolor="none", edgecolor=colour, hatch="///", linewidth=1.0,
                            linestyle=(0, (4, 2)), zorder=10, aspect=None)
            else:
                series.plot(ax=ax, facecolor=colour, alpha=0.45, edgecolor=colour, linewidth=1.2,
                            zorder=10, aspect=None)
        elif "LineString" in kind:
            series.plot(ax=ax, color=colour, linewidth=3.2 if coarse else 2.6,
                        linestyle=(0, (3, 2)) if coarse else "-", alpha=0.85, zorder=11, aspect=None)
        else:
            if coarse:
                radius = min(max(float(row.get("precision_m") or 300.0), 150.0), 800.0)
                halo = series.buffer(radius)
                halo.plot(ax=ax, facecolor=colour, alpha=0.12, edgecolor="none", zorder=9,
                          aspect=None)
                halo.plot(ax=ax, facecolor="none", edgecolor=to_rgba(colour, 0.55), hatch="////",
                          linewidth=0.8, linestyle=(0, (3, 2)), zorder=9, aspect=None)
                series.plot(ax=ax, marker="o", markersize=38, facecolor="white", edgecolor=colour,
                            linewidth=2.0, zorder=12, aspect=None)
            else:
                series.plot(ax=ax, marker="o", markersize=46, facecolor=colour, edgecolor="white",
                            linewidth=1.0, zorder=12, aspect=None)


def _status_handles(statuses: list[str], any_coarse: bool) -> list:
    handles = [Line2D([], [], marker="o", linestyle="none", markersize=8,
                      markerfacecolor=palette.status_color(s), markeredgecolor="white",
                      label=palette.status_label(s)) for s in palette.STATUSES if s in statuses]
    if any_coarse:
        handles.append(Patch(facecolor="none", edgecolor="#666666", hatch="////",
                             linestyle="--", label="近似位置（道路/街道/片区级）"))
    return handles


def _structure_handles(ctx: _Context, *, zones: bool, belts: bool) -> list:
    handles: list = []
    if zones:
        for key in palette.ZONES:
            if key in set(ctx.zones.get("zone", pd.Series(dtype=str)).astype(str)):
                handles.append(Patch(facecolor=palette.ZONES[key][2], edgecolor="white",
                                     label=palette.ZONES[key][0]))
    if belts:
        for key in palette.BELTS:
            if key in set(ctx.belts.get("belt", pd.Series(dtype=str)).astype(str)):
                handles.append(Patch(facecolor="none", edgecolor=palette.BELTS[key][2],
                                     linestyle="--", linewidth=1.8, label=palette.BELTS[key][0]))
    handles.append(Line2D([], [], color="#6f6f6f", linewidth=1.1, label="轨道交通线路"))
    handles.append(Line2D([], [], color="#4a90c2", linewidth=2.5, label="苏州河"))
    return handles


def _wrap(text: str, width: int) -> list[str]:
    """Wrap ``text`` to ``width`` half-width units (a Chinese character counts two)."""
    lines, current, used = [], "", 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width:
            lines.append(current)
            current, used = "", 0
        current += ch
        used += w
    if current:
        lines.append(current)
    return lines


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


def _sheet(ctx: _Context, *, stem: str, kind: str, key: str, title: str, subtitle: str,
           bounds, projects: gpd.GeoDataFrame, zone_focus: str | None = None,
           belt_focus: str | None = None, max_names: int = 12,
           show_zones_legend: bool = True, note: str = "") -> tuple[Figure, dict]:
    fig = Figure(figsize=FIGSIZE, dpi=DPI, facecolor="white")
    fig.text(0.012, 0.955, title, fontsize=20, fontweight="bold", va="center")
    fig.text(0.012, 0.915, subtitle, fontsize=11, color="#444444", va="center")
    ax = fig.add_axes(_MAP_BOX)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#bbbbbb")
    ax.set_autoscale_on(False)
    _draw_base(ax, ctx, zone_focus=zone_focus, belt_focus=belt_focus)
    if len(projects):
        _draw_projects(ax, projects, ctx.crs)
    fit_extent(bounds, ax, pad=0.06)
    _mask_outside(ax, ctx)
    ax.set_xlabel("")  # geopandas names the axes; a briefing map does not need it
    ax.set_ylabel("")
    # an Agg canvas only now: geopandas asks the canvas to redraw after every plot call
    FigureCanvasAgg(fig)
    scale_bar(ax)
    north_arrow(ax, ctx.crs, lonlat=ctx.center_lonlat)
    source = "\n".join(_wrap(ctx.source, 232)[:3])
    fig.text(0.012, 0.012, source, fontsize=7.5, color="#555555", va="bottom")

    panel = fig.add_axes(_PANEL_BOX)
    panel.set_axis_off()
    renderer = fig.canvas.get_renderer()
    statuses = sorted(set(projects["status_draw"])) if len(projects) else []
    any_coarse = bool(len(projects)) and bool(projects.apply(_is_coarse, axis=1).any())
    top = 1.0
    for legend_title, handles, ncol in (
        ("项目状态", _status_handles(statuses, any_coarse), 2),
        ("分区与发展带" if show_zones_legend else "底图",
         _structure_handles(ctx, zones=show_zones_legend, belts=True), 1),
    ):
        if not handles:
            continue
        legend = panel.legend(handles=handles, title=legend_title, loc="upper left",
                              bbox_to_anchor=(0.0, top), ncol=ncol, fontsize=9,
                              title_fontsize=10, frameon=False, alignment="left",
                              handlelength=1.6, columnspacing=1.0, borderaxespad=0.0)
        legend._legend_box.align = "left"
        panel.add_artist(legend)
        box = legend.get_window_extent(renderer).transformed(panel.transAxes.inverted())
        top = box.y0 - 0.03

    # key of numbered projects: as many rows as fit below the legends, in two columns
    panel_px = panel.get_window_extent(renderer)
    line_h = _KEY_FONTSIZE * 1.5 / 72 * DPI / panel_px.height
    key_top = top - 0.05
    rows = max(0, int((key_top - 0.02) / line_h))
    capacity = rows * 2
    labels = [Label(*_anchor(row.geometry), text=safe_text(str(row["name"])), key=str(row["id"]))
              for _, row in projects.iterrows()]
    named, numbers = place_labels(ax, labels, max_names=max_names, max_numbers=capacity,
                                  fontsize=10)
    if numbers:
        panel.text(0.0, top, "编号索引（按提及次数）", fontsize=10, fontweight="bold", va="top",
                   transform=panel.transAxes)
        by_id = {str(r["id"]): r for _, r in projects.iterrows()}
        char_limit = max(4, int(panel_px.width / 2 / (_KEY_FONTSIZE / 72 * DPI)) - 3)
        for pid, number in numbers.items():
            row = by_id[pid]
            col, r = divmod(number - 1, rows)
            x, y = col * 0.5, key_top - r * line_h
            panel.plot([x + 0.012], [y - line_h * 0.35], marker="o", markersize=6,
                       color=palette.status_color(row["status_draw"]), transform=panel.transAxes,
                       clip_on=False)
            panel.text(x + 0.035, y, f"{number} {_truncate(safe_text(str(row['name'])), char_limit)}",
                       fontsize=_KEY_FONTSIZE, va="top", transform=panel.transAxes)
    unlabelled = len(projects) - len(named) - len(numbers)
    extra = note
    if unlabelled > 0:
        extra = (extra + "；" if extra else "") + f"另有 {unlabelled} 项未标注（见简报表格）"
    if extra:
        panel.text(0.0, 0.0, extra, fontsize=8.5, color="#555555", va="bottom",
                   transform=panel.transAxes, wrap=True)
    return fig, {"named": named, "numbers": numbers}


def _sheets(ctx: _Context) -> Iterator[tuple[dict, Figure, dict]]:
    projects = ctx.projects
    district_bounds = ctx.district.total_bounds
    n_all = len(projects)

    latest = projects.assign(status_draw=projects["status_latest"].fillna("mentioned").astype(str)) \
        if n_all else projects.assign(status_draw=pd.Series(dtype=str))
    spec = {"stem": "overview", "kind": "overview", "key": "", "title": "长宁区规划项目总览：三区三带"}
    fig, info = _sheet(ctx, **spec, subtitle=f"共 {n_all} 个已定位项目，颜色为最近一年的状态",
                       bounds=district_bounds, projects=latest, max_names=10)
    yield spec, fig, {**info, "ids": list(latest["id"].astype(str))}

    zone_keys = [k for k in palette.ZONES if k in set(ctx.zones.get("zone", []))]
    zone_keys += [k for k in ctx.zones.get("zone", []) if k not in zone_keys]
    for i, key in enumerate(zone_keys):
        zone = ctx.zones[ctx.zones["zone"] == key]
        sub = latest[latest["zone"].astype(str) == key] if n_all else latest
        name = palette.ZONES.get(key, (safe_text(str(key)),))[0]
        spec = {"stem": f"zone_{_safe_key(key, f'z{i}')}", "kind": "zone", "key": str(key),
                "title": name}
        fig, info = _sheet(ctx, **spec, subtitle=f"{len(sub)} 个项目，颜色为最近一年的状态",
                           bounds=zone.total_bounds, projects=sub, zone_focus=key)
        yield spec, fig, {**info, "ids": list(sub["id"].astype(str))}

    district = ctx.district.union_all()
    belt_keys = [k for k in palette.BELTS if k in set(ctx.belts.get("belt", []))]
    belt_keys += [k for k in ctx.belts.get("belt", []) if k not in belt_keys]
    for i, key in enumerate(belt_keys):
        shape = ctx.belts[ctx.belts["belt"] == key].union_all().intersection(district)
        if shape.is_empty:
            shape = ctx.belts[ctx.belts["belt"] == key].union_all()
        member = latest["belts"].fillna("").astype(str).str.split(",").apply(lambda b, k=key: k in b) \
            if n_all else pd.Series(dtype=bool)
        sub = latest[member] if n_all else latest
        name = palette.BELTS.get(key, (safe_text(str(key)),))[0]
        spec = {"stem": f"belt_{_safe_key(key, f'b{i}')}", "kind": "belt", "key": str(key),
                "title": name}
        fig, info = _sheet(ctx, **spec, subtitle=f"{len(sub)} 个项目，颜色为最近一年的状态",
                           bounds=shape.bounds, projects=sub, belt_focus=key)
        yield spec, fig, {**info, "ids": list(sub["id"].astype(str))}

    years = sorted({y for v in projects.get("status_by_year", []) for y in status_years(v)})
    for year in years:
        status = projects["status_by_year"].apply(lambda v, y=year: status_as_of(v, y))
        sub = projects.assign(status_draw=status)[status.notna()]
        spec = {"stem": f"year_{int(year)}", "kind": "year", "key": str(year),
                "title": f"{year} 年项目状态"}
        fig, info = _sheet(ctx, **spec,
                           subtitle=f"{len(sub)} 个项目；状态为 {year} 年及以前最近一次记载",
                           bounds=district_bounds, projects=sub, max_names=10)
        yield spec, fig, {**info, "ids": list(sub["id"].astype(str))}


def render_pictures(layers: ProjectLayers, out: Path, *, reference: dict | None = None
                    ) -> list[Picture]:
    """Draw every briefing picture into ``out/slides`` and describe each.

    Parameters
    ----------
    layers : ProjectLayers
        Projects, zones and belts to draw.
    out : Path
        Output folder; pictures go to ``out/slides/<stem>.png`` and ``.svg``.
    reference : dict of GeoDataFrame, optional
        Base layers (``district``, ``subdistricts``, ``creek``, ``metro_lines``,
        ``metro_stations``); ``None`` uses ``layers.reference.reference_layers()``.

    Returns
    -------
    list of Picture
        In drawing order: overview, zones, belts, years.

    Raises
    ------
    PlanmapError
        When no CJK font is installed (the message names ``fonts-noto-cjk``)
        or the reference layers have no district outline.
    """
    family = cjk_family()  # fail before drawing anything
    folder = Path(out) / "slides"
    ctx = _context(layers, reference)
    pictures: list[Picture] = []
    rc = {"font.family": [family], "svg.fonttype": "path", "axes.unicode_minus": False,
          "hatch.linewidth": 0.8, "svg.hashsalt": "planmap"}
    with matplotlib.rc_context(rc):
        for spec, fig, info in _sheets(ctx):
            png, svg = folder / f"{spec['stem']}.png", folder / f"{spec['stem']}.svg"
            texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
            for path, fmt in ((png, "png"), (svg, "svg")):
                with atomic_path(path) as tmp:
                    fig.savefig(tmp, format=fmt, dpi=DPI, metadata=_metadata(fmt))
            pictures.append(Picture(stem=spec["stem"], kind=spec["kind"], key=spec["key"],
                                    title=spec["title"], png=png, svg=svg,
                                    project_ids=info["ids"], named=info["named"],
                                    numbers=info["numbers"], texts=texts))
            fig.clear()
    log.info("pictures: wrote %d maps to %s", len(pictures), folder)
    return pictures


def _metadata(fmt: str) -> dict:
    if fmt == "svg":
        return {"Date": None, "Creator": "planmap"}
    return {"Software": "planmap"}


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
