"""Wall-clock timing shared by the benchmark scripts and :mod:`nnp_tutorial.training.cost`."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def median_ms(function: Callable[[], object], repeats: int, warmup: int = 1) -> tuple[float, float, float]:
    """Median, first and third quartile of ``function()`` wall time in ms, after ``warmup`` untimed calls."""
    return interleaved_median_ms({"": function}, repeats, warmup)[""]


def interleaved_median_ms(
    functions: dict[str, Callable[[], object]], repeats: int, warmup: int = 1
) -> dict[str, tuple[float, float, float]]:
    """:func:`median_ms` of several functions, timed in turn (one call of each per round).

    On a shared machine whose speed drifts within a minute, ratios of these
    medians compare like with like, where back-to-back series would not.
    """
    for _ in range(warmup):
        for function in functions.values():
            function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(1000 * (time.perf_counter() - start))
    result = {}
    for name, series in times.items():
        q1, med, q3 = np.percentile(series, [25, 50, 75])
        result[name] = (med, q1, q3)
    return result
