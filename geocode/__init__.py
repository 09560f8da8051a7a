"""Recognition of places in text and their resolution to geometry.

Public API (imported lazily, so ``geocode.model`` loads without the heavier parts):
``extract_mentions``, ``load_gazetteer``, ``name_index``, ``resolve_entities``,
``write_unresolved_csv``, and the data classes ``Mention`` and ``Entity``.
"""

from __future__ import annotations

from gis._lazy import lazy_getattr

__all__ = [
    "Entity",
    "Mention",
    "entity_id",
    "extract_mentions",
    "load_gazetteer",
    "name_index",
    "resolve_entities",
    "write_unresolved_csv",
]

_WHERE = {
    "Entity": "geocode.model",
    "Mention": "geocode.model",
    "entity_id": "geocode.model",
    "extract_mentions": "geocode.recognise",
    "load_gazetteer": "geocode.gazetteer",
    "name_index": "geocode.gazetteer",
    "resolve_entities": "geocode.resolve",
    "write_unresolved_csv": "geocode.resolve",
}


__getattr__ = lazy_getattr("geocode", _WHERE)
