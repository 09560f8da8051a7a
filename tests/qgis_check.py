"""Open planmap.gpkg in real QGIS (headless) and report each layer as JSON.

Run with the system Python that has Debian's python3-qgis::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py output/planmap.gpkg

Prints one JSON object: layer name -> validity, feature count, CRS, whether a
default style was found in the GeoPackage and loaded (renderer, its class
attribute and category colours, label field, Chinese field aliases). Exit
code 3 when ``qgis`` cannot be imported (the caller skips), 0 otherwise.
Deliberately standalone: no planmap imports, only QGIS.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys


def _layer_names(path: str) -> list[str]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute(
            "SELECT table_name FROM gpkg_contents WHERE table_name != 'layer_styles' ORDER BY table_name"
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def _report(layer) -> dict:  # noqa: ANN001 - QgsVectorLayer
    renderer = layer.renderer()
    info = {
        "valid": layer.isValid(),
        "feature_count": int(layer.featureCount()),
        "crs": layer.crs().authid() if layer.isSpatial() else None,
        "geometry_type": int(layer.geometryType()),
        "renderer": renderer.type() if renderer is not None else None,
        "class_attribute": None,
        "categories": {},
        "labels_enabled": bool(layer.labelsEnabled()),
        "label_field": None,
        "aliases": {f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())},
    }
    if renderer is not None and renderer.type() == "categorizedSymbol":
        info["class_attribute"] = renderer.classAttribute()
        cats = {}
        for c in renderer.categories():
            sym = c.symbol()
            layer0 = sym.symbolLayer(0)
            stroke = layer0.strokeColor().name() if hasattr(layer0, "strokeColor") else None
            cats[str(c.value())] = {
                "label": c.label(),
                "colour": sym.color().name(),
                "stroke": stroke,
            }
        info["categories"] = cats
    if layer.labeling() is not None:
        try:
            info["label_field"] = layer.labeling().settings().fieldName
        except AttributeError:
            info["label_field"] = None
    return info


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from qgis.core import QgsApplication, QgsVectorLayer
    except ImportError as exc:
        sys.stdout.write(json.dumps({"error": f"cannot import qgis: {exc}"}))
        return 3
    path = argv[1]
    app = QgsApplication([], False)
    app.initQgis()
    try:
        result = {}
        for name in _layer_names(path):
            layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
            info = _report(layer)
            count, ids, names, _descriptions, _msg = layer.listStylesInDatabase()
            info["styles_in_db"] = list(names)[:count]  # the rest are other layers' styles
            info["default_style_loaded"] = bool(
                count > 0 and any(layer.attributeAlias(i) for i in range(len(layer.fields())))
            )
            result[name] = info
            del layer  # no layer may outlive exitQgis (QGIS crashes on exit otherwise)
        sys.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=True))
        sys.stdout.flush()
    finally:
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
