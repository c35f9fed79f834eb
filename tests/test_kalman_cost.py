"""Measured cost of the Kalman update: memory exactly as P's size, and the update in place."""

from __future__ import annotations

import numpy as np
import pytest

from nnp_tutorial.training.cost import equal_blocks, measure_kalman_update, power_law


@pytest.mark.parametrize(
    ("n_blocks", "dtype", "expected"),
    [(1, "float64", 8 * 300**2), (3, "float64", 3 * 8 * 100**2), (1, "float32", 4 * 300**2)],
)
def test_covariance_memory_is_the_size_of_p(n_blocks, dtype, expected):
    cost = measure_kalman_update(300, n_blocks=n_blocks, dtype=dtype, repeats=2)
    assert cost.covariance_bytes == expected
    assert cost.n_weights == 300 and cost.n_blocks == n_blocks
    assert cost.seconds > 0 and cost.pass_seconds > 0


def test_the_update_allocates_little_besides_p():
    """P (8 MB) is updated in place; the gain and temporaries are a few (n, m) arrays."""
    cost = measure_kalman_update(1000, repeats=1)
    assert cost.covariance_bytes == 8_000_000
    assert 8 * 1000 * 10 < cost.extra_bytes < cost.covariance_bytes / 10


def test_equal_blocks_partition_the_weights():
    blocks = equal_blocks(10, 3)
    assert [(b.start, b.stop) for b in blocks] == [(0, 3), (3, 7), (7, 10)]


def test_power_law_recovers_prefactor_and_exponent():
    n = np.array([100, 300, 1000, 3000])
    assert power_law(n, 2e-9 * n**2.0) == pytest.approx((2e-9, 2.0), rel=1e-10)
