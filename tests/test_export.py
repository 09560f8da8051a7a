"""layers.export: every export read back; byte-stable re-runs; atomic writes; QML."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import fiona
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import LinearRing
from test_layers_build import sample_entities

from gis._errors import ExportError
from layers import export as export_mod
from layers.build import layers_from_entities
from layers.export import GPKG_NAME, gpkg_layer_names, save_layers
from layers.model import PROJECT_COLUMNS
from layers.styles import LAYER_KINDS, qml_for_layer
from maps.palette import BELTS, STATUSES, ZONES

DOCS = [
    {
        "name": "plan.txt",
        "title": "长宁区规划<草案>&附件",
        "date": "2021-01-20",
        "kind": "five_year_plan",
    }
]


@pytest.fixture(scope="module")
def layers():
    return layers_from_entities(sample_entities(), documents=DOCS)


@pytest.fixture(scope="module")
def outputs(layers, tmp_path_factory):
    first = tmp_path_factory.mktemp("run1")
    second = tmp_path_factory.mktemp("run2")
    return first, save_layers(layers, first), second, save_layers(layers, second)


def test_files_written_with_fixed_names(outputs):
    first, files, _, _ = outputs
    names = [p.name for p in files]
    assert names[:3] == ["projects.geojson", "zones.geojson", "belts.geojson"]
    assert {
        "projects_zone_east.geojson",
        "projects_belt_line2.geojson",
        "projects.csv",
        GPKG_NAME,
    } <= set(names)
    assert all(p.parent == first and p.exists() for p in files)
    # nothing left behind by the atomic writer
    assert sorted(p.name for p in first.iterdir()) == sorted(names)


def test_reruns_are_byte_identical(outputs):
    _, files1, _, files2 = outputs
    for a, b in zip(files1, files2, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_projects_geojson_reads_back(outputs, layers):
    first = outputs[0]
    back = gpd.read_file(first / "projects.geojson", engine="fiona")
    assert back.crs.to_epsg() == 4326
    expected = layers.projects.sort_values("id").reset_index(drop=True)
    assert list(back["id"]) == list(expected["id"])
    assert list(back["name"]) == list(expected["name"])
    assert "中山公园" in set(back["name"])
    for col in ("zone", "zone_stated", "belts", "belts_stated", "status_by_year", "docs"):
        assert list(back[col].fillna("")) == list(expected[col]), col
    assert list(back["zone_conflict"].astype(bool)) == list(expected["zone_conflict"])
    for got, want in zip(back.geometry, expected.geometry, strict=True):
        assert got.equals_exact(want, tolerance=1e-7)


def test_geojson_is_rfc7946(outputs):
    first = outputs[0]
    for path in first.glob("*.geojson"):
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        assert "crs" not in data and data["type"] == "FeatureCollection"
        ids = [f["id"] for f in data["features"]]
        assert ids == sorted(ids), path.name
        for feature in data["features"]:
            assert list(feature) == ["type", "id", "properties", "geometry"]
            geom = feature["geometry"]
            polys = {"Polygon": [geom["coordinates"]], "MultiPolygon": geom["coordinates"]}.get(
                geom["type"], []
            )
            for rings in polys:
                assert LinearRing(rings[0]).is_ccw, path.name
                assert all(not LinearRing(r).is_ccw for r in rings[1:]), path.name
            for value in _flatten(geom.get("coordinates", [])):
                assert round(value, 7) == value
    assert "静安寺商圈" in (first / "projects.geojson").read_text(
        encoding="utf-8"
    )  # not \\u-escaped


def _flatten(coords):
    if isinstance(coords, (int, float)):
        yield coords
    else:
        for c in coords:
            yield from _flatten(c)


def test_zone_and_belt_files(outputs, layers):
    first = outputs[0]
    zones = gpd.read_file(first / "zones.geojson", engine="fiona")
    assert sorted(zones["zone"]) == ["central", "east", "west"]
    assert set(zones["name_zh"]) == {v[0] for v in ZONES.values()}
    belts = gpd.read_file(first / "belts.geojson", engine="fiona")
    assert sorted(belts["belt"]) == sorted(BELTS)
    east = gpd.read_file(first / "projects_zone_east.geojson", engine="fiona")
    p = layers.projects
    assert sorted(east["id"]) == sorted(p.loc[p["zone"] == "east", "id"])
    yh = gpd.read_file(first / "projects_belt_yanan_hongqiao.geojson", engine="fiona")
    assert "新华路" in set(yh["name"])
    assert all("yanan_hongqiao" in b.split(",") for b in yh["belts"])


def test_gpkg_layers_read_back(outputs, layers):
    path = outputs[0] / GPKG_NAME
    assert fiona.listlayers(path)[: len(gpkg_layer_names())] == gpkg_layer_names()
    pts = gpd.read_file(path, layer="projects", engine="fiona")
    assert pts.crs.to_epsg() == 4326
    assert sorted(pts["id"]) == sorted(layers.projects["id"])
    assert set(pts.geom_type) == {"Point"}
    assert "宜家荟聚购物中心" in set(pts["name"])
    lines = gpd.read_file(path, layer="project_lines", engine="fiona")
    assert sorted(lines["name"]) == ["新华路", "苏州河"]
    areas = gpd.read_file(path, layer="project_areas", engine="fiona")
    assert list(areas["name"]) == ["天山路680弄"]
    zones = gpd.read_file(path, layer="zones", engine="fiona")
    assert sorted(zones["zone"]) == ["central", "east", "west"] and zones.crs.to_epsg() == 4326
    timeline = gpd.read_file(path, layer="timeline", engine="fiona")
    assert len(timeline) == len(layers.timeline)
    assert set(timeline["evidence"]) == set(layers.timeline["evidence"])
    docs = gpd.read_file(path, layer="documents", engine="fiona")
    assert list(docs["title"]) == ["长宁区规划<草案>&附件"]


def test_gpkg_layer_styles_table(outputs):
    con = sqlite3.connect(outputs[0] / GPKG_NAME)
    try:
        rows = con.execute(
            "SELECT f_table_name, f_geometry_column, styleQML, useAsDefault FROM layer_styles"
        ).fetchall()
        contents = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
        cols = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
    finally:
        con.close()
    assert contents["layer_styles"] == "attributes"
    assert contents["timeline"] == "attributes"
    for col in (
        "f_table_catalog",
        "f_table_schema",
        "f_table_name",
        "f_geometry_column",
        "styleName",
        "styleQML",
        "styleSLD",
        "useAsDefault",
        "description",
        "owner",
        "ui",
        "update_time",
    ):
        assert col in cols
    assert sorted(r[0] for r in rows) == sorted(gpkg_layer_names())
    for name, geom_col, qml, default in rows:
        assert default == 1
        assert geom_col == ("" if name in ("timeline", "documents") else "geom")
        ET.fromstring(qml.split("\n", 1)[1])  # well-formed after the DOCTYPE line


def test_csv_with_bom_and_wkt(outputs, layers):
    raw = (outputs[0] / "projects.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(outputs[0] / "projects.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(df.columns) == [*PROJECT_COLUMNS, "wkt"]
    expected = layers.projects.set_index("id")
    for _, row in df.iterrows():
        assert shapely.from_wkt(row["wkt"]).equals_exact(
            expected.loc[row["id"]].geometry, tolerance=1e-7
        )
    assert "临空12号地块" in set(df["name"])
    tl = pd.read_csv(outputs[0] / "timeline.csv", encoding="utf-8-sig")
    assert len(tl) == len(layers.timeline)


def test_crash_leaves_previous_gpkg_whole(layers, tmp_path, monkeypatch):
    save_layers(layers, tmp_path)
    before = (tmp_path / GPKG_NAME).read_bytes()
    geo_before = (tmp_path / "projects.geojson").read_bytes()

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error (simulated)")

    monkeypatch.setattr(export_mod, "_add_styles", broken)
    smaller = layers_from_entities(sample_entities()[:2])
    with pytest.raises(ExportError, match="planmap.gpkg"):
        save_layers(smaller, tmp_path)
    assert (tmp_path / GPKG_NAME).read_bytes() == before
    assert (
        tmp_path / "projects.geojson"
    ).read_bytes() != geo_before  # written before the crash, whole
    json.loads((tmp_path / "projects.geojson").read_text(encoding="utf-8"))
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_ids_stable_across_input_order(layers, tmp_path):
    shuffled = list(reversed(sample_entities()))
    save_layers(layers_from_entities(shuffled, documents=DOCS), tmp_path / "a")
    save_layers(layers, tmp_path / "b")
    for name in ("projects.geojson", "projects.csv", GPKG_NAME):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


@pytest.mark.parametrize("kind", sorted(LAYER_KINDS))
def test_qml_well_formed_and_uses_palette(kind):
    qml = qml_for_layer(kind, ["id", "name", "status_latest"])
    root = ET.fromstring(qml.split("\n", 1)[1])
    assert root.tag == "qgis"
    aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
    assert aliases["name"] == "名称"
    if kind.startswith("project"):
        values = {c.get("value"): c.get("label") for c in root.iter("category")}
        assert values == {k: f"{zh} {en}" for k, (zh, en, _) in STATUSES.items()}
        r, g, b = (int(STATUSES["completed"][2][i : i + 2], 16) for i in (1, 3, 5))
        assert f"{r},{g},{b}," in qml
    if kind == "belts":
        assert {c.get("value") for c in root.iter("category")} == set(BELTS)


def test_qml_unknown_kind():
    with pytest.raises(ValueError, match="unknown layer kind 'roads'"):
        qml_for_layer("roads")


def test_qml_escapes_field_names():
    qml = qml_for_layer("timeline", ['a"<b>&'])
    root = ET.fromstring(qml.split("\n", 1)[1])
    assert [a.get("field") for a in root.iter("alias")] == ['a"<b>&']


def test_output_name_never_from_text(outputs, tmp_path):
    evil = sample_entities()[:1]
    evil[0].name = "../../etc/passwd"
    written = save_layers(layers_from_entities(evil), tmp_path)
    assert all(Path(p).parent == tmp_path for p in written)
    assert {p.name for p in written} == {p.name for p in outputs[1]}
