"""Numbers read off training histories: the cost of an update, an ensemble's RMSE at given points.

A history is the table :class:`~nnp_tutorial.training.Trainer` records (and
:func:`~nnp_tutorial.training.outputs.read_training_run` reads back): one row for the
initial network (``step`` −1, ``kind`` ``"initial"``) and one per update, with the
training wall time ``wall_time_s`` (s) after it, its ``kind`` (``"energy"`` or
``"force"``), and the validation RMSEs ``energy_rmse`` (meV/atom) and ``force_rmse``
(meV/Å) on the rows where a validation followed.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .plots import ensemble_band


def cost_per_update(history: pd.DataFrame) -> pd.Series:
    """Median wall time of one update, ms, per kind of batch (``"energy"``, ``"force"``).

    The time of an update is the difference of ``wall_time_s`` between it and the update
    before; the median ignores the few updates that include a validation or a compilation.

    Parameters
    ----------
    history : DataFrame
        Columns ``kind`` and ``wall_time_s`` (s), one row per update (other rows ignored).

    Returns
    -------
    Series
        Indexed by kind, in ms.
    """
    updates = history[history["kind"].isin(["energy", "force"])]
    return 1000 * updates["wall_time_s"].diff().groupby(updates["kind"]).median()


def ensemble_rmse_at(runs: list[pd.DataFrame], x: str, positions: Iterable[float]) -> list[float]:
    """Geometric-mean force RMSE (meV/Å) of an ensemble at the given steps or times.

    The ensemble's band (:func:`~nnp_tutorial.training.plots.ensemble_band`) is
    interpolated linearly between its points; a position beyond its last point gives NaN.

    Parameters
    ----------
    runs : list of DataFrame
        Histories of the runs (seeds) of one optimiser.
    x : {"step", "wall_time_s"}
        What ``positions`` are: numbers of updates, or training wall times in s.
    positions : iterable of float

    Returns
    -------
    list of float
        One RMSE per position, meV/Å.
    """
    band = ensemble_band(runs, "force_rmse", x)
    last = band["x"].iloc[-1]
    return [float(np.interp(p, band["x"], band["mean"])) if p <= last else np.nan for p in positions]
