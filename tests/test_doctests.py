"""The examples in the package's docstrings run and print what they show (doctest).

Modules are collected only if their docstrings hold examples that run (lines
marked ``+SKIP`` need published data or a display), so every item checks
at least one example.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import nnp_tutorial


def runnable_examples(module) -> int:
    """Number of docstring examples of ``module`` not marked +SKIP."""
    return sum(
        not example.options.get(doctest.SKIP)
        for test in doctest.DocTestFinder().find(module)
        for example in test.examples
    )


MODULES = sorted(
    name
    for name in [
        "nnp_tutorial",
        *(i.name for i in pkgutil.walk_packages(nnp_tutorial.__path__, "nnp_tutorial.")),
    ]
    if runnable_examples(importlib.import_module(name))
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
