"""The pipeline's background work: results and errors come back from the forked children."""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import time
import zipfile
from pathlib import Path

import pytest

from gis._background import Awaiting
from gis._errors import PlanmapError
from gis.pipeline import _Background


def _write_and_list(folder: Path, name: str) -> list[Path]:
    path = folder / name
    path.write_text(str(os.getpid()), encoding="utf-8")
    return [path]


def _fail(message: str) -> None:
    raise PlanmapError(message)


@pytest.mark.parametrize("fork", [True, False])
def test_background_returns_the_value(tmp_path, fork):
    job = _Background(_write_and_list, tmp_path, "a.txt", fork=fork)
    assert job.result() == [tmp_path / "a.txt"]
    written_by = int((tmp_path / "a.txt").read_text(encoding="utf-8"))
    assert (written_by != os.getpid()) == fork
    assert job.result() == [tmp_path / "a.txt"]  # asked twice, same answer


@pytest.mark.parametrize("fork", [True, False])
def test_background_raises_the_error(fork):
    job = _Background(_fail, "no CJK font: install fonts-noto-cjk", fork=fork)
    with pytest.raises(PlanmapError, match="fonts-noto-cjk"):
        job.result()


def test_background_child_that_dies_is_an_error():
    job = _Background(os._exit, 3)
    with pytest.raises(PlanmapError, match="without a result"):
        job.result()


# --------------------------------------------------------------------------- Awaiting

_PREPARED: list[int] = []


def _remember_pid() -> None:
    _PREPARED.append(os.getpid())


def _pids_and_sum(a: int, b: int) -> tuple[list[int], int, int]:
    return list(_PREPARED), os.getpid(), a + b


@pytest.mark.parametrize("fork", [True, False])
def test_awaiting_prepares_first_then_runs_on_the_input(fork):
    _PREPARED.clear()
    job = Awaiting(_remember_pid, _pids_and_sum, fork=fork)
    job.send(2, 3)
    prepared, ran_in, total = job.result()
    assert total == 5
    assert prepared == [ran_in]  # prepared once, in the process that ran
    assert (ran_in != os.getpid()) == fork
    assert _PREPARED == ([] if fork else [os.getpid()])
    assert job.result() == (prepared, ran_in, total)


@pytest.mark.parametrize("fork", [True, False])
def test_awaiting_raises_the_error_of_prepare_or_of_the_work(fork):
    job = Awaiting(functools.partial(_fail, "no CJK font: install fonts-noto-cjk"),
                   _pids_and_sum, fork=fork)
    job.send(1, 2)
    with pytest.raises(PlanmapError, match="fonts-noto-cjk"):
        job.result()
    job = Awaiting(_remember_pid, _fail, fork=fork)
    job.send("the deck could not be written")
    with pytest.raises(PlanmapError, match="deck could not"):
        job.result()


def _divide(a: int, b: int) -> float:
    return a / b


def test_awaiting_child_failure_of_any_kind_is_a_planmap_error_naming_it():
    job = Awaiting(_remember_pid, _divide, what="briefing")
    job.send(1, 0)
    with pytest.raises(PlanmapError, match="briefing failed: ZeroDivisionError") as caught:
        job.result()
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
    job = Awaiting(_remember_pid, _divide, fork=False)
    job.send(1, 0)
    with pytest.raises(ZeroDivisionError):  # here, it keeps its own traceback
        job.result()


def test_awaiting_child_that_dies_is_an_error():
    job = Awaiting(_remember_pid, os._exit, what="briefing")
    job.send(3)
    with pytest.raises(PlanmapError, match="briefing ended without a result"):
        job.result()


def test_awaiting_without_input_ends_its_child():
    job = Awaiting(_remember_pid, _pids_and_sum, what="briefing")
    process = job._process
    assert process is not None and process.is_alive()
    del job  # a build that failed before its layers existed drops it
    gc.collect()
    process.join(timeout=30)
    assert not process.is_alive() and process.exitcode == 0
    job = Awaiting(_remember_pid, _pids_and_sum, what="briefing")
    with pytest.raises(PlanmapError, match="ended without a result"):
        job.result()  # asked without input: the child is told there is none


def _prepare_slowly() -> None:
    time.sleep(3)


def test_awaiting_dropped_while_preparing_is_not_waited_for():
    # a command that fails at once (a wrong path) must not wait for the briefing's imports
    job = Awaiting(_prepare_slowly, _pids_and_sum, what="briefing")
    process = job._process
    assert process is not None and process.is_alive()
    started = time.perf_counter()
    del job
    gc.collect()
    assert time.perf_counter() - started < 1.5
    process.join(timeout=30)  # it ends by itself once prepared, finding no input
    assert not process.is_alive() and process.exitcode == 0


# --------------------------------------------------------------------------- the pipeline's

GOOD = (
    "政府工作报告\n——2026年1月6日在区人民代表大会上\n"
    "一、2025年工作回顾\n建成虹桥示范公园，天山五村完成综合改造。\n"
    "二、2026年主要任务\n推进临空12号地块建设，启动苏州河岸线贯通。\n"
)


def _zip_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "report.txt").write_text(GOOD, encoding="utf-8")
    return folder


def test_early_briefing_process_draws_what_the_in_process_briefing_draws(
        tmp_path, docs, monkeypatch):
    import maps.briefing
    from gis import pipeline

    drawn_by: list[int] = []
    original = maps.briefing.make_briefing

    def recording(*args, **kwargs):
        paths = original(*args, **kwargs)
        (args[1] / "pid").write_text(str(os.getpid()), encoding="utf-8")
        drawn_by.append(os.getpid())
        return paths

    monkeypatch.setattr(maps.briefing, "make_briefing", recording)
    forked = pipeline.build([docs], tmp_path / "forked", stages=("extract", "layers", "slides"),
                            cache=False)
    here = pipeline.build([docs], tmp_path / "here", stages=("extract", "slides"), cache=False)
    assert int((tmp_path / "forked" / "pid").read_text(encoding="utf-8")) != os.getpid()
    assert drawn_by == [os.getpid()]  # only the in-process one ran here
    briefing = sorted(p for p in forked.outputs if p.startswith("slides") or p.endswith(".pptx"))
    assert briefing == sorted(p for p in here.outputs
                              if p.startswith("slides") or p.endswith(".pptx"))
    assert len(briefing) > 3
    for name in briefing:
        a, b = tmp_path / "forked" / name, tmp_path / "here" / name
        if name.endswith(".pptx"):
            assert _zip_parts(a) == _zip_parts(b)
        else:
            assert a.read_bytes() == b.read_bytes(), name


@pytest.mark.parametrize("where", ["prepare_briefing", "make_briefing"])
def test_early_briefing_process_failure_is_a_planmap_error(tmp_path, docs, monkeypatch, where):
    import maps.briefing
    from gis import pipeline

    def broken(*args, **kwargs):
        raise PlanmapError(f"{where} broke: install fonts-noto-cjk")

    monkeypatch.setattr(maps.briefing, where, broken)
    with pytest.raises(PlanmapError, match=f"{where} broke"):
        pipeline.build([docs], tmp_path / "out", cache=False)
    gc.collect()
    assert not [p for p in multiprocessing.active_children() if p.name == "planmap-briefing"]
    # the layers were written all the same
    assert (tmp_path / "out" / "projects.geojson").exists()


def test_failed_build_leaves_no_briefing_process(tmp_path):
    from gis import pipeline

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "bad.txt").write_bytes(b"\x00\x01 not a document")
    with pytest.raises(PlanmapError, match="could be read"):
        pipeline.build([empty], tmp_path / "out")
    gc.collect()
    for process in multiprocessing.active_children():
        process.join(timeout=30)
    assert not [p for p in multiprocessing.active_children() if p.name == "planmap-briefing"]


def test_awaiting_never_given_input_does_not_hold_up_the_exit():
    import subprocess
    import sys

    code = (
        # a finalizer made first, as libraries do: weakref's exit hook then runs after
        # multiprocessing's, which joins the children
        "import weakref\n"
        "class Thing: pass\n"
        "thing = Thing()\n"
        "weakref.finalize(thing, print, end='')\n"
        "from gis._background import Awaiting\n"
        "job = Awaiting(dict, dict, what='briefing')\n"  # kept alive until the interpreter ends
        "print('done')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0 and result.stdout.strip() == "done", result.stderr
