"""A content-keyed cache of briefing pictures (PNG, SVG and what was drawn on them).

A picture is drawn from its sheet's data (projects, legend, titles, extent),
the base layers, the drawing code and the font; ``maps.pictures`` hashes
those into a key. This module stores and finds the files by key:

``settings.cache_folder / "pictures" / <fingerprint> / <key>.png|.svg|.json``

where the fingerprint names the code, the library versions, the font and the
matplotlib settings, so a change to any of them starts an empty folder. The
``.json`` (what the ``Picture`` records: labels, texts, legend) is written
last: an entry without it is incomplete and ignored. A hit copies the two
files byte for byte, so the outputs are those of the draw that filled the
cache. Entries not used for a while are pruned (at most ``MAX_ENTRIES``
pictures are kept per fingerprint; folders of other fingerprints unchanged
for a week are removed).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from pathlib import Path

from gis.atomic import atomic_path, write_bytes_atomic

__all__ = ["MAX_ENTRIES", "PictureCache", "digest"]

log = logging.getLogger(__name__)

#: Pictures kept per fingerprint folder (some 1.5 MB each); the least recently used go first.
MAX_ENTRIES = 100
#: Folders of other fingerprints (other code) untouched this long are removed.
_STALE_SECONDS = 7 * 24 * 3600
_SUFFIXES = (".png", ".svg")


def digest(*parts: object) -> str:
    """A hex SHA-256 of ``parts`` (bytes as they are, anything else by its ``repr``)."""
    h = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes | bytearray | memoryview) else repr(part).encode()
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


class PictureCache:
    """Pictures by key in one fingerprint folder.

    Parameters
    ----------
    root : Path
        The cache's root (``settings.cache_folder / "pictures"``).
    fingerprint : str
        Names the code, libraries, font and settings the pictures were drawn with.
    """

    def __init__(self, root: Path, fingerprint: str) -> None:
        self.root = Path(root)
        self.folder = self.root / fingerprint[:32]
        self.hits = 0
        self.stored = 0

    def get(self, key: str, png: Path, svg: Path) -> dict | None:
        """Copy the cached files of ``key`` to ``png`` and ``svg``; return the record.

        Returns ``None`` (and copies nothing) when the entry is missing,
        incomplete or unreadable.
        """
        meta = self.folder / f"{key}.json"
        try:
            record = json.loads(meta.read_text(encoding="utf-8"))
            sources = [self.folder / f"{key}{suffix}" for suffix in _SUFFIXES]
            for source, target in zip(sources, (png, svg), strict=True):
                with atomic_path(target) as tmp:
                    shutil.copyfile(source, tmp)
            os.utime(meta)  # recently used: kept when pruning
        except (OSError, ValueError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.warning("ignoring a broken picture cache entry %s: %s", meta, exc)
            return None
        self.hits += 1
        return record

    def put(self, key: str, png: Path, svg: Path, record: dict) -> None:
        """Store the files just written and their record under ``key`` (errors are logged)."""
        try:
            for source, suffix in zip((png, svg), _SUFFIXES, strict=True):
                target = self.folder / f"{key}{suffix}"
                target.parent.mkdir(parents=True, exist_ok=True)
                with atomic_path(target) as tmp:
                    shutil.copyfile(source, tmp)
            write_bytes_atomic(self.folder / f"{key}.json",
                               json.dumps(record, ensure_ascii=False).encode("utf-8"))
        except OSError as exc:
            log.warning("cannot cache the picture %s: %s", png.name, exc)
            return
        self.stored += 1

    def prune(self, max_entries: int = MAX_ENTRIES) -> None:
        """Remove stale fingerprint folders and this folder's least recently used entries."""
        if not self.stored or not self.folder.is_dir():
            return
        try:
            stale = time.time() - _STALE_SECONDS
            for other in self.root.iterdir():
                if other.is_dir() and other != self.folder and other.stat().st_mtime < stale:
                    shutil.rmtree(other, ignore_errors=True)
            metas = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
            for meta in metas[: max(0, len(metas) - max_entries)]:
                for suffix in (".json", *_SUFFIXES):
                    meta.with_suffix(suffix).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot prune the picture cache %s: %s", self.folder, exc)
