"""Recognise the sites named in a planning document.

``extract_mentions(doc)`` reads each sentence of a ``Document``, finds the
outermost site names in it (known names of the gazetteer and the lexicon,
names built on place-name heads, lists sharing a head, nested names with
their locators) and gives each a status from the clause around it and the
year and mode of its sentence. Offsets of every ``Mention`` point into the
original text of the document.
"""

from __future__ import annotations

import logging
import re

from geocode._patterns import Span, scan_sentence, scanner
from geocode.model import Mention
from geocode.status import status_of
from gis.documents import Document, Sentence

__all__ = ["extract_mentions", "mentions_from_sentence", "warm_up"]

log = logging.getLogger(__name__)
_NO_SPACE = re.compile(r"\s+")


def warm_up() -> None:
    """Build the automata now rather than at the first document."""
    scanner()


def _period(sentence: Sentence) -> str | None:
    if sentence.period is None:
        return None
    first, last = sentence.period
    return f"{first}-{last}"


def mentions_from_sentence(doc: Document, sentence: Sentence) -> list[Mention]:
    """Mentions of sites in one sentence of ``doc``.

    Parameters
    ----------
    doc : Document
        The document the sentence belongs to (for offsets and lines).
    sentence : Sentence
        A sentence of ``doc``; ``sentence.text`` equals
        ``doc.text[sentence.start:sentence.end]``.

    Returns
    -------
    list of Mention
        In text order.
    """
    text = sentence.text
    out: list[Mention] = []
    seen: set[tuple[int, int, str]] = set()
    spans = scan_sentence(text)
    bounds = [(sp.start, sp.end) for sp in spans]
    for sp in spans:
        key = (sp.start, sp.end, sp.name)
        if key in seen:
            continue
        seen.add(key)
        out.append(_mention(doc, sentence, sp, bounds))
    return out


def _mention(
    doc: Document, sentence: Sentence, sp: Span, bounds: list[tuple[int, int]]
) -> Mention:
    text = sentence.text
    orig_start, orig_end = doc.to_original(sentence.start + sp.start, sentence.start + sp.end)
    others = [b for b in bounds if b != (sp.start, sp.end)]
    status, cue = status_of(text, sp.start, sp.end, sentence.mode, others)
    surface = text[sp.start : sp.end]
    if not surface.isalnum():  # 公司（总部）科创园: keep the marks as the original writes them
        written = _NO_SPACE.sub("", doc.original[orig_start:orig_end])
        if len(written) == len(_NO_SPACE.sub("", surface)):
            surface = written
    return Mention(
        doc=doc.name,
        line=doc.line_of(orig_start),
        start=orig_start,
        end=orig_end,
        surface=surface,
        name=sp.name,
        type=sp.type,
        year=sentence.year,
        mode=sentence.mode,
        status=status,
        status_cue=cue,
        sentence=text,
        in_changning=sp.in_changning,
        period=_period(sentence),
        section=sentence.section,
        locators=list(sp.locators),
    )


def extract_mentions(doc: Document) -> list[Mention]:
    """Mentions of sites in a document, in document order.

    Parameters
    ----------
    doc : Document
        A read and normalised document with its sentences. A document without
        sentences is read as one sentence of unknown mode dated by the document.

    Returns
    -------
    list of Mention
        One per site name found, with its canonical name, type, status and
        the cue that decided it, locators, and offsets/line in the original
        text.

    Examples
    --------
    >>> from gis.documents import Document, Sentence
    >>> text = "加快建设滨江公园。"
    >>> doc = Document(path=None, name="t.txt", sha256="", encoding="utf-8",
    ...                original=text, text=text, offsets=list(range(len(text))),
    ...                sentences=[Sentence("t.txt", 0, text, 0, 2024, "review")])
    >>> [(m.name, m.type, m.status) for m in extract_mentions(doc)]
    [('滨江公园', 'park', 'under_construction')]
    """
    sentences = doc.sentences or [
        Sentence(doc.name, 0, doc.text, 0, doc.year, "unknown")
    ]
    mentions: list[Mention] = []
    for sentence in sentences:
        if sentence.text:
            mentions.extend(mentions_from_sentence(doc, sentence))
    mentions.sort(key=lambda m: (m.start, m.end))
    log.info("%s: %d mentions of sites in %d sentences", doc.name, len(mentions), len(sentences))
    return mentions
