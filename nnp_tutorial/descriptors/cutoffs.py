r"""Cutoff functions :math:`f_c(r)`, numbered as in n2p2 (``cutoff_type``).

=====  =========  ===================================================================  ==========
 code  name       formula for :math:`r < r_c` (zero beyond)                             inner α
=====  =========  ===================================================================  ==========
 1     ``cos``    :math:`\tfrac12[\cos(\pi x)+1]`, :math:`x=(r-\alpha r_c)/(r_c-\alpha r_c)`,  yes
                  :math:`f_c=1` for :math:`r<\alpha r_c`
 2     ``tanhu``  :math:`\tanh^3(1-r/r_c)` (unnormalised, RuNNer/Behler's choice)      no
 3     ``tanh``   :math:`\tanh^3(1-r/r_c)/\tanh^3(1)`, so :math:`f_c(0)=1` (PiNN's       no
                  ``cutoff_type: f2``, see :mod:`nnp_tutorial.io.pinn`)
=====  =========  ===================================================================  ==========

Each entry maps a distance tensor (any shape, Å) to :math:`f_c` of the same
shape; they are differentiable everywhere, including at :math:`r_c`. Each also
has its analytic derivative :math:`df_c/dr` (1/Å), used by the hand-written
gradients of the angular symmetry functions. The formulas are written once, for an
array namespace ``xp`` (``tf`` or ``np``), so that the compiled loops of
:mod:`nnp_tutorial.descriptors.loops` evaluate the same code with NumPy.

Examples
--------
>>> import numpy as np
>>> f = get_cutoff(2)
>>> float(f(np.array([0.0]), rc=6.0, alpha=0.0)[0]) == float(np.tanh(1.0) ** 3)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ..errors import UnknownNameError


@dataclass(frozen=True)
class CutoffFunction:
    """One entry of the cutoff registry.

    Attributes
    ----------
    code : int
        n2p2 ``cutoff_type`` number.
    name : str
        Short name.
    function : callable
        ``function(r, rc, alpha, xp) -> f_c`` on float tensors (``xp=tf``) or arrays (``xp=np``), Å.
    derivative : callable
        ``derivative(r, rc, alpha, xp) -> df_c/dr`` (1/Å).
    uses_alpha : bool
        Whether the inner cutoff parameter α is used.
    """

    code: int
    name: str
    function: Callable
    derivative: Callable
    uses_alpha: bool

    def __call__(self, r, rc: float, alpha: float = 0.0) -> tf.Tensor:
        """Evaluate :math:`f_c(r)`; zero for ``r >= rc``."""
        r = _as_tensor(r)
        inside = r < rc
        # Evaluate on a clipped copy so that the unused branch never produces
        # NaN or non-zero gradients outside the cutoff.
        value = self.function(tf.where(inside, r, tf.zeros_like(r)), rc, alpha, tf)
        return tf.where(inside, value, tf.zeros_like(r))

    def value_and_derivative(self, r, rc: float, alpha: float = 0.0) -> tuple[tf.Tensor, tf.Tensor]:
        """:math:`f_c(r)` and :math:`df_c/dr`, both zero for ``r >= rc``."""
        return self._value_and_derivative(_as_tensor(r), rc, alpha, tf)

    def value_and_derivative_numpy(
        self, r: np.ndarray, rc: float, alpha: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`value_and_derivative` evaluated by NumPy: float64 arrays in and out."""
        return self._value_and_derivative(np.asarray(r, dtype=np.float64), rc, alpha, np)

    def _value_and_derivative(self, r, rc: float, alpha: float, xp):
        inside = r < rc
        clipped = xp.where(inside, r, xp.zeros_like(r))
        zero = xp.zeros_like(r)
        return (
            xp.where(inside, self.function(clipped, rc, alpha, xp), zero),
            xp.where(inside, self.derivative(clipped, rc, alpha, xp), zero),
        )


def _as_tensor(r) -> tf.Tensor:
    """``r`` as a tensor: tensors keep their float type (float32 or float64), the rest become float64."""
    return r if isinstance(r, tf.Tensor) else tf.convert_to_tensor(r, dtype=tf.float64)


_REGISTRY: dict[int, CutoffFunction] = {}


def register_cutoff(code: int, name: str, derivative: Callable, *, uses_alpha: bool = False):
    """Decorator adding a cutoff formula (and its derivative) to the registry.

    Duplicate codes or names are refused.
    """

    def wrap(function: Callable) -> Callable:
        if code in _REGISTRY or any(c.name == name for c in _REGISTRY.values()):
            raise ValueError(f"cutoff type {code} ({name}) is already registered")
        _REGISTRY[code] = CutoffFunction(code, name, function, derivative, uses_alpha)
        return function

    return wrap


def _cos_x(r, rc, alpha, xp):
    rci = alpha * rc
    return xp.maximum(r - rci, 0.0) / (rc - rci), rc - rci


def _cos_derivative(r, rc, alpha, xp):
    x, width = _cos_x(r, rc, alpha, xp)
    return -0.5 * math.pi / width * xp.sin(math.pi * x)  # zero inside the inner cutoff (x = 0)


@register_cutoff(1, "cos", _cos_derivative, uses_alpha=True)
def _cos(r, rc, alpha, xp):
    x, _ = _cos_x(r, rc, alpha, xp)
    return 0.5 * (xp.cos(math.pi * x) + 1.0)


def _tanhu_derivative(r, rc, alpha, xp):
    t2 = xp.tanh(1.0 - r / rc) ** 2
    return 3.0 * t2 * (t2 - 1.0) / rc


@register_cutoff(2, "tanhu", _tanhu_derivative)
def _tanhu(r, rc, alpha, xp):
    return xp.tanh(1.0 - r / rc) ** 3


_TANH_NORM = 1.0 / math.tanh(1.0) ** 3


def _tanh_derivative(r, rc, alpha, xp):
    return _TANH_NORM * _tanhu_derivative(r, rc, alpha, xp)


@register_cutoff(3, "tanh", _tanh_derivative)
def _tanh(r, rc, alpha, xp):
    """PiNN's ``f2`` (``pinn/layers.py``, ``CutoffFunc``) and n2p2's ``CT_TANH``."""
    return _TANH_NORM * xp.tanh(1.0 - r / rc) ** 3


def get_cutoff(code: int | str) -> CutoffFunction:
    """Look up a cutoff function by n2p2 code (``2``) or name (``"tanhu"``).

    Raises
    ------
    UnknownNameError
        If no such cutoff exists; the message lists the valid ones.
    """
    for c in _REGISTRY.values():
        if code == c.code or code == c.name or str(code) == str(c.code):
            return c
    valid = [f"{c.code} ({c.name})" for c in _REGISTRY.values()]
    raise UnknownNameError("cutoff type", str(code), valid)
