"""Which frames of a structure file a loader returns: the ``index`` argument, and :func:`spread`.

``index`` is None (all frames), an int, a slice or a sequence of ints, with Python's
meaning of negative values; a sequence is returned in its own order (repeats included).
The frames are streamed from a ``read(want)`` function (a frame reader of
:mod:`nnp_tutorial.io.formats` bound to its file), so that only the frame being returned
is held in memory; an unordered sequence or a reversed slice first reads the selected
frames, and negative values first count the frames.

Examples
--------
>>> def read(want):
...     return ((k, Atoms(info={"k": k})) if want(k) else (k, None) for k in range(5))
>>> [a.info["frame"] for a in select_frames(read, slice(None, None, -2), "toy")]
[4, 2, 0]
>>> [a.info["frame"] for a in select_frames(read, [3, -5], "toy")]
[3, 0]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

#: Frames to return (see the module docstring).
Index = int | slice | Sequence[int] | None
#: ``read(want)`` -> iterator of ``(frame, Atoms or None)``, Atoms only where ``want(frame)``.
ReadFrames = Callable[[Callable[[int], bool]], Iterator[tuple[int, "Atoms | None"]]]


def check_index(index: Index) -> None:
    """Raise ``TypeError`` unless ``index`` is None, an int, a slice or a sequence of ints."""
    if isinstance(index, str) or not (index is None or isinstance(index, slice | Sequence) or _is_int(index)):
        raise TypeError(f"index must be None, an int, a slice or a list of ints, not {type(index).__name__}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def count_frames(read: ReadFrames) -> int:
    """Number of frames ``read`` streams (none of them is built)."""
    return sum(1 for _ in read(lambda frame: False))


def select_frames(read: ReadFrames, index: Index, name: str) -> Iterator[Atoms]:
    """Generator over the frames of ``read`` picked by ``index``, each with ``info["frame"]``.

    Parameters
    ----------
    read : callable
        ``read(want)`` streams the file (see :data:`ReadFrames`).
    index : int, slice or sequence of int, optional
        Frames to return (all by default).
    name : str
        Name of the data set, for error messages.

    Yields
    ------
    ase.Atoms
        The selected frames; ``atoms.info["frame"]`` is the 0-based frame number. A frame
        selected twice is returned as an independent copy the second time.

    Raises
    ------
    IndexError
        An integer index beyond the last frame (a slice is clipped as in Python).
    """
    if index is None:
        index = slice(None)
    if isinstance(index, slice) and (index.step or 1) > 0 and min(index.start or 0, index.stop or 0) >= 0:
        wanted = range(index.start or 0, index.stop if index.stop is not None else 2**62, index.step or 1)
        yield from _stream(read, wanted, strict=False)
        return
    n_frames: list[int] = []  # counted only when needed (negative indices)

    def absolute(i: int) -> int:
        if i < 0 and not n_frames:
            n_frames.append(count_frames(read))
        return i + n_frames[0] if i < 0 else i

    if isinstance(index, slice):
        n_frames.append(count_frames(read))
        order = list(range(*index.indices(n_frames[0])))
    else:
        order = [absolute(int(i)) for i in ([index] if _is_int(index) else index)]
    if any(i < 0 for i in order):
        raise IndexError(f"frame index out of range: {name} has {n_frames[0]} frames")
    if all(a < b for a, b in zip(order[:-1], order[1:])):
        yield from _stream(read, order, strict=True, name=name)
    else:
        yield from _gather(read, order, name)


def _stream(read: ReadFrames, wanted: Sequence[int], *, strict: bool, name: str = "") -> Iterator[Atoms]:
    """Frames in ``wanted`` (increasing) in file order; ``strict``: all must exist."""
    members = wanted if isinstance(wanted, range) else set(wanted)
    last = wanted[-1] if len(wanted) else -1
    found = 0
    with closing(read(members.__contains__)) as frames:
        for frame, atoms in frames:
            if frame > last:
                break
            if atoms is not None:
                atoms.info["frame"] = frame
                found += 1
                yield atoms
    if strict and found < len(wanted):
        raise IndexError(f"frame index {wanted[found]} out of range for {name}")


def _gather(read: ReadFrames, order: list[int], name: str) -> Iterator[Atoms]:
    """Frames in an arbitrary order: read the selected ones, then yield in ``order``."""
    frames = _stream(read, sorted(set(order)), strict=True, name=name)
    selected = {atoms.info["frame"]: atoms for atoms in frames}
    used: set[int] = set()
    for i in order:
        atoms = selected[i]
        if i in used:  # a repeated index gets an independent copy
            copy = atoms.copy()
            copy.calc = SinglePointCalculator(copy, **atoms.calc.results)
            atoms = copy
        used.add(i)
        yield atoms


def spread(structures: Sequence[Atoms], n: int) -> list[Atoms]:
    """``n`` structures evenly spaced through ``structures`` (first included): the whole trajectory.

    >>> [a.info["k"] for a in spread([Atoms(info={"k": k}) for k in range(10)], 3)]
    [0, 3, 6]
    """
    if not 1 <= n <= len(structures):
        raise ValueError(f"cannot take {n} of {len(structures)} structures")
    return list(structures[:: len(structures) // n][:n])
