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

import bisect
import functools
import logging
import re
from collections.abc import Sequence

import ahocorasick

from geocode.lexicon import StatusCue, load_lexicon

__all__ = ["CLAUSE_MARKS", "WEAK_CUE_REACH", "clause_around", "status_of"]

log = logging.getLogger(__name__)

WEAK_CUE_REACH = 10
CLAUSE_MARKS = frozenset("，,；;：:。！？!?\n\t")  # a tab parts the cells of a table row
_CLAUSE_MARK_RE = re.compile("[" + re.escape("".join(sorted(CLAUSE_MARKS))) + "]")
# a table caption (表2 …情况) names its subjects, it does not report on them
_CAPTION = re.compile(r"表\s*[0-9一二三四五六七八九十]+")
# a place used as the bound of what is done (中环内市政道路整治): the place is only named
_BOUND_AFTER = re.compile(r"(?:以内|以外|内|外)(?=市政|道路|区域|范围)")
_FUTURE = ("将", "计划", "拟", "力争", "争取", "预计", "年内", "明年", "今年")
# a cue followed by one of these is a noun phrase (…建设重大机遇, 建设等重大机遇): no status
_NOUN_AFTER = re.compile(r"等?(?:重大|重要|历史性|新)?(?:机遇|契机)")
# what is built at a place named as a location (在X等区域，推进…预警系统建设): a system
# or facility, not the place itself
_LOCATED_WORKS = re.compile(r"系统|平台|网络|设备|设施|装置|监控|探头")
# a place named as a bound of a stretch or an area (西起定西路, 北邻紫云西路, 东至X): only named
_BOUND_BEFORE = re.compile(r"[东南西北](?:起|至|到|邻|临)$")
# roads closing an area (范围为A、B、C围合而成的区域): the bounds of the area, only named
_ENCLOSED_AFTER = re.compile(r"(?:所|共同)?围合")
# cues that take a place after them as where something settles (落地X广场, 入驻X园区):
# the place is in use, ongoing
_SETTLE_CUES = frozenset({"落地", "落户", "入驻"})
# future words right before a completion or opening cue (将全面建成, 预计2024年竣工, 待其建成后)
_FUTURE_BEFORE = re.compile(r"(?:将|预计|计划|拟|力争|争取|即将|有望|待)[^，,；;。]{0,8}$")
# a clause opening with an adverb of time or manner has the subject of the clause before it
_PREDICATE_START = re.compile(r"(?:已|将|正式|预计|计划|目前已|现已|于\d)")
# a cue after a policy word said of the mention is the policy's (服务X国家战略落地)
_POLICY_WORDS = frozenset({"战略", "政策", "理念", "精神", "部署", "要求"})
_DONE_CLASSES = frozenset({"completed", "opened", "new"})
# 新建 qualifying a project noun (115街坊新建商务办公项目, …等新建项目): a new-build project, not
# a completed one
_PROJECT_AFTER = re.compile(r"[^，,；;。、]{0,6}?(?:项目|工程)")
_OPEN_BRACKETS = "（("
_CLOSE_BRACKETS = "）)"


@functools.lru_cache(maxsize=1)
def _cue_automaton() -> ahocorasick.Automaton:
    ac = ahocorasick.Automaton()
    for text, cue in load_lexicon().cues.items():
        ac.add_word(text, cue)
    ac.make_automaton()
    return ac


@functools.lru_cache(maxsize=4)
def _sentence_cues(text: str) -> tuple[tuple[int, int, StatusCue], ...]:
    """Every status cue of ``text`` as ``(start, end, cue)``, found once per sentence.

    The mentions of a sentence share it; a clause's cues are those inside its bounds
    (the same as the automaton finds on the clause alone).
    """
    return tuple(
        (last - len(cue.text) + 1, last + 1, cue) for last, cue in _cue_automaton().iter(text)
    )


@functools.lru_cache(maxsize=4)
def _clause_marks(text: str) -> tuple[int, ...]:
    """Offsets of the clause marks of ``text``, found once per sentence."""
    return tuple(m.start() for m in _CLAUSE_MARK_RE.finditer(text))


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
    marks = _clause_marks(text)
    i = bisect.bisect_left(marks, start)
    lo = marks[i - 1] + 1 if i else 0
    j = bisect.bisect_left(marks, end)
    hi = marks[j] if j < len(marks) else len(text)
    return lo, hi


def _resolve(cls: str, mode: str, clause: str) -> str:
    """A status from a cue class and the sentence's mode."""
    future = mode == "plan" or (mode == "unknown" and any(w in clause for w in _FUTURE))
    if cls == "plan_or_build":
        return "planned" if future else "under_construction"
    if cls == "renovation":
        return "planned" if future else "renovated"
    if cls in ("new", "launch"):
        if future:
            return "planned"
        return "completed" if cls == "new" else "opened"
    if cls == "upgrade":
        return "ongoing"
    if cls in ("honour", "relation"):
        return "mentioned"
    if cls == "study":
        return "planned"
    return cls


_Hit = tuple[int, int, StatusCue]
# cue classes that tell what the mention is for when they follow it: a study or plan
# of it (X控详调整, X研究), an honour it got (X入选), a partnership (与X合作)
_OBJECT_CLASSES = ("honour", "relation", "study")
# aspect cues that take the status of the object they govern (推进X品质提升 → ongoing)
_ASPECT_CLASSES = ("plan_or_build", "under_construction")
_LIST_GLUE = "、和及与等"
_GLUE_RE = re.compile("[" + _LIST_GLUE + "]")
_PLAN_TITLES = ("规划", "方案", "计划", "纲要", "意见")
# cues said of the subject before them only (X成为…: not the Y in 成为Y的附属医院)
_SUBJECT_CUES = frozenset({"成为"})


def _title_status(text: str, lo: int, start: int, end: int, hi: int) -> tuple[str, str] | None:
    """Status of a mention inside a document title 《…》, or ``None`` when it is not in one.

    A site named in the title of a plan is planned; in any other title (a
    regulation, a report) it is only mentioned. Cues in the title do not count.
    """
    opened = text.rfind("《", 0, start)
    if opened < 0 or text.rfind("》", opened, start) >= 0:
        return None
    close = text.find("》", end)
    title = text[opened + 1 : close if close >= 0 else hi]
    if title.endswith(_PLAN_TITLES[:4]):
        return "planned", title[-2:]
    return "mentioned", ""


def _in_titles(text: str, lo: int, hi: int) -> bytearray:
    """1 at the characters of ``text[lo:hi]`` inside 《…》 titles (offsets from ``lo``)."""
    mask = bytearray(hi - lo)
    depth = 0
    for i in range(lo, hi):
        ch = text[i]
        if ch == "《":
            depth += 1
        elif ch == "》":
            depth = max(0, depth - 1)
        elif depth:
            mask[i - lo] = 1
    return mask


def _is_location(text: str, lo: int, start: int, others: Sequence[tuple[int, int]]) -> bool:
    """True when the mention (or the list it ends) follows 在 at the clause start."""
    ends = {o_end: o_start for o_start, o_end in others}
    pos = start
    while pos > lo:
        if text[pos - 1] in _LIST_GLUE:
            pos -= 1
        elif pos in ends:
            pos = ends[pos]
        else:
            break
    return text[pos - 1 : pos] == "在" and pos - 1 - lo <= 2


def _bracketed_after_name(
    text: str, lo: int, start: int, others: Sequence[tuple[int, int]]
) -> bool:
    """True when the mention is inside brackets that open right after another name.

    ``拓宽古北路（天山路-仙霞路）``, ``中山西路（武夷路、玉屏南路）周边``: the names in
    the brackets are the bounds or the junctions of the name before them.

    Parameters
    ----------
    text : str
        Sentence text.
    lo : int
        Start of the mention's clause.
    start : int
        Start of the mention.
    others : sequence of tuple of int
        Spans of the other mentions of the sentence.

    Returns
    -------
    bool
    """
    opened = max(text.rfind(b, lo, start) for b in _OPEN_BRACKETS)
    if opened < 0 or any(text.find(c, opened, start) >= 0 for c in _CLOSE_BRACKETS):
        return False
    return any(o_end == opened for _o_start, o_end in others)


def _glue_count(text: str, a: int, b: int) -> int:
    """Number of list-glue characters (、和及与等) in ``text[a:b]``."""
    return len(_GLUE_RE.findall(text, a, b)) if b > a else 0


def _item_between(
    text: str, h: _Hit, end: int, near: Sequence[tuple[int, int]], cues: Sequence[_Hit]
) -> bool:
    """True when a cue after the mention belongs to a later item of its list.

    ``推进A新建工程、B改建工程等项目建设``: A has its own cue (新建) before the
    next item, so 改建 is B's. Items sharing a tail (A、B提升工程完工) share
    its cues, and so do the items before ``等`` (A、B等更新项目).
    """
    if h[0] < end or "等" in text[end : h[0]]:
        return False
    later = [x for x, y in near if end <= x and y <= h[0]]
    if not later:
        return False
    nxt = min(later)
    return any(end <= o[0] and o[1] <= nxt for o in cues)


def status_of(
    text: str, start: int, end: int, mode: str, others: Sequence[tuple[int, int]] = ()
) -> tuple[str, str]:
    """Status of the site named at ``text[start:end]`` and the cue that decided it.

    Parameters
    ----------
    text : str
        The sentence (normalised text).
    start, end : int
        Span of the mention in ``text``.
    mode : str
        ``"review"``, ``"plan"`` or ``"unknown"`` (``Sentence.mode``).
    others : sequence of tuple of int, optional
        Spans of the other mentions of the sentence: a list of sites between a
        cue and the mention does not make the cue farther (推进A、B、C建设).

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
    if (lo == 0 and _CAPTION.match(text)) or _BOUND_AFTER.match(text, end):
        return "mentioned", ""
    titled = _title_status(text, lo, start, end, hi)
    if titled is not None:
        return titled
    if _bracketed_after_name(text, lo, start, others):
        return "mentioned", ""  # 牛桥浜路（安西路-番禺路）: the bounds of the road
    if text[max(lo, start - 2) : start] == "作为":
        return "mentioned", ""  # 长宁作为X唯一中心城区: X frames a role, it is not worked on
    if _BOUND_BEFORE.search(text, max(lo, start - 2), start) or _encloses(text, end, hi, others):
        return "mentioned", ""  # 西起定西路, A、B、C围合而成的区域: the bounds of a place
    cues = _sentence_cues(text)
    if hi < len(text) and text[hi] in "，," and _is_location(text, lo, start, others) \
            and not any(lo <= s and e <= hi for s, e, _cue in cues):
        # 在X、Y等区域，推进…建设: the next clause tells what is done there
        nxt = hi + 1
        hi = clause_around(text, nxt, nxt)[1]
        if _LOCATED_WORKS.search(text, nxt, hi):
            return "mentioned", ""  # a system is built there, not the place
    if hi < len(text) and text[hi] in "，," and _subject_of_next(text, end, hi) \
            and not any(lo <= s and e <= hi for s, e, _cue in cues):
        # 位于X路的Y公园，已于日前正式开门迎客: the next clause says what became of Y
        hi = clause_around(text, hi + 1, hi + 1)[1]
    clause = text[lo:hi]
    if text[max(lo, start - 1) : start] == "将":
        # 将X改造成…: 将 marks the object (like 把), it does not tell the future
        clause = text[lo : start - 1] + text[start:hi]
    in_title = _in_titles(text, lo, hi) if "《" in clause or "》" in clause else bytes(hi - lo)
    hits: list[_Hit] = []
    for s, e, cue in cues:
        if s < lo or e > hi:
            continue
        if s < end and start < e:
            continue  # a cue inside the name itself (更新 in 城市更新中心)
        if any(o_start <= s and e <= o_end for o_start, o_end in others):
            continue  # a cue inside another name (拓展 in 南向拓展带)
        if in_title[s - lo]:
            continue  # a cue inside a document title (《关于加快推进…的意见》)
        hits.append((s, e, cue))
    # the longest cue at a place wins over the cues inside it (开工建设 over 建设)
    hits = [
        h for h in hits
        if not any(o is not h and o[0] <= h[0] and h[1] <= o[1] and o[1] - o[0] > h[1] - h[0] for o in hits)
    ]
    # a figure or a noun phrase (完成税收, 建设机遇, 运营主体) only hides the cue inside it
    hits = [h for h in hits if h[2].status != "figure" and not _NOUN_AFTER.match(text, h[1])]
    # a cue closing a list item before the mention is that item's (A开工建设、B竣工)
    hits = [h for h in hits if not (h[1] <= start and text[h[1] : h[1] + 1] == "、")]
    settled = [h for h in hits if _settles_at(text, h, start)]
    if settled:  # 入驻X产业园, 落地X中心: the site hosts what settles there, it is in use
        return "ongoing", settled[-1][2].text
    hits = [h for h in hits if h[0] < end or not (
        text[h[0] - 2 : h[0]] in _POLICY_WORDS or _qualifies_next(text, h, end, others))]
    if not hits:
        return "mentioned", ""

    # the distance between a cue and the mention counts neither the other
    # mentions nor list separators between them (推进A、B、C建设)
    near = [(max(o_start, lo), min(o_end, hi)) for o_start, o_end in others
            if o_end > lo and o_start < hi]

    distances: dict[tuple[int, int], int] = {}

    def distance(h: _Hit) -> int:
        key = (h[0], h[1])
        if key not in distances:
            distances[key] = _distance(h)
        return distances[key]

    def _distance(h: _Hit) -> int:
        a, b = (h[1], start) if h[1] <= start else (end, h[0])
        n = b - a
        spans_between: list[tuple[int, int]] = []
        for x, y in sorted((max(x, a), min(y, b)) for x, y in near if y > a and x < b):
            if spans_between and x < spans_between[-1][1]:  # nested or crossing: merge
                spans_between[-1] = (spans_between[-1][0], max(y, spans_between[-1][1]))
            else:
                spans_between.append((x, y))
        # count the list glue of the stretches between the other mentions
        pos = a
        for x, y in spans_between:
            n -= (y - x) + _glue_count(text, pos, x)
            pos = y
        return n - _glue_count(text, pos, b)

    hits = [h for h in hits if not (h[2].text in _SUBJECT_CUES and h[1] <= start)]
    # a partner (与X合作, 对接X, X联动) is named, not built; one reaching out to a
    # partner (X与Y合作) is not a partner
    partner = [
        h for h in hits if h[2].status == "relation" and distance(h) <= WEAK_CUE_REACH
        and not (h[0] >= end and "与" in text[end : h[0]])
    ]
    if partner:
        return "mentioned", ""
    after = [h for h in hits if h[0] >= end and h[2].status in _OBJECT_CLASSES]
    for cls in ("honour", "study"):
        found = [h for h in after if h[2].status == cls]
        if found:
            nearest = min(found, key=distance)
            return _resolve(cls, mode, clause), "" if cls != "study" else nearest[2].text
    hits = [h for h in hits if h[2].status not in _OBJECT_CLASSES]
    all_hits = hits
    # a weak cue only counts close to the mention, or anywhere in the clause for
    # a place the clause happens in (在X、Y等区域推进…建设)
    if not _is_location(text, lo, start, others):
        hits = [h for h in hits if h[2].strength > 1 or distance(h) <= WEAK_CUE_REACH]
    if not hits:
        return "mentioned", ""
    best = max(hits, key=lambda h: (h[2].strength, -distance(h)))
    cls = best[2].status
    cue = best[2].text
    # a renovation word counts near the mention or right before the completion
    # cue it qualifies (X…景观提升工程完工)
    renovation = [
        h for h in all_hits if h[2].status in ("renovation", "upgrade")
        and (h in hits or 0 <= best[0] - h[1] <= 3) and not _item_between(text, h, end, near, all_hits)
    ]
    if cls in ("completed", "new") and renovation:
        reno = min(renovation, key=distance)
        first, second = sorted((best, reno), key=lambda h: h[0])
        # a completion is reported as done, or set as a target of the year (完成…改造)
        return "renovated", f"{first[2].text}…{second[2].text}"
    if (cls in _ASPECT_CLASSES and best[2].strength <= 2) \
            or (cls == "renovation" and best[2].strength == 1):
        upgrade = [h for h in hits if h[2].status == "upgrade" and h[0] >= end]
        if upgrade:  # 推进X品质提升: improving a site that exists
            return "ongoing", f"{cue}…{min(upgrade, key=distance)[2].text}"
    if cls == "renovation":
        ongoing = [h for h in hits if h[2].status in ("plan_or_build", "under_construction")]
        # works going on (推进), or said to be sped up even in a plan (加大…推进力度)
        if ongoing and (mode != "plan" or any(h[2].status == "under_construction" for h in ongoing)):
            return "under_construction", f"{min(ongoing, key=distance)[2].text}…{cue}"
    if cls == "new" and _PROJECT_AFTER.match(text, best[1]):
        cls = "plan_or_build"  # 新建商务办公项目: a new-build project, by the mode
    elif cls in _DONE_CLASSES and best[2].strength == 3 \
            and _FUTURE_BEFORE.search(text, lo, best[0]):
        # 将全面建成, 预计2024年竣工: a target, planned; in a review the works go on
        return ("under_construction" if mode == "review" else "planned"), cue
    return _resolve(cls, mode, clause), cue


def _subject_of_next(text: str, end: int, hi: int) -> bool:
    """True when the mention ends its clause and the next clause has no subject.

    ``…的临空音乐公园，已于日前开门迎客``, ``X，将于年底竣工``: the next clause opens with an
    adverb and says what became of the mention.
    """
    if text[end:hi].strip(_CLOSE_BRACKETS + "”\"") != "":
        return False
    return _PREDICATE_START.match(text, hi + 1) is not None


def _encloses(text: str, end: int, hi: int, others: Sequence[tuple[int, int]]) -> bool:
    """True when the mention, or the list it starts, is followed by 围合 (the bounds of an area)."""
    if "围合" not in text:
        return False
    starts = {o_start: o_end for o_start, o_end in others}
    pos = end
    while pos < hi:
        if text[pos] in _LIST_GLUE:
            pos += 1
        elif pos in starts and starts[pos] > pos:
            pos = starts[pos]
        else:
            break
    return _ENCLOSED_AFTER.match(text, pos) is not None


def _settles_at(text: str, h: _Hit, start: int) -> bool:
    """True when a cue of settling (落地, 入驻) has the mention right after it as its place."""
    if h[2].text not in _SETTLE_CUES or h[1] > start:
        return False
    gap = text[h[1] : start]
    return gap in ("", "于", "在")


def _qualifies_next(text: str, h: _Hit, end: int, others: Sequence[tuple[int, int]]) -> bool:
    """True when a cue after the mention qualifies the next list item (A和在建的B)."""
    if text[h[1] : h[1] + 1] != "的":
        return False
    if text[end : h[0]].strip(_LIST_GLUE) != "" or h[0] == end:
        return False
    return any(h[1] < o_start <= h[1] + 4 for o_start, _o_end in others)
