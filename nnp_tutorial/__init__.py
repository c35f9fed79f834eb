"""nnp_tutorial: why the training algorithm matters for neural network potentials.

A teaching package that reproduces Adam vs extended-Kalman-filter training of
Behler–Parrinello networks for liquid water. Internal units are Å and eV
(:mod:`nnp_tutorial.units`).

What a notebook or a script needs is importable from here; each name is loaded from its
module when first used (so that ``import nnp_tutorial.tutorial.views`` does not start TensorFlow):

==========================  ==================================================================
data                        :func:`load_structures`, :func:`load_potential`, :func:`fetch`,
                            :func:`spread` (:mod:`nnp_tutorial.datasets`)
potential                   :class:`BehlerParrinelloNetwork`, :class:`SymmetryFunctionSet`,
                            :class:`NNPCalculator` (ASE)
training                    :class:`TrainingConfig`, :class:`Trainer`, :func:`default_descriptor`,
                            :func:`read_training_run`
molecular dynamics          :func:`water_box`, :func:`run_md`, :func:`load_run`,
                            :func:`mean_density`, :func:`radial_distribution`
Fisher information          :func:`l1_gradients`, :func:`fisher_spectrum`
==========================  ==================================================================

Example: the published revPBE0-D3 potential of Cheng et al. on one of its own training
structures (downloaded once, or read from ``$NNP_TUTORIAL_DATA``)

>>> import nnp_tutorial as nt
>>> model = nt.load_potential("nnp-revpbe0-d3-cheng2019")
>>> frame = nt.load_structures("revpbe0-d3", index=slice(0, 1))[0]
>>> reference = frame.get_potential_energy()  # eV, revPBE0-D3
>>> frame.calc = nt.NNPCalculator(model)
>>> len(frame), bool(abs(frame.get_potential_energy() - reference) / len(frame) < 0.005)  # eV/atom
(192, True)
"""

import logging as _logging
import os as _os

from ._tensorflow import ExpectedRetracing as _ExpectedRetracing
from .lazy import lazy_exports as _lazy_exports

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

#: public name -> the module that defines it (loaded on first use, PEP 562)
_API = {
    "load_structures": "datasets",
    "load_potential": "datasets",
    "fetch": "datasets",
    "spread": "datasets",
    "BehlerParrinelloNetwork": "model",
    "SymmetryFunctionSet": "descriptors",
    "NNPCalculator": "calculator",
    "TrainingConfig": "training",
    "Trainer": "training",
    "default_descriptor": "training",
    "read_training_run": "training.outputs",
    "water_box": "md",
    "run_md": "md",
    "load_run": "md",
    "mean_density": "md",
    "radial_distribution": "md",
    "l1_gradients": "fisher",
    "fisher_spectrum": "fisher",
}

__all__ = ["__version__", *_API]

__getattr__, __dir__ = _lazy_exports(__name__, _API)
