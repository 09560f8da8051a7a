"""Colours and labels shared by the map, the QML styles and the pictures.

Defined once here; every output takes its colours and its Chinese/English
labels from these tables.
"""

from __future__ import annotations

#: status key -> (Chinese label, English label, hex colour), in timeline order.
STATUSES: dict[str, tuple[str, str, str]] = {
    "planned": ("规划", "Planned", "#8e7cc3"),
    "started": ("开工", "Started", "#f6b26b"),
    "under_construction": ("在建", "Under construction", "#e69138"),
    "completed": ("建成", "Completed", "#38761d"),
    "opened": ("开放/投用", "Opened", "#1c9fd6"),
    "renovated": ("改造完成", "Renovated", "#6aa84f"),
    "ongoing": ("持续推进", "Ongoing", "#a0a0a0"),
    "mentioned": ("提及", "Mentioned", "#cccccc"),
}

#: zone key -> (Chinese name, English name, fill colour).
ZONES: dict[str, tuple[str, str, str]] = {
    "east": ("东部中山公园地区", "East: Zhongshan Park area", "#f4cccc"),
    "central": ("中部虹桥地区", "Central: Hongqiao area", "#fff2cc"),
    "west": ("西部临空地区", "West: Linkong (airport) area", "#d9ead3"),
}
OUTSIDE_ZONE = "outside"

#: belt key -> (Chinese name, English name, outline colour).
BELTS: dict[str, tuple[str, str, str]] = {
    "suzhou_creek": ("苏州河滨水商务休闲景观带", "Suzhou Creek waterfront belt", "#1f78b4"),
    "line2": ("2号线创新经济发展带", "Metro Line 2 innovation belt", "#8bc34a"),
    "yanan_hongqiao": ("延安西路-虹桥路时尚文化集聚带", "Yan'an W. Rd - Hongqiao Rd culture belt", "#e91e63"),
}

#: promise delivery class -> (Chinese label, English label, colour) (``layers.delivery``).
DELIVERY_CLASSES: dict[str, tuple[str, str, str]] = {
    "delivered": ("已兑现", "Delivered", "#38761d"),
    "in_progress": ("推进中", "In progress", "#e69138"),
    "not_yet_due": ("未到期", "Not yet due", "#6fa8dc"),
    "no_later_report": ("无后续报告", "No later report", "#cc0000"),
    "mentioned_later": ("后续仅提及", "Mentioned later, no progress", "#a64d79"),
}

#: precision key -> (Chinese label, English label); coarse ones are drawn with their uncertainty.
PRECISIONS: dict[str, tuple[str, str]] = {
    "exact": ("精确(≤100米)", "exact (≤100 m)"),
    "approximate": ("近似(≤500米)", "approximate (≤500 m)"),
    "road": ("道路级", "road level"),
    "subdistrict": ("街道级", "subdistrict level"),
    "area": ("片区级", "area level"),
    "unresolved": ("未定位", "unresolved"),
}
COARSE_PRECISIONS = frozenset({"road", "subdistrict", "area"})

#: entity type key -> (Chinese label, English label).
TYPES: dict[str, tuple[str, str]] = {
    "park": ("公园", "park"),
    "green": ("绿地", "green space"),
    "river": ("河道", "river"),
    "road": ("道路", "road"),
    "subdistrict": ("街道/镇", "subdistrict"),
    "area": ("片区", "area"),
    "plot": ("地块", "land plot"),
    "building": ("建筑", "building"),
    "campus": ("园区/校区", "campus"),
    "community": ("社区/小区", "community"),
    "transit": ("交通", "transit"),
    "market": ("市场", "market"),
    "heritage": ("历史建筑", "heritage"),
    "venue": ("场馆", "venue"),
    "other": ("其他", "other"),
}


def status_color(status: str) -> str:
    """Hex colour of a status (grey for an unknown one)."""
    return STATUSES.get(status, STATUSES["mentioned"])[2]


def status_label(status: str, lang: str = "zh") -> str:
    """Chinese (``lang="zh"``) or English label of a status."""
    zh, en, _ = STATUSES.get(status, (status, status, ""))
    return zh if lang == "zh" else en
