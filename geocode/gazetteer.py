"""The offline gazetteer: named places of Changning (and a few beyond) with geometry.

The bundled file ``geocode/data/gazetteer.csv`` is built from the reference data by
``scripts/build_gazetteer.py``. Columns:

- ``id``: stable row id (``gz-`` + 10 hex digits of the SHA-1 of ``type|name``);
- ``name``: canonical (full official) name; ``aliases``: other names, ``|``-joined;
- ``type``: one of ``geocode.model.TYPES``; ``in_changning``: bool;
- ``geometry``: WKT in WGS84 (lon lat);
- ``precision_m``: radius in metres around the geometry's representative point within
  which the place lies, including the error of the geometry itself;
- ``source``: where the coordinates come from (``estimate`` = knowledge of the city only);
- ``source_datum``: datum of the original coordinates (converted to WGS84 where needed);
- ``note``: how the row was derived.

A user gazetteer (``--gazetteer FILE``: CSV with ``lon``/``lat`` or ``wkt``/``geometry``,
GeoJSON, GeoPackage) is validated row by row and merged over the bundled one: a user row
replaces a bundled row of the same name.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geocode.gazetteer_names import GazetteerName, index_names
from geocode.gazetteer_names import as_bool as _as_bool
from geocode.model import TYPES
from gis import settings
from gis._errors import GazetteerError

__all__ = [
    "GAZETTEER_COLUMNS",
    "GazetteerName",
    "load_gazetteer",
    "name_index",
    "read_user_gazetteer",
]

log = logging.getLogger(__name__)

GAZETTEER_COLUMNS: tuple[str, ...] = (
    "id", "name", "aliases", "type", "in_changning", "precision_m",
    "source", "source_datum", "note", "geometry",
)

#: rough bounding box of China (lon/lat) used to reject impossible coordinates.
_CHINA = (73.0, 18.0, 135.5, 53.6)
#: precision given to a user row that states none (metres).
_USER_DEFAULT_PRECISION_M = 100.0


def _row_id(name: str, type_: str) -> str:
    return f"gz-{hashlib.sha1(f'{type_}|{name}'.encode()).hexdigest()[:10]}"


@functools.lru_cache(maxsize=4)
def _read_bundled(path: str, mtime: float) -> gpd.GeoDataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise GazetteerError(
            f"gazetteer file {path!r} not found; rebuild it with scripts/build_gazetteer.py "
            "or point settings.gazetteer_path at an existing file"
        ) from exc
    missing = [c for c in GAZETTEER_COLUMNS if c not in df.columns]
    if missing:
        raise GazetteerError(f"gazetteer {path!r} lacks columns {missing!r}; expected {list(GAZETTEER_COLUMNS)!r}")
    geoms = shapely.from_wkt(df["geometry"].to_numpy(), on_invalid="ignore")
    bad = [i + 2 for i, g in enumerate(geoms) if g is None]
    if bad:
        raise GazetteerError(f"gazetteer {path!r}: unreadable WKT on lines {bad[:10]!r}")
    df["in_changning"] = df["in_changning"].map(_as_bool)
    df["precision_m"] = pd.to_numeric(df["precision_m"]).astype(float)
    gdf = gpd.GeoDataFrame(df.drop(columns="geometry"), geometry=geoms, crs="EPSG:4326")
    log.debug("read %d gazetteer rows from %s", len(gdf), path)
    return gdf[list(GAZETTEER_COLUMNS)]


def load_gazetteer(path: str | os.PathLike[str] | None = None, *,
                   extra: str | os.PathLike[str] | None = None) -> gpd.GeoDataFrame:
    """Load the gazetteer as a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    path : path-like, optional
        Gazetteer CSV; ``None`` uses ``settings.gazetteer_path``.
    extra : path-like, optional
        A user gazetteer (CSV, GeoJSON, GeoPackage) merged over it: its rows are
        added, and replace bundled rows of the same name.

    Returns
    -------
    GeoDataFrame
        Columns ``GAZETTEER_COLUMNS``; ``aliases`` is a ``|``-joined string.

    Raises
    ------
    GazetteerError
        When a file is missing or malformed (the message names the row).
    """
    p = Path(path) if path is not None else Path(settings.gazetteer_path)
    mtime = p.stat().st_mtime if p.exists() else 0.0
    gdf = _read_bundled(str(p), mtime).copy()
    if extra is not None:
        user = read_user_gazetteer(extra)
        replaced = gdf["name"].isin(set(user["name"]))
        log.info("user gazetteer %s: %d rows (%d replace bundled rows)", extra, len(user), int(replaced.sum()))
        gdf = pd.concat([gdf[~replaced], user], ignore_index=True)
        gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs="EPSG:4326")
    return gdf.reset_index(drop=True)


def name_index(gazetteer: gpd.GeoDataFrame | None = None) -> dict[str, GazetteerName]:
    """Map every name and alias of the gazetteer to its row.

    Parameters
    ----------
    gazetteer : GeoDataFrame, optional
        As returned by ``load_gazetteer``; ``None`` loads the bundled one.

    Returns
    -------
    dict of str to GazetteerName
        Canonical names win over aliases; when two rows share a name, the one in
        Changning wins, then the first row.
    """
    gaz = load_gazetteer() if gazetteer is None else gazetteer
    return index_names(gaz[["id", "name", "aliases", "type", "in_changning"]]
                       .itertuples(index=False, name=None))


# ----------------------------------------------------------------------------- user files
def _read_any(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        sep = "\t" if suffix == ".tsv" else ","
        return pd.read_csv(path, dtype=str, keep_default_na=False, sep=sep, encoding="utf-8-sig")
    if suffix in {".geojson", ".json", ".gpkg", ".shp"}:
        gdf = gpd.read_file(path, engine="fiona")
        if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
            gdf = gdf.to_crs("EPSG:4326")
        return gdf
    raise GazetteerError(
        f"user gazetteer {str(path)!r} has an unknown format {suffix!r}; "
        "use CSV (lon/lat or wkt columns), GeoJSON or GeoPackage"
    )


def _geometry_of(row: pd.Series, cols: set[str], n: int, problems: list[str]):
    if "geometry" in cols and not isinstance(row["geometry"], str):
        geom = row["geometry"]
        if geom is None:
            problems.append(f"row {n}: no geometry")
        return geom
    if "lon" in cols and "lat" in cols:
        try:
            lon, lat = float(row["lon"]), float(row["lat"])
        except (TypeError, ValueError):
            problems.append(f"row {n}: lon/lat {row['lon']!r}, {row['lat']!r} are not numbers")
            return None
        return shapely.Point(lon, lat)
    key = "wkt" if "wkt" in cols else "geometry"
    text = str(row.get(key, "") or "").strip()
    if not text:
        problems.append(f"row {n}: empty {key!r}")
        return None
    try:
        return shapely.from_wkt(text)
    except shapely.errors.GEOSException:
        problems.append(f"row {n}: invalid WKT {text[:60]!r}")
        return None


def read_user_gazetteer(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Read and validate a user gazetteer.

    Parameters
    ----------
    path : path-like
        CSV with ``name`` and either ``lon``/``lat`` or ``wkt`` (or ``geometry``) columns,
        or a GeoJSON / GeoPackage with a ``name`` property. Optional columns: ``aliases``,
        ``type``, ``in_changning``, ``precision_m``, ``source``, ``source_datum``, ``note``.
        Coordinates must be WGS84 lon/lat.

    Returns
    -------
    GeoDataFrame
        In the bundled gazetteer's schema, ``source`` defaulting to ``user``.

    Raises
    ------
    GazetteerError
        Listing every bad row (1-based data row numbers): no name, invalid geometry,
        coordinates outside China, latitude and longitude swapped, unknown type.
    """
    p = Path(path)
    if not p.exists():
        raise GazetteerError(f"user gazetteer {str(p)!r} does not exist; check the --gazetteer path")
    try:
        df = _read_any(p)
    except GazetteerError:
        raise
    except Exception as exc:  # pandas/fiona raise many kinds
        raise GazetteerError(f"cannot read user gazetteer {str(p)!r}: {exc}") from exc
    cols = set(df.columns)
    if "name" not in cols:
        raise GazetteerError(f"user gazetteer {str(p)!r} has no 'name' column; columns are {sorted(cols)!r}")
    if not ({"lon", "lat"} <= cols or "wkt" in cols or "geometry" in cols):
        raise GazetteerError(
            f"user gazetteer {str(p)!r} needs 'lon' and 'lat' columns or a 'wkt' column; "
            f"columns are {sorted(cols)!r}"
        )
    problems: list[str] = []
    records = []
    x0, y0, x1, y1 = _CHINA
    for i, (_, row) in enumerate(df.iterrows(), start=1):
        name = str(row.get("name", "") or "").strip()
        if not name or name.lower() == "nan":
            problems.append(f"row {i}: no name")
            continue
        geom = _geometry_of(row, cols, i, problems)
        if geom is None:
            continue
        if geom.is_empty or not geom.is_valid:
            problems.append(f"row {i} ({name!r}): invalid geometry {geom.wkt[:60]!r}")
            continue
        bx0, by0, bx1, by1 = geom.bounds
        inside = x0 <= bx0 and bx1 <= x1 and y0 <= by0 and by1 <= y1
        if not inside:
            if x0 <= by0 and by1 <= x1 and y0 <= bx0 and bx1 <= y1:
                problems.append(f"row {i} ({name!r}): latitude and longitude look swapped "
                                f"({bx0:.4f}, {by0:.4f}); give lon first (e.g. 121.4, 31.2)")
            else:
                problems.append(f"row {i} ({name!r}): coordinates ({bx0:.4f}, {by0:.4f}) are outside China; "
                                "expected WGS84 lon/lat")
            continue
        type_ = str(row.get("type", "") or "other").strip() or "other"
        if type_ not in TYPES:
            problems.append(f"row {i} ({name!r}): type {type_!r} is not one of {list(TYPES)!r}")
            continue
        prec_raw = row.get("precision_m", "")
        try:
            prec = float(prec_raw) if str(prec_raw).strip() not in {"", "nan", "None"} else _USER_DEFAULT_PRECISION_M
        except ValueError:
            problems.append(f"row {i} ({name!r}): precision_m {prec_raw!r} is not a number")
            continue
        in_cn_raw = row.get("in_changning", "")
        records.append({
            "id": str(row.get("id", "") or "").strip() or _row_id(name, type_),
            "name": name,
            "aliases": str(row.get("aliases", "") or "").strip(),
            "type": type_,
            "in_changning": _as_bool(in_cn_raw) if str(in_cn_raw).strip() else True,
            "precision_m": prec,
            "source": str(row.get("source", "") or "").strip() or "user",
            "source_datum": str(row.get("source_datum", "") or "").strip() or "WGS84",
            "note": str(row.get("note", "") or "").strip() or f"user gazetteer {p.name}",
            "geometry": geom,
        })
    if problems:
        shown = "; ".join(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise GazetteerError(f"user gazetteer {str(p)!r} has {len(problems)} bad row(s): {shown}{more}")
    if not records:
        raise GazetteerError(f"user gazetteer {str(p)!r} has no rows")
    return gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326")[list(GAZETTEER_COLUMNS)]
