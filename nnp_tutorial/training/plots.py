"""Training curves: validation RMSEs against updates or wall time."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

AXES_LABELS = {"step": "weight updates", "wall_time_s": "wall time (s)"}


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
    figure = Figure(figsize=(9, 3.6), layout="constrained")
    axes = figure.subplots(1, 2)
    for label, history in histories.items():
        measured = history.dropna(subset=["energy_rmse"])
        position = measured[x].clip(lower=1) if x == "step" else measured[x]
        axes[0].plot(position, measured["energy_rmse"], label=label)
        axes[1].plot(position, measured["force_rmse"], label=label)
    for ax, name in zip(axes, ("energy RMSE (meV/atom)", "force RMSE (meV/Å)")):
        ax.set(xlabel=AXES_LABELS.get(x, x), ylabel=name, yscale="log")
        if x == "step":
            ax.set_xscale("log")
        ax.grid(alpha=0.3)
    axes[0].legend()
    return figure
