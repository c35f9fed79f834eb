"""The ``nnp-tutorial`` command line.

Each sub-command parses its options and calls library functions, so everything the command
line does can also be done (and is taught) in the notebooks. The options are generated from
the declarations of the settings (:mod:`nnp_tutorial.config`), checked before any work
starts: a bad value ends the command with status 2 and one line naming the option, the value
and the valid values. Each sub-command's ``--help`` ends with the files it writes.

=======================  ===================================================================
module                   content
=======================  ===================================================================
``parser``               options generated from declared settings; one-line usage errors
``provenance``           the one provenance record of every result
``inputs``               potentials, structure files, frames of a data set, start structures
``data``                 ``datasets``, ``predict``, ``evaluate``
``md``                   ``md``
``training``             ``train``, ``fisher``
``teacher``              ``make-teacher-dataset``
=======================  ===================================================================

Examples
--------
``nnp-tutorial datasets``
    List the registered data sets and potentials with their cache status.
``nnp-tutorial predict --model nnp-revpbe0-d3-cheng2019 water.xyz``
    Energies (eV) and forces (eV/Å) of the structures in a file.
``nnp-tutorial evaluate --model nnp-revpbe0-d3-cheng2019 --dataset revpbe0-d3``
    RMSEs of a potential against the labels of a data set.
``nnp-tutorial md --model nnp-revpbe0-d3-cheng2019 --ensemble npt --temperature 320 --ps 50 --out npt320``
    Molecular dynamics of 64 water molecules: thermo.csv, md.traj, summary.json
    (stability, density verdict: stable with mean ± error, drifting with its drift, or
    unstable; energy drift for NVE), figures; rerun to resume. ``--until-converged 100``
    extends an NPT run until its density stops drifting (at most 100 ps).
``nnp-tutorial train --dataset revpbe0-d3 --optimizer ekf --lr 1e-3 --steps 20000 --out runs/ekf``
    Train a potential; every field of ``TrainingConfig`` is an option (``--help`` lists them).
``nnp-tutorial make-teacher-dataset --teacher blyp``
    The BLYP teacher data set (``--dataset teacher-blyp``): liquid water and ice sampled by
    teacher MD and labelled by the published BLYP potential; rerun to resume.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from .. import __version__, _tensorflow
from ..errors import NNPTutorialError
from . import data, md, teacher, training
from .parser import Parser


def build_parser() -> Parser:
    """The argument parser of ``nnp-tutorial``."""
    parser = Parser(
        prog="nnp-tutorial",
        description="Adam vs extended Kalman filter training of neural network potentials for water.",
    )
    parser.add_argument("--version", action="version", version=f"nnp_tutorial {__version__}")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="local directory with the published data (layout of shared/data); "
        "default: $NNP_TUTORIAL_DATA, else download into the user cache",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (data, md, training, teacher):
        module.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``nnp-tutorial``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error (one line, status 2)
        return 0 if done.code is None else int(done.code)
    args.argv = argv  # recorded in result files
    np.set_printoptions(precision=6, suppress=True)
    if getattr(args, "tensorflow", True):  # sub-commands that need TensorFlow, without its start-up notes
        _tensorflow.import_quietly()
    try:
        return args.func(args)
    except NNPTutorialError as exc:
        print(f"nnp-tutorial: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nnp-tutorial: interrupted", file=sys.stderr)
        return 130
