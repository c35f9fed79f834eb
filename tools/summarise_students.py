"""Table of the teacher–student study: validation RMSEs and the NPT outcome of each student.

Each argument is an output directory of ``nnp-tutorial train``; the NPT run of that
student is the output directory of ``nnp-tutorial md`` next to it with the suffix
``--md-suffix`` (default ``_npt330``), when it exists. One row per student:

* training: optimiser, learning rate, seed, updates done, wall time (min), validation
  RMSEs on the full validation set (meV/atom, meV/Å) and the command;
* NPT: status (``completed`` or ``unstable``), simulated time (ps), failure time and
  reason, the density verdict (``stable``, ``drifting`` or ``unstable``,
  :func:`nnp_tutorial.md.run_verdict`) with the drift of the second half and its standard
  error (g/ml/ps), the mean density over the second half with the standard error of 5
  blocks (g/ml) only when it is stable, the mean density over the last simulated
  picosecond, the position (Å) and height of the first g_OO(r) peak over the second half
  of a completed run, and the command;
* the teacher's verdict on the configurations the student visited: ``--frames`` frames of
  the second half of a completed run's trajectory, labelled by the teacher, give the
  student's mean energy error (meV/atom, signed: negative = the student binds too
  strongly) and force RMSE (meV/Å) there — the errors that the validation set, drawn
  from the teacher's own configurations, does not see.

Usage (what made ``data/results/teacher_blyp/students.csv``; see that file's header)::

    python tools/summarise_students.py runs/students/*_s? runs/students/long/*_s? \\
        runs/students/long90/*_s? runs/students/long160/*_s? \\
        --out data/results/teacher_blyp/students.csv --comment "..." --comment "..."
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import Trajectory

from nnp_tutorial import datasets
from nnp_tutorial.evaluation import ErrorSummary, evaluate_errors
from nnp_tutorial.md import load_run, run_verdict
from nnp_tutorial.model import BehlerParrinelloNetwork


def errors_on_own_frames(student, teacher, trajectory: Path, n_frames: int) -> ErrorSummary:
    """The student's errors against the teacher on ``n_frames`` frames of the trajectory's second half."""
    with Trajectory(trajectory) as frames:
        picked = np.linspace(len(frames) // 2, len(frames) - 1, n_frames).astype(int)
        structures = [frames[int(i)] for i in picked]
    for atoms in structures:
        label = teacher.evaluate(atoms)
        atoms.calc = SinglePointCalculator(atoms, energy=label.energy, forces=label.forces)
    return evaluate_errors(student, structures, progress=False)


def student_row(train_dir: Path, md_suffix: str, teacher, n_frames: int) -> dict:
    """One row of the table for the student trained in ``train_dir``."""
    summary_file = train_dir / "summary.json"
    if not summary_file.is_file():
        raise SystemExit(f"{train_dir}: no summary.json (not an output directory of `nnp-tutorial train`?)")
    training = json.loads(summary_file.read_text())
    validation = training["validation"]
    row: dict = {
        "optimizer": training["config"]["optimizer"],
        "learning_rate": training["config"]["learning_rate"],
        "seed": training["config"]["seed"],
        "updates": training["steps_done"],
        "training_min": round(training["wall_time_s"] / 60, 1),
        "energy_rmse_meV_per_atom": round(validation["energy_rmse_meV_per_atom"], 2),
        "force_rmse_meV_per_A": round(validation["force_rmse_meV_per_A"], 1),
        "train_command": training["command"],
    }
    md_dir = train_dir.with_name(train_dir.name + md_suffix)
    if not (md_dir / "summary.json").is_file():
        return row
    run = load_run(md_dir)
    thermo = run.thermo
    last = float(thermo["time_ps"].iloc[-1])
    last_ps = thermo.loc[thermo["time_ps"] >= last - 1.0, "density_g_per_ml"]
    verdict = run_verdict(md_dir)
    drift = {"density_drift_per_ps": None, "density_drift_error": None}
    if verdict.status != "unstable":
        drift = {"density_drift_per_ps": round(verdict.drift_per_ps, 5)}
        drift["density_drift_error"] = round(verdict.drift_error, 5)
    row |= {
        "npt_status": run.status,
        "npt_ps": round(last, 2),
        "failure_ps": run.instability.time_ps if run.instability else None,
        "failure_reason": run.instability.reason if run.instability else None,
        "density_verdict": verdict.status,
        **drift,
        "density_second_half": None,
        "density_error": None,
        "density_last_ps": round(float(last_ps.mean()), 3),
        "gOO_first_peak_A": None,
        "gOO_first_peak": None,
        "own_frames_energy_error_meV_per_atom": None,
        "own_frames_force_rmse_meV_per_A": None,
        "md_command": run.summary.get("command"),
    }
    if run.status == "completed":
        if verdict.status == "stable":  # a drifting density has no mean ± error
            row["density_second_half"], row["density_error"] = round(verdict.mean, 3), round(verdict.error, 3)
        rdf = run.summary["analysis"]["rdf"]  # g_OO of the second half, as `nnp-tutorial md` found it
        row["gOO_first_peak_A"], row["gOO_first_peak"] = rdf["first_peak_r_A"], round(rdf["first_peak_g"], 2)
        student = BehlerParrinelloNetwork.from_n2p2(train_dir / "model")
        errors = errors_on_own_frames(student, teacher, md_dir / "md.traj", n_frames)
        row["own_frames_energy_error_meV_per_atom"] = round(errors.energy_offset, 1)
        row["own_frames_force_rmse_meV_per_A"] = round(errors.force_rmse)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("train_dirs", nargs="+", type=Path, help="output directories of `nnp-tutorial train`")
    parser.add_argument("--md-suffix", default="_npt330", help="suffix of the NPT run directories")
    parser.add_argument("--teacher", default="nnp-blyp-morawietz2016", help="the labelling potential")
    parser.add_argument("--frames", type=int, default=20, help="frames of each run judged by the teacher")
    parser.add_argument("--out", type=Path, help="CSV file to write (default: print only)")
    parser.add_argument("--comment", action="append", default=[], help="a '# ' line of the CSV header")
    args = parser.parse_args()

    teacher = datasets.load_potential(args.teacher)
    table = pd.DataFrame([student_row(d, args.md_suffix, teacher, args.frames) for d in args.train_dirs])
    with pd.option_context("display.width", 250, "display.max_columns", None):
        print(table.drop(columns=[c for c in table.columns if c.endswith("command")]).to_string())
    if args.out:
        with open(args.out, "w") as out:
            out.writelines(f"# {line}\n" for line in args.comment)
            table.to_csv(out, index=False)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
