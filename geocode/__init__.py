"""Recognition of places in text and their resolution to geometry.

Public API (imported lazily, so ``geocode.model`` loads without the heavier parts):
``extract_mentions``, ``load_gazetteer``, ``name_index``, ``resolve_entities``,
``write_unresolved_csv``, and the data classes ``Mention`` and ``Entity``.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'geocode' has no attribute {name!r}")
