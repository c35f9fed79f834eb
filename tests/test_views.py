"""3D views and the density explorer, driven without a browser.

What a view shows is decided by the messages its Python side queues for the browser
(nglview keeps them in ``_ngl_msg_archive``): the structure as PDB text, then the
representations. The browser side is checked by ``tools/browser_check.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ase import Atoms

from nnp_tutorial.md import mean_density, water_box
from nnp_tutorial.tutorial.views import DensityExplorer, show_structure, show_trajectory


def pdb_atoms(pdb: str) -> tuple[np.ndarray, np.ndarray]:
    """Cell lengths (3,) and positions (n, 3) in a PDB text (CRYST1 and ATOM records), Å."""
    lines = pdb.splitlines()
    cryst = next(line for line in lines if line.startswith("CRYST1"))
    cell = np.array([float(cryst[6:15]), float(cryst[15:24]), float(cryst[24:33])])
    atoms = [line for line in lines if line.startswith(("ATOM", "HETATM"))]
    positions = np.array([[float(a[30:38]), float(a[38:46]), float(a[46:54])] for a in atoms])
    return cell, positions


def messages(view, method: str) -> list[dict]:
    return [m for m in view._ngl_msg_archive if m["methodName"] == method]


@pytest.fixture(scope="module")
def box() -> Atoms:
    atoms = water_box(8, 1.0, seed=1)
    atoms.positions += [7.0, -4.0, 20.0]  # every atom outside the cell
    return atoms


def test_structure_view_shows_the_atoms_wrapped_in_their_cell(box):
    view = show_structure(box)
    (load,) = messages(view, "loadFile")
    cell, positions = pdb_atoms(load["args"][0]["data"])
    edge = box.cell[0, 0]
    np.testing.assert_allclose(cell, [edge] * 3, atol=1e-3)
    np.testing.assert_allclose(positions, np.mod(box.positions, edge), atol=1e-3)  # cubic cell: wrap = mod
    assert load["kwargs"]["defaultRepresentation"] is False
    shown = [m["args"][0] for m in messages(view, "addRepresentation")]
    assert shown == ["ball+stick", "unitcell"]
    assert messages(view, "setSpin")[0]["args"] == [[0.0, 1.0, 0.0], 0.01]
    assert not messages(show_structure(box, spin=False), "setSpin")


def test_trajectory_view_has_every_frame_wrapped(box):
    frames = [box.copy() for _ in range(3)]
    for k, frame in enumerate(frames):
        frame.positions += 0.5 * k
    view = show_trajectory(frames)
    assert view.max_frame == 2
    (trajectory,) = view._trajlist
    edge = box.cell[0, 0]
    for k, frame in enumerate(frames):
        np.testing.assert_allclose(trajectory.get_coordinates(k), np.mod(frame.positions, edge), atol=1e-12)
    assert [m["args"][0] for m in messages(view, "addRepresentation")] == ["ball+stick", "unitcell"]
    with pytest.raises(ValueError, match="at least one frame"):
        show_trajectory([])


def thermo(n_rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"time_ps": 0.01 * np.arange(n_rows), "density_g_per_ml": 1 + 0.01 * rng.random(n_rows)}
    )


def test_density_explorer_reports_the_block_average_of_the_chosen_run_and_cut():
    runs = {"long": thermo(200, 0), "short": thermo(3, 1)}
    explorer = DensityExplorer(runs)
    first_image = bytes(explorer.image.value)
    assert first_image.startswith(b"\x89PNG")
    assert str(mean_density(runs["long"])) in explorer.readout.value  # defaults: half discarded, 5 blocks
    explorer.discard.value, explorer.blocks.value = 0.2, 8
    expected = mean_density(runs["long"], discard_fraction=0.2, n_blocks=8)
    assert f"{expected} g/ml (8 blocks of {expected.block_length} rows)" in explorer.readout.value
    assert bytes(explorer.image.value) != first_image
    drifting = thermo(200, 2)
    drifting["density_g_per_ml"] -= 0.05 * drifting["time_ps"]  # 0.05 g/ml per ps over noise of 0.01
    explorer.runs["drifting"] = drifting
    explorer.run.options = list(explorer.runs)
    explorer.run.value = "drifting"
    drift = float(explorer.readout.value.split("no stable density, drifting ")[1].split(" ±")[0])
    assert drift == pytest.approx(-0.05, abs=0.002) and "per ps" in explorer.readout.value
    explorer.run.value = "short"  # 2 rows after the cut: too few for 8 blocks, said, not raised
    assert explorer.readout.value.startswith("short: need at least 2 blocks and one point per block")


def test_the_views_and_md_analysis_import_without_tensorflow():
    """A notebook that only looks at MD results starts in seconds, without TensorFlow (~0.5 GB)."""
    import subprocess
    import sys

    code = "import sys, nnp_tutorial.tutorial.views, nnp_tutorial.md; print('tensorflow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
