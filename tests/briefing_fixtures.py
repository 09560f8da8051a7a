"""Hand-written ProjectLayers for the picture and deck tests.

Zones are three vertical slices of the real district outline, belts are
buffers of three hand-drawn lines; the projects are invented but sit inside
the district, with every geometry kind, coarse precisions, a status history
and one name full of markup characters.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point, box

from layers.model import PROJECT_COLUMNS, TIMELINE_COLUMNS, ProjectLayers
from layers.reference import reference_layers

TRICKY_NAME = '<b>&"x"'

# (name, lon, lat, zone, belts, precision, status history, mention_count)
_POINTS = [
    ("中山公园", 121.4170, 31.2220, "east", "line2", "exact", {2021: "renovated"}, 14),
    ("长宁来福士广场", 121.4190, 31.2190, "east", "line2", "exact", {2020: "started", 2022: "completed"}, 11),
    ("愚园路历史风貌区", 121.4260, 31.2215, "east", "", "area", {2022: "planned", 2023: "ongoing"}, 9),
    ("华东政法大学长宁校区", 121.4230, 31.2290, "east", "suzhou_creek", "exact", {2023: "renovated"}, 4),
    ("苏州河长宁段滨水空间", 121.4050, 31.2330, "east", "suzhou_creek", "road", {2021: "started", 2023: "opened"}, 12),
    ("天山路社区中心", 121.4000, 31.2150, "east", "line2", "approximate", {2022: "planned", 2023: "under_construction"}, 3),
    ("新华路街区更新", 121.4240, 31.2050, "east", "yanan_hongqiao", "subdistrict", {2023: "planned"}, 6),
    ("上生新所", 121.4250, 31.2100, "east", "yanan_hongqiao", "exact", {2019: "opened"}, 8),
    ("虹桥临空经济示范区", 121.3550, 31.2100, "west", "", "area", {2020: "planned", 2023: "ongoing"}, 13),
    ("临空园区六期", 121.3600, 31.2180, "west", "line2", "approximate", {2021: "started", 2023: "under_construction"}, 5),
    ("淞虹路站综合开发", 121.3545, 31.2200, "west", "line2", "exact", {2022: "planned"}, 2),
    ("北新泾社区文化中心", 121.3700, 31.2185, "west", "line2", "exact", {2022: "started", 2023: "completed"}, 4),
    ("外环林带", 121.3420, 31.2250, "west", "suzhou_creek", "road", {2021: "planned", 2022: "started"}, 3),
    ("新泾公园", 121.3650, 31.2250, "west", "suzhou_creek", "exact", {2023: "opened"}, 2),
    ("程家桥街道养老院", 121.3720, 31.1950, "west", "", "exact", {2022: "started"}, 1),
    (TRICKY_NAME, 121.3800, 31.2050, "central", "", "exact", {2023: "planned"}, 1),
    ("虹桥路时尚创意街", 121.4000, 31.1990, "central", "yanan_hongqiao", "exact", {2021: "planned", 2023: "started"}, 7),
    ("仙霞路社区更新", 121.3880, 31.2090, "central", "yanan_hongqiao", "subdistrict", {2022: "ongoing"}, 3),
    ("虹桥古北地区城市更新", 121.3950, 31.2040, "central", "yanan_hongqiao", "area", {2021: "planned", 2022: "started", 2023: "under_construction"}, 10),
    ("古北市民中心", 121.3990, 31.1960, "central", "", "exact", {2020: "completed"}, 2),
    ("虹桥体育公园", 121.3920, 31.1970, "central", "", "exact", {2022: "planned", 2023: "started"}, 4),
    ("威宁路站商业综合体", 121.3825, 31.2170, "central", "line2", "exact", {2023: "completed"}, 2),
    ("天山公园改造", 121.3950, 31.2120, "central", "line2", "exact", {2022: "started", 2023: "renovated"}, 3),
    ("虹桥机场东片区", 121.3460, 31.1980, "west", "", "area", {2023: "mentioned"}, 1),
]
# extra small projects so that labels crowd and some must be numbered
_CROWD = [(f"社区微更新{i + 1}号点", 121.415 + (i % 4) * 0.0022, 31.2205 + (i // 4) * 0.0018)
          for i in range(12)]


def _layers_geoms(district):
    minx, miny, maxx, maxy = district.bounds
    cuts = (minx - 0.01, 121.373, 121.405, maxx + 0.01)
    zones = gpd.GeoDataFrame(
        {
            "zone": ["west", "central", "east"],
            "name_zh": ["西部临空地区", "中部虹桥地区", "东部中山公园地区"],
            "name_en": ["West", "Central", "East"],
        },
        geometry=[box(cuts[i], miny - 0.01, cuts[i + 1], maxy + 0.01).intersection(district)
                  for i in range(3)],
        crs="EPSG:4326",
    )
    lines = {
        "suzhou_creek": LineString([(121.34, 31.228), (121.38, 31.233), (121.43, 31.236)]),
        "line2": LineString([(121.33, 31.197), (121.355, 31.220), (121.40, 31.216), (121.43, 31.220)]),
        "yanan_hongqiao": LineString([(121.37, 31.200), (121.40, 31.202), (121.435, 31.208)]),
    }
    widths = {"suzhou_creek": 500.0, "line2": 600.0, "yanan_hongqiao": 500.0}
    metric = gpd.GeoSeries(list(lines.values()), crs="EPSG:4326").to_crs("EPSG:32651")
    buffered = metric.buffer(500.0).to_crs("EPSG:4326")
    belts = gpd.GeoDataFrame(
        {
            "belt": list(lines),
            "name_zh": ["苏州河滨水商务休闲景观带", "2号线创新经济发展带", "延安西路-虹桥路时尚文化集聚带"],
            "name_en": ["Suzhou Creek", "Line 2", "Yan'an W. Rd - Hongqiao Rd"],
            "width_m": [widths[k] for k in lines],
        },
        geometry=list(buffered),
        crs="EPSG:4326",
    )
    return zones, belts


def _row(name, geom, zone, belts, precision, history, count, type_="other"):
    years = sorted(history)
    return {
        "id": f"cn-{abs(hash((name, 'fixture'))) % 16**12:012x}",
        "name": name,
        "aliases": "",
        "type": type_,
        "in_changning": True,
        "zone": zone,
        "zone_stated": "",
        "zone_conflict": False,
        "belts": belts,
        "belts_stated": "",
        "belt_conflict": False,
        "precision": precision,
        "precision_m": {"exact": 50.0, "approximate": 400.0, "road": 600.0,
                        "subdistrict": 900.0, "area": 1200.0}[precision],
        "geocoder": "fixture",
        "coord_source": "fixture",
        "status_latest": history[years[-1]],
        "first_year": years[0],
        "last_year": years[-1],
        "status_by_year": json.dumps({str(y): history[y] for y in years}, sort_keys=True),
        "docs": "2023年长宁区政府工作报告.txt",
        "mention_count": count,
        "geometry": geom,
    }


def briefing_layers(*, crowd: bool = True, delivery: bool = False) -> ProjectLayers:
    """A ProjectLayers with 24 (+12 crowded) projects in the real district outline.

    ``delivery=True`` adds the delivery table of ``briefing_delivery``.
    """
    district = reference_layers()["district"].union_all()
    zones, belts = _layers_geoms(district)
    rows = [_row(n, Point(x, y), z, b, p, h, c) for n, x, y, z, b, p, h, c in _POINTS]
    rows.append(_row("延安西路沿线整治", LineString([(121.385, 31.2065), (121.405, 31.2095),
                                                   (121.42, 31.2115)]),
                     "central", "yanan_hongqiao", "road", {2022: "planned", 2023: "started"}, 5,
                     type_="road"))
    rows.append(_row("长宁国际园区", box(121.350, 31.2120, 121.356, 31.2160), "west", "",
                     "exact", {2021: "completed"}, 6, type_="campus"))
    if crowd:
        rows += [_row(n, Point(x, y), "east", "line2", "exact", {2023: "planned"}, 1)
                 for n, x, y in _CROWD]
    projects = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    assert list(projects.columns[:-1]) == list(PROJECT_COLUMNS)
    timeline = pd.DataFrame(
        [{"entity_id": r["id"], "name": r["name"], "year": int(y), "mode": "review",
          "status": s, "status_cue": "", "doc": r["docs"], "line": 1, "evidence": ""}
         for r in rows for y, s in json.loads(r["status_by_year"]).items()],
        columns=list(TIMELINE_COLUMNS),
    )
    documents = [
        {"name": "2023年长宁区政府工作报告.txt", "title": "2023年长宁区政府工作报告",
         "date": "2023-01-10", "kind": "work_report"},
        {"name": "changning_14th_plan.txt", "title": "长宁区国民经济和社会发展第十四个五年规划纲要",
         "date": "2021-03-01", "kind": "plan"},
    ]
    layers = ProjectLayers(projects=projects, timeline=timeline, zones=zones, belts=belts,
                           documents=documents)
    if delivery:
        layers.delivery = briefing_delivery(layers)
    return layers


# (project name or None for an entity with no drawable place, zone, class, promise year, lag)
_PROMISES = [
    ("中山公园", "east", "delivered", 2020, 1),
    ("长宁来福士广场", "east", "delivered", 2019, 3),
    ("苏州河长宁段滨水空间", "east", "in_progress", 2021, None),
    ("天山路社区中心", "east", "no_later_report", 2021, None),
    ("新华路街区更新", "east", "no_later_report", 2021, None),
    ("临空园区六期", "west", "no_later_report", 2020, None),
    ("淞虹路站综合开发", "west", "mentioned_later", 2021, None),
    ("北新泾社区文化中心", "west", "delivered", 2021, 2),
    ("外环林带", "west", "no_later_report", 2021, None),
    ("虹桥路时尚创意街", "central", "not_yet_due", 2023, None),
    ("虹桥古北地区城市更新", "central", "no_later_report", 2021, None),
    ("延安西路沿线整治", "central", "no_later_report", 2022, None),
    (None, "district", "no_later_report", 2021, None),
    (None, "district", "delivered", 2020, 2),
    (None, "", "no_later_report", 2022, None),
    (None, "", "not_yet_due", 2023, None),
]


def briefing_delivery(layers: ProjectLayers) -> pd.DataFrame:
    """A delivery table (``DELIVERY_COLUMNS``) over the fixture's projects.

    Eight promises have no later report: six drawable (east 2, west 2,
    central 2, one of them a line), two with no place to draw (one only
    known to lie in the district, one unlocated).
    """
    from layers.delivery import DELIVERY_COLUMNS

    ids = dict(zip(layers.projects["name"], layers.projects["id"], strict=True))
    belts = dict(zip(layers.projects["name"], layers.projects["belts"], strict=True))
    rows = []
    for i, (name, zone, cls, year, lag) in enumerate(_PROMISES):
        done = year + lag if lag is not None else None
        rows.append({
            "entity_id": ids[name] if name else f"cn-nowhere{i:04d}",
            "name": name or f"无处可画的承诺{i}",
            "zone": zone,
            "belts": belts[name] if name else "",
            "precision": "exact",
            "promise_year": year,
            "promise_doc": "changning_14th_plan.txt",
            "promise_line": 10 + i,
            "promise_status": "planned",
            "promise_sentence": f"推进{name or '某项目'}建设。",
            "period": "",
            "due_year": year,
            "first_work_year": done,
            "done_year": done,
            "done_status": "completed" if done else "",
            "delivery_status": "completed" if done else "",
            "delivery_sentence": "",
            "delivery_doc": "",
            "delivery_line": None,
            "later_mentions": 1 if cls == "mentioned_later" else 0,
            "lag_years": lag,
            "late_years": lag,
            "delivery_class": cls,
        })
    frame = pd.DataFrame(rows, columns=list(DELIVERY_COLUMNS))
    for column in ("promise_year", "promise_line", "due_year", "first_work_year", "done_year",
                   "delivery_line", "later_mentions", "lag_years", "late_years"):
        frame[column] = frame[column].astype("Int64")
    return frame
