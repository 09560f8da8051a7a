"""Pinned copies of the map's JavaScript and CSS, and inlining them into one HTML file.

The vendored packages live in ``maps/assets/<package>-<version>/`` with their
licence and a ``manifest.json`` recording the package, version, registry
origin and the sha256 of every file. :func:`vendored_assets` checks those
hashes before anything is inlined, so a changed file is caught, not shipped.

The map needs only Leaflet and the grouped layer control; folium's other
defaults (jQuery, Bootstrap, awesome-markers, Font Awesome) are dropped.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from gis._errors import ExportError

__all__ = [
    "ASSETS_FOLDER",
    "PACKAGES",
    "VendoredAsset",
    "cdn_css",
    "cdn_js",
    "external_urls",
    "inline_head_html",
    "own_asset_text",
    "script_safe",
    "vendored_assets",
]

log = logging.getLogger(__name__)

#: Folder of the vendored packages and of planmap's own map script.
ASSETS_FOLDER: Path = Path(__file__).resolve().parent / "assets"

#: package folder -> (js files, css files, CDN base used by the online map), in load order.
PACKAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "leaflet-1.9.4": (
        ("leaflet.js",),
        ("leaflet.css",),
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/",
    ),
    "leaflet-groupedlayercontrol-0.6.1": (
        ("leaflet.groupedlayercontrol.min.js",),
        ("leaflet.groupedlayercontrol.min.css",),
        "https://cdn.jsdelivr.net/npm/leaflet-groupedlayercontrol@0.6.1/dist/",
    ),
}

_URL_IN_CSS = re.compile(r"url\((['\"]?)(?!data:|#)([^)'\"]+)\1\)")
_EXTERNAL = re.compile(
    r"""<(?:script|img|iframe|source|embed|audio|video)\b[^>]*?\bsrc\s*=\s*["']?((?:https?:)?//[^"'\s>]+)"""
    r"""|<link\b[^>]*?\bhref\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""",
    re.IGNORECASE,
)
_CSS_EXTERNAL = re.compile(r"""@import\s+(?:url\()?["']?((?:https?:)?//[^"')\s]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class VendoredAsset:
    """One vendored package: its folder and parsed manifest."""

    folder: Path
    package: str
    version: str
    files: dict[str, str]


def vendored_assets(folder: Path | None = None) -> list[VendoredAsset]:
    """Read and verify the manifests of the vendored packages.

    Parameters
    ----------
    folder : Path, optional
        The assets folder; ``None`` uses :data:`ASSETS_FOLDER`.

    Returns
    -------
    list of VendoredAsset
        In the load order of :data:`PACKAGES`.

    Raises
    ------
    ExportError
        When a manifest or a file is missing, or a file's sha256 differs from
        the manifest (every problem is listed).
    """
    root = Path(folder or ASSETS_FOLDER)
    problems: list[str] = []
    assets: list[VendoredAsset] = []
    for name in PACKAGES:
        pkg = root / name
        manifest_path = pkg / "manifest.json"
        if not manifest_path.exists():
            problems.append(f"{str(manifest_path)!r} is missing")
            continue
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for rel, digest in manifest["files"].items():
            path = pkg / rel
            if not path.exists():
                problems.append(f"{str(path)!r} is missing")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                problems.append(f"{str(path)!r} does not match its sha256 in the manifest")
        assets.append(
            VendoredAsset(pkg, manifest["package"], manifest["version"], dict(manifest["files"]))
        )
    if problems:
        raise ExportError(
            "vendored map assets are damaged: " + "; ".join(problems)
            + "; restore maps/assets from git"
        )
    return assets


def script_safe(text: str) -> str:
    """Make JavaScript text safe to place inside a ``<script>`` element."""
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE).replace("<!--", "<\\!--")


def _css_with_data_uris(path: Path) -> str:
    """CSS text with every relative ``url(...)`` replaced by a data: URI."""
    css = path.read_text(encoding="utf-8")

    def repl(match: re.Match[str]) -> str:
        target = (path.parent / match.group(2)).resolve()
        if not target.is_file():
            raise ExportError(f"CSS {str(path)!r} refers to missing file {match.group(2)!r}")
        mime = "image/png" if target.suffix == ".png" else "application/octet-stream"
        data = base64.b64encode(target.read_bytes()).decode("ascii")
        return f'url("data:{mime};base64,{data}")'

    return _URL_IN_CSS.sub(repl, css).replace("</style", "<\\/style")


def inline_head_html(folder: Path | None = None) -> str:
    """``<style>`` and ``<script>`` elements holding every vendored file, in load order.

    Parameters
    ----------
    folder : Path, optional
        The assets folder; ``None`` uses :data:`ASSETS_FOLDER`.

    Returns
    -------
    str
        HTML for the document head; it refers to no other file or host.
    """
    parts: list[str] = []
    for asset in vendored_assets(folder):
        js_files, css_files, _ = PACKAGES[asset.folder.name]
        for css in css_files:
            parts.append(
                f"<style data-asset=\"{asset.package}@{asset.version}/{css}\">"
                f"{_css_with_data_uris(asset.folder / css)}</style>"
            )
        for js in js_files:
            text = (asset.folder / js).read_text(encoding="utf-8")
            parts.append(
                f"<script data-asset=\"{asset.package}@{asset.version}/{js}\">"
                f"{script_safe(text)}</script>"
            )
    log.debug("inlined %d vendored files", len(parts))
    return "\n".join(parts)


def cdn_js() -> list[tuple[str, str]]:
    """``(name, url)`` pairs of the CDN copies of the pinned scripts (online map)."""
    return [(f"{pkg}/{js}", base + js) for pkg, (jss, _, base) in PACKAGES.items() for js in jss]


def cdn_css() -> list[tuple[str, str]]:
    """``(name, url)`` pairs of the CDN copies of the pinned style sheets (online map)."""
    return [(f"{pkg}/{c}", base + c) for pkg, (_, csss, base) in PACKAGES.items() for c in csss]


def own_asset_text(name: str) -> str:
    """Text of one of planmap's own map files in ``maps/assets/planmap/``."""
    path = ASSETS_FOLDER / "planmap" / name
    if not path.is_file():
        raise ExportError(f"map asset {str(path)!r} is missing; reinstall planmap")
    return path.read_text(encoding="utf-8")


def external_urls(html: str) -> list[str]:
    """URLs of other hosts that an HTML page loads when it opens.

    Looks at ``src=`` of elements that load (script, img, iframe...), ``href=``
    of ``<link>`` and CSS ``@import``; plain ``<a href>`` links and tile URL
    templates inside scripts are not loaded on open and are not listed.

    Parameters
    ----------
    html : str
        The page.

    Returns
    -------
    list of str
        Sorted, without duplicates.
    """
    found = {url for pair in _EXTERNAL.findall(html) for url in pair if url}
    found |= set(_CSS_EXTERNAL.findall(html))
    return sorted(found)
