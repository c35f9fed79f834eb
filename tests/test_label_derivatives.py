"""Closed-form labels and weight derivatives against the TensorFlow graph and finite differences.

Oracles: the graph engine (``LabelFunctions(model, "graph")``: reverse-over-reverse
automatic differentiation of the symmetry-function graph), central finite differences
of the model's own forces and energy (``model.evaluate``) in the weights, and central
finite differences of the symmetry functions (``SymmetryFunctionSet.compute``) in the
positions.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from datafiles import water_box

from nnp_tutorial.descriptors.derivatives import DrawnAtomDerivatives
from nnp_tutorial.descriptors.neighbors import element_rows
from nnp_tutorial.model import BehlerParrinelloNetwork
from nnp_tutorial.scaling import InputScaling
from nnp_tutorial.training import DescriptorCache, LabelFunctions, Trainer, TrainingConfig
from nnp_tutorial.training.labels import batch_errors


def _oxygen_only_box() -> Atoms:
    """A box without hydrogen: the H network has no rows."""
    box = water_box((2, 2, 2), seed=4, displacement=0.1)
    return box[[a.index for a in box if a.symbol == "O"]]


#: name -> (structure, hidden nodes, activations, normalize_nodes)
CASES = {
    "short box (edge 6.2 Å < 2 r_c, images)": (
        lambda: water_box((2, 2, 2), seed=7),
        (4, 3),
        ("t", "t"),
        False,
    ),
    "triclinic cell": (lambda: water_box((2, 2, 2), triclinic=True, seed=8), (4, 3), ("t", "t"), False),
    "3 layers, other activations, normalised nodes": (
        lambda: water_box((3, 2, 2), seed=9),
        (5, 4, 3),
        ("s", "g", "p"),
        True,
    ),
    "element absent (no H)": (_oxygen_only_box, (4, 3), ("t", "t"), False),
}


def _model(descriptor, hidden, activations, normalize):
    scaling = InputScaling.fit(
        DescriptorCache(descriptor, [water_box((2, 2, 2), seed=1)], progress=False).concatenated([0])
    )
    return BehlerParrinelloNetwork(
        descriptor, scaling, hidden_nodes=hidden, activations=activations, normalize_nodes=normalize, seed=5
    )


def _components(atoms: Atoms, rng) -> np.ndarray:
    """Ten components: random ones plus two axes of one atom (repeated atoms)."""
    drawn = rng.choice(3 * len(atoms), 8, replace=False)
    return np.concatenate([drawn, [3 * 2, 3 * 2 + 2]])


def _check_against_graph_and_differences(model, atoms, components):
    cache = DescriptorCache(model.descriptor, [atoms], progress=False)
    closed, graph = LabelFunctions(model), LabelFunctions(model, "graph")
    forces, jacobian = closed.forces(cache[0], atoms, components)
    reference_forces, reference = graph.forces(cache[0], atoms, components)
    scale = np.abs(reference).max()
    np.testing.assert_allclose(forces, reference_forces, rtol=0, atol=1e-10 * np.abs(reference_forces).max())
    np.testing.assert_allclose(jacobian, reference, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(forces, model.evaluate(atoms).forces.ravel()[components], rtol=0, atol=1e-10)
    energy, gradient = closed.energy(cache[0], len(atoms))
    reference_energy, reference_gradient = graph.energy(cache[0], len(atoms))
    assert energy == pytest.approx(reference_energy, rel=1e-12)
    np.testing.assert_allclose(
        gradient, reference_gradient, rtol=0, atol=1e-10 * np.abs(reference_gradient).max()
    )
    w0, h = model.get_weights(), 1e-5
    checked = np.random.default_rng(0).choice(model.n_weights, 12, replace=False)
    for k in checked:
        shifted = []
        for sign in (1, -1):
            w = w0.copy()
            w[k] += sign * h
            model.set_weights(w)
            result = model.evaluate(atoms)
            shifted.append((result.forces.ravel()[components], result.energy / len(atoms)))
        model.set_weights(w0)
        fd_forces = (shifted[0][0] - shifted[1][0]) / (2 * h)
        fd_energy = (shifted[0][1] - shifted[1][1]) / (2 * h)
        np.testing.assert_allclose(jacobian[:, k], fd_forces, rtol=0, atol=1e-6 * scale)
        assert gradient[k] == pytest.approx(fd_energy, abs=1e-6 * np.abs(gradient).max())
    return jacobian


@pytest.mark.parametrize("case", list(CASES))
def test_closed_form_equals_graph_and_finite_differences(descriptor, case):
    make, hidden, activations, normalize = CASES[case]
    atoms = make()
    model = _model(descriptor, hidden, activations, normalize)
    _check_against_graph_and_differences(model, atoms, _components(atoms, np.random.default_rng(len(case))))


def test_closed_form_on_the_default_network(fetch):
    """The study's network: 25-25 tanh on the Cheng symmetry functions, a 192-atom revPBE0-D3 frame."""
    from nnp_tutorial import datasets

    model = datasets.load_potential("nnp-revpbe0-d3-cheng2019")
    atoms = datasets.load_structures("revpbe0-d3", index=slice(3, 4))[0]
    _check_against_graph_and_differences(model, atoms, _components(atoms, np.random.default_rng(3)))


@pytest.mark.parametrize("triclinic", [False, True])
def test_drawn_atom_derivatives_match_finite_differences(descriptor, triclinic):
    """∂G_i/∂x_a of every moving centre (radial, narrow and wide angular) against central differences."""
    atoms = water_box((2, 2, 2), triclinic=triclinic, seed=11)
    drawn = np.array([0, 4, 13, 22])
    result = DrawnAtomDerivatives(descriptor.loops)(
        descriptor.pairs(atoms), (3 * drawn[:, None] + np.arange(3)).ravel()
    )
    rows = element_rows(result.species, 2)
    h = 1e-5
    for u, c in enumerate(result.components):
        a, d = divmod(c, 3)
        plus, minus = atoms.copy(), atoms.copy()
        plus.positions[a, d] += h
        minus.positions[a, d] -= h
        gp, gm = descriptor.compute(plus), descriptor.compute(minus)
        for k, e in enumerate(descriptor.elements):
            fd = (gp[e] - gm[e]) / (2 * h)
            analytic = np.zeros_like(fd)
            for i in np.flatnonzero(result.species == k):
                if result.row_of[u, i] >= 0:
                    analytic[rows[i]] = result.values[result.row_of[u, i], : fd.shape[1]]
                else:  # a centre that does not move with a
                    assert np.abs(fd[rows[i]]).max() < 1e-9
            np.testing.assert_allclose(analytic, fd, rtol=0, atol=1e-7 * np.abs(fd).max())


def test_adam_gradient_is_two_j_transpose_xi(descriptor, labelled):
    """BatchErrors.l2_gradient (one vector–Jacobian product) = 2 Jᵀ ξ of the formed Jacobian."""
    trainer = Trainer(
        labelled, TrainingConfig(optimizer="adam", hidden_nodes=[4, 3], steps=1), descriptor, progress=False
    )
    kinds = set()
    for step in range(40):
        errors = batch_errors(trainer.labels, trainer.cache, trainer.schedule, step)
        kinds.add(errors.batch.kind)
        expected = 2.0 * errors.jacobian().T @ errors.xi
        np.testing.assert_allclose(
            errors.l2_gradient(), expected, rtol=0, atol=1e-12 * np.abs(expected).max()
        )
    assert kinds == {"energy", "force"}


@pytest.mark.parametrize("optimizer, learning_rate", [("ekf", 0.01), ("adam", 1e-3)])
def test_training_with_closed_form_equals_graph_after_200_updates(
    descriptor, labelled, optimizer, learning_rate
):
    config = TrainingConfig(
        optimizer=optimizer, learning_rate=learning_rate, steps=200, hidden_nodes=[4, 3], validate_every=100
    )
    weights = {}
    for engine in ("closed-form", "graph"):
        trainer = Trainer(labelled, config, descriptor, progress=False, label_engine=engine)
        trainer.run()
        assert trainer.step == 200 and trainer.status == "completed"
        weights[engine] = trainer.model.get_weights()
    moved = np.abs(weights["graph"] - trainer.initial_weights).max()
    assert moved > 1e-3  # the runs did train
    np.testing.assert_allclose(weights["closed-form"], weights["graph"], rtol=0, atol=1e-8)


def test_unknown_label_engine_is_refused(descriptor):
    model = _model(descriptor, (4, 3), ("t", "t"), False)
    with pytest.raises(Exception, match="label engine"):
        LabelFunctions(model, "autodiff")
