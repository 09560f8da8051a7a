"""Resolving entities to geometry with an honest precision, offline first.

For each entity, in order:

1. **gazetteer** — its name (or one of its surfaces) is a gazetteer name or alias;
2. **locator** — a place named *inside* its name or given in ``Mention.locators``:
   an address (``娄山关路445弄`` → the address point; else interpolated between the
   nearest house numbers on that road; else the road), or a named place, road,
   subdistrict or area (``程家桥街道250街坊`` → inside 程家桥街道);
3. **parent** — a part of a located site, named right after it in the sentence
   (``同仁医院新建日间中心大楼`` → the 日间中心大楼 lies within 同仁医院);
4. **area** — a named area that encloses it: a bare area word in its name (虹桥, 临空 …),
   a functional zone its name starts with (``西部四公园`` → the 西部临空地区 zone: the
   gazetteer's only in-district area row named ``西部…地区``), or a named area in the
   heading of the section that mentions it (a project listed under "西部临空地区" lies
   somewhere in that area);
5. **online** (only when asked) — for entities still unresolved or only placed coarsely;
   an answer is used only when it is more precise and, for in-district entities, inside
   the district;
6. an in-district entity that nothing else locates lies "somewhere in 长宁区": the
   district itself, precision ``area`` (switch off with ``district_fallback=False``);
7. otherwise **unresolved**, with the reason (``write_unresolved_csv``).

Every resolved entity carries ``precision`` (``exact`` ≤ 100 m, ``approximate`` ≤ 500 m,
``road``, ``subdistrict``, ``area``), ``precision_m``, ``geocoder``, ``coord_source`` and
``gazetteer_id``.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
from pyproj import Geod
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from geocode.entities import entities_from_mentions
from geocode.gazetteer import load_gazetteer, name_index
from geocode.model import Entity, Mention
from gis.atomic import write_text_atomic

if TYPE_CHECKING:  # pragma: no cover
    from geocode.online import OnlineGeocoder

__all__ = ["precision_class", "resolve_entities", "write_unresolved_csv"]

log = logging.getLogger(__name__)

_GEOD = Geod(ellps="WGS84")
_ADDRESS = re.compile(
    r"(?P<road>[\u4e00-\u9fa5]{1,8}?(?:路|道|街|公路|支路))(?P<num>\d+)(?:-\d+)?(?P<kind>弄|号)"
)
#: bare words that name an area without being a gazetteer name themselves.
#: canonical name of the district row of the gazetteer.
DISTRICT_NAME = "长宁区"
_BARE_AREAS = {"虹桥": "中部虹桥地区", "临空": "虹桥临空经济示范区", "新泾": "新泾镇", "古北": "古北地区"}
#: words that open the name of a functional zone of the district (东部中山公园地区,
#: 中部虹桥地区, 西部临空地区); a name that starts with one lies in that zone.
_ZONE_WORD = re.compile(r"^(东部|中部|西部)")
#: gazetteer types whose polygon encloses the places named inside them.
_CONTAINER_TYPES = frozenset({"subdistrict", "area"})
#: house-number interpolation: largest gap (m) between the bracketing addresses.
_MAX_GAP_M = 700.0
#: house-number nearest neighbour: largest difference of numbers accepted.
_MAX_NUMBER_DELTA = 40
#: precision (m) given to a point taken from the nearest house number.
_NEAR_NUMBER_PRECISION_M = 300.0
#: gazetteer types of sites that have parts (a building of a hospital, a phase of a park).
_PARENT_TYPES = frozenset({"building", "campus", "park", "venue", "heritage", "community", "plot", "green"})
#: words that may stand between a site and its part: ``同仁医院新建日间中心大楼``.
_PART_LINK = re.compile(r"(?:(?:新建|扩建|改扩建|改建|续建|建设|建成|启用|内的|内|的)+)$")
#: the part lies within this distance (m) of its parent's stated position.
_PART_EXTRA_M = 100.0


def precision_class(type_: str, geom: BaseGeometry, precision_m: float) -> str:
    """The precision class of a placement.

    Parameters
    ----------
    type_ : str
        Gazetteer type of the geometry used (not of the entity).
    geom : shapely geometry
        The geometry used.
    precision_m : float
        Radius (m) within which the place lies.

    Returns
    -------
    str
        ``subdistrict`` for subdistricts, ``road`` for roads, else ``exact`` (≤ 100 m),
        ``approximate`` (≤ 500 m) or ``area``.
    """
    if type_ == "subdistrict":
        return "subdistrict"
    if type_ == "road":
        return "road"
    if precision_m <= 100:
        return "exact"
    if precision_m <= 500:
        return "approximate"
    return "area"


@dataclass(frozen=True)
class _Row:
    id: str
    name: str
    type: str
    in_changning: bool
    geometry: BaseGeometry
    precision_m: float
    source: str


@dataclass(frozen=True)
class _Placement:
    geometry: BaseGeometry
    precision: str
    precision_m: float
    geocoder: str
    coord_source: str
    gazetteer_id: str | None


def _dist_m(a: Point, b: Point) -> float:
    return float(_GEOD.inv(a.x, a.y, b.x, b.y)[2])


class _Resolver:
    """Lookup structures over one gazetteer, built once per call of ``resolve_entities``."""

    def __init__(self, gaz: gpd.GeoDataFrame, *, district_fallback: bool = True) -> None:
        self.district_fallback = district_fallback
        self.rows: dict[str, _Row] = {}
        self.by_name: dict[str, list[_Row]] = {}
        for r in gaz.itertuples(index=False):
            row = _Row(r.id, r.name, r.type, bool(r.in_changning), r.geometry, float(r.precision_m), r.source)
            self.rows[row.id] = row
            self.by_name.setdefault(row.name, []).append(row)
        for r in gaz.itertuples(index=False):
            for alias in str(r.aliases or "").split("|"):
                alias = alias.strip()
                if alias and alias != r.name:
                    self.by_name.setdefault(alias, []).append(self.rows[r.id])
        self.max_len = max((len(n) for n in self.by_name), default=0)
        # address points per road: road -> list of (number, row)
        self.addresses: dict[str, list[tuple[int, _Row]]] = {}
        for row in self.rows.values():
            m = _ADDRESS.fullmatch(row.name)
            if m and row.geometry.geom_type == "Point":
                self.addresses.setdefault(m["road"], []).append((int(m["num"]), row))
        for pts in self.addresses.values():
            pts.sort(key=lambda t: t[0])
        self.index = name_index(gaz)
        self.district = next((r for r in self.by_name.get(DISTRICT_NAME, []) if r.type == "area"), None)
        self.zones = self._zones()

    def _zones(self) -> dict[str, _Row]:
        """The functional zones of the district by their opening word (``西部`` → 西部临空地区).

        A zone is an in-district ``area`` row named ``<zone word>…地区``; a zone word that
        opens two such rows names no single zone and is left out.
        """
        found: dict[str, list[_Row]] = {}
        for row in self.rows.values():
            m = _ZONE_WORD.match(row.name)
            if m and row.type == "area" and row.in_changning and row.name.endswith("地区"):
                found.setdefault(m[1], []).append(row)
        zones = {}
        for word, rows in found.items():
            if len(rows) == 1:
                zones[word] = rows[0]
            else:
                log.warning("zone word %s opens %d area rows (%s): not used", word, len(rows),
                            ", ".join(r.name for r in rows))
        return zones

    # -- lookups -------------------------------------------------------------------
    def lookup(self, name: str, type_: str | None = None, in_cn: bool | None = None) -> _Row | None:
        rows = self.by_name.get(name)
        if not rows:
            return None
        exact = [r for r in rows if r.name == name] or rows

        def score(r: _Row) -> tuple[int, int, int]:
            return (r.type == type_, r.in_changning == in_cn if in_cn is not None else 0, r.name == name)

        return max(exact, key=score) if len(exact) > 1 else exact[0]

    def names_inside(self, text: str) -> list[tuple[int, int, str]]:
        """Maximal spans of ``text`` that are gazetteer names (not the whole text)."""
        spans = []
        n = len(text)
        for i in range(n):
            for j in range(min(n, i + self.max_len), i + 1, -1):
                if (i, j) != (0, n) and text[i:j] in self.by_name:
                    spans.append((i, j, text[i:j]))
                    break
        return [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and o != s for o in spans)]

    # -- placements ----------------------------------------------------------------
    def placement(self, row: _Row, geocoder: str, *, extra_m: float = 0.0,
                  via_type: str | None = None, source: str | None = None) -> _Placement:
        """``row``'s geometry as a placement; ``source`` (default: the row's) says how."""
        prec_m = row.precision_m + extra_m
        return _Placement(row.geometry, precision_class(via_type or row.type, row.geometry, prec_m),
                          prec_m, geocoder, source or row.source, row.id)

    def address(self, road: str, num: int, kind: str) -> _Placement | None:
        """Place ``road`` + house number: exact address, else interpolated, else None."""
        pts = self.addresses.get(road)
        exact = self.lookup(f"{road}{num}{kind}") or self.lookup(f"{road}{num}{'号' if kind == '弄' else '弄'}")
        if exact is not None and exact.geometry.geom_type == "Point":
            return self.placement(exact, "locator")
        if not pts:
            return None
        same = [(n, r) for n, r in pts if n % 2 == num % 2]
        for group in (same, pts):  # this side of the street first, then both sides
            below = [(n, r) for n, r in group if n < num]
            above = [(n, r) for n, r in group if n > num]
            if not (below and above):
                continue
            (n0, r0), (n1, r1) = below[-1], above[0]
            gap = _dist_m(r0.geometry, r1.geometry)
            if gap <= _MAX_GAP_M:
                t = (num - n0) / (n1 - n0)
                pt = LineString([r0.geometry, r1.geometry]).interpolate(t, normalized=True)
                prec = max(r0.precision_m, r1.precision_m) + gap / 2
                return _Placement(pt, precision_class("address", pt, prec), prec, "locator",
                                  f"interpolated between {r0.name} and {r1.name} ({r0.source})", None)
        nearest = min(pts, key=lambda t: abs(t[0] - num))
        if abs(nearest[0] - num) <= _MAX_NUMBER_DELTA:
            row = nearest[1]
            prec = max(_NEAR_NUMBER_PRECISION_M, row.precision_m)
            return _Placement(row.geometry, precision_class("address", row.geometry, prec), prec, "locator",
                              f"nearest house number {row.name} ({row.source})", row.id)
        return None

    def by_locators(self, entity: Entity) -> _Placement | None:
        texts = [entity.name, *entity.aliases]
        hints: list[str] = []
        for m in entity.mentions:
            hints.extend(m.locators)
        # addresses first: the most specific locator
        for text in [*texts, *hints]:
            m = _ADDRESS.search(text)
            if m:
                got = self.address(m["road"], int(m["num"]), m["kind"])
                if got is not None:
                    return got
        candidates: list[tuple[int, _Row]] = []  # (position in the name, row); hints rank last
        for hint in hints:
            row = self.lookup(hint)
            if row is not None and row.name != entity.name:
                candidates.append((-1, row))
        for text in texts:
            for i, _j, name in self.names_inside(text):
                row = self.lookup(name, in_cn=entity.in_changning)
                if row is not None and row.name != entity.name:
                    candidates.append((i, row))
        if entity.in_changning:
            inside = [c for c in candidates if c[1].in_changning]
            candidates = inside or candidates
        if not candidates:
            return None
        crossing = self.crossing([r for _i, r in candidates if r.type == "road"])
        if crossing is not None:
            return crossing

        def rank(c: tuple[int, _Row]) -> tuple[int, int, float]:
            pos, row = c
            cls = precision_class(row.type, row.geometry, row.precision_m)
            order = {"exact": 0, "approximate": 0, "road": 1, "subdistrict": 2, "area": 3}[cls]
            # the later a name stands in a Chinese name, the nearer it is to its head
            return (order, -pos, row.precision_m)

        best = min(candidates, key=rank)[1]
        # the entity lies in or beside the named place: widen points a little
        extra = 100.0 if best.geometry.geom_type == "Point" and best.type not in _CONTAINER_TYPES else 0.0
        return self.placement(best, "locator", extra_m=extra)

    def by_parent(self, entity: Entity) -> _Placement | None:
        """A part of a located site: the site is named right before it in a sentence.

        ``推进同仁医院新建日间中心大楼`` → the 日间中心大楼 lies within 同仁医院. Only a
        gazetteer site (``_PARENT_TYPES``) directly before the surface counts, optionally
        joined by a building verb (``_PART_LINK``); a list separator (、，) breaks the link.
        Sentences that disagree on the parent give no answer.
        """
        parents: dict[str, _Row] = {}
        for m in entity.mentions:
            sentence = m.sentence or ""
            at = sentence.find(m.surface)
            if at <= 0:
                continue
            before = sentence[max(0, at - self.max_len - 8):at]
            before = _PART_LINK.sub("", before)
            for k in range(min(len(before), self.max_len), 1, -1):
                row = self.lookup(before[-k:])
                if row is not None:
                    if row.type in _PARENT_TYPES and row.name != entity.name:
                        parents[row.id] = row
                    break
        if len(parents) != 1:
            return None
        row = next(iter(parents.values()))
        return self.placement(row, "locator", extra_m=_PART_EXTRA_M,
                              source=f"part of {row.name}, named before it in the sentence ({row.source})")

    def crossing(self, roads: list[_Row]) -> _Placement | None:
        """The crossing of two named roads (``延安西路凯旋路人行天桥``), if they meet."""
        seen = {}
        for r in roads:
            seen.setdefault(r.name, r)
        roads = list(seen.values())
        for a_i, a in enumerate(roads):
            for b in roads[a_i + 1:]:
                if a.geometry.geom_type == "Point" or b.geometry.geom_type == "Point":
                    continue
                pa, pb = nearest_points(a.geometry, b.geometry)
                gap = _dist_m(pa, pb)
                if gap <= 150:
                    pt = Point((pa.x + pb.x) / 2, (pa.y + pb.y) / 2)
                    # two OSM centre lines meet where drawn; address chords only roughly
                    both_osm = "OpenStreetMap" in a.source and "OpenStreetMap" in b.source
                    prec = 100.0 + gap if both_osm else 250.0 + gap
                    return _Placement(pt, precision_class("crossing", pt, prec), prec, "locator",
                                      f"crossing of {a.name} and {b.name} ({a.source}; {b.source})", None)
        return None

    def by_area(self, entity: Entity) -> _Placement | None:
        texts = [entity.name, *entity.aliases]
        for text in texts:
            for bare, area in _BARE_AREAS.items():
                if bare in text:
                    row = self.lookup(area)
                    if row is not None:
                        return self.placement(row, "area", via_type="area" if row.type != "subdistrict" else None)
        zone = self.by_zone_word(entity)
        if zone is not None:
            return zone
        found: list[_Row] = []
        for m in entity.mentions:
            for part in reversed([p.strip() for p in (m.section or "").split(">") if p.strip()]):
                for _i, _j, name in self.names_inside(part) + ([(0, len(part), part)] if part in self.by_name else []):
                    row = self.lookup(name)
                    if row is not None and row.type in _CONTAINER_TYPES and row.name != entity.name:
                        found.append(row)
                if found:
                    break
        if not found:
            return None
        names = {r.name for r in found}
        if len(names) > 1:
            return None  # sections disagree: do not guess
        row = found[0]
        return self.placement(row, "area", via_type="area" if row.type != "subdistrict" else None)

    def by_zone_word(self, entity: Entity) -> _Placement | None:
        """An in-district place whose name opens with a zone word lies in that zone.

        ``西部四公园`` (the four parks of the west) → somewhere in 西部临空地区, precision
        ``area``. Only in-district entities, only when the word is followed by more of a name
        (a bare ``西部`` is no place), and only zones the gazetteer has (``_zones``).
        """
        if not entity.in_changning:
            return None
        for text in [entity.name, *entity.aliases]:
            m = _ZONE_WORD.match(text)
            if m is None or len(text) <= len(m[1]) + 1:
                continue
            row = self.zones.get(m[1])
            if row is not None and row.name != entity.name:
                return self.placement(row, "area", via_type="area",
                                      source=f"named after the {row.name} zone ({m[1]}…); {row.source}")
        return None

    def resolve(self, entity: Entity, online: OnlineGeocoder | None) -> Entity:
        place: _Placement | None = None
        reason = None
        for text in [entity.name, *entity.aliases]:
            row = self.lookup(text, entity.type, entity.in_changning)
            if row is not None:
                place = self.placement(row, "gazetteer")
                if row.name == entity.name or row.type == entity.type:
                    break
        if place is None:
            place = self.by_locators(entity)
        if place is None:
            place = self.by_parent(entity)
        if place is None:
            place = self.by_area(entity)
        if place is None and self.district_fallback and entity.in_changning and self.district is not None:
            # the documents are about 长宁: the district is the enclosing area of last resort
            d = self.district
            place = _Placement(d.geometry, "area", d.precision_m, "area",
                               f"only known to lie in 长宁区 (the documents' scope); {d.source}", d.id)
        if place is None:
            reason = "no gazetteer name, locator or enclosing area found in its name, surfaces or section"
            if not entity.in_changning:
                reason += " (outside 长宁, so the district is no fallback)"
        if online is not None and (place is None or place.precision not in ("exact", "approximate")):
            answer = online.geocode(entity.name, in_changning=entity.in_changning)
            if answer is not None and (place is None or answer.precision_m < place.precision_m):
                place = _Placement(answer.point, precision_class("point", answer.point, answer.precision_m),
                                   answer.precision_m, answer.provider, answer.source, None)
            elif place is None:
                reason += f"; online {online.provider} gave no usable answer"
        if place is None:
            entity.geometry = None
            entity.precision = "unresolved"
            entity.precision_m = None
            entity.geocoder = ""
            entity.coord_source = ""
            entity.gazetteer_id = None
            entity.unresolved_reason = reason
            return entity
        entity.geometry = place.geometry
        entity.precision = place.precision
        entity.precision_m = round(place.precision_m, 1)
        entity.geocoder = place.geocoder
        entity.coord_source = place.coord_source
        entity.gazetteer_id = place.gazetteer_id
        entity.unresolved_reason = None
        if place.gazetteer_id is not None and place.geocoder == "gazetteer":
            entity.in_changning = self.rows[place.gazetteer_id].in_changning
        return entity


def resolve_entities(mentions: Sequence[Mention], *, gazetteer: gpd.GeoDataFrame | None = None,
                     online: OnlineGeocoder | None = None,
                     district_fallback: bool = True) -> list[Entity]:
    """Group mentions into entities and place each one, offline first.

    Parameters
    ----------
    mentions : sequence of Mention
        Mentions from ``extract_mentions`` (any number of documents).
    gazetteer : GeoDataFrame, optional
        From ``load_gazetteer``; ``None`` loads the bundled one.
    online : OnlineGeocoder, optional
        Opt-in online geocoder (``geocode.online.make_online_geocoder``), asked only for
        entities left unresolved or placed coarsely offline. Failures keep the offline answer.
    district_fallback : bool
        Place in-district entities that nothing else locates on the whole district
        (precision ``area``, geocoder ``area``); ``False`` leaves them unresolved.

    Returns
    -------
    list of Entity
        Sorted by id; each with geometry (WGS84) or ``unresolved_reason``.
    """
    gaz = load_gazetteer() if gazetteer is None else gazetteer
    resolver = _Resolver(gaz, district_fallback=district_fallback)
    entities = entities_from_mentions(mentions, index=resolver.index)
    for entity in entities:
        resolver.resolve(entity, online)
    counts: dict[str, int] = {}
    for e in entities:
        counts[e.precision] = counts.get(e.precision, 0) + 1
    log.info("resolved %d entities: %s", len(entities), dict(sorted(counts.items())))
    return entities


def write_unresolved_csv(entities: Iterable[Entity], path: str | os.PathLike[str]) -> int:
    """Write the unresolved entities with their reasons to a CSV file (atomically).

    Parameters
    ----------
    entities : iterable of Entity
        Resolved entities; only those without geometry are written.
    path : path-like
        Output CSV (UTF-8). Columns: ``id``, ``name``, ``type``, ``in_changning``,
        ``mention_count``, ``docs``, ``first_sentence``, ``reason``.

    Returns
    -------
    int
        Number of rows written.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "name", "type", "in_changning", "mention_count", "docs", "first_sentence", "reason"])
    n = 0
    for e in sorted(entities, key=lambda e: e.id):
        if e.geometry is not None:
            continue
        docs = "|".join(sorted({m.doc for m in e.mentions}))
        sentence = e.mentions[0].sentence if e.mentions else ""
        w.writerow([e.id, e.name, e.type, str(e.in_changning).lower(), len(e.mentions), docs, sentence,
                    e.unresolved_reason or "unresolved"])
        n += 1
    write_text_atomic(path, buf.getvalue())
    log.info("wrote %d unresolved entities to %s", n, path)
    return n
