"""What the sub-commands read: potentials, structure files, frames of a data set, start structures.

Each error is an :class:`~nnp_tutorial.errors.InputError` that names the option and the
valid values, raised before any work starts (the command line prints it on one line and
exits with status 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError

#: the water box of ``md`` without ``--start``: molecules, density (g/ml)
DEFAULT_MOLECULES = 64
DEFAULT_DENSITY_G_PER_ML = 1.0

if TYPE_CHECKING:  # the model imports TensorFlow
    from ase import Atoms

    from ..model import BehlerParrinelloNetwork


def load_model(spec: str | Path, *, data_dir: str | Path | None = None) -> BehlerParrinelloNetwork:
    """A potential from a directory of n2p2 files or a registered potential name."""
    from .. import datasets
    from ..model import BehlerParrinelloNetwork

    path = Path(spec)
    if path.is_dir():
        return BehlerParrinelloNetwork.from_n2p2(path)
    return datasets.load_potential(str(spec), data_dir=data_dir)


def model_label(spec: str | Path) -> str:
    """A name for plots: "EKF η=0.001 (seed 0)" for a model trained here, else the name given.

    A trained model is ``RUN/model/`` (or ``RUN`` itself) next to the run's ``summary.json``.
    """
    path = Path(spec)
    for summary in (path / "summary.json", path.parent / "summary.json"):
        if path.is_dir() and summary.is_file():
            config = json.loads(summary.read_text()).get("config", {})
            if "optimizer" in config and "learning_rate" in config:
                name = f"{config['optimizer'].upper()} η={config['learning_rate']:g}"
                return name + (f" (seed {config['seed']})" if "seed" in config else "")
    return str(spec)


def index_text(index: int | slice) -> str:
    """``--index`` as written: ``3``, ``10:20``, ``::2``."""
    if isinstance(index, int):
        return str(index)
    parts = ["" if p is None else str(p) for p in (index.start, index.stop, index.step)]
    return ":".join(parts[:2] if index.step is None else parts)


def read_structures(
    path: str | Path, *, fmt: str | None = None, index: int | slice = slice(None)
) -> list[Atoms]:
    """Structures from a file: RuNNer ``input.data`` (Bohr/Hartree) or any ASE format (Å/eV).

    Raises
    ------
    InputError
        A malformed file (file and line), or ``index`` outside the file or selecting no frame.
    """
    from ..io import read_input_data
    from ..io.ase_files import read_ase_structures

    path = Path(path)
    if fmt == "runner" or (fmt is None and path.name.startswith("input.data")):
        frames = list(read_input_data(path))
    else:
        frames = read_ase_structures(path, fmt=fmt)
    return [frames[i] for i in selected_frames(index, len(frames), str(path))]


def selected_frames(
    index: int | slice | None, n_frames: int, name: str, given: str | None = None
) -> list[int]:
    """The frame numbers ``index`` selects among ``n_frames`` (Python's negative indices).

    ``given``: the option as written, for messages (default ``--index INDEX``).

    Raises
    ------
    InputError
        An integer outside the frames, or a range that selects none; the message names the
        option, the value and the frames there are.
    """
    there = f"{name} has {n_frames} frames (0 to {n_frames - 1})" if n_frames else f"{name} has no frames"
    index = slice(None) if index is None else index
    given = given or f"--index {index_text(index)}"
    if isinstance(index, int):
        if not -n_frames <= index < n_frames:
            raise InputError(f"{given}: no such frame; {there}")
        return [index % n_frames]
    frames = list(range(n_frames))[index]
    if not frames:
        raise InputError(f"{given}: selects no frames; {there}")
    return frames


def dataset_frames(name: str, index: int | slice | None, *, data_dir: str | Path | None) -> list[int] | None:
    """The frames of data set ``name`` that ``--index`` selects (None: all), checked against its size."""
    from .. import datasets

    if index is None:
        return None
    return selected_frames(index, datasets.count_structures(name, data_dir=data_dir), name)


def start_structure(
    start: str | None, *, molecules: int | None, density: float | None, seed: int, data_dir: str | Path | None
) -> Atoms:
    """Starting structure of ``md``: ``--start dataset:NAME:INDEX`` or a file, else a water box.

    The box has ``molecules`` (default :data:`DEFAULT_MOLECULES`) at ``density`` g/ml (default
    :data:`DEFAULT_DENSITY_G_PER_ML`), placed with ``seed``.
    """
    from .. import datasets
    from ..md import water_box

    if start is None:
        molecules = DEFAULT_MOLECULES if molecules is None else molecules
        return water_box(molecules, DEFAULT_DENSITY_G_PER_ML if density is None else density, seed=seed)
    if density is not None or molecules is not None:
        raise InputError("--density and --molecules set a water box, not a --start structure")
    source, index = start_source(start)
    if index is None:
        atoms = read_structures(source, index=-1)[0]
    else:
        count = datasets.count_structures(source, data_dir=data_dir)
        frame = selected_frames(index, count, source, given=f"--start {start}")
        atoms = next(datasets.iter_structures(source, data_dir=data_dir, index=frame))
    atoms.calc = None
    return atoms


def start_source(start: str) -> tuple[str, int | None]:
    """``--start``: (data set name, frame) for ``dataset:NAME:INDEX``, else (file, None)."""
    kind, _, rest = start.partition(":")
    if kind != "dataset":
        return start, None
    name, sep, index = rest.rpartition(":")
    if not sep or not name or not index.lstrip("-").isdigit():
        raise InputError(f"--start {start!r}: expected dataset:NAME:INDEX (dataset:revpbe0-d3:0)")
    return name, int(index)
