"""One place for planmap's settings.

Every setting is a typed module variable. Functions that accept a setting take
``None`` to mean "use the value here", so tests can point folders at a
temporary directory by assigning to the module variable or passing arguments.

Attributes
----------
output_folder : Path
    Where ``planmap build`` writes when ``--out`` is not given (``output/``).
seeds_folder : Path
    The bundled seed documents and their ``registry.json``.
cache_folder : Path
    On-disk cache for extraction results and online geocoder answers.
gazetteer_path : Path
    The bundled gazetteer CSV (``geocode/data/gazetteer.csv``).
reference_data_folder : Path
    Reference geodata copied from the shared data folder (``layers/data``).
online_provider : str or None
    ``None`` (offline, the default), ``"nominatim"`` or ``"baidu"``.
online_api_key : str or None
    API key for the online provider; read from ``PLANMAP_ONLINE_API_KEY`` when unset.
online_user_agent : str
    User agent sent to Nominatim (its usage policy requires one).
online_min_delay_seconds : float
    Minimum delay between online geocoder calls (geopy ``RateLimiter``).
online_timeout_seconds : float
    Time-out of one online geocoder call.
metric_crs : str
    Projected CRS for metric work (buffers, distances): UTM zone 51N.
output_crs : str
    CRS of every output: WGS84 lon/lat.
belt_buffer_m : dict[str, float]
    Half-width in metres of each of the three belts around its centre line.
line_clip_buffer_m : float
    Roads and rivers of the district are cut to the district grown by this
    many metres (their stretch in Changning), in the project layer.
geojson_precision : int
    Decimal places of coordinates in GeoJSON output (7 is about 1 cm).
max_document_mb : float
    Documents larger than this are skipped with a reason (split them first):
    memory stays bounded by the largest document read.
log_level : str
    Default logging level of the command line.
"""

from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent

output_folder: Path = Path("output")
seeds_folder: Path = _REPO / "seeds"
cache_folder: Path = Path(os.environ.get("PLANMAP_CACHE", Path.home() / ".cache" / "planmap"))
gazetteer_path: Path = _REPO / "geocode" / "data" / "gazetteer.csv"
reference_data_folder: Path = _REPO / "layers" / "data"

online_provider: str | None = None
online_api_key: str | None = os.environ.get("PLANMAP_ONLINE_API_KEY")
online_user_agent: str = "planmap/0.1 (Changning planning maps)"
online_min_delay_seconds: float = 1.0
online_timeout_seconds: float = 10.0

metric_crs: str = "EPSG:32651"
output_crs: str = "EPSG:4326"
belt_buffer_m: dict[str, float] = {
    "suzhou_creek": 500.0,
    "line2": 600.0,
    "yanan_hongqiao": 500.0,
}
line_clip_buffer_m: float = 300.0
geojson_precision: int = 7
max_document_mb: float = 20.0
log_level: str = "INFO"
