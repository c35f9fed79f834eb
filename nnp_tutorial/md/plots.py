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


def _axes(ax, nrows: int = 1, figsize=(6.0, 3.5)):
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, 1, sharex=True) if nrows > 1 else fig.add_subplot()


def plot_density(thermo: pd.DataFrame, *, average: BlockAverage | None = None, label: str = "", ax=None):
    """Density (g/ml) against time (ps), with the block average as a band if given."""
    fig, ax = _axes(ax)
    ax.plot(thermo["time_ps"], thermo["density_g_per_ml"], lw=1, label=label or None)
    if average is not None:
        ax.axhspan(average.mean - average.sem, average.mean + average.sem, color="C1", alpha=0.3)
        ax.axhline(average.mean, color="C1", lw=1, label=f"mean {average}")
        ax.legend(loc="best", fontsize="small")
    ax.set(xlabel="time (ps)", ylabel="density (g/ml)")
    return fig


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
