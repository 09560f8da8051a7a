"""``python -m gis`` runs the planmap command line."""

import sys

from gis.cli import main

sys.exit(main())
