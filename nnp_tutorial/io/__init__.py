"""Readers and writers for RuNNer/n2p2 files and the structure files of the data sets.

Files are in Bohr and Hartree; everything returned here is in Å and eV
(:mod:`nnp_tutorial.units`). This is the only place where those conversions
happen.

Modules
-------
:mod:`~nnp_tutorial.io.input_nn`
    ``input.nn`` read and written, as the settings of
:mod:`~nnp_tutorial.io.nnp_settings`
    (:class:`NNPSettings`: symmetry functions, topology, scaling, normalisation).
:mod:`~nnp_tutorial.io.scaling`
    ``scaling.data`` symmetry-function statistics.
:mod:`~nnp_tutorial.io.weights`
    ``weights.XXX.data`` network connections.
:mod:`~nnp_tutorial.io.input_data`
    ``input.data`` structures with energies and forces.
:mod:`~nnp_tutorial.io.quip`
    libAtoms/QUIP extended XYZ in Bohr and Hartree (the revPBE0-D3 set).
:mod:`~nnp_tutorial.io.extxyz`
    extended XYZ in Å and eV, written at full precision and streamed back.
:mod:`~nnp_tutorial.io.formats`
    the frame readers of the data sets by format name.
:mod:`~nnp_tutorial.io.reference_prediction`
    n2p2's ``ExamplePrediction.h`` and our file of its reference energy and forces.
:mod:`~nnp_tutorial.io.atomic`
    :func:`~nnp_tutorial.io.atomic.atomic_write`: a file appears whole or not at all.
"""

from .input_data import read_input_data, write_input_data
from .input_nn import read_input_nn, write_input_nn
from .nnp_settings import NNPSettings, Normalization
from .scaling import ScalingData, read_scaling, write_scaling
from .weights import read_weights, write_weights

__all__ = [
    "NNPSettings",
    "Normalization",
    "ScalingData",
    "read_input_data",
    "read_input_nn",
    "read_scaling",
    "read_weights",
    "write_input_data",
    "write_input_nn",
    "write_scaling",
    "write_weights",
]
