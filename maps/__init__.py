"""Publishing: the interactive folium map, static pictures and the briefing deck.

Public API (imported lazily): ``map_from_layers``, ``save_map``, ``pictures_from_layers``,
``make_briefing``; colours and labels live in ``maps.palette``.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["make_briefing", "map_from_layers", "pictures_from_layers", "save_map"]

_WHERE = {
    "make_briefing": "maps.briefing",
    "map_from_layers": "maps.webmap",
    "pictures_from_layers": "maps.pictures",
    "save_map": "maps.webmap",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'maps' has no attribute {name!r}")
