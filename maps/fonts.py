"""The CJK font of the pictures and the deck, and checks of its glyph coverage.

Pictures need a real Chinese font: matplotlib's default (DejaVu Sans) draws
empty boxes for Chinese. ``cjk_font()`` finds Noto Sans CJK SC (Debian package
``fonts-noto-cjk``) and raises a ``PlanmapError`` naming that package when no
CJK font is installed. ``missing_glyphs()`` reads the font's cmap so callers
(and tests) can check that every character drawn has a glyph.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

from gis._errors import PlanmapError

__all__ = [
    "CJK_FAMILIES",
    "PPTX_EA_FALLBACK",
    "cjk_family",
    "cjk_font",
    "cjk_font_face",
    "cjk_font_properties",
    "missing_glyphs",
    "safe_text",
]

log = logging.getLogger(__name__)

#: Families tried in order; the first installed one is used.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
)
#: East Asian typeface PowerPoint falls back to on Windows when the CJK family is absent.
PPTX_EA_FALLBACK = "微软雅黑"

_APT_HINT = (
    "no CJK font is installed, so Chinese labels would be drawn as empty boxes; "
    "install one with `apt-get install fonts-noto-cjk` (Noto Sans CJK SC) and "
    "clear matplotlib's font cache (~/.cache/matplotlib) if it was installed just now"
)
_PROBE = "长宁区规划"


@functools.lru_cache(maxsize=1)
def cjk_font_face() -> tuple[Path, int, str]:
    """The CJK font file, its face index in a collection (.ttc) and its family.

    Returns
    -------
    tuple of (Path, int, str)
        Font file, face index (0 for a plain .ttf/.otf) and family name.

    Raises
    ------
    PlanmapError
        When no CJK font is installed; the message names ``fonts-noto-cjk``.
    """
    for family in CJK_FAMILIES:
        try:
            found = font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        path = Path(str(found))
        index = int(getattr(found, "face_index", 0) or 0)
        if not _missing(path, index, _PROBE):
            log.debug("CJK font: %s (%s, face %d)", family, path, index)
            return path, index, family
    found_fc = _fc_match()
    if found_fc is not None:
        return found_fc
    raise PlanmapError(_APT_HINT)


def _fc_match() -> tuple[Path, int, str] | None:
    """Ask fontconfig for a Simplified Chinese font matplotlib did not list."""
    fc = shutil.which("fc-match")
    if fc is None:
        return None
    try:
        out = subprocess.run(
            [fc, "-f", "%{file}|%{index}|%{family[0]}", ":lang=zh-cn"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.split("|")
    if len(parts) != 3 or not parts[0]:
        return None
    path, index, family = Path(parts[0]), int(parts[1] or 0), parts[2]
    if not path.exists() or _missing(path, index, _PROBE):
        return None
    font_manager.fontManager.addfont(str(path))
    return path, index, family


def cjk_font() -> Path:
    """Path of the CJK font file used for pictures (Noto Sans CJK SC when installed).

    Returns
    -------
    Path
        The font file (a .ttc collection for Debian's ``fonts-noto-cjk``).

    Raises
    ------
    PlanmapError
        When no CJK font is installed; the message names ``fonts-noto-cjk``.
    """
    return cjk_font_face()[0]


def cjk_family() -> str:
    """Family name of the CJK font (``"Noto Sans CJK SC"`` when installed)."""
    return cjk_font_face()[2]


def cjk_font_properties(size: float | None = None, weight: str = "normal") -> FontProperties:
    """Matplotlib font properties of the CJK font.

    Parameters
    ----------
    size : float, optional
        Size in points; ``None`` keeps matplotlib's default.
    weight : str
        ``"normal"`` or ``"bold"``.
    """
    return FontProperties(family=cjk_family(), size=size, weight=weight)


@functools.lru_cache(maxsize=8)
def _cmap(path: Path, index: int) -> frozenset[int]:
    """The code points the font (face ``index`` of a collection) has a glyph for.

    Read by FreeType through matplotlib (10 ms); fontTools, the fallback for a
    matplotlib without ``face_index``, decodes the whole CFF table of Noto Sans
    CJK to name the glyphs first (0.2–0.7 s).
    """
    try:
        from matplotlib.ft2font import FT2Font

        return frozenset(FT2Font(str(path), face_index=index).get_charmap())
    except TypeError:  # matplotlib before 3.10: no face_index
        pass
    from fontTools.ttLib import TTFont

    kwargs = {"fontNumber": index} if path.suffix.lower() in {".ttc", ".otc"} else {}
    with TTFont(str(path), lazy=True, **kwargs) as font:
        return frozenset(font.getBestCmap() or {})


def _missing(path: Path, index: int, text: str) -> set[str]:
    cmap = _cmap(path, index)
    return {ch for ch in text if not ch.isspace() and ord(ch) not in cmap}


def missing_glyphs(texts: Iterable[str] | str, font: tuple[Path, int] | None = None) -> set[str]:
    """Characters of ``texts`` the font has no glyph for (whitespace ignored).

    Parameters
    ----------
    texts : str or iterable of str
        Strings that will be drawn.
    font : (Path, int), optional
        Font file and face index; ``None`` uses ``cjk_font_face()``.

    Returns
    -------
    set of str
        The uncovered characters; empty when every character has a glyph.
    """
    if isinstance(texts, str):
        texts = [texts]
    path, index = font if font is not None else cjk_font_face()[:2]
    missing: set[str] = set()
    for text in texts:
        missing |= _missing(Path(path), index, text)
    return missing


def safe_text(text: str, replacement: str = "?") -> str:
    """``text`` with characters the CJK font cannot draw replaced.

    Document text may hold a rare character or symbol outside the font; it is
    replaced (and logged) rather than drawn as an empty box.
    """
    missing = missing_glyphs(text)
    if not missing:
        return text
    log.warning("no glyph for %r in %r; drawn as %r", "".join(sorted(missing)), text, replacement)
    return "".join(replacement if ch in missing else ch for ch in text)
