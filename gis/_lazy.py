"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package lists where each public name lives; the module is imported on first
use, so ``geocode.model`` loads without the recogniser and ``layers.model``
without the exporters.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``where[name]`` and returns its ``name``.

    Parameters
    ----------
    package : str
        The package's name, for the error message.
    where : mapping of str to str
        Public name -> module that defines it.
    """

    def __getattr__(name: str) -> Any:
        if name in where:
            return getattr(importlib.import_module(where[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
