"""nnp_tutorial: why the training algorithm matters for neural network potentials.

A teaching package that reproduces Adam vs extended-Kalman-filter training of
Behler–Parrinello networks for liquid water. Internal units are Å and eV
(:mod:`nnp_tutorial.units`).
"""

import logging as _logging
import os as _os

from ._tensorflow import ExpectedRetracing as _ExpectedRetracing

# TensorFlow prints C++ start-up notes on import; keep warnings and errors only.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# ... and warns when our compiled functions meet a new shape, which they do by design.
_logging.getLogger("tensorflow").addFilter(_ExpectedRetracing())

__version__ = "0.1.0"
