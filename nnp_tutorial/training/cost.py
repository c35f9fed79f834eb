r"""What one Kalman filter update costs, measured, as a function of the number of weights.

The EKF keeps a covariance matrix P of the n weights. Stored in full (as
:class:`~nnp_tutorial.training.kalman.KalmanFilter` does, upper triangle used), it takes
:math:`8n^2` bytes in float64, and every update reads and writes all of it, so memory
and time grow as :math:`n^2` while Adam's grow as :math:`n`. The decoupled filter keeps one
block per element network, :math:`8\sum_k n_k^2` bytes.

:func:`measure_kalman_update` times :meth:`KalmanFilter.update` with random Jacobians of
``n_labels`` rows (a force batch has 10) under one BLAS thread, as training runs it
(:meth:`~nnp_tutorial.training.Trainer.run`), and records the memory the update allocates
on top of P (``tracemalloc``; numpy reports its arrays there). Next to it, it times a
floor measured in the same call: one read and one write pass over P itself, in place
(multiplied by 1.0, so no second array as large as P is needed: the notebooks stay within
their memory budget), the two timed in turn. The ratio of the two says how close the update is
to the least any update of P can cost, and it changes little when other programs slow the
machine down. (The product P Jᵀ runs on up to four threads of its own, see
:mod:`~nnp_tutorial.training.kalman`; the one-thread limit applies to BLAS.)
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ..timing import interleaved_median_ms
from .kalman import KalmanFilter


@dataclass(frozen=True)
class UpdateCost:
    """Measured cost of one Kalman update.

    Attributes
    ----------
    n_weights : int
    n_blocks : int
        1 for the full filter.
    seconds : float
        Median wall time of one update, s.
    pass_seconds : float
        Median wall time of one read+write pass over an array of P's size, s.
    covariance_bytes : int
        Memory held by P, bytes.
    extra_bytes : int
        Peak memory the update allocates besides P (gain, temporaries), bytes.
    """

    n_weights: int
    n_blocks: int
    seconds: float
    pass_seconds: float
    covariance_bytes: int
    extra_bytes: int


def equal_blocks(n_weights: int, n_blocks: int) -> list[slice]:
    """``n_blocks`` contiguous slices of nearly equal length covering ``range(n_weights)``."""
    edges = np.linspace(0, n_weights, n_blocks + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def measure_kalman_update(
    n_weights: int,
    *,
    n_labels: int = 10,
    n_blocks: int = 1,
    dtype: str = "float64",
    repeats: int = 5,
    seed: int = 0,
) -> UpdateCost:
    """Time (median of ``repeats``) and memory of :meth:`KalmanFilter.update`.

    Parameters
    ----------
    n_weights : int
    n_labels : int, default 10
        Rows of the Jacobian (labels per batch).
    n_blocks : int, default 1
        Decoupled filter with this many equal blocks (1: full covariance).
    dtype : {"float64", "float32"}
        Precision of P.
    repeats : int, default 5
        Timed updates after one untimed one.
    seed : int, default 0
        Seed of the random Jacobians (entries N(0, 0.1²)) and errors.
    """
    rng = np.random.default_rng(seed)
    kalman = KalmanFilter(n_weights, blocks=equal_blocks(n_weights, n_blocks), eta=1e-3, dtype=dtype)
    batches = [
        (0.1 * rng.standard_normal((n_labels, n_weights)), 0.1 * rng.standard_normal(n_labels))
        for _ in range(repeats + 1)
    ]
    with threadpool_limits(limits=1, user_api="blas"):
        tracemalloc.start()
        kalman.update(*batches[0])  # untimed: first-touch of P and BLAS set-up
        extra = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        timed = iter(batches[1:])
        medians = interleaved_median_ms(
            {"update": lambda: kalman.update(*next(timed)), "pass": lambda: _pass_over(kalman.P_)},
            repeats,
            warmup=0,
        )
    seconds, pass_seconds = medians["update"][0] / 1000, medians["pass"][0] / 1000
    return UpdateCost(n_weights, n_blocks, seconds, pass_seconds, kalman.nbytes, int(extra))


def _pass_over(arrays: list[np.ndarray]) -> None:
    """One read and one write pass over ``arrays`` in place (× 1.0: the values stay bit for bit)."""
    for a in arrays:
        np.multiply(a, 1.0, out=a)


def power_law(n: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares fit of ``y = a · n^b`` on log-log axes; returns ``(a, b)``."""
    b, log_a = np.polyfit(np.log(np.asarray(n, float)), np.log(np.asarray(y, float)), 1)
    return float(np.exp(log_a)), float(b)
