"""Coverage of the offline geocoder on the seed documents (issue 4: ≥ 95% located).

Run: ``python bench/coverage.py [--list] [--seeds DIR]``.

Extracts the mentions of every seed document (``seeds/*.txt|pdf|docx``), groups and
resolves them the way ``planmap build`` does (``district_fallback=False``: nothing is put
"somewhere in 长宁区" silently), and prints

- the distinct in-district entities and how many have a geometry (the issue's measure);
- how they were placed (geocoder × precision class) and how many rest on an estimate
  (``source=estimate`` rows, precision ≥ 300 m);
- with ``--list``, the entities left unresolved (the rows of ``unresolved.csv``).

The exit status is 0; the figures are for reading and quoting, not a gate.
"""

from __future__ import annotations

import argparse
import collections
import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from geocode.gazetteer import load_gazetteer  # noqa: E402
from geocode.recognise import extract_mentions  # noqa: E402
from geocode.resolve import resolve_entities  # noqa: E402
from gis.pipeline import collect_paths  # noqa: E402
from gis.reading import read_document  # noqa: E402

TARGET = 0.95


def coverage(folder: Path) -> dict:
    """Resolve the mentions of every document in ``folder`` and count what is located.

    Returns
    -------
    dict
        ``entities`` (all), ``in_district``, ``located`` (in-district with geometry),
        ``estimate`` (located on a ``source=estimate`` row), ``placement`` (Counter of
        (geocoder, precision) over located in-district entities) and ``unresolved``
        (the in-district entities without geometry).
    """
    mentions = []
    for path in collect_paths([folder]):
        mentions.extend(extract_mentions(read_document(path)))
    gaz = load_gazetteer()
    estimate_ids = set(gaz.loc[gaz["source"] == "estimate", "id"])
    entities = resolve_entities(mentions, gazetteer=gaz, district_fallback=False)
    in_cn = [e for e in entities if e.in_changning]
    located = [e for e in in_cn if e.geometry is not None]
    return {
        "entities": entities,
        "in_district": in_cn,
        "located": located,
        "estimate": [e for e in located if e.gazetteer_id in estimate_ids],
        "placement": collections.Counter((e.geocoder, e.precision) for e in located),
        "unresolved": [e for e in in_cn if e.geometry is None],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=Path, default=REPO / "seeds", help="folder of documents")
    p.add_argument("--list", action="store_true", help="list the unresolved in-district entities")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    c = coverage(args.seeds)
    n_in, n_loc = len(c["in_district"]), len(c["located"])
    share = n_loc / max(1, n_in)
    print(f"documents: {len(collect_paths([args.seeds]))}; entities: {len(c['entities'])}; in 长宁: {n_in}")
    print(f"in-district entities with a geometry: {n_loc}/{n_in} = {share:.1%} "
          f"(target {TARGET:.0%}: {'met' if share >= TARGET else 'not met'})")
    print(f"  … of which on an estimate row (source=estimate, ≥ 300 m): {len(c['estimate'])}")
    print("placement (geocoder, precision):")
    for (geocoder, precision), n in sorted(c["placement"].items(), key=lambda t: -t[1]):
        print(f"  {geocoder:<10} {precision:<12} {n}")
    print(f"unresolved in-district entities: {len(c['unresolved'])}")
    if args.list:
        for e in sorted(c["unresolved"], key=lambda e: e.name):
            print(f"  {e.name}\t{e.type}\t{len(e.mentions)} mention(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
