"""Publishing: the interactive folium map, static pictures and the briefing deck.

Public API (imported lazily): ``map_from_layers``, ``save_map``, ``pictures_from_layers``,
``make_briefing``; colours and labels live in ``maps.palette``.
"""

from __future__ import annotations

from gis._lazy import lazy_getattr

__all__ = ["make_briefing", "map_from_layers", "pictures_from_layers", "save_map"]

_WHERE = {
    "make_briefing": "maps.briefing",
    "map_from_layers": "maps.webmap",
    "pictures_from_layers": "maps.pictures",
    "save_map": "maps.webmap",
}


__getattr__ = lazy_getattr("maps", _WHERE)
