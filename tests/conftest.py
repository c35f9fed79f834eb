"""Shared fixtures: published data (local copy or download) and strict numerics."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _raise_on_floating_point_errors():
    """Fail on overflow, division by zero and invalid operations (as ASE's tests do)."""
    with np.errstate(all="raise", under="ignore"):
        yield


@pytest.fixture(scope="session")
def fetch():
    """``fetch(name) -> Path``: directory of a registered data set or potential.

    Reads ``NNP_TUTORIAL_DATA`` when set (CI points it at ``../shared/data``),
    otherwise downloads into the user cache.
    """
    from nnp_tutorial.datasets import fetch as _fetch

    return lambda name: _fetch(name, progress=False)
