r"""Fisher information of a trained potential, and weight-space measures.

The study explains the different behaviour of Adam- and EKF-trained networks
through the empirical Fisher information of the L1 loss,

.. math::

    \langle I_1\rangle = \frac{1}{N}\sum_{b=1}^{N} \mathbf g_b \mathbf g_b^\top,\qquad
    \mathbf g_b = \nabla_w L_1^{(b)} = J_b^\top \operatorname{sign}(\xi_b),

averaged over ``N`` batches drawn by the same schedule as in training. Its
eigenvalues say how sharply the loss curves along each direction of weight
space. With ``G`` the (N, n) matrix of the ``g_b``, they are :math:`\sigma^2/N` for the
singular values :math:`\sigma` of ``G``; if N < n the remaining ``n − N`` are exactly zero.
For a fixed composition (all water) one direction is always flat: the forces do not
depend on the output biases and the energies only on one combination of them, so the
rank is at most n − 1.
"""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from .prefetch import prefetched
from .training.labels import DescriptorCache, LabelFunctions
from .training.schedule import BatchSchedule

#: Batches of a Fisher estimate: above 3 n for the default network's n = 2827 weights, so that
#: ⟨I₁⟩ has full rank and the histogram's shape is not set by the sample size (N < n gives
#: rank ≤ N: n − N eigenvalues are exactly zero).
DEFAULT_BATCHES = 10_000


@dataclass
class FisherSpectrum:
    """Eigenvalues of ⟨I₁⟩ of one model.

    Attributes
    ----------
    eigenvalues : ndarray of shape (n_weights,)
        Ascending; includes the exact zeros when fewer batches than weights.
    n_batches : int or None
        None when unknown (a spectrum read back by :func:`read_spectra`).
    gradients : ndarray of shape (n_batches, n_weights) or None
        The per-batch gradients g_b of L1; None for a spectrum read back.
    """

    eigenvalues: np.ndarray
    n_batches: int | None
    gradients: np.ndarray | None

    @property
    def positive(self) -> np.ndarray:
        """Eigenvalues above the round-off level of the singular values of G (NumPy's
        ``matrix_rank`` rule, σ > σ_max max(N, n) ε): λ > λ_max (max(N, n) ε)²; their count is
        the rank of ⟨I₁⟩ (N = n when unknown)."""
        size = max(self.n_batches or 0, len(self.eigenvalues))
        level = self.eigenvalues.max() * (size * np.finfo(np.float64).eps) ** 2
        return self.eigenvalues[self.eigenvalues > level]

    def matrix(self) -> np.ndarray:
        """⟨I₁⟩ itself, shape (n_weights, n_weights)."""
        if self.gradients is None:
            raise ValueError("this spectrum was read from a table: its gradients are unknown")
        return self.gradients.T @ self.gradients / self.n_batches


def l1_gradients(
    model,
    structures: list[Atoms],
    *,
    n_batches: int = DEFAULT_BATCHES,
    seed: int = 0,
    progress: bool = True,
    **schedule,
) -> np.ndarray:
    """∇_w L1 of ``n_batches`` schedule-drawn batches, shape (n_batches, n_weights).

    ``schedule`` keywords go to :class:`~nnp_tutorial.training.BatchSchedule`
    (defaults as in training); all structures are eligible. Each gradient is
    g = scale · Σ sign(ŷ − y) ∂ŷ/∂w, the closed-form vector–Jacobian product of
    :mod:`nnp_tutorial.network_derivatives` (the batch's Jacobian is never formed).
    The neighbour lists and symmetry functions of each structure (compiled loops) are
    computed once and kept (about 0.3 GB for the 1593 revPBE0-D3 frames); they and the
    derivatives for the drawn atoms of the next batches are computed in a worker
    thread while the current one's gradient is formed.
    """
    draws = BatchSchedule(
        np.arange(len(structures)), np.array([len(a) for a in structures]), seed=seed, **schedule
    )
    labels = LabelFunctions(model)
    # each structure's symmetry functions and neighbour list once (10 000 batches draw each of
    # the 1593 revPBE0-D3 frames about six times)
    cache = DescriptorCache(model.descriptor, structures, progress=False, lazy=True)

    def prepare(step: int) -> tuple:
        batch = draws.draw(step)
        atoms, descriptors = structures[batch.frame], cache[batch.frame]
        if batch.kind == "energy":
            return batch, atoms, descriptors, None
        return batch, atoms, descriptors, labels.prepare(atoms, batch.components, cache.pairs(batch.frame))

    gradients = np.empty((n_batches, model.n_weights))
    # One BLAS thread: idle OpenBLAS threads spin after each of the many small products and
    # take the core the worker threads need (as in Trainer.run).
    with (
        threadpool_limits(limits=1, user_api="blas"),
        closing(prefetched(prepare, range(n_batches), ahead=8, workers=2)) as prepared,
    ):
        for b, (batch, atoms, descriptors, derivatives) in enumerate(
            tqdm(prepared, total=n_batches, disable=not progress, desc="Fisher information")
        ):
            reference = batch.labels(*cache.reference(batch.frame))
            if batch.kind == "energy":
                value, gradient = labels.energy(descriptors, len(atoms))
                gradient *= np.sign(value - reference[0])
            else:
                _, gradient = labels.force_sign_gradient(
                    descriptors, atoms, batch.components, reference, derivatives
                )
            gradients[b] = draws.scale(batch) * gradient
    return gradients


def fisher_spectrum(gradients: np.ndarray) -> FisherSpectrum:
    """Eigenvalues of ⟨I₁⟩ = GᵀG/N from the per-batch gradients G (N, n).

    They are σ²/N for the singular values σ of G (SVD, about 7 s for 10 000 × 2827 on two
    cores), not the eigenvalues of a formed GᵀG or GGᵀ: a spectrum spans more decades than
    float64 resolves in a formed product, whose eigenvalues below about 1e-13 of the largest
    are round-off. For the default network and 4000 batches the singular values give 2826
    eigenvalues above the round-off level (λ/λ_max down to about 1e-20), a formed GᵀG 1848.
    """
    n_batches, n_weights = gradients.shape
    sigma = np.linalg.svd(gradients, compute_uv=False)
    eigenvalues = np.zeros(n_weights)  # n − N exact zeros when fewer batches than weights
    eigenvalues[n_weights - len(sigma) :] = np.sort(sigma**2 / n_batches)
    return FisherSpectrum(eigenvalues, n_batches, gradients)


@dataclass
class FisherComparison:
    """The Fisher spectra and final weights of several models on one data set.

    What ``nnp-tutorial fisher`` computes (:func:`compare_models`) and writes
    (:meth:`write`). Attributes are keyed by each model's label (for figures).

    Attributes
    ----------
    sources : dict of str to str
        The model as given (a directory or a registered name): the ``model`` column of the table.
    spectra : dict of str to FisherSpectrum
    weights : dict of str to ndarray of shape (n_weights,)
    seconds : dict of str to float
        Wall time of each model's gradients and eigenvalues, s.
    """

    sources: dict[str, str]
    spectra: dict[str, FisherSpectrum]
    weights: dict[str, np.ndarray]
    seconds: dict[str, float]

    #: the files :meth:`write` writes
    FILES = ("fisher_eigenvalues.csv", "fisher_spectra.png", "weights_histogram.png")

    def table(self) -> pd.DataFrame:
        """One row per model and eigenvalue (``model``, ``rank``: 0 is the largest, ``eigenvalue``)."""
        rows = [
            {"model": self.sources[label], "rank": k, "eigenvalue": value}
            for label, spectrum in self.spectra.items()
            for k, value in enumerate(spectrum.eigenvalues[::-1])
        ]
        return pd.DataFrame(rows)

    def write(self, directory: str | Path) -> Path:
        """The table (:func:`read_spectra` reads it back) and the two figures into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.table().to_csv(directory / self.FILES[0], index=False, float_format="%.10g")
        plot_spectra(self.spectra).savefig(directory / self.FILES[1], dpi=120)
        plot_weight_distributions(self.weights).savefig(directory / self.FILES[2], dpi=120)
        return directory


def compare_models(
    models: dict[str, tuple[str, object]],
    structures: list[Atoms],
    *,
    n_batches: int = DEFAULT_BATCHES,
    seed: int = 0,
    progress: bool = True,
) -> FisherComparison:
    """Fisher spectra of ``models`` (label → (source, model)) on the same schedule-drawn batches."""
    comparison = FisherComparison({}, {}, {}, {})
    for label, (source, model) in models.items():
        start = time.perf_counter()
        gradients = l1_gradients(model, structures, n_batches=n_batches, seed=seed, progress=progress)
        comparison.spectra[label] = fisher_spectrum(gradients)
        comparison.seconds[label] = time.perf_counter() - start
        comparison.sources[label], comparison.weights[label] = source, model.get_weights()
    return comparison


def read_spectra(path: str | Path) -> dict[str, FisherSpectrum]:
    """The spectra in a ``fisher_eigenvalues.csv[.gz]`` table written by ``nnp-tutorial fisher``.

    The table has one row per model and eigenvalue (columns ``model``, ``rank``,
    ``eigenvalue``; rank 0 is the largest), zeros included. Returns model → spectrum
    (eigenvalues ascending, ``n_batches`` and ``gradients`` None), in table order.
    """
    table = pd.read_csv(path)
    return {
        str(model): FisherSpectrum(np.sort(rows["eigenvalue"].to_numpy(dtype=np.float64)), None, None)
        for model, rows in table.groupby("model", sort=False)
    }


def plot_spectra(spectra: dict[str, FisherSpectrum], bins: int = 60) -> Figure:
    """Histograms of the positive eigenvalues of several models on a log axis."""
    figure = Figure(figsize=(6, 3.8), layout="constrained")
    ax = figure.subplots()
    positive = {label: s.positive for label, s in spectra.items()}
    lowest = min(p.min() for p in positive.values())
    highest = max(p.max() for p in positive.values())
    edges = np.logspace(np.log10(lowest), np.log10(highest), bins + 1)
    for label, values in positive.items():
        ax.hist(values, bins=edges, histtype="step", linewidth=1.5, label=f"{label} ({len(values)})")
    ax.set(xscale="log", xlabel="eigenvalue of ⟨I₁⟩", ylabel="count")
    ax.legend(title="model (nonzero eigenvalues)")
    return figure


def plot_weight_distributions(weights: dict[str, np.ndarray], bins: int = 80) -> Figure:
    """Histograms of the final weights of several models."""
    figure = Figure(figsize=(6, 3.8), layout="constrained")
    ax = figure.subplots()
    largest = max(np.abs(w).max() for w in weights.values())
    edges = np.linspace(-largest, largest, bins + 1)
    for label, w in weights.items():
        ax.hist(w, bins=edges, histtype="step", linewidth=1.5, label=label, density=True)
    ax.set(yscale="log", xlabel="weight", ylabel="density")
    ax.legend()
    return figure
