"""Normalise document text without losing the way back to the original.

Government documents arrive hard-wrapped (a line break, often a blank line
too, every 30 characters, even inside names: ``仙`` / ``霞新村街道``), with
spaces inside CJK text and numbers (``2023 年``, ``临空 12号地块``) and a mix
of full-width and half-width characters. ``normalise_text`` joins wrapped
lines into paragraphs, removes those spaces, folds full-width letters and
digits to ASCII and half-width punctuation in Chinese text to full-width, and
returns, for every character it keeps, its offset in the original text.
Every substitution is one character for one character, so a span of the
normalised text maps back to a span of the original.
"""

from __future__ import annotations

import bisect
import re
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = [
    "NormalisedText",
    "OffsetMap",
    "is_cjk",
    "normalise_text",
    "HEADING_RE",
    "TOC_RE",
]

#: Characters that end a sentence or a paragraph-final clause.
TERMINATORS = frozenset("。！？!?；;：:")
#: Characters that may close a sentence after its terminator.
CLOSERS = frozenset("”’」』）)】")
#: A line that ends in one of these is cut inside a sentence (a list comma, a clause comma,
#: an opening bracket or quote), however short it is: a page break in a PDF or a blank line
#: in the middle of a list does not end the list.
CONTINUERS = frozenset("、，,（(“‘「『【《")

#: A heading or list marker at the start of a line: 一、 第三章 （一） (1) 1. ——
HEADING_RE = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]"
    r"|第[一二三四五六七八九十百零〇\d]{1,4}[章节篇部分]"
    r"|[（(][一二三四五六七八九十]{1,3}[）)]"
    r"|[（(]?\d{1,2}[）)、．]"
    r"|\d{1,2}\.(?!\d)"
    r"|——|──|--"
    r"|[①-⑳])"
)
_TOP_HEADING_RE = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|第[一二三四五六七八九十百零〇\d]{1,4}[章节篇部分])")
#: A table-of-contents entry: dot leaders or a trailing page number.
TOC_RE = re.compile(r"(?:\.{3,}|…{2,}|·{3,})\s*\d*\s*$|\s\d{1,3}\s*$")

_FULLWIDTH_ALNUM = {
    **{chr(0xFF10 + i): chr(0x30 + i) for i in range(10)},
    **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
    **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
}
_HALF_TO_FULL_PUNCT = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "!": "！", "?": "？"}
_YEAR_AHEAD = re.compile(r"(?:19|20)\d\d\s*年")
_WS_RUN = re.compile(r"[ \t\u00a0\u3000\u2002-\u200b\ufeff]+")
_STRIP = " \t\u00a0\u3000\ufeff\r"
_FULLWIDTH_TABLE = str.maketrans(_FULLWIDTH_ALNUM)
_HALF_PUNCT_RE = re.compile(r"[,;:()!?]")
_HAS_CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")


def is_cjk(ch: str) -> bool:
    """True for CJK ideographs, CJK punctuation and full-width forms."""
    if not ch:
        return False
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x3000 <= code <= 0x303F
        or 0xFF00 <= code <= 0xFFEF
        or 0x2014 <= code <= 0x201F
        or 0x2460 <= code <= 0x24FF
        or 0x20000 <= code <= 0x2FFFF
        or code in (0x00B7, 0x2026)
    )


@dataclass(frozen=True)
class NormalisedText:
    """The result of ``normalise_text``.

    Attributes
    ----------
    text : str
        Normalised text: one paragraph per line.
    offsets : OffsetMap
        ``offsets[i]`` is the offset in the original text of ``text[i]``
        (for a paragraph break, the offset of the original line break).
    """

    text: str
    offsets: OffsetMap


def _line_spans(original: str) -> list[tuple[int, int]]:
    """(start, end) of every line of ``original``, end excluding the newline."""
    spans = []
    start = 0
    for match in re.finditer("\n", original):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(original)))
    return spans


class OffsetMap(Sequence[int]):
    """Offsets of normalised characters in the original text, stored as runs.

    Most characters keep their neighbours, so the map is a list of runs
    (normalised start, original start); ``offsets[i]`` is found by bisection.
    It behaves as a read-only sequence of ints, one per normalised character,
    and takes memory in proportion to the number of runs, not of characters.
    """

    __slots__ = ("_norm", "_orig", "_len")

    def __init__(self, runs: list[tuple[int, int]], length: int) -> None:
        self._norm = [n for n, _ in runs]
        self._orig = [o for _, o in runs]
        self._len = length

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._len))]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError(f"offset index {index} out of range 0..{self._len - 1}")
        k = bisect.bisect_right(self._norm, index) - 1
        return self._orig[k] + (index - self._norm[k])

    def __iter__(self) -> Iterator[int]:
        for k, norm_start in enumerate(self._norm):
            stop = self._norm[k + 1] if k + 1 < len(self._norm) else self._len
            yield from range(self._orig[k], self._orig[k] + stop - norm_start)


def _fold_punctuation(match: re.Match[str]) -> str:
    """Half-width punctuation in Chinese text becomes full-width (not inside numbers)."""
    ch = match.group(0)
    text, i = match.string, match.start()
    if ch in ",:" and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit():
        return ch
    return _HALF_TO_FULL_PUNCT[ch]


def _clean_line(original: str, start: int, end: int) -> tuple[str, list[tuple[int, int]]]:
    """Normalise one line: drop spaces next to CJK or between digits, fold widths.

    Returns the text and its runs ``(offset in the line's text, original offset)``.
    """
    line = original[start:end]
    lo = len(line) - len(line.lstrip(_STRIP))
    hi = len(line.rstrip(_STRIP))
    pieces: list[str] = []
    runs: list[tuple[int, int]] = []
    size = 0
    pos = lo
    for match in _WS_RUN.finditer(line, lo, hi):
        if match.start() > pos:
            runs.append((size, start + pos))
            pieces.append(line[pos : match.start()])
            size += match.start() - pos
        before = line[match.start() - 1] if match.start() > 0 else ""
        after = line[match.end()] if match.end() < len(line) else ""
        run = match.group(0)
        keep = ""
        if "\t" in run:
            keep, at = "\t", match.start() + run.index("\t")  # a column separator
        elif not (
            is_cjk(before)
            or is_cjk(after)
            or (before.isdigit() and after.isdigit() and not _YEAR_AHEAD.match(line, match.end()))
            or (before.isdigit() and after in "%％")
        ):
            keep, at = " ", match.start()
        if keep:
            runs.append((size, start + at))
            pieces.append(keep)
            size += 1
        pos = match.end()
    if hi > pos:
        runs.append((size, start + pos))
        pieces.append(line[pos:hi])
    text = "".join(pieces).translate(_FULLWIDTH_TABLE)
    if _HAS_CJK.search(text):
        text = _HALF_PUNCT_RE.sub(_fold_punctuation, text)
    return text, runs


def _wrap_width(lengths: list[int]) -> float:
    """The width a hard-wrapped document wraps at (upper quartile of line lengths)."""
    if not lengths:
        return 0.0
    if len(lengths) < 4:
        return float(max(lengths))
    return float(statistics.quantiles(lengths, n=4)[2])


def _continues(prev: str, nxt: str, width: float) -> bool:
    """Whether line ``nxt`` continues the paragraph that ``prev`` ends."""
    if not prev or not nxt:
        return False
    last = prev[-1]
    while last in CLOSERS and len(prev) > 1:
        prev = prev[:-1]
        last = prev[-1]
    if last in TERMINATORS or "\t" in prev or "\t" in nxt:
        return False
    if HEADING_RE.match(nxt) or TOC_RE.search(prev) or _TOP_HEADING_RE.match(prev):
        return False
    if prev[-1] in CONTINUERS:
        return True
    # a short line that does not end a sentence is a title or heading, unless the
    # document is hard-wrapped at about this width
    return len(prev) >= 0.75 * width


def normalise_text(original: str) -> NormalisedText:
    """Normalise ``original`` and keep the offset of every kept character.

    Parameters
    ----------
    original : str
        Decoded document text with ``\\n`` line ends.

    Returns
    -------
    NormalisedText
        Paragraphs separated by ``\\n``; ``offsets`` maps back to ``original``.

    Examples
    --------
    >>> n = normalise_text("推进临空 12号地块建设，改造仙\\n\\n霞新村街道。")
    >>> n.text
    '推进临空12号地块建设，改造仙霞新村街道。'
    >>> original = "推进临空 12号地块建设，改造仙\\n\\n霞新村街道。"
    >>> original[n.offsets[13]:n.offsets[15] + 1]
    '仙\\n\\n霞新'
    """
    cleaned: list[tuple[str, list[tuple[int, int]], int]] = []
    for start, end in _line_spans(original):
        text, runs = _clean_line(original, start, end)
        if text:
            cleaned.append((text, runs, end))
    width = _wrap_width([len(t) for t, _, _ in cleaned if "\t" not in t])
    out: list[str] = []
    all_runs: list[tuple[int, int]] = []
    size = 0
    prev_text = ""
    prev_newline = -1
    for text, runs, newline in cleaned:
        if out and not _continues(prev_text, text, width):
            out.append("\n")
            all_runs.append((size, prev_newline))
            size += 1
        out.append(text)
        all_runs.extend((size + n, o) for n, o in runs)
        size += len(text)
        prev_text, prev_newline = text, newline
    return NormalisedText("".join(out), OffsetMap(all_runs, size))
