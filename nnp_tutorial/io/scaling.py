"""Read and write ``scaling.data``: per-function statistics of the training set.

Each data line is ``element_index sf_index G_min G_max G_mean [G_sigma]`` with
1-based indices in n2p2's order (elements by atomic number, functions sorted by
:func:`~nnp_tutorial.descriptors.functions.n2p2_sort_key`). RuNNer adds a last line
with the minimum and maximum energy per atom of the training set (Ha), kept here
as :attr:`ScalingData.energy_range`. Symmetry functions are dimensionless, so
no unit conversion applies to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..units import HARTREE_TO_EV
from .atomic import atomic_write
from .numbers import finite_float


@dataclass
class ScalingData:
    """Symmetry-function statistics per element.

    Attributes
    ----------
    minimum, maximum, mean, sigma : dict of str to ndarray of shape (n_sf,)
        Per element, in n2p2's sorted function order. ``sigma`` is NaN where
        the file has no sigma column (RuNNer files).
    energy_range : tuple of float or None
        RuNNer's (min, max) energy per atom of the training set, eV.
    """

    minimum: dict[str, np.ndarray]
    maximum: dict[str, np.ndarray]
    mean: dict[str, np.ndarray]
    sigma: dict[str, np.ndarray]
    energy_range: tuple[float, float] | None = None


def _statistics_row(values: list[float], want: tuple[int, int], path: Path, number: int) -> list[float]:
    """G_min, G_max, G_mean, G_sigma of one data line (sigma NaN if the line has 5 columns).

    ``want`` is the expected 1-based (element index, function index); ``number``
    the line number, for the error.
    """
    if len(values) not in (5, 6):
        raise InputError("expected 'element_index sf_index min max mean [sigma]'", path=path, line=number)
    if (int(values[0]), int(values[1])) != want:
        raise InputError(
            f"expected element index {want[0]} and function index {want[1]}, "
            f"found {int(values[0])} {int(values[1])}",
            path=path,
            line=number,
        )
    return values[2:] + ([np.nan] if len(values) == 5 else [])


def _split_by_element(
    rows: list[list[float]], n_functions: dict[str, int]
) -> dict[str, dict[str, np.ndarray]]:
    """The columns of ``rows`` (n_sf_total rows of min max mean sigma) as ScalingData fields per element."""
    table = np.array(rows, dtype=np.float64).reshape(-1, 4)  # (n_sf_total, 4)
    out: dict[str, dict[str, np.ndarray]] = {"minimum": {}, "maximum": {}, "mean": {}, "sigma": {}}
    start = 0
    for e, n in n_functions.items():
        for col, name in enumerate(out):
            out[name][e] = table[start : start + n, col].copy()  # (n_sf,)
        start += n
    return out


def read_scaling(path: str | Path, n_functions: dict[str, int]) -> ScalingData:
    """Read ``scaling.data``.

    Parameters
    ----------
    path : str or Path
    n_functions : dict of str to int
        Number of symmetry functions per element, elements ordered by atomic
        number (as in :class:`~nnp_tutorial.io.NNPSettings`).

    Raises
    ------
    InputError
        With file and line, if a line is malformed or the indices do not match
        the expected elements and functions.
    """
    path = Path(path)
    expected = [(ie + 1, k + 1) for ie, e in enumerate(n_functions) for k in range(n_functions[e])]
    rows: list[list[float]] = []
    energy_range = None
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(f"cannot read scaling file ({exc.strerror})", path=path) from None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        fields = raw.split()
        try:
            values = [finite_float(f) for f in fields]
        except ValueError:
            raise InputError(
                f"expected finite numbers, found {raw.strip()!r}", path=path, line=number
            ) from None
        if len(rows) == len(expected):
            if len(values) == 2 and energy_range is None:
                energy_range = (values[0] * HARTREE_TO_EV, values[1] * HARTREE_TO_EV)
                continue
            raise InputError(
                f"more lines than the {len(expected)} symmetry functions of the model",
                path=path,
                line=number,
            )
        rows.append(_statistics_row(values, expected[len(rows)], path, number))
    if len(rows) != len(expected):
        raise InputError(f"expected {len(expected)} symmetry-function lines, found {len(rows)}", path=path)
    return ScalingData(**_split_by_element(rows, n_functions), energy_range=energy_range)


def write_scaling(scaling: ScalingData, path: str | Path) -> None:
    """Write ``scaling.data`` in n2p2's six-column format (atomically); five columns where sigma is
    unknown (NaN: the file it came from had none), the form RuNNer writes and :func:`read_scaling` reads."""
    lines = [
        "#" * 80,
        "# Symmetry function scaling data (written by nnp_tutorial).",
        "# e_index sf_index sf_min sf_max sf_mean sf_sigma",
        "#" * 80,
    ]
    for ie, e in enumerate(scaling.minimum, start=1):
        for k in range(len(scaling.minimum[e])):
            values = [scaling.minimum[e][k], scaling.maximum[e][k], scaling.mean[e][k], scaling.sigma[e][k]]
            if np.isnan(values[-1]):  # sigma unknown (read from a five-column file): five columns again
                values.pop()
            lines.append(f"{ie:10d} {k + 1:10d} " + " ".join(f"{v:24.16E}" for v in values))
    if scaling.energy_range is not None:
        lo, hi = (v / HARTREE_TO_EV for v in scaling.energy_range)
        lines.append(f"{lo:24.16E} {hi:24.16E}")
    with atomic_write(path) as handle:
        handle.write("\n".join(lines) + "\n")
