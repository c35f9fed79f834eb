r"""Extended Kalman filter (EKF) for training neural networks.

The network weights :math:`w` are the state of a filter that observes, at each
step, the scaled errors :math:`\xi = \hat y(w) - y` (``m`` numbers) with
Jacobian :math:`J = \partial\xi/\partial w` (``m × n``). With the observation
noise :math:`R = I/\eta` (η: the "learning rate") and no process noise
(:math:`Q = 0`), one update is (Singraber et al., JCTC 2019; Shao et al., JCP 2021)

.. math::

    A = (R + J P J^\top)^{-1},\qquad K = P J^\top A,\qquad
    w \leftarrow w - K\xi,\qquad P \leftarrow P - K J P + Q,

starting from :math:`P(0) = I`. On a linear model :math:`\xi = Xw - y` one pass
over all rows gives the ridge-regression solution
:math:`w = (I + \eta X^\top X)^{-1}\eta X^\top y` (tested).

What η means
------------
:math:`R = I/\eta` is the variance the filter assumes for the noise on each
scaled error, so :math:`1/\sqrt\eta` is the size of error it treats as
noise. With this package's ξ (energy per atom in eV times :math:`\sqrt{50}`,
force components in eV/Å times :math:`\sqrt{1/10}`, see
:mod:`~nnp_tutorial.training.schedule`) the study's η = 10⁻³ declares errors
up to ~30 to be noise — 4.5 eV/atom or 100 eV/Å — while the errors that
remain at the accuracy we aim for are ~0.02–0.04 (3 meV/atom, 100 meV/Å).
The filter then weighs every label as almost uninformative and behaves, for
thousands of updates, like gradient descent with step η. Matching R to the
errors that remain, η ≈ 1/0.03² ≈ 10³, lets it learn as fast as its
information allows. On revPBE0-D3 (default network, seed 0) after 2000
updates, validation subset of 32 structures:

======  ==========  ========
η       meV/atom    meV/Å
======  ==========  ========
1e-3    45.7        1767
1e-2    23.7        465
1e-1    11.9        241
1       6.75        154
10      4.89        117
100     3.37        99.1
1000    2.98        102
======  ==========  ========

(``nnp-tutorial train --dataset revpbe0-d3 --optimizer ekf --lr η --steps 2000
--seed 0 --out DIR``, column ``energy_rmse``/``force_rmse`` of the last row
of ``DIR/history.csv``). η and the units of ξ are one choice: scaling ξ by
``s`` is the same filter with η·s².

Implementation
--------------
:math:`P` is symmetric; only its upper triangle is stored and touched.
:math:`B = PJ^\top` takes one pass over the triangle (:func:`symmetric_products`,
numba, split over up to four threads), and the symmetric rank-``m`` update
:math:`P \leftarrow P - CC^\top`, where :math:`C = B L^{-\top}` and
:math:`LL^\top = R + JB` (Cholesky: a solve, never an inverse), is BLAS
``syrk``. The cost per update is about one read of P and one read and write of
its triangle. The *decoupled* filter keeps one block of P per element network
and shares the gain matrix A (Puskorius and Feldkamp's DEKF).

Why not BLAS ``symm`` for B: with the m = 1 or 10 columns of a Kalman step it
packs P into blocks first and takes 2.5 to 6 times longer than one pass
(2827 weights on the 2-core machine, ``scipy.linalg.blas.dsymm`` against
:func:`symmetric_products`: 23 ms for m = 10 and 19 ms for m = 1, against 6–9 ms and
3 ms; the whole update in ``benchmarks/bench_training.py``).

Divergence (a non-finite update, a non-positive-definite :math:`R + JPJ^\top`,
or a non-positive or non-finite diagonal of P) leaves the filter unchanged and
raises :class:`FilterDiverged`, so the caller keeps the last good weights.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
from scipy.linalg import blas, solve_triangular

from ..errors import TrainingDiverged


class FilterDiverged(TrainingDiverged):
    """The Kalman update produced non-finite or non-positive-definite quantities."""


@numba.njit(nogil=True, cache=True)
def _one_column(P, JT, BT, j):
    """Add column ``j`` of the upper triangle of P to ``BT`` (see :func:`_add_columns`)."""
    for k in range(JT.shape[0]):
        jt, bt = JT[k], BT[k]
        a, s = jt[j], 0.0
        for i in range(j):
            s += P[i, j] * jt[i]
            bt[i] += P[i, j] * a
        bt[j] += s + P[j, j] * a


@numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"})
def _add_columns(P, JT, BT, start, stop):
    """``BT += (P Jᵀ)ᵀ`` restricted to the columns [start, stop) of P's upper triangle.

    P (n, n) Fortran order, only its upper triangle read; JT and BT (m, n).
    Each stored element P_ij (i <= j) adds P_ij J_j to B_i and, off the diagonal,
    P_ij J_i to B_j. Two columns at a time, so that J and B rows are loaded once
    per two columns; the sums over i are vectorised (``reassoc``: the order of
    the additions is fixed by the compiled code, so results repeat exactly).
    """
    j = start
    if (stop - start) % 2:
        _one_column(P, JT, BT, j)
        j += 1
    while j < stop:
        for k in range(JT.shape[0]):
            jt, bt = JT[k], BT[k]
            a0, a1 = jt[j], jt[j + 1]
            s0, s1 = 0.0, 0.0
            for i in range(j):
                q0, q1, x = P[i, j], P[i, j + 1], jt[i]
                s0 += q0 * x
                s1 += q1 * x
                bt[i] += q0 * a0 + q1 * a1
            bt[j] += s0 + P[j, j] * a0 + P[j, j + 1] * a1
            bt[j + 1] += s1 + P[j, j + 1] * a0 + P[j + 1, j + 1] * a1
        j += 2


#: Threads of :func:`symmetric_products` (it is memory bound: more than four rarely help).
_THREADS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
_POOL = ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="kalman")


def symmetric_products(Ps: list[np.ndarray], Js: list[np.ndarray]) -> list[np.ndarray]:
    """B = P Jᵀ for each symmetric P given by its upper triangle, in one pass over it.

    Parameters
    ----------
    Ps : list of ndarray of shape (n_k, n_k), Fortran order
        Only the upper triangles are read.
    Js : list of ndarray of shape (m, n_k)

    Returns
    -------
    list of ndarray of shape (n_k, m), Fortran order, dtype of P

    The triangles are cut into column ranges, each thread getting about the same
    area (a whole block when there are as many blocks as threads); threads sleep
    when idle, unlike OpenBLAS's, which spin and slow the TensorFlow work of the
    next training step. Partial results are added in a fixed order, so the
    result does not depend on scheduling.
    """
    areas = [P.shape[0] ** 2 for P in Ps]
    tasks = []  # (block, first column, last column + 1)
    for k, P in enumerate(Ps):
        n = P.shape[0]
        parts = max(1, round(_THREADS * areas[k] / sum(areas))) if n >= 512 else 1
        bounds = [round(n * math.sqrt(t / parts)) for t in range(parts + 1)]
        tasks += [(k, a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    JTs = [np.ascontiguousarray(J, dtype=P.dtype) for P, J in zip(Ps, Js)]
    partial = [np.zeros(JTs[k].shape, dtype=Ps[k].dtype) for k, _, _ in tasks]

    def run(t: int) -> None:
        k, start, stop = tasks[t]
        _add_columns(Ps[k], JTs[k], partial[t], start, stop)

    if len(tasks) == 1:
        run(0)
    else:
        list(_POOL.map(run, range(len(tasks))))
    BTs: list[np.ndarray | None] = [None] * len(Ps)
    for (k, _, _), BT in zip(tasks, partial):
        BTs[k] = BT if BTs[k] is None else BTs[k] + BT
    return [BT.T for BT in BTs]


@dataclass(frozen=True)
class EtaSchedule:
    r"""Learning rate of the filter at step t.

    ``constant`` (the study's PiNN setup): :math:`\eta(t) = \eta_0`.
    ``runner`` (RuNNer/n2p2 ``kalman_eta``, ``kalman_etatau``, ``kalman_etamax``):
    :math:`\eta(t) = \min(\eta_0 e^{t/\tau}, \eta_{max})`, approaching 1 so
    that the filter's implicit 1/t decay dominates late in training.

    Attributes
    ----------
    eta0 : float
    kind : {"constant", "runner"}
    tau : float
        Growth time in steps (``runner`` only).
    eta_max : float
        Upper limit (``runner`` only).
    """

    eta0: float = 1e-3
    kind: str = "constant"
    tau: float = 1e5
    eta_max: float = 1.0

    def __call__(self, step: int) -> float:
        if self.kind == "constant":
            return self.eta0
        return min(self.eta0 * math.exp(step / self.tau), self.eta_max)


class KalmanFilter:
    """EKF state: the covariance P (full or per-block) and the update rule.

    Parameters
    ----------
    n_weights : int
        Length n of the weight vector.
    blocks : list of slice, optional
        Decoupled filter: one covariance block per slice of the weight
        vector (e.g. one per element network). Default: one full block.
    eta : float or EtaSchedule, default 1e-3
        Learning rate η (R = I/η).
    dtype : {"float64", "float32"}, default "float64"
        Precision of P (the update of w is always float64).
    process_noise : float, default 0.0
        Q = q I added to P after each update.

    Attributes
    ----------
    P_ : list of ndarray
        Upper triangles (Fortran order) of the covariance blocks.
    step_ : int
        Number of updates done.
    """

    def __init__(
        self,
        n_weights: int,
        *,
        blocks: list[slice] | None = None,
        eta: float | EtaSchedule = 1e-3,
        dtype: str = "float64",
        process_noise: float = 0.0,
    ) -> None:
        if dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float64' or 'float32', not {dtype!r}")
        self.n_weights = n_weights
        self.blocks = blocks or [slice(0, n_weights)]
        bounds = sorted((b.start, b.stop) for b in self.blocks)
        if (
            bounds[0][0] != 0
            or bounds[-1][1] != n_weights
            or any(a[1] != b[0] for a, b in zip(bounds[:-1], bounds[1:]))
        ):
            raise ValueError("blocks must partition the weight vector into contiguous slices")
        self.eta = eta if isinstance(eta, EtaSchedule) else EtaSchedule(float(eta))
        self.dtype = np.dtype(dtype)
        self.process_noise = process_noise
        self._syrk = blas.dsyrk if self.dtype == np.float64 else blas.ssyrk
        self.P_ = [np.eye(b.stop - b.start, dtype=self.dtype, order="F") for b in self.blocks]
        self.step_ = 0

    def update(self, jacobian: np.ndarray, errors: np.ndarray) -> np.ndarray:
        """One filter step; returns the weight change ``-K ξ`` (shape (n,)).

        Parameters
        ----------
        jacobian : ndarray of shape (m, n)
            J = ∂ξ/∂w.
        errors : ndarray of shape (m,)
            ξ = prediction − label (scaled).

        Raises
        ------
        FilterDiverged
            The filter is left unchanged.
        """
        J = np.atleast_2d(np.asarray(jacobian, dtype=np.float64))
        xi = np.atleast_1d(np.asarray(errors, dtype=np.float64))
        m = len(xi)
        if J.shape != (m, self.n_weights):
            raise ValueError(f"jacobian has shape {J.shape}, expected {(m, self.n_weights)}")
        if not (np.all(np.isfinite(J)) and np.all(np.isfinite(xi))):
            raise FilterDiverged(f"step {self.step_}: non-finite errors or Jacobian")
        eta = self.eta(self.step_)
        # B = P J^T block by block (P is block-diagonal in the decoupled filter), S = R + J B (m x m)
        B = np.empty((self.n_weights, m), order="F")
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught below as divergence
            for block, Bk in zip(self.blocks, symmetric_products(self.P_, [J[:, b] for b in self.blocks])):
                B[block] = Bk
            S = np.eye(m) / eta + J @ B
        try:
            if not np.all(np.isfinite(S)):
                raise np.linalg.LinAlgError
            L = np.linalg.cholesky(S)  # S = L L^T
        except np.linalg.LinAlgError:
            raise FilterDiverged(f"step {self.step_}: R + J P J^T is not positive definite") from None
        C = blas.dtrsm(1.0, L, B, side=1, lower=1, trans_a=1)  # (n, m): B L^-T, a triangular solve
        delta = -C @ solve_triangular(L, xi, lower=True, check_finite=False)  # -B S^-1 xi = -K xi
        updates = [np.asfortranarray(C[block], dtype=self.dtype) for block in self.blocks]
        if not np.all(np.isfinite(delta)):
            raise FilterDiverged(f"step {self.step_}: non-finite weight update")
        # diag(P - C C^T) from C alone: test positivity before touching P, so a
        # diverging step leaves the filter (and the caller's weights) as they were.
        for P, C in zip(self.P_, updates):
            diagonal = np.diagonal(P) - np.einsum("ij,ij->i", C, C)
            if not (np.all(np.isfinite(diagonal)) and np.all(diagonal > 0)):
                raise FilterDiverged(f"step {self.step_}: covariance lost positivity")
        for P, C in zip(self.P_, updates):
            self._syrk(-1.0, C, beta=1.0, c=P, lower=0, overwrite_c=1)  # in place, upper triangle
        if self.process_noise:
            for P in self.P_:
                P[np.diag_indices_from(P)] += self.process_noise
        self.step_ += 1
        return delta

    def covariance(self) -> np.ndarray:
        """The full symmetric covariance P as a dense (n, n) float64 array (for analysis)."""
        P = np.zeros((self.n_weights, self.n_weights))
        for block, Pk in zip(self.blocks, self.P_):
            upper = np.triu(Pk)
            P[block, block] = upper + np.triu(upper, 1).T
        return P

    @property
    def nbytes(self) -> int:
        """Memory held by the covariance blocks, bytes."""
        return sum(P.nbytes for P in self.P_)

    def state_dict(self) -> dict:
        """Arrays and counters needed to resume exactly."""
        return {"P": [P.copy(order="F") for P in self.P_], "step": self.step_}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` output."""
        self.P_ = [np.asfortranarray(P, dtype=self.dtype) for P in state["P"]]
        self.step_ = int(state["step"])
