"""Self-check of the curated and estimated gazetteer rows against the real data.

Run: ``python bench/gazetteer_check.py [--strict]``.

For every row that comes from ``geocode/data/sources/curated_places.csv`` or whose source
is ``estimate``, the script measures the distance from the row's representative point to
each piece of *supporting evidence* that exists in the reference data:

- ``station``: the metro station of the same name (``中山公园`` → ``中山公园站``), found
  automatically, or named in the curated row's ``evidence`` column (``station:X站``);
- ``address:ROAD N号``: the site's street address, placed on the Amap-geocoded address
  points the way ``scripts/build_gazetteer.py`` places ``number:`` anchors;
- ``road:NAME``: a road the site is known to lie on (its gazetteer geometry);
- ``within:NAME``: a subdistrict (or the district) the site lies in;
- ``near:NAME:M``: another row the site lies within ``M`` metres of;
- the **first street address in the row's note** (``延安西路1731号 (https://…)``): a row
  whose note gives its address must lie where that address is placed on the data, within
  its precision (added automatically as ``address:`` evidence; later addresses in a note are
  other places it is compared with and are not checked);
- a few OSM rows are checked against their published address (``EXTRA_EVIDENCE``), a test
  of the address machinery itself.

A row is **flagged** when its stated ``precision_m`` is smaller than that evidence allows:
the evidence puts the place farther from the row's point than ``precision_m`` plus the
evidence's own tolerance (address: its uncertainty; road: ``ROAD_TOLERANCE_M``; station:
``STATION_TOLERANCE_M``; within: 0; near: ``M``). Every in-district row is also checked
against the district outline. The exit status is 1 with ``--strict`` when a row is flagged.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from geocode.gazetteer import load_gazetteer  # noqa: E402

log = logging.getLogger("gazetteer_check")

CURATED = REPO / "geocode" / "data" / "sources" / "curated_places.csv"
#: a place named after a metro station lies within this distance (m) of it.
STATION_TOLERANCE_M = 800.0
#: how far (m) an address-chord road may lie from the real centre line.
ROAD_TOLERANCE_M = 150.0

#: evidence for rows that are not curated: an OSM outline against its published address.
EXTRA_EVIDENCE = {
    # 虹桥路2381号: https://mdkpw.com/baike/3n3j6v.html
    "上海动物园": "address:虹桥路2381号",
}
#: a house number in a note: the road is the longest known road name ending right before it.
_NOTE_NUMBER = re.compile(r"(\d+)(?:-\d+)?(号|弄)")

_TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:32651", always_xy=True)


def note_address(note: str, roads: set[str]) -> str | None:
    """The first street address (``延安西路1731号``) in ``note`` whose road is in ``roads``.

    Parameters
    ----------
    note : str
        A gazetteer note.
    roads : set of str
        Known road names (those of the address data).

    Returns
    -------
    str or None
        ``ROAD`` + number + ``号``/``弄``, or ``None`` when the note names no such address.
    """
    for m in _NOTE_NUMBER.finditer(note or ""):
        head = note[max(0, m.start() - 8):m.start()]
        for k in range(len(head), 1, -1):
            if head[-k:] in roads:
                return f"{head[-k:]}{m.group(1)}{m.group(2)}"
    return None


def _metric(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: np.column_stack(_TO_METRIC.transform(xy[:, 0], xy[:, 1])))


def distance_m(a: BaseGeometry, b: BaseGeometry) -> float:
    """Distance in metres between two WGS84 geometries (0 when they touch).

    Parameters
    ----------
    a, b : shapely geometry
        WGS84 (lon/lat) geometries.

    Returns
    -------
    float
        Nearest distance in EPSG:32651 metres.
    """
    return float(_metric(a).distance(_metric(b)))


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_gazetteer", REPO / "scripts" / "build_gazetteer.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Finding:
    """One piece of evidence measured against one gazetteer row.

    Attributes
    ----------
    name : str
        Gazetteer row name.
    source : str
        The row's source (shortened).
    precision_m : float
        The row's stated precision.
    evidence : str
        What was measured (``station:中山公园站``, ``address:万航渡路1575号`` …).
    distance_m : float or None
        Distance from the row's point to the evidence; ``None`` when the evidence could
        not be found in the data.
    tolerance_m : float
        Uncertainty of the evidence itself.
    flagged : bool
        ``distance_m - tolerance_m > precision_m``.
    """

    name: str
    source: str
    precision_m: float
    evidence: str
    distance_m: float | None
    tolerance_m: float
    flagged: bool


def check_rows(gaz: pd.DataFrame, curated: pd.DataFrame, builder=None) -> list[Finding]:
    """Measure every curated or estimated row against its evidence.

    Parameters
    ----------
    gaz : GeoDataFrame
        The gazetteer (``load_gazetteer``).
    curated : DataFrame
        ``curated_places.csv`` (its ``evidence`` column is optional).
    builder : module, optional
        ``scripts/build_gazetteer.py`` loaded as a module (for address placement);
        loaded when ``None``.

    Returns
    -------
    list of Finding
        One per (row, evidence) pair, in row order.
    """
    builder = builder or _load_builder()
    _, addr = builder.parse_addresses()
    osm_roads = builder.osm_road_lines()
    by_name = {}
    for r in gaz.itertuples(index=False):
        by_name.setdefault(r.name, r)
    district = by_name["长宁区"].geometry
    evidence_of = dict(zip(curated["name"], curated.get("evidence", pd.Series([""] * len(curated))), strict=True))
    for name, ev in EXTRA_EVIDENCE.items():
        evidence_of[name] = "|".join(e for e in (evidence_of.get(name, ""), ev) if e)
    roads = set(addr["road"].dropna())
    wanted = gaz[gaz["name"].isin(set(curated["name"]) | set(EXTRA_EVIDENCE)) | (gaz["source"] == "estimate")]
    findings: list[Finding] = []
    for r in wanted.itertuples(index=False):
        point = r.geometry if r.geometry.geom_type == "Point" else r.geometry.representative_point()
        items = [e for e in str(evidence_of.get(r.name, "") or "").split("|") if e]
        station = f"{r.name}站"
        if station in by_name and by_name[station].type == "transit" and f"station:{station}" not in items:
            items.insert(0, f"station:{station}")
        own = note_address(str(r.note or ""), roads)
        if own is not None and f"address:{own}" not in items:
            items.append(f"address:{own}")
        if r.in_changning:
            items.append("within:长宁区")

        def add(ev: str, d: float | None, tol: float, *, r=r) -> None:
            flagged = d is not None and d - tol > r.precision_m
            findings.append(Finding(r.name, str(r.source)[:40], float(r.precision_m), ev,
                                    None if d is None else round(d), tol, flagged))

        for ev in items:
            kind, _, arg = ev.partition(":")
            if kind == "station":
                row = by_name.get(arg)
                add(ev, None if row is None else distance_m(point, row.geometry), STATION_TOLERANCE_M)
            elif kind == "address":
                m = builder.ADDRESS_RE.match(arg)
                got = None if m is None else builder.house_number_point(
                    addr, m["road"], int(m["num"]), road_geom=osm_roads.get(m["road"]))
                add(ev, None if got is None else distance_m(point, got[0]), 0.0 if got is None else got[1])
            elif kind == "road":
                row = by_name.get(arg)
                tol = 20.0 if row is not None and str(row.source).startswith("©") else ROAD_TOLERANCE_M
                add(ev, None if row is None else distance_m(point, row.geometry), tol)
            elif kind == "within":
                geom = district if arg == "长宁区" else getattr(by_name.get(arg), "geometry", None)
                add(ev, None if geom is None else distance_m(point, geom), 0.0)
            elif kind == "near":
                base, _, metres = arg.rpartition(":")
                row = by_name.get(base)
                add(ev, None if row is None else distance_m(point, row.geometry), float(metres))
            else:
                raise ValueError(f"row {r.name!r}: unknown evidence {ev!r}; "
                                 "expected station:, address:, road:, within: or near:")
    return findings


def main(argv: list[str] | None = None) -> int:
    """Print the findings table and a summary; return 1 with ``--strict`` if any row is flagged."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--strict", action="store_true", help="exit 1 when a row is flagged")
    p.add_argument("--all", action="store_true", help="also list the district-outline checks that pass")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    gaz = load_gazetteer()
    curated = pd.read_csv(CURATED, dtype=str, keep_default_na=False)
    findings = check_rows(gaz, curated)
    rows = sorted({f.name for f in findings})
    with_evidence = {f.name for f in findings if f.distance_m is not None and f.evidence != "within:长宁区"}
    flagged = [f for f in findings if f.flagged]
    log.info("%-22s %-34s %7s %7s %7s  %s", "row", "evidence", "dist_m", "tol_m", "prec_m", "flag")
    for f in findings:
        if f.evidence == "within:长宁区" and not f.flagged and not args.all:
            continue
        dist = "—" if f.distance_m is None else f"{f.distance_m:.0f}"
        log.info("%-22s %-34s %7s %7.0f %7.0f  %s", f.name, f.evidence, dist, f.tolerance_m, f.precision_m,
                 "FLAG" if f.flagged else "")
    log.info("checked %d curated/estimate rows; %d have supporting evidence in the data; "
             "%d findings, %d flagged (%s)", len(rows), len(with_evidence), len(findings), len(flagged),
             ", ".join(sorted({f.name for f in flagged})) or "none")
    return 1 if args.strict and flagged else 0


if __name__ == "__main__":
    raise SystemExit(main())
