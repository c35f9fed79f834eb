"""Public names of a package loaded from their modules on first use (PEP 562).

A package that lists its public names this way can be imported for one light module
without loading the heavy ones (TensorFlow) that other names need.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def lazy_exports(
    package: str, api: dict[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose names ``api`` maps to their modules.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    api : dict of str to str
        Public name → the module that defines it, relative to the package (``"md"``,
        ``"training.outputs"``).
    """

    def __getattr__(name: str) -> object:
        if name not in api:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{api[name]}", package), name)
        setattr(sys.modules[package], name, value)  # found directly from now on
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *api})

    return __getattr__, __dir__
