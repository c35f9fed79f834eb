"""n2p2's reference predictions: the C++ test header and our text file of one example.

n2p2's ``test/cpp/ExamplePrediction.h`` stores the energy and forces n2p2 predicts for
its examples, as C++ (Hartree and Hartree/Bohr); :func:`parse_example_prediction` reads
one example from it, digit for digit. The numbers are kept in a plain text file::

    # free comment lines
    energy E
    force 1 fx fy fz
    force 2 fx fy fz
    ...

written by :func:`format_prediction` and read by :func:`read_prediction`, which converts
to eV and eV/Å (:mod:`nnp_tutorial.units`).

Examples
--------
>>> text = format_prediction("-1.0", [("0.5", "0", "0")], ["# a toy"])
>>> text.splitlines()
['# a toy', 'energy -1.0', 'force 1 0.5 0 0']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..units import HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM, HARTREE_TO_EV

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_EXAMPLE_START = re.compile(r'examples\.push_back\(\s*ExamplePrediction\(\s*"([^"]*)"\s*\)\s*\)')
_EXAMPLE_ENERGY = re.compile(rf"e->energy\s*=\s*({_NUMBER})\s*;")
_EXAMPLE_FORCE = re.compile(
    rf"e->forces\.push_back\(\s*(?:nnp::)?Vec3D\(\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*\)\s*\)\s*;"
)


def parse_example_prediction(
    text: str, example: str = "H2O_RPBE-D3", *, path: str | Path | None = None
) -> tuple[str, list[tuple[str, str, str]]]:
    """Energy and forces of one example in n2p2's ``test/cpp/ExamplePrediction.h``.

    The header stores each example as ::

        examples.push_back(ExamplePrediction("H2O_RPBE-D3"));
        e = &(examples.back());
        e->energy = -2.7564547347815904E+04;
        e->forces.push_back(nnp::Vec3D( -2.89...E-02,   2.72...E-03,   3.97...E-03));
        ...

    up to the next ``examples.push_back`` (Hartree and Hartree/Bohr).

    Parameters
    ----------
    text : str
        Contents of the header.
    example : str
        Example name.
    path : str or Path, optional
        File name for error messages.

    Returns
    -------
    energy : str
        The energy exactly as written (Hartree).
    forces : list of (str, str, str)
        One force vector per atom, as written (Hartree/Bohr).

    Raises
    ------
    InputError
        Example not found (the message lists those present), or a malformed line.
    """
    found: list[str] = []
    energy: str | None = None
    forces: list[tuple[str, str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        start = _EXAMPLE_START.search(line)
        if start:
            if found and found[-1] == example:
                break
            found.append(start[1])
        elif found and found[-1] == example and ("e->energy" in line or "e->forces" in line):
            pattern = _EXAMPLE_ENERGY if "e->energy" in line else _EXAMPLE_FORCE
            match = pattern.search(line)
            if match is None:
                expected = "e->energy = <number>;" if pattern is _EXAMPLE_ENERGY else "3 numbers in Vec3D"
                raise InputError(f"expected {expected!r}, found {line.strip()!r}", path=path, line=number)
            if pattern is _EXAMPLE_ENERGY:
                energy = match[1]
            else:
                forces.append((match[1], match[2], match[3]))
    if example not in found:
        raise InputError(f"example {example!r} not found; examples present: {found}", path=path)
    if energy is None or not forces:
        raise InputError(f"example {example!r} lacks an energy or forces", path=path)
    return energy, forces


def format_prediction(energy: str, forces: Sequence[tuple[str, str, str]], comments: Sequence[str]) -> str:
    """Text of a prediction file: the ``comments`` lines, ``energy E``, then ``force i fx fy fz``.

    Parameters
    ----------
    energy : str
        Total energy as it is to be written (Hartree).
    forces : sequence of (str, str, str)
        One force vector per atom as it is to be written (Hartree/Bohr); ``i`` counts from 1.
    comments : sequence of str
        Header lines, each starting with ``#``.
    """
    if not all(line.startswith("#") and "\n" not in line for line in comments):
        raise ValueError(f"comment lines must start with '#' and hold no newline: {comments!r}")
    lines = [f"energy {energy}"] + [f"force {i} {x} {y} {z}" for i, (x, y, z) in enumerate(forces, start=1)]
    return "\n".join([*comments, *lines]) + "\n"


def read_prediction(path: str | Path) -> tuple[float, np.ndarray]:
    """Energy and forces from a prediction file (see :func:`format_prediction`).

    Returns
    -------
    energy_eV : float
        Total energy in eV (Hartree in the file).
    forces_eV_per_A : ndarray of shape (n_atoms, 3)
        Forces in eV/Å (Hartree/Bohr in the file), in the order of the ``force`` lines.

    Raises
    ------
    InputError
        A line that is neither a comment, ``energy E`` nor the next ``force i fx fy fz``, or
        no energy or forces (with file and line).
    """
    energy_Ha: float | None = None
    forces_Ha_per_Bohr: list[list[float]] = []
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            try:
                if fields[0] == "energy" and len(fields) == 2:
                    energy_Ha = float(fields[1])
                    continue
                if (
                    fields[0] == "force"
                    and len(fields) == 5
                    and int(fields[1]) == len(forces_Ha_per_Bohr) + 1
                ):
                    forces_Ha_per_Bohr.append([float(x) for x in fields[2:]])
                    continue
            except ValueError:
                pass
            expected = f"'energy E' or 'force {len(forces_Ha_per_Bohr) + 1} fx fy fz'"
            raise InputError(f"expected {expected}, found {line.strip()!r}", path=path, line=number)
    if energy_Ha is None or not forces_Ha_per_Bohr:
        raise InputError("no 'energy' line or no 'force' lines", path=path)
    return (
        energy_Ha * HARTREE_TO_EV,
        np.array(forces_Ha_per_Bohr) * HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM,
    )
