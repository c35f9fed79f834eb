"""Loaders: registered (or generated) data sets as ASE structures, potentials as models.

:func:`iter_structures`, :func:`load_structures`, :func:`count_structures`, :func:`load_potential` and
:func:`reference_prediction` return ASE objects in Å and eV; the files are read and
converted (Bohr, Hartree) by :mod:`nnp_tutorial.io`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from ..errors import UnknownNameError
from ..io.formats import frame_reader
from ..io.reference_prediction import read_prediction
from .catalogue import REFERENCE_PREDICTION_FILE
from .fetching import fetch
from .registry import generated_file, potential_entry, structure_entry
from .selection import Index, ReadFrames, check_index, count_frames, select_frames

if TYPE_CHECKING:  # the model imports TensorFlow; load it only when a potential is asked for
    from ..model import BehlerParrinelloNetwork


def iter_structures(name: str, *, data_dir: str | Path | None = None, index: Index = None) -> Iterator[Atoms]:
    """Stream the labelled structures of a data set, one ``Atoms`` at a time.

    Parameters
    ----------
    name : str
        ``"revpbe0-d3"``, ``"rpbe-d3-train20"``, ``"n2p2-example-1080"`` or
        ``"rpbe-d3-lesfit-test"``; or a generated data set known to a resolver registered
        with :func:`~nnp_tutorial.datasets.register_generated`: :mod:`nnp_tutorial.teacher`
        registers its teacher sets, ``"teacher-blyp"`` (from the cache) or the directory
        a set was written to. A name that is not a published entry is asked of the
        resolvers, whose modules (:data:`~nnp_tutorial.datasets.catalogue.GENERATORS`)
        are imported then.
    data_dir : str or Path, optional
        Local data directory (see :func:`~nnp_tutorial.datasets.fetch`).
    index : int, slice or sequence of int, optional
        Frames to return (all by default), with Python's meaning of negative
        values; a list is returned in its own order.

    Returns
    -------
    iterator of ase.Atoms
        A generator. Positions (wrapped into the cell) and cell in Å;
        ``get_potential_energy()`` in eV and ``get_forces()`` of shape
        (n_atoms, 3) in eV/Å from a ``SinglePointCalculator``;
        ``atoms.info["frame"]`` is the 0-based frame number in the file.
        Only the frame being returned is held in memory (for an unordered list
        of indices or a reversed slice, the selected frames are read first).

    Raises
    ------
    UnknownNameError
        ``name`` is not a structure data set.
    DatasetNotGeneratedError
        A teacher set that has not been generated (the message names the command).
    InputError
        A malformed frame (with file, line and frame number).
    IndexError
        An integer index beyond the last frame.
    """
    check_index(index)
    return select_frames(_frames_of(name, data_dir), index, name)


def count_structures(name: str, *, data_dir: str | Path | None = None) -> int:
    """Number of structures in data set ``name`` (:func:`iter_structures`), without building them."""
    return count_frames(_frames_of(name, data_dir))


def _frames_of(name: str, data_dir: str | Path | None) -> ReadFrames:
    """The ``read(want)`` function of data set ``name`` (:data:`~.selection.ReadFrames`)."""
    path, file_format = _structure_file(name, data_dir)
    reader = frame_reader(file_format)

    def read(want: Callable[[int], bool]) -> Iterator[tuple[int, Atoms | None]]:
        with closing(reader(path, want)) as frames:
            for frame, atoms in frames:
                yield frame, None if atoms is None else _wrapped(atoms)

    return read


def _structure_file(name: str, data_dir: str | Path | None) -> tuple[Path, str]:
    """The structure file of the data set ``name`` and its format (a frame reader's name).

    A published entry's (fetched); else a generated set's, from the resolvers
    (:func:`~nnp_tutorial.datasets.registry.generated_file` imports their modules), in
    extended XYZ. A name neither knows raises the entries' UnknownNameError.
    """
    try:
        entry = structure_entry(name)
    except UnknownNameError as error:
        unknown = error
    else:
        directory = fetch(name, data_dir=data_dir)
        path = directory / entry.structures
        if not path.is_file():
            path = directory / PurePosixPath(entry.file(entry.structures).local_path).name  # the .xz copy
        return path, entry.format
    path = generated_file(name)  # outside the except clause: its errors are not chained to `unknown`
    if path is None:
        raise unknown
    return path, "extxyz"


def _wrapped(atoms: Atoms) -> Atoms:
    """``atoms`` wrapped into its cell, with its energy (eV) and forces (eV/Å) attached again.

    In this order: a SinglePointCalculator stops answering once the positions change.
    """
    results = atoms.calc.results
    atoms.calc = None
    atoms.wrap()
    atoms.calc = SinglePointCalculator(
        atoms, energy=float(results["energy"]), forces=np.asarray(results["forces"])
    )
    return atoms


def load_structures(name: str, *, data_dir: str | Path | None = None, index: Index = None) -> list[Atoms]:
    """:func:`iter_structures` as a list."""
    return list(iter_structures(name, data_dir=data_dir, index=index))


def load_potential(name: str, data_dir: str | Path | None = None) -> BehlerParrinelloNetwork:
    """A registered potential as :class:`nnp_tutorial.model.BehlerParrinelloNetwork` (eV, Å).

    Works for the ``"potential"`` entries, for ``"n2p2-example-1080"`` and for
    the PiNN checkpoint ``"pinn-blyp-adam"`` (:mod:`nnp_tutorial.io.pinn`).

    Parameters
    ----------
    name : str
        Registered name.
    data_dir : str or Path, optional
        Local data directory (see :func:`~nnp_tutorial.datasets.fetch`).

    Returns
    -------
    BehlerParrinelloNetwork
        ``BehlerParrinelloNetwork.from_n2p2(fetch(name))`` or
        ``load_pinn_potential(fetch(name))``: energies in eV, forces in eV/Å.

    Raises
    ------
    UnknownNameError
        ``name`` holds no potential (the message lists the ones that do).
    """
    entry = potential_entry(name)
    if entry.potential == "pinn":
        from ..io.pinn import load_pinn_potential

        return load_pinn_potential(fetch(name, data_dir=data_dir))
    from ..model import BehlerParrinelloNetwork

    return BehlerParrinelloNetwork.from_n2p2(fetch(name, data_dir=data_dir))


def reference_prediction(data_dir: str | Path | None = None) -> tuple[float, np.ndarray]:
    """n2p2's own prediction for the 1080-atom example (entry ``"n2p2-example-1080"``).

    Returns
    -------
    energy_eV : float
        Total energy in eV.
    forces_eV_per_A : ndarray of shape (1080, 3)
        Forces in eV/Å, in the atom order of ``input.data``.
    """
    return read_prediction(fetch("n2p2-example-1080", data_dir=data_dir) / REFERENCE_PREDICTION_FILE)
