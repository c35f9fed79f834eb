"""Cutoff functions against their formulas (the table in :mod:`nnp_tutorial.descriptors.cutoffs`)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from nnp_tutorial.descriptors.cutoffs import CutoffFunction, get_cutoff, register_cutoff
from nnp_tutorial.errors import UnknownNameError

RC = 6.35  # Å


def reference(code: int, r: np.ndarray, rc: float, alpha: float) -> np.ndarray:
    """The formulas of the module docstring, written out in numpy."""
    out = np.zeros_like(r)
    inside = r < rc
    x = r[inside]
    if code == 1:
        inner = alpha * rc
        t = (x - inner) / (rc - inner)
        out[inside] = np.where(x < inner, 1.0, 0.5 * (np.cos(np.pi * t) + 1.0))
    elif code == 2:
        out[inside] = np.tanh(1.0 - x / rc) ** 3
    elif code == 3:
        out[inside] = np.tanh(1.0 - x / rc) ** 3 / np.tanh(1.0) ** 3
    return out


CASES = [(1, 0.0), (1, 0.4), (2, 0.0), (3, 0.0)]


@pytest.mark.parametrize(("code", "alpha"), CASES)
def test_values_match_formula(code, alpha):
    """f_c(r) equals the documented formula (rtol 1e-13), is zero at and beyond r_c."""
    r = np.concatenate([np.linspace(0.0, 1.5 * RC, 301), [RC, RC * (1 + 1e-15), 100.0]])
    got = get_cutoff(code)(r, RC, alpha).numpy()
    want = reference(code, r, RC, alpha)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-300)
    assert np.all(got[r >= RC] == 0.0)
    assert np.all(got[r < RC * (1 - 1e-6)] > 0.0)
    assert np.all(np.diff(got) <= 1e-16)  # non-increasing


def test_special_values():
    """Closed-form values: cos type is 1 at 0 (and below α r_c) and 1/2 halfway; tanh types at 0."""
    cos, tanhu, tanh = get_cutoff(1), get_cutoff(2), get_cutoff(3)
    assert float(cos([0.0], RC)[0]) == 1.0
    np.testing.assert_allclose(float(cos([RC / 2], RC)[0]), 0.5, rtol=1e-15)
    # with alpha = 0.5: 1 up to r_c/2, 1/2 at 3 r_c / 4
    assert np.all(cos(np.linspace(0, 0.5 * RC * (1 - 1e-12), 10), RC, 0.5).numpy() == 1.0)
    np.testing.assert_allclose(float(cos([0.75 * RC], RC, 0.5)[0]), 0.5, rtol=1e-15)
    np.testing.assert_allclose(float(tanhu([0.0], RC)[0]), math.tanh(1.0) ** 3, rtol=1e-15)
    np.testing.assert_allclose(float(tanh([0.0], RC)[0]), 1.0, rtol=1e-15)


@pytest.mark.parametrize(("code", "alpha"), CASES)
def test_derivative_is_finite_and_vanishes_at_rc(code, alpha):
    """The autodiff gradient matches central differences inside, is 0 beyond r_c and -> 0 at r_c."""
    f = get_cutoff(code)
    r = tf.constant(np.array([0.3, 0.45 * RC, 0.8 * RC, RC * (1 - 1e-6), RC, 1.2 * RC]))
    with tf.GradientTape() as tape:
        tape.watch(r)
        value = f(r, RC, alpha)
    grad = tape.gradient(value, r).numpy()
    assert np.all(np.isfinite(grad))
    assert np.all(grad[-2:] == 0.0)
    assert abs(grad[3]) < 1e-5
    h = 1e-6
    x = r.numpy()[:3]
    numeric = (reference(code, x + h, RC, alpha) - reference(code, x - h, RC, alpha)) / (2 * h)
    np.testing.assert_allclose(grad[:3], numeric, rtol=1e-6, atol=1e-9)


def test_registry_lookup():
    """Look-up by code, by name and by code as a string; unknown names list the valid ones."""
    assert get_cutoff(2) is get_cutoff("tanhu") is get_cutoff("2")
    assert isinstance(get_cutoff(1), CutoffFunction)
    assert get_cutoff("cos").uses_alpha and not get_cutoff(2).uses_alpha
    assert [get_cutoff(c).code for c in (1, 2, 3)] == [1, 2, 3]
    with pytest.raises(
        UnknownNameError, match=r"unknown cutoff type '7'; valid names: 1 \(cos\), 2 \(tanhu\)"
    ):
        get_cutoff(7)
    with pytest.raises(KeyError):  # UnknownNameError is also a KeyError
        get_cutoff("polynomial")


def test_duplicate_registration_is_refused():
    """Registering an existing code or name raises and leaves the registry unchanged."""
    before = get_cutoff(2)
    with pytest.raises(ValueError, match="already registered"):
        register_cutoff(2, "other", lambda r, rc, alpha: r)(lambda r, rc, alpha: r)
    with pytest.raises(ValueError, match="already registered"):
        register_cutoff(99, "tanhu", lambda r, rc, alpha: r)(lambda r, rc, alpha: r)
    assert get_cutoff(2) is before
    with pytest.raises(UnknownNameError):
        get_cutoff(99)


@pytest.mark.parametrize(("code", "alpha"), [(1, 0.0), (1, 0.4), (2, 0.0), (3, 0.0)])
def test_analytic_derivative_matches_finite_differences(code, alpha):
    """value_and_derivative: value equals __call__, df/dr equals central differences (rtol 1e-8)."""
    f = get_cutoff(code)
    r = np.linspace(0.05, 1.2 * RC, 301)
    r = r[np.abs(r - RC) > 1e-3]  # avoid straddling r_c with the difference stencil
    if alpha:
        r = r[np.abs(r - alpha * RC) > 1e-3]
    value, derivative = (x.numpy() for x in f.value_and_derivative(r, RC, alpha))
    np.testing.assert_array_equal(value, f(r, RC, alpha).numpy())
    h = 1e-6
    numeric = (f(r + h, RC, alpha).numpy() - f(r - h, RC, alpha).numpy()) / (2 * h)
    np.testing.assert_allclose(derivative, numeric, rtol=1e-8, atol=1e-9)
    assert np.all(derivative[r >= RC] == 0.0)


@pytest.mark.parametrize(("code", "alpha"), [(1, 0.0), (1, 0.4), (2, 0.0), (3, 0.0)])
def test_numpy_evaluation_matches_tensorflow(code, alpha):
    """value_and_derivative_numpy (the compiled loops' path): TensorFlow's numbers to 1e-15, as arrays."""
    f = get_cutoff(code)
    r = np.linspace(0.0, 1.2 * RC, 301)
    value, derivative = f.value_and_derivative_numpy(r, RC, alpha)
    assert isinstance(value, np.ndarray) and isinstance(derivative, np.ndarray)
    expected = [x.numpy() for x in f.value_and_derivative(r, RC, alpha)]
    np.testing.assert_allclose(value, expected[0], rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(derivative, expected[1], rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(value, reference(code, r, RC, alpha), rtol=1e-14, atol=1e-15)
