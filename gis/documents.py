"""Data contract of a read document: ``Document`` holding ``Sentence`` objects.

A document keeps its decoded original text and a normalised text (hard line
breaks inside paragraphs joined, spaces around CJK removed, full-width
letters and digits folded). ``Document.to_original`` maps any span of the
normalised text back to the original text, and ``Document.line_of`` gives the
1-based line of an original offset, so every later span points back at the
file.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

MODES = ("review", "plan", "unknown")
KINDS = ("work_report", "plan_execution_report", "five_year_plan", "news", "other")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a document, with the year and mode of its section.

    Attributes
    ----------
    doc : str
        File name of the document.
    index : int
        Position of the sentence in the document (0-based).
    text : str
        Normalised text of the sentence.
    start : int
        Offset of ``text[0]`` in ``Document.text`` (the normalised text).
    year : int or None
        The year the sentence is about.
    mode : str
        ``"review"`` (what happened), ``"plan"`` (what is to be done) or ``"unknown"``.
    period : tuple of int or None
        First and last year when the section covers a period (five-year plan).
    section : str
        Heading path of the section, outermost first, joined by ``" > "``.
    """

    doc: str
    index: int
    text: str
    start: int
    year: int | None
    mode: str
    period: tuple[int, int] | None = None
    section: str = ""

    @property
    def end(self) -> int:
        """Offset just past the sentence in ``Document.text``."""
        return self.start + len(self.text)


@dataclass
class Document:
    """A document read and normalised, with its sections and sentences.

    Attributes
    ----------
    path : Path
        Where it was read from.
    name : str
        File name (used as ``doc`` in every output).
    sha256 : str
        Hex digest of the file's bytes.
    encoding : str
        Encoding used to decode it (``"pdf"``/``"docx"`` for those formats).
    original : str
        The decoded original text (newlines normalised to ``\\n``).
    text : str
        The normalised text.
    offsets : sequence of int
        ``offsets[i]`` is the offset in ``original`` of ``text[i]``
        (a ``gis.normalise.OffsetMap``, or a plain list).
    kind : str
        One of ``KINDS``.
    title : str
        Title from the registry or the first heading.
    date : datetime.date or None
        Date of the document (from its text, else the registry).
    sentences : list of Sentence
        Sentences in order.
    """

    path: Path
    name: str
    sha256: str
    encoding: str
    original: str
    text: str
    offsets: Sequence[int]
    kind: str = "other"
    title: str = ""
    date: dt.date | None = None
    sentences: list[Sentence] = field(default_factory=list)
    _line_starts: list[int] = field(default_factory=list, repr=False)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span ``[start, end)`` of ``text`` to a span of ``original``.

        Parameters
        ----------
        start, end : int
            Offsets in the normalised text, ``0 <= start < end <= len(text)``.

        Returns
        -------
        tuple of int
            ``(orig_start, orig_end)``: the original span that holds the same
            characters (possibly with removed line breaks and spaces inside).
        """
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span {(start, end)!r} is outside the text of {self.name!r}")
        return self.offsets[start], self.offsets[end - 1] + 1

    def line_of(self, orig_offset: int) -> int:
        """1-based line number in the original file of an original offset."""
        if not self._line_starts:
            starts = [0]
            starts.extend(i + 1 for i, ch in enumerate(self.original) if ch == "\n")
            self._line_starts = starts
        return bisect.bisect_right(self._line_starts, orig_offset)

    @property
    def year(self) -> int | None:
        """Year of the document's date, if known."""
        return self.date.year if self.date else None
