"""Write ``ProjectLayers``: GeoJSON (RFC 7946), a styled GeoPackage, CSV.

Files (names are fixed here, never taken from document text):

- ``projects.geojson``: every project feature with its true geometry;
  ``zones.geojson``, ``belts.geojson``; ``projects_zone_<zone>.geojson`` for
  east/central/west and ``projects_belt_<belt>.geojson`` for each belt (the
  projects inside it). RFC 7946: WGS84 lon/lat, ``settings.geojson_precision``
  decimals, exterior rings counter-clockwise (``orient``), no ``crs`` member,
  UTF-8 with Chinese kept. Written by hand with ``json``: fixed key order
  (``type``, ``id``, ``properties``, ``geometry``; properties in
  ``PROJECT_COLUMNS`` order), features sorted by id, one feature per line, so
  re-runs are byte-identical. This is the byte-stable contract.
- ``planmap.gpkg``: written with fiona; layers ``projects`` (one point per
  feature: the point itself or the geometry's representative point),
  ``project_lines`` and ``project_areas`` (the true line/polygon geometries,
  so every layer has one geometry type and QGIS styles it), ``zones``,
  ``belts``, ``belt_centrelines``, and the attribute tables ``timeline`` and
  ``documents`` (created by fiona, their rows inserted by sqlite3, many rows
  per ``INSERT``: fiona's per-feature Python work dominated the export of a
  large archive's timeline, then sqlite3's per-statement work). A ``layer_styles`` table (QGIS convention, registered in
  ``gpkg_contents`` as ``attributes``) holds one QML style per layer marked
  ``useAsDefault``. Timestamps are pinned (``OGR_CURRENT_DATE`` and
  ``update_time`` = ``GPKG_TIMESTAMP``), which makes the file byte-identical
  across runs with the same GDAL/SQLite versions.
- ``projects.csv`` (with a ``wkt`` column) and ``timeline.csv``: UTF-8 with BOM
  so that Excel reads Chinese. ``timeline.csv`` is joined from its fields (text
  quoted as ``csv`` quotes it, once per distinct value) where pandas would spend
  most of its time formatting values; the bytes are those pandas writes.

Every file is written atomically (``gis.atomic``): a crash leaves the previous
output whole.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import itertools
import json
import logging
import math
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import fiona
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from gis import settings
from gis._errors import ExportError
from gis.atomic import atomic_path, write_bytes_atomic
from layers.model import PROJECT_COLUMNS, TIMELINE_COLUMNS, ProjectLayers
from layers.styles import qml_for_layer
from layers.zones import BELT_KEYS, ZONE_KEYS, belt_centrelines

__all__ = [
    "GPKG_NAME",
    "GPKG_TIMESTAMP",
    "PendingSave",
    "geojson_text",
    "gpkg_layer_names",
    "save_layers",
    "start_save_layers",
]

log = logging.getLogger(__name__)

GPKG_NAME = "planmap.gpkg"
#: timestamp written into the GeoPackage (gpkg_contents, layer_styles): pinned for stable bytes.
GPKG_TIMESTAMP = "2000-01-01T00:00:00.000Z"

#: PROJECT_COLUMNS -> fiona field type.
_PROJECT_TYPES: dict[str, str] = {
    "in_changning": "bool",
    "zone_conflict": "bool",
    "belt_conflict": "bool",
    "precision_m": "float",
    "first_year": "int",
    "last_year": "int",
    "mention_count": "int",
}
_TIMELINE_TYPES: dict[str, str] = {"year": "int", "line": "int"}


def _plain(value: Any) -> Any:
    """A JSON/fiona-ready scalar: NA/NaN -> None, numpy scalars -> Python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _rounded(geom: BaseGeometry, ndigits: int) -> BaseGeometry:
    """Coordinates rounded half-to-even to ``ndigits`` decimals (numpy, vectorised).

    ``np.round`` scales, rounds to an integer and divides, so every value is the
    double nearest to a decimal of at most ``ndigits`` places and ``json``
    prints it with no more.
    """
    return shapely.transform(geom, lambda xy: np.round(xy, ndigits) + 0.0)


def _plain_rows(df: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (column order kept)."""
    data = {c: [_plain(v) for v in df[c].tolist()] for c in columns}
    return [{c: data[c][i] for c in columns} for i in range(len(df))]


def _oriented(geom: BaseGeometry) -> BaseGeometry:
    """Exterior rings counter-clockwise, holes clockwise (RFC 7946 right-hand rule)."""
    if geom.geom_type == "Polygon":
        return orient(geom, sign=1.0)
    if geom.geom_type == "MultiPolygon":
        return shapely.MultiPolygon([orient(p, sign=1.0) for p in geom.geoms])
    if geom.geom_type == "GeometryCollection":
        return shapely.GeometryCollection([_oriented(g) for g in geom.geoms])
    return geom


def _geometry_json(geom: BaseGeometry | None, ndigits: int) -> dict | None:
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "GeometryCollection":
        return {
            "type": geom.geom_type,
            "geometries": [_geometry_json(g, ndigits) for g in geom.geoms],
        }
    geo = mapping(_rounded(_oriented(geom), ndigits))
    return {"type": geo["type"], "coordinates": geo["coordinates"]}


def geojson_text(
    gdf: gpd.GeoDataFrame, id_column: str, columns: Iterable[str] | None = None
) -> str:
    """An RFC 7946 FeatureCollection, byte-stable.

    Parameters
    ----------
    gdf : GeoDataFrame
        Features; reprojected to WGS84 if needed.
    id_column : str
        Column giving each feature's ``id`` (features are sorted by it).
    columns : iterable of str, optional
        Properties in order; ``None`` takes every non-geometry column.

    Returns
    -------
    str
        GeoJSON text: one feature per line, Chinese unescaped, coordinates
        rounded to ``settings.geojson_precision`` decimals.
    """
    ids, lines = _feature_lines(gdf, id_column, columns)
    return _feature_collection(ids, lines)


def _feature_lines(
    gdf: gpd.GeoDataFrame, id_column: str, columns: Iterable[str] | None = None
) -> tuple[list[str], list[str]]:
    """Each feature's id as text (its sort key) and its line of ``geojson_text``, in row order."""
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(settings.output_crs)
    cols = (
        list(columns) if columns is not None else [c for c in gdf.columns if c != gdf.geometry.name]
    )
    ndigits = settings.geojson_precision
    ids = [str(v) for v in gdf[id_column]]
    props = _plain_rows(gdf, cols)
    id_values = _plain_rows(gdf, [id_column])
    geoms = list(gdf.geometry)
    lines = []
    for i in range(len(gdf)):
        feature = {
            "type": "Feature",
            "id": id_values[i][id_column],
            "properties": props[i],
            "geometry": _geometry_json(geoms[i], ndigits),
        }
        lines.append(
            json.dumps(feature, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        )
    return ids, lines


def _feature_collection(ids: list[str], lines: list[str]) -> str:
    """The FeatureCollection of ``geojson_text`` from ``_feature_lines``, features sorted by id."""
    order = sorted(range(len(ids)), key=ids.__getitem__)
    body = ",\n".join([lines[i] for i in order])
    return '{"type":"FeatureCollection","features":[\n' + body + ("\n" if order else "") + "]}\n"


def _write_geojson(
    path: Path, gdf: gpd.GeoDataFrame, id_column: str, columns: Iterable[str] | None = None
) -> Path:
    return write_bytes_atomic(path, geojson_text(gdf, id_column, columns).encode("utf-8"))


def _csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def _write_csv(path: Path, df: pd.DataFrame) -> Path:
    """``_csv_bytes(df)`` streamed to ``path`` (atomically): a large table is never one string."""
    with atomic_path(path) as tmp:
        _write_csv_file(tmp, df)
    return path


def _write_csv_file(path: Path, df: pd.DataFrame) -> None:
    """``_csv_bytes(df)`` streamed to ``path``, synced.

    Tables whose columns are all text or integers (the timeline) are written from
    ``_csv_columns``, the others by pandas; the bytes are the same.
    """
    fields = _csv_columns(df)
    if fields is None:
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            df.to_csv(fh, index=False, lineterminator="\n", chunksize=50_000)
            fh.flush()
            os.fsync(fh.fileno())
        return
    with open(path, "wb") as fh:
        fh.write(codecs.BOM_UTF8)
        for chunk in _csv_lines(fields, [str(c) for c in df.columns]):
            fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())


#: characters that make ``csv`` (``QUOTE_MINIMAL``, delimiter ``,``) quote a field.
_CSV_SPECIAL = ',"\r\n'
_CSV_QUOTED = re.compile('[,"\r\n]').search


def _csv_field(value: str) -> str:
    """``value`` as ``csv.writer`` writes it as a field of a row of several fields."""
    if value and not _CSV_QUOTED(value):
        return value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([value, ""])
    return buf.getvalue()[: -len(",\n")]


def _csv_columns(df: pd.DataFrame) -> list[list[str]] | None:
    """Each column's CSV fields as pandas' ``to_csv`` writes them, if all are text or integers.

    Text columns (object dtype holding only ``str`` and missing values) keep
    their values where none needs quoting, else are quoted once per distinct
    value; integer columns (numpy or nullable) print as ``str(int)``; missing
    values are ``""``. ``None`` for any other column (floats, dates, mixed
    objects): pandas formats those.
    """
    if len(df.columns) < 2:  # a row of one empty field is quoted
        return None
    out = []
    for _, column in df.items():
        if pd.api.types.is_integer_dtype(column.dtype):
            values = column.to_numpy(dtype=object, na_value=None).tolist()
            printed = {v: "" if v is None else str(v) for v in set(values)}  # few distinct
            out.append(list(map(printed.__getitem__, values)))
            continue
        if column.dtype != object:
            return None
        values = column.tolist()
        if set(map(type, values)) <= {str}:
            text = "".join(values)
            if not any(c in text for c in _CSV_SPECIAL):
                out.append(values)
                continue
        distinct = set(values)
        if not all(type(v) is str or _missing(v) for v in distinct):
            return None
        fields = {v: _csv_field(v) if type(v) is str else "" for v in distinct}
        out.append(list(map(fields.__getitem__, values)))
    return out


def _missing(value: Any) -> bool:
    """Whether pandas writes ``value`` of a text column as a missing value (``None``, NaN, NA)."""
    return value is None or value is pd.NA or (type(value) is float and value != value)


def _csv_lines(
    columns: list[list[str]], header: list[str], *, rows: int = 50_000
) -> Iterator[bytes]:
    """The CSV of ``header`` and of the rows of ``columns`` (``_csv_columns``), UTF-8, in blocks."""
    yield (",".join(map(_csv_field, header)) + "\n").encode()
    n = len(columns[0]) if columns else 0
    width = 2 * len(columns)  # each field and the separator after it
    for start in range(0, n, rows):
        # each row's fields and separators side by side in one list: one join makes the block
        m = min(rows, n - start)
        block = [","] * (m * width)
        for j, column in enumerate(columns):
            block[2 * j :: width] = column[start : start + m]
        block[width - 1 :: width] = ["\n"] * m
        yield "".join(block).encode()


def _projects_csv(projects: gpd.GeoDataFrame) -> bytes:
    df = pd.DataFrame({c: projects[c] for c in PROJECT_COLUMNS})
    df["wkt"] = [
        shapely.to_wkt(_oriented(g), rounding_precision=settings.geojson_precision, trim=True)
        for g in projects.geometry
    ]
    return _csv_bytes(df.sort_values("id", kind="mergesort"))


# --------------------------------------------------------------------------- GeoPackage


def _dimension(geom: BaseGeometry) -> int:
    return int(shapely.get_dimensions(geom))


def _multi(geom: BaseGeometry, kind: str) -> BaseGeometry:
    if kind == "MultiPolygon":
        parts = [
            g for g in getattr(geom, "geoms", [geom]) if g.geom_type in ("Polygon", "MultiPolygon")
        ]
        polys = [p for g in parts for p in getattr(g, "geoms", [g])]
        return shapely.MultiPolygon(polys)
    if kind == "MultiLineString":
        parts = [
            g
            for g in getattr(geom, "geoms", [geom])
            if g.geom_type in ("LineString", "MultiLineString")
        ]
        lines = [p for g in parts for p in getattr(g, "geoms", [g])]
        return shapely.MultiLineString(lines)
    return geom


def _records(df: pd.DataFrame, columns: list[str], geoms: list[BaseGeometry] | None) -> list[dict]:
    rows = _plain_rows(df, columns)
    return [
        {"geometry": None if geoms is None else mapping(geoms[i]), "properties": rows[i]}
        for i in range(len(rows))
    ]


def _schema(columns: list[str], types: dict[str, str], geometry: str | None) -> dict:
    return {"geometry": geometry or "None", "properties": {c: types.get(c, "str") for c in columns}}


def _gpkg_layers(layers: ProjectLayers) -> list[tuple[str, str, dict, list[dict]]]:
    """(layer name, style kind, fiona schema, records) of the GeoPackage layers but ``delivery``."""
    p = layers.projects.sort_values("id", kind="mergesort").reset_index(drop=True)
    cols = list(PROJECT_COLUMNS)
    dims = [_dimension(g) for g in p.geometry]
    points = [g if g.geom_type == "Point" else g.representative_point() for g in p.geometry]
    line_idx = [i for i, d in enumerate(dims) if d == 1]
    area_idx = [i for i, d in enumerate(dims) if d == 2]
    zones = layers.zones.sort_values("zone", key=lambda s: s.map(ZONE_KEYS.index)).reset_index(
        drop=True
    )
    belts = layers.belts.sort_values("belt", key=lambda s: s.map(BELT_KEYS.index)).reset_index(
        drop=True
    )
    centre = belt_centrelines()
    docs = pd.DataFrame(layers.documents, columns=["name", "title", "date", "kind"])
    zone_cols, belt_cols = ["zone", "name_zh", "name_en"], ["belt", "name_zh", "name_en", "width_m"]
    return [
        ("projects", "projects", _schema(cols, _PROJECT_TYPES, "Point"), _records(p, cols, points)),
        (
            "project_lines",
            "project_lines",
            _schema(cols, _PROJECT_TYPES, "MultiLineString"),
            _records(
                p.iloc[line_idx], cols, [_multi(p.geometry[i], "MultiLineString") for i in line_idx]
            ),
        ),
        (
            "project_areas",
            "project_areas",
            _schema(cols, _PROJECT_TYPES, "MultiPolygon"),
            _records(
                p.iloc[area_idx],
                cols,
                [_multi(_oriented(p.geometry[i]), "MultiPolygon") for i in area_idx],
            ),
        ),
        (
            "zones",
            "zones",
            _schema(zone_cols, {}, "MultiPolygon"),
            _records(
                zones, zone_cols, [_multi(_oriented(g), "MultiPolygon") for g in zones.geometry]
            ),
        ),
        (
            "belts",
            "belts",
            _schema(belt_cols, {"width_m": "float"}, "MultiPolygon"),
            _records(
                belts, belt_cols, [_multi(_oriented(g), "MultiPolygon") for g in belts.geometry]
            ),
        ),
        (
            "belt_centrelines",
            "belt_centrelines",
            _schema(zone_cols[:0] + ["belt", "name_zh", "name_en"], {}, "MultiLineString"),
            _records(
                centre,
                ["belt", "name_zh", "name_en"],
                [_multi(g, "MultiLineString") for g in centre.geometry],
            ),
        ),
        # attribute tables: created empty by fiona, filled by ``_StagedTables.copy_into``
        ("timeline", "timeline", _schema(list(TIMELINE_COLUMNS), _TIMELINE_TYPES, None), []),
        ("documents", "documents", _schema(list(docs.columns), {}, None), []),
    ]


def _gpkg_tables(
    timeline: pd.DataFrame, documents: list[dict]
) -> list[tuple[str, dict, pd.DataFrame]]:
    """(layer name, fiona schema, rows) of the GeoPackage attribute tables."""
    docs = pd.DataFrame(documents, columns=["name", "title", "date", "kind"])
    return [
        ("timeline", _schema(list(TIMELINE_COLUMNS), _TIMELINE_TYPES, None), timeline),
        ("documents", _schema(list(docs.columns), {}, None), docs),
    ]


def _sqlite_column(values: pd.Series, kind: str) -> list[Any]:
    """A column as the values fiona would store: ``None`` for missing, ints, text."""
    if kind == "int":
        if pd.api.types.is_integer_dtype(values.dtype):  # numpy or nullable ints: no NaN
            return values.to_numpy(dtype=object, na_value=None).tolist()
        return [None if v is None or v is pd.NA or v != v else int(v) for v in values.tolist()]
    if kind == "float":
        return [None if v is None or v is pd.NA or not math.isfinite(v) else float(v)
                for v in values.tolist()]
    out = values.tolist()
    if set(map(type, out)) <= {str, type(None)}:
        return out
    for i, v in enumerate(out):
        if type(v) is not str and v is not None:
            v = _plain(v)
            out[i] = None if v is None else str(v)
    return out


#: rows inserted by one ``INSERT`` statement (at most 999 bound values, SQLite's oldest limit).
_SQLITE_VALUES = 999


def _insert_statements(
    table: str, columns: list[str], data: list[list[Any]]
) -> list[tuple[str, list[list[Any]]]]:
    """``INSERT`` statements with their values that add the rows ``zip(*data)`` to ``table``.

    In order, many rows per statement: one statement per row costs more than its
    values (the statement is reset and the ``AUTOINCREMENT`` counter written back
    for each); rows inserted in the same order by fewer statements make the same
    table, page for page.

    Returns
    -------
    list of (str, list of list)
        Each statement and the values of each of its executions.
    """
    quoted = ", ".join(f'"{c}"' for c in columns)
    one = "(" + ", ".join("?" * len(columns)) + ")"
    k = max(1, len(columns))
    per = max(1, _SQLITE_VALUES // k)
    n = len(data[0]) if data else 0
    if any(len(values) != n for values in data):
        raise ValueError(f"columns of {table!r} differ in length: {[len(v) for v in data]}")

    def values(start: int, stop: int) -> list[Any]:
        # rows start..stop-1 flattened row by row: each column into every k-th place
        flat: list[Any] = [None] * ((stop - start) * k)
        for j, column in enumerate(data):
            flat[j::k] = column[start:stop]
        return flat

    statements = []
    whole = n - n % per
    if whole:
        sql = f'INSERT INTO "{table}" ({quoted}) VALUES ' + ", ".join([one] * per)
        statements.append((sql, [values(i, i + per) for i in range(0, whole, per)]))
    if whole < n:
        sql = f'INSERT INTO "{table}" ({quoted}) VALUES ' + ", ".join([one] * (n - whole))
        statements.append((sql, [values(whole, n)]))
    return statements


def _sqlite_tables(
    tables: list[tuple[str, dict, pd.DataFrame]],
) -> list[tuple[str, int, list[tuple[str, list[list[Any]]]]]]:
    """(table, rows, ``_insert_statements``) of ``_gpkg_tables``, values as fiona stores them."""
    out = []
    for name, schema, df in tables:
        columns = list(schema["properties"])
        data = [_sqlite_column(df[c], schema["properties"][c]) for c in columns]
        out.append((name, len(df), _insert_statements(name, columns, data)))
    return out


#: SQLite column type of each fiona field type, as OGR's GeoPackage driver declares it.
_SQLITE_TYPES: dict[str, str] = {"str": "TEXT", "int": "INTEGER", "float": "REAL"}

_STAGED_NAMES = itertools.count()


class _StagedTables:
    """The GeoPackage's attribute tables, filled in a private in-memory SQLite database.

    The rows are inserted here (most of the tables' cost: Python's values bound
    one by one) before the GeoPackage file exists, so that a writer forked as
    soon as the timeline is known does it while the rest of the layers is
    made; ``copy_into`` then moves them into the file in one
    ``INSERT … SELECT`` per table, which SQLite does on its own. The rows, their
    ``fid`` (1..n in row order) and the file's pages are those of inserting the
    values into the file directly (``tests/test_export_paths.py``).

    Parameters
    ----------
    tables : list of (str, dict, DataFrame)
        ``_gpkg_tables``: each table's name, fiona schema and rows.
    """

    def __init__(self, tables: list[tuple[str, dict, pd.DataFrame]]) -> None:
        # a named in-memory database in shared-cache mode: the GeoPackage's own
        # connection attaches it by this name (a plain ":memory:" one cannot be)
        self.uri = f"file:planmap-staged-{os.getpid()}-{next(_STAGED_NAMES)}?mode=memory&cache=shared"
        self.tables: list[tuple[str, list[str], int]] = []
        self._con: sqlite3.Connection | None = sqlite3.connect(self.uri, uri=True)
        try:
            with self._con:
                for (name, schema, _), (_, n_rows, statements) in zip(
                    tables, _sqlite_tables(tables), strict=True
                ):
                    schema = schema["properties"]
                    self._con.execute(_table_ddl(name, schema))
                    for sql, params in statements:
                        self._con.executemany(sql, params)
                    self.tables.append((name, list(schema), n_rows))
        except BaseException:
            self.close()
            raise

    def copy_into(self, path: Path) -> None:
        """Insert the staged rows into the empty tables of the GeoPackage ``path``.

        fiona created the tables; ``gpkg_ogr_contents.feature_count`` is set as
        OGR does, and OGR's per-row count trigger is set aside during the copy,
        so fiona, geopandas and QGIS read the tables as if fiona had written them.
        """
        if self._con is None:
            raise ExportError("the staged attribute tables were closed before being copied")
        # opened by URI: only then may it ATTACH the staged database by its URI, whatever
        # the SQLite library's build-time default (SQLITE_USE_URI)
        con = sqlite3.connect(Path(path).resolve().as_uri(), uri=True)
        try:
            # a temporary file that replaces the output only when whole: no need to sync
            # each page (neither setting is stored in the file)
            con.execute("PRAGMA synchronous = OFF")
            con.execute("PRAGMA journal_mode = MEMORY")
            con.execute("ATTACH DATABASE ? AS staged", (self.uri,))
            with con:
                for name, _, n_rows in self.tables:
                    triggers = con.execute(
                        "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' "
                        "AND tbl_name = ? AND name LIKE 'trigger_insert_feature_count_%' "
                        "ORDER BY name",
                        (name,),
                    ).fetchall()
                    for trigger, _ in triggers:
                        con.execute(f'DROP TRIGGER main."{trigger}"')
                    # the same columns in the same order: SQLite copies the records as
                    # they are (its transfer optimisation), fid included; no rows, no
                    # statement (it would still note the table in sqlite_sequence)
                    if n_rows:
                        con.execute(f'INSERT INTO main."{name}" SELECT * FROM staged."{name}"')
                    con.execute(
                        "UPDATE main.gpkg_ogr_contents SET feature_count = ? "
                        "WHERE lower(table_name) = lower(?)",
                        (n_rows, name),
                    )
                    for _, sql in triggers:
                        con.execute(sql)
            con.execute("DETACH DATABASE staged")
        finally:
            con.close()

    def close(self) -> None:
        """Free the staged rows."""
        if self._con is not None:
            self._con.close()
            self._con = None


def _table_ddl(name: str, properties: dict[str, str]) -> str:
    """``CREATE TABLE`` of an attribute table as OGR's GeoPackage driver writes it for fiona."""
    fields = "".join(f', "{c}" {_SQLITE_TYPES[kind]}' for c, kind in properties.items())
    return f'CREATE TABLE "{name}" ( "fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL{fields})'


def _delivery_layers(layers: ProjectLayers) -> list[tuple[str, str, dict, list[dict]]]:
    """The ``delivery`` layer (promised entities on the map, by delivery class), if computed."""
    if layers.delivery is None:
        return []
    from layers.delivery import DELIVERY_COLUMNS, DELIVERY_FIELD_TYPES, delivery_layer

    located = delivery_layer(layers.delivery, layers.projects)
    located = located.sort_values("entity_id", kind="mergesort").reset_index(drop=True)
    cols = list(DELIVERY_COLUMNS)
    points = [g if g.geom_type == "Point" else g.representative_point() for g in located.geometry]
    return [
        (
            "delivery",
            "delivery",
            _schema(cols, DELIVERY_FIELD_TYPES, "Point"),
            _records(located, cols, points),
        )
    ]


def gpkg_layer_names(*, with_delivery: bool = False) -> list[str]:
    """Names of the layers ``save_layers`` writes into ``planmap.gpkg``, in order.

    ``delivery`` is written only when ``ProjectLayers.delivery`` was computed
    (``with_delivery=True``).
    """
    names = [
        "projects",
        "project_lines",
        "project_areas",
        "zones",
        "belts",
        "belt_centrelines",
        "timeline",
        "documents",
    ]
    return [*names, "delivery"] if with_delivery else names


_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)
"""


def _add_styles(path: Path, styles: list[tuple[str, str]]) -> None:
    """Create ``layer_styles`` (QGIS convention) with one default style per layer."""
    con = sqlite3.connect(path)
    try:
        with con:
            geom_cols = dict(
                con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
            )
            con.execute(_STYLES_DDL)
            con.execute(
                "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, "
                "last_change, srs_id) VALUES ('layer_styles', 'attributes', 'layer_styles', "
                "'QGIS layer styles', ?, 0)",
                (GPKG_TIMESTAMP,),
            )
            for layer, kind_fields in styles:
                kind, _, fields = kind_fields.partition("|")
                qml = qml_for_layer(kind, fields.split(",") if fields else ())
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                    "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL, ?)",
                    (
                        layer,
                        geom_cols.get(layer, ""),
                        f"planmap {layer}",
                        qml,
                        f"planmap default style of {layer}",
                        GPKG_TIMESTAMP,
                    ),
                )
    finally:
        con.close()


def _write_gpkg_staged(
    path: Path,
    timeline: pd.DataFrame,
    documents: list[dict],
    get_layers: Callable[[], ProjectLayers],
    wait: Callable[[], pd.DataFrame | None] | None = None,
) -> Path:
    """Write ``planmap.gpkg``, its attribute tables staged before the rest of the layers is known.

    Parameters
    ----------
    path : Path
        The GeoPackage.
    timeline, documents
        ``ProjectLayers.timeline`` and ``.documents``: the ``timeline`` and
        ``documents`` tables, staged first (``_StagedTables``).
    get_layers : callable
        Returns the layers (the projects, zones and belts; its timeline and
        documents are not read) once they are known.
    wait : callable, optional
        Returns the delivery table once it is known, called after every layer
        before ``delivery`` is written; ``None`` takes the layers' own.

    Returns
    -------
    Path
        ``path``. The file is the same whichever way and in whichever order its
        parts became known.
    """
    cpu0 = time.process_time()
    staged = _StagedTables(_gpkg_tables(timeline, documents))
    log.debug("%s: %d timeline rows staged (%.2f s CPU)", path.name, len(timeline),
              time.process_time() - cpu0)
    try:
        layers = get_layers()
        with atomic_path(path) as tmp:
            styles = []
            # a temporary file that replaces the output only when whole: OGR's SQLite need
            # not sync each layer's pages (the styles' commit syncs the file at the end)
            with fiona.Env(OGR_CURRENT_DATE=GPKG_TIMESTAMP, OGR_SQLITE_SYNCHRONOUS="OFF"):

                def write(name: str, kind: str, schema: dict, records: list[dict]) -> None:
                    crs = settings.output_crs if schema["geometry"] != "None" else None
                    with fiona.open(
                        tmp, "w", driver="GPKG", layer=name, schema=schema, crs=crs
                    ) as dst:
                        dst.writerecords(records)
                    styles.append((name, f"{kind}|{','.join(schema['properties'])}"))

                for layer in _gpkg_layers(layers):
                    write(*layer)
                # the large attribute tables are filled before the delivery table is waited
                # for: most of the file is written while the delivery is computed elsewhere
                staged.copy_into(tmp)
                staged.close()
                log.debug("%s: every layer written but delivery (%.2f s CPU)", path.name,
                          time.process_time() - cpu0)
                if wait is not None:
                    layers = dataclasses.replace(layers, delivery=wait())
                for layer in _delivery_layers(layers):
                    write(*layer)
            _add_styles(tmp, styles)
    finally:
        staged.close()
    log.debug("%s: written (%.2f s CPU)", path.name, time.process_time() - cpu0)
    return path


def save_layers(layers: ProjectLayers, out: Path, *, background: bool = False) -> list[Path]:
    """Write every export of ``layers`` into the folder ``out``.

    Parameters
    ----------
    layers : ProjectLayers
        The layers (``layers_from_entities``).
    out : Path
        Output folder (created when missing).
    background : bool
        Write the GeoPackage and ``timeline.csv`` in forked processes while the
        GeoJSON and CSV files are written here (for large layers; the files are
        the same).

    Returns
    -------
    list of Path
        The files written, in a fixed order: ``projects.geojson``,
        ``zones.geojson``, ``belts.geojson``, ``projects_zone_*.geojson``,
        ``projects_belt_*.geojson``, ``projects.csv``, ``timeline.csv``,
        ``delivery.csv`` (when ``layers.delivery`` is set), ``planmap.gpkg``.

    Raises
    ------
    ExportError
        When the folder cannot be written or the GeoPackage writer fails.
    """
    pending = start_save_layers(layers, out, background=background)
    try:
        return pending.finish()
    finally:
        pending.cancel()  # nothing left to stop once finished


def start_save_layers(layers: ProjectLayers, out: Path, *, background: bool = False) -> PendingSave:
    """Begin ``save_layers`` before ``layers.delivery`` is known; ``finish`` it once it is.

    ``start_save_timeline`` with the layers' timeline and documents, then
    ``PendingSave.take_layers(layers)``.

    Parameters
    ----------
    layers : ProjectLayers
        The layers; ``delivery`` may be set later, before ``finish``.
    out : Path
        Output folder (created when missing).
    background : bool
        As for ``save_layers``.

    Returns
    -------
    PendingSave
        Call ``finish`` to write the rest and collect the files, or ``cancel``
        (on an error before ``finish``) to stop the writers and keep the
        previous outputs.
    """
    pending = start_save_timeline(layers.timeline, layers.documents, out, background=background)
    try:
        pending.take_layers(layers)
    except BaseException:
        pending.cancel()
        raise
    return pending


def start_save_timeline(
    timeline: pd.DataFrame, documents: list[dict], out: Path, *, background: bool = False
) -> PendingSave:
    """Begin ``save_layers`` as soon as the timeline is known, before the rest of the layers.

    With ``background`` (and where processes can fork), the GeoPackage and
    ``timeline.csv`` writers start now in forked processes: the GeoPackage
    writer stages its ``timeline`` and ``documents`` tables, then waits for the
    layers (``PendingSave.take_layers``), makes every layer up to ``delivery``
    and waits for the delivery table, which ``finish`` hands it;
    ``timeline.csv`` is written to a temporary file that replaces the output
    only at ``finish``. Without it, nothing is done before ``finish``.

    Parameters
    ----------
    timeline : DataFrame
        ``ProjectLayers.timeline`` of the layers to come (the same object).
    documents : list of dict
        ``ProjectLayers.documents`` of the layers to come.
    out : Path
        Output folder (created when missing).
    background : bool
        As for ``save_layers``.

    Returns
    -------
    PendingSave
        Give it the layers (``take_layers``), then call ``finish``; or
        ``cancel`` (on an error before ``finish``) to stop the writers and keep
        the previous outputs.
    """
    return PendingSave(timeline, documents, out, background=background)


class PendingSave:
    """Exports begun by ``start_save_timeline`` (or ``start_save_layers``).

    Parameters
    ----------
    timeline : DataFrame
        The timeline of the layers to write.
    documents : list of dict
        Their documents.
    out : Path
        Output folder.
    background : bool
        Start the GeoPackage and ``timeline.csv`` writers now, in forked processes.
    """

    def __init__(
        self, timeline: pd.DataFrame, documents: list[dict], out: Path, *, background: bool = False
    ) -> None:
        import multiprocessing

        from gis._background import Background

        self.timeline = timeline
        self.documents = documents
        self.layers: ProjectLayers | None = None
        self.out = Path(out)
        # (Background, the end of its pipe kept here, whether it takes the layers and delivery)
        self._jobs: list[tuple[Any, Any, bool]] = []
        self._sender: threading.Thread | None = None  # hands the layers to the GeoPackage writer
        self._state = "begun"  # then "finished" or "cancelled"
        if not background or "fork" not in multiprocessing.get_all_start_methods():
            return
        context = multiprocessing.get_context("fork")
        ends: list[Any] = []
        try:
            for func, target, what, takes_layers in (
                (_write_gpkg_when_told, self.out / GPKG_NAME, GPKG_NAME, True),
                (_write_timeline_csv_when_told, self.out / "timeline.csv", "timeline.csv", False),
            ):
                child_end, parent_end = context.Pipe(duplex=False)
                ends.append(parent_end)
                job = Background(func, target, timeline, documents, child_end, list(ends),
                                 what=what)
                child_end.close()
                self._jobs.append((job, parent_end, takes_layers))
        except BaseException:
            self.cancel()
            raise

    def take_layers(self, layers: ProjectLayers) -> None:
        """The layers whose timeline and documents the save began with; ``delivery`` may come later.

        The GeoPackage writer is handed them by a thread (they may be larger
        than a pipe holds while the writer is still staging its tables).

        Raises
        ------
        ExportError
            When the save is not waiting for its layers, or ``layers`` has
            another timeline or other documents than the save began with.
        """
        if self._state != "begun" or self.layers is not None:
            raise ExportError(f"the save to {str(self.out)!r} is not waiting for its layers")
        if layers.timeline is not self.timeline or layers.documents != self.documents:
            raise ExportError("the layers given are not those whose timeline the save began with")
        self.layers = layers
        if self._jobs:
            # the writer keeps its own timeline: the pipe carries the rest
            light = dataclasses.replace(layers, timeline=layers.timeline.iloc[:0])
            ends = [end for _, end, takes_layers in self._jobs if takes_layers]
            self._sender = threading.Thread(
                target=_send_all, args=(ends, ("layers", light)), name="planmap-handoff"
            )
            self._sender.start()

    def finish(self) -> list[Path]:
        """Write the files still to write with ``layers.delivery`` as it is now, and collect all.

        Returns
        -------
        list of Path
            As ``save_layers``.

        Raises
        ------
        ExportError
            When the folder cannot be written, a writer fails, the layers were
            not given, or the save was cancelled or finished already.
        """
        if self._state != "begun":
            raise ExportError(f"the save of the layers to {str(self.out)!r} was {self._state}")
        if self.layers is None:
            raise ExportError(f"the save to {str(self.out)!r} was not given its layers")
        self._state = "finished"
        layers, out = self.layers, self.out
        if not self._jobs:
            written = _save_files(layers, out)
            written.append(_write_gpkg_or_raise(out / GPKG_NAME, layers.timeline,
                                                layers.documents, lambda: layers))
        else:
            (gpkg, *_), (timeline, *_) = jobs = self._jobs
            # the delivery table may be larger than a pipe holds: handed over beside the
            # GeoJSON writing, not before it (and after the layers)
            sender, self._sender = self._sender, None
            handoff = threading.Thread(
                target=_tell, args=(jobs, True, layers.delivery, sender), name="planmap-handoff"
            )
            handoff.start()
            self._jobs = []  # told: they finish their files
            try:
                try:
                    written = _save_files(layers, out, timeline=False)
                finally:
                    handoff.join()
                    timeline_path = timeline.result()
                written.insert(written.index(out / "projects.csv") + 1, timeline_path)
            finally:
                path = gpkg.result()
            written.append(path)
        log.info("export: %d features -> %d files in %s", len(layers.projects), len(written), out)
        return written

    def cancel(self) -> None:
        """Stop the writers begun and not finished; they leave the previous files whole."""
        if self._state == "begun":
            self._state = "cancelled"
        jobs, self._jobs = self._jobs, []
        sender, self._sender = self._sender, None
        if not jobs:
            return
        _tell(jobs, False, None, sender)
        for job, *_ in jobs:
            try:
                job.result()
            except (Exception, KeyboardInterrupt) as exc:  # what stopping them raised
                log.debug("export: stopped writer: %s", exc)


def _send_all(ends: list[Any], message: tuple[str, Any]) -> None:
    """Send ``message`` on each pipe end; a writer that died is not told (its result says why)."""
    for end in ends:
        try:
            end.send(message)
        except OSError:
            pass


def _tell(
    jobs: list[tuple[Any, Any, bool]],
    go: bool,
    delivery: pd.DataFrame | None,
    sender: threading.Thread | None = None,
) -> None:
    """Send each waiting writer ``go`` (and the delivery table if it takes it); close the pipes.

    ``sender`` (the thread handing over the layers) is waited for first: the
    writers read their messages in the order sent. A writer that died is not told.
    """
    if sender is not None:
        sender.join()
    for _, end, takes_delivery in jobs:
        try:
            end.send(("go" if go else "stop", delivery if takes_delivery else None))
        except OSError:
            pass
        finally:
            end.close()


def _told(conn: Any, what: str, expected: str = "go", *, last: bool = True) -> Any:
    """In a writer: wait for ``PendingSave``'s next message and return what came with it.

    Parameters
    ----------
    conn : Connection
        The writer's end of its pipe.
    what : str
        The file written, for the message.
    expected : str
        ``"layers"`` (the layers) or ``"go"`` (the delivery table or ``None``).
    last : bool
        Close the pipe afterwards.

    Raises
    ------
    ExportError
        When the build stopped instead (``cancel``, or the pipe closed).
    """
    try:
        kind, value = conn.recv()
    except EOFError:
        kind, value = "stop", None
    finally:
        if last:
            conn.close()
    if kind != expected:
        if not last:
            conn.close()
        raise ExportError(f"{what} was not written: the build stopped before the layers were saved")
    return value


def _write_gpkg_when_told(
    path: Path, timeline: pd.DataFrame, documents: list[dict], conn: Any, parent_ends: list[Any]
) -> Path:
    """The forked GeoPackage writer of ``PendingSave``: the layers and the delivery when told."""
    for end in parent_ends:  # this process's copies: the pipe ends when the parent's does
        end.close()

    def layers() -> ProjectLayers:
        light = _told(conn, GPKG_NAME, "layers", last=False)
        return dataclasses.replace(light, timeline=timeline)

    return _write_gpkg_or_raise(path, timeline, documents, layers,
                                wait=lambda: _told(conn, GPKG_NAME))


def _write_timeline_csv_when_told(
    path: Path, timeline: pd.DataFrame, documents: list[dict], conn: Any, parent_ends: list[Any]
) -> Path:
    """The forked ``timeline.csv`` writer of ``PendingSave``: replaces the output when told.

    It runs at a lower priority: the GeoPackage writer, forked at the same time
    with twice its work, is what the build waits for; this one takes the CPU
    left over (the main process's, once it has written its files).
    """
    for end in parent_ends:
        end.close()
    _lower_priority()
    with atomic_path(path) as tmp:
        _write_csv_file(tmp, timeline[list(TIMELINE_COLUMNS)])
        log.debug("timeline.csv: %d rows written (%.2f s CPU in its process, %.2f sys)", len(timeline),
                  time.process_time(), os.times().system)
        _told(conn, "timeline.csv")
    return path


#: niceness added to the ``timeline.csv`` writer (``_write_timeline_csv_when_told``).
_CSV_WRITER_NICENESS = 10


def _lower_priority() -> None:
    """Lower this process's scheduling priority by ``_CSV_WRITER_NICENESS`` where the OS can."""
    try:
        os.nice(_CSV_WRITER_NICENESS)
    except (AttributeError, OSError) as exc:  # pragma: no cover - platform dependent
        log.debug("export: could not lower the priority of the timeline.csv writer: %s", exc)


def _write_gpkg_or_raise(
    path: Path,
    timeline: pd.DataFrame,
    documents: list[dict],
    get_layers: Callable[[], ProjectLayers],
    wait: Callable[[], pd.DataFrame | None] | None = None,
) -> Path:
    """``_write_gpkg_staged``, its writer's errors as an ``ExportError`` naming the file."""
    try:
        return _write_gpkg_staged(path, timeline, documents, get_layers, wait)
    except (fiona.errors.FionaError, sqlite3.Error) as exc:
        raise ExportError(
            f"cannot write {str(path)!r}: {exc}; check the folder and disk space"
        ) from exc


def _write_timeline_csv(out: Path, layers: ProjectLayers) -> Path:
    """``timeline.csv`` of ``layers`` in ``out``."""
    return _write_csv(out / "timeline.csv", layers.timeline[list(TIMELINE_COLUMNS)])


def _save_files(layers: ProjectLayers, out: Path, *, timeline: bool = True) -> list[Path]:
    """The GeoJSON and CSV files of ``save_layers``, in its order (``timeline.csv`` optional)."""
    p = layers.projects
    # each project feature is encoded once, for projects.geojson and its zone and belt files
    ids, lines = _feature_lines(p, "id", list(PROJECT_COLUMNS))

    def projects_file(name: str, mask: Any = None) -> Path:
        keep = range(len(ids)) if mask is None else np.flatnonzero(np.asarray(mask, dtype=bool))
        text = _feature_collection([ids[i] for i in keep], [lines[i] for i in keep])
        return write_bytes_atomic(out / name, text.encode("utf-8"))

    written = [
        projects_file("projects.geojson"),
        _write_geojson(out / "zones.geojson", layers.zones, "zone", ["zone", "name_zh", "name_en"]),
        _write_geojson(
            out / "belts.geojson", layers.belts, "belt", ["belt", "name_zh", "name_en", "width_m"]
        ),
    ]
    for zone in ZONE_KEYS:
        written.append(projects_file(f"projects_zone_{zone}.geojson", p["zone"] == zone))
    belt_sets = p["belts"].astype(str).str.split(",")
    for belt in BELT_KEYS:
        mask = belt_sets.map(lambda keys, b=belt: b in keys).astype(bool)
        written.append(projects_file(f"projects_belt_{belt}.geojson", mask))
    written.append(write_bytes_atomic(out / "projects.csv", _projects_csv(p)))
    if timeline:
        written.append(_write_timeline_csv(out, layers))
    if layers.delivery is not None:
        from layers.delivery import write_delivery_csv

        written.append(write_delivery_csv(layers.delivery, out / "delivery.csv"))
    return written
