r"""Analysis of MD output: block averages, density, radial distribution, energy drift.

Block averaging
---------------
A time series :math:`x_1 \dots x_n` is cut into :math:`B` consecutive blocks of
:math:`m = \lfloor n/B \rfloor` points (the first :math:`n - Bm` points are dropped, so the
end of the run is used). With block means :math:`\bar x_b`,

.. math::

    \bar x = \frac1B \sum_b \bar x_b, \qquad
    \mathrm{SE}(\bar x) = \sqrt{\frac{1}{B(B-1)} \sum_b (\bar x_b - \bar x)^2}.

When blocks are longer than the correlation time, the block means are nearly independent
and SE is an honest error bar; for correlated data the naive :math:`s/\sqrt n` is too small.

Radial distribution function
----------------------------
.. math::

    g_{AB}(r) = \frac{\langle n_{AB}(r, r + \delta r) \rangle}
                     {\langle N_{AB} / V \rangle\, \tfrac{4\pi}{3}\bigl[(r+\delta r)^3 - r^3\bigr]}

with :math:`n_{AB}` the number of ordered pairs (a ∈ A, b ∈ B, a ≠ b) in the shell under the
minimum image, and :math:`N_{AB} = N_A N_B` (A ≠ B) or :math:`N_A (N_A - 1)` (A = B), so an
ideal gas gives exactly 1 on average. ``ase.geometry.rdf.get_rdf`` divides by :math:`N_A N_B`
also for A = B; its like-pair g is ours times :math:`(N_A - 1)/N_A`.

Coordination number
-------------------
The mean number of B atoms within distance r of an A atom,

.. math::

    n_{AB}(r) = \rho_B \int_0^r g_{AB}(s)\, 4\pi s^2\, ds,\qquad
    \rho_B = N_B / V \;(A \ne B),\quad (N_A - 1)/V \;(A = B),

evaluated exactly for the histogram g (constant within each shell) at the outer bin edges.
For water, :math:`n_{OO}` at the first minimum of :math:`g_{OO}` (about 3.3 Å) is about 4:
the tetrahedral hydrogen-bond network.

Energy drift
------------
The slope of a least-squares line through the total energy of an NVE run, per atom:
``drift = slope(E_tot vs t) / N`` in meV/atom/ps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np
import pandas as pd
from ase import Atoms


@dataclass(frozen=True)
class BlockAverage:
    """Mean and its standard error from block averaging.

    Attributes
    ----------
    mean : float
    sem : float
        Standard error of the mean (same unit as the data).
    n_blocks : int
    block_length : int
        Points per block.
    """

    mean: float
    sem: float
    n_blocks: int
    block_length: int

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.sem:.4f}"


def block_average(series: np.ndarray | pd.Series, n_blocks: int = 5) -> BlockAverage:
    """Block average of a 1-d time series (formula in the module docstring).

    >>> block_average(np.repeat([1.0, 2.0, 3.0, 4.0], 10), n_blocks=4)
    BlockAverage(mean=2.5, sem=0.6454972243679028, n_blocks=4, block_length=10)
    """
    x = np.asarray(series, dtype=np.float64)
    if n_blocks < 2 or len(x) < n_blocks:
        raise ValueError(f"need at least 2 blocks and one point per block; got {len(x)} points, {n_blocks}")
    m = len(x) // n_blocks
    means = x[len(x) - n_blocks * m :].reshape(n_blocks, m).mean(axis=1)  # (n_blocks,)
    return BlockAverage(float(means.mean()), float(means.std(ddof=1) / np.sqrt(n_blocks)), n_blocks, m)


def mean_density(thermo: pd.DataFrame, *, discard_fraction: float = 0.5, n_blocks: int = 5) -> BlockAverage:
    """Block-averaged ``density_g_per_ml`` over the rows after the first ``discard_fraction`` of time."""
    return block_average(_production(thermo, discard_fraction)["density_g_per_ml"], n_blocks)


def _production(thermo: pd.DataFrame, discard_fraction: float) -> pd.DataFrame:
    """Rows with ``time_ps`` >= ``discard_fraction`` × the last time (equilibration dropped)."""
    return thermo[thermo["time_ps"] >= discard_fraction * thermo["time_ps"].iloc[-1]]


def energy_drift(thermo: pd.DataFrame, n_atoms: int) -> float:
    """Slope of ``total_energy_eV`` against ``time_ps`` per atom, meV/atom/ps."""
    if len(thermo) < 2:
        raise ValueError("energy drift needs at least two thermo rows")
    slope = np.polyfit(thermo["time_ps"].to_numpy(), thermo["total_energy_eV"].to_numpy(), 1)[0]
    return float(1000.0 * slope / n_atoms)


def radial_distribution(
    frames: Atoms | Iterable[Atoms],
    pair: tuple[str, str] = ("O", "O"),
    *,
    r_max: float = 6.0,
    n_bins: int = 120,
    batch: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """Partial radial distribution function g_AB(r) averaged over frames.

    Distances use the minimum image in fractional coordinates, vectorised over a batch of
    frames (cells may differ, e.g. NPT); this is exact for ``r_max`` up to half the
    smallest distance between opposite cell faces.

    Parameters
    ----------
    frames : Atoms or iterable of Atoms
        Periodic structures with the same atoms in the same order (e.g. an ASE trajectory).
    pair : tuple of str
        Elements A and B.
    r_max : float
        Largest distance, Å.
    n_bins : int
        Number of bins of width ``r_max / n_bins``.
    batch : int
        Frames processed at once (memory ~ batch × N_A × N_B × 24 bytes).

    Returns
    -------
    r : ndarray of shape (n_bins,)
        Bin centres, Å.
    g : ndarray of shape (n_bins,)
        g_AB(r), dimensionless (normalisation in the module docstring).

    Raises
    ------
    ValueError
        ``r_max`` exceeds half the cell width of a frame, or an element is missing.
    """
    iterator = iter([frames] if isinstance(frames, Atoms) else frames)
    edges = np.linspace(0.0, r_max, n_bins + 1)
    counts = np.zeros(n_bins)
    density_sum = 0.0  # Σ_frames N_AB / V, 1/Å³
    while chunk := list(islice(iterator, batch)):
        c, d = _pair_histogram(chunk, pair, edges)
        counts += c
        density_sum += d
    if density_sum == 0.0:
        raise ValueError("no frames")
    shells = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)  # (n_bins,) Å³
    return 0.5 * (edges[1:] + edges[:-1]), counts / (density_sum * shells)


def production_rdf(
    frames: Sequence[Atoms],
    pair: tuple[str, str] = ("O", "O"),
    *,
    discard_fraction: float = 0.5,
    r_max: float = 6.0,
    n_bins: int = 120,
) -> tuple[np.ndarray, np.ndarray]:
    """g_AB(r) of the frames after the first ``discard_fraction`` of them (equilibration dropped).

    The frames ``frames[int(discard_fraction * len(frames)):]`` of an evenly logged run are
    those of the last ``1 − discard_fraction`` of its time, the window that
    :func:`mean_density` and :func:`~nnp_tutorial.md.report.analyse_run` average over.
    ``r_max`` (Å) and ``n_bins`` as in :func:`radial_distribution`, which returns (r, g).
    """
    production = frames[int(discard_fraction * len(frames)) :]
    return radial_distribution(production, pair, r_max=r_max, n_bins=n_bins)


def _pair_histogram(
    frames: list[Atoms], pair: tuple[str, str], edges: np.ndarray
) -> tuple[np.ndarray, float]:
    """Histogram of A–B minimum-image distances over ``frames`` and Σ N_AB / V."""
    symbols = np.array(frames[0].get_chemical_symbols())
    a, b = (np.flatnonzero(symbols == e) for e in pair)
    if len(a) == 0 or len(b) == 0:
        raise ValueError(f"no {pair[0] if len(a) == 0 else pair[1]} atoms in the structure")
    cells = np.stack([f.cell.array for f in frames])  # (F, 3, 3)
    _check_r_max(cells, edges[-1])
    positions = np.stack([f.positions for f in frames])  # (F, N, 3)
    frac = np.linalg.solve(cells.transpose(0, 2, 1), positions.transpose(0, 2, 1)).transpose(0, 2, 1)
    d = frac[:, None, b, :] - frac[:, a, None, :]  # (F, A, B, 3) fractional
    d -= np.round(d)
    r = np.linalg.norm(np.einsum("fabk,fkl->fabl", d, cells), axis=-1)  # (F, A, B) Å
    distinct = a[:, None] != b[None, :]  # (A, B) excludes an atom paired with itself
    counts = np.histogram(r[:, distinct], bins=edges)[0]
    volumes = np.abs(np.linalg.det(cells))  # (F,)
    return counts, float(np.sum(distinct.sum() / volumes))


def coordination_number(r: np.ndarray, g: np.ndarray, number_density: float) -> np.ndarray:
    """Running coordination number n_AB at the outer edge of each bin (module docstring).

    Parameters
    ----------
    r : ndarray of shape (n_bins,)
        Equally spaced bin centres starting at half a bin width, Å (as from
        :func:`radial_distribution`).
    g : ndarray of shape (n_bins,)
        g_AB(r).
    number_density : float
        ρ_B in 1/Å³: N_B/V, or (N_A − 1)/V for like pairs.

    Returns
    -------
    ndarray of shape (n_bins,)
        n_AB(r + δr/2), dimensionless.

    >>> r = np.array([0.5, 1.5])  # bins [0, 1] and [1, 2] Å; ideal gas: g = 1, n = ρ 4π r³/3
    >>> coordination_number(r, np.ones(2), 3 / (4 * np.pi))
    array([1., 8.])
    """
    width = r[1] - r[0]
    outer = r + 0.5 * width  # (n_bins,) outer bin edges, Å
    shells = 4.0 / 3.0 * np.pi * (outer**3 - (outer - width) ** 3)  # (n_bins,) Å³
    return number_density * np.cumsum(g * shells)


def cell_widths(cells: np.ndarray) -> np.ndarray:
    """Distances between opposite faces of cells of shape (F, 3, 3) (rows = lattice vectors), (F, 3) Å."""
    volumes = np.abs(np.linalg.det(cells))  # (F,)
    normals = np.cross(cells[:, [1, 2, 0]], cells[:, [2, 0, 1]])  # (F, 3, 3) face normals
    return volumes[:, None] / np.linalg.norm(normals, axis=-1)  # (F, 3)


def _check_r_max(cells: np.ndarray, r_max: float) -> None:
    """Raise if ``r_max`` > half the smallest face-to-face width of any cell (F, 3, 3).

    Rounding fractional differences gives the image with all fractional components in
    [-1/2, 1/2]; an image shorter than half the smallest width has them all below 1/2 and
    is the only such image, so the minimum image is exact up to that distance.
    """
    widths = cell_widths(cells)
    if r_max > 0.5 * widths.min() * (1 + 1e-12):
        raise ValueError(
            f"r_max = {r_max} Å exceeds half the cell width {0.5 * widths.min():.3f} Å "
            "(minimum image no longer exact)"
        )
