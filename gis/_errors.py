"""The exception tree of planmap.

Every message names the file, row or value (with ``!r``), what was expected,
and how to fix it.
"""

from __future__ import annotations


class PlanmapError(Exception):
    """Root of every error planmap raises on purpose."""


class DocumentError(PlanmapError):
    """A document cannot be read: encoding, empty, binary, broken PDF/DOCX."""


class RegistryError(DocumentError):
    """``seeds/registry.json`` (or a user registry) is malformed."""


class GazetteerError(PlanmapError):
    """The gazetteer (bundled or user supplied) has bad rows or cannot be read."""


class GeocodeError(PlanmapError):
    """An online geocoder failed (time-out, quota, bad answer)."""


class ExportError(PlanmapError):
    """An output cannot be written (unwritable folder, invalid layer)."""
