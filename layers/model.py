"""Data contract of the layer stage: ``ProjectLayers`` and its table schemas.

``projects`` is a GeoDataFrame in WGS84 (EPSG:4326) with one feature per
entity that has a geometry and the columns of ``PROJECT_COLUMNS``. Values
that are lists or mappings are stored as text so that every format (GeoJSON,
GeoPackage, CSV) holds the same thing:

- ``aliases``, ``docs``: names joined by ``"|"`` (sorted);
- ``belts``, ``belts_stated``: belt keys joined by ``","`` (sorted), ``""`` for none;
- ``status_by_year``: a JSON object ``{"2021": "started", "2022": "completed"}``
  with sorted keys.

``timeline`` is a plain DataFrame with one row per (entity, year, status, doc,
line) and the columns of ``TIMELINE_COLUMNS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

#: column -> dtype description of the projects layer.
PROJECT_COLUMNS: dict[str, str] = {
    "id": "str: stable id, entity_id(name, type)",
    "name": "str: canonical Chinese name",
    "aliases": "str: other surfaces, '|'-joined",
    "type": "str: one of geocode.model.TYPES",
    "in_changning": "bool",
    "zone": "str: east | central | west | outside (from geometry)",
    "zone_stated": "str: zone the text states, '' if none",
    "zone_conflict": "bool: stated zone differs from geometry",
    "belts": "str: belt keys by geometry, ','-joined",
    "belts_stated": "str: belt keys the text states, ','-joined",
    "belt_conflict": "bool: a stated belt is not among the geometric ones",
    "precision": "str: exact | approximate | road | subdistrict | area",
    "precision_m": "float: how far the geometry may be off (m)",
    "geocoder": "str: what placed it",
    "coord_source": "str: where the coordinates come from",
    "status_latest": "str: status in the last year mentioned",
    "first_year": "int",
    "last_year": "int",
    "status_by_year": "str: JSON object year -> status",
    "docs": "str: document file names, '|'-joined",
    "mention_count": "int",
}

TIMELINE_COLUMNS: tuple[str, ...] = (
    "entity_id", "name", "year", "mode", "status", "status_cue", "doc", "line", "evidence",
)


@dataclass
class ProjectLayers:
    """Everything the publish stage draws or writes.

    Attributes
    ----------
    projects : GeoDataFrame
        One feature per located entity (``PROJECT_COLUMNS``), EPSG:4326.
    timeline : DataFrame
        One row per mention-year-status (``TIMELINE_COLUMNS``).
    zones : GeoDataFrame
        The three functional zones: ``zone``, ``name_zh``, ``name_en``, geometry.
    belts : GeoDataFrame
        The three belts as buffered polygons: ``belt``, ``name_zh``, ``name_en``,
        ``width_m``, geometry.
    documents : list of dict
        The documents used: ``name``, ``title``, ``date`` (ISO), ``kind``.
    delivery : DataFrame or None
        One row per promised entity (``layers.delivery.DELIVERY_COLUMNS``), when computed.
    """

    projects: gpd.GeoDataFrame
    timeline: pd.DataFrame
    zones: gpd.GeoDataFrame
    belts: gpd.GeoDataFrame
    documents: list[dict] = field(default_factory=list)
    delivery: pd.DataFrame | None = None
