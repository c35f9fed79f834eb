"""Fisher information: eigenvalues against the explicitly formed matrix of independent gradients."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from datafiles import energy_and_forces_graph

from nnp_tutorial.fisher import fisher_spectrum, l1_gradients, plot_spectra, plot_weight_distributions
from nnp_tutorial.model import BehlerParrinelloNetwork
from nnp_tutorial.training import BatchSchedule


@pytest.fixture(scope="module")
def boxes(labelled):
    return labelled[:6]


@pytest.fixture(scope="module")
def tiny(boxes, descriptor):
    """A 3-3 network on the small descriptor (about 60 weights)."""
    from nnp_tutorial.scaling import InputScaling
    from nnp_tutorial.training import DescriptorCache

    cache = DescriptorCache(descriptor, boxes, progress=False)
    scaling = InputScaling.fit(cache.concatenated(range(len(boxes))))
    return BehlerParrinelloNetwork(descriptor, scaling, hidden_nodes=(3, 3), seed=7)


def l1_gradient_by_tape(model, atoms, batch, scale) -> np.ndarray:
    """∇_w Σ|ξ| through the model's own full energy/force graph (independent of the label functions)."""
    with tf.GradientTape() as tape:
        energy, forces = energy_and_forces_graph(model, atoms)
        if batch.kind == "energy":
            xi = scale * (energy / len(atoms) - atoms.get_potential_energy() / len(atoms))
        else:
            predicted = tf.gather(tf.reshape(forces, [-1]), batch.components)
            xi = scale * (predicted - atoms.get_forces().ravel()[batch.components])
        l1 = tf.reduce_sum(tf.abs(xi))
    return tape.gradient(l1, model.weights).numpy()


@pytest.mark.parametrize("n_batches", [25, 90])  # fewer and more batches than weights
def test_eigenvalues_equal_those_of_the_explicit_matrix(tiny, boxes, n_batches):
    schedule = BatchSchedule(np.arange(len(boxes)), np.array([len(a) for a in boxes]), seed=3)
    by_tape = np.array(
        [
            l1_gradient_by_tape(tiny, boxes[batch.frame], batch, schedule.scale(batch))
            for batch in map(schedule.draw, range(n_batches))
        ]
    )
    explicit = sum(np.outer(g, g) for g in by_tape) / n_batches
    expected = np.linalg.eigvalsh(explicit)
    spectrum = fisher_spectrum(l1_gradients(tiny, boxes, n_batches=n_batches, seed=3, progress=False))
    assert len(spectrum.eigenvalues) == tiny.n_weights
    np.testing.assert_allclose(
        spectrum.eigenvalues, np.clip(expected, 0, None), rtol=0, atol=1e-9 * expected.max()
    )
    np.testing.assert_allclose(spectrum.matrix(), explicit, rtol=0, atol=1e-10 * np.abs(explicit).max())
    # rank: at most the number of batches; with one composition only a combination of
    # the output biases of O and H is seen, so one direction is always flat
    rank = np.linalg.matrix_rank(by_tape)
    assert len(spectrum.positive) == rank <= min(n_batches, tiny.n_weights - 1)


def test_small_eigenvalues_are_resolved_below_the_precision_of_a_formed_product():
    """G = U diag(σ) Vᵀ with σ over ten decades: λ = σ²/N spans twenty, beyond what GᵀG resolves."""
    rng = np.random.default_rng(0)
    n_batches, n_weights = 300, 120
    u = np.linalg.qr(rng.standard_normal((n_batches, n_weights)))[0]
    v = np.linalg.qr(rng.standard_normal((n_weights, n_weights)))[0]
    sigma = np.logspace(0, -10, n_weights)
    spectrum = fisher_spectrum(u * sigma @ v.T)
    np.testing.assert_allclose(spectrum.eigenvalues, np.sort(sigma**2 / n_batches), rtol=1e-5)
    assert len(spectrum.positive) == n_weights
    formed = np.linalg.eigvalsh((u * sigma @ v.T).T @ (u * sigma @ v.T) / n_batches)
    assert np.abs(formed[:20] / np.sort(sigma**2 / n_batches)[:20] - 1).max() > 1  # what SVD avoids


def test_plots_have_one_histogram_per_model(tiny, boxes):
    spectrum = fisher_spectrum(l1_gradients(tiny, boxes, n_batches=20, progress=False))
    figure = plot_spectra({"a": spectrum, "b": spectrum})
    assert len(figure.axes[0].patches) == 2 and figure.axes[0].get_xscale() == "log"
    figure = plot_weight_distributions({"a": tiny.get_weights()})
    assert len(figure.axes[0].patches) == 1


def test_a_comparison_writes_what_read_spectra_reads_back(tiny, boxes, tmp_path):
    from nnp_tutorial.fisher import compare_models, read_spectra

    comparison = compare_models({"tiny": ("runs/tiny/model", tiny)}, boxes, n_batches=30, progress=False)
    comparison.write(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(comparison.FILES)
    back = read_spectra(tmp_path / "fisher_eigenvalues.csv")["runs/tiny/model"]
    np.testing.assert_allclose(back.eigenvalues, comparison.spectra["tiny"].eigenvalues, rtol=1e-9)
    np.testing.assert_array_equal(comparison.weights["tiny"], tiny.get_weights())
