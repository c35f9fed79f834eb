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
def descriptor():
    """The seven small symmetry functions of ``datafiles.small_descriptor``, shared by the session.

    One object for all tests, so that models of the same network size share their compiled
    functions (:class:`nnp_tutorial.architecture.Architecture`). Its shape buckets therefore depend on
    the tests run before; tests that check padded shapes make their own.
    """
    from datafiles import small_descriptor

    return small_descriptor()


@pytest.fixture(scope="session")
def labelled():
    """Ten 8-molecule boxes labelled by a random teacher network (``datafiles.labelled_boxes``)."""
    from datafiles import labelled_boxes

    return labelled_boxes()


@pytest.fixture(scope="session")
def fetch():
    """``fetch(name) -> Path``: directory of a registered data set or potential.

    Reads ``NNP_TUTORIAL_DATA`` when set (CI points it at ``../shared/data``),
    otherwise downloads into the user cache.
    """
    from nnp_tutorial.datasets import fetch as _fetch

    return lambda name: _fetch(name, progress=False)
