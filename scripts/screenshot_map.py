"""Screenshot a planmap map.html in headless Debian Chromium, with the network blocked.

Usage: python scripts/screenshot_map.py OUTPUT/map.html shot.png [--width 1400 --height 900]
       [--view promises] [--year 2020]
Prints console errors and any request to another host (there should be none offline).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--view", choices=["status", "promises"], default="status")
    parser.add_argument("--year", type=int)
    args = parser.parse_args()
    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})

        def route(request_route):
            url = request_route.request.url
            if url.startswith(("file:", "data:")):
                request_route.continue_()
            else:
                outside.append(url)
                request_route.abort()

        page.route("**/*", route)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(args.html.resolve().as_uri())
        page.wait_for_function("() => window.planmap !== undefined", timeout=20000)
        if args.view == "promises":
            page.evaluate("() => { planmap.setView('promises'); }")
        if args.year:
            page.evaluate("(y) => { planmap.setYear(y); }", args.year)
        page.wait_for_timeout(800)
        page.screenshot(path=str(args.png))
        browser.close()
    print(f"wrote {args.png}; console errors: {errors or 'none'}; outside requests: {outside or 'none'}")


if __name__ == "__main__":
    main()
