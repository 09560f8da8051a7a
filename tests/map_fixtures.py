"""Synthetic ProjectLayers for the map tests and the map benchmark.

Projects are placed inside the three real zones (``layers.zones``) with a
seeded random generator; statuses move forward year by year, and a few rows
carry hostile text (HTML tags, quotes) to prove that the map escapes it.
A delivery table (``layers.delivery.DELIVERY_COLUMNS``) promises some of the
projects, one row per delivery class, plus one promise that was never located.
"""

from __future__ import annotations

import json
import random

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point, Polygon, box

from layers.model import PROJECT_COLUMNS, TIMELINE_COLUMNS, ProjectLayers

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_EVIDENCE = "推进<script>window.__pwned=1</script>“<b>粗体</b>”建设 & 完善"
XSS_PROMISE = "承诺<script>window.__pwned=2</script>建成“<b>中山公园</b>”改造 & 开放"
XSS_DELIVERY = "中山公园改造<img src=x onerror=alert(2)>已完成,{{ 7*7 }} & 开放"
UNLOCATED_ID = "cn-never-located"

#: name of a fixed project -> delivery of its promise (class, promise year, due year,
#: first work year, done year, promise sentence, delivery sentence or None).
DELIVERY_FIXED = {
    "中山公园改造": ("delivered", 2018, 2018, 2021, 2023, XSS_PROMISE, XSS_DELIVERY),
    "临空园区六期": ("in_progress", 2019, 2020, 2022, None, "推进临空园区六期建设。", "临空园区六期加快建设。"),
    "新泾港河道整治": ("not_yet_due", 2024, 2025, None, None, "实施新泾港河道整治。", None),
    XSS_NAME: ("no_later_report", 2021, 2021, None, None, "启动<img>项目。", None),
    "天山路街道片区更新": ("mentioned_later", 2017, 2017, None, None, "推进天山路街道片区更新。",
                    "继续推进天山路街道片区更新。"),
}

#: one fixed project per geometry kind / precision, used by name in the tests.
FIXED = [
    # name, type, geometry kind, precision, precision_m, zone, {year: status}
    ("中山公园改造", "park", "point", "exact", 30.0, "east", {"2018": "planned", "2021": "started", "2023": "completed"}),
    ("临空园区六期", "campus", "polygon", "exact", 50.0, "west", {"2019": "planned", "2022": "under_construction"}),
    ("新泾港河道整治", "river", "line", "road", 300.0, "west", {"2020": "started", "2024": "completed"}),
    ("天山路街道片区更新", "area", "point", "subdistrict", 900.0, "central", {"2017": "planned", "2020": "ongoing"}),
    (XSS_NAME, "building", "point", "exact", 20.0, "central", {"2021": "planned"}),
    ("区外协作项目", "other", "point", "approximate", 400.0, "outside", {"2016": "mentioned"}),
]


def _zones() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    from layers.zones import belt_layer, zone_layer

    return zone_layer(), belt_layer()


def _point_in(poly, rng: random.Random) -> Point:
    minx, miny, maxx, maxy = poly.bounds
    while True:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if poly.contains(p):
            return p


def _geom(kind: str, poly, rng: random.Random):
    p = _point_in(poly, rng)
    if kind == "point":
        return p
    if kind == "line":
        return LineString([(p.x, p.y), (p.x + 0.006, p.y + 0.002), (p.x + 0.01, p.y - 0.001)])
    return box(p.x, p.y, p.x + 0.003, p.y + 0.002)


def synthetic_delivery(projects: gpd.GeoDataFrame) -> pd.DataFrame:
    """A delivery table promising the fixed projects of ``DELIVERY_FIXED``, every third random one
    (``not_yet_due``, or ``delivered`` for every sixth) and one entity that is not in ``projects``."""
    from layers.delivery import DELIVERY_COLUMNS

    rows = []

    def row(ident, name, zone, klass, py, due, work, done, promise, delivered):
        rows.append({
            "entity_id": ident, "name": name, "zone": zone, "belts": "", "precision": "exact",
            "promise_year": py, "promise_doc": f"doc_{py}.txt", "promise_line": 10,
            "promise_status": "planned", "promise_sentence": promise, "period": "2021-2025" if due == 2025 else "",
            "due_year": due, "first_work_year": work, "done_year": done,
            "done_status": "completed" if done else "", "delivery_status": "completed" if done else "",
            "delivery_sentence": delivered or "", "delivery_doc": f"doc_{done or work or py + 1}.txt" if delivered else "",
            "delivery_line": 12 if delivered else None, "later_mentions": 2 if delivered else 0,
            "lag_years": done - py if done else None, "late_years": done - due if done else None,
            "delivery_class": klass,
        })

    for r in projects.itertuples(index=False):
        if r.name in DELIVERY_FIXED:
            row(r.id, r.name, r.zone, *DELIVERY_FIXED[r.name])
        elif r.name.startswith("测试项目") and int(r.name[4:]) % 3 == 0:
            if int(r.name[4:]) % 6 == 0:
                row(r.id, r.name, r.zone, "delivered", 2019, 2019, 2020, 2021, f"建设{r.name}。", f"{r.name}建成。")
            else:
                row(r.id, r.name, r.zone, "not_yet_due", 2024, 2025, None, None, f"建设{r.name}。", None)
    row(UNLOCATED_ID, "未定位的承诺", "", "no_later_report", 2020, 2020, None, None, "建设某处。", None)
    table = pd.DataFrame(rows, columns=list(DELIVERY_COLUMNS))
    for c in ("first_work_year", "done_year", "delivery_line", "lag_years", "late_years"):
        table[c] = table[c].astype("Int64")
    return table


def synthetic_layers(
    n_random: int = 24, *, seed: int = 7, points_only: bool = False, delivery: bool = True
) -> ProjectLayers:
    """ProjectLayers with the FIXED projects plus ``n_random`` random ones.

    Parameters
    ----------
    n_random : int
        How many random projects to add after the fixed ones.
    seed : int
        Seed of the random generator (same seed, same layers).
    points_only : bool
        Random projects are all points (the benchmark compares with plain markers).
    delivery : bool
        Attach a delivery table (``synthetic_delivery``); ``False`` leaves it ``None``.
    """
    rng = random.Random(seed)
    zones, belts = _zones()
    zone_poly = {row.zone: row.geometry for row in zones.itertuples()}
    outside_poly = Polygon([(121.47, 31.20), (121.49, 31.20), (121.49, 31.215), (121.47, 31.215)])
    statuses = ["planned", "started", "under_construction", "completed", "opened"]
    rows: list[dict] = []
    tl: list[dict] = []

    def add(name, typ, kind, precision, precision_m, zone, by_year):
        poly = zone_poly.get(zone, outside_poly)
        geom = _geom(kind, poly, rng)
        ident = f"{typ}:{len(rows):05d}"
        years = sorted(int(y) for y in by_year)
        rows.append({
            "id": ident, "name": name, "aliases": "", "type": typ,
            "in_changning": zone != "outside", "zone": zone, "zone_stated": "",
            "zone_conflict": False, "belts": "line2" if rng.random() < 0.3 else "",
            "belts_stated": "", "belt_conflict": False, "precision": precision,
            "precision_m": precision_m, "geocoder": "gazetteer",
            "coord_source": "测试坐标 <synthetic>",
            "status_latest": by_year[str(years[-1])], "first_year": years[0],
            "last_year": years[-1], "status_by_year": json.dumps(by_year, sort_keys=True),
            "docs": "seed_test.txt", "mention_count": len(years), "geometry": geom,
        })
        for i, y in enumerate(years):
            evidence = XSS_EVIDENCE if name == "中山公园改造" and i == 0 else f"{y}年,{name}{by_year[str(y)]}。"
            tl.append({"entity_id": ident, "name": name, "year": y, "mode": "report",
                       "status": by_year[str(y)], "status_cue": "", "doc": f"doc_{y}.txt",
                       "line": 10 + i, "evidence": evidence})

    for spec in FIXED:
        add(*spec)
    zone_keys = list(zone_poly)
    for k in range(n_random):
        zone = zone_keys[k % len(zone_keys)]
        kind = "point" if points_only else ["point", "point", "line", "polygon"][k % 4]
        precision = "exact" if points_only else ["exact", "approximate", "road", "area"][k % 4]
        start = rng.randint(2016, 2023)
        by_year = {}
        for step, y in enumerate(range(start, min(start + rng.randint(1, 4), 2026))):
            by_year[str(y)] = statuses[min(step, len(statuses) - 1)]
        add(f"测试项目{k:04d}", "building", kind, precision, 200.0, zone, by_year)

    projects = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    assert set(PROJECT_COLUMNS) <= set(projects.columns)
    timeline = pd.DataFrame(tl, columns=list(TIMELINE_COLUMNS))
    docs = [{"name": f"doc_{y}.txt", "title": f"{y}年报告", "date": f"{y}-01-01", "kind": "report"}
            for y in sorted({r["year"] for r in tl})]
    return ProjectLayers(projects=projects, timeline=timeline, zones=zones, belts=belts, documents=docs,
                         delivery=synthetic_delivery(projects) if delivery else None)
