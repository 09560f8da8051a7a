"""The briefing's process: forked as early as the command knows it will draw.

The pictures and the deck take longest of all outputs, and what they need
before the layers exist (matplotlib, the CJK font, the projected base layers)
takes longer than reading the seeds. So the command line forks this process
right after parsing its arguments (``start_briefing``), before it imports the
pipeline and its numerical stack; ``gis.pipeline.build`` forks it itself when
called from Python. This module imports nothing heavy.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gis._background import Awaiting

__all__ = ["import_fiona_without_boto3", "start_briefing"]


def import_fiona_without_boto3() -> None:
    """Import fiona without the AWS SDK it loads for S3 sessions (a sixth of its import time).

    planmap reads and writes local files only. ``boto3`` is hidden from
    fiona's import (fiona then runs "with reduced functionality": no AWS
    sessions) and visible again afterwards, so a later ``import boto3`` works.
    """
    if "fiona" in sys.modules or "boto3" in sys.modules:
        return
    sys.modules["boto3"] = None  # type: ignore[assignment]  # makes `import boto3` fail
    try:
        import fiona  # noqa: F401
    except ImportError:  # pragma: no cover - fiona is a dependency; the pipeline says so
        pass
    finally:
        if sys.modules.get("boto3", 0) is None:
            del sys.modules["boto3"]


def start_briefing(stages: Sequence[str], *, cache: bool) -> Awaiting | None:
    """The briefing's process, forked now when ``slides`` is one of ``stages``.

    It imports matplotlib, finds the CJK font and projects the base layers
    (``maps.briefing.prepare_briefing``) while this process reads the
    documents, then draws once it is sent the layers and the output folder
    (``Awaiting.send``). When nothing else is built (``slides`` alone) it is
    not forked: the work runs here at the send.

    Parameters
    ----------
    stages : sequence of str
        The build's stages (``gis.pipeline.STAGES``).
    cache : bool
        Reuse unchanged pictures (``maps.briefing.make_briefing``).

    Returns
    -------
    Awaiting or None
        ``None`` when ``slides`` is not a stage.
    """
    if "slides" not in stages:
        return None
    overlap = "layers" in stages or "map" in stages
    return Awaiting(_prepare_briefing, functools.partial(_make_briefing, cache=cache),
                    fork=overlap, what="briefing")


def _prepare_briefing() -> None:
    import_fiona_without_boto3()
    from maps.briefing import prepare_briefing

    prepare_briefing()


def _make_briefing(layers: Any, out: Path, *, cache: bool) -> list[Path]:
    from maps.briefing import make_briefing

    return make_briefing(layers, out, cache=cache)
