"""Calling a ``tf.function`` again without TensorFlow's per-call dispatch.

Each call of a ``tf.function`` works out a trace type for every argument to
find its concrete function: 0.3–0.7 ms of Python per call for the functions of
one training step (measured on the 2-core machine), where the step itself takes
3–5 ms for an energy label with Adam, and about 0.5 ms of every MD step.
:class:`ShapeDispatch` keeps the concrete functions by the shapes and dtypes of
the tensor arguments and the values of the Python ones, which it reads
directly, and calls the concrete function.

Example
-------
>>> import tensorflow as tf
>>> square = ShapeDispatch(tf.function(lambda x, n: x**n))
>>> float(square(tf.constant(3.0), 2)), len(square)
(9.0, 1)
>>> float(square(tf.constant(2.0), 2)), len(square)  # same shapes: no new trace
(4.0, 1)
"""

from __future__ import annotations

from collections.abc import Hashable

import tensorflow as tf


def _key(value: object) -> Hashable:
    """Shape and dtype of a tensor or variable; the value itself otherwise (Python arguments)."""
    if isinstance(value, (tf.Tensor, tf.Variable)):
        return tuple(value.shape), value.dtype
    return value


class ShapeDispatch:
    """A ``tf.function`` called through its concrete function for each argument signature.

    Parameters
    ----------
    function : tf.types.experimental.PolymorphicFunction
        Called with the same arguments as before; nested lists and tuples of
        tensors, variables (passed as inputs, so the models that share an
        :class:`~nnp_tutorial.architecture.Architecture` share its traces) and hashable
        Python values.
    """

    def __init__(self, function) -> None:
        self.function = function
        self._concrete: dict[Hashable, object] = {}

    def __call__(self, *args):
        key = tuple(_key(x) for x in tf.nest.flatten(args))
        concrete = self._concrete.get(key)
        if concrete is None:
            concrete = self._concrete[key] = self.function.get_concrete_function(*args)
        return concrete(*args)

    def __len__(self) -> int:
        """Number of argument signatures seen."""
        return len(self._concrete)
