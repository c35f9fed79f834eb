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
# TensorFlow's default CPU allocator hands large buffers (XLA's scratch space for the
# angular terms, ~100 MB per 192-atom evaluation) back to the operating system after
# each call; on Linux without transparent huge pages every call then page-faults that
# memory in again: 24 900 faults and 78 ms of system time per evaluation, 124 ms in
# all, against 60 ms with TensorFlow's pooling (BFC) allocator, which keeps it.
# Read when TensorFlow creates its first CPU tensor, so it must be set before then.
_os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")
# ... and warns when our compiled functions meet a new shape, which they do by design.
_logging.getLogger("tensorflow").addFilter(_ExpectedRetracing())

__version__ = "0.1.0"
