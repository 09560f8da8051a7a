"""Write layers/data/derived/structure.wkb: the district's zones and belts, computed.

The district outline, zones, belt centre lines and belts (in the metric CRS) are
computed from the reference data in ``layers/data`` and written with the key of
everything they depend on (``layers.zones._structure_key``: the data, the code,
the CRS, the library versions). A build uses the file only while that key holds;
otherwise it computes them itself. Run after changing the reference data,
``layers/zones.py`` or ``layers/reference.py`` (``tests/test_layers_zones.py``
says when).

Run: ``python scripts/build_structure.py``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from layers.zones import write_shipped_structure  # noqa: E402

log = logging.getLogger("build_structure")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = write_shipped_structure()
    log.info("wrote %s (%d bytes)", path, path.stat().st_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
