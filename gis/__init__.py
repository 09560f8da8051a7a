"""planmap core: settings, errors, document reading, the pipeline and the CLI."""

from gis._errors import (
    DocumentError,
    ExportError,
    GazetteerError,
    GeocodeError,
    PlanmapError,
    RegistryError,
)
from gis.documents import Document, Sentence

__version__ = "0.1.0"

__all__ = [
    "Document",
    "DocumentError",
    "ExportError",
    "GazetteerError",
    "GeocodeError",
    "PlanmapError",
    "RegistryError",
    "Sentence",
    "__version__",
    "read_document",
]


def read_document(path, *, registry=None):  # noqa: D103 - documented in gis.reading
    from gis.reading import read_document as _read

    return _read(path, registry=registry)
