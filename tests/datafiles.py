"""Registry of the small test inputs (MDAnalysis ``datafiles.py`` style).

Files live in ``tests/data``; published data sets and potentials are not
copied here but fetched through the ``fetch`` fixture (see ``conftest.py``).

========================  ===================================================================
name                      content
========================  ===================================================================
``MINIMAL_INPUT_NN``      hand-written ``input.nn`` using every interpreted keyword: n2p2
                          normalisation block, ``atom_energy``, cutoff type 1 with alpha,
                          sigma scaling with a custom range, per-element nodes,
                          ``normalize_nodes``, one uninterpreted keyword, SF types 2, 3 and 9
                          (one with the optional r_s column), elements listed as ``O H``
``THREE_FRAMES_DATA``     hand-written ``input.data`` with three frames: periodic (one water,
                          non-orthogonal lattice), non-periodic (OH, two comment lines) and
                          triclinic with atoms outside the cell and a total charge
========================  ===================================================================

:func:`water_box` builds the synthetic liquid-like boxes used for finite
differences, invariances and MD (generated, not stored).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ase import Atoms
from ase.build import molecule

__all__ = [
    "DATA",
    "MINIMAL_INPUT_NN",
    "THREE_FRAMES_DATA",
    "energy_and_forces_graph",
    "labelled_boxes",
    "small_descriptor",
    "water_box",
]

DATA = Path(__file__).resolve().parent / "data"

MINIMAL_INPUT_NN = DATA / "minimal_input.nn"
THREE_FRAMES_DATA = DATA / "three_frames.input.data"

#: Volume of one water molecule at 1 g/cm³, Å³ (18.015 g/mol / N_A).
_VOLUME_PER_MOLECULE = 18.015 / 0.602214076


def water_box(
    repeats=(2, 2, 2), *, triclinic: bool = False, seed: int = 0, displacement: float = 0.1
) -> Atoms:
    """Water molecules (``ase.build.molecule('H2O')``, all alike) on a lattice at 1 g/cm³.

    Parameters
    ----------
    repeats : tuple of 3 int
        Molecules along each lattice vector.
    triclinic : bool
        Tilt the cell (off-diagonal lattice components; the volume is unchanged).
    seed : int
        Seed of the random displacement.
    displacement : float
        Standard deviation of the Gaussian displacement of every atom, Å.
    """
    repeats = np.asarray(repeats)
    n = int(np.prod(repeats))
    edge = (n * _VOLUME_PER_MOLECULE) ** (1 / 3)
    shape = np.eye(3)
    if triclinic:
        shape = np.array([[1.0, 0.0, 0.0], [0.31, 1.0, 0.0], [-0.22, 0.17, 1.0]])
    cell = edge * shape * (repeats / repeats.prod() ** (1 / 3))[:, None]
    water = molecule("H2O")
    water.positions -= water.get_center_of_mass()
    symbols, positions = [], []
    for index in np.ndindex(*repeats):
        center = ((np.array(index) + 0.5) / repeats) @ cell
        symbols += water.get_chemical_symbols()
        positions += list(water.positions + center)
    atoms = Atoms(symbols, positions=positions, cell=cell, pbc=True)
    rng = np.random.default_rng(seed)
    atoms.positions += rng.normal(scale=displacement, size=atoms.positions.shape)
    return atoms


def small_descriptor():
    """Seven symmetry functions (r_c = 4 Å, tanh³ cutoff) of every type: fast to compile."""
    from nnp_tutorial.descriptors import SymmetryFunctionSet
    from nnp_tutorial.descriptors.functions import AngularG3, AngularG9, RadialG2

    rc = 4.0
    functions = {
        "O": [
            RadialG2("O", "H", 0.5, 0.0, rc),
            RadialG2("O", "O", 0.2, 0.0, rc),
            AngularG3("O", "H", "H", 0.1, -1.0, 2.0, rc),
            AngularG9("O", "H", "O", 0.05, 1.0, 1.0, rc),
        ],
        "H": [
            RadialG2("H", "O", 0.5, 0.0, rc),
            RadialG2("H", "H", 0.3, 1.0, rc),
            AngularG3("H", "O", "O", 0.1, 1.0, 4.0, rc),
        ],
    }
    return SymmetryFunctionSet(functions, cutoff_type=2)


def labelled_boxes(n: int = 10) -> list[Atoms]:
    """``n`` 8-molecule boxes labelled by a fixed random 'teacher' network on :func:`small_descriptor`."""
    from ase.calculators.singlepoint import SinglePointCalculator

    from nnp_tutorial.model import BehlerParrinelloNetwork
    from nnp_tutorial.scaling import InputScaling
    from nnp_tutorial.training import DescriptorCache

    sfs = small_descriptor()
    boxes = [water_box((2, 2, 2), seed=s, displacement=0.15) for s in range(n)]
    scaling = InputScaling.fit(DescriptorCache(sfs, boxes, progress=False).concatenated(range(n)))
    teacher = BehlerParrinelloNetwork(sfs, scaling, seed=99)
    for atoms in boxes:
        result = teacher.evaluate(atoms)
        atoms.calc = SinglePointCalculator(atoms, energy=result.energy, forces=result.forces)
    return boxes


def energy_and_forces_graph(model, atoms):
    """Energy (eV) and forces (n_atoms, 3) of ``model`` as differentiable tensors (uncompiled graph).

    Call it inside a ``tf.GradientTape`` to differentiate the model's own
    full-structure forces with respect to the weights (an oracle independent
    of :mod:`nnp_tutorial.training.labels`).
    """
    sfs = model.descriptor
    inputs = sfs.graph.inputs(sfs.pairs(atoms))
    energy, forces, _, _ = model.architecture.evaluation_graph(
        *inputs.tensors(), model.weights, model.constants, inputs.n_rows, len(atoms)
    )
    return energy, forces
