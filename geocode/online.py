"""Opt-in online geocoding (``--online nominatim|baidu``) behind one cached, rate-limited door.

Nothing here runs unless the user asks for it. Every answer goes through:

1. the on-disk cache (``settings.cache_folder``), read *before* any wait;
2. geopy's ``RateLimiter`` (``settings.online_min_delay_seconds``) around the provider;
3. datum conversion (Baidu answers are BD-09 and are converted with ``geocode.datums``);
4. a district check: an answer for an in-district entity that falls outside Changning
   is refused.

A time-out, quota or service error is logged and ``None`` returned, so the entity keeps
its offline answer. Tests pass a fake geopy-compatible geocoder; none uses the network.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geocode.datums import to_wgs84
from gis import settings
from gis._errors import GeocodeError
from gis.atomic import write_text_atomic

__all__ = ["PROVIDERS", "OnlineAnswer", "OnlineGeocoder", "make_online_geocoder"]

log = logging.getLogger(__name__)

#: provider -> (datum of its answers, precision given to an answer in metres).
PROVIDERS: dict[str, tuple[str, float]] = {
    "nominatim": ("WGS84", 250.0),
    "baidu": ("BD-09", 200.0),
}


class GeopyLike(Protocol):
    """What ``OnlineGeocoder`` needs of a geopy geocoder."""

    def geocode(self, query: str, **kwargs: Any) -> Any:  # pragma: no cover - protocol
        """Return a geopy ``Location`` (``.longitude``, ``.latitude``) or ``None``."""


@dataclass(frozen=True)
class OnlineAnswer:
    """One usable online answer, already in WGS84.

    Attributes
    ----------
    point : shapely Point
        WGS84 lon/lat.
    precision_m : float
        How far it may be off (metres).
    provider : str
        ``nominatim`` or ``baidu`` (also the entity's ``geocoder``).
    source : str
        Text for the entity's ``coord_source``.
    """

    point: Point
    precision_m: float
    provider: str
    source: str


class OnlineGeocoder:
    """A cached, rate-limited online geocoder that never loses the offline answer.

    Parameters
    ----------
    geocoder : geopy-compatible object
        Has ``geocode(query, **kwargs)`` returning a ``Location`` or ``None``.
    provider : str
        Key of ``PROVIDERS``; decides the datum of the answers.
    cache_folder : path-like, optional
        ``None`` uses ``settings.cache_folder``.
    min_delay_seconds : float, optional
        ``None`` uses ``settings.online_min_delay_seconds``.
    district : shapely geometry, optional
        Changning's outline; ``None`` takes it from the bundled gazetteer.
    query_prefix : str
        Prepended to every name (``"上海市长宁区"``) to keep answers in the district.
    """

    def __init__(self, geocoder: GeopyLike, provider: str, *,
                 cache_folder: str | os.PathLike[str] | None = None,
                 min_delay_seconds: float | None = None,
                 district: BaseGeometry | None = None,
                 query_prefix: str = "上海市长宁区") -> None:
        if provider not in PROVIDERS:
            raise GeocodeError(f"unknown online provider {provider!r}; choose one of {sorted(PROVIDERS)!r}")
        self.provider = provider
        self.datum, self.precision_m = PROVIDERS[provider]
        self.query_prefix = query_prefix
        folder = Path(cache_folder) if cache_folder is not None else Path(settings.cache_folder)
        self.cache_path = folder / f"online_{provider}.json"
        delay = settings.online_min_delay_seconds if min_delay_seconds is None else min_delay_seconds
        self._geocode = RateLimiter(geocoder.geocode, min_delay_seconds=delay, max_retries=0,
                                    swallow_exceptions=False)
        self._district = district
        self._cache: dict[str, list[float] | None] | None = None
        self.calls = 0
        self.failures = 0

    # -- cache ---------------------------------------------------------------------
    def _load_cache(self) -> dict[str, list[float] | None]:
        if self._cache is None:
            try:
                self._cache = json.loads(self.cache_path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                self._cache = {}
            except (OSError, json.JSONDecodeError) as exc:
                log.warning("ignoring unreadable geocoder cache %s: %s", self.cache_path, exc)
                self._cache = {}
        return self._cache

    def _save_cache(self) -> None:
        text = json.dumps(self._load_cache(), ensure_ascii=False, indent=0, sort_keys=True)
        write_text_atomic(self.cache_path, text + "\n")

    @property
    def district(self) -> BaseGeometry:
        """Changning's outline (from the bundled gazetteer unless given)."""
        if self._district is None:
            from geocode.gazetteer import load_gazetteer

            gaz = load_gazetteer()
            self._district = gaz.loc[gaz["name"] == "长宁区", "geometry"].iloc[0]
        return self._district

    # -- the door ------------------------------------------------------------------
    def geocode(self, name: str, *, in_changning: bool = True) -> OnlineAnswer | None:
        """Geocode one name; ``None`` when there is no usable answer.

        Parameters
        ----------
        name : str
            Canonical name of the entity.
        in_changning : bool
            When true, an answer outside the district is refused.

        Returns
        -------
        OnlineAnswer or None
            ``None`` on no answer, on an answer outside the district, and on any
            provider error (time-out, quota, service), which is logged.
        """
        query = f"{self.query_prefix}{name}" if in_changning else name
        cache = self._load_cache()
        if query in cache:
            lonlat = cache[query]
        else:
            self.calls += 1
            try:
                loc = self._geocode(query)
            except GeopyError as exc:
                self.failures += 1
                log.warning("%s geocoder failed for %r (%s: %s); keeping the offline answer",
                            self.provider, name, type(exc).__name__, exc)
                return None
            lonlat = None
            if loc is not None:
                lonlat = list(to_wgs84(float(loc.longitude), float(loc.latitude), self.datum))
            cache[query] = lonlat
            self._save_cache()
        if lonlat is None:
            return None
        point = Point(lonlat[0], lonlat[1])
        if in_changning and not self.district.buffer(0.002).contains(point):
            log.info("%s answer for %r at %.5f,%.5f lies outside Changning; not used",
                     self.provider, name, point.x, point.y)
            return None
        return OnlineAnswer(point, self.precision_m, self.provider,
                            f"{self.provider} online geocoder ({self.datum} → WGS84)")


def make_online_geocoder(provider: str | None = None, *, api_key: str | None = None,
                         user_agent: str | None = None, timeout: float | None = None,
                         min_delay_seconds: float | None = None,
                         cache_folder: str | os.PathLike[str] | None = None,
                         geocoder: GeopyLike | None = None) -> OnlineGeocoder:
    """Build the opt-in online geocoder.

    Parameters
    ----------
    provider : str, optional
        ``nominatim`` or ``baidu``; ``None`` uses ``settings.online_provider``.
    api_key : str, optional
        Baidu key; ``None`` uses ``settings.online_api_key`` or ``PLANMAP_ONLINE_API_KEY``.
    user_agent : str, optional
        Nominatim user agent; ``None`` uses ``settings.online_user_agent``.
    timeout : float, optional
        Seconds per call; ``None`` uses ``settings.online_timeout_seconds``.
    min_delay_seconds : float, optional
        ``None`` uses ``settings.online_min_delay_seconds``.
    cache_folder : path-like, optional
        ``None`` uses ``settings.cache_folder``.
    geocoder : geopy-compatible object, optional
        Use this instead of building a geopy geocoder (tests pass a fake).

    Returns
    -------
    OnlineGeocoder

    Raises
    ------
    GeocodeError
        Unknown provider, or Baidu without a key.
    """
    provider = provider or settings.online_provider
    if provider not in PROVIDERS:
        raise GeocodeError(f"unknown online provider {provider!r}; choose one of {sorted(PROVIDERS)!r}")
    if geocoder is None:
        timeout = settings.online_timeout_seconds if timeout is None else timeout
        if provider == "nominatim":
            from geopy.geocoders import Nominatim

            geocoder = Nominatim(user_agent=user_agent or settings.online_user_agent, timeout=timeout)
        else:
            key = api_key or settings.online_api_key or os.environ.get("PLANMAP_ONLINE_API_KEY")
            if not key:
                raise GeocodeError("the baidu geocoder needs an API key: set PLANMAP_ONLINE_API_KEY "
                                   "or gis.settings.online_api_key")
            from geopy.geocoders import BaiduV3

            geocoder = BaiduV3(api_key=key, timeout=timeout)
    return OnlineGeocoder(geocoder, provider, cache_folder=cache_folder, min_delay_seconds=min_delay_seconds)
