"""Ensemble bands of training curves and reading written runs back."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nnp_tutorial.training.outputs import read_training_run
from nnp_tutorial.training.plots import ensemble_band, plot_ensemble_curves


def history(steps, times, log_rmse) -> pd.DataFrame:
    """A history table with validation RMSEs 10**log_rmse at every row."""
    rmse = 10.0 ** np.asarray(log_rmse, dtype=float)
    return pd.DataFrame({"step": steps, "wall_time_s": times, "energy_rmse": rmse, "force_rmse": 10 * rmse})


def test_band_over_steps_is_the_geometric_mean_and_sd_on_common_steps():
    a = history([-1, 9, 19, 29], [0, 1, 2, 3], [1, 1, 1, 1])  # 10 meV/atom throughout
    b = history([-1, 9, 19], [0, 2, 4], [3, 3, 3])  # 1000 meV/atom, one validation fewer
    band = ensemble_band([a, b], "energy_rmse", x="step")
    assert band["x"].tolist() == [-1, 9, 19]
    np.testing.assert_allclose(band[["mean", "low", "high"]].to_numpy(), [[100, 10, 1000]] * 3, rtol=1e-12)


def test_band_over_wall_time_interpolates_log_rmse_on_the_shared_range():
    t = np.linspace(0, 10, 11)
    a = history(range(11), t, 2 - t / 10)  # log10 RMSE falls linearly in time
    b = history(range(11), t + 1, 2 + t / 10)  # rises, one second later
    band = ensemble_band([a, b], "force_rmse", x="wall_time_s", n_grid=5)
    grid = np.linspace(1, 10, 5)  # where both runs have data
    np.testing.assert_allclose(band["x"], grid)
    log_a, log_b = 3 - grid / 10, 3 + (grid - 1) / 10  # force = 10 × energy
    np.testing.assert_allclose(np.log10(band["mean"]), (log_a + log_b) / 2, rtol=1e-12)
    np.testing.assert_allclose(np.log10(band["high"] / band["mean"]), np.abs(log_a - log_b) / 2, rtol=1e-12)


def test_ensemble_figure_has_one_line_and_band_per_ensemble():
    runs = [history([-1, 9], [0, 1], [2, 1.5]), history([-1, 9], [0, 1.2], [2, 1.7])]
    figure = plot_ensemble_curves({"EKF": runs, "Adam": runs[:1]}, x="step")
    energy_axes = figure.axes[0]
    assert [line.get_label() for line in energy_axes.lines] == ["EKF (2 runs)", "Adam (1 runs)"]
    assert len(energy_axes.collections) == 2
    np.testing.assert_allclose(energy_axes.lines[0].get_xdata(), [1, 9])  # step −1 drawn at 1 (log axis)


def test_read_training_run_accepts_the_compressed_history(tmp_path):
    table = history([-1, 0], [0.0, 0.5], [1.0, 0.5])
    table.to_csv(tmp_path / "history.csv.gz", index=False)
    (tmp_path / "summary.json").write_text(json.dumps({"steps_done": 1}))
    read, summary = read_training_run(tmp_path)
    pd.testing.assert_frame_equal(read, table)
    assert summary == {"steps_done": 1}
    with pytest.raises(FileNotFoundError, match=r"neither history\.csv"):
        read_training_run(tmp_path / "missing")
