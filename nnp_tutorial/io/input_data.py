"""Read and write RuNNer/n2p2 ``input.data`` structure files.

Each structure is a block::

    begin
    comment <free text>                       (optional, any number)
    lattice <ax> <ay> <az>                    (three lines, or none: not periodic)
    atom <x> <y> <z> <element> <charge> <energy> <fx> <fy> <fz>   (one per atom)
    energy <E>
    charge <Q>
    end

in Bohr, Hartree and Hartree/Bohr. :func:`read_input_data` yields ASE ``Atoms``
in Å and eV with the energy and forces attached as a single-point calculator;
positions are returned as stored (not wrapped).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.data import atomic_numbers

from ..errors import InputError
from ..units import BOHR_TO_ANGSTROM, HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM, HARTREE_TO_EV
from .atomic import atomic_write
from .numbers import finite_float


class _Block:
    def __init__(self) -> None:
        self.comments: list[str] = []
        self.lattice: list[list[float]] = []
        self.symbols: list[str] = []
        self.rows: list[list[float]] = []
        self.energy: float | None = None
        self.charge: float | None = None


def _to_atoms(block: _Block, error) -> Atoms:
    if block.energy is None:
        raise error("structure has no 'energy' line")
    if not block.symbols:
        raise error("structure has no 'atom' lines")
    if len(block.lattice) not in (0, 3):
        raise error(f"expected 0 or 3 'lattice' lines, found {len(block.lattice)}")
    table = np.array(block.rows, dtype=np.float64)  # (n_atoms, 8): x y z q e fx fy fz
    periodic = len(block.lattice) == 3
    atoms = Atoms(
        symbols=block.symbols,
        positions=table[:, 0:3] * BOHR_TO_ANGSTROM,
        cell=np.array(block.lattice) * BOHR_TO_ANGSTROM if periodic else None,
        pbc=periodic,
    )
    atoms.set_initial_charges(table[:, 3])
    atoms.info["comment"] = " ".join(block.comments)
    atoms.info["total_charge"] = block.charge if block.charge is not None else 0.0
    atoms.calc = SinglePointCalculator(
        atoms,
        energy=block.energy * HARTREE_TO_EV,
        forces=table[:, 5:8] * HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM,
    )
    return atoms


#: Number of fields, keyword included, of each numeric line of a block.
_N_FIELDS = {"lattice": 4, "energy": 2, "charge": 2, "atom": 10}


def _numbers(key: str, fields: list[str], error: Callable[[str], InputError]) -> list[float]:
    """The numbers of a ``lattice``, ``energy``, ``charge`` or ``atom`` line (Bohr, Hartree).

    For ``atom`` these are the 8 values x y z charge energy fx fy fz, the element
    symbol (checked here) left out; for the others, the values after the keyword.
    """
    want = _N_FIELDS[key]
    if len(fields) < want:
        raise error(f"expected {want - 1} values after {key!r}, found {len(fields) - 1}")
    if key == "atom":
        symbol = fields[4]
        if symbol not in atomic_numbers:
            raise error(f"{symbol!r} is not a chemical element symbol")
        numbers = fields[1:4] + fields[5:10]
    else:
        numbers = fields[1:want]
    try:
        return [finite_float(x) for x in numbers]
    except ValueError:
        raise error(f"expected finite numbers in the {key!r} line") from None


def _add_line(
    block: _Block, key: str, fields: list[str], raw: str, error: Callable[[str], InputError]
) -> None:
    """Add one line between ``begin`` and ``end`` (not those two) to ``block``."""
    if key == "comment":
        block.comments.append(raw.split(None, 1)[1].strip() if len(fields) > 1 else "")
    elif key in _N_FIELDS:
        values = _numbers(key, fields, error)
        if key == "atom":
            block.symbols.append(fields[4])
            block.rows.append(values)
        elif key == "lattice":
            block.lattice.append(values)
        elif key == "energy":
            block.energy = values[0]
        else:
            block.charge = values[0]
    else:
        raise error(f"unknown keyword {key!r}")


def read_input_data(path: str | Path) -> Iterator[Atoms]:
    """Yield the structures of an ``input.data`` file one by one (streaming).

    Parameters
    ----------
    path : str or Path

    Yields
    ------
    ase.Atoms
        Positions and cell in Å; ``atoms.get_potential_energy()`` in eV and
        ``atoms.get_forces()`` in eV/Å; per-atom charges as initial charges.

    Raises
    ------
    InputError
        With file, line and frame for a malformed block.
    """
    path = Path(path)
    block: _Block | None = None
    frame = 0
    number = 0

    def error(message: str) -> InputError:
        return InputError(message, path=path, line=number, frame=frame)

    try:
        handle = open(path)
    except OSError as exc:
        raise InputError(f"cannot read structure file ({exc.strerror})", path=path) from None
    with handle:
        for number, raw in enumerate(handle, start=1):  # noqa: B007 (read by error())
            fields = raw.split()
            if not fields or fields[0].startswith("#"):
                continue
            key = fields[0]
            if key == "begin":
                if block is not None:
                    raise error("'begin' inside a structure (missing 'end')")
                block = _Block()
                continue
            if block is None:
                raise error(f"expected 'begin', found {key!r}")
            if key == "end":
                yield _to_atoms(block, error)
                block = None
                frame += 1
            else:
                _add_line(block, key, fields, raw, error)
    if block is not None:
        raise error("file ends inside a structure (missing 'end')")


def write_input_data(structures: Iterable[Atoms], path: str | Path) -> int:
    """Write structures with energies and forces as ``input.data`` (atomically).

    Parameters
    ----------
    structures : iterable of ase.Atoms
        Each with a calculator holding energy (eV) and forces (eV/Å).
    path : str or Path

    Returns
    -------
    int
        Number of structures written.
    """
    count = 0
    with atomic_write(path) as handle:
        for atoms in structures:
            energy = atoms.get_potential_energy() / HARTREE_TO_EV
            forces = atoms.get_forces() / HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM
            positions = atoms.get_positions() / BOHR_TO_ANGSTROM
            charges = atoms.get_initial_charges()
            out = ["begin", f"comment {atoms.info.get('comment', '')}".rstrip()]
            if atoms.pbc.any():
                out += [
                    "lattice " + " ".join(f"{x:24.16E}" for x in vec)
                    for vec in np.asarray(atoms.cell) / BOHR_TO_ANGSTROM
                ]
            for symbol, r, q, f in zip(atoms.get_chemical_symbols(), positions, charges, forces):
                out.append(
                    "atom " + " ".join(f"{x:24.16E}" for x in r) + f" {symbol:2s} {q:24.16E} "
                    f"{0.0:24.16E} " + " ".join(f"{x:24.16E}" for x in f)
                )
            out += [f"energy {energy:24.16E}", f"charge {atoms.info.get('total_charge', 0.0):24.16E}", "end"]
            handle.write("\n".join(out) + "\n")
            count += 1
    return count
