"""pytest runs every notebook here top to bottom (nbmake) at the smoke budget.

The notebook kernels are subprocesses that inherit this process's environment when they
start (during the test's call phase), so ``NNP_TUTORIAL_BUDGET=smoke`` is set around each
notebook's run only: the unit tests in ``tests/`` still see the environment unchanged.
A budget set by hand (``NNP_TUTORIAL_BUDGET=workshop python -m pytest notebooks``) is kept.
"""

from __future__ import annotations

import os

import pytest

from nnp_tutorial.tutorial.budget import ENVIRONMENT_VARIABLE


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Run the notebook with the budget set (smoke unless the caller chose one)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENVIRONMENT_VARIABLE, os.environ.get(ENVIRONMENT_VARIABLE) or "smoke")
        return (yield)
