"""Speed of offline geocoding of every seed entity (target: under a second).

Run: ``python bench/geocode_speed.py``. Mentions are extracted first (not timed); then
``resolve_entities`` is timed with the gazetteer already loaded and, separately, the
gazetteer load itself. Also prints how the seed entities were placed and a position check
of the gazetteer's metro stations against the independent OSM station nodes.
"""

from __future__ import annotations

import collections
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import geopandas as gpd  # noqa: E402
from pyproj import Geod  # noqa: E402

from geocode.gazetteer import _read_bundled, load_gazetteer  # noqa: E402
from geocode.recognise import extract_mentions  # noqa: E402
from geocode.resolve import resolve_entities  # noqa: E402
from gis.reading import read_document  # noqa: E402


def main() -> int:
    mentions = []
    for path in sorted((REPO / "seeds").glob("*.txt")):
        mentions.extend(extract_mentions(read_document(path)))
    _read_bundled.cache_clear()
    t0 = time.perf_counter()
    gaz = load_gazetteer()
    t_load = time.perf_counter() - t0
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        entities = resolve_entities(mentions, gazetteer=gaz)
        runs.append(time.perf_counter() - t0)
    in_cn = [e for e in entities if e.in_changning]
    placed = [e for e in in_cn if e.geometry is not None]
    print(f"mentions {len(mentions)}, entities {len(entities)}, in 长宁 {len(in_cn)}")
    print(f"gazetteer load (cold, {len(gaz)} rows): {t_load:.3f} s")
    print(f"resolve_entities: best {min(runs):.3f} s, worst {max(runs):.3f} s (target < 1 s)")
    print(f"in-district entities with geometry: {len(placed)}/{len(in_cn)} = {len(placed) / max(1, len(in_cn)):.1%}")
    not_district = [e for e in placed if e.gazetteer_id is None or gaz.set_index("id").loc[e.gazetteer_id, "name"] != "长宁区"]
    print(f"  … placed more precisely than 'somewhere in 长宁区': {len(not_district)}/{len(in_cn)}")
    print("by geocoder and precision:", dict(collections.Counter((e.geocoder, e.precision) for e in entities)))

    # independent position check: shmetro stations in the gazetteer vs OSM station nodes
    osm = gpd.read_file(REPO.parent / "shared" / "data" / "metro_stations_osm.geojson")
    geod = Geod(ellps="WGS84")
    rows = gaz.set_index("name")
    errs, within = [], 0
    for r in osm.itertuples():
        name = f"{r.name}站"
        if name not in rows.index:
            continue
        g = rows.loc[name]
        d = geod.inv(g.geometry.x, g.geometry.y, r.geometry.x, r.geometry.y)[2]
        errs.append(d)
        within += d <= g.precision_m
    if errs:
        print(f"stations vs OSM nodes: n={len(errs)} median {statistics.median(errs):.0f} m, "
              f"within stated precision {within}/{len(errs)}")
    return 0 if min(runs) < 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
