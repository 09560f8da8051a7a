"""The ``planmap`` command line: a thin layer over ``gis.pipeline.build``.

Exit codes: 0 when every document was read and every output written; 1 when
the outputs were written but some documents were skipped (listed in
``build_report.json``); 2 on a usage error or when nothing could be built.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from gis import __version__, settings
from gis._briefing import import_fiona_without_boto3, start_briefing
from gis._errors import PlanmapError

__all__ = ["main", "make_parser"]

log = logging.getLogger("planmap")

EXIT_OK, EXIT_SKIPPED, EXIT_FAILED = 0, 1, 2

_STAGES_OF = {
    "build": ("extract", "layers", "map", "slides"),
    "layers": ("extract", "layers"),
    "map": ("extract", "map"),
    "slides": ("extract", "slides"),
}


def _add_common(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "paths", nargs="*", metavar="PATH",
        help="document files (.txt .pdf .docx) or folders; default: the bundled seeds/",
    )
    sub.add_argument("--out", metavar="DIR", help="output folder (default: output/)")
    sub.add_argument(
        "--gazetteer", metavar="FILE",
        help="your own gazetteer (CSV with lon/lat or WKT, GeoJSON, GeoPackage) that adds to "
        "and overrides the bundled one",
    )
    sub.add_argument(
        "--online", choices=("nominatim", "baidu"),
        help="also ask this online geocoder (cached, rate-limited) for places the gazetteer "
        "cannot place; off by default",
    )
    sub.add_argument(
        "--jobs", "-j", type=int, default=1, metavar="N",
        help="read and extract N documents at once in worker processes (default 1)",
    )
    sub.add_argument(
        "--no-cache", action="store_true",
        help="extract every document again instead of reusing the cached extraction",
    )
    sub.add_argument(
        "--offline", action="store_true",
        help="write a self-contained map.html that needs no internet (Leaflet inlined)",
    )


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of ``planmap``."""
    parser = argparse.ArgumentParser(
        prog="planmap",
        description="Turn Changning District planning documents into maps: extract places and "
        "projects with their year and status, geocode them offline, and publish GeoJSON, "
        "GeoPackage, an interactive map and briefing slides.",
        epilog="Exit codes: 0 all read and written; 1 written, but some documents skipped; "
        "2 usage error or nothing built.",
    )
    parser.add_argument("--version", action="version", version=f"planmap {__version__}")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    verbosity.add_argument("-q", "--quiet", action="store_true", help="log only errors")
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    helps = {
        "build": "run everything: mentions.jsonl, layers (GeoJSON, GeoPackage, CSV), map.html, "
        "slides and build_report.json",
        "layers": "write mentions.jsonl and the layers (GeoJSON, GeoPackage with QGIS styles, CSV)",
        "map": "write mentions.jsonl and the interactive map.html",
        "slides": "write mentions.jsonl, the briefing pictures and briefing.pptx",
    }
    for name, text in helps.items():
        sub = subs.add_parser(name, help=text, description=text)
        _add_common(sub)
    return parser


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.getLevelName(settings.log_level)
    handler = logging.StreamHandler(sys.stderr)
    # -v adds the milliseconds since start-up, for reading where a build spends its time
    fmt = "%(levelname)s %(name)s: %(message)s"
    handler.setFormatter(logging.Formatter(("%(relativeCreated)7.0f ms " + fmt) if verbose else fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if hasattr(sys.stderr, "reconfigure"):
        sys.stderr.reconfigure(encoding="utf-8", errors="backslashreplace")
    logging.getLogger("jieba").setLevel(logging.WARNING)
    for noisy in ("fiona", "pyogrio", "matplotlib", "PIL", "urllib3", "geopy"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, level))


def main(argv: Sequence[str] | None = None, *, keep_alive: list | None = None) -> int:
    """Run ``planmap``; returns the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments; ``None`` reads ``sys.argv``.
    keep_alive : list, optional
        Passed to ``build`` (``run_and_exit`` uses it).
    """
    args = make_parser().parse_args(argv)
    _configure_logging(args.verbose, args.quiet)
    stages = _STAGES_OF[args.command]
    # the briefing's process first: it imports what it needs itself, beside this one
    briefing = start_briefing(stages, cache=not args.no_cache)
    import_fiona_without_boto3()
    from gis.pipeline import build

    try:
        report = build(
            args.paths or None,
            args.out,
            stages=stages,
            offline=args.offline,
            online=args.online,
            gazetteer=args.gazetteer,
            jobs=max(1, args.jobs),
            cache=not args.no_cache,
            keep_alive=keep_alive,
            briefing=briefing,
        )
    except PlanmapError as exc:
        log.error("%s", exc)
        return EXIT_FAILED
    except KeyboardInterrupt:
        log.error("interrupted; outputs already written are whole, the others were not replaced")
        return 130
    counts = report.counts
    log.info(
        "%d documents read, %d skipped; %d mentions, %d entities, %d located",
        counts.get("documents_read", 0), counts.get("documents_skipped", 0),
        counts.get("mentions", 0), counts.get("entities", 0), counts.get("entities_located", 0),
    )
    if "delivery" in counts and not args.quiet:
        from layers.delivery import format_delivery_summary

        sys.stdout.write(format_delivery_summary(counts["delivery"]) + "\n")
    return EXIT_SKIPPED if report.skipped else EXIT_OK


def run_and_exit(argv: Sequence[str] | None = None) -> NoReturn:
    """Run ``planmap`` and end the process without freeing the build's objects.

    Every output is whole on disk (written atomically, synced) before
    ``main`` returns; the logs and the standard streams are flushed here. The
    build's mentions, entities and layers are then left to the operating
    system: freeing a large archive's objects one by one takes most of a
    second.
    """
    kept: list = []
    code = main(argv, keep_alive=kept)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more to say
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run_and_exit()
