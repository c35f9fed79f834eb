"""The stored notebooks: valid nbformat, every cell with an id, outputs cleared."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) == 7


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_valid_and_cleared(path):
    stored = json.loads(path.read_text())  # as stored: nbformat's reader adds missing ids itself
    assert all("id" in cell for cell in stored["cells"]), "cells without an id (nbformat >= 4.5 needs them)"
    raw = nbformat.reads(path.read_text(), as_version=nbformat.NO_CONVERT)
    nbformat.validate(raw)  # raises on schema errors
    for cell in raw.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"outputs stored in {path.name}"
