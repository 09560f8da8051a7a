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

import re
import statistics
from dataclasses import dataclass

__all__ = [
    "NormalisedText",
    "is_cjk",
    "normalise_text",
    "HEADING_RE",
    "TOC_RE",
]

#: Characters that end a sentence or a paragraph-final clause.
TERMINATORS = frozenset("。！？!?；;：:")
#: Characters that may close a sentence after its terminator.
CLOSERS = frozenset("”’」』）)】")

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
_WS_RUN = re.compile(r"[ \t\u00a0\u3000\u2002-\u200b]+")


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
    offsets : list of int
        ``offsets[i]`` is the offset in the original text of ``text[i]``
        (for a paragraph break, the offset of the original line break).
    """

    text: str
    offsets: list[int]


def _line_spans(original: str) -> list[tuple[int, int]]:
    """(start, end) of every line of ``original``, end excluding the newline."""
    spans = []
    start = 0
    for match in re.finditer("\n", original):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(original)))
    return spans


def _clean_line(original: str, start: int, end: int) -> tuple[str, list[int]]:
    """Normalise one line: drop spaces next to CJK or between digits, fold widths."""
    line = original[start:end]
    chars: list[str] = []
    offs: list[int] = []
    pos = 0
    stripped_start = len(line) - len(line.lstrip(" \t\u00a0\u3000\ufeff\r"))
    stripped_end = len(line.rstrip(" \t\u00a0\u3000\ufeff\r"))
    pos = stripped_start
    segments: list[tuple[int, int]] = []  # kept segments, spaces decided between them
    for match in _WS_RUN.finditer(line, stripped_start, stripped_end):
        segments.append((pos, match.start()))
        segments.append((-1, match.start()))  # marker: a whitespace run starting here
        pos = match.end()
    segments.append((pos, stripped_end))
    for i, (seg_start, seg_end) in enumerate(segments):
        if seg_start == -1:
            before = line[seg_end - 1] if seg_end > 0 else ""
            nxt = segments[i + 1][0] if i + 1 < len(segments) else -1
            after = line[nxt] if 0 <= nxt < len(line) else ""
            if "\t" in line[seg_end:nxt]:
                chars.append("\t")  # a column or page-number separator: keep it
                offs.append(start + seg_end + line[seg_end:nxt].index("\t"))
                continue
            drop = (
                is_cjk(before)
                or is_cjk(after)
                or (before.isdigit() and after.isdigit() and not _YEAR_AHEAD.match(line, nxt))
                or (before.isdigit() and after in "%％")
            )
            if not drop:
                chars.append(" ")
                offs.append(start + seg_end)
            continue
        for j in range(seg_start, seg_end):
            ch = line[j]
            if ch == "\ufeff" or ch == "\r":
                continue
            chars.append(_FULLWIDTH_ALNUM.get(ch, ch))
            offs.append(start + j)
    # half-width punctuation inside Chinese text becomes full-width
    if any(is_cjk(c) for c in chars):
        for k, ch in enumerate(chars):
            if ch in _HALF_TO_FULL_PUNCT:
                prev = chars[k - 1] if k else ""
                nxt = chars[k + 1] if k + 1 < len(chars) else ""
                if ch in ",:" and prev.isdigit() and nxt.isdigit():
                    continue
                chars[k] = _HALF_TO_FULL_PUNCT[ch]
    return "".join(chars), offs


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
    cleaned: list[tuple[str, list[int], int]] = []  # (text, offsets, newline offset)
    for start, end in _line_spans(original):
        text, offs = _clean_line(original, start, end)
        if text:
            cleaned.append((text, offs, end))
    width = _wrap_width([len(t) for t, _, _ in cleaned if "\t" not in t])
    out_chars: list[str] = []
    out_offs: list[int] = []
    prev_text = ""
    prev_newline = -1
    for text, offs, newline in cleaned:
        if out_chars and not _continues(prev_text, text, width):
            out_chars.append("\n")
            out_offs.append(prev_newline)
        out_chars.append(text)
        out_offs.extend(offs)
        prev_text, prev_newline = text, newline
    return NormalisedText("".join(out_chars), out_offs)
