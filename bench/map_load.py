"""Load time of the planmap map against a plain folium map of the same points.

Builds a synthetic planmap map of N project points (popups, year control,
layer groups, legend, search: everything) and a plain folium map of the same
points as canvas ``CircleMarker`` objects, saves both offline (same inlined
Leaflet), and opens each in headless Chromium with the network blocked until
every feature is on the canvas and a frame has been painted. Prints the median
load times over a few runs, the HTML sizes and the ratio planmap/plain (target
<= 1.5). Each run loads the two pages back to back and the target is judged on
the median of these paired ratios, which a busy machine (other jobs sharing the
CPUs) disturbs far less than the ratio of the two medians, also printed.

Usage: ``python bench/map_load.py [--n 5000] [--runs 5]``
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import folium  # noqa: E402
from map_fixtures import synthetic_layers  # noqa: E402

from maps.webmap import map_from_layers, save_map  # noqa: E402

log = logging.getLogger("bench.map_load")

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

PLANMAP_DRAWN = "() => window.planmap && window.planmap.ready && planmap.drawnCount()"
PLAIN_DRAWN = """() => {
  for (const k of Object.keys(window)) {
    const v = window[k];
    if (v instanceof L.Map && v._renderer) return Object.keys(v._renderer._layers).length;
  }
  return 0;
}"""
PAINTED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"


def plain_map(layers) -> folium.Map:
    m = folium.Map(location=[31.215, 121.40], zoom_start=13, tiles=None, prefer_canvas=True)
    for geom in layers.projects.geometry:
        folium.CircleMarker([geom.y, geom.x], radius=6, color="#ffffff", weight=1,
                            fill=True, fill_color="#e69138", fill_opacity=0.9).add_to(m)
    return m


def load_ms(browser, path: Path, drawn_js: str, n: int) -> float:
    """Milliseconds from navigation start until ``n`` features are drawn and painted."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    page.goto(path.as_uri())
    page.wait_for_function(f"({drawn_js})() >= {n}", polling="raf", timeout=120000)
    ms = page.evaluate(PAINTED)
    context.close()
    if errors:
        raise RuntimeError(f"{path.name}: page errors {errors}")
    return float(ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="number of project features")
    parser.add_argument("--runs", type=int, default=5, help="loads of each page (median reported)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    from playwright.sync_api import sync_playwright

    layers = synthetic_layers(args.n - 6, points_only=True)
    layers.projects["geometry"] = layers.projects.geometry.representative_point()  # all points
    n = len(layers.projects)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        ours = save_map(map_from_layers(layers, offline=True), Path(tmp) / "planmap.html")
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        plain = save_map(plain_map(layers), Path(tmp) / "plain.html", offline=True)
        t_plain = time.perf_counter() - t0

        times: dict[str, list[float]] = {"planmap": [], "plain": []}
        paired: list[float] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            load_ms(browser, ours, PLANMAP_DRAWN, n)  # warm-up
            load_ms(browser, plain, PLAIN_DRAWN, n)
            for i in range(args.runs):
                pair = [("planmap", ours, PLANMAP_DRAWN), ("plain", plain, PLAIN_DRAWN)]
                for name, path, drawn in pair if i % 2 == 0 else pair[::-1]:  # alternate who goes first
                    times[name].append(load_ms(browser, path, drawn, n))
                paired.append(times["planmap"][-1] / times["plain"][-1])
            browser.close()

        med = {k: statistics.median(v) for k, v in times.items()}
        size = {"planmap": ours.stat().st_size, "plain": plain.stat().st_size}
        ratio = statistics.median(paired)
        log.info("features: %d (runs: %d, median)", n, args.runs)
        log.info("planmap map: load %.0f ms, HTML %.2f MB, built+saved in %.1f s",
                 med["planmap"], size["planmap"] / 1e6, t_ours)
        log.info("plain folium: load %.0f ms, HTML %.2f MB, built+saved in %.1f s",
                 med["plain"], size["plain"] / 1e6, t_plain)
        log.info("paired ratios: %s", " ".join(f"{r:.2f}" for r in paired))
        log.info("ratio of the medians: %.2f", med["planmap"] / med["plain"])
        log.info("ratio planmap/plain (median of pairs): %.2f (target <= 1.5) %s", ratio,
                 "OK" if ratio <= 1.5 else "OVER")
        log.info("size ratio: %.2f", size["planmap"] / size["plain"])


if __name__ == "__main__":
    main()
