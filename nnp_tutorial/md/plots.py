"""Matplotlib figures of MD runs: density trace, thermo traces, radial distribution.

Each function draws into ``ax`` (or new axes of a new :class:`~matplotlib.figure.Figure`
when ``ax`` is None, without pyplot, so it works headless) and returns the figure;
:func:`save_figure` writes a PNG. Axes carry units.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .analysis import BlockAverage
from .equilibration import Verdict


def _axes(ax, nrows: int = 1, figsize=(6.0, 3.5)):
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, 1, sharex=True) if nrows > 1 else fig.add_subplot()


def plot_density(
    thermo: pd.DataFrame,
    *,
    average: BlockAverage | None = None,
    verdict: Verdict | None = None,
    label: str = "",
    ax=None,
):
    """Density (g/ml) against time (ps), with the mean as a band only where it means something.

    ``average``: a band of the block average across the plot. ``verdict``
    (:class:`~nnp_tutorial.md.equilibration.Verdict`): a ``stable`` run gets the band of its
    mean ± error over its window; a ``drifting`` one no band, but its drift in the legend; an
    ``unstable`` one a cross where it stopped.
    """
    fig, ax = _axes(ax)
    (line,) = ax.plot(thermo["time_ps"], thermo["density_g_per_ml"], lw=1, label=label or None)
    if average is not None:
        ax.axhspan(average.mean - average.sem, average.mean + average.sem, color="C1", alpha=0.3)
        ax.axhline(average.mean, color="C1", lw=1, label=f"mean {average}")
    if verdict is not None:
        _mark_verdict(ax, thermo, verdict, line.get_color())
    if average is not None or verdict is not None or label:
        ax.legend(loc="best", fontsize="small")
    ax.set(xlabel="time (ps)", ylabel="density (g/ml)")
    return fig


def _mark_verdict(ax, thermo: pd.DataFrame, verdict: Verdict, color) -> None:
    """Band (stable), drift label (drifting) or failure cross (unstable) of a density trace."""
    if verdict.status == "stable":
        span = (verdict.from_ps, verdict.to_ps)
        low, high = verdict.mean - verdict.error, verdict.mean + verdict.error
        ax.fill_between(span, low, high, color=color, alpha=0.3, lw=0)
        ax.plot(span, [verdict.mean] * 2, color=color, lw=1.5,
                label=f"stable: {verdict.mean:.3f} ± {verdict.error:.3f} g/ml")  # fmt: skip
    elif verdict.status == "drifting":
        if verdict.from_ps is not None:
            ax.axvline(verdict.from_ps, color=color, lw=0.8, ls=":")
        text = "drifting, no stable density"
        if verdict.drift_per_ps is not None:
            drift = f"{verdict.drift_per_ps:+.4f} ± {verdict.drift_error:.4f}"
            text = f"drifting {drift} g/ml/ps: no stable density"
        ax.plot([], [], " ", label=text)
    else:
        last = thermo.iloc[-1]
        ax.plot(last["time_ps"], last["density_g_per_ml"], "x", color="red", ms=10, mew=2,
                label=f"unstable at {verdict.failure_time_ps:g} ps")  # fmt: skip


def plot_thermo(thermo: pd.DataFrame, axes=None):
    """Temperature (K), pressure (bar) and potential/kinetic/total energy per atom (eV) against time."""
    fig, axes = _axes(axes, nrows=3, figsize=(6.0, 7.0))
    t = thermo["time_ps"]
    axes[0].plot(t, thermo["temperature_K"], lw=1)
    axes[0].set_ylabel("temperature (K)")
    axes[1].plot(t, thermo["pressure_bar"], lw=1)
    axes[1].set_ylabel("pressure (bar)")
    for column, name in (("potential", "E_pot"), ("kinetic", "K"), ("total", "E_tot")):
        e = thermo[f"{column}_energy_eV"]
        axes[2].plot(t, e - e.iloc[0], lw=1, label=name)
    axes[2].set(xlabel="time (ps)", ylabel="energy − value at t=0 (eV)")
    axes[2].legend(loc="best", fontsize="small")
    return fig


def plot_rdf(r: np.ndarray, g: np.ndarray, *, pair: tuple[str, str] = ("O", "O"), label: str = "", ax=None):
    """g(r) (dimensionless) against r (Å), with the ideal-gas line g = 1."""
    fig, ax = _axes(ax)
    ax.plot(r, g, lw=1.2, label=label or None)
    ax.axhline(1.0, color="0.6", lw=0.8, ls="--")
    ax.set(xlabel="r (Å)", ylabel=f"$g_{{{pair[0]}{pair[1]}}}(r)$", xlim=(0, r[-1] + 0.5 * (r[1] - r[0])))
    if label:
        ax.legend(loc="best", fontsize="small")
    return fig


def save_figure(fig, path: str | Path, dpi: int = 120) -> Path:
    """Write ``fig`` as PNG (Agg) and return the path."""
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path
