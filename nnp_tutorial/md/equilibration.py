r"""Has an MD average stopped drifting? A drift test for the averaging window, and a verdict.

A mean ± error bar of a series that is still drifting says nothing: the block error of a
trend measures the trend, not the uncertainty of a converged value. Every average of a run
(density, temperature, pressure, potential energy) is therefore tested for drift over its
window first, and only a window without significant drift is reported as mean ± error.

Drift test (:func:`drift_test`)
-------------------------------
The window :math:`t_1 \dots t_n` is cut into :math:`B` consecutive blocks (default 8; the
first :math:`n - Bm` points are dropped, as in :func:`~nnp_tutorial.md.analysis.block_average`),
with block means :math:`(\bar t_b, \bar x_b)`. A least-squares line through them,

.. math::

    \hat\beta = \frac{\sum_b (\bar t_b - \bar t)(\bar x_b - \bar x)}{\sum_b (\bar t_b - \bar t)^2},
    \qquad
    \mathrm{SE}(\hat\beta) = \sqrt{\frac{\sum_b r_b^2 / (B - 2)}{\sum_b (\bar t_b - \bar t)^2}},

(:math:`r_b` the residuals of the block means), gives the drift :math:`\hat\beta` (unit of
the data per ps) with a standard error that, like a block average, is honest when blocks
are longer than the correlation time. The window is **drifting** when both

1. :math:`|\hat\beta| / \mathrm{SE}(\hat\beta) > t_{1-\alpha/2}(B - 2)` (two-sided t-test,
   default :math:`\alpha = 0.01`, :math:`t_{0.995}(6) = 3.707`), and
2. the change over the window, :math:`|\hat\beta|\,(t_n - t_1)`, exceeds a tolerance: the
   error bar of the window's mean (and at least :math:`10^{-9}` of its size, so a constant
   series with round-off is not a trend).

Why :math:`\alpha = 0.01` on 8 blocks: NPT densities are slow. In the committed 64-molecule
runs (Berendsen, :math:`\tau_P` = 1 ps, a thermo row every 10 fs) the integrated
autocorrelation time of the density over the second half is 1.6 ps (Cheng, 25-ps window),
1.1 ps (BLYP teacher, 15 ps) and 0.3–0.4 ps (students, 5–7.5 ps): every window is only
13–17 correlation times long. (These are sums of the window's autocorrelation function up to
its first zero, which a short window biases low: Cheng's density from 10 ps on decays more like
2.5 ps, where the rate below is 5.4 %.) Blocks of 1.5–3 correlation times are still correlated, which
makes a nominal 5 % test raise false alarms 8–15 % of the time. The stricter :math:`\alpha`
compensates. False-alarm rate (a stationary series called drifting) and detection rate (a
drift of 0.005 g/ml/ps added), measured with :func:`average_verdict` on 20 000 seeded AR(1)
series of standard deviation 0.02 g/ml, one point per 10 fs (``tests/test_equilibration.py``
checks the rows marked * with 2000 series each):

=========  ============================  ============  ==========
window     correlation time τ (AR(1))    false alarm   detection
=========  ============================  ============  ==========
25 ps      0 (white noise) *             1.0 %         100 %
25 ps      0.4 ps                        1.3 %         100 %
25 ps      1.0 ps                        2.1 %         99.6 %
25 ps      1.6 ps (Cheng's window) *     3.5 %         98.2 %
25 ps      2.5 ps                        5.4 %         96.8 %
15 ps      1.1 ps (teacher's window) *   4.0 %         69 %
15 ps      1.6 ps                        6.2 %         67 %
7.5 ps     0.43 ps (a student's) *       2.9 %         22 %
5 ps       0.4 ps                        4.4 %         13 %
=========  ============================  ============  ==========

So the false-alarm rate is at most 5 % for windows at least ~12 correlation times long and
grows beyond that (6 % at 9.4 τ); a short window has little power against a slow drift, which
is what ``--until-converged`` (:func:`run_until_converged`) is for. A constant series (the
density of NVT and NVE runs) is ``stable`` without a test.

Verdict (:func:`density_verdict`)
---------------------------------
One of three outcomes, the study's distinction between a density and no density:

============  =========================================================================
``stable``    the monitor let the run finish and its window does not drift:
              ``mean`` ± ``error`` (block average, 5 blocks)
``drifting``  the run finished but its window drifts: no stable density. ``drift_per_ps``
              ± ``drift_error`` and ``last_value`` (mean of the last drift block) are
              reported, ``mean`` and ``error`` are None
``unstable``  the stability monitor stopped the run: ``failure_time_ps`` and ``reason``
============  =========================================================================

A window with fewer rows than drift blocks cannot be tested and counts as ``drifting``
(``reason`` says so): it is not a density either.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .analysis import block_average

#: Blocks of the drift test, and its two-sided significance level (module docstring).
DRIFT_BLOCKS = 8
DRIFT_ALPHA = 0.01
#: Blocks of the reported error bar (as :func:`~nnp_tutorial.md.analysis.mean_density`).
ERROR_BLOCKS = 5
#: Thermo columns whose windows are averaged and tested.
AVERAGED_COLUMNS = ("density_g_per_ml", "temperature_K", "pressure_bar", "potential_energy_eV")
STATUSES = ("stable", "drifting", "unstable")


@dataclass(frozen=True)
class DriftTest:
    """Least-squares drift of a window and whether it is significant (module docstring).

    Attributes
    ----------
    slope_per_ps : float
        Drift, unit of the data per ps.
    slope_error_per_ps : float
        Its standard error from the block means, same unit.
    t : float
        ``slope_per_ps / slope_error_per_ps`` (±inf for a perfect line, 0 for a constant).
    critical_t : float
        :math:`t_{1-\\alpha/2}(B-2)`.
    change : float
        ``slope_per_ps`` × window length: the change the line makes over the window.
    tolerance : float
        The change that counts as no drift at all (the error bar of the mean).
    drifting : bool
        ``|t| > critical_t`` and ``|change| > tolerance``.
    n_blocks : int
    last_value : float
        Mean of the last block.
    """

    slope_per_ps: float
    slope_error_per_ps: float
    t: float
    critical_t: float
    change: float
    tolerance: float
    drifting: bool
    n_blocks: int
    last_value: float


def drift_test(
    time_ps: np.ndarray | pd.Series,
    values: np.ndarray | pd.Series,
    *,
    n_blocks: int = DRIFT_BLOCKS,
    alpha: float = DRIFT_ALPHA,
    tolerance: float = 0.0,
) -> DriftTest:
    """Test a window of a time series for drift (criterion and rates in the module docstring).

    Parameters
    ----------
    time_ps : array of shape (n,)
        Times of the points, ps, increasing.
    values : array of shape (n,)
        The series, any unit.
    n_blocks : int
        Blocks B (at least 3; needs n >= B).
    alpha : float
        Two-sided significance level of the t-test on the slope.
    tolerance : float
        Largest change over the window (unit of the data) that is never called a drift.

    Example
    -------
    >>> t, noise = np.arange(100) * 0.01, np.random.default_rng(0).normal(0.0, 0.01, 100)
    >>> drift_test(t, 1.0 + 0.1 * t + noise).drifting, drift_test(t, 1.0 + noise).drifting
    (True, False)
    """
    t, x = np.asarray(time_ps, dtype=np.float64), np.asarray(values, dtype=np.float64)
    if n_blocks < 3 or len(x) < n_blocks or len(t) != len(x):
        raise ValueError(f"need >= 3 blocks and one point per block; got {len(x)} points, {n_blocks}")
    m = len(x) // n_blocks
    tb = t[len(t) - n_blocks * m :].reshape(n_blocks, m).mean(axis=1)  # (B,) ps
    xb = x[len(x) - n_blocks * m :].reshape(n_blocks, m).mean(axis=1)  # (B,)
    tc = tb - tb.mean()  # (B,)
    slope = float(tc @ (xb - xb.mean()) / (tc @ tc))
    residuals = xb - xb.mean() - slope * tc  # (B,)
    error = float(np.sqrt(residuals @ residuals / (n_blocks - 2) / (tc @ tc)))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_value = float(np.divide(slope, error)) if slope != 0.0 else 0.0
    critical = float(stats.t.ppf(1.0 - alpha / 2.0, n_blocks - 2))
    change = slope * float(t[-1] - t[0])
    floor = max(tolerance, 1e-9 * float(np.max(np.abs(x))))
    drifting = bool(abs(t_value) > critical and abs(change) > floor)
    return DriftTest(slope, error, t_value, critical, change, floor, drifting, n_blocks, float(xb[-1]))


@dataclass(frozen=True)
class Verdict:
    """Outcome of an MD average: ``stable``, ``drifting`` or ``unstable`` (module table).

    Attributes
    ----------
    status : str
        ``stable``, ``drifting`` or ``unstable``.
    mean, error : float or None
        Block average and its standard error over the window (``stable`` only).
    drift_per_ps, drift_error : float or None
        Drift over the window and its standard error, unit per ps (not for ``unstable``).
    last_value : float or None
        Mean of the window's last drift block (not for ``unstable``).
    failure_time_ps : float or None
        When the monitor stopped the run (``unstable`` only).
    reason : str or None
        Why the run is ``unstable`` or ``drifting``.
    from_ps, to_ps : float or None
        The averaging window, ps.
    """

    status: str
    mean: float | None = None
    error: float | None = None
    drift_per_ps: float | None = None
    drift_error: float | None = None
    last_value: float | None = None
    failure_time_ps: float | None = None
    reason: str | None = None
    from_ps: float | None = None
    to_ps: float | None = None

    def to_dict(self) -> dict:
        """JSON-friendly copy."""
        return asdict(self)

    def __str__(self) -> str:
        if self.status == "stable":
            return f"stable: {self.mean:.4f} ± {self.error:.4f}"
        if self.status == "unstable":
            return f"unstable at {self.failure_time_ps:g} ps: {self.reason}"
        if self.drift_per_ps is None:
            return f"drifting: {self.reason}"
        drift = f"{self.drift_per_ps:+.4f} ± {self.drift_error:.4f}"
        return f"drifting {drift} per ps, last {self.last_value:.4f}"


def window(thermo: pd.DataFrame, discard_fraction: float = 0.5) -> pd.DataFrame:
    """Rows with ``time_ps`` >= ``discard_fraction`` × the last time (equilibration dropped)."""
    return thermo[thermo["time_ps"] >= discard_fraction * thermo["time_ps"].iloc[-1]]


def average_verdict(
    time_ps: np.ndarray | pd.Series,
    values: np.ndarray | pd.Series,
    *,
    n_blocks: int = ERROR_BLOCKS,
    drift_blocks: int = DRIFT_BLOCKS,
    alpha: float = DRIFT_ALPHA,
) -> Verdict:
    """``stable`` (mean ± error) or ``drifting`` (drift ± error, last value) for one window.

    >>> t = np.arange(400) * 0.01
    >>> average_verdict(t, 0.5 + 0.0 * t).status, average_verdict(t, 1.0 - 0.02 * t).status
    ('stable', 'drifting')
    """
    t = np.asarray(time_ps, dtype=np.float64)
    span = {"from_ps": float(t[0]), "to_ps": float(t[-1])}
    too_short = Verdict("drifting", reason=f"window of {len(t)} rows is too short for a drift test", **span)
    if len(t) < n_blocks:
        return too_short
    average = block_average(values, n_blocks)
    x = np.asarray(values, dtype=np.float64)
    if np.ptp(x) <= 1e-9 * np.max(np.abs(x)):  # constant (NVT/NVE density): no test needed
        return Verdict("stable", average.mean, average.sem, 0.0, 0.0, float(x[-1]), **span)
    if len(t) < drift_blocks:
        return too_short
    drift = drift_test(t, values, n_blocks=drift_blocks, alpha=alpha, tolerance=average.sem)
    if not drift.drifting:
        return Verdict("stable", average.mean, average.sem, drift.slope_per_ps, drift.slope_error_per_ps,
                       drift.last_value, **span)  # fmt: skip
    reason = f"drift t = {drift.t:.1f} beyond ±{drift.critical_t:.2f} ({drift_blocks} blocks)"
    return Verdict("drifting", None, None, drift.slope_per_ps, drift.slope_error_per_ps, drift.last_value,
                   reason=reason, **span)  # fmt: skip


def density_verdict(
    thermo: pd.DataFrame,
    *,
    status: str = "completed",
    failure_time_ps: float | None = None,
    reason: str | None = None,
    column: str = "density_g_per_ml",
    discard_fraction: float = 0.5,
) -> Verdict:
    """Verdict on a run's density (or another ``column``) over the window after ``discard_fraction``.

    Parameters
    ----------
    thermo : DataFrame
        The run's thermo rows (:data:`~nnp_tutorial.md.thermo.THERMO_COLUMNS`).
    status : str
        The run's status (``completed``, ``unstable``, ...): ``unstable`` gives an
        ``unstable`` verdict with ``failure_time_ps`` and ``reason``.
    """
    if status == "unstable":
        return Verdict("unstable", failure_time_ps=failure_time_ps, reason=reason)
    rows = window(thermo, discard_fraction)
    return average_verdict(rows["time_ps"], rows[column])


def run_verdict(run, *, column: str = "density_g_per_ml", discard_fraction: float = 0.5) -> Verdict:
    """The :func:`density_verdict` of a run: an :class:`~nnp_tutorial.md.runs.MDRun` or its directory.

    What a sweep tabulates per run (``status``, ``mean``, ``error``, ``drift_per_ps``, ...).
    """
    from .runs import MDRun, load_run

    run = run if isinstance(run, MDRun) else load_run(run)
    failure = run.instability
    return density_verdict(
        run.thermo,
        status=run.status,
        failure_time_ps=failure.time_ps if failure else None,
        reason=failure.reason if failure else None,
        column=column,
        discard_fraction=discard_fraction,
    )


def run_until_converged(
    atoms,
    calculator,
    *,
    steps: int,
    max_steps: int,
    extend_steps: int | None = None,
    column: str = "density_g_per_ml",
    discard_fraction: float = 0.5,
    **run_options,
):
    """Run MD for ``steps``, then extend it until its window stops drifting or ``max_steps``.

    After each part, :func:`density_verdict` judges the window after ``discard_fraction`` of
    the run so far (the window moves with the run, so a slow equilibration is left behind);
    while it is ``drifting`` the same run is resumed (:func:`~nnp_tutorial.md.runs.run_md`,
    same ``out_dir``) for ``extend_steps`` more steps (default ``steps``), never beyond
    ``max_steps``. An ``unstable`` or ``stable`` verdict ends it at once.

    Parameters
    ----------
    atoms, calculator, run_options
        As for :func:`~nnp_tutorial.md.runs.run_md` (``out_dir`` is required).
    steps : int
        Length of the first part, steps from t = 0.
    max_steps : int
        Longest run, steps (>= ``steps``).
    extend_steps : int, optional
        Steps added per extension.

    Returns
    -------
    run : MDRun
        The run as it ends.
    verdict : Verdict
        Its verdict on ``column``.
    """
    from .runs import run_md

    extend = steps if extend_steps is None else extend_steps
    if max_steps < steps or extend < 1:
        raise ValueError(f"need max_steps >= steps and extend_steps >= 1; got {max_steps}, {steps}, {extend}")
    total = steps
    while True:
        run = run_md(atoms, calculator, steps=total, **run_options)
        verdict = run_verdict(run, column=column, discard_fraction=discard_fraction)
        if verdict.status != "drifting" or total >= max_steps:
            return run, verdict
        total = min(total + extend, max_steps)
