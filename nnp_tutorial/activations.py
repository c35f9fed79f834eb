r"""Activation functions of the element networks, with n2p2's codes, and their derivatives.

Each entry gives :math:`\sigma(x)` and, from :math:`x` and :math:`y = \sigma(x)`,
:math:`\sigma'(x)` and :math:`\sigma''(x)`. The formulas are written once for an
array namespace ``xp``: the TensorFlow graph of :mod:`nnp_tutorial.model` evaluates
:math:`\sigma` with ``tf.experimental.numpy``, the closed-form label Jacobians of
:mod:`nnp_tutorial.network_derivatives` all three with NumPy.

=====  ==================  ===========================
 code  :math:`\sigma(x)`   n2p2 name
=====  ==================  ===========================
 l     x                   identity
 t     tanh x              hyperbolic tangent
 s     1/(1+e^{-x})        logistic
 p     ln(1+e^x)           softplus
 r     max(x, 0)           ReLU
 g     e^{-x^2/2}          Gaussian
 c     cos x               cosine
 S     1 - 1/(1+e^{-x})    reverse logistic
 e     e^{-x}              exponential
 h     x^2                 harmonic
=====  ==================  ===========================

>>> import numpy as np
>>> y, d1, d2 = ACTIVATIONS["t"].derivatives(np.array([0.5]), np)
>>> bool(abs(d1[0] - (1 - np.tanh(0.5) ** 2)) < 1e-15)
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _logistic(x, xp):
    return 1.0 / (1.0 + xp.exp(-x))


@dataclass(frozen=True)
class Activation:
    """One activation: ``value(x, xp)``, ``first(x, y, xp)`` and ``second(x, y, xp)`` (y = value)."""

    code: str
    value: Callable
    first: Callable
    second: Callable

    def derivatives(self, x, xp):
        """σ(x), σ'(x) and σ''(x), arrays of the shape of ``x``."""
        y = self.value(x, xp)
        return y, self.first(x, y, xp), self.second(x, y, xp)


ACTIVATIONS: dict[str, Activation] = {
    a.code: a
    for a in (
        Activation("l", lambda x, xp: x, lambda x, y, xp: xp.ones_like(x), lambda x, y, xp: xp.zeros_like(x)),
        Activation(
            "t",
            lambda x, xp: xp.tanh(x),
            lambda x, y, xp: 1.0 - y * y,
            lambda x, y, xp: -2.0 * y * (1.0 - y * y),
        ),
        Activation(
            "s", _logistic, lambda x, y, xp: y * (1.0 - y), lambda x, y, xp: y * (1.0 - y) * (1.0 - 2.0 * y)
        ),
        Activation(
            "p",
            lambda x, xp: xp.maximum(x, 0.0) + xp.log1p(xp.exp(-xp.abs(x))),
            lambda x, y, xp: _logistic(x, xp),
            lambda x, y, xp: _logistic(x, xp) * (1.0 - _logistic(x, xp)),
        ),
        Activation(
            "r",
            lambda x, xp: xp.maximum(x, 0.0),
            lambda x, y, xp: xp.where(x > 0.0, xp.ones_like(x), xp.zeros_like(x)),
            lambda x, y, xp: xp.zeros_like(x),
        ),
        Activation(
            "g",
            lambda x, xp: xp.exp(-0.5 * x * x),
            lambda x, y, xp: -x * y,
            lambda x, y, xp: (x * x - 1.0) * y,
        ),
        Activation("c", lambda x, xp: xp.cos(x), lambda x, y, xp: -xp.sin(x), lambda x, y, xp: -y),
        Activation(
            "S",
            lambda x, xp: 1.0 - _logistic(x, xp),
            lambda x, y, xp: -y * (1.0 - y),
            lambda x, y, xp: -y * (1.0 - y) * (2.0 * y - 1.0),
        ),
        Activation("e", lambda x, xp: xp.exp(-x), lambda x, y, xp: -y, lambda x, y, xp: y),
        Activation(
            "h", lambda x, xp: x * x, lambda x, y, xp: 2.0 * x, lambda x, y, xp: 2.0 * xp.ones_like(x)
        ),
    )
}
