"""District structure (zones, belts), the project layer, and its exports.

Public API (imported lazily): ``reference_layers``, ``zone_layer``, ``belt_layer``,
``layers_from_entities``, ``save_layers``, ``ProjectLayers``.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "ProjectLayers",
    "belt_layer",
    "layers_from_entities",
    "reference_layers",
    "save_layers",
    "zone_layer",
]

_WHERE = {
    "ProjectLayers": "layers.model",
    "belt_layer": "layers.zones",
    "layers_from_entities": "layers.build",
    "reference_layers": "layers.reference",
    "save_layers": "layers.export",
    "zone_layer": "layers.zones",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'layers' has no attribute {name!r}")
