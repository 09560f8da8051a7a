"""The pipeline's background briefing: results and errors come back from the forked child."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
