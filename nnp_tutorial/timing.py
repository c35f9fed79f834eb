"""Wall-clock timing shared by the benchmark scripts and :mod:`nnp_tutorial.training.cost`."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def median_ms(function: Callable[[], object], repeats: int, warmup: int = 1) -> tuple[float, float, float]:
    """Median, first and third quartile of ``function()`` wall time in ms, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(1000 * (time.perf_counter() - start))
    q1, med, q3 = np.percentile(times, [25, 50, 75])
    return med, q1, q3
