"""The command line and the pipeline end to end, on the seeds and on bad input."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gis.cli import main

GOOD = (
    "政府工作报告\n——2026年1月6日在区人民代表大会上\n"
    "一、2025年工作回顾\n建成虹桥示范公园，天山五村完成综合改造。\n"
    "二、2026年主要任务\n推进临空12号地块建设，启动苏州河岸线贯通。\n"
)


def _mentions(out: Path) -> list[dict]:
    text = (out / "mentions.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gis", *args], capture_output=True, text=True, timeout=300
    )


def test_help_and_version():
    result = _run("--help")
    assert result.returncode == 0 and "build" in result.stdout and "Exit codes" in result.stdout
    result = _run("build", "--help")
    assert result.returncode == 0 and "--out" in result.stdout and "--offline" in result.stdout
    result = _run("--version")
    assert result.returncode == 0 and re.match(r"planmap \d+\.\d+", result.stdout)


def test_unknown_command_is_a_usage_error():
    assert _run("paint").returncode == 2


@pytest.fixture(scope="module")
def seed_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("seed_build")
    cache = tmp_path_factory.mktemp("cache")
    from gis import settings

    old = settings.cache_folder
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    settings.cache_folder = cache
    try:
        code = main(["-q", "layers", "--out", str(out)])
    finally:
        settings.cache_folder = old
        root.handlers[:] = handlers  # the CLI configures logging; give pytest its handlers back
        root.setLevel(level)
    return code, out


def test_seed_build_writes_mentions_and_layers(seed_build):
    code, out = seed_build
    assert code == 0
    for name in ("mentions.jsonl", "projects.geojson", "build_report.json"):
        assert (out / name).stat().st_size > 0, name
    report = json.loads((out / "build_report.json").read_text(encoding="utf-8"))
    assert report["counts"]["documents_read"] == 5


def test_seed_mentions_point_back_at_their_lines(seed_build, seed_paths):
    _, out = seed_build
    originals = {p.name: p.read_text(encoding="utf-8") for p in seed_paths}
    mentions = _mentions(out)
    assert len(mentions) > 100
    for m in mentions:
        original = originals[m["doc"]]
        span = original[m["start"] : m["end"]]
        assert re.sub(r"\s", "", span) == re.sub(r"\s", "", m["surface"]), m
        assert original.count("\n", 0, m["start"]) + 1 == m["line"], m
        assert m["year"] is not None and m["mode"] in ("review", "plan", "unknown"), m


def test_seed_mentions_years_follow_the_document_structure(seed_build):
    _, out = seed_build
    expected = {  # document -> {mode: year}
        "000_27240cc56c075bd4.txt": {"review": 2022, "plan": 2023},
        "003_719247f755e4186c.txt": {"review": 2021, "plan": 2022},
        "004_8b03acbbd24002e3.txt": {"review": 2017, "plan": 2018},
    }
    for m in _mentions(out):
        if m["doc"] in expected and m["mode"] in expected[m["doc"]]:
            assert m["year"] == expected[m["doc"]][m["mode"]], m


@pytest.mark.parametrize("name", ["苏州河", "临空12号地块", "中山公园", "天山五村"])
def test_the_brief_names_come_out_with_year_status_and_geometry(seed_build, name):
    _, out = seed_build
    mentions = _mentions(out)
    found = [m for m in mentions if m["name"] == name or m["surface"] == name]
    assert found, f"{name} not extracted"
    assert all(m["year"] and m["status"] for m in found)
    projects = json.loads((out / "projects.geojson").read_text(encoding="utf-8"))
    ids = {m["entity_id"] for m in found}
    drawn = [f for f in projects["features"] if f["properties"]["id"] in ids]
    assert drawn and all(f["geometry"] for f in drawn)


def test_rerun_is_byte_stable_and_uses_the_cache(seed_build, tmp_path):
    _, first = seed_build
    from gis import settings
    from gis.pipeline import build

    report = build(None, tmp_path / "again", stages=("extract", "layers"))
    for name in ("mentions.jsonl", "projects.geojson", "build_report.json"):
        assert (tmp_path / "again" / name).read_bytes() == (first / name).read_bytes(), name
    warm = build(None, tmp_path / "warm", stages=("extract",))
    assert warm.cache_hits == 5 and report.cache_hits == 0
    assert Path(settings.cache_folder).exists()


def test_jobs_give_the_same_mentions(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(3):
        (docs / f"r{i}.txt").write_text(GOOD.replace("2026年1月6日", f"2026年1月{i + 6}日"),
                                        encoding="utf-8")
    assert main(["-q", "layers", str(docs), "--out", str(tmp_path / "a"), "--no-cache"]) == 0
    assert main(["-q", "layers", str(docs), "--out", str(tmp_path / "b"), "--no-cache",
                 "--jobs", "2"]) == 0
    a = (tmp_path / "a" / "mentions.jsonl").read_bytes()
    assert a and a == (tmp_path / "b" / "mentions.jsonl").read_bytes()


def test_bad_documents_are_skipped_with_a_reason_and_the_rest_builds(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text(GOOD, encoding="utf-8")
    (docs / "copy.txt").write_text(GOOD, encoding="utf-8")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (docs / "nodate.txt").write_text("这是一段没有日期也没有章节的文字。\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["-q", "layers", str(docs), "--out", str(out)]) == 1
    report = json.loads((out / "build_report.json").read_text(encoding="utf-8"))
    skipped = {d["name"]: d["reason"] for d in report["documents"] if d["skipped"]}
    assert set(skipped) == {"copy.txt", "empty.txt", "binary.txt", "nodate.txt"} or set(
        skipped
    ) == {"good.txt", "empty.txt", "binary.txt", "nodate.txt"}
    assert "empty" in skipped["empty.txt"] and "binary" in skipped["binary.txt"]
    assert "no date" in skipped["nodate.txt"]
    assert (out / "projects.geojson").exists()


def test_nothing_readable_is_exit_2_and_writes_nothing(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "empty.txt").write_bytes(b"")
    out = tmp_path / "out"
    assert main(["-q", "build", str(docs), "--out", str(out)]) == 2
    assert not out.exists() or not any(out.iterdir())


def test_missing_path_is_exit_2(tmp_path):
    assert main(["-q", "build", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2


def test_fiona_is_imported_without_boto3_and_boto3_stays_importable():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from gis._briefing import import_fiona_without_boto3\n"
        "import_fiona_without_boto3()\n"
        "assert 'fiona' in sys.modules and 'boto3' not in sys.modules\n"
        "import fiona.session\n"
        "assert fiona.session.boto3 is None\n"
        "try:\n"
        "    import boto3\n"
        "except ImportError:\n"
        "    pass\n"
        "else:\n"
        "    assert sys.modules['boto3'] is boto3\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_module_run_exits_with_outputs_whole_and_streams_flushed(tmp_path):
    """``python -m gis`` ends without freeing the build: outputs, summary and exit code intact."""
    import os
    import subprocess
    import sys

    from conftest import SEEDS

    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01 not a document")
    out = tmp_path / "out"
    env = dict(os.environ, PLANMAP_CACHE=str(tmp_path / "cache"))
    result = subprocess.run(
        [sys.executable, "-m", "gis", "layers", str(SEEDS), str(bad), "--out", str(out)],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 1, result.stderr
    assert "-- total" in result.stdout  # the delivery summary reached the pipe
    assert "skipped" in result.stderr
    report = json.loads((out / "build_report.json").read_text(encoding="utf-8"))
    assert len(report["documents"]) == 6
    assert all((out / name).exists() for name in report["outputs"])


def test_jobs_with_a_partly_warm_cache_and_bad_documents(tmp_path):
    """With --jobs the workers start at the first document to extract, while the cached
    ones are still read: one changed document among cached ones, and bad documents beside
    them, give what a single-process build without the cache gives."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(4):
        (docs / f"r{i}.txt").write_text(GOOD.replace("2026年1月6日", f"2026年1月{i + 6}日"),
                                        encoding="utf-8")
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    assert main(["-q", "layers", str(docs), "--out", str(tmp_path / "first"), "--jobs", "2"]) == 1
    with open(docs / "r2.txt", "a", encoding="utf-8") as fh:
        fh.write("推进中山公园改造。\n")
    from gis.pipeline import build

    warm = build([docs], tmp_path / "warm", stages=("extract", "layers"), jobs=2)
    assert warm.cache_hits == 3 and len(warm.skipped) == 1
    assert main(["-q", "layers", str(docs), "--out", str(tmp_path / "plain"), "--no-cache"]) == 1
    for name in ("mentions.jsonl", "timeline.csv", "projects.geojson"):
        plain = (tmp_path / "plain" / name).read_bytes()
        assert plain and plain == (tmp_path / "warm" / name).read_bytes(), name
    reports = [json.loads((tmp_path / d / "build_report.json").read_text(encoding="utf-8"))
               for d in ("warm", "plain")]
    assert reports[0]["documents"] == reports[1]["documents"]
