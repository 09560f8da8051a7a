"""Open planmap.gpkg in real QGIS (Debian python3-qgis, headless, system Python)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from test_layers_build import sample_entities

from layers.build import layers_from_entities
from layers.export import GPKG_NAME, gpkg_layer_names, save_layers
from maps.palette import BELTS, STATUSES, ZONES

pytestmark = pytest.mark.qgis

SYSTEM_PYTHON = "/usr/bin/python3"
CHECK = Path(__file__).with_name("qgis_check.py")


def _qgis_available() -> str | None:
    if not os.path.exists(SYSTEM_PYTHON):
        return f"{SYSTEM_PYTHON} does not exist"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import qgis.core"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    if probe.returncode != 0:
        return f"{SYSTEM_PYTHON} cannot import qgis (apt-get install python3-qgis): {probe.stderr.strip()[-200:]}"
    return None


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    reason = _qgis_available()
    if reason:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("qgis")
    layers = layers_from_entities(
        sample_entities(),
        documents=[
            {"name": "plan.txt", "title": "规划", "date": "2021-01-20", "kind": "five_year_plan"}
        ],
    )
    save_layers(layers, out)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    proc = subprocess.run(
        [SYSTEM_PYTHON, str(CHECK), str(out / GPKG_NAME)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=out,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout), layers


def test_every_layer_valid_with_count_and_crs(report):
    result, layers = report
    p = layers.projects
    dims = [int(g.geom_type in ("LineString", "MultiLineString")) for g in p.geometry]
    areas = sum(g.geom_type in ("Polygon", "MultiPolygon") for g in p.geometry)
    expected = {
        "projects": len(p),
        "project_lines": sum(dims),
        "project_areas": areas,
        "zones": 3,
        "belts": 3,
        "belt_centrelines": 3,
        "timeline": len(layers.timeline),
        "documents": 1,
    }
    assert sorted(result) == sorted(gpkg_layer_names())
    for name, info in result.items():
        assert info["valid"], name
        assert info["feature_count"] == expected[name], name
        if name in ("timeline", "documents"):
            assert info["crs"] is None
        else:
            assert info["crs"] == "EPSG:4326", name


def test_default_styles_loaded(report):
    result, _ = report
    for name, info in result.items():
        assert info["styles_in_db"] == [f"planmap {name}"], name
        assert info["default_style_loaded"], name
    assert result["projects"]["aliases"]["name"] == "名称"
    assert result["timeline"]["aliases"]["evidence"] == "原文"


def test_styles_use_palette(report):
    result, _ = report
    projects = result["projects"]
    assert projects["renderer"] == "categorizedSymbol"
    assert projects["class_attribute"] == "status_latest"
    assert projects["labels_enabled"] and projects["label_field"] == "name"
    for key, (zh, _en, colour) in STATUSES.items():
        assert projects["categories"][key]["colour"] == colour
        assert projects["categories"][key]["label"].startswith(zh)
    zones = result["zones"]
    assert {k: v["colour"] for k, v in zones["categories"].items()} == {
        k: v[2] for k, v in ZONES.items()
    }
    belts = result["belts"]
    assert {k: v["stroke"] for k, v in belts["categories"].items()} == {
        k: v[2] for k, v in BELTS.items()
    }
