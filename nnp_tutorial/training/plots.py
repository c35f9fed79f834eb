"""Training curves: validation RMSEs against updates or wall time, single runs or ensembles."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

AXES_LABELS = {"step": "weight updates", "wall_time_s": "wall time (s)"}
RMSE_LABELS = {"energy_rmse": "energy RMSE (meV/atom)", "force_rmse": "force RMSE (meV/Å)"}


def _two_panels(x: str) -> tuple[Figure, np.ndarray]:
    figure = Figure(figsize=(9, 3.6), layout="constrained")
    axes = figure.subplots(1, 2)
    for ax, name in zip(axes, RMSE_LABELS.values()):
        ax.set(xlabel=AXES_LABELS.get(x, x), ylabel=name, yscale="log")
        if x == "step":
            ax.set_xscale("log")
        ax.grid(alpha=0.3)
    return figure, axes


def _position(x: str, values: pd.Series) -> pd.Series:
    """Horizontal positions; on the log step axis the initial network (step −1) sits at 1."""
    return values.clip(lower=1) if x == "step" else values


def plot_training_curves(histories: dict[str, pd.DataFrame], x: str = "step") -> Figure:
    """Energy and force validation RMSEs of one or more runs, log scales.

    Parameters
    ----------
    histories : dict of str to DataFrame
        Label → history table of :class:`~nnp_tutorial.training.Trainer`.
    x : {"step", "wall_time_s"}
        Horizontal axis.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: energy RMSE (meV/atom) and force RMSE (meV/Å).
    """
    figure, axes = _two_panels(x)
    for label, history in histories.items():
        measured = history.dropna(subset=["energy_rmse"])
        for ax, column in zip(axes, RMSE_LABELS):
            ax.plot(_position(x, measured[x]), measured[column], marker=".", label=label)  # validations
    axes[0].legend()
    return figure


def ensemble_band(runs: list[pd.DataFrame], column: str, x: str = "step", n_grid: int = 60) -> pd.DataFrame:
    r"""Geometric mean and spread of one validation RMSE over the runs of an ensemble.

    With ``x="step"`` the runs are aligned on the steps at which all of them
    were validated. With ``x="wall_time_s"`` each run's :math:`\log_{10}` RMSE is
    interpolated linearly onto ``n_grid`` times spanning the range that every
    run covers. RMSEs spread multiplicatively, so the band is the geometric
    mean :math:`\bar g` times/divided by the geometric standard deviation
    :math:`s_g` (ddof 0): :math:`\log_{10}\bar g = \langle\log_{10}\mathrm{RMSE}\rangle`.

    Parameters
    ----------
    runs : list of DataFrame
        History tables (columns ``step``, ``wall_time_s``, ``energy_rmse``, ``force_rmse``).
    column : {"energy_rmse", "force_rmse"}
    x : {"step", "wall_time_s"}
    n_grid : int
        Grid points on the wall-time axis.

    Returns
    -------
    DataFrame
        Columns ``x``, ``mean``, ``low``, ``high`` (RMSE units: meV/atom or meV/Å).
    """
    measured = [run.dropna(subset=[column]) for run in runs]
    if x == "step":
        logs = pd.concat(
            [run.set_index("step")[column].rename(k) for k, run in enumerate(measured)], axis=1
        ).dropna()  # (common steps, runs)
        grid, values = logs.index.to_numpy(), np.log10(logs.to_numpy())
    else:
        start = max(run[x].iloc[0] for run in measured)
        stop = min(run[x].iloc[-1] for run in measured)
        grid = np.linspace(start, stop, n_grid)
        values = np.stack([np.interp(grid, run[x], np.log10(run[column])) for run in measured], axis=1)
    mean, spread = values.mean(axis=1), values.std(axis=1)  # (points,) in log10 units
    low, high = 10 ** (mean - spread), 10 ** (mean + spread)
    return pd.DataFrame({"x": grid, "mean": 10**mean, "low": low, "high": high})


def plot_ensemble_curves(ensembles: dict[str, list[pd.DataFrame]], x: str = "step") -> Figure:
    """Validation RMSEs of ensembles: geometric mean as a line, ×/÷ one geometric sd as a band.

    Parameters
    ----------
    ensembles : dict of str to list of DataFrame
        Label (e.g. ``"EKF η=1e-3"``) → the histories of its runs (seeds).
    x : {"step", "wall_time_s"}
        Horizontal axis: weight updates (log scale) or training wall time in s.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: energy RMSE (meV/atom) and force RMSE (meV/Å) (:func:`ensemble_band`).
    """
    figure, axes = _two_panels(x)
    for k, (label, runs) in enumerate(ensembles.items()):
        for ax, column in zip(axes, RMSE_LABELS):
            band = ensemble_band(runs, column, x)
            position = _position(x, band["x"])
            ax.plot(position, band["mean"], color=f"C{k}", label=f"{label} ({len(runs)} runs)")
            ax.fill_between(position, band["low"], band["high"], color=f"C{k}", alpha=0.25, lw=0)
    axes[0].legend()
    return figure
