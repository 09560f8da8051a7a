"""layers.zones: zone polygons tile the district; belts follow settings; mapping is data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import shapely

from gis import settings
from gis._errors import PlanmapError
from layers.reference import read_reference
from layers.zones import (
    BELT_KEYS,
    belt_centrelines,
    belt_layer,
    district_metric,
    read_zone_mapping,
    zone_layer,
    zones_metric,
)
from maps.palette import BELTS, ZONES


def test_zone_layer_schema():
    z = zone_layer()
    assert list(z.columns) == ["zone", "name_zh", "name_en", "geometry"]
    assert list(z["zone"]) == ["east", "central", "west"]
    assert list(z["name_zh"]) == [ZONES[k][0] for k in ("east", "central", "west")]
    assert z.crs.to_epsg() == 4326
    assert z.is_valid.all() and set(z.geom_type) <= {"Polygon", "MultiPolygon"}


def test_zones_tile_the_district():
    zones = zones_metric()
    district = district_metric()
    union = shapely.union_all(list(zones.values()))
    assert union.symmetric_difference(district).area < 1.0  # m²
    keys = list(zones)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            assert zones[a].intersection(zones[b]).area < 1.0, (a, b)


def test_every_subdistrict_lies_in_its_mapped_zone():
    mapping = read_zone_mapping()
    subs = read_reference("subdistricts").to_crs(settings.metric_crs)
    zones = zones_metric()
    assert len(mapping) == 10 and set(mapping.values()) == {"east", "central", "west"}
    for code, geom in zip(subs["township_code"].astype(str), subs.geometry, strict=True):
        inside = geom.intersection(zones[mapping[code]]).area / geom.area
        assert inside > 0.9, code
    by_name = dict(zip(subs["name"], subs["township_code"].astype(str), strict=True))
    assert mapping[by_name["新泾镇"]] == "west"
    assert mapping[by_name["华阳路街道"]] == "east"
    assert mapping[by_name["虹桥街道"]] == "central"


def test_belt_layer_schema_and_widths():
    b = belt_layer()
    assert list(b.columns) == ["belt", "name_zh", "name_en", "width_m", "geometry"]
    assert list(b["belt"]) == list(BELT_KEYS)
    assert list(b["name_zh"]) == [BELTS[k][0] for k in BELT_KEYS]
    assert list(b["width_m"]) == [settings.belt_buffer_m[k] for k in BELT_KEYS]
    district = district_metric()
    for geom in b.to_crs(settings.metric_crs).geometry:
        assert geom.area > 1e6  # each belt covers over 1 km²
        assert geom.difference(district).area < 1.0


def test_belts_follow_their_centre_lines():
    lines = belt_centrelines().to_crs(settings.metric_crs).set_index("belt").geometry
    belts = belt_layer().to_crs(settings.metric_crs).set_index("belt")
    for key in BELT_KEYS:
        assert lines[key].length > 3000, key
        # the belt reaches its half-width from its centre line, not more; the only
        # exceptions lie near the district edge, where the drawn line is clipped
        width = belts.loc[key, "width_m"]
        far = belts.loc[key].geometry.difference(lines[key].buffer(width + 1))
        edge_band = district_metric().boundary.buffer(width + 101)
        assert far.difference(edge_band).area < 1.0, key
        assert (
            belts.loc[key].geometry.intersection(lines[key].buffer(width)).area
            > 0.8 * belts.loc[key].geometry.area
        )


def test_belt_width_setting_is_used(monkeypatch):
    base = belt_layer().to_crs(settings.metric_crs).set_index("belt").geometry["line2"].area
    monkeypatch.setitem(settings.belt_buffer_m, "line2", 300.0)
    narrow = belt_layer()
    assert narrow.set_index("belt")["width_m"]["line2"] == 300.0
    assert narrow.to_crs(settings.metric_crs).set_index("belt").geometry["line2"].area < 0.7 * base


def test_line2_belt_holds_line2_stations():
    stations = read_reference("metro_stations")
    belt = belt_layer().set_index("belt").geometry["line2"]
    for name in ("中山公园", "娄山关路", "威宁路", "北新泾", "淞虹路"):
        point = stations.loc[stations["name"] == name].geometry.iloc[0]
        assert belt.contains(point), name


def test_bad_mapping_raises(tmp_path):
    for f in settings.reference_data_folder.iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    text = (tmp_path / "zone_mapping.csv").read_text(encoding="utf-8")
    (tmp_path / "zone_mapping.csv").write_text(
        text.replace(",west,", ",north,", 1), encoding="utf-8"
    )
    with pytest.raises(PlanmapError, match="'north'"):
        read_zone_mapping(tmp_path)


def test_belts_stored_on_disk_are_the_computed_ones(tmp_path, monkeypatch):
    """The buffered belts are kept in the cache folder; read back, they are the same
    polygons coordinate for coordinate; a stored file cut short is computed again."""
    from layers import zones

    monkeypatch.setattr(settings, "cache_folder", tmp_path)
    # not the shipped structure: the belts are computed, then kept in the cache folder
    monkeypatch.setattr(zones, "SHIPPED_STRUCTURE", tmp_path / "none.wkb")
    zones._shipped.cache_clear()
    folder, widths = str(zones._folder(None)), zones._widths()
    zones._belts_metric.cache_clear()
    computed = zones._belts_metric(folder, widths)
    stored = list((tmp_path / "belts").glob("*.wkb"))
    assert len(stored) == 1
    zones._belts_metric.cache_clear()
    again = zones._belts_metric(folder, widths)
    assert {k: shapely.to_wkb(g) for k, g in again.items()} == {
        k: shapely.to_wkb(g) for k, g in computed.items()}
    stored[0].write_bytes(stored[0].read_bytes()[:-10])
    zones._belts_metric.cache_clear()
    assert {k: shapely.to_wkb(g) for k, g in zones._belts_metric(folder, widths).items()} == {
        k: shapely.to_wkb(g) for k, g in computed.items()}
    zones._belts_metric.cache_clear()
    zones._shipped.cache_clear()


def _wkb(geometries):
    return [shapely.to_wkb(g) for g in geometries]


def _copy_data(target):
    target.mkdir()
    for f in settings.reference_data_folder.iterdir():
        if f.is_file():
            shutil.copy(f, target / f.name)
    return target


def test_shipped_structure_is_current_and_the_computed_one():
    """layers/data/derived/structure.wkb holds the key of the data and code at hand (else
    run scripts/build_structure.py) and, with the libraries it was made with, coordinate
    for coordinate what they compute; with other library versions it is not used."""
    from layers import zones

    folder = str(zones._folder(None))
    data = zones.SHIPPED_STRUCTURE.read_bytes()
    shipped, key = zones._unpack_structure(data)
    made_with = zones.shipped_libraries(data)
    assert made_with, "the file names the library versions it was made with"
    assert key == zones._structure_key(folder, made_with), "run scripts/build_structure.py"
    assert shipped.widths == zones._widths()
    zones._shipped.cache_clear()
    used = zones._shipped(folder)
    if made_with == zones._library_versions():
        assert _wkb(shipped.geometries()) == _wkb(zones.computed_structure().geometries())
        assert used is not None and _wkb(used.geometries()) == _wkb(shipped.geometries())
    else:  # other GEOS/PROJ/GDAL versions may buffer or project a little differently
        assert used is None


def test_shipped_structure_is_keyed_by_the_data_not_the_folder(tmp_path):
    from layers import zones

    same = _copy_data(tmp_path / "same")
    assert zones._shipped(str(same)) is not None
    changed = _copy_data(tmp_path / "changed")
    creek = changed / "suzhou_creek_proxy.geojson"
    creek.write_text(creek.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert zones._shipped(str(changed)) is None
    # computed from the changed folder: the same polygons (only white space was added)
    assert _wkb(zones.belts_metric(changed).values()) == _wkb(zones.belts_metric().values())
    assert _wkb(zones.zones_metric(changed).values()) == _wkb(zones.zones_metric().values())


def test_shipped_structure_is_refused_under_other_library_versions(monkeypatch):
    from layers import zones

    folder = str(zones._folder(None))
    made_with = zones.shipped_libraries(zones.SHIPPED_STRUCTURE.read_bytes())
    monkeypatch.setattr(zones, "_library_versions", lambda: made_with)
    zones._shipped.cache_clear()
    assert zones._shipped(folder) is not None  # the libraries it was made with
    monkeypatch.setattr(zones, "_library_versions", lambda: (*made_with[:-1], "0.0.0"))
    zones._shipped.cache_clear()
    try:
        assert zones._shipped(folder) is None
    finally:
        zones._shipped.cache_clear()


def test_key_covers_the_code_and_the_crs(monkeypatch):
    from layers import zones

    folder = str(zones._folder(None))
    key = zones._structure_key(folder)
    monkeypatch.setattr(settings, "metric_crs", "EPSG:32650")
    assert zones._structure_key(folder) != key
    monkeypatch.undo()
    real = Path.read_bytes

    def edited(path):
        data = real(path)
        return data + b"# edited\n" if path.name == "zones.py" else data

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert zones._structure_key(folder) != key


def test_broken_shipped_structure_is_not_used(tmp_path, monkeypatch):
    from layers import zones

    data = zones.SHIPPED_STRUCTURE.read_bytes()
    broken = tmp_path / "structure.wkb"
    monkeypatch.setattr(zones, "SHIPPED_STRUCTURE", broken)
    for bad in (data[:-40], b"something else", data.replace(b"planmap-structure-1", b"x", 1)):
        broken.write_bytes(bad)
        zones._shipped.cache_clear()
        assert zones._shipped(str(zones._folder(None))) is None
    zones._shipped.cache_clear()
