"""The teacher study's committed results: the teacher's own numbers and its students'."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..results import results_path

if TYPE_CHECKING:  # pandas only when a table is read
    import pandas as pd


def ground_truth(teacher: str = "blyp") -> pd.DataFrame:
    """The teacher's own reference numbers (``data/results/teacher_<teacher>_ground_truth.csv``).

    Returns a ``pandas.DataFrame`` with one row per quantity and the columns
    ``quantity``, ``value``, ``error`` (standard error from block averaging),
    ``unit``, ``from_ps``, ``to_ps`` (the averaged window) and ``source`` (the
    run directory under ``data/results``, whose ``summary.json`` holds the command).
    """
    import pandas as pd

    return pd.read_csv(results_path(f"teacher_{teacher}_ground_truth.csv"), comment="#")


def student_results(teacher: str = "blyp") -> pd.DataFrame:
    """The teacher–student study (``data/results/teacher_<teacher>/students.csv``).

    One row per student network trained on the teacher's data set: ``optimizer``,
    ``learning_rate``, ``seed``, ``updates``, ``training_min``, validation RMSEs
    (``energy_rmse_meV_per_atom``, ``force_rmse_meV_per_A``), and the outcome of its
    NPT run at 330 K and 1 bar: ``npt_status`` (``completed`` or ``unstable``),
    ``npt_ps``, ``failure_ps`` and ``failure_reason``, ``density_verdict`` (``stable``,
    ``drifting`` or ``unstable``; :mod:`nnp_tutorial.md.equilibration`) with the drift of the
    second half ``density_drift_per_ps`` ± ``density_drift_error`` (g/ml/ps),
    ``density_second_half`` ± ``density_error`` (g/ml, stable densities only),
    ``density_last_ps`` (g/ml), the first
    g_OO(r) peak (``gOO_first_peak_A``, Å, and ``gOO_first_peak``), the student's
    errors against the teacher on frames of its own NPT run
    (``own_frames_energy_error_meV_per_atom``, signed; ``own_frames_force_rmse_meV_per_A``),
    and the commands. The file's ``#`` header says how the runs were made; the NPT runs
    of the longer-trained students are under ``data/results/md/npt330_student_*``.
    """
    import pandas as pd

    return pd.read_csv(results_path(f"teacher_{teacher}", "students.csv"), comment="#")
