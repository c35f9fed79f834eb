"""nnp_tutorial: why the training algorithm matters for neural network potentials.

A teaching package that reproduces Adam vs extended-Kalman-filter training of
Behler–Parrinello networks for liquid water. Internal units are Å and eV
(:mod:`nnp_tutorial.units`).
"""

import os as _os

# TensorFlow prints C++ start-up notes on import; keep warnings and errors only.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
