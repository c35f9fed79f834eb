"""Labelled structures as extended XYZ: written with every float at full precision, read back.

ASE's extended XYZ writer prints per-atom columns with ``%16.8f``, which rounds positions
and forces to 10⁻⁸ Å and eV/Å; a label written that way no longer equals the model's
prediction for the structure read back. Here every float is written with ``repr``
(the shortest string that reads back to the same float64), so a file read by
``ase.io.read`` gives back exactly the positions, cell, energy and forces written.

Format of one frame in Å, eV and eV/Å (the header goes on with further ``key=value`` items
and ``pbc="T T T"``; ASE's reader puts ``energy`` and ``forces`` into a single-point
calculator and the other keys into ``atoms.info``)::

    192
    Lattice="ax ay az bx by bz cx cy cz" Properties=species:S:1:pos:R:3:forces:R:3 energy=E ...
    O x y z fx fy fz
    ...

:func:`read_extxyz_frames` streams such files (any extended XYZ file in Å and eV with
``energy`` and ``forces``) for the data-set loaders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from ase import Atoms

from ..errors import InputError

_PROPERTIES = "species:S:1:pos:R:3:forces:R:3"


def format_extxyz_frame(atoms: Atoms, energy_eV: float, forces_eV_per_A: np.ndarray, info: dict) -> str:
    """One extended XYZ frame (the text of ``len(atoms) + 2`` lines).

    Parameters
    ----------
    atoms : Atoms
        Symbols, positions (Å, written as they are) and cell (Å).
    energy_eV : float
        Total energy, eV.
    forces_eV_per_A : ndarray of shape (n_atoms, 3)
        Forces, eV/Å.
    info : dict
        Further header keys: ``str`` values (quoted; must not contain ``"``), ``int`` or
        ``float`` values.

    Example
    -------
    >>> from ase import Atoms
    >>> atom = Atoms("H", positions=[[0.1, 0, 0]], cell=[2, 2, 2], pbc=True)
    >>> lines = format_extxyz_frame(atom, -0.1, np.ones((1, 3)) / 3, {"tag": "a", "n": 3}).splitlines()
    >>> lines[0], lines[2]
    ('1', 'H 0.1 0.0 0.0 0.3333333333333333 0.3333333333333333 0.3333333333333333')
    >>> lines[1][lines[1].index("energy") :]
    'energy=-0.1 tag="a" n=3 pbc="T T T"'
    """
    items = [f'Lattice="{_floats(atoms.cell.array.ravel())}"', f"Properties={_PROPERTIES}"]
    items.append(f"energy={float(energy_eV)!r}")
    items += [f"{key}={_value(value)}" for key, value in info.items()]
    items.append('pbc="{}"'.format(" ".join("T" if p else "F" for p in atoms.pbc)))
    table = np.hstack([atoms.positions, np.asarray(forces_eV_per_A, dtype=np.float64)])  # (n_atoms, 6)
    rows = [f"{symbol} {_floats(row)}" for symbol, row in zip(atoms.get_chemical_symbols(), table)]
    return "\n".join([str(len(atoms)), " ".join(items), *rows]) + "\n"


def _floats(values: np.ndarray) -> str:
    return " ".join(repr(x) for x in np.asarray(values, dtype=np.float64).tolist())


def _value(value: str | int | float) -> str:
    if isinstance(value, str):
        if '"' in value:
            raise ValueError(f'extended XYZ string values must not contain ": {value!r}')
        return f'"{value}"'
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    return repr(float(value))


def read_extxyz_frames(path: Path, want: Callable[[int], bool]) -> Iterator[tuple[int, Atoms | None]]:
    """Frames of an ASE extended XYZ file already in Å and eV (keys ``energy``, ``forces``).

    Parameters
    ----------
    path : Path
    want : callable
        ``want(frame)`` is true for the 0-based frames to return.

    Yields
    ------
    frame : int
        0-based frame number, for every frame in file order.
    atoms : ase.Atoms or None
        Where ``want(frame)``: the frame as ASE reads it (Å; positions as stored), with
        energy (eV) and forces of shape (n_atoms, 3) (eV/Å) in its calculator; else None.

    Raises
    ------
    InputError
        A frame ASE cannot parse, or a wanted frame without energy and forces.
    """
    import ase.io

    frame = 0
    frames = ase.io.iread(path, index=":", format="extxyz")
    while True:
        try:
            atoms = next(frames)
        except StopIteration:
            return
        except (ValueError, KeyError, IndexError) as exc:
            raise InputError(f"cannot parse extended XYZ ({exc})", path=path, frame=frame) from None
        if not want(frame):
            yield frame, None
        elif atoms.calc is None or not {"energy", "forces"} <= atoms.calc.results.keys():
            raise InputError("frame has no energy and forces", path=path, frame=frame)
        else:
            yield frame, atoms
        frame += 1
