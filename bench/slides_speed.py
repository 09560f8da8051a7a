"""Time the briefing pictures and deck on the layers of the bundled seeds.

Runs the pipeline once on ``seeds/`` to get its ``ProjectLayers`` (the
``slides`` stage is intercepted, so nothing is drawn then; the layers are
cached in the output folder as a pickle, ``--fresh`` rebuilds them), then
times ``make_briefing`` on them. Per picture, the time is read from the
files' modification times: draw + PNG (from the previous picture's last file
to this PNG) and SVG (from this PNG to this SVG). Prints one line per
picture, the pictures' total, the deck and the whole call.

Usage: ``python bench/slides_speed.py [--out /tmp/slides_bench] [--runs 1] [--fresh]``
"""

from __future__ import annotations

import argparse
import logging
import pickle
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

log = logging.getLogger("bench.slides_speed")


def seed_layers(out: Path, *, fresh: bool = False):
    """The ProjectLayers the pipeline builds from the seeds (cached in ``out``)."""
    cache = out / "seed_layers.pickle"
    if cache.exists() and not fresh:
        with cache.open("rb") as fh:
            return pickle.load(fh)
    import maps
    from gis.pipeline import build

    captured = {}

    def capture(layers, _out, **_kw):
        captured["layers"] = layers
        return []

    maps.make_briefing = capture  # the pipeline imports it from `maps` at call time
    try:
        build(None, out / "build", stages=("slides",))
    finally:
        del maps.make_briefing
    out.mkdir(parents=True, exist_ok=True)
    with cache.open("wb") as fh:
        pickle.dump(captured["layers"], fh)
    return captured["layers"]


def run_once(layers, out: Path) -> dict:
    """One ``make_briefing`` call; times per picture from the files' mtimes."""
    from maps.briefing import make_briefing

    start = time.perf_counter()
    start_ns = time.time_ns()
    paths = make_briefing(layers, out)
    total = time.perf_counter() - start
    deck = paths[-1]
    pngs = [p for p in paths if p.suffix == ".png"]
    rows = []
    previous = start_ns
    for png in pngs:
        svg = png.with_suffix(".svg")
        t_png = png.stat().st_mtime_ns
        t_svg = svg.stat().st_mtime_ns if svg.exists() else t_png
        rows.append((png.stem, (t_png - previous) / 1e9, (t_svg - t_png) / 1e9))
        previous = max(t_png, t_svg)
    deck_s = (deck.stat().st_mtime_ns - previous) / 1e9
    return {"rows": rows, "total": total, "deck": deck_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/slides_bench"))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--fresh", action="store_true", help="rebuild the seed layers")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    layers = seed_layers(args.out, fresh=args.fresh)
    print(f"seed layers: {len(layers.projects)} projects, "
          f"{0 if layers.delivery is None else len(layers.delivery)} promises "
          f"({time.perf_counter() - t0:.1f} s to get them)")
    results = [run_once(layers, args.out / f"run{i}") for i in range(args.runs)]
    best = min(results, key=lambda r: r["total"])
    print(f"{'picture':<28} {'draw+png s':>10} {'svg s':>8}")
    for stem, draw, svg in best["rows"]:
        print(f"{stem:<28} {draw:>10.2f} {svg:>8.2f}")
    pictures = sum(d + s for _, d, s in best["rows"])
    print(f"{'pictures (' + str(len(best['rows'])) + ')':<28} {pictures:>10.2f}")
    print(f"{'deck':<28} {best['deck']:>10.2f}")
    totals = [r["total"] for r in results]
    print(f"{'make_briefing total':<28} {min(totals):>10.2f}  (median {statistics.median(totals):.2f}"
          f" over {len(totals)} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
