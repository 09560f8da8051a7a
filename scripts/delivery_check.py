"""Promises and delivery on a set of documents, for reading by hand.

Runs the stages up to the project layer (read → extract → resolve → merge aliases →
layers), then ``layers.delivery`` on the timeline, and writes to ``--out``:

- ``delivery.csv``: one row per promised entity with its class (UTF-8 with BOM);
- ``delivery_summary.json``: counts and median lag by zone, belt and promise year;
- ``alias_merges.json``: the entity merges made;
- ``no_later_report.txt``: every promise no later document mentions, with its sentence.

Usage::

    python scripts/delivery_check.py [PATH ...] [--out DIR] [--sample N]

``--sample N`` also prints N no-later-report promises picked at random (seed 9) for
checking against the documents by hand.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
from pathlib import Path

from geocode import load_gazetteer, resolve_entities
from gis import settings
from gis.atomic import write_text_atomic
from gis.pipeline import BuildReport, collect_paths, extract_documents
from layers.build import layers_from_entities, timeline_from_entities
from layers.delivery import (
    delivery_from_timeline,
    delivery_summary,
    format_delivery_summary,
    merge_alias_entities,
    write_delivery_csv,
)

log = logging.getLogger("delivery_check")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="documents or folders (default: seeds/)")
    parser.add_argument("--out", default="output/delivery_check", help="output folder")
    parser.add_argument("--sample", type=int, default=0, help="print N no-later-report rows")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    out = Path(args.out)

    report = BuildReport()
    mentions = extract_documents(collect_paths(args.paths or [settings.seeds_folder]), report)
    gazetteer = load_gazetteer()
    # as the pipeline does: what nothing locates stays unlocated (no district-wide dots)
    entities = resolve_entities(mentions, gazetteer=gazetteer, district_fallback=False)
    entities, merges = merge_alias_entities(entities, gazetteer)
    documents = [
        {key: d.get(key) for key in ("name", "title", "kind", "date")}
        for d in report.documents if not d.get("skipped")
    ]
    layers = layers_from_entities(entities, documents=documents)
    log.info("%d entities, %d in the project layer", len(entities), len(layers.projects))
    # every promised entity, located or not: unlocated ones get zone "" ("unlocated")
    in_district = [e for e in entities if e.in_changning]
    delivery = delivery_from_timeline(
        timeline_from_entities(in_district), layers.documents, projects=layers.projects,
        mentions=[m for e in entities for m in e.mentions],
    )
    summary = delivery_summary(delivery)

    write_delivery_csv(delivery, out / "delivery.csv")
    write_text_atomic(out / "delivery_summary.json",
                      json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    write_text_atomic(out / "alias_merges.json",
                      json.dumps(merges, ensure_ascii=False, indent=2) + "\n")
    nlr = delivery[delivery["delivery_class"] == "no_later_report"]
    lines = [
        f"{r.name}\t{r.zone}\t{r.promise_year}\t{r.promise_doc}:{r.promise_line}\t{r.promise_sentence}"
        for r in nlr.itertuples()
    ]
    write_text_atomic(out / "no_later_report.txt", "\n".join(lines) + "\n")
    sys.stdout.write(format_delivery_summary(summary) + "\n")
    if args.sample:
        rng = random.Random(9)
        for line in rng.sample(lines, min(args.sample, len(lines))):
            sys.stdout.write(line + "\n")
    log.info("wrote delivery.csv (%d rows), %d merges, %d no-later-report rows to %s",
             len(delivery), len(merges), len(nlr), out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
