"""Time the briefing pictures and deck on the layers of the bundled seeds, cold and warm.

Runs the pipeline once on ``seeds/`` to get its ``ProjectLayers`` (the
``slides`` stage is intercepted, so nothing is drawn then; the layers are
cached in the output folder as a pickle, ``--fresh`` rebuilds them), then
times ``render_pictures`` and ``deck_from_pictures`` (what ``make_briefing``
calls) on them, twice per run: **cold** (an empty picture cache: every
picture drawn and stored) and **warm** (the same cache: every picture
copied from it). Per picture: ``Picture.seconds`` (draw + PNG + SVG, or the
copy), or in older code without it, the time between one picture's SVG and
the next. CPU is this process's plus its finished children's (the drawing
workers). Code without the picture cache is timed cold only.

Usage: ``python bench/slides_speed.py [--out /tmp/slides_bench] [--runs 1] [--fresh] [--jobs N]``
"""

from __future__ import annotations

import argparse
import logging
import pickle
import resource
import shutil
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


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    own = time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own + children.ru_utime + children.ru_stime


def run_once(layers, out: Path, jobs: int | None, *, cache_folder: Path | None = None) -> dict:
    """One briefing: pictures then deck, timed; per picture from ``Picture.seconds``.

    ``cache_folder`` (code with the picture cache) is the picture cache's
    folder for this run; ``None`` draws without it. Code without
    ``Picture.seconds`` (before the speed work) is timed from the files'
    modification times instead (pictures are drawn one after another there).
    """
    import inspect

    from gis import settings
    from maps.deck import deck_from_pictures
    from maps.pictures import render_pictures

    parameters = inspect.signature(render_pictures).parameters
    kwargs = {"jobs": jobs} if "jobs" in parameters else {}
    if "cache" in parameters:
        kwargs["cache"] = cache_folder is not None
        if cache_folder is not None:
            settings.cache_folder = cache_folder
    start, start_ns, cpu = time.perf_counter(), time.time_ns(), _cpu()
    pictures = render_pictures(layers, out, **kwargs)
    t_pictures = time.perf_counter() - start
    cpu_pictures = _cpu() - cpu
    t0, cpu0 = time.perf_counter(), _cpu()
    deck_from_pictures(layers, pictures, out / "briefing.pptx")
    t_deck, cpu_deck = time.perf_counter() - t0, _cpu() - cpu0
    rows = []
    previous = start_ns
    for picture in pictures:
        if hasattr(picture, "seconds"):
            rows.append((picture.stem, picture.seconds))
            continue
        t_svg = picture.svg.stat().st_mtime_ns
        rows.append((picture.stem, (t_svg - previous) / 1e9))
        previous = t_svg
    return {"rows": rows, "pictures": t_pictures, "cpu_pictures": cpu_pictures,
            "deck": t_deck, "cpu_deck": cpu_deck, "total": time.perf_counter() - start,
            "cpu": _cpu() - cpu}


def _has_cache() -> bool:
    import inspect

    from maps.pictures import render_pictures

    return "cache" in inspect.signature(render_pictures).parameters


def _report(label: str, results: list[dict]) -> None:
    best = min(results, key=lambda r: r["total"])
    print(f"--- {label}")
    print(f"{'picture':<28} {'seconds':>10}")
    for stem, seconds in best["rows"]:
        print(f"{stem:<28} {seconds:>10.2f}")
    print(f"{'sum over pictures':<28} {sum(s for _, s in best['rows']):>10.2f}")
    n = len(best["rows"])
    print(f"{f'pictures ({n}) wall / CPU':<28} {best['pictures']:>10.2f} / "
          f"{best['cpu_pictures']:.2f}")
    print(f"{'deck wall / CPU':<28} {best['deck']:>10.2f} / {best['cpu_deck']:.2f}")
    totals = [r["total"] for r in results]
    print(f"{'make_briefing total':<28} {min(totals):>10.2f}  (median "
          f"{statistics.median(totals):.2f} over {len(totals)} runs; CPU {best['cpu']:.2f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/slides_bench"))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--fresh", action="store_true", help="rebuild the seed layers")
    parser.add_argument("--jobs", type=int, default=None,
                        help="drawing processes (default: render_pictures' own choice)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    layers = seed_layers(args.out, fresh=args.fresh)
    print(f"seed layers: {len(layers.projects)} projects, "
          f"{0 if layers.delivery is None else len(layers.delivery)} promises "
          f"({time.perf_counter() - t0:.1f} s to get them)")
    cold, warm = [], []
    for i in range(args.runs):
        folder = args.out / f"run{i}"
        cache = folder / "picture_cache" if _has_cache() else None
        if cache is not None:
            shutil.rmtree(cache, ignore_errors=True)
        cold.append(run_once(layers, folder / "cold", args.jobs, cache_folder=cache))
        if cache is not None:
            warm.append(run_once(layers, folder / "warm", args.jobs, cache_folder=cache))
    _report("cold (empty picture cache: every picture drawn)", cold)
    if warm:
        _report("warm (every picture from the cache)", warm)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
