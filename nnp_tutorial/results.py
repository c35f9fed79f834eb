"""Results that the command line produced and the project keeps under ``data/results``.

Notebooks load these small artefacts (tables, JSON summaries, figures) instead of
recomputing hours of training or MD; each artefact directory records the command
and package version that made it (``summary.json`` or the first line of a table).
"""

from __future__ import annotations

from pathlib import Path

from .errors import NNPTutorialError

RESULTS_DIR = Path(__file__).resolve().parents[1] / "data" / "results"


def results_path(*parts: str, must_exist: bool = True) -> Path:
    """Path of a committed result, e.g. ``results_path("md", "npt320_cheng", "thermo.csv.gz")``.

    The results live in the source tree (``data/results`` next to the package), so
    this works in a clone with an editable install, which is how the tutorial is run.
    """
    path = RESULTS_DIR.joinpath(*parts)
    if must_exist and not path.exists():
        raise NNPTutorialError(
            f"{path} does not exist: the committed results come with a clone of the project "
            "(run the notebook with recompute=True, or the command in its README section, to make it)"
        )
    return path


def table_file(directory: str | Path, name: str) -> Path:
    """``directory/name``, a CSV table a run wrote, or its gzipped copy ``name.gz`` (``data/results``).

    Raises
    ------
    FileNotFoundError
        If neither exists.
    """
    for path in (Path(directory) / name, Path(directory) / f"{name}.gz"):
        if path.is_file():
            return path
    raise FileNotFoundError(f"{directory} holds neither {name} nor {name}.gz")
