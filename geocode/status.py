"""Status of a site from the words of the clause around its mention.

A clause is the stretch of a sentence between ``，；：。！？`` marks. Inside it,
the status cues of ``geocode/data/lexicon/status_cues.tsv`` are found; the
strongest cue wins, the nearest to the mention among equals. Some cues mean
different things by the sentence's mode: ``推进`` is *planned* in a plan and
*under construction* in a review; ``改造`` is *renovated* in a review and
*planned* in a plan. Decisive cues (``开工``, ``建成``, ``开业``) keep their
status whatever the mode. A completion cue with a renovation word gives
*renovated* (``完成…改造``). Weak cues (``优化``, ``推进``) count only within
``WEAK_CUE_REACH`` characters of the mention.
"""

from __future__ import annotations

import functools
import logging

import ahocorasick

from geocode.lexicon import StatusCue, load_lexicon

__all__ = ["CLAUSE_MARKS", "WEAK_CUE_REACH", "clause_around", "status_of"]

log = logging.getLogger(__name__)

WEAK_CUE_REACH = 10
CLAUSE_MARKS = frozenset("，,；;：:。！？!?\n")
_FUTURE = ("将", "计划", "拟", "力争", "争取", "预计", "年内", "明年", "今年")


@functools.lru_cache(maxsize=1)
def _cue_automaton() -> ahocorasick.Automaton:
    ac = ahocorasick.Automaton()
    for text, cue in load_lexicon().cues.items():
        ac.add_word(text, cue)
    ac.make_automaton()
    return ac


def clause_around(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the clause of ``text`` that holds ``text[start:end]``.

    Parameters
    ----------
    text : str
        Sentence text.
    start, end : int
        Span of the mention in ``text``.

    Returns
    -------
    tuple of int
        ``(clause_start, clause_end)`` offsets in ``text``.
    """
    lo = max(text.rfind(mark, 0, start) for mark in CLAUSE_MARKS) + 1
    ends = [i for i in (text.find(mark, end) for mark in CLAUSE_MARKS) if i >= 0]
    hi = min(ends) if ends else len(text)
    return lo, hi


def _resolve(cls: str, mode: str, clause: str) -> str:
    """A status from a cue class and the sentence's mode."""
    future = mode == "plan" or (mode == "unknown" and any(w in clause for w in _FUTURE))
    if cls == "plan_or_build":
        return "planned" if future else "under_construction"
    if cls == "renovation":
        return "planned" if future else "renovated"
    if cls == "new":
        return "planned" if future else "completed"
    return cls


def status_of(text: str, start: int, end: int, mode: str) -> tuple[str, str]:
    """Status of the site named at ``text[start:end]`` and the cue that decided it.

    Parameters
    ----------
    text : str
        The sentence (normalised text).
    start, end : int
        Span of the mention in ``text``.
    mode : str
        ``"review"``, ``"plan"`` or ``"unknown"`` (``Sentence.mode``).

    Returns
    -------
    tuple of str
        ``(status, status_cue)``: a status of ``geocode.model.STATUSES`` and the
        word(s) that decided it (``""`` for ``"mentioned"``).

    Examples
    --------
    >>> status_of("去年建成滨江公园，并向市民开放。", 4, 8, "review")
    ('completed', '建成')
    """
    lo, hi = clause_around(text, start, end)
    clause = text[lo:hi]
    hits: list[tuple[int, int, StatusCue]] = []
    for last, cue in _cue_automaton().iter(clause):
        s = lo + last - len(cue.text) + 1
        e = lo + last + 1
        if s < end and start < e:
            continue  # a cue inside the name itself (更新 in 城市更新中心)
        hits.append((s, e, cue))
    if not hits:
        return "mentioned", ""
    # the longest cue at a place wins over the cues inside it (开工建设 over 建设)
    hits = [
        h for h in hits
        if not any(o is not h and o[0] <= h[0] and h[1] <= o[1] and o[1] - o[0] > h[1] - h[0] for o in hits)
    ]

    def distance(h: tuple[int, int, StatusCue]) -> int:
        return start - h[1] if h[1] <= start else h[0] - end

    # a weak cue only counts close to the mention
    hits = [h for h in hits if h[2].strength > 1 or distance(h) <= WEAK_CUE_REACH]
    if not hits:
        return "mentioned", ""
    best = max(hits, key=lambda h: (h[2].strength, -distance(h)))
    cls = best[2].status
    cue = best[2].text
    renovation = [h for h in hits if h[2].status == "renovation"]
    if cls in ("completed", "new") and renovation:
        reno = min(renovation, key=distance)
        first, second = sorted((best, reno), key=lambda h: h[0])
        status = "planned" if _resolve("renovation", mode, clause) == "planned" else "renovated"
        return status, f"{first[2].text}…{second[2].text}"
    if cls == "renovation":
        ongoing = [h for h in hits if h[2].status in ("plan_or_build", "under_construction")]
        if ongoing and mode != "plan":
            return "under_construction", f"{min(ongoing, key=distance)[2].text}…{cue}"
    return _resolve(cls, mode, clause), cue
