"""The briefing: its pictures (``maps.pictures``) and its deck (``maps.deck``).

``prepare_briefing`` does what needs no layers (matplotlib, the CJK font, the
base layers); the pipeline runs it in the briefing's process, forked at the
start of a build, while the documents are read. python-pptx is imported
only when the deck is made, while the picture workers draw the year maps, so
it does not delay the first picture.
"""

from __future__ import annotations

from pathlib import Path

from layers.model import ProjectLayers
from maps.pictures import Picture, prepare_pictures, render_pictures

__all__ = ["DECK_KINDS", "make_briefing", "prepare_briefing"]

#: The kinds of picture the deck shows (the year maps are pictures only).
DECK_KINDS = ("overview", "zone", "belt", "delivery")

def prepare_briefing() -> None:
    """Do now what every briefing needs before its layers exist (``prepare_pictures``).

    Importing this module loads matplotlib (not python-pptx); the font and
    the base layers are read here.
    """
    prepare_pictures()


def make_briefing(layers: ProjectLayers, out: Path, *, reference: dict | None = None,
                  jobs: int | None = None, cache: bool = True) -> list[Path]:
    """Draw the briefing pictures and write ``out/briefing.pptx``.

    Parameters
    ----------
    layers : ProjectLayers
        Projects, zones, belts and the documents used; with a ``delivery``
        table, the deck also has the delivery summary and its map.
    out : Path
        Output folder: pictures go to ``out/slides/``, the deck to ``out/briefing.pptx``.
    reference : dict of GeoDataFrame, optional
        Base layers; ``None`` uses the bundled reference data.
    jobs : int, optional
        Processes drawing the pictures (``render_pictures``); ``None``: one per
        CPU, at most 4.
    cache : bool
        Reuse unchanged pictures from ``settings.cache_folder`` (see
        ``render_pictures``); ``False`` draws them all (``planmap build --no-cache``).

    Returns
    -------
    list of Path
        Every picture (PNG and SVG) and, last, the deck.

    Raises
    ------
    PlanmapError
        When no CJK font is installed (the message names ``fonts-noto-cjk``).
    """
    out = Path(out)
    decks: list[Path] = []

    def deck(pictures: list[Picture]) -> None:
        from maps.deck import deck_from_pictures

        decks.append(deck_from_pictures(layers, pictures, out / "briefing.pptx"))

    # the deck is made as soon as its pictures are drawn, while the year maps are drawn
    pictures = render_pictures(layers, out, reference=reference, jobs=jobs, cache=cache,
                               first=DECK_KINDS, meanwhile=deck)
    paths = [p for picture in pictures for p in (picture.png, picture.svg)]
    return [*paths, *decks]
