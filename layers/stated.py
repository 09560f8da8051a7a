"""Zones and belts that the text itself states for a mention.

The plan text places sites in a zone or a belt in four ways; each is a rule
here, tried in this order for every mention (the first that applies wins):

1. **name** — the mention's surface or its entity's canonical name contains a
   zone/belt phrase (``临空12号地块`` → west).
2. **clause** — a phrase stands in the same clause as the mention. Clauses are
   split at ``，；：。！？`` but *not* at ``、``, which joins the items of one
   list. A phrase occurrence that lies inside the surface of *another* mention
   of the same sentence is ignored (``宜家荟聚购物中心、临空12号地块`` states
   nothing for 宜家荟聚). A clause naming two different zones states none.
3. **topic** — the sentence opens with a phrase followed by ``，`` (``苏州河滨水
   商务休闲景观带，积极落实…``): the phrase is the topic of the whole sentence.
4. **section** — the innermost heading of the mention's section names exactly
   one zone (``五、持续优化空间格局 > （一）东部中山公园地区``): the plan lists
   the zone's projects under that heading.

So a sentence that mentions several places and one zone does *not* state the
zone for every place: only for those in the phrase's own clause (or all when
the phrase is the sentence's topic or its section heading).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from geocode.model import Mention

__all__ = [
    "BELT_PHRASES",
    "ZONE_PHRASES",
    "StatedMemo",
    "find_phrases",
    "has_phrases",
    "sentence_surfaces",
    "stated_belts",
    "stated_by_mention",
    "stated_zone",
]

#: what ``stated_by_mention`` is keyed by: (doc, start, end, name) of a mention.
StatedKey = tuple[str, int, int, str]

#: zone key -> regular expression of the phrases that name it.
ZONE_PHRASES: dict[str, re.Pattern[str]] = {
    "east": re.compile(r"东部中山公园|中山公园地区|中山公园商圈|中山公园商业中心"),
    "central": re.compile(r"中部虹桥|(?<!临空)虹桥地区|虹桥国际贸易中心"),
    "west": re.compile(r"西部临空|临空"),
}
#: belt key -> regular expression of the phrases that name it.
BELT_PHRASES: dict[str, re.Pattern[str]] = {
    "suzhou_creek": re.compile(r"苏州河滨水[^，。；、]{0,10}带|苏州河[^，。；、]{0,6}景观带"),
    "line2": re.compile(r"(?<!\d)2号线[^，。；、]{0,8}发展带|(?<!\d)2号线沿线"),
    "yanan_hongqiao": re.compile(r"延安西路[-－—–~～]+虹桥路|时尚文化集聚带"),
}

#: any zone or belt phrase: each pattern as an alternative (lookbehinds stay in their branch).
_ANY_PHRASE = re.compile(
    "|".join(f"(?:{rx.pattern})" for rx in (*ZONE_PHRASES.values(), *BELT_PHRASES.values()))
)
#: (id of the phrase table, text) -> phrases found: sentences and headings repeat per mention.
_FOUND: dict[tuple[int, str], list[tuple[str, int, int]]] = {}
_CLAUSE_SPLIT = re.compile(r"[，,；;：:。！？!?]")
_TOPIC_END = "，,"


def find_phrases(text: str, phrases: dict[str, re.Pattern[str]]) -> list[tuple[str, int, int]]:
    """Every phrase occurrence in ``text``.

    Parameters
    ----------
    text : str
        Text to search.
    phrases : dict of str to Pattern
        ``ZONE_PHRASES`` or ``BELT_PHRASES``.

    Returns
    -------
    list of (key, start, end)
        Sorted by start, then key.
    """
    cache_key = (id(phrases), text)
    found = _FOUND.get(cache_key)
    if found is None:
        found = sorted(
            ((key, m.start(), m.end()) for key, rx in phrases.items() for m in rx.finditer(text)),
            key=lambda t: (t[1], t[0]),
        )
        if len(_FOUND) > 100_000:
            _FOUND.clear()
        _FOUND[cache_key] = found
    return list(found)


def has_phrases(text: str) -> bool:
    """Whether ``text`` holds any zone or belt phrase (one regular-expression search).

    Parameters
    ----------
    text : str
        Text to search.

    Returns
    -------
    bool
        True when ``find_phrases`` finds something in ``text`` with
        ``ZONE_PHRASES`` or ``BELT_PHRASES``.
    """
    return _ANY_PHRASE.search(text) is not None


def _clauses(sentence: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _CLAUSE_SPLIT.finditer(sentence):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(sentence)))
    return spans


def _spans_of(sentence: str, surface: str) -> list[tuple[int, int]]:
    if not surface:
        return []
    return [
        (m.start(), m.start() + len(surface)) for m in re.finditer(re.escape(surface), sentence)
    ]


def _stated(
    mention: Mention,
    phrases: dict[str, re.Pattern[str]],
    others: Iterable[str],
    *,
    single: bool,
) -> tuple[set[str], str]:
    """Keys the text states for a mention, and the rule that stated them."""
    by_name = {k for k, _, _ in find_phrases(mention.surface, phrases)}
    by_name |= {k for k, _, _ in find_phrases(mention.name, phrases)}
    if by_name and (not single or len(by_name) == 1):
        return by_name, "name"
    sentence = mention.sentence or ""
    occurrences = find_phrases(sentence, phrases)
    own = _spans_of(sentence, mention.surface) if occurrences else []
    if occurrences:  # most sentences name no zone or belt: skip the span work
        blocked = [
            span
            for other in set(others)
            if other and other != mention.surface and other not in mention.surface
            for span in _spans_of(sentence, other)
        ]
        occurrences = [
            (k, s, e) for k, s, e in occurrences if not any(bs <= s and e <= be for bs, be in blocked)
        ]
    for cs, ce in _clauses(sentence):
        if not any(cs <= s < ce for s, _ in own):
            continue
        keys = {k for k, s, e in occurrences if cs <= s and e <= ce}
        if keys and (not single or len(keys) == 1):
            return keys, "clause"
    topic, end = [], 0
    for k, s, e in occurrences:  # phrases chained from the sentence start
        if s <= end:
            topic.append((k, s, e))
            end = max(end, e)
    if topic and topic[0][1] == 0:
        rest = sentence[end:]
        after = re.match(r"[^，,；;。]{0,2}", rest)
        if after is not None and rest[after.end() : after.end() + 1] in tuple(_TOPIC_END):
            keys = {k for k, _, _ in topic}
            if not single or len(keys) == 1:
                return keys, "topic"
    headings = [h.strip() for h in (mention.section or "").split(">") if h.strip()]
    for heading in reversed(headings):
        keys = {k for k, _, _ in find_phrases(heading, phrases)}
        if keys:
            if not single or len(keys) == 1:
                return keys, "section"
            break
    return set(), ""


def stated_zone(mention: Mention, others: Iterable[str] = ()) -> tuple[str, str]:
    """The zone the text states for one mention.

    Parameters
    ----------
    mention : Mention
        The mention (its ``surface``, ``name``, ``sentence`` and ``section`` are used).
    others : iterable of str
        Surfaces of the other mentions of the same sentence; phrases inside
        them state nothing for this mention.

    Returns
    -------
    (zone, rule) : tuple of str
        Zone key and the rule that found it (``name``, ``clause``, ``topic``,
        ``section``), or ``("", "")``.
    """
    keys, rule = _stated(mention, ZONE_PHRASES, others, single=True)
    return (next(iter(keys)), rule) if keys else ("", "")


def stated_belts(mention: Mention, others: Iterable[str] = ()) -> tuple[list[str], str]:
    """The belts the text states for one mention (same rules as ``stated_zone``).

    Parameters
    ----------
    mention : Mention
        The mention.
    others : iterable of str
        Surfaces of the other mentions of the same sentence.

    Returns
    -------
    (belts, rule) : tuple
        Sorted belt keys (possibly empty) and the rule that found them.
    """
    keys, rule = _stated(mention, BELT_PHRASES, others, single=False)
    return sorted(keys), rule


def sentence_surfaces(mentions: Iterable[Mention]) -> dict[tuple[str, str], frozenset[str]]:
    """(doc, sentence) -> surfaces of its mentions, for sentences holding a zone or belt phrase.

    Parameters
    ----------
    mentions : iterable of Mention
        Every mention of the documents (the surfaces of one sentence's
        mentions block each other's phrases).
    """
    phrased: dict[str, bool] = {}
    surfaces: dict[tuple[str, str], set[str]] = defaultdict(set)
    for m in mentions:
        sentence = m.sentence
        has = phrased.get(sentence)
        if has is None:
            has = phrased[sentence] = has_phrases(sentence or "")
        if has:
            surfaces[(m.doc, sentence)].add(m.surface)
    return {key: frozenset(found) for key, found in surfaces.items()}


class StatedMemo:
    """``stated_zone`` and ``stated_belts`` of mentions, computed once per distinct input.

    What the text states for a mention depends only on its surface, name and
    section and, when its sentence holds a zone or belt phrase at all, on the
    sentence and the surfaces of the other mentions in it (``sentence_surfaces``
    keeps those sentences only). Most sentences hold none, so most mentions
    share a key with many others.

    Parameters
    ----------
    surfaces : dict
        ``sentence_surfaces`` of every mention.
    """

    def __init__(self, surfaces: dict[tuple[str, str], frozenset[str]]) -> None:
        self.surfaces = surfaces
        self.memo: dict[tuple, tuple[str, list[str]]] = {}

    def __call__(self, m: Mention) -> tuple[str, list[str]]:
        """(stated zone or ``""``, sorted stated belts) of one mention."""
        others = self.surfaces.get((m.doc, m.sentence))
        key: tuple = (
            (m.surface, m.name, m.section) if others is None
            else (m.surface, m.name, m.section, m.sentence, others)
        )
        found = self.memo.get(key)
        if found is None:
            listed = sorted(others) if others is not None else []
            found = (stated_zone(m, listed)[0], stated_belts(m, listed)[0])
            self.memo[key] = found
        return found


def stated_by_mention(mentions: Iterable[Mention]) -> dict[StatedKey, tuple[str, list[str]]]:
    """What the text states for each mention that states anything.

    Everything a mention's stated zone and belts depend on lies in its own
    document (its surface, name, section, sentence and the other mentions of
    that sentence), so this can run on one document at a time (in the
    extraction workers, cached with the extraction) and the results be merged.

    Parameters
    ----------
    mentions : iterable of Mention
        The mentions of one or more documents (all of each document's mentions).

    Returns
    -------
    dict
        ``(doc, start, end, name)`` -> (stated zone or ``""``, sorted stated
        belts), for the mentions with a stated zone or belt only.
    """
    mentions = list(mentions)
    memo = StatedMemo(sentence_surfaces(mentions))
    out: dict[StatedKey, tuple[str, list[str]]] = {}
    for m in mentions:
        zone, belts = memo(m)
        if zone or belts:
            out[(m.doc, m.start, m.end, m.name)] = (zone, belts)
    return out
