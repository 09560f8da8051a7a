"""Sections, years and modes of a document's sentences.

A Changning work report delivered in January 2023 reviews 2022 (``一、2022年
工作回顾``) and plans 2023 (``二、2023年主要任务``); a plan-execution report
reviews last year's plan and drafts this year's; a five-year plan reviews the
previous plan period and plans 2021-2025; a news article's ``去年``/``今年``
resolve against its date. This module finds the headings, gives every
section a year, a mode (``review`` or ``plan``) and, for multi-year sections,
a period, and splits paragraphs into sentences that inherit them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from gis.documents import Sentence
from gis.normalise import HEADING_RE, TOC_RE

__all__ = [
    "SectionInfo",
    "chinese_year",
    "five_year_plan_period",
    "heading_level",
    "sentences_from_text",
]

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_NUMBERS = {"十": 10, "十一": 11, "十二": 12, "十三": 13, "十四": 14, "十五": 15, "十六": 16,
               "十七": 17, "十八": 18, "十九": 19, "二十": 20}

_YEAR_RE = re.compile(r"((?:19|20)\d\d)\s*年|([〇零一二三四五六七八九]{4})年")
_PLAN_NO_RE = re.compile(r"[“\"]?(十[一二三四五六七八九]?|二十)五[”\"]?|第(十[一二三四五六七八九]?|二十)个五年")
_REVIEW_WORDS = re.compile(r"回顾|执行情况|完成情况|工作总结|主要成就|取得的成绩|成就|进展情况")
_PLAN_WORDS = re.compile(r"任务|计划草案|工作安排|主要安排|打算|目标|举措|措施|部署|展望|思路|愿景")
_PAST_FIVE = re.compile(r"过去五年|五年来|本届政府")
_NEXT_FIVE = re.compile(r"今后五年|未来五年")
_LAST_YEAR = re.compile(r"去年|上一年|过去一年|一年来")
_THIS_YEAR = re.compile(r"今年|本年度|当年")
_NEXT_YEAR = re.compile(r"明年")
_FUTURE_CUES = re.compile(
    r"将|要|计划|拟|力争|争取|着力|加快|推进|推动|打造|启动|谋划|确保|深化|强化|持续|探索"
)
_PAST_CUES = re.compile(
    r"已|建成|完成|实现|达到|获评|获批|入选|同比|成功|落成|开业|投用|竣工|累计|发布|成立|"
    r"对外开放|正式开放|揭牌|集聚\d|引进\d"
)
_SENTENCE_END = re.compile(r"[^。！？!?]*(?:[。！？!?]+[”’」』）)]*|$)")


def chinese_year(text: str) -> int | None:
    """A year written in Chinese digits (``二〇二一``) or Arabic digits, else None."""
    if text.isdigit():
        return int(text)
    try:
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    except KeyError:
        return None


def five_year_plan_period(number: int) -> tuple[int, int]:
    """Years of the n-th five-year plan (the 14th is 2021-2025)."""
    first = 2021 + (number - 14) * 5
    return first, first + 4


def heading_level(paragraph: str) -> int:
    """Level of a heading paragraph: 1 (``一、``, ``第三章``), 2 (``（一）``), 0 if none.

    Table-of-contents entries (dot leaders, a trailing page number) are not headings.
    """
    if TOC_RE.search(paragraph.split("。")[0]):
        return 0
    match = HEADING_RE.match(paragraph)
    if not match:
        return 0
    marker = match.group(0)
    if marker[0] in "一二三四五六七八九十" or marker.startswith("第"):
        # a top-level heading is short and carries no full sentence
        return 1 if len(paragraph) <= 60 and "。" not in paragraph[:-1] else 0
    if marker[0] in "（(" and marker[1] in "一二三四五六七八九十":
        return 2
    return 0


@dataclass(frozen=True)
class SectionInfo:
    """Year, mode and period a heading gives its section."""

    year: int | None
    mode: str
    period: tuple[int, int] | None = None


def _plan_numbers(text: str) -> list[int]:
    numbers = []
    for match in _PLAN_NO_RE.finditer(text):
        word = match.group(1) or match.group(2)
        if word in _CN_NUMBERS:
            numbers.append(_CN_NUMBERS[word])
    return numbers


def section_from_heading(
    heading: str, *, doc_year: int | None, kind: str, plan_period: tuple[int, int] | None
) -> SectionInfo | None:
    """What a heading says about its section, or None when it says nothing.

    Parameters
    ----------
    heading : str
        The heading text (normalised).
    doc_year : int or None
        Year of the document's date.
    kind : str
        Document kind (``gis.documents.KINDS``).
    plan_period : tuple of int or None
        The period of the five-year plan the document is, if it is one.
    """
    years = [chinese_year(a or b) for a, b in _YEAR_RE.findall(heading)]
    years = [y for y in years if y]
    review = bool(_REVIEW_WORDS.search(heading))
    plan = bool(_PLAN_WORDS.search(heading)) and not review
    numbers = _plan_numbers(heading)
    if numbers:
        period = five_year_plan_period(numbers[0])
        if plan_period and period[1] < plan_period[0]:
            return SectionInfo(period[1], "review", period)
        if review:
            return SectionInfo(period[1], "review", period)
        return SectionInfo(period[0], "plan", period)
    if doc_year and _PAST_FIVE.search(heading):
        return SectionInfo(doc_year - 1, "review", (doc_year - 5, doc_year - 1))
    if doc_year and _NEXT_FIVE.search(heading):
        return SectionInfo(doc_year, "plan", (doc_year, doc_year + 4))
    if years:
        year = years[0]
        if review:
            return SectionInfo(year, "review")
        if plan:
            return SectionInfo(year, "plan")
        if doc_year:
            return SectionInfo(year, "review" if year < doc_year else "plan")
        return SectionInfo(year, "unknown")
    if doc_year and _LAST_YEAR.search(heading) and review:
        return SectionInfo(doc_year - 1, "review")
    if doc_year and _THIS_YEAR.search(heading):
        return SectionInfo(doc_year, "plan")
    if review and kind in ("work_report", "plan_execution_report") and doc_year:
        return SectionInfo(doc_year - 1, "review")
    if plan and kind in ("work_report", "plan_execution_report") and doc_year:
        return SectionInfo(doc_year, "plan")
    return None


class _NewsTime:
    """Year and mode of news sentences: time words carry on until the next one.

    A news article names the time once (``去年，…``) and goes on about it for
    several sentences or paragraphs, so a time word sets the context until
    another one, or a subtitle, replaces it. Without one, achievements are
    about the year before an article of the year's first quarter (an annual
    review) and about the article's own year otherwise; intentions are about
    the article's year.
    """

    def __init__(self, doc_date: dt.date | None) -> None:
        self.date = doc_date
        self.context: int | None = None  # the year a time word set

    def subtitle(self) -> None:
        """A subtitle starts a new topic: forget the time context."""
        self.context = None

    def __call__(self, text: str) -> SectionInfo:
        if self.date is None:
            return SectionInfo(None, "unknown")
        year = self.date.year
        explicit = [chinese_year(a or b) for a, b in _YEAR_RE.findall(text[:12])]
        explicit = [y for y in explicit if y]
        if explicit:
            self.context = explicit[0]
        elif _LAST_YEAR.search(text[:20]):
            self.context = year - 1
        elif _NEXT_YEAR.search(text[:20]):
            self.context = year + 1
        elif _THIS_YEAR.search(text[:20]):
            self.context = year
        past = bool(_PAST_CUES.search(text))
        future = bool(_FUTURE_CUES.search(text))
        if self.context is not None and self.context < year:
            return SectionInfo(self.context, "review")
        if self.context is not None and self.context > year:
            return SectionInfo(self.context, "plan")
        if self.context == year:
            return SectionInfo(year, "review" if past else "plan")
        if future and not past:
            return SectionInfo(year, "plan")
        return SectionInfo(year - 1 if self.date.month <= 3 else year, "review")


def split_sentences(paragraph: str) -> list[tuple[int, str]]:
    """Split a paragraph at 。！？ (keeping closing quotes); (offset, text) pairs."""
    out = []
    for match in _SENTENCE_END.finditer(paragraph):
        if match.group(0).strip():
            out.append((match.start(), match.group(0)))
    return out


def sentences_from_text(
    text: str,
    *,
    doc: str,
    kind: str,
    doc_date: dt.date | None,
    plan_period: tuple[int, int] | None = None,
) -> list[Sentence]:
    """Split normalised text into sentences, each with its section's year and mode.

    Parameters
    ----------
    text : str
        Normalised text, one paragraph per line.
    doc : str
        Document file name.
    kind : str
        Document kind.
    doc_date : date or None
        Document date; its year anchors ``去年``/``今年`` and undated sections.
    plan_period : tuple of int or None
        For a five-year plan, the period it plans.

    Returns
    -------
    list of Sentence
    """
    doc_year = doc_date.year if doc_date else None
    if kind == "five_year_plan" and plan_period:
        default = SectionInfo(plan_period[0], "plan", plan_period)
    elif kind == "news":
        default = SectionInfo(doc_year, "unknown")
    else:
        default = SectionInfo(doc_year, "unknown")
    news_time = _NewsTime(doc_date)
    current = {0: default}
    path: dict[int, str] = {}
    sentences: list[Sentence] = []
    offset = 0
    for paragraph in text.split("\n"):
        level = heading_level(paragraph)
        if level:
            heading = paragraph.split("。")[0]
            parent = current.get(level - 1, default) if level > 1 else default
            found = section_from_heading(
                heading, doc_year=doc_year, kind=kind, plan_period=plan_period
            )
            # a sub-heading overrides its parent only when it names a year or a plan period
            if found and level > 1 and not (_YEAR_RE.search(heading) or _plan_numbers(heading)):
                found = None
            info = found or parent
            current[level] = info
            for deeper in [k for k in current if k > level]:
                del current[deeper]
            path[level] = heading
            for deeper in [k for k in path if k > level]:
                del path[deeper]
        info = current[max(current)]
        section = " > ".join(path[k] for k in sorted(path))
        if kind == "news" and paragraph and paragraph[-1] not in "。！？!?”）)":
            news_time.subtitle()
        for start, sentence in split_sentences(paragraph):
            this = info
            if kind == "news" and info.mode == "unknown":
                this = news_time(sentence)
            sentences.append(
                Sentence(
                    doc=doc,
                    index=len(sentences),
                    text=sentence,
                    start=offset + start,
                    year=this.year,
                    mode=this.mode,
                    period=this.period,
                    section=section,
                )
            )
        offset += len(paragraph) + 1
    return sentences
