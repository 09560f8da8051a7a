"""The bundled gazetteer, name_index and user gazetteers (CSV, GeoJSON, GeoPackage)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geocode.gazetteer import GAZETTEER_COLUMNS, load_gazetteer, name_index, read_user_gazetteer
from geocode.model import TYPES
from gis._errors import GazetteerError


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


@pytest.fixture(scope="module")
def district(gaz):
    return gaz.loc[gaz["name"] == "长宁区", "geometry"].iloc[0]


def test_bundled_schema(gaz):
    assert list(gaz.columns) == list(GAZETTEER_COLUMNS)
    assert gaz.crs.to_epsg() == 4326
    assert gaz["id"].is_unique
    assert set(gaz["type"]) <= set(TYPES)
    assert (gaz["source"].str.len() > 0).all()
    assert (gaz["precision_m"] > 0).all()
    assert gaz.geometry.is_valid.all()


def test_estimates_are_never_precise(gaz):
    est = gaz[gaz["source"] == "estimate"]
    assert len(est) > 0
    assert (est["precision_m"] >= 300).all()


def test_in_district_points_fall_inside_the_district(gaz, district):
    pts = gaz[(gaz.geometry.geom_type == "Point") & gaz["in_changning"]]
    outside = pts[~pts.geometry.within(district.buffer(0.003))]  # ~300 m edge tolerance
    assert outside.empty, outside[["name", "source"]].to_string()


def test_out_of_district_rows_are_flagged(gaz, district):
    pudong = gaz[gaz["name"] == "上海浦东国际机场"].iloc[0]
    assert not pudong["in_changning"]
    assert not district.contains(pudong.geometry)


def test_geometry_kinds(gaz):
    kinds = dict(zip(gaz["name"], gaz.geometry.geom_type, strict=True))
    assert kinds["程家桥街道"] in {"Polygon", "MultiPolygon"}
    assert kinds["苏州河"] in {"LineString", "MultiLineString"}
    assert kinds["轨道交通2号线"] in {"LineString", "MultiLineString"}
    assert kinds["娄山关路站"] == "Point"


def test_name_index_maps_aliases_to_canonical_rows(gaz):
    ix = name_index(gaz)
    assert ix["苏河"].name == "苏州河" and ix["吴淞江"].name == "苏州河"
    assert ix["华政"].name == "华东政法大学长宁校区"
    assert ix["虹桥机场"].name == "上海虹桥国际机场"
    assert ix["华阳街道"].name == "华阳路街道"
    # the bare road name stays a road
    assert ix["华阳路"].type == "road"
    assert ix["上海浦东国际机场"].in_changning is False
    row_ids = set(gaz["id"])
    assert all(v.id in row_ids for v in ix.values())


# ----------------------------------------------------------------------------- user files
def write_csv(tmp_path, text, name="user.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_user_csv_adds_and_overrides(tmp_path, gaz):
    p = write_csv(tmp_path, "name,lon,lat,type,precision_m\n"
                  "测试花园,121.40,31.21,park,50\n"
                  "中山公园,121.4150,31.2230,park,30\n")
    merged = load_gazetteer(extra=p)
    assert len(merged) == len(gaz) + 1
    zs = merged[merged["name"] == "中山公园"]
    assert len(zs) == 1 and zs["source"].iloc[0] == "user"
    assert zs.geometry.iloc[0].equals(Point(121.415, 31.223))
    assert name_index(merged)["测试花园"].type == "park"


def test_user_wkt_csv(tmp_path):
    p = write_csv(tmp_path, 'name,wkt\n测试路,"LINESTRING (121.40 31.21, 121.41 31.22)"\n')
    user = read_user_gazetteer(p)
    assert user.geometry.iloc[0].geom_type == "LineString"
    assert user["precision_m"].iloc[0] > 0


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_user_geojson_and_geopackage(tmp_path, suffix):
    gdf = gpd.GeoDataFrame({"name": ["测试广场"], "type": ["venue"]},
                           geometry=[Point(121.38, 31.20)], crs="EPSG:4326")
    p = tmp_path / f"user{suffix}"
    gdf.to_file(p, engine="fiona")
    user = read_user_gazetteer(p)
    assert user["name"].tolist() == ["测试广场"]
    assert user.geometry.iloc[0].equals(Point(121.38, 31.20))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (",121.40,31.21\n", r"row 1: no name"),
        ("甲,121.40,31.21\n乙,abc,31.2\n", r"row 2: lon/lat"),
        ("甲,31.21,121.40\n", r"row 1 .*swapped"),
        ("甲,2.35,48.85\n", r"row 1 .*outside China"),
    ],
)
def test_bad_user_rows_name_the_row(tmp_path, body, expected):
    p = write_csv(tmp_path, "name,lon,lat\n" + body)
    with pytest.raises(GazetteerError, match=expected):
        read_user_gazetteer(p)


def test_invalid_wkt_and_bad_type(tmp_path):
    p = write_csv(tmp_path, 'name,wkt,type\n甲,"POINT (121.4",park\n乙,"POINT (121.4 31.2)",castle\n')
    with pytest.raises(GazetteerError) as err:
        read_user_gazetteer(p)
    msg = str(err.value)
    assert "row 1" in msg and "invalid WKT" in msg
    assert "row 2" in msg and "'castle'" in msg


def test_missing_columns_and_files(tmp_path):
    with pytest.raises(GazetteerError, match="no 'name' column"):
        read_user_gazetteer(write_csv(tmp_path, "title,lon,lat\n甲,121.4,31.2\n"))
    with pytest.raises(GazetteerError, match="'lon' and 'lat'"):
        read_user_gazetteer(write_csv(tmp_path, "name,x\n甲,1\n", "b.csv"))
    with pytest.raises(GazetteerError, match="does not exist"):
        read_user_gazetteer(tmp_path / "nope.csv")
    with pytest.raises(GazetteerError, match="not found"):
        load_gazetteer(tmp_path / "nope.csv")


def test_names_read_without_pandas_are_the_name_index(gaz, tmp_path):
    from geocode.gazetteer_names import read_name_index
    from gis import settings

    assert read_name_index(settings.gazetteer_path) == name_index(gaz)
    # ties: a shared name goes to the row in Changning, then the first; canonical names win
    # over aliases; an alias goes to the first row naming it; quoted fields and blank aliases
    header = ",".join(GAZETTEER_COLUMNS)
    rows = [
        'a1,甲公园,乙公园|丙路,park,false,10,s,WGS84,"note, with comma",POINT (121.4 31.2)',
        "a2,甲公园,,park,true,10,s,WGS84,,POINT (121.41 31.2)",
        "a3,乙公园,,park,no,10,s,WGS84,,POINT (121.42 31.2)",
        'a4,丁街,丙路| 戊 ,road,TRUE,10,s,WGS84,,"LINESTRING (121.4 31.2, 121.5 31.2)"',
    ]
    path = tmp_path / "g.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    fast = read_name_index(path)
    assert fast == name_index(load_gazetteer(path))
    assert fast["甲公园"].id == "a2" and fast["乙公园"].id == "a3"
    assert fast["丙路"].id == "a1" and fast["戊"].id == "a4" and fast["丁街"].in_changning


def test_names_of_a_broken_gazetteer_raise_gazetteer_error(tmp_path):
    from geocode.gazetteer_names import read_name_index

    with pytest.raises(GazetteerError, match="lacks columns"):
        path = tmp_path / "bad.csv"
        path.write_text("id,name\nx,甲\n", encoding="utf-8")
        read_name_index(path)
    with pytest.raises(GazetteerError, match="cannot read"):
        read_name_index(tmp_path / "missing.csv")
    with pytest.raises(GazetteerError, match="cannot read"):
        path = tmp_path / "binary.csv"
        path.write_bytes(b"\xff\xfe\x00id,name\n")
        read_name_index(path)


def test_extracting_a_document_needs_neither_pandas_nor_geopandas(tmp_path):
    # the changed document of a warm rebuild is extracted in a worker on the build's longest
    # path: importing the numerical stack there cost it a third of a second
    import subprocess
    import sys

    doc = tmp_path / "doc.txt"
    doc.write_text("长宁区2023年政府工作报告\n（2023年1月4日）\n推进中山公园改造，新建天山公园。\n",
                   encoding="utf-8")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from gis.pipeline import _extract_one\n"
        f"result = _extract_one(Path({str(doc)!r}))\n"
        "assert not result['record'].get('skipped'), result['record']\n"
        "assert 'pandas' not in sys.modules and 'geopandas' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
