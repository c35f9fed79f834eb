"""The learning-rate explorer, driven headlessly: chunked runs, the Stop button, divergence."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from nnp_tutorial.training import FilterDiverged, KalmanFilter, Trainer, TrainingConfig
from nnp_tutorial.tutorial.widgets import LearningRateExplorer, LiveTraining, run_label


@pytest.fixture(scope="module")
def trainer(labelled, descriptor):
    config = TrainingConfig(hidden_nodes=[4, 4], validation_subset=2, seed=3)
    return Trainer(labelled, config, descriptor, progress=False)


def test_each_chunk_adds_one_point_and_chunks_reproduce_one_uninterrupted_run(trainer):
    session = LiveTraining(trainer, steps=7, chunk_steps=3)
    label = session.start("ekf", 1e-2)
    chunks = 0
    while session.run_chunk():
        chunks += 1
    assert chunks + 1 == 3 and session.status[label] == "completed" and not session.running
    curve = session.curves[label]
    assert curve["step"].tolist() == [-1, 2, 5, 6]  # the initial network, then after updates 3, 6 and 7
    energy, force = trainer.validation_errors()
    assert curve["energy_rmse"].iloc[-1] == pytest.approx(energy, rel=1e-12)
    assert curve["force_rmse"].iloc[-1] == pytest.approx(force, rel=1e-12)
    chunked = trainer.model.get_weights()

    trainer.restart(optimizer="ekf", learning_rate=1e-2, steps=7, validate_every=1000)
    trainer.run()
    np.testing.assert_allclose(trainer.model.get_weights(), chunked, rtol=1e-12, atol=0)
    assert not np.allclose(chunked, trainer.initial_weights)


def test_runs_start_from_the_same_weights_and_overlay(trainer):
    session = LiveTraining(trainer, steps=2, chunk_steps=2)
    for optimizer, eta in (("adam", 1e-3), ("ekf", 1e-3)):
        session.start(optimizer, eta)
        assert np.array_equal(trainer.model.get_weights(), trainer.initial_weights)
        session.run_chunk()
    assert list(session.curves) == [run_label("adam", 1e-3), run_label("ekf", 1e-3)]
    first = [curve.iloc[0] for curve in session.curves.values()]
    assert first[0]["energy_rmse"] == first[1]["energy_rmse"]  # same initial network
    summary = session.summary()
    assert summary["optimizer"].tolist() == ["adam", "ekf"] and summary["updates"].tolist() == [2, 2]
    assert summary["force_rmse"].tolist() == [c["force_rmse"].iloc[-1] for c in session.curves.values()]
    figure = session.figure()
    assert [len(line.get_xdata()) for line in figure.axes[0].lines] == [2, 2]


def test_stop_button_ends_the_run_after_the_current_chunk(trainer):
    session = LiveTraining(trainer, steps=40, chunk_steps=2)
    explorer = LearningRateExplorer(session, learning_rate=1e-3)
    label = run_label("ekf", 1e-3)

    async def click_run_then_stop():
        explorer.run_button.click()
        assert explorer.run_button.disabled is False  # the task has not started yet
        while len(session.curves.get(label, ())) < 2:
            await asyncio.sleep(0)  # the task runs a chunk, then yields here
        assert explorer.run_button.disabled and not explorer.stop_button.disabled
        explorer.stop_button.click()
        return await explorer.task

    assert asyncio.run(click_run_then_stop()) == "stopped"
    assert trainer.step == 2
    assert session.curves[label]["step"].tolist() == [-1, 1]
    assert not explorer.run_button.disabled and explorer.stop_button.disabled
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    assert "stopped after 2 updates" in explorer.message.value


def test_diverged_filter_ends_the_run_with_its_status(trainer, monkeypatch):
    session = LiveTraining(trainer, steps=6, chunk_steps=2)
    label = session.start("ekf", 1e-3)
    session.run_chunk()

    def diverge(self, jacobian, errors):
        raise FilterDiverged("covariance lost positivity")

    monkeypatch.setattr(KalmanFilter, "update", diverge)
    assert session.run_chunk() is False
    assert session.status[label].startswith("diverged") and trainer.step == 2
    assert session.curves[label]["step"].tolist() == [-1, 1]  # the last good weights, validated again


def test_restart_refuses_to_change_the_split_or_network(trainer):
    with pytest.raises(ValueError, match="cannot change hidden_nodes, seed"):
        trainer.restart(seed=1, hidden_nodes=[3, 3])


def test_a_second_run_cannot_start_while_one_is_in_progress(trainer):
    session = LiveTraining(trainer, steps=4, chunk_steps=2)
    session.start("ekf", 1e-3)
    with pytest.raises(RuntimeError, match="in progress"):
        session.start("adam", 1e-3)
    session.stop()
    assert session.status[run_label("ekf", 1e-3)] == "stopped" and not session.running
