"""Chinese map datums: GCJ-02 (Amap/Gaode, Tencent) and BD-09 (Baidu) to and from WGS84.

Everything inside planmap is WGS84; coordinates from Chinese map services are converted
here and nowhere else. The conversions are those of ``prcoords`` (public domain): the
GCJ-02 → WGS84 inverse is iterative (error below 1 m). In Changning GCJ-02 is shifted by
about +0.00465° lon / −0.00184° lat (~490 m) from WGS84.
"""

from __future__ import annotations

from collections.abc import Callable

import prcoords
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = [
    "DATUMS",
    "bd09_to_wgs84",
    "gcj02_to_wgs84",
    "geometry_to_wgs84",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: datum names accepted by ``to_wgs84`` / ``geometry_to_wgs84``.
DATUMS: tuple[str, ...] = ("WGS84", "GCJ-02", "BD-09")


def _call(fn: Callable, lon: float, lat: float) -> tuple[float, float]:
    # prcoords works in (lat, lon) order; keep that inside this module only.
    out = fn(prcoords.Coords(float(lat), float(lon)))
    return float(out.lon), float(out.lat)


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Convert a GCJ-02 (Amap, Tencent) point to WGS84.

    Parameters
    ----------
    lon, lat : float
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple of float
        ``(lon, lat)`` in WGS84, within 1 m of the exact inverse.
    """
    return _call(prcoords.gcj_wgs_bored, lon, lat)


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Convert a BD-09 (Baidu) point to WGS84; returns ``(lon, lat)``."""
    return _call(prcoords.bd_wgs_bored, lon, lat)


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Convert a WGS84 point to GCJ-02 (for drawing on Amap/Gaode tiles); returns ``(lon, lat)``."""
    return _call(prcoords.wgs_gcj, lon, lat)


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """Convert a WGS84 point to BD-09 (Baidu); returns ``(lon, lat)``."""
    return _call(prcoords.wgs_bd, lon, lat)


_TO_WGS: dict[str, Callable[[float, float], tuple[float, float]]] = {
    "WGS84": lambda lon, lat: (float(lon), float(lat)),
    "GCJ-02": gcj02_to_wgs84,
    "BD-09": bd09_to_wgs84,
}


def _datum_key(datum: str) -> str:
    key = datum.strip().upper().replace("_", "-")
    aliases = {"WGS-84": "WGS84", "EPSG:4326": "WGS84", "CGCS2000": "WGS84", "GCJ02": "GCJ-02",
               "GCJ": "GCJ-02", "AMAP": "GCJ-02", "GAODE": "GCJ-02", "BD09": "BD-09", "BAIDU": "BD-09"}
    key = aliases.get(key, key)
    if key not in _TO_WGS:
        raise ValueError(f"unknown datum {datum!r}; expected one of {list(DATUMS)!r}")
    return key


def to_wgs84(lon: float, lat: float, datum: str) -> tuple[float, float]:
    """Convert a point from ``datum`` (``WGS84``, ``GCJ-02`` or ``BD-09``) to WGS84."""
    return _TO_WGS[_datum_key(datum)](lon, lat)


def geometry_to_wgs84(geom: BaseGeometry, datum: str) -> BaseGeometry:
    """Convert every vertex of a shapely geometry from ``datum`` to WGS84.

    Parameters
    ----------
    geom : shapely geometry
        In lon/lat of ``datum``.
    datum : str
        ``WGS84``, ``GCJ-02`` or ``BD-09`` (a few spellings such as ``gcj02`` are accepted).

    Returns
    -------
    shapely geometry
        The same geometry type, in WGS84.
    """
    fn = _TO_WGS[_datum_key(datum)]
    if fn is _TO_WGS["WGS84"]:
        return geom

    def convert(coords):
        import numpy as np

        return np.array([fn(x, y) for x, y in coords])

    return shapely.transform(geom, convert)
