"""``python -m gis`` runs the planmap command line."""

from gis.cli import run_and_exit

run_and_exit()
