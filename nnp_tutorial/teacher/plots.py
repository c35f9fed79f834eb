"""The figure of a teacher data set: its frames' energies against their densities."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from ase import Atoms

if TYPE_CHECKING:  # matplotlib only when a figure is drawn
    from matplotlib.figure import Figure


def plot_energy_density(frames: Iterable[Atoms]) -> Figure:
    """2D histogram of the energy per atom against the density of labelled frames.

    Energies are shown relative to the lowest energy per atom of the set, meV/atom.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from ..md.water import density

    table = np.array([(density(a), a.get_potential_energy() / len(a)) for a in frames])  # (n, 2)
    rho, energy = table[:, 0], 1000 * (table[:, 1] - table[:, 1].min())
    figure = Figure(figsize=(6, 4.2), layout="constrained")
    axes = figure.add_subplot()
    density_bins = np.arange(rho.min() - 0.0125, rho.max() + 0.025, 0.025)
    counts = axes.hist2d(rho, energy, bins=[density_bins, 60], cmin=1, cmap="viridis")[3]
    figure.colorbar(counts, ax=axes, label="frames")
    axes.set_xlabel("density (g/ml)")
    axes.set_ylabel("energy per atom − lowest (meV/atom)")
    axes.set_title(f"teacher data set: {len(rho)} frames")
    return figure
