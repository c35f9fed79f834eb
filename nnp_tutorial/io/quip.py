"""Read libAtoms/QUIP extended XYZ files in Bohr and Hartree (the revPBE0-D3 set).

Each frame is::

    192
    TotEnergy=E pbc="T T T" Lattice="ax ay az bx by bz cx cy cz" Properties=species:S:1:pos:R:3:force:R:3
    O x y z fx fy fz
    ...

with positions and lattice vectors (rows) in Bohr, ``TotEnergy`` in Hartree and forces in
Hartree/Bohr; further ``Properties`` columns are allowed and ignored. :func:`read_quip_au`
converts to Å, eV and eV/Å (:mod:`nnp_tutorial.units`).

A dedicated streaming parser: ASE's reader indexes the whole file and seeks back, which is
quadratic on an lzma stream. Frames not wanted are skipped without parsing.
"""

from __future__ import annotations

import lzma
import re
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.data import atomic_numbers

from ..errors import InputError
from ..units import BOHR_TO_ANGSTROM, HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM, HARTREE_TO_EV

_HEADER_ITEM = re.compile(r'([A-Za-z_]\w*)=(?:"([^"]*)"|(\S+))')


def read_quip_au(path: Path, want: Callable[[int], bool]) -> Iterator[tuple[int, Atoms | None]]:
    """Frames of a QUIP extended XYZ file in Bohr/Hartree (``.xz`` read with lzma).

    Parameters
    ----------
    path : Path
        The file, plain or xz-compressed (suffix ``.xz``).
    want : callable
        ``want(frame)`` is true for the 0-based frames to parse.

    Yields
    ------
    frame : int
        0-based frame number, for every frame in file order.
    atoms : ase.Atoms or None
        Where ``want(frame)``: positions and cell in Å (as stored, not wrapped), energy in
        eV and forces of shape (n_atoms, 3) in eV/Å in a ``SinglePointCalculator``; else None.

    Raises
    ------
    InputError
        A malformed frame (with file, line and frame number).
    """
    opener = lzma.open if path.suffix == ".xz" else open
    with opener(path, "rb") as handle:
        line, frame = 0, 0
        for count_line in handle:
            line += 1
            if not count_line.strip():
                continue
            try:
                n_atoms = int(count_line)
            except ValueError:
                found = count_line.strip()[:40].decode(errors="replace")
                raise InputError(
                    f"expected the number of atoms, found {found!r}",
                    path=path,
                    line=line,
                    frame=frame,
                ) from None
            block = list(islice(handle, n_atoms + 1))
            if len(block) < n_atoms + 1:
                raise InputError(
                    f"file ends inside the frame: expected a header and {n_atoms} atom lines, "
                    f"found {len(block)} lines",
                    path=path,
                    line=line,
                    frame=frame,
                )
            yield frame, _parse_frame(block, path, line, frame) if want(frame) else None
            line += n_atoms + 1
            frame += 1


def _parse_frame(block: list[bytes], path: Path, line: int, frame: int) -> Atoms:
    """One frame: ``block[0]`` is the header (on ``line + 1``), then one line per atom."""

    def error(message: str, at: int = line + 1) -> InputError:
        return InputError(message, path=path, line=at, frame=frame)

    items = {m[1]: m[2] if m[2] is not None else m[3] for m in _HEADER_ITEM.finditer(block[0].decode())}
    missing = [k for k in ("TotEnergy", "Lattice", "Properties") if k not in items]
    if missing:
        raise error(f"header lacks {', '.join(missing)}")
    try:
        energy_Ha = float(items["TotEnergy"])
        lattice_Bohr = np.array(items["Lattice"].split(), dtype=np.float64).reshape(3, 3)  # rows = vectors
    except ValueError:
        raise error("expected a number for TotEnergy and 9 numbers for Lattice") from None
    columns, n_columns = _property_columns(items["Properties"], error)
    fields = [row.split() for row in block[1:]]
    for k, row in enumerate(fields):
        if len(row) != n_columns:
            raise error(
                f"expected {n_columns} columns ({items['Properties']}), found {len(row)}", line + 2 + k
            )
    table = np.array(fields)  # (n_atoms, n_columns) of bytes
    symbols = table[:, columns["species"]].ravel().astype(str)
    unknown = sorted({str(s) for s in symbols} - atomic_numbers.keys())
    if unknown:
        raise error(f"unknown element symbols {unknown}", line + 2 + list(symbols).index(unknown[0]))
    positions_Bohr = _float_columns(table, columns["pos"], error, line + 2)
    forces_Ha_per_Bohr = _float_columns(table, columns["force"], error, line + 2)
    pbc = [flag == "T" for flag in items.get("pbc", "T T T").split()]
    atoms = Atoms(
        numbers=[atomic_numbers[s] for s in symbols],
        positions=positions_Bohr * BOHR_TO_ANGSTROM,
        cell=lattice_Bohr * BOHR_TO_ANGSTROM,
        pbc=pbc,
    )
    atoms.calc = SinglePointCalculator(
        atoms,
        energy=energy_Ha * HARTREE_TO_EV,
        forces=forces_Ha_per_Bohr * HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM,
    )
    return atoms


def _property_columns(spec: str, error: Callable[..., InputError]) -> tuple[dict[str, slice], int]:
    """Column slices from ``Properties=name:type:count:...``; needs species, pos and force."""
    parts = spec.split(":")
    if len(parts) % 3 or not all(p.isdigit() for p in parts[2::3]):
        raise error(f"malformed Properties {spec!r}: expected name:type:count triples")
    columns: dict[str, slice] = {}
    start = 0
    for name, count in zip(parts[0::3], parts[2::3]):
        columns[name] = slice(start, start + int(count))
        start += int(count)
    widths = {name: column.stop - column.start for name, column in columns.items()}
    if any(widths.get(name) != width for name, width in {"species": 1, "pos": 3, "force": 3}.items()):
        raise error(f"Properties {spec!r} must contain species:S:1, pos:R:3 and force:R:3")
    return columns, start


def _float_columns(
    table: np.ndarray, columns: slice, error: Callable[..., InputError], first: int
) -> np.ndarray:
    """``table[:, columns]`` as float64, shape (n_atoms, width); a bad number names its line."""
    try:
        return table[:, columns].astype(np.float64)
    except ValueError:
        for k, row in enumerate(table[:, columns]):
            try:
                row.astype(np.float64)
            except ValueError:
                raise error(f"expected numbers, found {b' '.join(row).decode()!r}", first + k) from None
        raise
