"""The compiled loops (DescriptorLoops) against finite differences and the graph.

Their values against hand computation: ``test_symmetry_functions`` (``SymmetryFunctionSet.compute``
runs the loops).
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from ase import Atoms
from datafiles import water_box
from test_model import cheng, cubic_box, triclinic_box  # noqa: F401  (fixtures)
from test_symmetry_functions import CUTOFFS, STRUCTURES, make_functions

from nnp_tutorial.descriptors import SymmetryFunctionSet
from nnp_tutorial.descriptors.loops import DescriptorLoops
from nnp_tutorial.errors import UnknownNameError


@pytest.fixture(scope="module", params=CUTOFFS, ids=lambda c: f"cutoff{c[0]}-alpha{c[1]}")
def loops(request) -> DescriptorLoops:
    """Loops of a set with every function type (2, 3, 9; r_s > 0, non-integer ζ), per cutoff."""
    cutoff_type, alpha = request.param
    return DescriptorLoops(SymmetryFunctionSet(make_functions(), cutoff_type=cutoff_type, cutoff_alpha=alpha))


def weighted_sum(loops: DescriptorLoops, atoms, w: list[np.ndarray]) -> float:
    """L = Σ w · G over all atoms and functions (the loops' forward pass)."""
    g, _ = loops.forward(loops.descriptor.pairs(atoms))
    return float(sum(np.sum(a * b) for a, b in zip(g, w)))


@pytest.mark.parametrize("name", list(STRUCTURES))
def test_gradient_matches_finite_differences_and_the_graph(loops, name):
    """dL/dr for L = Σ w·G: central differences (1e-7 relative) and the TensorFlow gradient (1e-12)."""
    atoms = STRUCTURES[name]()
    sfs = loops.descriptor
    pairs = sfs.pairs(atoms)
    g, state = loops.forward(pairs)
    rng = np.random.default_rng(7)
    w = [rng.normal(size=x.shape) for x in g]
    grad = loops.backward(state, w)  # (pairs, 3)
    forces, virial = loops.forces_and_virial(pairs, grad)  # forces = -dL/dr

    # the graph: tape gradient of the same sum with respect to the pair vectors
    inputs = sfs.graph.inputs(pairs)
    tensors = inputs.tensors()
    with tf.GradientTape() as tape:
        tape.watch(tensors[0])
        graph = sfs.graph.call(tensors[0], tensors[1], *tensors[4:], inputs.n_rows)
        total = tf.add_n([tf.reduce_sum(x * y) for x, y in zip(graph, w)])
    # the two put the r_jk terms on different pairs (j → k here, i → j and i → k there):
    # compare what the gradient means, forces on atoms and the virial
    expected, expected_virial = loops.forces_and_virial(pairs, tape.gradient(total, tensors[0]).numpy())
    scale = np.abs(expected).max()
    assert scale > 0
    np.testing.assert_allclose(forces, expected, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(virial, expected_virial, rtol=0, atol=1e-11 * np.abs(expected_virial).max())

    step = 1e-5
    numeric = np.zeros_like(forces)
    for a in range(len(atoms)):
        for d in range(3):
            moved = atoms.copy()
            moved.positions[a, d] += step
            plus = weighted_sum(loops, moved, w)
            moved.positions[a, d] -= 2 * step
            numeric[a, d] = -(plus - weighted_sum(loops, moved, w)) / (2 * step)
    np.testing.assert_allclose(forces, numeric, rtol=0, atol=1e-7 * np.abs(numeric).max())


def test_engines_agree(cheng, cubic_box, triclinic_box):  # noqa: F811
    """The loops and the graph give the same energy, forces, atomic energies and stress.

    The boxes are shorter than r_c (every atom a neighbour many times over) and, with 64
    molecules (12.4 Å), between r_c and 2 r_c: there an atom k can be a neighbour of i once
    while the image of k next to a neighbour j is not, so the loops must match cell shifts.
    """
    for box in (cubic_box, triclinic_box, water_box((4, 4, 4), seed=3)):
        loops = cheng.evaluate(box, engine="loops")
        graph = cheng.evaluate(box, engine="graph")
        assert loops.energy == pytest.approx(graph.energy, rel=1e-13)
        for name in ("forces", "atomic_energies", "stress"):
            a, b = getattr(loops, name), getattr(graph, name)
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-11 * np.abs(b).max(), err_msg=name)


def test_engine_choice_is_checked(cheng, cubic_box):  # noqa: F811
    with pytest.raises(UnknownNameError, match="graph"):
        cheng.evaluate(cubic_box, engine="fortran")
    with pytest.raises(ValueError, match="float64 only"):
        cheng.evaluate(cubic_box, engine="loops", dtype="float32")


def test_interleaved_calls_keep_their_own_triples(loops):
    """A forward pass of another structure between forward and backward changes nothing (buffers reused)."""
    sfs = loops.descriptor
    first, second = (sfs.pairs(STRUCTURES[name]()) for name in ("periodic", "molecules"))
    g, state = loops.forward(first)
    w = [np.random.default_rng(3).normal(size=x.shape) for x in g]
    expected = loops.backward(state, w)
    del state  # its triple buffers return for reuse
    _, state = loops.forward(first)
    loops.forward(second)
    np.testing.assert_array_equal(loops.backward(state, w), expected)


def test_forward_passes_in_several_threads_match_serial_ones(cheng, cubic_box, triclinic_box):  # noqa: F811
    """Threads sharing one set's loops and its reused memory (the Fisher worker does) get serial results."""
    from concurrent.futures import ThreadPoolExecutor

    sfs = cheng.descriptor
    boxes = [cubic_box, triclinic_box, water_box((4, 4, 4), seed=3)]
    serial = [sfs.compute(box) for box in boxes]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda k: (k, sfs.compute(boxes[k])), [k % 3 for k in range(24)]))
    for k, g in results:
        for element in sfs.elements:
            np.testing.assert_array_equal(g[element], serial[k][element])


@pytest.mark.parametrize("formula", ["H2", "O2", "O"])
def test_structures_without_one_element(cheng, formula):  # noqa: F811
    """Both engines evaluate molecules lacking H or O (the graph once failed on them) and agree."""
    atoms = Atoms(formula, positions=[[0.0, 0.0, 0.0], [0.74, 0.1, 0.0]][: len(Atoms(formula))])
    loops = cheng.evaluate(atoms)
    graph = cheng.evaluate(atoms, engine="graph")
    assert np.isfinite(loops.energy) and loops.energy == pytest.approx(graph.energy, rel=1e-13)
    np.testing.assert_allclose(loops.forces, graph.forces, rtol=0, atol=1e-12)
    if len(atoms) > 1:
        assert np.abs(loops.forces).max() > 0.1  # the two atoms interact
