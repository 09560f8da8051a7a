"""Quality and speed of the recogniser against the gold annotations.

Usage::

    python bench/extraction_quality.py [--speed-mb 4]

For each annotated document (tests/data/annotations/*.jsonl) it reads the seed
with ``gis.reading.read_document``, runs ``geocode.recognise.extract_mentions``
and prints precision, recall and F1 of entities (distinct canonical names per
document), then the accuracy of year and status on matched mentions.

Matching is lenient: a gold entity and an extracted one match when they have
the same canonical name, when a gold surface (or name) equals an extracted
surface, or when their surfaces overlap on the same line. For year and status,
each gold mention is paired with the matching extracted mention nearest to it:
nearest line first, then, on the same line, nearest column (the gold column is
the k-th occurrence of its surface for its k-th mention on that line), so that
two mentions of one name in a line are each paired with their own.

Speed: recognition alone (documents already read) on the seeds repeated up to
``--speed-mb`` megabytes, at two sizes, to show it is linear. The figure is CPU
time of this process (wall time is printed too; it suffers when the machine is
shared).
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geocode.recognise import extract_mentions, warm_up  # noqa: E402
from gis.reading import document_from_text, read_document  # noqa: E402

CONFUSION: dict[tuple, int] = defaultdict(int)
ERRORS: list[str] = []
ANNOTATIONS = ROOT / "tests" / "data" / "annotations"
SEEDS = ROOT / "seeds"
_NO_SPACE = re.compile(r"\s+")


def load_gold() -> dict[str, list[dict]]:
    gold: dict[str, list[dict]] = defaultdict(list)
    for path in sorted(ANNOTATIONS.glob("*.jsonl")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip():
                rec = json.loads(raw)
                gold[rec["doc"]].append(rec)
    return gold


def _overlap(a: str, b: str) -> bool:
    return bool(a) and bool(b) and (a in b or b in a)


def _mention_matches(g: dict, m) -> bool:
    if g["name"] == m.name:
        return True
    if g["surface"] == m.surface or g["name"] == m.surface:
        return True
    return g["line"] == m.line and _overlap(g["surface"], m.surface)


def _entity_matches(g_recs: list[dict], m_recs: list) -> bool:
    names = {g["name"] for g in g_recs}
    surfaces = {g["surface"] for g in g_recs} | names
    for m in m_recs:
        if m.name in names or m.surface in surfaces:
            return True
        if any(g["line"] == m.line and _overlap(g["surface"], m.surface) for g in g_recs):
            return True
    return False


def _column(original: str, offset: int) -> int:
    """Characters other than whitespace from the start of the line to ``offset``."""
    line_start = original.rfind("\n", 0, offset) + 1
    return len(_NO_SPACE.sub("", original[line_start:offset]))


def _gold_columns(gold: list[dict], lines: list[str]) -> list[int]:
    """Column (without whitespace) of each gold mention in its line.

    The k-th gold mention of a surface on a line is taken at the k-th
    occurrence of that surface in the line (-1 when it is not found there).
    """
    seen: dict[tuple[int, str], int] = defaultdict(int)
    cols = []
    for g in gold:
        key = (g["line"], g["surface"])
        text = _NO_SPACE.sub("", lines[g["line"] - 1]) if 0 < g["line"] <= len(lines) else ""
        col = -1
        for _ in range(seen[key] + 1):
            col = text.find(g["surface"], col + 1)
            if col < 0:
                break
        seen[key] += 1
        cols.append(col)
    return cols


def score_document(doc_name: str, gold: list[dict], mentions: list, original: str = "") -> dict:
    g_ent: dict[str, list[dict]] = defaultdict(list)
    for g in gold:
        g_ent[g["name"]].append(g)
    m_ent: dict[str, list] = defaultdict(list)
    for m in mentions:
        m_ent[m.name].append(m)
    found = sum(1 for recs in g_ent.values() if any(_entity_matches(recs, ms) for ms in m_ent.values()))
    correct = sum(1 for ms in m_ent.values() if any(_entity_matches(recs, ms) for recs in g_ent.values()))
    for name, recs in g_ent.items():
        if not any(_entity_matches(recs, ms) for ms in m_ent.values()):
            ERRORS.append(f"{doc_name[:3]} MISS {name} (line {recs[0]['line']}, {recs[0]['surface']})")
    for name, ms in m_ent.items():
        if not any(_entity_matches(recs, ms) for recs in g_ent.values()):
            ERRORS.append(f"{doc_name[:3]} FP   {name} [{ms[0].type}] line {ms[0].line}: {ms[0].sentence[:60]}")
    # year and status on matched mentions: the nearest matching mention by line
    year_ok = status_ok = matched = 0
    lines = original.split("\n")
    columns = _gold_columns(gold, lines) if original else [-1] * len(gold)
    for g, col in zip(gold, columns, strict=True):
        cands = [m for m in mentions if _mention_matches(g, m)]
        if not cands:
            continue
        # nearest line; on the same line, the nearest column (two mentions of one
        # name in a line pair in order)
        m = min(cands, key=lambda m: (
            abs(m.line - g["line"]),
            abs(_column(original, m.start) - col) if col >= 0 and m.line == g["line"] else 0,
            m.name != g["name"]))
        if abs(m.line - g["line"]) > 3:
            continue
        matched += 1
        year_ok += m.year == g.get("year")
        status_ok += m.status == g.get("status")
        if m.status != g.get("status"):
            ERRORS.append(
                f"{doc_name[:3]} STATUS {g['name']}: gold {g.get('status')} got {m.status} "
                f"({m.status_cue!r}, {m.mode}) line {m.line}: {m.sentence[:70]}"
            )
        if m.year != g.get("year"):
            ERRORS.append(f"{doc_name[:3]} YEAR {g['name']}: gold {g.get('year')} got {m.year}")
        CONFUSION[(g.get("status"), m.status, m.mode)] += 1
    return {
        "doc": doc_name, "gold": len(g_ent), "extracted": len(m_ent),
        "found": found, "correct": correct,
        "matched_mentions": matched, "year_ok": year_ok, "status_ok": status_ok,
    }


def _prf(found: int, gold: int, correct: int, extracted: int) -> tuple[float, float, float]:
    r = found / gold if gold else 0.0
    p = correct / extracted if extracted else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def quality(show_confusion: bool = False, show_errors: bool = False) -> None:
    gold = load_gold()
    rows = []
    for doc_name, recs in sorted(gold.items()):
        doc = read_document(SEEDS / doc_name)
        rows.append(score_document(doc_name, recs, extract_mentions(doc), doc.original))
    print(f"{'document':32} {'gold':>5} {'extr':>5} {'P':>6} {'R':>6} {'F1':>6} {'year':>6} {'status':>7}")
    tot = defaultdict(int)
    for r in rows:
        p, rc, f = _prf(r["found"], r["gold"], r["correct"], r["extracted"])
        n = r["matched_mentions"] or 1
        print(f"{r['doc']:32} {r['gold']:5d} {r['extracted']:5d} {p:6.3f} {rc:6.3f} {f:6.3f} "
              f"{r['year_ok'] / n:6.3f} {r['status_ok'] / n:7.3f}")
        for k, v in r.items():
            if k != "doc":
                tot[k] += v
    p, rc, f = _prf(tot["found"], tot["gold"], tot["correct"], tot["extracted"])
    n = tot["matched_mentions"] or 1
    print(f"{'ALL (micro)':32} {tot['gold']:5d} {tot['extracted']:5d} {p:6.3f} {rc:6.3f} {f:6.3f} "
          f"{tot['year_ok'] / n:6.3f} {tot['status_ok'] / n:7.3f}")
    print(f"matched gold mentions: {tot['matched_mentions']}")
    if show_errors:
        print("errors (MISS: gold entity not found; FP: extracted entity not in gold; STATUS, YEAR):")
        for line in ERRORS:
            print("  " + line)
    if show_confusion:
        print("status confusion (gold -> extracted, mode): count")
        for (g, e, mode), n in sorted(CONFUSION.items(), key=lambda kv: -kv[1]):
            if g != e:
                print(f"  {g:>18} -> {e:<18} {mode:<8} {n}")


def speed(target_mb: float) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    warm_up()
    for frac in (0.5, 1.0):
        size = target_mb * frac * 1e6
        reps = max(1, int(size / len(text.encode("utf-8"))))
        doc = None
        gc.collect()
        doc = document_from_text("\n".join([text] * reps), name="speed.txt")
        doc.line_of(0)  # the line index is the reader's, built once per document
        nbytes = len(doc.text.encode("utf-8"))
        t0, c0 = time.perf_counter(), time.process_time()
        n = len(extract_mentions(doc))
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        print(f"speed: {nbytes / 1e6:6.2f} MB in {dc:6.2f} s CPU = {nbytes / 1e6 / dc:5.2f} MB/s "
              f"(wall {dt:5.2f} s = {nbytes / 1e6 / dt:5.2f} MB/s; {n} mentions)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speed-mb", type=float, default=4.0, help="size of the speed run (0: skip)")
    ap.add_argument("--confusion", action="store_true", help="print the status confusion counts")
    ap.add_argument("--errors", action="store_true",
                    help="list missed and spurious entities and wrong statuses and years")
    args = ap.parse_args()
    quality(args.confusion, args.errors)
    if args.speed_mb > 0:
        speed(args.speed_mb)


if __name__ == "__main__":
    main()
