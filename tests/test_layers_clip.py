"""Roads and rivers of the district are cut to their stretch in it."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString

from geocode.model import Entity, Mention, entity_id
from gis import settings
from layers.build import layers_from_entities
from layers.zones import district_metric


def _road(name: str, line: LineString) -> Entity:
    mention = Mention(
        doc="r.txt", line=3, start=0, end=3, surface=name, name=name, type="road", year=2024,
        mode="plan", status="planned", status_cue="推进", sentence=f"推进{name}改造。",
    )
    return Entity(
        id=entity_id(name, "road"), name=name, type="road", mentions=[mention], geometry=line,
        precision="road", precision_m=300.0, geocoder="gazetteer", coord_source="test",
    )


def test_a_road_running_far_outside_is_cut_near_the_district():
    # from the middle of the district due east for about 15 km, far past its edge
    long_road = LineString([(121.40, 31.215), (121.56, 31.215)])
    inside_road = LineString([(121.40, 31.215), (121.405, 31.215)])
    layers = layers_from_entities([_road("示例长路", long_road), _road("示例短路", inside_road)])
    geoms = layers.projects.set_index("name").geometry
    metric = gpd.GeoSeries(list(geoms), index=geoms.index, crs="EPSG:4326").to_crs(
        settings.metric_crs
    )
    district = district_metric()
    reach = district.buffer(settings.line_clip_buffer_m + 1)
    assert reach.contains(metric["示例长路"])
    assert metric["示例长路"].length < gpd.GeoSeries([long_road], crs="EPSG:4326").to_crs(
        settings.metric_crs
    ).length.iloc[0] * 0.8
    assert geoms["示例短路"].equals_exact(inside_road, 1e-9)
