"""Time `planmap build` over synthetic archives of 10, 100 and 1,000 documents.

For each size: a cold build (empty cache) with ``--jobs 2``, then a warm rebuild
after one document changed. Prints wall time and CPU time (user + system of the build and its workers),
throughput (MB/s), peak memory (largest resident set of the build and its
workers) and the warm/cold ratio. Also times the build of the five seeds from a
cold start of the command, with an empty cache and again with a warm one.

Usage: python bench/scale.py [--sizes 10 100 1000] [--jobs 2] [--kb 100]
Targets (issue 8, on a 2-core machine): seeds ≤ 5 s; 1,000 documents (~100 MB)
≤ 2 min with --jobs 2, throughput within 20% of linear from 100 to 1,000
documents, peak memory ≤ 1 GB; warm rebuild ≤ 10% of the cold build.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from make_corpus import make_corpus  # noqa: E402

#: CPU seconds (user + system) of every finished child, as of the last ``_run``.
_CPU = [0.0]


def _run(args: list[str], cache: Path) -> tuple[float, float]:
    """Run planmap in a child process; (wall seconds, peak RSS MB of the children).

    The CPU seconds of the run (user + system, the build and all its worker
    processes) are left in ``_CPU[1]``.
    """
    env = dict(os.environ, PLANMAP_CACHE=str(cache))
    start = time.perf_counter()
    code = subprocess.run([sys.executable, "-m", "gis", "-q", *args], env=env).returncode
    wall = time.perf_counter() - start
    if code not in (0, 1):
        raise SystemExit(f"planmap {' '.join(args)} failed with exit code {code}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    _CPU[1:] = [cpu - _CPU[0]]
    _CPU[0] = cpu
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--kb", type=int, default=100)
    parser.add_argument("--stages", default="layers", choices=["layers", "build"],
                        help="the planmap command timed (default layers: extraction, "
                        "geocoding and exports; build adds the map and the slides)")
    args = parser.parse_args()
    print(f"# planmap scale benchmark — {time.strftime('%Y-%m-%d')}, {platform.node()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    # planmap's modules compiled, as after `bash scripts/build` or a regular pip install
    # (with PYTHONDONTWRITEBYTECODE set, nothing else would write their bytecode)
    for package in ("gis", "geocode", "layers", "maps"):
        compileall.compile_dir(ROOT / package, quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        wall, _ = _run(["build", "--out", str(tmp_path / "seeds_out")], tmp_path / "c0")
        print(f"seeds (5 documents) planmap build, cold cache: {wall:.1f} s "
              f"(CPU {_CPU[1]:.1f} s)")
        wall, _ = _run(["build", "--out", str(tmp_path / "seeds_out")], tmp_path / "c0")
        print(f"seeds (5 documents) planmap build, warm cache: {wall:.1f} s "
              f"(CPU {_CPU[1]:.1f} s)", flush=True)
        rows = []
        for n in args.sizes:
            corpus = tmp_path / f"corpus_{n}"
            paths = make_corpus(corpus, n, size_kb=args.kb)
            megabytes = sum(p.stat().st_size for p in paths) / 1e6
            cache = tmp_path / f"cache_{n}"
            cmd = [args.stages, str(corpus), "--out", str(tmp_path / f"out_{n}"),
                   "--jobs", str(args.jobs)]
            cold, peak = _run(cmd, cache)
            cold_cpu = _CPU[1]
            with open(paths[0], "a", encoding="utf-8") as fh:
                fh.write("推进某某示范公园建设。\n")
            warm, _ = _run(cmd, cache)
            warm_cpu = _CPU[1]
            rows.append((n, megabytes, cold, megabytes / cold, peak, warm, warm / cold))
            print(f"{n:>5} docs {megabytes:7.1f} MB  cold {cold:7.1f} s (CPU {cold_cpu:6.1f} s)  "
                  f"{megabytes / cold:5.2f} MB/s  peak {peak:6.0f} MB  "
                  f"warm {warm:6.1f} s (CPU {warm_cpu:5.1f} s)  warm/cold {warm / cold:.2f}",
                  flush=True)
        if len(rows) >= 2:
            (n1, _, _, t1, *_), (n2, _, _, t2, *_) = rows[-2], rows[-1]
            print(f"throughput {n2} vs {n1} docs: {t2 / t1:.2f} of linear")


if __name__ == "__main__":
    main()
