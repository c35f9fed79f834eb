"""Read and write ``weights.XXX.data`` (one file per element, XXX = atomic number).

The first column holds the connections of the element network in n2p2/RuNNer
order: for each layer, the weights ``W[j, k]`` (input neuron ``j`` outer, output
neuron ``k`` inner), then that layer's biases. Other columns (n2p2's index
columns) are ignored on reading and written for n2p2 compatibility. Weights act
on dimensionless scaled inputs and produce the network's output unit, so no
unit conversion applies here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from .atomic import atomic_write
from .numbers import finite_float


def read_weights(path: str | Path, n_connections: int) -> np.ndarray:
    """Read the connections of one element network.

    Parameters
    ----------
    path : str or Path
    n_connections : int
        Number of weights and biases the topology requires.

    Returns
    -------
    ndarray of shape (n_connections,)

    Raises
    ------
    InputError
        If a line does not start with a number or the count does not match.
    """
    path = Path(path)
    values: list[float] = []
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(f"cannot read weights file ({exc.strerror})", path=path) from None
    for number, raw in enumerate(text.splitlines(), start=1):
        content = raw.strip()
        if not content or content.startswith("#"):
            continue
        token = content.split()[0]
        try:
            values.append(finite_float(token))
        except ValueError:
            raise InputError(f"expected a finite number, found {token!r}", path=path, line=number) from None
    if len(values) != n_connections:
        raise InputError(
            f"the network topology needs {n_connections} connections, the file has {len(values)}",
            path=path,
        )
    return np.array(values, dtype=np.float64)


def write_weights(connections: np.ndarray, layer_sizes: list[int], path: str | Path) -> None:
    """Write one element network in n2p2's annotated format (atomically).

    Parameters
    ----------
    connections : ndarray of shape (n_connections,)
        n2p2-ordered weights and biases.
    layer_sizes : list of int
        Neurons per layer, input layer first, output (1) last.
    path : str or Path
    """
    if not np.all(np.isfinite(connections)):
        raise ValueError(f"refusing to write {path}: the connections are not all finite (a diverged model?)")
    need = sum((a + 1) * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    if len(connections) != need:
        raise ValueError(
            f"{len(connections)} connections given, the topology needs {need} (layers {layer_sizes})"
        )
    lines = [
        "#" * 80,
        "# Neural network connection values (weights and biases), written by nnp_tutorial.",
        "# connection t index l_s n_s l_e n_e",
        "#" * 80,
    ]
    count = 0
    for layer in range(1, len(layer_sizes)):
        for j in range(layer_sizes[layer - 1]):
            for k in range(layer_sizes[layer]):
                where = f"{layer - 1:5d} {j + 1:5d} {layer:5d} {k + 1:5d}"
                lines.append(f"{connections[count]:24.16E} a {count + 1:9d} {where}")
                count += 1
        for k in range(layer_sizes[layer]):
            lines.append(f"{connections[count]:24.16E} b {count + 1:9d} {layer:5d} {k + 1:5d}")
            count += 1
    with atomic_write(path) as handle:
        handle.write("\n".join(lines) + "\n")
