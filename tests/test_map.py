"""The interactive map without a browser: data blob, escaping, offline assets, saving."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from html import escape as html_escape

import pytest
from map_fixtures import XSS_EVIDENCE, XSS_NAME, synthetic_layers

from gis._errors import ExportError
from maps import offline, palette
from maps.webmap import map_data, map_from_layers, save_map


@pytest.fixture(scope="module")
def layers():
    return synthetic_layers(12)


@pytest.fixture(scope="module")
def offline_html(layers, tmp_path_factory):
    path = save_map(map_from_layers(layers, offline=True), tmp_path_factory.mktemp("m") / "map.html")
    return path.read_text(encoding="utf-8")


def _blob(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="(\w+)">(.*?)</script>', html, re.S)
    assert match, "the data blob is missing"
    assert re.search(r'planmapInit\(map_\w+, "' + match.group(1) + r'"\)', html)
    return json.loads(match.group(2))


def test_one_record_per_project_with_its_statuses(layers):
    data = map_data(layers, reference={})
    assert len(data["projects"]) == len(layers.projects)
    first = next(p for p in data["projects"] if p["n"] == "中山公园改造")
    assert first["y"] == {"2018": "planned", "2021": "started", "2023": "completed"}
    assert first["z"] == "east" and first["geom"]["type"] == "Point"
    assert data["years"][0] == 2016
    assert data["years"][1] == max(int(y) for s in layers.projects.status_by_year for y in json.loads(s))


def test_timeline_rows_keep_document_and_line(layers):
    data = map_data(layers, reference={})
    ident = layers.projects.loc[layers.projects.name == "中山公园改造", "id"].iloc[0]
    rows = data["timeline"][ident]
    assert [r[0] for r in rows] == [2018, 2021, 2023]
    assert data["docs"][rows[0][2]] == "《2018年报告》doc_2018.txt" and rows[0][3] == 10


def test_every_document_text_is_html_escaped(layers):
    data = map_data(layers, reference={})
    names = {p["n"] for p in data["projects"]}
    assert XSS_NAME not in names
    assert "&lt;img src=x onerror=alert(1)&gt;" in names
    evidences = [r[4] for rows in data["timeline"].values() for r in rows]
    assert "推进&lt;script&gt;window.__pwned=1&lt;/script&gt;“&lt;b&gt;粗体&lt;/b&gt;”建设 &amp; 完善" in evidences
    assert all("<" not in p["s"] for p in data["projects"])


def test_raw_hostile_text_never_reaches_the_page(offline_html):
    assert XSS_NAME not in offline_html
    assert "window.__pwned=1</script>" not in offline_html
    assert XSS_EVIDENCE not in offline_html


def test_blob_round_trips_through_the_page(layers, offline_html):
    data = _blob(offline_html)
    assert len(data["projects"]) == len(layers.projects)
    assert set(data["coarse"]) == set(palette.COARSE_PRECISIONS)


def test_template_syntax_in_documents_stays_text(tmp_path):
    layers = synthetic_layers(0)
    layers.timeline.loc[0, "evidence"] = "预算{{ 7*7 }}万元{% if 1 %}X{% endif %}"
    html = save_map(map_from_layers(layers, reference={}), tmp_path / "m.html").read_text("utf-8")
    evidences = [r[4] for rows in _blob(html)["timeline"].values() for r in rows]
    assert "预算{{ 7*7 }}万元{% if 1 %}X{% endif %}" in evidences


def test_offline_page_loads_nothing_from_other_hosts(offline_html):
    assert offline.external_urls(offline_html) == []
    for dropped in ("jquery", "bootstrap", "awesome-markers", "fontawesome"):
        assert dropped not in offline_html.lower()
    assert 'data-asset="leaflet@1.9.4/leaflet.js"' in offline_html
    assert 'data-asset="leaflet-groupedlayercontrol@0.6.1/leaflet.groupedlayercontrol.min.js"' in offline_html
    # the CSS images are inlined, not referenced
    assert "url(images/" not in offline_html and "data:image/png;base64," in offline_html


def test_online_page_links_pinned_cdn_copies_only(layers, tmp_path):
    html = save_map(map_from_layers(layers, reference={}), tmp_path / "m.html").read_text("utf-8")
    urls = offline.external_urls(html)
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js" in urls
    assert not [u for u in urls if "jquery" in u or "bootstrap" in u or "awesome" in u]


def test_save_map_offline_converts_an_online_map(layers, tmp_path):
    m = map_from_layers(layers, reference={})
    html = save_map(m, tmp_path / "m.html", offline=True).read_text("utf-8")
    assert offline.external_urls(html) == []
    assert "planmapInit(" in html
    assert [p.name for p in tmp_path.iterdir()] == ["m.html"]  # no temporary file left


def test_save_map_refuses_an_offline_page_with_outside_links(layers, tmp_path):
    from branca.element import Element

    m = map_from_layers(layers, offline=True, reference={})
    m.get_root().header.add_child(Element('<script src="https://example.org/x.js"></script>'))
    with pytest.raises(ExportError, match="example.org"):
        save_map(m, tmp_path / "m.html")
    assert not (tmp_path / "m.html").exists()


def test_manifests_match_the_vendored_files():
    assets = offline.vendored_assets()
    assert [(a.package, a.version) for a in assets] == [
        ("leaflet", "1.9.4"), ("leaflet-groupedlayercontrol", "0.6.1")]
    for asset in assets:
        manifest = json.loads((asset.folder / "manifest.json").read_text())
        assert manifest["registry"] == "https://registry.npmjs.org/"
        assert any(n.startswith("LICENSE") for n in manifest["files"])
        for rel, digest in manifest["files"].items():
            assert hashlib.sha256((asset.folder / rel).read_bytes()).hexdigest() == digest


def test_a_changed_vendored_file_is_caught(tmp_path):
    shutil.copytree(offline.ASSETS_FOLDER, tmp_path / "assets")
    target = tmp_path / "assets" / "leaflet-1.9.4" / "leaflet.js"
    target.write_text(target.read_text() + "\n// tampered\n")
    with pytest.raises(ExportError, match="leaflet.js"):
        offline.inline_head_html(tmp_path / "assets")


def test_missing_columns_are_all_named(layers):
    broken = synthetic_layers(0)
    broken.projects = broken.projects.drop(columns=["status_by_year", "precision"])
    with pytest.raises(ExportError, match="status_by_year.*precision|precision.*status_by_year"):
        map_from_layers(broken, reference={})


def test_bad_status_by_year_names_the_project():
    broken = synthetic_layers(0)
    broken.projects.loc[0, "status_by_year"] = "2021: started"
    with pytest.raises(ExportError, match=re.escape(repr(broken.projects.loc[0, "id"]))):
        map_data(broken, reference={})


def test_script_safe_blocks_a_closing_tag():
    assert "</script" not in offline.script_safe("a = '</script><b>';").lower()


def test_reference_layers_are_drawn_when_given(layers):
    from layers.reference import reference_layers

    data = map_data(layers, reference=reference_layers())
    assert list(data["reference"]) == ["district", "subdistricts", "metro_stations", "creek"]
    assert len(data["reference"]["subdistricts"]["features"]) == 10


def test_points_are_drawn_last_so_they_stay_clickable(layers):
    kinds = [p["geom"]["type"] for p in map_data(layers, reference={})["projects"]]
    ranks = [0 if "Polygon" in k else 1 if "Line" in k else 2 for k in kinds]
    assert ranks == sorted(ranks) and ranks[0] == 0 and ranks[-1] == 2


def test_promises_are_keyed_by_drawn_project_with_escaped_sentences(layers):
    from map_fixtures import UNLOCATED_ID, XSS_DELIVERY, XSS_PROMISE

    data = map_data(layers, reference={})
    drawn = {p["i"] for p in data["projects"]}
    table = layers.delivery
    assert set(data["delivery"]) == set(table.entity_id) - {UNLOCATED_ID}
    assert set(data["delivery"]) <= drawn
    assert data["delivery_not_drawn"] == 1
    assert data["labels"]["delivery"]["delivered"] == list(palette.DELIVERY_CLASSES["delivered"])
    park = data["delivery"][layers.projects.loc[layers.projects.name == "中山公园改造", "id"].iloc[0]]
    assert park["c"] == "delivered" and (park["py"], park["dy"], park["dn"], park["lag"], park["late"]) == (
        2018, 2018, 2023, 5, 5)
    assert park["ps"] == html_escape(XSS_PROMISE) and park["dx"] == html_escape(XSS_DELIVERY)
    assert "<" not in park["ps"] + park["dx"]
    assert data["docs"][park["pd"]] == "《2018年报告》doc_2018.txt" and park["pl"] == 10
    assert data["docs"][park["dd"]] == "《2023年报告》doc_2023.txt" and park["dl"] == 12
    due = data["delivery"][layers.projects.loc[layers.projects.name == "新泾港河道整治", "id"].iloc[0]]
    assert due["c"] == "not_yet_due" and due["dn"] is None and due["dd"] is None and due["dx"] == ""
    assert due["pe"] == "2021-2025" and due["dy"] == 2025


def test_no_delivery_table_means_no_promises_view(tmp_path):
    layers = synthetic_layers(4, delivery=False)
    data = map_data(layers, reference={})
    assert data["delivery"] is None and data["delivery_not_drawn"] == 0
    html = save_map(map_from_layers(layers, offline=True, reference={}), tmp_path / "m.html").read_text("utf-8")
    assert _blob(html)["delivery"] is None


def test_unknown_delivery_class_is_named():
    layers = synthetic_layers(0)
    layers.delivery.loc[0, "delivery_class"] = "forgotten"
    with pytest.raises(ExportError, match="'forgotten'"):
        map_data(layers, reference={})


def test_line_parts_outside_the_district_are_split_off(layers):
    from shapely.geometry import LineString, shape

    from layers.reference import reference_layers

    reference = reference_layers()
    district = reference["district"].union_all()
    crossing = synthetic_layers(0)
    row = crossing.projects.name == "新泾港河道整治"
    west = district.bounds[0]
    lat = district.representative_point().y
    crossing.projects.loc[row, "geometry"] = LineString([(west - 0.03, lat), (west + 0.04, lat)])
    rec = next(p for p in map_data(crossing, reference=reference)["projects"] if p["n"] == "新泾港河道整治")
    inside, outside = shape(rec["geom"]), shape(rec["go"])
    assert inside.length > 0 and outside.length > 0.02
    assert district.buffer(0.002).contains(inside)
    assert not any("go" in p for p in map_data(crossing, reference={})["projects"])


def test_coarse_outlines_drawn_twice_share_a_key():
    layers = synthetic_layers(0)
    area = layers.zones.loc[layers.zones.zone == "west", "geometry"].iloc[0]
    for name in ("临空园区六期", "天山路街道片区更新"):
        row = layers.projects.name == name
        layers.projects.loc[row, "geometry"] = area
        layers.projects.loc[row, "precision"] = "area"
    recs = [p for p in map_data(layers, reference={})["projects"] if "k" in p]
    assert sorted(p["n"] for p in recs) == ["临空园区六期", "天山路街道片区更新"]
    assert recs[0]["k"] == recs[1]["k"]


@pytest.mark.parametrize("offline_map", [False, True])
def test_the_same_map_gives_the_same_page(layers, tmp_path, offline_map):
    # branca names elements after random bytes: two builds of one map must still agree
    a = save_map(map_from_layers(layers, offline=offline_map), tmp_path / "a.html")
    b = save_map(map_from_layers(layers, offline=offline_map), tmp_path / "b.html")
    page = a.read_text(encoding="utf-8")
    assert a.read_bytes() == b.read_bytes()
    assert re.search(r'planmapInit\(map_[0-9a-f]{32}, "', page)
