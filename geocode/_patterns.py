"""Private scanning machinery of the recogniser: automata and name spans.

Everything here works on one sentence of normalised text at a time and
returns ``Span`` objects with offsets in that sentence. The automata are
built once per process (``scanner()``).

How a name is found
-------------------
1. Known names (gazetteer + ``places.tsv``) are found by an Aho-Corasick
   automaton; their characters are protected from the stop-word rule.
2. Heads (``路``, ``公园``, ``号地块``…) are found by a second automaton. From
   each head the name runs left over name characters until a *break*:
   punctuation, a stop word (verbs, function words), a counted quantity
   (``18家``) or, for roads and rivers, the end of another road.
3. A name whose body is only generic words (``公共绿地``) is dropped, and so
   is one followed by the head of an organisation, policy or brand.
4. Outermost spans win; the spans inside them that are names of their own
   become locators (``江苏路`` in ``北横通道江苏路二级匝道``).
5. Lists sharing a head are spread over their items
   (``华阳、新华等社区卫生服务中心``, ``南块、北块和望春花地块``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import ahocorasick

from geocode.lexicon import KnownName, Lexicon, Suffix, load_lexicon

__all__: list[str] = []  # private module

MAX_BODY = 16
LIST_SEPARATORS = ("、", "和", "及", "与", "以及", "、以及")
# characters a name may hold besides letters/digits/CJK (\w)
_NON_NAME = re.compile(r"[^\w\-－·#]+")
_MEASURES = frozenset("家个座所条幢栋项批处张台次名位户万亿米亩年月日天届轮类种套间层场块")
_NUMERALS = frozenset("0123456789.一二两三四五六七八九十百千万几多余")
# a counted quantity ends a name run (18家, 3座), a number of a house does not (18号)
_COUNT_END = re.compile(
    "(?<=[" + re.escape("".join(sorted(_NUMERALS))) + "])["
    + "".join(sorted(_MEASURES)) + "](?![号#])"
)
_NUMBERED_DOT = re.compile(r"(?<=[A-Za-z])\.(?=[0-9])")
_QUOTE_ITEM_SEPARATORS = frozenset("+＋、/／")
_OPEN_QUOTES = "“‘「『\"'"
_CLOSE_QUOTES = "”’」』\"'"
_OPEN_QUOTE_RE = re.compile("[" + re.escape(_OPEN_QUOTES) + "]")
# roads, rivers and similar: a name of this kind does not run over another one
_LINEAR = frozenset({"road", "river"})
_ROAD_NOT_SUFFIX_AFTER = frozenset("径线网演费")  # 路径, 路线, 路网: not a road head
_DIGITS = frozenset("0123456789")
_NOT_RIVER_BEFORE = frozenset("滨沿跨护运界入")
_PROGRAMME_ENDS = ("试点", "示范", "先行", "创建", "达标", "精品")
_THEME_ENDS = ("主题", "题材")
_THEME_AFTER = ("为主题", "主题")
# kinds of place a numbered road may be named after (中山东一路, 虹桥一路)
_ROAD_STEMS = frozenset({"road", "area", "subdistrict"})
_NOT_ROAD_BEFORE = frozenset("道新出思之线网铁马套门退活生末歧绝弯电车水公")
# words right before a name built on a head that make it a title or a kind, not a
# site: 获评全国科普示范区, 成为首家智慧菜场, 全区新优质学校, 第二批市级旅游休闲街区
_DESIGNATION_BEFORE = re.compile(
    r"(?:首个|首家|首批|首座|首幢|首轮|一批|新一轮|市级|区级|省级|国家级|全国|全市|全区|"
    r"获评|入选|评为|命名为|荣获|创建|争创|成为|第[0-9一二三四五六七八九十]+[批个家轮届])$"
)
# words that give a title to the name after them, even one led by a known place:
# 被授予虹桥…特色产业园, 被认定为上海市特色产业园区
_TITLE_GIVEN_BEFORE = re.compile(r"(?:授予|认定为|命名为|评定为)$")
# after the short name of a ring road (中环, 外环): a bound (中环内) or a section (外环西段)
_RING_AFTER = re.compile(r"([东西南北]段)|(?:以内|以外|内|外|沿线)(?![\w])|(?:以内|以外|内|外)(?=市政|道路|地区|区域)")
_BRACKETS = ("（(", "）)")
_MAX_BRACKETED = 6  # longest note in brackets inside a name: 苏州河（华东政法大学）滨河步道
# a collective name: the four parks of the west (西部四公园, 西部四个公园)
_COLLECTIVE = re.compile(r"[东西南北中]部[两二三四五六七八九十]个?")
_COLLECTIVE_BEFORE = re.compile(r"[东西南北中]部[两二三四五六七八九十]个?$")
_COLLECTIVE_ENDS = frozenset("两二三四五六七八九十个")
# two counted kinds in one name make a slogan (两旧一村, 一江一河, 四纵十八横)
_COUNTED_SLOGAN = re.compile(r"[一二两三四五六七八九十][^一二两三四五六七八九十\d]{1,2}[一二两三四五六七八九十]")
# a verb of going into a place ends the name run right before the head (进园区)
_ENTER_VERBS = ("进",)
_ADJECTIVES = frozenset("老新旧大小总原")
# kinds of place a facility sharing a bare head is named after (中山公园、娄山关路站点)
_NAMES_FACILITIES = frozenset({"road", "park", "green", "area", "subdistrict", "river", "transit"})
_BUILDING_AFTER = re.compile(r"(?:大楼|办公楼|大院|旧址|门前|周边)")
_ONLINE_RE = re.compile("APP|App|app|小程序|公众号|网站|网页|线上")
# 等 closing a list of sites: 等25个更新项目, 等产业类项目, 等直播基地
_SITE_LIST_END = re.compile(
    r"等(?![0-9一二三四五六七八九十百余多几]+[类种])"  # 等20余类项目功能: kinds, not sites
    r"(?=[0-9一二三四五六七八九十百余多个处座家幢批]*[^，。；：、“”]{0,5}?"
    r"(?:项目|地块|基地|载体|街区|园区|楼宇|点位|场所|设施|片区|区域|小区|公园|绿地|场馆))"
)
_QUOTED = re.compile(r"[“\"]([\w·]{4,8})[”\"]")
_MAX_SIBLING = 8  # longest name without a head taken from a list
_STATION_HEADS = ("站", "站点")
# a name led by a national word is a national designation or a national body's office,
# not a district site (国家电子商务示范基地, 全国…基地, 中国人民银行…研究所)
_NATIONAL_LEADS = ("国家", "全国", "中国人民银行")
# a school numbered after a place word (北二小学: 北新泾第二小学), not a count of schools
_NUMBERED_SCHOOL = re.compile(r"[^\d第一二三四五六七八九十][一二三四五六七八九十]")
# a list closed by 等 and a word for organisations (…资财中心、研发中心等功能性机构):
# its items are functions or offices, not sites
_ORG_LIST_END = re.compile(r"等(?=[^，。；：、]{0,6}?(?:机构|部门|组织)(?!\w*(?:用地|地块|旧址)))")
_DASHES = "-－—"
# a kind of site made a metaphor or a policy (打造临空总部新高地, 完善现代医院管理制度): the
# name built on the head is no site; a known place before it stays one (打造虹桥新高地)
_KIND_USE_AFTER = re.compile(r"新?高地|\w{0,2}制度")
# a district or county of another city (湖州市吴兴区, 宁波市海曙区): outside the district
_CITY_BEFORE = "与和同及、，,：:（(“\"省"
_CITY_DISTRICT = re.compile(
    r"(?<![^" + _CITY_BEFORE + r"])(?P<city>(?:(?![与和同及省])[\u4e00-\u9fff]){2,3}?)[市州]"
    r"(?P<part>(?:(?![与和同及])[\u4e00-\u9fff]){2})[区县](?!域|政府|委|级)"
)
_NOT_CITY_ENDS = frozenset("本全各该我城")  # 本市, 全市, 城市: not a city's name
_CITY_QUICK = re.compile("[市州][\u4e00-\u9fff]{2}[区县]")
# a city alone between list separators (湖州市吴兴区、马鞍山市、宁波市海曙区)
_CITY_ITEM = re.compile(r"(?<=[、和与及])(?P<city>(?:(?![与和同及省])[\u4e00-\u9fff]){2,3})市(?=[、和与及])")


def _may_name_city_district(text: str) -> bool:
    """Cheap test before the city-district pattern: a 市/州 two characters before 区/县."""
    return ("区" in text or "县" in text) and ("市" in text or "州" in text) \
        and _CITY_QUICK.search(text) is not None
_STATION_BEFORE = ("火车", "地铁", "轨交", "公交", "客运", "高铁")


@dataclass(slots=True)
class Span:
    """A name found in a sentence (offsets in the sentence text)."""

    start: int
    end: int
    name: str
    type: str
    in_changning: bool = True
    kind: str = "suffix"  # "known", "suffix", "list"
    suffix: Suffix | None = None
    known: KnownName | None = None
    head_start: int = 0  # where the head (suffix) starts, for suffix spans
    locators: list[str] = field(default_factory=list)
    parts: list[Span] = field(default_factory=list)  # the names glued into a "pair"

    @property
    def length(self) -> int:
        """Number of characters of the span."""
        return self.end - self.start


@dataclass
class Scanner:
    """The automata and word lists, built once."""

    lex: Lexicon
    known_ac: ahocorasick.Automaton
    suffix_ac: ahocorasick.Automaton
    max_stop: int
    stop_ac: ahocorasick.Automaton
    protect_ac: ahocorasick.Automaton
    head_words: dict[str, tuple[str, ...]]
    compounds: dict[str, tuple[str, ...]]  # head -> common words ending with it (街镇)


def _automaton(words: dict[str, object]) -> ahocorasick.Automaton:
    ac = ahocorasick.Automaton()
    for word, value in words.items():
        ac.add_word(word, (len(word), value))
    ac.make_automaton()
    return ac


@functools.lru_cache(maxsize=1)
def scanner() -> Scanner:
    """Build the automata once for the process."""
    lex = load_lexicon()
    known: dict[str, object] = {k: v for k, v in lex.known.items() if k not in lex.not_sites}
    # names that are never sites still block the names inside them (虹桥 in 虹桥国际开放枢纽)
    for word in lex.not_sites:
        known[word] = KnownName(word, word, "", False, False, "blocker")
    stop = lex.stopwords
    head_words: dict[str, list[str]] = {}
    for word in lex.head_words:
        head_words.setdefault(word[0], []).append(word)
    return Scanner(
        lex=lex,
        known_ac=_automaton(dict(known)),
        suffix_ac=_automaton(dict(lex.suffixes)),
        max_stop=max((len(w) for w in stop), default=1),
        stop_ac=_automaton({w: w for w in stop}),
        protect_ac=_automaton({w: w for w in lex.protect}),
        head_words={k: tuple(v) for k, v in head_words.items()},
        compounds={
            head: tuple(w for w in lex.head_compounds if w.endswith(head) and len(w) > len(head))
            for head in lex.suffixes
        },
    )


class _BreakTable(dict):
    """``str.translate`` table: ``"\\x01"`` for characters that cannot be inside a name.

    Filled on first sight of each character, so a sentence is classified in C.
    """

    def __missing__(self, code: int) -> str:
        value = "\x01" if _NON_NAME.match(chr(code)) else "\x00"
        self[code] = value
        return value


_BREAK_TABLE = _BreakTable()


def _breaks(text: str) -> bytes:
    """1 at every character that cannot be inside a name (punctuation, spaces)."""
    brk = text.translate(_BREAK_TABLE).encode("latin-1")
    if "." in text:  # a numbered name (NO.1) holds its dot
        dots = [m.start() for m in _NUMBERED_DOT.finditer(text)]
        if dots:
            brk = bytearray(brk)
            for i in dots:
                brk[i] = 0
            brk = bytes(brk)
    return brk


def _barriers(text: str, sc: Scanner, protected: bytearray, brk: bytes) -> bytearray:
    """1 at every offset ``p`` a name built leftwards from a head cannot cross.

    That is a break character at ``p - 1``, or a stop word or a counted
    quantity (``18家``) ending at ``p`` that is not made of name material
    (``和`` in ``和平``). One pass of the stop-word automaton per sentence.
    """
    barrier = bytearray(1) + brk
    for end, (length, _w) in sc.stop_ac.iter(text):
        if protected.find(1, end - length + 1, end + 1) < 0:
            barrier[end + 1] = 1
    for m in _COUNT_END.finditer(text):
        if not protected[m.start()]:
            barrier[m.end()] = 1
    return barrier


def _known_hits(
    text: str, sc: Scanner, raw: list[tuple[int, tuple[int, KnownName]]]
) -> tuple[list[Span], list[Span], list[Span]]:
    """Known names: those not inside a longer known name, all of them, and blockers.

    Blockers are names that are never sites (``not_sites.txt``); they are not
    returned as names but hide the names and heads inside them. ``raw`` is the
    known-name automaton's output on ``text``.
    """
    hits = [
        Span(end - length + 1, end + 1, kn.name, kn.type, kn.in_changning, "known", known=kn)
        for end, (length, kn) in raw
    ]
    if len(hits) > 1:
        hits.sort(key=lambda s: (s.start, -s.length))
    # sorted by start then longest first: a hit lies inside an earlier kept one
    # exactly when it ends before the farthest end kept so far
    out: list[Span] = []
    reach = -1
    for h in hits:
        if h.end <= reach:
            continue
        out.append(h)
        reach = h.end
    blocked = [o for o in out if not o.type]
    if not blocked:
        return out, [h for h in hits if h.type], blocked
    out = [o for o in out if o.type]
    hits = [h for h in hits if h.type and not any(
        b.start <= h.start and h.end <= b.end for b in blocked)]
    return out, hits, blocked


def _suffix_hits(
    text: str,
    sc: Scanner,
    known: list[Span],
    blocked: list[Span],
    raw: list[tuple[int, tuple[int, Suffix]]],
) -> list[tuple[int, int, Suffix]]:
    """Heads found in the text, the longest one at each end position.

    A head inside a known name is left to the known name, and a head where a
    look-alike word starts (``江苏``, ``市场监管``) is not a head.
    """
    best: dict[int, tuple[int, Suffix]] = {}
    for end, (length, suf) in raw:
        if end not in best or best[end][0] < length:
            best[end] = (length, suf)
    starts: dict[int, int] = {}
    for end, (length, _suf) in best.items():
        starts[end - length + 1] = max(starts.get(end - length + 1, 0), length)
    out = []
    covers = [(k.start, k.end) for k in known] + [(b.start, b.end) for b in blocked]
    head_words = sc.head_words
    for end in sorted(best):
        length, suf = best[end]
        s, e = end - length + 1, end + 1
        if covers and _inside_any(s, e, covers):
            continue  # inside a known name or a blocker
        if starts[s] > length:
            continue  # 街 in 街坊, 站 in 站点: the longer head decides
        words = head_words.get(text[s])
        if words and any(len(w) > length and text.startswith(w, s) for w in words):
            continue
        if length == 1 and e in starts and not text.startswith(text[s], e):
            continue  # 剑河路: 河 is the stem of a road here, not a river
        out.append((s, e, suf))
    return out


def _inside_any(s: int, e: int, spans: list[tuple[int, int]]) -> bool:
    """True when ``[s, e)`` lies inside one of ``spans``."""
    for x, y in spans:
        if x <= s and e <= y:
            return True
    return False


def _only_generic(body: str, lex: Lexicon) -> bool:
    """True when ``body`` is made only of generic words and numbers."""
    i, n = 0, len(body)
    while i < n:
        for size in (4, 3, 2, 1):
            if body[i : i + size] in lex.generic:
                i += size
                break
        else:
            if body[i] not in _NUMERALS:
                return False
            i += 1
    return True


def _clean_name(surface: str) -> str:
    """Canonical form of a name found by its head: no quotes or spaces."""
    name = "".join(ch for ch in surface if ch not in _OPEN_QUOTES + _CLOSE_QUOTES and not ch.isspace())
    if name.endswith("站点"):
        name = name[:-1]
    return name


def _quote_start(text: str, close: int, brk: bytes) -> int | None:
    """Offset of the opening quote of a short quoted name closing at ``close``."""
    lo = max(0, close - 14)
    for j in range(close - 1, lo - 1, -1):
        ch = text[j]
        if ch in _OPEN_QUOTES:
            return j if j < close - 1 else None
        if brk[j] and ch not in "·-":
            return None
    return None


def scan_sentence(text: str) -> list[Span]:
    """Find the outermost site names of one sentence.

    Parameters
    ----------
    text : str
        Normalised sentence text.

    Returns
    -------
    list of Span
        Outermost names (with locators), list items spread, in text order.
    """
    sc = scanner()
    raw_known = list(sc.known_ac.iter(text))
    raw_heads = list(sc.suffix_ac.iter(text))
    if not raw_heads and (not raw_known or all(not kn.type for _e, (_n, kn) in raw_known)) \
            and not _may_name_city_district(text):
        return []  # most sentences name nothing (or only the district, the city)
    lex = sc.lex
    known, all_known, blocked = _known_hits(text, sc, raw_known)
    heads = _suffix_hits(text, sc, known, blocked, raw_heads) if raw_heads else []
    if not heads and not known and not _may_name_city_district(text):
        return []
    brk = _breaks(text)
    protected = bytearray(len(text))
    if heads or "等" in text:  # names are built on heads; siblings are cut at stop words
        for end, (length, _w) in sc.protect_ac.iter(text):
            protected[end - length + 1 : end + 1] = b"\x01" * length
        for k in known:
            protected[k.start : k.end] = b"\x01" * k.length
        for s, e, _suf in heads:
            protected[s:e] = b"\x01" * (e - s)
        barrier = _barriers(text, sc, protected, brk)
    else:
        barrier = bytearray(1) + brk

    linear_ends: dict[int, Span] = {}
    for k in known:
        if k.type in _LINEAR:
            linear_ends[k.end] = k
    cands: list[Span] = []
    empties: list[tuple[int, int, Suffix]] = []
    for s, e, suf in heads:
        if suf.text == "路" and e < len(text) and text[e] in _ROAD_NOT_SUFFIX_AFTER:
            continue
        if suf.text == "路" and s > 0 and text[s - 1] in _NOT_ROAD_BEFORE:
            continue  # 道路, 新路, 电路: a common word, not a road
        if suf.text == "路" and s > 1 and text[s - 1] == "一" and any(
                k.end == s - 1 and k.type not in _ROAD_STEMS for k in all_known):
            continue  # 从中山公园一路走到: "all the way" after a park, not a numbered road
        if len(suf.text) == 1 and suf.type != "road" and text[max(0, s - 2) : s] in lex.generic:
            continue  # 人才港, 精品村: a generic word before a one-character head
        if len(suf.text) == 1 and suf.type == "river" and s > 0 and text[s - 1] in _NOT_RIVER_BEFORE:
            continue  # 滨河, 沿河: an adjective, not a river
        if suf.text == "弄" and (s == 0 or text[s - 1] not in _DIGITS):
            continue
        if any(text.endswith(w, 0, e) for w in sc.compounds.get(suf.text, ())):
            continue  # 街镇, 农村, 河湖, 基站: a kind of place, not the head of a name
        if suf.text in _STATION_HEADS and not (
            s in linear_ends or any(k.end == s for k in all_known)
            or text[max(0, s - 2) : s] in _STATION_BEFORE or text[s - 1 : s] in _DIGITS
        ):
            continue  # 护理站, 社工总站: a station is named after a road or a place
        lo = s - MAX_BODY if s > MAX_BODY else 0
        p = barrier.rfind(1, lo + 1, s + 1)
        if suf.type in _LINEAR and linear_ends and not suf.absorbs:
            # a road or river does not run over the end of another one (a street
            # facility does: 凯田路分时步行街)
            lin = max((q for q in linear_ends if p < q < s and q > lo), default=-1)
        else:
            lin = -1
        if lin >= 0:
            p = lin
        elif p < 0:
            p = lo
        elif text[p - 1] in _CLOSE_QUOTES:
            q = _quote_start(text, p - 1, brk)
            if q is not None:
                p = q
        if p > 0 and text[p - 1] in _BRACKETS[1]:
            p = _across_brackets(text, p, barrier, brk, lo)
        while p < s and text[p] in _DASHES:
            p += 1  # a dash joins two places (纵泾港-广顺北路), it does not start a name
        if p > s - 4 and text[s - 1] in _COLLECTIVE_ENDS:
            cm = _COLLECTIVE_BEFORE.search(text, max(0, s - 5), s)
            if cm is not None:
                p = cm.start()  # 西部四个公园: 个 counts the parks of a collective name
        body = text[p:s]
        if body in lex.not_sites and suf.type == "area":
            continue  # 长三角地区, 长宁地区: a region, not a site
        if len(body.strip(_OPEN_QUOTES + _CLOSE_QUOTES)) < suf.min_body:
            empties.append((s, e, suf))
            continue
        if len(body) == 1 and body in _ADJECTIVES and suf.min_body > 1:
            empties.append((s, e, suf))
            continue  # 老分中心, 新中心: an adjective, not a name
        if _ONLINE_RE.search(body):
            continue  # 长宁APP医疗板块: a part of an online service, not a place
        if body.endswith(_ENTER_VERBS) and not protected[s - 1]:
            empties.append((s, e, suf))
            continue  # 进园区、进社区: going into a kind of place, not a name
        inner_known = [k for k in known if p <= k.start and k.end <= s]
        collective = _COLLECTIVE.fullmatch(body)
        numbered = suf.type == "campus" and len(body) <= 3 \
            and _NUMBERED_SCHOOL.fullmatch(body[-2:]) is not None
        if not inner_known and not collective and not numbered \
                and _only_generic(body.strip(_OPEN_QUOTES + _CLOSE_QUOTES), lex):
            empties.append((s, e, suf))
            continue
        if suf.needs_place and not inner_known \
                and not any(p <= c.start and c.end <= s for c in cands):
            continue  # 收治通道: a passage named after no place
        if _COUNTED_SLOGAN.search(body + suf.text):
            continue  # “两旧一村”, 一江一河: a slogan counting kinds of things
        if suf.restricted and not inner_known and len(body) < 2:
            continue
        if body.startswith(_NATIONAL_LEADS) and not inner_known:
            continue  # 国家电子商务示范基地: a national designation, not a site
        if body.endswith(_PROGRAMME_ENDS) and not inner_known:
            continue  # 试点地区, 示范街区, 示范小区: a designation of a programme, not a place
        if body.endswith(_THEME_ENDS) and not inner_known:
            continue  # 音乐主题公园, 科技主题街区: a kind of place by its theme, not a name
        if _non_site_after(text, e, lex, brk) or _KIND_USE_AFTER.match(text, e):
            continue
        if not inner_known and _DESIGNATION_BEFORE.search(text, max(0, p - 4), p):
            continue  # a title given to a site or a kind of site, not a site's name
        if _TITLE_GIVEN_BEFORE.search(text, max(0, p - 3), p):
            continue  # 被授予X特色产业园: a title, even when it holds a place
        surface = text[p:e]
        name = _clean_name(surface)
        if collective:  # 西部四个公园 is 西部四公园
            name = name.replace("个", "", 1)
        if name in lex.not_sites:
            continue
        if _quoted_modifier(text, p, e, sc, protected):
            continue  # "潮涌浦江"投资…季: a quoted slogan qualifying what follows
        kn = lex.known.get(name)
        span = Span(
            p, e,
            kn.name if kn else name,
            kn.type if kn else suf.type,
            kn.in_changning if kn else True,
            "org" if name.endswith(lex.self_heads) else "suffix",
            suffix=suf, known=kn, head_start=s,
        )
        cands.append(span)
        if span.type in _LINEAR:
            linear_ends[e] = span

    spans = _outermost(cands, known, all_known, text, lex, brk)
    spans = [sp for sp in spans if sp.kind != "org"]  # 航空争议调解中心: an organisation
    spans = _spread_lists(spans, empties, all_known + cands, text, brk, lex)
    if "等" in text:
        spans.extend(_list_siblings(text, spans, barrier, lex))
        spans = _drop_org_lists(text, spans)
    if "“" in text or '"' in text:
        spans.extend(_quoted_names(text, spans, lex))
    if _may_name_city_district(text):
        spans = _city_districts(text, spans, lex)
    spans.sort(key=lambda sp: (sp.start, sp.end))
    return spans


def _across_brackets(text: str, s: int, barrier: bytearray, brk: bytes, lo: int) -> int:
    """Start of a name that holds a short note in brackets, the bracket closing at ``s - 1``.

    ``苏州河（华东政法大学）滨河步道``, ``某某公司（总部）科创园``: the name runs on
    left of the opening bracket when the note is a short run of name characters
    and name characters come before it. Returns ``s`` when it does not.
    """
    close = s - 1
    opened = -1
    for j in range(close - 1, max(-1, close - _MAX_BRACKETED - 2), -1):
        if text[j] in _BRACKETS[0]:
            opened = j
            break
        if brk[j]:
            return s
    if opened < 1 or opened == close - 1 or brk[opened - 1]:
        return s
    p = barrier.rfind(1, max(lo, opened - MAX_BODY) + 1, opened + 1)
    if p < 0:
        p = max(lo, opened - MAX_BODY)
    return p if opened - p >= 2 else s


def _quoted_names(text: str, spans: list[Span], lex: Lexicon) -> list[Span]:
    """Sites named only by a quoted phrase without a head.

    * a street brand of four characters whose last two are a known road's stem
      (“书香云岭” is 云岭路);
    * a phrase led by a known area and standing alone (“长风智港”，, “长风智港”等).
    """
    out: list[Span] = []
    for m in _QUOTED.finditer(text):
        start, end = m.start(1), m.end(1)
        if any(sp.start < end + 1 and start - 1 < sp.end for sp in spans):
            continue
        phrase = m.group(1)
        stem = phrase[2:]
        if text.startswith(_THEME_AFTER, m.end()):
            continue  # 以“静雅武夷”为主题: the theme of a street, not its name
        road = lex.known.get(stem + "路") if len(phrase) == 4 and stem not in lex.not_sites \
            else None
        if road is not None and road.type == "road":
            out.append(Span(start, end, road.name, "road", road.in_changning, "known", known=road))
            continue
        after = text[m.end() : m.end() + 1]
        if after and after != "等" and not _NON_NAME.match(after):
            continue  # “X”品牌, “X”建设: a word qualified by the phrase
        if phrase.endswith(lex.org_heads + lex.non_site_heads + lex.self_heads):
            continue
        for size in range(len(phrase) - 2, 1, -1):
            lead = lex.known.get(phrase[:size])
            if lead is not None and lead.type in ("area", "subdistrict") \
                    and phrase[:size] not in lex.not_sites:
                out.append(Span(start, end, phrase, "area", lead.in_changning, "suffix",
                                locators=[lead.name]))
                break
    return out


def _list_siblings(text: str, spans: list[Span], barrier: bytearray, lex: Lexicon) -> list[Span]:
    """Names without a head listed beside a site in a list of sites.

    ``完成上海影城、翡悦里等25个更新项目``: a list closed by ``等`` and a word for
    a kind of site, one of whose items is a site found otherwise, makes its
    other items (short runs of name characters) sites of the same type.
    """
    out: list[Span] = []
    by_end = {sp.end: sp for sp in spans}
    for m in _SITE_LIST_END.finditer(text):
        pos = m.start()
        items: list[tuple[int, int, Span | None]] = []
        while True:
            sp = by_end.get(pos)
            if sp is not None:
                items.append((sp.start, sp.end, sp))
                start = sp.start
            else:
                start = barrier.rfind(1, max(0, pos - _MAX_SIBLING), pos + 1)
                if start < 0 or start == pos or (start > 0 and text[start - 1] not in "、"
                                                  and _NON_NAME.match(text, start - 1)):
                    break  # too long, or cut by a bracket or a quote: not a whole name
                items.append((start, pos, None))
            if start > 0 and text[start - 1] == "、":
                pos = start - 1
                continue
            break
        sites = [sp for _s, _e, sp in items if sp is not None]
        if not sites:
            continue
        for start, end, sp in items:
            item = text[start:end]
            if sp is not None or len(item) < 2 or item in lex.not_sites \
                    or _only_generic(item, lex) or item[0] in _NUMERALS:
                continue
            near = min(sites, key=lambda o: abs(o.start - start))
            out.append(Span(start, end, _clean_name(item), near.type, near.in_changning, "list"))
    return out


def _city_districts(text: str, spans: list[Span], lex: Lexicon) -> list[Span]:
    """Districts and counties of other cities named with their city (湖州市吴兴区).

    A city alone in the same list, beside such a district, is taken too
    (湖州市吴兴区、马鞍山市、宁波市海曙区).

    The city name must start the item (after a list separator, 与/和/同, a
    bracket or the start of the sentence), and neither the city nor the
    district part may be a common word; Shanghai's own districts are not taken
    (上海市 is never a site).

    Parameters
    ----------
    text : str
        Sentence text.
    spans : list of Span
        Names already found (a place inside one of them is left alone).
    lex : Lexicon
        The word lists.

    Returns
    -------
    list of Span
        ``spans`` with the districts added; the names inside one (苏州, 相城区)
        become its locators.
    """
    out = list(spans)
    for m in _CITY_DISTRICT.finditer(text):
        start, end = m.start(), m.end()
        city, part = m.group("city"), m.group("part")
        if city + text[m.end("city")] in lex.not_sites or city in lex.generic \
                or city[-1] in _NOT_CITY_ENDS or part in lex.generic \
                or any(ch in _CITY_BEFORE for ch in city + part) \
                or any(city[:k] in lex.stopwords for k in (1, 2)):
            continue
        inside = [sp for sp in out if start <= sp.start and sp.end <= end]
        if any(sp.start < end and start < sp.end for sp in out if sp not in inside):
            continue  # crosses a name found otherwise
        name = text[start:end]
        kn = lex.known.get(name)
        out = [sp for sp in out if sp not in inside]
        out.append(Span(start, end, kn.name if kn else name, kn.type if kn else "area",
                        kn.in_changning if kn else False, "suffix", known=kn,
                        locators=[sp.name for sp in inside]))
    districts = {(sp.start, sp.end) for sp in out if sp.type == "area" and not sp.in_changning}
    for m in _CITY_ITEM.finditer(text):
        start, end = m.start(), m.end()
        if not any(e == start - 1 or s == end + 1 for s, e in districts):
            continue  # only beside a district of another city in the same list
        city = m.group("city")
        if city in lex.generic or city[-1] in _NOT_CITY_ENDS or city + "市" in lex.not_sites \
                or any(sp.start < end and start < sp.end for sp in out):
            continue
        kn = lex.known.get(text[start:end])
        out.append(Span(start, end, kn.name if kn else text[start:end], "area",
                        kn.in_changning if kn else False, "suffix", known=kn))
    return out


def _drop_org_lists(text: str, spans: list[Span]) -> list[Span]:
    """Drop the items of a list closed by 等 and a word for organisations.

    ``设立…资财中心、研发中心、供应链管理中心等功能性机构``: the items are the
    functions or offices of a company, not sites; institutes and schools
    (campus) keep their site. The items are the names
    that end at the 等 or at a list separator before the previous item.

    Parameters
    ----------
    text : str
        Sentence text.
    spans : list of Span
        Names found in the sentence.

    Returns
    -------
    list of Span
        ``spans`` without the items of such lists.
    """
    ends = [m.start() for m in _ORG_LIST_END.finditer(text)]
    if not ends:
        return spans
    by_end = {sp.end: sp for sp in spans if sp.kind != "known"}
    drop: set[int] = set()
    for pos in ends:
        while (sp := by_end.get(pos)) is not None:
            if sp.type != "campus":  # an institute (硅酸盐研究所等机构) has its campus
                drop.add(id(sp))
            pos = sp.start - 1
            if pos < 0 or text[pos] not in "、和及与":
                break
    return [sp for sp in spans if id(sp) not in drop]


def _quoted_modifier(text: str, start: int, end: int, sc: Scanner, protected: bytearray) -> bool:
    """True when ``text[start:end]`` is a whole quoted phrase that qualifies the next word.

    A quoted name followed by a head is caught as a longer name; one followed
    by a stop word stands alone (“中山公园码头”等); one followed by any other word
    is a slogan or brand (“潮涌浦江”投资上海全球分享季).
    """
    if start == 0 or text[start - 1] not in _OPEN_QUOTES:
        return False
    if end >= len(text) - 1 or text[end] not in _CLOSE_QUOTES:
        return False
    after = end + 1
    if _NON_NAME.match(text, after):
        return False
    stopwords = sc.lex.stopwords
    return not any(text[after : after + k] in stopwords for k in range(1, sc.max_stop + 1))


def _non_site_after(text: str, end: int, lex: Lexicon, brk: bytes) -> bool:
    """True when a place ending at ``end`` is part of a brand, event or organisation."""
    next_re, run_re = _head_patterns(id(lex))
    if next_re.match(text, end):
        return True
    # the run of name characters (and double quotes) after the place, at most 10
    limit = min(len(text), end + 10)
    stop = brk.find(1, end, limit)
    while stop >= 0 and text[stop] in "“”":
        stop = brk.find(1, stop + 1, limit)
    return run_re.search(text, end, limit if stop < 0 else stop) is not None


@functools.lru_cache(maxsize=4)
def _head_patterns(lex_id: int) -> tuple[re.Pattern, re.Pattern]:
    """Regular expressions of the non-site heads of the loaded lexicon (compiled once).

    Keyed by the lexicon's ``id`` so that a call does not hash the word lists.
    """
    lex = scanner().lex
    if id(lex) != lex_id:
        raise ValueError(f"lexicon {lex_id!r} is not the scanner's; expected {id(lex)!r}")

    def alt(words: tuple[str, ...]) -> re.Pattern:
        # a one-character head must end a word (节 in 文化节, not in 节能)
        parts = [re.escape(w) + (r"(?![\w])" if len(w) == 1 else "")
                 for w in sorted(words, key=len, reverse=True)]
        return re.compile("|".join(parts) or "(?!)")
    return alt(lex.non_site_heads), alt(lex.org_heads)


def _in_foreign_quote(text: str, sp: Span) -> bool:
    """True when a known name sits inside a quoted phrase that is not the name."""
    left = text[max(0, sp.start - 10) : sp.start]
    if _OPEN_QUOTE_RE.search(left) is None:
        return False  # most names: no quote opens before them
    qo = max(left.rfind(q) for q in _OPEN_QUOTES)
    if qo < 0:
        return False
    qc = max(left.rfind(q) for q in _CLOSE_QUOTES if q not in "\"'")
    if qc > qo:
        return False
    right = text[sp.end : sp.end + 10]
    close = min((right.find(q) for q in _CLOSE_QUOTES if right.find(q) >= 0), default=-1)
    if close < 0:
        return False
    # the name fills the quote, or one item of a list in it (“A码头+B广场”)
    opens = qo == len(left) - 1 or left[-1:] in _QUOTE_ITEM_SEPARATORS
    closes = close == 0 or right[:1] in _QUOTE_ITEM_SEPARATORS
    return not (opens and closes)


def _outermost(
    cands: list[Span],
    known: list[Span],
    all_known: list[Span],
    text: str,
    lex: Lexicon,
    brk: bytes,
) -> list[Span]:
    """Keep outermost spans; the names inside them become locators."""
    pool = sorted(cands + known, key=lambda sp: (-sp.length, sp.start))
    chosen: list[Span] = []
    for sp in pool:
        if any(o.start <= sp.start and sp.end <= o.end for o in chosen):
            continue
        if any(o.start < sp.end and sp.start < o.end for o in chosen):
            continue  # crosses a longer name
        chosen.append(sp)
    out = []
    for sp in chosen:
        if sp.kind == "suffix" and _in_foreign_quote(text, sp) and not brk[sp.end]:
            continue  # 丝路 in “丝路电商”: a word of a quoted slogan
        if sp.kind == "known":
            if sp.known is not None and sp.known.short:
                sp.kind = "short"
            elif text[sp.start : sp.end].endswith(lex.self_heads) \
                    and not _BUILDING_AFTER.match(text, sp.end):
                continue  # 代表区政府: the organisation, not its building
            elif _non_site_after(text, sp.end, lex, brk) or _in_foreign_quote(text, sp):
                continue
        out.append(sp)
    inner = [sp for sp in all_known + cands if not (sp.known is not None and sp.known.short)]
    inner += [sp for sp in all_known if sp.known is not None and sp.known.short]
    for sp in out:
        inside = [o for o in inner
                  if o is not sp and sp.start <= o.start and o.end <= sp.end and o.length < sp.length
                  and o.name != sp.name]
        # only the largest names inside locate it (not 安西路 inside 延安西路)
        maximal = [o for o in inside
                   if not any(p is not o and p.start <= o.start and o.end <= p.end
                              and p.length > o.length for p in inside)]
        maximal.sort(key=lambda o: o.start)
        for o in maximal:
            if _is_locator(o, sp) and o.name not in sp.locators and o.name != sp.name:
                sp.locators.append(o.name)
    return out


def _is_locator(inner: Span, outer: Span) -> bool:
    """An inner name locates the outer one unless it is just the outer's stem."""
    if inner.start == outer.start and outer.end - inner.end <= 2 and inner.kind != "suffix" \
            and inner.type in ("area", "subdistrict"):
        return False  # 虹桥 in 虹桥路: the stem of the name, not a place inside it
    return True


def _preceding_item(
    text: str, pos: int, spans: list[Span], brk: bytes
) -> tuple[Span | None, int]:
    """The list item ending just before a separator that ends at ``pos``.

    Returns the item (an existing span, or ``None``) and the separator start.
    """
    for sep in sorted(LIST_SEPARATORS, key=len, reverse=True):
        if text[max(0, pos - len(sep)) : pos] == sep:
            sep_start = pos - len(sep)
            item = next((sp for sp in spans if sp.end == sep_start), None)
            return item, sep_start
    return None, pos


def _glue(item: Span, spans: list[Span]) -> Span:
    """Join roads written together (延安西路凯旋路) into one item."""
    while item.type == "road":
        glued = next((sp for sp in spans if sp.end == item.start and sp.type == "road"), None)
        if glued is None:
            break
        locs = (glued.locators if glued.kind == "pair" else [glued.name]) + (
            item.locators if item.kind == "pair" else [item.name]
        )
        parts = (glued.parts or [glued]) + (item.parts or [item])
        item = Span(glued.start, item.end, glued.name + item.name, "road", kind="pair",
                    locators=locs, parts=parts)
    return item


def _chain_before(text: str, start: int, spans: list[Span], brk: bytes) -> list[Span]:
    """Items of a list ending just before ``start`` (nearest first)."""
    items: list[Span] = []
    pos = start
    while True:
        item, _sep_start = _preceding_item(text, pos, spans, brk)
        if item is None:
            break
        item = _glue(item, spans)
        items.append(item)
        pos = item.start
    return items


def _spread_lists(
    spans: list[Span],
    empties: list[tuple[int, int, Suffix]],
    inner: list[Span],
    text: str,
    brk: bytes,
    lex: Lexicon,
) -> list[Span]:
    """Spread a head shared by the items of a list over each item.

    ``inner`` holds every name found, outermost or not (known names and
    names built on heads).
    """
    pool = spans + [k for k in inner if k.known is not None and k.known.short and k not in spans]
    out = [sp for sp in spans if sp.kind != "short"]
    used: set[int] = set()

    # 1. a facility whose name starts with a place: 剑河路、江苏北路跨苏州河桥下空间
    for sp in list(out):
        if sp.suffix is None or not sp.suffix.absorbs or sp.kind != "suffix":
            continue
        first = _first_component(sp, inner)
        if first is None:
            continue
        tail = text[first.end : sp.end]
        bare_head = first.end == sp.head_start and sp.suffix.list_tail  # 江苏路、虹桥路站点
        for item in _chain_before(text, sp.start, pool, brk):
            crosses = bare_head and (sp.type == "plot" or (
                item.kind != "suffix" and item.type in _NAMES_FACILITIES))
            if item.type != first.type and not (item.kind == "pair" and first.type == "road") \
                    and not crosses:
                break  # 苏州河慢行系统、上生新所、中环桥下空间: other kinds of site end the list
            out.append(_spread(item, tail, sp, text, lex))
            used.update(id(x) for x in [item, *item.parts])

    # 2. a head standing alone after 等 or a separator: 华阳、新华等社区卫生服务中心,
    #    南北园南块、北块和望春花地块
    for s, e, suf in empties:
        if text[s - 1 : s] == "等" or (s > 0 and text[s - 1] in "、和及与"):
            pos = s - 1 if text[s - 1 : s] == "等" else s
            if text[s - 1 : s] == "等":
                items = _items_ending_at(text, pos, pool, brk)
            else:
                items = []
            if items:
                head = text[s:e]
                tail = text[pos + 1 : e] if text[pos : pos + 1] == "等" else head
                host = Span(s, e, head, suf.type, suffix=suf, head_start=s)
                for item in items:
                    out.append(_spread(item, tail, host, text, lex))
                    used.update(id(x) for x in [item, *item.parts])
                continue
            if suf.type == "plot" and text[s - 1] in "、和及与":
                prev = next((o for o in out if o.end == s - 1 and o.type == "plot" and o.suffix), None)
                if prev is not None:
                    stem = text[prev.start : prev.head_start]
                    out.append(Span(s, e, _clean_name(stem + text[s:e]), "plot",
                                    prev.in_changning, "list", suffix=suf, head_start=s,
                                    locators=list(prev.locators)))

    # 3. short forms listed together: 在仙霞、程桥开展
    shorts = [sp for sp in pool if sp.kind == "short" and id(sp) not in used]
    for sp in shorts:
        neighbours = [
            o for o in pool
            if o is not sp and o.type == sp.type and o.kind in ("short", "known", "suffix")
            and (_separated(text, o.end, sp.start) or _separated(text, sp.end, o.start))
        ]
        if any(o.start <= sp.start and sp.end <= o.end for o in out):
            continue
        if neighbours:
            out.append(sp)
        elif sp.type == "road":
            ring = _RING_AFTER.match(text, sp.end)
            if ring is not None:  # 中环内, 外环西段: a ring road as a bound or by its section
                section = ring.group(1) or ""
                out.append(Span(sp.start, sp.end + len(section), sp.name + section, "road",
                                sp.in_changning, "known", known=sp.known))
    out = [sp for sp in out if id(sp) not in used]
    for sp in out:
        if sp.kind == "short":
            sp.kind = "known"
    return out


def _separated(text: str, end: int, start: int) -> bool:
    """True when only a list separator lies between ``end`` and ``start``."""
    return 0 < start - end <= 2 and text[end:start] in LIST_SEPARATORS


def _items_ending_at(text: str, pos: int, pool: list[Span], brk: bytes) -> list[Span]:
    """List items ending at ``pos`` (the last one included), nearest first."""
    last = next((sp for sp in pool if sp.end == pos), None)
    if last is None:
        return []
    last = _glue(last, pool)
    items = [last]
    items.extend(_chain_before(text, last.start, pool, brk))
    if len(items) == 1 and last.kind == "short":
        return items
    return items


def _first_component(sp: Span, inner: list[Span]) -> Span | None:
    """The longest name at the start of a facility name, if any."""
    firsts = [k for k in inner if k.start == sp.start and k.end <= sp.head_start and k is not sp]
    return max(firsts, key=lambda k: k.length, default=None)


def _spread(item: Span, tail: str, host: Span, text: str, lex: Lexicon) -> Span:
    """A list item given the head it shares with the host."""
    stem = text[item.start : item.end]
    head = host.suffix.text if host.suffix is not None else tail
    if item.kind != "pair" and (stem.endswith(tail) or stem.endswith(head)):
        # the item already has the head (A地块、B市场地块): it is a whole name
        return Span(item.start, item.end, item.name, item.type, item.in_changning,
                    "list", suffix=item.suffix, known=item.known, head_start=item.head_start,
                    locators=list(item.locators))
    name = _clean_name(stem + tail)
    kn = lex.known.get(name)
    locators = [item.name] if item.kind != "pair" else list(item.locators)
    return Span(
        item.start, item.end,
        kn.name if kn else name,
        kn.type if kn else host.type,
        kn.in_changning if kn else item.in_changning,
        "list", suffix=host.suffix, head_start=item.end, locators=locators,
    )
