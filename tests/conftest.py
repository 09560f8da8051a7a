"""Shared fixtures: every test writes into its own temporary folders, never the network."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gis import settings

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Point output and cache folders at the test's temporary folder."""
    monkeypatch.setattr(settings, "output_folder", tmp_path / "output")
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    monkeypatch.setattr(settings, "online_provider", None)


@pytest.fixture(autouse=True)
def _restore_logging():
    """The CLI configures the root logger; undo it so caplog works in later tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    """The five bundled seed documents."""
    return sorted(SEEDS.glob("*.txt"))
