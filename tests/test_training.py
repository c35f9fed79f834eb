"""Training: EKF and Adam against closed forms and hand-written references, Jacobians, resume.

Oracles: ridge regression (EKF on a linear model); the textbook EKF equations
with an explicit inverse in NumPy; Adam written out by hand; central finite
differences and ``tf.GradientTape.jacobian`` for the label Jacobians; an
uninterrupted run for the resumed one.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf
from datafiles import energy_and_forces_graph

from nnp_tutorial.model import BehlerParrinelloNetwork
from nnp_tutorial.scaling import InputScaling
from nnp_tutorial.training import (
    AdamOptimizer,
    BatchSchedule,
    DescriptorCache,
    EtaSchedule,
    FilterDiverged,
    KalmanFilter,
    LabelFunctions,
    Trainer,
    TrainingConfig,
    kalman,
    l1_loss,
    l2_loss,
    scaled_errors,
)


# -- a small network on the session's small descriptor and labelled boxes (conftest) ------
@pytest.fixture(scope="module")
def network(descriptor, labelled):
    scaling = InputScaling.fit(DescriptorCache(descriptor, labelled, progress=False).concatenated(range(10)))
    return BehlerParrinelloNetwork(descriptor, scaling, hidden_nodes=(4, 3), seed=3)


# -- 1. Kalman filter ---------------------------------------------------------------------
def test_ekf_on_linear_model_equals_ridge_regression():
    """One pass over all rows (one row per update) = (I + η XᵀX)⁻¹ η Xᵀ y with P0 = I, w0 = 0."""
    rng = np.random.default_rng(0)
    X, y, eta = rng.normal(size=(40, 6)), rng.normal(size=40), 0.3
    for rows_per_update in (1, 4):
        kf, w = KalmanFilter(6, eta=eta), np.zeros(6)
        for start in range(0, 40, rows_per_update):
            rows = slice(start, start + rows_per_update)
            w += kf.update(X[rows], X[rows] @ w - y[rows])
        ridge = np.linalg.solve(np.eye(6) + eta * X.T @ X, eta * X.T @ y)
        np.testing.assert_allclose(w, ridge, rtol=0, atol=1e-10)
        np.testing.assert_allclose(kf.covariance(), np.linalg.inv(np.eye(6) + eta * X.T @ X), atol=1e-10)


@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-12), ("float32", 1e-5)])
def test_ekf_step_matches_textbook_equations(network, labelled, dtype, tolerance):
    """A, K, P and w after three updates of a tiny network equal the explicit-inverse NumPy formulas."""
    labels = LabelFunctions(network)
    cache = DescriptorCache(network.descriptor, labelled[:2], progress=False)
    n, eta = network.n_weights, 0.01
    kf = KalmanFilter(n, eta=eta, dtype=dtype)
    P, w = np.eye(n), network.get_weights()
    for step, components in enumerate([None, np.array([0, 5, 17]), np.array([3, 4, 70, 71])]):
        frame = step % 2
        if components is None:
            value, gradient = labels.energy(cache[frame], len(labelled[frame]))
            xi = np.array([value - labelled[frame].get_potential_energy() / len(labelled[frame])])
            J = gradient[None]
        else:
            prediction, J = labels.forces(cache[frame], labelled[frame], components)
            xi = prediction - labelled[frame].get_forces().ravel()[components]
        A = np.linalg.inv(np.eye(len(xi)) / eta + J @ P @ J.T)
        K = P @ J.T @ A
        P = P - K @ J @ P
        w = w - K @ xi
        delta = kf.update(J, xi)
        network.weights.assign_add(delta)
        np.testing.assert_allclose(network.get_weights(), w, rtol=0, atol=tolerance)
        np.testing.assert_allclose(kf.covariance(), P, rtol=0, atol=tolerance)
    network.set_weights(
        BehlerParrinelloNetwork(
            network.descriptor, network.scaling, hidden_nodes=(4, 3), seed=3
        ).get_weights()
    )


def test_decoupled_ekf_keeps_blocks_independent():
    """Per-element blocks: P stays block-diagonal; each block sees the shared A."""
    rng = np.random.default_rng(1)
    J, xi = rng.normal(size=(3, 8)), rng.normal(size=3)
    blocks = [slice(0, 5), slice(5, 8)]
    kf = KalmanFilter(8, blocks=blocks, eta=0.5)
    delta = kf.update(J, xi)
    P0 = np.zeros((8, 8))
    for b in blocks:
        P0[b, b] = np.eye(b.stop - b.start)
    A = np.linalg.inv(np.eye(3) / 0.5 + J @ P0 @ J.T)
    K = P0 @ J.T @ A
    np.testing.assert_allclose(delta, -K @ xi, atol=1e-13)
    expected = P0 - K @ J @ P0
    for b in blocks:  # the filter keeps only the diagonal blocks
        expected_block = expected[b, b]
        np.testing.assert_allclose(kf.covariance()[b, b], expected_block, atol=1e-13)
    assert np.all(kf.covariance()[blocks[0], blocks[1]] == 0)


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("n, m", [(600, 1), (601, 10), (1030, 10)])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_symmetric_product_reads_the_upper_triangle_once(monkeypatch, threads, n, m, dtype, rtol):
    """P Jᵀ from P's upper triangle equals the dense product; the lower triangle is never read.

    Small blocks (n < 512) take one thread; the textbook test above covers them.
    """
    monkeypatch.setattr(kalman, "_THREADS", threads)
    rng = np.random.default_rng(n)
    A = rng.normal(size=(n, n))
    dense = (A + A.T).astype(dtype)
    P = np.asfortranarray(np.triu(dense) + np.tril(np.full((n, n), np.nan), -1), dtype=dtype)
    J = rng.normal(size=(m, n))
    (B,) = kalman.symmetric_products([P], [J])
    assert B.shape == (n, m) and B.dtype == dtype and B.flags.f_contiguous
    expected = dense.astype(np.float64) @ J.astype(dtype).astype(np.float64).T
    np.testing.assert_allclose(B, expected, rtol=rtol, atol=rtol * np.abs(expected).max())
    np.testing.assert_array_equal(kalman.symmetric_products([P], [J])[0], B)  # repeats exactly
    # with a second, smaller block: each block's product is its own
    B1, B2 = kalman.symmetric_products([P, P[:520, :520]], [J, J[:, :520]])
    np.testing.assert_allclose(B1, B, rtol=rtol, atol=rtol * np.abs(B).max())  # split differently
    expected = dense[:520, :520].astype(np.float64) @ J[:, :520].astype(dtype).astype(np.float64).T
    np.testing.assert_allclose(B2, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


def test_ekf_divergence_leaves_state_unchanged():
    kf = KalmanFilter(4, eta=1.0)
    kf.update(np.ones((1, 4)), np.array([0.5]))
    before = kf.state_dict()
    with pytest.raises(FilterDiverged, match="non-finite"):
        kf.update(np.array([[np.nan, 0, 0, 0]]), np.array([1.0]))
    with pytest.raises(FilterDiverged, match="positive"):
        kf.update(np.ones((1, 4)) * 1e200, np.array([1.0]))
    after = kf.state_dict()
    assert after["step"] == before["step"] == 1
    np.testing.assert_array_equal(after["P"][0], before["P"][0])


def test_runner_eta_schedule_grows_to_its_limit():
    schedule = EtaSchedule(1e-3, kind="runner", tau=100.0, eta_max=0.5)
    assert schedule(0) == pytest.approx(1e-3)
    assert schedule(100) == pytest.approx(1e-3 * np.e)
    assert schedule(10_000) == 0.5


# -- 2. Adam -------------------------------------------------------------------------------
def test_adam_step_with_clipping_matches_hand_written_update():
    """Two steps of the study's Adam (global-norm clipping at 0.01) against the formulas."""
    rng = np.random.default_rng(2)
    w0 = rng.normal(size=5)
    weights = tf.Variable(w0.copy())
    adam = AdamOptimizer(1e-3)
    m, v, w = np.zeros(5), np.zeros(5), w0.copy()
    for t in (1, 2):
        J, xi = rng.normal(size=(3, 5)), rng.normal(size=3)
        adam.step(weights, J, xi)
        g = 2 * J.T @ xi
        assert np.linalg.norm(g) > 0.01  # clipping active
        g = g * 0.01 / np.linalg.norm(g)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        # Keras stores η and the β of the bias corrections in float32 (a 1e-5 relative effect)
        lr, b1, b2 = (float(np.float32(x)) for x in (1e-3, 0.9, 0.999))
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + 1e-7 / np.sqrt(1 - b2**t))  # the study's ε̂
        np.testing.assert_allclose(weights.numpy(), w, rtol=0, atol=1e-14)


def test_adam_learning_rate_decays_by_0994_every_10000_steps():
    adam = AdamOptimizer(1e-4)
    schedule = adam.schedule
    assert float(schedule(9_999)) == pytest.approx(1e-4)
    assert float(schedule(10_000)) == pytest.approx(1e-4 * 0.994)
    assert float(schedule(25_000)) == pytest.approx(1e-4 * 0.994**2)


# -- 3. loss and schedule ------------------------------------------------------------------
def test_schedule_is_deterministic_and_mixes_kinds():
    schedule = BatchSchedule(np.arange(5, 50), np.full(50, 192), seed=4)
    again = BatchSchedule(np.arange(5, 50), np.full(50, 192), seed=4)
    draws = [schedule.draw(t) for t in range(2000)]
    assert all(
        a.frame == b.frame and np.array_equal(a.components, b.components)
        for a, b in zip(draws, (again.draw(t) for t in range(2000)))
    )
    counts = schedule.counts(2000)
    assert counts["energy"] + counts["force"] == 2000
    assert abs(counts["energy"] / 2000 - 0.1) < 0.03  # binomial, 4.5 sigma
    forces = [d for d in draws if d.kind == "force"]
    assert all(len(np.unique(d.components)) == 10 and d.frame >= 5 for d in forces)
    assert schedule.scale(forces[0]) == pytest.approx(np.sqrt(1 / 10))


def test_scaled_errors_and_losses():
    xi = scaled_errors(np.array([1.0, -2.0, 0.5]), np.array([0.0, 0.0, 1.0]), 0.5)
    np.testing.assert_allclose(xi, [0.5, -1.0, -0.25])
    assert l1_loss(xi) == pytest.approx(1.75)
    assert l2_loss(xi) == pytest.approx(0.25 + 1.0 + 0.0625)


# -- 4. label Jacobians --------------------------------------------------------------------
def full_force_jacobian(network, atoms, components):
    """Reference: differentiate the model's own forces (all atoms) with respect to the weights."""
    with tf.GradientTape() as tape:
        _, forces = energy_and_forces_graph(network, atoms)
        selected = tf.gather(tf.reshape(forces, [-1]), components)
    return selected.numpy(), tape.jacobian(selected, network.weights).numpy()


def test_force_jacobian_matches_gradient_tape_and_finite_differences(network, labelled):
    atoms = labelled[4]
    cache = DescriptorCache(network.descriptor, [atoms], progress=False)
    labels = LabelFunctions(network)
    components = np.array([2, 3, 4, 30, 31, 50, 51, 52, 60, 71])  # repeated atoms, all axes
    forces, jacobian = labels.forces(cache[0], atoms, components)
    reference_forces, reference = full_force_jacobian(network, atoms, components)
    np.testing.assert_allclose(forces, reference_forces, rtol=0, atol=1e-12)
    np.testing.assert_allclose(jacobian, reference, rtol=0, atol=1e-11 * np.abs(reference).max())
    w0, h = network.get_weights(), 1e-6
    for k in (0, 7, network.n_weights - 1):
        shifted = []
        for sign in (1, -1):
            w = w0.copy()
            w[k] += sign * h
            network.set_weights(w)
            shifted.append(network.evaluate(atoms).forces.ravel()[components])
        network.set_weights(w0)
        np.testing.assert_allclose((shifted[0] - shifted[1]) / (2 * h), jacobian[:, k], atol=1e-7)


def test_energy_jacobian_matches_finite_differences(network, labelled):
    atoms = labelled[1]
    cache = DescriptorCache(network.descriptor, [atoms], progress=False)
    value, gradient = LabelFunctions(network).energy(cache[0], len(atoms))
    assert value == pytest.approx(network.evaluate(atoms).energy / len(atoms), abs=1e-12)
    w0, h = network.get_weights(), 1e-6
    for k in (1, 20, network.n_weights - 2):
        values = []
        for sign in (1, -1):
            w = w0.copy()
            w[k] += sign * h
            network.set_weights(w)
            values.append(network.evaluate(atoms).energy / len(atoms))
        network.set_weights(w0)
        assert (values[0] - values[1]) / (2 * h) == pytest.approx(gradient[k], abs=1e-8)


# -- 5. trainer ----------------------------------------------------------------------------
def small_config(optimizer: str, **kw) -> TrainingConfig:
    lr = 1e-2 if optimizer == "ekf" else 1e-3
    defaults = dict(
        optimizer=optimizer,
        learning_rate=lr,
        steps=24,
        hidden_nodes=[4, 3],
        validation_subset=2,
        validate_every=8,
        checkpoint_every=0,
        seed=5,
    )
    return TrainingConfig(**{**defaults, **kw})


@pytest.mark.parametrize("optimizer", ["ekf", "adam"])
def test_resumed_run_reproduces_uninterrupted_run(descriptor, labelled, tmp_path, optimizer):
    full = Trainer(labelled, small_config(optimizer), descriptor, progress=False)
    full.run()
    first = Trainer(labelled, small_config(optimizer, steps=11), descriptor, progress=False)
    first.run(checkpoint=tmp_path / "ck.npz")
    resumed = Trainer(labelled, small_config(optimizer), descriptor, progress=False)
    resumed.load_checkpoint(tmp_path / "ck.npz")
    assert resumed.step == 11
    resumed.run()
    np.testing.assert_array_equal(resumed.model.get_weights(), full.model.get_weights())
    a, b = full.history, resumed.history
    np.testing.assert_array_equal(a["l2"].to_numpy(), b["l2"].to_numpy())
    assert a.loc[a.kind != "initial", "weight_distance"].iloc[-1] > 0


def test_checkpoint_without_a_newer_config_field_resumes_with_its_default(descriptor, labelled, tmp_path):
    first = Trainer(labelled, small_config("ekf", steps=5), descriptor, progress=False)
    first.run(checkpoint=tmp_path / "ck.npz")
    with np.load(tmp_path / "ck.npz") as data:
        arrays = dict(data)
    config = json.loads(str(arrays["config"]))
    del config["initialization"]  # as written before the field existed
    np.savez(tmp_path / "old.npz", **{**arrays, "config": np.array(json.dumps(config))})
    resumed = Trainer(labelled, small_config("ekf"), descriptor, progress=False)
    resumed.load_checkpoint(tmp_path / "old.npz")
    assert resumed.step == 5
    np.testing.assert_array_equal(resumed.model.get_weights(), first.model.get_weights())
    changed = Trainer(
        labelled, small_config("ekf", initialization="nguyen-widrow"), descriptor, progress=False
    )
    with pytest.raises(ValueError, match=r"different configuration \(initialization\)"):
        changed.load_checkpoint(tmp_path / "old.npz")


def test_prepared_inputs_change_nothing(descriptor, labelled):
    """run(prefetch=True) (index arrays built ahead in a thread) equals train_step() in a plain loop."""
    threaded = Trainer(labelled, small_config("ekf", validate_every=100), descriptor, progress=False)
    threaded.run(prefetch=True)
    plain = Trainer(labelled, small_config("ekf", validate_every=100), descriptor, progress=False)
    rows = [plain.train_step() for _ in range(plain.config.steps)]
    np.testing.assert_array_equal(plain.model.get_weights(), threaded.model.get_weights())
    assert [r["l2"] for r in rows] == threaded.history.query("kind != 'initial'")["l2"].tolist()
    assert {r["kind"] for r in rows} == {"energy", "force"}


def test_trainer_split_scaling_and_reference_energies_use_training_set_only(descriptor, labelled):
    trainer = Trainer(labelled, small_config("ekf"), descriptor, progress=False)
    assert len(trainer.train_frames) == 8 and len(trainer.validation_frames) == 2
    assert set(trainer.train_frames).isdisjoint(trainer.validation_frames)
    train_rows = trainer.cache.concatenated(trainer.train_frames)["O"]
    np.testing.assert_allclose(trainer.model.scaling.statistics.maximum["O"], train_rows.max(axis=0))
    counts = np.array([[16, 8]] * 8)  # H, O per box
    energies = np.array([labelled[i].get_potential_energy() for i in trainer.train_frames])
    e_ref = np.array([trainer.model.reference_energies[e] for e in ("H", "O")])
    np.testing.assert_allclose(counts.T @ (counts @ e_ref - energies), 0, atol=1e-8)  # normal equations


def test_ekf_training_reduces_validation_error(descriptor, labelled):
    trainer = Trainer(labelled, small_config("ekf", steps=60, learning_rate=0.1), descriptor, progress=False)
    history = trainer.run()
    measured = history.dropna(subset=["force_rmse"])
    assert measured.force_rmse.iloc[-1] < 0.7 * measured.force_rmse.iloc[0]
    assert trainer.status == "completed"


def test_runner_schedule_settings_reach_the_filter(descriptor, labelled):
    config = small_config("ekf", eta_schedule="runner", eta_tau=10.0, eta_max=0.5)
    trainer = Trainer(labelled, config, descriptor, progress=False)
    eta = trainer.optimizer.filter.eta
    assert eta(0) == pytest.approx(1e-2) and eta(10) == pytest.approx(1e-2 * np.e) and eta(1000) == 0.5
    trainer.restart(eta_tau=20.0, eta_max=2.0)
    eta = trainer.optimizer.filter.eta
    assert eta(20) == pytest.approx(1e-2 * np.e) and eta(1000) == 2.0


@pytest.mark.parametrize("optimizer", ["ekf", "adam"])
def test_a_diverging_run_stops_with_the_last_good_weights(descriptor, labelled, monkeypatch, optimizer):
    """Non-finite errors at step 5: the EKF and Adam both refuse the update, the run stops as diverged."""
    from nnp_tutorial.training import trainer as trainer_module

    trainer = Trainer(labelled, small_config(optimizer), descriptor, progress=False)
    original = trainer_module.batch_errors

    def poisoned(labels, cache, schedule, step, prepared=None):
        errors = original(labels, cache, schedule, step, prepared)
        if step == 5:
            errors.xi = errors.xi * np.nan
        return errors

    monkeypatch.setattr(trainer_module, "batch_errors", poisoned)
    trainer.run()
    assert trainer.status.startswith("diverged") and trainer.step == 5
    assert np.all(np.isfinite(trainer.model.get_weights()))
    good = Trainer(labelled, small_config(optimizer, steps=5), descriptor, progress=False)
    good.run()  # the same five good updates, steps 0-4
    np.testing.assert_array_equal(trainer.model.get_weights(), good.model.get_weights())


def test_unknown_optimizer_lists_the_valid_names():
    with pytest.raises(ValueError, match="optimizer = 'sgd': one of ekf, adam"):
        TrainingConfig(optimizer="sgd")
