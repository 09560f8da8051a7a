"""Data contracts of the geocode stage: ``Mention`` and ``Entity``.

A ``Mention`` is one occurrence of a site in a sentence. Mentions that name
the same site (by canonical name) are grouped into one ``Entity``, which is
resolved to a geometry with an honest precision.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any

from shapely.geometry.base import BaseGeometry

TYPES = (
    "park", "green", "river", "road", "subdistrict", "area", "plot", "building",
    "campus", "community", "transit", "market", "heritage", "venue", "other",
)
STATUSES = (
    "planned", "started", "under_construction", "completed", "opened",
    "renovated", "ongoing", "mentioned",
)
PRECISIONS = ("exact", "approximate", "road", "subdistrict", "area", "unresolved")


def entity_id(name: str, type_: str) -> str:
    """Stable id of an entity, derived from its canonical name and type only.

    Parameters
    ----------
    name : str
        Canonical name.
    type_ : str
        One of ``TYPES``.

    Returns
    -------
    str
        ``"cn-"`` followed by 12 hex digits of the SHA-1 of ``"type|name"``.
    """
    digest = hashlib.sha1(f"{type_}|{name}".encode()).hexdigest()
    return f"cn-{digest[:12]}"


@dataclass
class Mention:
    """One occurrence of a site in a document.

    Attributes
    ----------
    doc : str
        File name of the document.
    line : int
        1-based line in the original file where the surface starts.
    start, end : int
        Offsets of the surface in the original (decoded) text; the characters
        between them, without whitespace, equal ``surface`` without whitespace.
    surface : str
        The text as written (normalised).
    name : str
        Canonical name of the site.
    type : str
        One of ``TYPES``.
    year : int or None
        Year the sentence is about.
    mode : str
        ``"review"``, ``"plan"`` or ``"unknown"``.
    status : str
        One of ``STATUSES``.
    status_cue : str
        The word(s) that decided the status (empty for ``mentioned``).
    sentence : str
        The normalised sentence.
    in_changning : bool
        False for places outside the district (kept off the district layers).
    period : str or None
        ``"2021-2025"`` when the section covers a period.
    section : str
        Heading path of the sentence's section (``Sentence.section``).
    locators : list of str
        Names inside the surface that locate it (``江苏路`` in
        ``北横通道江苏路二级匝道``), used by geocoding.
    entity_id : str
        Id of the entity the mention belongs to (``entity_id(name, type)``).
    """

    doc: str
    line: int
    start: int
    end: int
    surface: str
    name: str
    type: str
    year: int | None
    mode: str
    status: str
    status_cue: str
    sentence: str
    in_changning: bool = True
    period: str | None = None
    section: str = ""
    locators: list[str] = field(default_factory=list)
    entity_id: str = ""

    def __post_init__(self) -> None:
        if not self.entity_id:
            self.entity_id = entity_id(self.name, self.type)

    def to_record(self) -> dict[str, Any]:
        """The mention as a JSON-ready dict (one line of ``mentions.jsonl``)."""
        record = {name: getattr(self, name) for name in MENTION_FIELDS}
        record["locators"] = list(self.locators)
        return record


#: names of the ``Mention`` fields, in declaration order (the keys of ``to_record``).
MENTION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Mention))


@dataclass
class Entity:
    """A site named in the documents, grouped from its mentions and resolved.

    Attributes
    ----------
    id : str
        ``entity_id(name, type)``: stable across runs.
    name : str
        Canonical name.
    type : str
        One of ``TYPES``.
    aliases : list of str
        Other surfaces seen for it (sorted).
    in_changning : bool
        False for places outside the district.
    mentions : list of Mention
        Its mentions, in document order.
    geometry : shapely geometry or None
        WGS84 geometry, ``None`` when unresolved.
    precision : str
        One of ``PRECISIONS``.
    precision_m : float or None
        How far the geometry may be off, in metres.
    geocoder : str
        What placed it: ``gazetteer``, ``locator``, ``area``, ``nominatim``, ``baidu``, ``user``.
    coord_source : str
        Where the coordinates come from (the gazetteer row's source).
    gazetteer_id : str or None
        Id of the gazetteer row used.
    unresolved_reason : str or None
        Why no geometry was found (for ``unresolved.csv``).
    """

    id: str
    name: str
    type: str
    aliases: list[str] = field(default_factory=list)
    in_changning: bool = True
    mentions: list[Mention] = field(default_factory=list)
    geometry: BaseGeometry | None = None
    precision: str = "unresolved"
    precision_m: float | None = None
    geocoder: str = ""
    coord_source: str = ""
    gazetteer_id: str | None = None
    unresolved_reason: str | None = None
