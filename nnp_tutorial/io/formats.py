"""Structure formats of the registered data sets, by name: :func:`frame_reader`.

A frame reader ``reader(path, want)`` streams a file: it yields ``(frame, atoms)`` for
every frame in file order, with ``atoms`` an ``ase.Atoms`` where ``want(frame)`` is true
and None otherwise (such frames are skipped with as little parsing as the format allows).
Every reader returns Å and eV: positions (as stored, not wrapped) and cell in Å, energy in
eV and forces of shape (n_atoms, 3) in eV/Å in a ``SinglePointCalculator``.

==================  ===================================================  =====================
format              reader                                               units of the file
==================  ===================================================  =====================
``extxyz-quip-au``  :func:`~nnp_tutorial.io.quip.read_quip_au`           Bohr, Hartree
``runner``          :func:`~nnp_tutorial.io.input_data.read_input_data`  Bohr, Hartree
``extxyz``          :func:`~nnp_tutorial.io.extxyz.read_extxyz_frames`   Å, eV
==================  ===================================================  =====================

Examples
--------
>>> sorted(FRAME_READERS)
['extxyz', 'extxyz-quip-au', 'runner']
>>> frame_reader("runner").__name__
'read_runner_frames'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from ase import Atoms

from ..errors import UnknownNameError
from .extxyz import read_extxyz_frames
from .input_data import read_input_data
from .quip import read_quip_au

#: ``reader(path, want)`` -> iterator of ``(frame, Atoms or None)`` (see the module docstring).
FrameReader = Callable[[Path, Callable[[int], bool]], Iterator[tuple[int, Atoms | None]]]


def read_runner_frames(path: Path, want: Callable[[int], bool]) -> Iterator[tuple[int, Atoms | None]]:
    """Frames of a RuNNer/n2p2 ``input.data`` as a frame reader (:func:`read_input_data`)."""
    for frame, atoms in enumerate(read_input_data(path)):
        yield frame, atoms if want(frame) else None


#: Frame readers by format name (the ``format`` of a registered data set).
FRAME_READERS: dict[str, FrameReader] = {
    "extxyz-quip-au": read_quip_au,
    "runner": read_runner_frames,
    "extxyz": read_extxyz_frames,
}


def frame_reader(format: str) -> FrameReader:
    """The frame reader of ``format``.

    Raises
    ------
    UnknownNameError
        Unknown format (the message lists the known ones).
    """
    try:
        return FRAME_READERS[format]
    except KeyError:
        raise UnknownNameError("structure format", format, list(FRAME_READERS)) from None
