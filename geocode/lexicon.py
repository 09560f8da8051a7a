"""Word lists of the planning genre used by the recogniser.

The lists live as UTF-8 text in ``geocode/data/lexicon/`` so they can be read
and extended without touching code:

``suffixes.tsv``
    Heads of place names (``路``, ``公园``, ``地块``, ``号线``…) with the site
    type they give and how much name they need before them.
``stopwords.txt``
    Verbs, adverbs and function words a name never runs across.
``generic.txt``
    Modifiers that alone do not make a name (``公共绿地`` is not a site).
``head_words.txt``
    Words that begin like a head but are not one (``江苏``, ``市场监管``).
``protect.txt``
    Name material that holds a stop word (``在线``, ``和平``).
``not_sites.txt``
    Names that are never sites (the district itself, the city, countries).
``non_site_heads.txt``
    Heads of organisations, policies, brands and events.
``head_compounds.txt``
    Common words ending with a head that name a kind of place (``街镇``, ``基站``).
``places.tsv``
    Generic district knowledge: canonical names, aliases and short forms.
``status_cues.tsv``
    Words that tell the status of a site, with their strength.

The bundled gazetteer's names and aliases (``settings.gazetteer_path``, read by
``geocode.gazetteer_names.read_name_index``: the same map as
``geocode.gazetteer.name_index()``, without pandas) are merged in; they take
precedence over ``places.tsv``.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

from geocode.model import TYPES
from gis import settings

__all__ = [
    "KnownName",
    "Lexicon",
    "Suffix",
    "StatusCue",
    "lexicon_folder",
    "load_lexicon",
]

log = logging.getLogger(__name__)

lexicon_folder: Path = Path(__file__).resolve().parent / "data" / "lexicon"


@dataclass(frozen=True)
class Suffix:
    """A head of place names.

    Attributes
    ----------
    text : str
        The head itself (``"公园"``).
    type : str
        Site type it gives (one of ``geocode.model.TYPES``).
    min_body : int
        Fewest name characters needed before it.
    restricted : bool
        The name before it must not be only generic words.
    absorbs : bool
        A facility head whose name may hold roads and other sites
        (``北横通道江苏路二级匝道``).
    list_tail : bool
        May be shared by the items of a list (``华阳、新华等社区卫生服务中心``).
    needs_place : bool
        The name before it must hold a place name (``仙霞路地下通道``, not
        ``急诊收治通道``).
    """

    text: str
    type: str
    min_body: int = 1
    restricted: bool = False
    absorbs: bool = False
    list_tail: bool = False
    needs_place: bool = False


@dataclass(frozen=True)
class KnownName:
    """A name known in advance, from the gazetteer or ``places.tsv``.

    Attributes
    ----------
    surface : str
        The name or alias as written.
    name : str
        Canonical name.
    type : str
        Site type.
    in_changning : bool
        False for places outside the district.
    short : bool
        A short form (``华阳``, ``临空``) only taken in a list of short forms
        or before a head.
    source : str
        ``"gazetteer"`` or ``"lexicon"``.
    """

    surface: str
    name: str
    type: str
    in_changning: bool = True
    short: bool = False
    source: str = "lexicon"


@dataclass(frozen=True)
class StatusCue:
    """A word that tells the status of a site.

    Attributes
    ----------
    text : str
        The cue word.
    status : str
        A status of ``geocode.model.STATUSES`` or one of the mode-dependent
        classes ``plan_or_build``, ``renovation``, ``new``.
    strength : int
        3 decisive, 2 clear, 1 weak.
    """

    text: str
    status: str
    strength: int


@dataclass
class Lexicon:
    """Every word list the recogniser uses, loaded once.

    Attributes
    ----------
    suffixes : dict of str to Suffix
        Heads by their text.
    stopwords : frozenset of str
        Words a name never runs across.
    generic : frozenset of str
        Modifiers that alone do not make a name.
    head_words : frozenset of str
        Words that begin like a head but are not one (``江苏``, ``市场监管``).
    protect : frozenset of str
        Name material that holds a stop word (``在线``, ``和平``).
    not_sites : frozenset of str
        Names that are never sites.
    non_site_heads : tuple of str
        Heads of brands and events, taken right after a place (``之秋``).
    org_heads : tuple of str
        Heads of organisations and offices, taken anywhere in the name run
        after a place (``东虹桥发展办公室``).
    self_heads : tuple of str
        Heads that make the whole name an organisation (``调解中心``).
    head_compounds : frozenset of str
        Common words ending with a head (``街镇``, ``基站``): no name ends there.
    known : dict of str to KnownName
        Known names and aliases by surface.
    cues : dict of str to StatusCue
        Status cues by text.
    """

    suffixes: dict[str, Suffix] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    generic: frozenset[str] = frozenset()
    protect: frozenset[str] = frozenset()
    head_words: frozenset[str] = frozenset()
    not_sites: frozenset[str] = frozenset()
    non_site_heads: tuple[str, ...] = ()
    org_heads: tuple[str, ...] = ()
    self_heads: tuple[str, ...] = ()
    head_compounds: frozenset[str] = frozenset()
    known: dict[str, KnownName] = field(default_factory=dict)
    cues: dict[str, StatusCue] = field(default_factory=dict)


def _rows(name: str) -> list[list[str]]:
    """Non-comment, non-empty rows of a lexicon file split on tabs."""
    path = lexicon_folder / name
    rows = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        rows.append(line.split("\t"))
    return rows


def _words(name: str) -> frozenset[str]:
    return frozenset(row[0].strip() for row in _rows(name) if row[0].strip())


def _suffixes() -> dict[str, Suffix]:
    out: dict[str, Suffix] = {}
    for row in _rows("suffixes.tsv"):
        text, type_, min_body = row[0], row[1], int(row[2])
        flags = row[3] if len(row) > 3 else ""
        if type_ not in TYPES:
            raise ValueError(f"suffix {text!r} has type {type_!r}, expected one of {TYPES!r}")
        out[text] = Suffix(
            text, type_, min_body, "r" in flags, "s" in flags, "q" in flags, "p" in flags
        )
    return out


def _places() -> dict[str, KnownName]:
    out: dict[str, KnownName] = {}
    for row in _rows("places.tsv"):
        surface, name, type_, inside = row[0], row[1], row[2], row[3]
        flags = row[4] if len(row) > 4 else ""
        out[surface] = KnownName(surface, name, type_, inside == "1", "s" in flags)
    return out


def _cues() -> dict[str, StatusCue]:
    return {row[0]: StatusCue(row[0], row[1], int(row[2])) for row in _rows("status_cues.tsv")}


def _gazetteer_names() -> dict[str, KnownName]:
    """Names and aliases of the gazetteer, or nothing when it is not available."""
    try:
        # the names only, read without pandas (geocode.gazetteer_names): an extraction
        # worker needs neither the geometry nor the numerical stack
        from geocode.gazetteer_names import read_name_index

        index = read_name_index(settings.gazetteer_path)
    except Exception as exc:  # the gazetteer is optional for recognition
        log.info("gazetteer names not used for recognition: %s", exc)
        return {}
    out: dict[str, KnownName] = {}
    for surface, value in index.items():
        if isinstance(value, tuple):
            name, type_, inside = value[0], value[1], bool(value[2])
        else:  # GazetteerName
            name, type_, inside = value.name, value.type, bool(value.in_changning)
        if not surface or type_ not in TYPES:
            continue
        out[surface] = KnownName(surface, name, type_, inside, False, "gazetteer")
    log.info("recogniser uses %d gazetteer names and aliases", len(out))
    return out


@functools.lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Load every word list once (cached for the process).

    Returns
    -------
    Lexicon
        Suffixes, stop words, generic modifiers, non-sites, known names
        (``places.tsv`` overlaid with the gazetteer's ``name_index()``) and
        status cues.
    """
    not_sites = _words("not_sites.txt")
    known = _places()
    gazetteer = _gazetteer_names()
    for surface, entry in list(known.items()):
        # a canonical name of ours that the gazetteer knows takes the gazetteer's canonical name
        gz = gazetteer.get(entry.name)
        if gz is not None:
            known[surface] = KnownName(surface, gz.name, gz.type, gz.in_changning, entry.short)
    for surface, entry in gazetteer.items():
        if surface in not_sites:
            continue
        old = known.get(surface)
        # the gazetteer decides canonical names, but a short form stays short
        known[surface] = KnownName(
            surface, entry.name, entry.type, entry.in_changning,
            bool(old and old.short), "gazetteer",
        )
    lex = Lexicon(
        suffixes=_suffixes(),
        stopwords=_words("stopwords.txt"),
        generic=_words("generic.txt"),
        protect=_words("protect.txt"),
        head_words=_words("head_words.txt"),
        not_sites=not_sites,
        non_site_heads=tuple(r[0] for r in _rows("non_site_heads.txt") if r[1] == "next"),
        org_heads=tuple(r[0] for r in _rows("non_site_heads.txt") if r[1] == "run"),
        self_heads=tuple(r[0] for r in _rows("non_site_heads.txt") if r[1] == "self"),
        head_compounds=_words("head_compounds.txt"),
        known=known,
        cues=_cues(),
    )
    log.debug(
        "lexicon: %d suffixes, %d stop words, %d known names, %d cues",
        len(lex.suffixes), len(lex.stopwords), len(lex.known), len(lex.cues),
    )
    return lex
