"""The district's structure: three functional zones and three belts (三带).

Zones (14th five-year plan, chapter 五) are built from the subdistrict
polygons with the mapping kept as data in ``layers/data/zone_mapping.csv``
(its basis is documented in ``zone_mapping.md``). Belts are centre lines
buffered in ``settings.metric_crs`` by ``settings.belt_buffer_m`` and clipped
to the district. Centre lines used (all in ``layers/data``):

- ``suzhou_creek`` (苏州河滨水商务休闲景观带): ``suzhou_creek_proxy.geojson``,
  both segments (长宁|普陀 and 长宁|嘉定 shared boundaries); within ~15 m of
  the real OSM centreline where that is known.
- ``line2`` (2号线创新经济发展带): the OSM track of Metro Line 2
  (``metro_tracks_osm.geojson``, ``line == "2"``).
- ``yanan_hongqiao`` (延安西路-虹桥路时尚文化集聚带): the complete OSM
  corridor of 延安高架路 (``expressways_elevated_osm.geojson``) as proxy for
  延安西路 beneath it; the OSM ways named 虹桥路 / 延安西路 where OSM ground
  roads are available (``roads_osm_xinhua_area.geojson``); and, for the rest
  of 虹桥路 (missing at ground level), the OSM track of Metro Line 10, which
  runs under 虹桥路, between 虹桥1号航站楼 and 交通大学 (lon 121.340-121.432).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import GeometryCollection, box
from shapely.geometry.base import BaseGeometry

from gis import settings
from gis._errors import PlanmapError
from gis.atomic import write_bytes_atomic
from layers.reference import read_reference
from maps.palette import BELTS, ZONES

__all__ = [
    "BELT_KEYS",
    "ZONE_KEYS",
    "belt_centrelines",
    "belt_layer",
    "belts_metric",
    "district_metric",
    "read_zone_mapping",
    "zone_layer",
    "zones_metric",
]

log = logging.getLogger(__name__)

#: zone keys, east to west (the order zones are made disjoint in).
ZONE_KEYS: tuple[str, ...] = ("east", "central", "west")
#: belt keys, in the order of the plan text.
BELT_KEYS: tuple[str, ...] = ("suzhou_creek", "line2", "yanan_hongqiao")

_MAPPING_FILE = "zone_mapping.csv"
#: lon range of the Line 10 track used as proxy for 虹桥路 (虹桥1号航站楼 .. 交通大学).
_LINE10_LON_RANGE: tuple[float, float] = (121.340, 121.432)
#: centre lines are clipped to the district grown by this much (m): the creek *is* the edge.
_CENTRELINE_MARGIN_M = 100.0


def _folder(folder: Path | None) -> Path:
    return Path(folder or settings.reference_data_folder)


def read_zone_mapping(folder: Path | None = None) -> dict[str, str]:
    """Read the subdistrict -> zone mapping.

    Parameters
    ----------
    folder : Path, optional
        Data folder; ``None`` uses ``settings.reference_data_folder``.

    Returns
    -------
    dict of str to str
        Township code (``"310105001"``) -> zone key.

    Raises
    ------
    PlanmapError
        When the file is missing or a row names an unknown zone.
    """
    path = _folder(folder) / _MAPPING_FILE
    if not path.exists():
        raise PlanmapError(f"zone mapping {str(path)!r} is missing; reinstall planmap")
    mapping: dict[str, str] = {}
    problems: list[str] = []
    with open(path, encoding="utf-8", newline="") as fh:
        for lineno, row in enumerate(csv.DictReader(fh), start=2):
            if row["zone"] not in ZONE_KEYS:
                problems.append(f"line {lineno}: zone {row['zone']!r} not in {ZONE_KEYS}")
            mapping[row["township_code"].strip()] = row["zone"]
    if problems:
        raise PlanmapError(f"bad zone mapping {str(path)!r}: " + "; ".join(problems))
    return mapping


def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.to_crs(settings.metric_crs)


@functools.lru_cache(maxsize=4)
def _district_metric(folder: str) -> BaseGeometry:
    shipped = _shipped(folder)
    if shipped is not None:
        return shipped.district
    return _computed_district(folder)


def _computed_district(folder: str) -> BaseGeometry:
    district = _metric(read_reference("district", Path(folder)))
    return shapely.make_valid(district.geometry.union_all())


@functools.lru_cache(maxsize=4)
def _zones_metric(folder: str) -> dict[str, BaseGeometry]:
    """Zone polygons in the metric CRS, disjoint and tiling the district."""
    shipped = _shipped(folder)
    if shipped is not None:
        return dict(shipped.zones)
    return _computed_zones(folder, _district_metric(folder))


def _computed_zones(folder: str, district: BaseGeometry) -> dict[str, BaseGeometry]:
    path = Path(folder)
    mapping = read_zone_mapping(path)
    subs = _metric(read_reference("subdistricts", path))
    codes = subs["township_code"].astype(str)
    missing = sorted(set(codes) - set(mapping))
    if missing:
        raise PlanmapError(
            f"subdistricts {missing!r} have no zone in {_MAPPING_FILE!r}; add a row for each"
        )
    zones: dict[str, BaseGeometry] = {}
    taken: BaseGeometry = shapely.Polygon()
    for key in ZONE_KEYS:
        parts = subs.geometry[codes.map(mapping) == key]
        geom = shapely.make_valid(parts.union_all()).difference(taken).intersection(district)
        zones[key] = geom
        taken = taken.union(geom)
    # slivers of the district outline no subdistrict covers: give each to the
    # zone it shares the longest border with (nearest when it touches none).
    gaps = district.difference(taken)
    for piece in getattr(gaps, "geoms", [gaps]):
        if piece.is_empty or piece.area <= 0:
            continue
        grown = piece.buffer(1.0)
        shared = {k: grown.intersection(g).area for k, g in zones.items()}
        best = max(ZONE_KEYS, key=lambda k: (shared[k], -piece.distance(zones[k])))
        zones[best] = zones[best].union(piece)
    return {k: _polygonal(shapely.make_valid(g)) for k, g in zones.items()}


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygon parts (intersections can leave lines/points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def zone_layer(folder: Path | None = None) -> gpd.GeoDataFrame:
    """The three functional zones as polygons.

    Parameters
    ----------
    folder : Path, optional
        Data folder; ``None`` uses ``settings.reference_data_folder``.

    Returns
    -------
    GeoDataFrame
        Columns ``zone`` (``east``/``central``/``west``), ``name_zh``,
        ``name_en``, geometry; EPSG:4326, one row per zone in ``ZONE_KEYS``
        order. The zones are disjoint and together cover the district outline.
    """
    zones = _zones_metric(str(_folder(folder)))
    gdf = gpd.GeoDataFrame(
        {
            "zone": list(ZONE_KEYS),
            "name_zh": [ZONES[k][0] for k in ZONE_KEYS],
            "name_en": [ZONES[k][1] for k in ZONE_KEYS],
        },
        geometry=[zones[k] for k in ZONE_KEYS],
        crs=settings.metric_crs,
    )
    return gdf.to_crs(settings.output_crs)


def _lines_of(gdf: gpd.GeoDataFrame) -> BaseGeometry:
    return (
        shapely.line_merge(shapely.union_all(list(gdf.geometry)))
        if len(gdf)
        else shapely.LineString()
    )


@functools.lru_cache(maxsize=4)
def _centrelines_metric(folder: str) -> dict[str, BaseGeometry]:
    shipped = _shipped(folder)
    if shipped is not None:
        return dict(shipped.centrelines)
    return _computed_centrelines(folder)


def _computed_centrelines(folder: str) -> dict[str, BaseGeometry]:
    path = Path(folder)
    creek = read_reference("creek", path)
    tracks = read_reference("metro_lines", path)
    express = read_reference("expressways", path)
    roads = read_reference("roads_xinhua", path)
    lines: dict[str, gpd.GeoDataFrame] = {
        "suzhou_creek": creek,
        "line2": tracks[tracks["line"].astype(str) == "2"],
    }
    yanan = express[express["name"] == "延安高架路"]
    ground = roads[roads["name"].isin(["虹桥路", "延安西路"])]
    line10 = tracks[tracks["line"].astype(str) == "10"]
    lo, hi = _LINE10_LON_RANGE
    line10 = line10.clip(box(lo, 30.0, hi, 32.0))
    parts = [g for g in (yanan, ground, line10) if len(g)]
    lines["yanan_hongqiao"] = gpd.GeoDataFrame(
        geometry=[geom for g in parts for geom in g.geometry], crs="EPSG:4326"
    )
    out: dict[str, BaseGeometry] = {}
    for key in BELT_KEYS:
        gdf = lines[key]
        if gdf.empty:
            raise PlanmapError(f"no centre line found for belt {key!r} in {folder!r}")
        out[key] = _lines_of(_metric(gdf))
    return out


def belt_centrelines(folder: Path | None = None) -> gpd.GeoDataFrame:
    """Centre lines of the three belts, clipped to the district (grown by 100 m).

    Parameters
    ----------
    folder : Path, optional
        Data folder; ``None`` uses ``settings.reference_data_folder``.

    Returns
    -------
    GeoDataFrame
        Columns ``belt``, ``name_zh``, ``name_en``, geometry (lines), EPSG:4326.
    """
    key_folder = str(_folder(folder))
    lines = _centrelines_metric(key_folder)
    district = _district_metric(key_folder)
    gdf = gpd.GeoDataFrame(
        {
            "belt": list(BELT_KEYS),
            "name_zh": [BELTS[k][0] for k in BELT_KEYS],
            "name_en": [BELTS[k][1] for k in BELT_KEYS],
        },
        geometry=[lines[k].intersection(district.buffer(_CENTRELINE_MARGIN_M)) for k in BELT_KEYS],
        crs=settings.metric_crs,
    )
    return gdf.to_crs(settings.output_crs)


@functools.lru_cache(maxsize=8)
def _belts_metric(folder: str, widths: tuple[tuple[str, float], ...]) -> dict[str, BaseGeometry]:
    # buffering the centre lines by hundreds of metres is most of the cost of the district
    # structure (a third of a second): shipped for the bundled data, else kept on disk,
    # keyed by the data, widths, CRS and code
    shipped = _shipped(folder)
    if shipped is not None and shipped.widths == widths:
        return dict(shipped.belts)
    stored = _stored_belts(folder, widths)
    path = Path(settings.cache_folder) / "belts" / f"{stored}.wkb"
    try:
        polygons = shapely.get_parts(shapely.from_wkb(path.read_bytes()))
        if len(polygons) == len(BELT_KEYS):
            return dict(zip(BELT_KEYS, polygons, strict=True))
    except (OSError, shapely.errors.GEOSException):
        pass
    belts = _computed_belts(_centrelines_metric(folder), _district_metric(folder), widths)
    try:
        write_bytes_atomic(path, shapely.to_wkb(GeometryCollection([belts[k] for k in BELT_KEYS])))
    except PlanmapError as exc:  # a cache that cannot be written is only slower
        log.debug("belts not cached: %s", exc)
    return belts


def _computed_belts(
    lines: dict[str, BaseGeometry], district: BaseGeometry, widths: tuple[tuple[str, float], ...]
) -> dict[str, BaseGeometry]:
    width = dict(widths)
    return {
        k: _polygonal(shapely.make_valid(lines[k].buffer(width[k]).intersection(district)))
        for k in BELT_KEYS
    }


def _stored_belts(folder: str, widths: tuple[tuple[str, float], ...]) -> str:
    """The key of the belts computed from ``folder`` with ``widths``.

    The structure's key (``_structure_key``: data, code, CRS, libraries) with the widths.
    """
    return hashlib.sha256(f"{_structure_key(folder)}|{widths!r}".encode()).hexdigest()[:24]


def _widths() -> tuple[tuple[str, float], ...]:
    missing = [k for k in BELT_KEYS if k not in settings.belt_buffer_m]
    if missing:
        raise PlanmapError(f"settings.belt_buffer_m has no width for belts {missing!r}")
    return tuple((k, float(settings.belt_buffer_m[k])) for k in BELT_KEYS)


# ------------------------------------------------------------------ shipped structure
#: The district outline, zones, belt centre lines and belts in the metric CRS as
#: computed from the bundled data (``write_shipped_structure``), so that a build with
#: an empty cache does not read and buffer the reference lines. Used only when the
#: key stored with them is the key of the data, code, CRS and libraries at hand
#: (``_structure_key``); otherwise they are computed as before.
SHIPPED_STRUCTURE: Path = Path(__file__).resolve().parent / "data" / "derived" / "structure.wkb"
_STRUCTURE_MAGIC = b"planmap-structure-1\n"


@dataclass(frozen=True)
class _Structure:
    """The district's structure in ``settings.metric_crs`` and the belt widths used."""

    district: BaseGeometry
    zones: dict[str, BaseGeometry]
    centrelines: dict[str, BaseGeometry]
    belts: dict[str, BaseGeometry]
    widths: tuple[tuple[str, float], ...]

    def geometries(self) -> list[BaseGeometry]:
        """District, zones, centre lines, belts, in ``ZONE_KEYS`` and ``BELT_KEYS`` order."""
        return [
            self.district,
            *(self.zones[k] for k in ZONE_KEYS),
            *(self.centrelines[k] for k in BELT_KEYS),
            *(self.belts[k] for k in BELT_KEYS),
        ]


def _library_versions() -> tuple[str, ...]:
    """The versions of the libraries that read, project and buffer the structure."""
    import fiona
    import pyproj

    return (gpd.__version__, shapely.__version__, shapely.geos_version_string,
            pyproj.__version__, pyproj.proj_version_str, fiona.__version__,
            fiona.__gdal_version__)


def _structure_key(folder: str, versions: tuple[str, ...] | None = None) -> str:
    """Hash of what the structure is computed from.

    The reference data (every ``.geojson`` and ``.csv`` of ``folder``), the code
    that reads and combines it (this module and ``layers.reference``), the
    metric CRS, and the versions of the libraries that read, project and
    buffer it (GDAL, PROJ, GEOS and their bindings, geopandas):
    ``versions``, by default those at hand (``_library_versions``).
    """
    from layers import reference

    digest = hashlib.sha256(_STRUCTURE_MAGIC)
    versions = _library_versions() if versions is None else tuple(versions)
    digest.update(repr((str(settings.metric_crs), *versions)).encode())
    for code in (Path(__file__), Path(reference.__file__)):
        digest.update(code.read_bytes())
    for path in sorted(Path(folder).iterdir()):
        if path.is_file() and path.suffix in (".geojson", ".csv"):
            digest.update(path.name.encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _pack_structure(structure: _Structure, key: str) -> bytes:
    header = json.dumps({"key": key, "widths": [list(w) for w in structure.widths],
                         "libraries": list(_library_versions())})
    collection = GeometryCollection(structure.geometries())
    return _STRUCTURE_MAGIC + header.encode() + b"\n" + shapely.to_wkb(collection)


def shipped_libraries(data: bytes) -> tuple[str, ...]:
    """The library versions a structure file (``_pack_structure``) was computed with."""
    header = data[len(_STRUCTURE_MAGIC):].partition(b"\n")[0]
    return tuple(json.loads(header).get("libraries", ()))


def _unpack_structure(data: bytes) -> tuple[_Structure, str]:
    """The structure and key of ``_pack_structure``; ``ValueError`` when it is not one."""
    if not data.startswith(_STRUCTURE_MAGIC):
        raise ValueError("not a planmap structure file")
    header, _, wkb = data[len(_STRUCTURE_MAGIC):].partition(b"\n")
    meta = json.loads(header)
    parts = list(shapely.get_parts(shapely.from_wkb(wkb)))
    n_zones, n_belts = len(ZONE_KEYS), len(BELT_KEYS)
    if len(parts) != 1 + n_zones + 2 * n_belts:
        raise ValueError(f"a structure file holds {len(parts)} geometries")
    structure = _Structure(
        district=parts[0],
        zones=dict(zip(ZONE_KEYS, parts[1:1 + n_zones], strict=True)),
        centrelines=dict(zip(BELT_KEYS, parts[1 + n_zones:1 + n_zones + n_belts], strict=True)),
        belts=dict(zip(BELT_KEYS, parts[1 + n_zones + n_belts:], strict=True)),
        widths=tuple((str(k), float(w)) for k, w in meta["widths"]),
    )
    return structure, str(meta["key"])


@functools.lru_cache(maxsize=4)
def _shipped(folder: str) -> _Structure | None:
    """The shipped structure when it was computed from what ``folder`` holds now, else ``None``."""
    try:
        structure, key = _unpack_structure(SHIPPED_STRUCTURE.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, shapely.errors.GEOSException) as exc:
        log.debug("shipped structure %s not read: %s", SHIPPED_STRUCTURE, exc)
        return None
    if key != _structure_key(folder):
        log.debug("shipped structure is not for the data, code or libraries at hand: computed")
        return None
    return structure


def computed_structure(folder: Path | None = None) -> _Structure:
    """The district's structure computed from the reference data (never the shipped one).

    Parameters
    ----------
    folder : Path, optional
        Data folder; ``None`` uses ``settings.reference_data_folder``.
    """
    key_folder = str(_folder(folder))
    district = _computed_district(key_folder)
    lines = _computed_centrelines(key_folder)
    widths = _widths()
    return _Structure(
        district=district,
        zones=_computed_zones(key_folder, district),
        centrelines=lines,
        belts=_computed_belts(lines, district, widths),
        widths=widths,
    )


def write_shipped_structure(path: Path | None = None, folder: Path | None = None) -> Path:
    """Compute the structure from the reference data and write it with its key.

    Parameters
    ----------
    path : Path, optional
        Where to write; ``None`` writes ``SHIPPED_STRUCTURE`` (run
        ``scripts/build_structure.py`` after changing the reference data or
        this module).
    folder : Path, optional
        Data folder; ``None`` uses ``settings.reference_data_folder``.

    Returns
    -------
    Path
        The file written.
    """
    key_folder = str(_folder(folder))
    data = _pack_structure(computed_structure(folder), _structure_key(key_folder))
    return write_bytes_atomic(Path(path or SHIPPED_STRUCTURE), data)


def belt_layer(folder: Path | None = None) -> gpd.GeoDataFrame:
    """The three belts (三带) as buffered polygons, clipped to the district.

    Parameters
    ----------
    folder : Path, optional
        Data folder; ``None`` uses ``settings.reference_data_folder``.

    Returns
    -------
    GeoDataFrame
        Columns ``belt``, ``name_zh``, ``name_en``, ``width_m`` (buffer
        half-width from ``settings.belt_buffer_m``), geometry; EPSG:4326,
        one row per belt in ``BELT_KEYS`` order. Belts may overlap.
    """
    widths = _widths()
    belts = _belts_metric(str(_folder(folder)), widths)
    gdf = gpd.GeoDataFrame(
        {
            "belt": list(BELT_KEYS),
            "name_zh": [BELTS[k][0] for k in BELT_KEYS],
            "name_en": [BELTS[k][1] for k in BELT_KEYS],
            "width_m": [w for _, w in widths],
        },
        geometry=[belts[k] for k in BELT_KEYS],
        crs=settings.metric_crs,
    )
    return gdf.to_crs(settings.output_crs)


def zones_metric(folder: Path | None = None) -> dict[str, BaseGeometry]:
    """Zone polygons in ``settings.metric_crs`` (for assignment)."""
    return dict(_zones_metric(str(_folder(folder))))


def belts_metric(folder: Path | None = None) -> dict[str, BaseGeometry]:
    """Belt polygons in ``settings.metric_crs`` (for assignment)."""
    return dict(_belts_metric(str(_folder(folder)), _widths()))


def district_metric(folder: Path | None = None) -> BaseGeometry:
    """The district outline in ``settings.metric_crs``."""
    return _district_metric(str(_folder(folder)))
