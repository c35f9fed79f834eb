"""Structures from any file ASE reads, with errors that name the file and line.

ASE's readers raise a bare ``ValueError`` (or ``XYZError``, ``KeyError``, ...)
for a malformed file, without saying where. :func:`read_ase_structures` turns
such failures into :class:`~nnp_tutorial.errors.InputError`; for XYZ and
extended XYZ files it finds the offending line and frame with a small
line-by-line check that runs only after ASE has failed.
"""

from __future__ import annotations

import io
from pathlib import Path

from ase import Atoms

from ..errors import InputError

__all__ = ["read_ase_structures"]

_XYZ_FORMATS = ("xyz", "extxyz")


def read_ase_structures(path: str | Path, *, index: str = ":", fmt: str | None = None) -> list[Atoms]:
    """``ase.io.read(path, index, fmt)`` as a list, with located errors.

    Parameters
    ----------
    path : str or Path
        Structure file in any format ASE reads (Å, eV).
    index : str
        ASE index string: ``":"`` (all), ``"0"``, ``"10:20"``, ``"-1"``.
    fmt : str, optional
        ASE format name; guessed from the file by default.

    Returns
    -------
    list of ase.Atoms

    Raises
    ------
    InputError
        The file is missing or unreadable, holds no structures, or is malformed
        (for XYZ/extended XYZ with the line and frame, otherwise with ASE's message).
    """
    import ase.io

    path = Path(path)
    if not path.is_file():
        raise InputError("no such structure file", path=path)
    try:
        frames = ase.io.read(path, index=index, format=fmt)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
            raise InputError(f"cannot read structure file ({exc.strerror})", path=path) from None
        raise _located(path, fmt, exc) from None
    except Exception as exc:  # ASE raises ValueError, KeyError, IndexError, StopIteration, ...
        raise _located(path, fmt, exc) from None
    frames = frames if isinstance(frames, list) else [frames]
    if not frames:
        raise InputError(f"no structures selected by index {index!r}", path=path)
    return frames


def _located(path: Path, fmt: str | None, exc: Exception) -> InputError:
    """An :class:`InputError` for ASE's failure ``exc`` on ``path``."""
    from ase.io.formats import filetype

    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    try:
        kind = fmt or filetype(str(path), read=True)
    except Exception:  # unknown or undetectable format: report ASE's own message
        kind = None
    if kind in _XYZ_FORMATS:
        problem = _xyz_problem(path)
        if problem is not None:
            line, frame, what = problem
            return InputError(what, path=path, line=line, frame=frame)
    return InputError(f"cannot read as {kind or 'a structure file'} ({message})", path=path)


def _xyz_problem(path: Path) -> tuple[int, int, str] | None:
    """``(line, frame, what was expected)`` for the first malformed frame of an (extended) XYZ file.

    Lines are 1-based, frames 0-based. ``None`` if no frame-level problem is found.
    """
    lines = path.read_text(errors="replace").splitlines()
    start, frame = 0, 0
    while start < len(lines) and lines[start].strip():
        try:
            n_atoms = int(lines[start])
        except ValueError:
            return start + 1, frame, f"expected the number of atoms, found {lines[start].strip()[:40]!r}"
        block = lines[start : start + 2 + n_atoms]
        if len(block) < n_atoms + 2:
            found = max(len(block) - 2, 0)
            return (
                start + len(block),
                frame,
                f"file ends inside the frame: expected a comment line and {n_atoms} atom lines, "
                f"found {found} atom lines",
            )
        try:
            _read_frame("\n".join(block))
        except Exception as exc:  # whatever ASE raises, locate it below
            return _frame_problem(block, start + 1, frame, exc)
        start += n_atoms + 2
        frame += 1
    return None


def _frame_problem(block: list[str], first: int, frame: int, exc: Exception) -> tuple[int, int, str]:
    """The line of ``block`` (a frame that starts on line ``first``) that ASE could not parse."""
    from ase.io.extxyz import key_val_str_to_dict, parse_properties

    header = first + 1
    try:
        info = key_val_str_to_dict(block[1]) if block[1].strip() else {}
        spec = info.get("Properties", "species:S:1:pos:R:3")
        _, _, dtype, converters = parse_properties(spec)
    except Exception as error:  # ASE's header parser raises several types
        return header, frame, f"malformed comment (header) line ({error})"
    for k, row in enumerate(block[2:]):
        fields = row.split()
        if len(fields) < len(converters):
            return header + 1 + k, frame, f"expected {len(converters)} columns ({spec}), found {len(fields)}"
        for column, (convert, value) in enumerate(zip(converters, fields), start=1):
            try:
                if convert(value) is None:  # logical columns map unknown text to None
                    raise ValueError(value)
            except ValueError:
                name = dtype.names[column - 1]
                return header + 1 + k, frame, f"column {column} ({name}): cannot read {value!r}"
    return header, frame, f"malformed frame ({type(exc).__name__}: {exc})"


def _read_frame(text: str) -> Atoms:
    """One (extended) XYZ frame parsed by ASE from text."""
    from ase.io.extxyz import read_xyz

    return next(read_xyz(io.StringIO(text), index=0))
