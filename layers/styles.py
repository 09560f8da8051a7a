"""QGIS styles (QML) for every layer of ``planmap.gpkg``.

Colours and Chinese/English labels come from ``maps.palette``: statuses
colour the project symbols, zones are filled, belts are outlined. Labels use
the Chinese ``name``/``name_zh`` field with a CJK font, and every field gets a
Chinese alias so the attribute table reads in Chinese. Every value put into
the XML is escaped (``xml.sax.saxutils``); no document text is embedded in a
style, only field names, keys and palette labels.

The QML follows QGIS 3.22 (Debian 12): symbol layer properties are written
both as ``<Option type="Map">`` and as legacy ``<prop k v>`` so that older
and newer QGIS read them.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from maps.palette import BELTS, DELIVERY_CLASSES, STATUSES, ZONES

__all__ = ["FIELD_ALIASES_ZH", "LAYER_KINDS", "qml_for_layer"]

#: field -> Chinese alias shown in QGIS's attribute table and forms.
FIELD_ALIASES_ZH: dict[str, str] = {
    "id": "编号",
    "name": "名称",
    "aliases": "别名",
    "type": "类型",
    "in_changning": "位于长宁区",
    "zone": "功能区(按位置)",
    "zone_stated": "功能区(文本所述)",
    "zone_conflict": "功能区不一致",
    "belts": "三带(按位置)",
    "belts_stated": "三带(文本所述)",
    "belt_conflict": "三带不一致",
    "precision": "定位精度",
    "precision_m": "误差(米)",
    "geocoder": "定位方式",
    "coord_source": "坐标来源",
    "status_latest": "最新状态",
    "first_year": "首次年份",
    "last_year": "最近年份",
    "status_by_year": "逐年状态",
    "docs": "文件",
    "mention_count": "提及次数",
    "entity_id": "项目编号",
    "year": "年份",
    "mode": "类别(回顾/计划)",
    "status": "状态",
    "status_cue": "状态依据词",
    "doc": "文件",
    "line": "行号",
    "evidence": "原文",
    "name_zh": "中文名称",
    "name_en": "英文名称",
    "width_m": "缓冲半宽(米)",
    "belt": "带",
    "title": "标题",
    "date": "日期",
    "kind": "文件类型",
}

#: layer kind -> (geometry type code of QML: 0 point, 1 line, 2 polygon, 4 none).
LAYER_KINDS: dict[str, int] = {
    "projects": 0,
    "project_lines": 1,
    "project_areas": 2,
    "zones": 2,
    "belts": 2,
    "belt_centrelines": 1,
    "timeline": 4,
    "documents": 4,
    "delivery": 0,
}

_CJK_FONT = "Noto Sans CJK SC"


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def _props(props: dict[str, str]) -> str:
    opts = "".join(
        f'<Option type="QString" name={quoteattr(k)} value={quoteattr(v)}/>'
        for k, v in props.items()
    )
    legacy = "".join(f"<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in props.items())
    return f'<Option type="Map">{opts}</Option>{legacy}'


def _symbol(name: str, geom: int, colour: str) -> str:
    if geom == 0:
        kind, cls = "marker", "SimpleMarker"
        props = {
            "name": "circle",
            "color": _rgba(colour),
            "size": "3.2",
            "size_unit": "MM",
            "outline_color": "35,35,35,255",
            "outline_width": "0.3",
            "outline_width_unit": "MM",
            "outline_style": "solid",
        }
    elif geom == 1:
        kind, cls = "line", "SimpleLine"
        props = {
            "line_color": _rgba(colour),
            "line_width": "1.2",
            "line_width_unit": "MM",
            "line_style": "solid",
            "capstyle": "round",
            "joinstyle": "round",
        }
    else:
        kind, cls = "fill", "SimpleFill"
        props = {
            "color": _rgba(colour, 110),
            "style": "solid",
            "outline_color": _rgba(colour),
            "outline_width": "0.5",
            "outline_width_unit": "MM",
            "outline_style": "solid",
        }
    return (
        f'<symbol type={quoteattr(kind)} name={quoteattr(name)} alpha="1" clip_to_extent="1" '
        f'force_rhr="0"><layer class={quoteattr(cls)} enabled="1" pass="0" locked="0">'
        f"{_props(props)}</layer></symbol>"
    )


def _outline_symbol(name: str, colour: str) -> str:
    props = {
        "color": "0,0,0,0",
        "style": "no",
        "outline_color": _rgba(colour),
        "outline_width": "0.9",
        "outline_width_unit": "MM",
        "outline_style": "dash",
    }
    return (
        f'<symbol type="fill" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleFill" enabled="1" pass="0" locked="0">{_props(props)}</layer></symbol>'
    )


def _categorized(
    attr: str, categories: list[tuple[str, str, str]], geom: int, *, outline: bool = False
) -> str:
    cats, syms = [], []
    for i, (value, label, colour) in enumerate(categories):
        cats.append(
            f'<category render="true" symbol="{i}" type="string" value={quoteattr(value)} '
            f"label={quoteattr(label)}/>"
        )
        syms.append(_outline_symbol(str(i), colour) if outline else _symbol(str(i), geom, colour))
    return (
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attr)} symbollevels="0" '
        f'enableorderby="0" forceraster="0" referencescale="-1">'
        f"<categories>{''.join(cats)}</categories><symbols>{''.join(syms)}</symbols>"
        f"</renderer-v2>"
    )


def _labeling(field: str, geom: int, size: float) -> str:
    placement = {0: "0", 1: "2", 2: "1"}.get(geom, "0")  # around point / line / over point
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(field)} isExpression="0" fontFamily={quoteattr(_CJK_FONT)} '
        f'fontSize="{size}" fontSizeUnit="Point" textColor="30,30,30,255" textOpacity="1" '
        'fontWeight="50" fontItalic="0" namedStyle="Regular" multilineAlign="0"/>'
        '<text-format wrapChar="" autoWrapLength="0" multilineAlign="0"/>'
        '<text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM" '
        'bufferColor="255,255,255,255" bufferOpacity="0.85"/>'
        f'<placement placement="{placement}" dist="1" distUnits="MM" priority="5"/>'
        '<rendering obstacle="1" scaleVisibility="0" drawLabels="1" displayAll="0"/>'
        "</settings></labeling>"
    )


def _aliases(fields: list[str]) -> str:
    items = "".join(
        f'<alias field={quoteattr(f)} index="{i}" name={quoteattr(FIELD_ALIASES_ZH.get(f, f))}/>'
        for i, f in enumerate(fields)
    )
    return f"<aliases>{items}</aliases>"


def _status_categories() -> list[tuple[str, str, str]]:
    return [(k, f"{zh} {en}", colour) for k, (zh, en, colour) in STATUSES.items()]


def qml_for_layer(kind: str, fields: list[str] | tuple[str, ...] = ()) -> str:
    """QGIS style (QML document) of one layer kind.

    Parameters
    ----------
    kind : str
        One of ``LAYER_KINDS``: ``projects`` (points coloured by
        ``status_latest``), ``project_lines``, ``project_areas``, ``zones``
        (filled by zone), ``belts`` (dashed outlines by belt),
        ``belt_centrelines``, ``timeline`` and ``documents`` (attribute
        tables: Chinese aliases only).
    fields : sequence of str, optional
        The layer's fields, in order, to give Chinese aliases to; ``()``
        aliases every field ``FIELD_ALIASES_ZH`` knows.

    Returns
    -------
    str
        The QML text (UTF-8 XML, ``<!DOCTYPE qgis>``).

    Raises
    ------
    ValueError
        When ``kind`` is unknown.
    """
    if kind not in LAYER_KINDS:
        raise ValueError(f"unknown layer kind {kind!r}; expected one of {sorted(LAYER_KINDS)}")
    geom = LAYER_KINDS[kind]
    renderer, labeling = "", ""
    if kind in ("projects", "project_lines", "project_areas"):
        renderer = _categorized("status_latest", _status_categories(), geom)
        labeling = _labeling("name", geom, 8.5)
    elif kind == "delivery":
        cats = [(k, f"{zh} {en}", colour) for k, (zh, en, colour) in DELIVERY_CLASSES.items()]
        renderer = _categorized("delivery_class", cats, geom)
        labeling = _labeling("name", geom, 8.5)
    elif kind == "zones":
        cats = [(k, f"{zh} {en}", colour) for k, (zh, en, colour) in ZONES.items()]
        renderer = _categorized("zone", cats, 2)
        labeling = _labeling("name_zh", 2, 11)
    elif kind in ("belts", "belt_centrelines"):
        cats = [(k, f"{zh} {en}", colour) for k, (zh, en, colour) in BELTS.items()]
        renderer = _categorized("belt", cats, geom, outline=kind == "belts")
        labeling = _labeling("name_zh", geom, 9) if kind == "belt_centrelines" else ""
    names = list(fields) if fields else list(FIELD_ALIASES_ZH)
    labels_enabled = "1" if labeling else "0"
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="3.22.16-Białowieża" styleCategories="AllStyleCategories" '
        f'labelsEnabled="{labels_enabled}" hasScaleBasedVisibilityFlag="0">\n'
        f"{renderer}\n{labeling}\n{_aliases(names)}\n"
        f"<layerGeometryType>{geom}</layerGeometryType>\n"
        f"<!-- planmap style {escape(kind)} -->\n"
        "</qgis>\n"
    )
