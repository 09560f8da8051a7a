"""District structure (zones, belts), the project layer, and its exports.

Public API (imported lazily): ``reference_layers``, ``zone_layer``, ``belt_layer``,
``layers_from_entities``, ``save_layers``, ``qml_for_layer``, ``merge_alias_entities``,
``delivery_from_timeline``, ``ProjectLayers``.
"""

from __future__ import annotations

from gis._lazy import lazy_getattr

__all__ = [
    "ProjectLayers",
    "belt_layer",
    "delivery_from_timeline",
    "layers_from_entities",
    "merge_alias_entities",
    "qml_for_layer",
    "reference_layers",
    "save_layers",
    "zone_layer",
]

_WHERE = {
    "ProjectLayers": "layers.model",
    "belt_layer": "layers.zones",
    "delivery_from_timeline": "layers.delivery",
    "merge_alias_entities": "layers.delivery",
    "qml_for_layer": "layers.styles",
    "layers_from_entities": "layers.build",
    "reference_layers": "layers.reference",
    "save_layers": "layers.export",
    "zone_layer": "layers.zones",
}


__getattr__ = lazy_getattr("layers", _WHERE)
