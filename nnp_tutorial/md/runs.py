"""Run MD with ASE, record thermo and trajectory as it goes, resume after interruption.

Files in ``out_dir``
--------------------
=================  ===========================================================================
``thermo.csv``     one row every ``log_every`` steps, at the last step and at an instability
                   (:mod:`nnp_tutorial.md.thermo`), each flushed when written
``md.traj``        ASE trajectory, one frame per thermo row: positions, momenta, cell, and
                   ``info["step"]`` (no calculator results, 9 kB per 192-atom frame)
``summary.json``   parameters, ``status`` (``running``, ``completed``, ``unstable``,
                   ``interrupted``), ``steps_done``, and for unstable runs ``reason``,
                   ``failure_step`` and ``failure_time_ps``
=================  ===========================================================================

Resume semantics
----------------
``steps`` counts from the start of the run (t = 0), not from the call. Calling
:func:`run_md` again with an ``out_dir`` whose ``md.traj`` holds frames

1. checks that ensemble, temperature, pressure, time step, seed, ``log_every``, coupling
   times, stability criteria, composition and the model's weights equal the saved
   ``parameters`` (else :class:`~nnp_tutorial.errors.InputError`; only ``steps`` may change);
2. returns the saved result without running if the run was unstable, or completed with at
   least ``steps`` steps;
3. otherwise restarts from the last frame — positions, momenta, cell and step number
   exactly as saved (float64) — drops thermo rows at or after that step (including a row
   cut short by a kill), records that step's row again, and continues to ``steps``.

The ``atoms`` argument then only supplies the composition. The integrators keep no state
beyond the atoms (:mod:`nnp_tutorial.md.ensembles`), and velocities are drawn only at
t = 0, so a resumed run repeats the uninterrupted one step for step: bit for bit when the
force evaluation is deterministic for identical positions (tested for NVE, NVT and NPT with
one model instance; a new instance pads its arrays to other shapes, which can change the
last bits of a sum). Work since the last saved frame (< ``log_every`` steps) is redone.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.io.trajectory import Trajectory
from ase.md.velocitydistribution import Stationary
from tqdm.auto import tqdm

from .. import __version__
from ..errors import CalculationFailed, InputError
from ..results import table_file
from .ensembles import make_dynamics
from .settings import MDSettings
from .stability import Instability, StabilityCriteria, StabilityMonitor
from .thermo import ThermoLog, read_thermo, thermo_row, truncate_thermo

THERMO_FILE = "thermo.csv"
TRAJECTORY_FILE = "md.traj"
SUMMARY_FILE = "summary.json"


@dataclass
class MDRun:
    """Outcome of :func:`run_md`.

    Attributes
    ----------
    out_dir : Path
    status : str
        ``completed``, ``unstable`` or ``interrupted``.
    steps_done : int
        Last step reached (completed/unstable) or saved (interrupted).
    instability : Instability or None
        Reason, step and time (ps) of an unstable run.
    thermo : pandas.DataFrame
        The rows of ``thermo.csv``.
    summary : dict
        The content of ``summary.json``.
    """

    out_dir: Path
    status: str
    steps_done: int
    instability: Instability | None
    thermo: pd.DataFrame
    summary: dict

    @property
    def trajectory_path(self) -> Path:
        return self.out_dir / TRAJECTORY_FILE


def run_md(
    atoms: Atoms,
    calculator: Calculator,
    *,
    steps: int,
    out_dir: str | Path,
    stability: StabilityCriteria | None = None,
    progress: bool = True,
    **settings: Any,
) -> MDRun:
    """Molecular dynamics of ``atoms`` with ``calculator``, recorded in ``out_dir``.

    Velocities are drawn from the Maxwell–Boltzmann distribution at ``temperature_K`` with
    ``np.random.default_rng(seed)``, then the centre-of-mass momentum is removed
    (:func:`ase.md.velocitydistribution.Stationary`, temperature preserved). Every step is
    checked by a :class:`~nnp_tutorial.md.stability.StabilityMonitor`; an unstable run
    stops, is recorded and returned — it does not raise. Ctrl-C saves the summary as
    ``interrupted`` and re-raises ``KeyboardInterrupt``; rerun to resume (module docstring).

    Parameters
    ----------
    atoms : Atoms
        Starting structure (periodic); not modified.
    calculator : ase Calculator
        E.g. :class:`~nnp_tutorial.calculator.NNPCalculator`; ``npt`` needs stress.
    steps : int
        Total number of steps from t = 0.
    out_dir : str or Path
        Directory of ``thermo.csv``, ``md.traj`` and ``summary.json`` (created).
    **settings
        The fields of :class:`~nnp_tutorial.md.settings.MDSettings`, each with its default:
        ``ensemble`` ({"nvt", "npt", "nve"}, :mod:`nnp_tutorial.md.ensembles`),
        ``temperature_K`` (initial velocities and thermostat target, K), ``pressure_bar``
        (barostat target, bar), ``timestep_fs`` (fs), ``seed`` (of the initial velocities),
        ``log_every`` (steps between thermo rows and frames), ``taut_fs`` and ``taup_fs``
        (Berendsen coupling times, fs).
    stability : StabilityCriteria, optional
        Thresholds of the stability checks.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    MDRun
    """
    s = MDSettings(**settings)
    if steps < 0:
        raise ValueError(f"need steps >= 0, got {steps}")
    return _start_or_resume(
        atoms, calculator, s, stability, steps=steps, out=Path(out_dir), progress=progress
    )


def _start_or_resume(
    atoms: Atoms,
    calculator: Calculator,
    s: MDSettings,
    stability: StabilityCriteria | None,
    *,
    steps: int,
    out: Path,
    progress: bool,
) -> MDRun:
    """Run ``s`` in ``out`` up to ``steps``: from ``atoms`` at t = 0, or from the last saved frame."""
    out.mkdir(parents=True, exist_ok=True)
    criteria = stability or StabilityCriteria()
    parameters = {
        **asdict(s),
        "stability": criteria.to_dict(),
        "formula": atoms.get_chemical_formula(),
        "n_atoms": len(atoms),
        "model": model_fingerprint(calculator),
    }
    saved = _saved_state(out, parameters, atoms)
    if saved and _finished(saved[2], steps):
        return load_run(out)
    if saved:
        atoms, start = saved[0], saved[1]
        truncate_thermo(out / THERMO_FILE, before_step=start)
    else:
        atoms, start = atoms.copy(), 0
        _thermalize(atoms, s.temperature_K, s.seed)
        (out / THERMO_FILE).unlink(missing_ok=True)
    atoms.calc = calculator
    dyn = make_dynamics(
        s.ensemble, atoms, timestep_fs=s.timestep_fs, temperature_K=s.temperature_K,
        pressure_bar=s.pressure_bar, taut_fs=s.taut_fs, taup_fs=s.taup_fs,
    )  # fmt: skip
    summary = {"nnp_tutorial": __version__, "parameters": parameters, "steps_requested": int(steps)}
    loop = _Loop(out, atoms, dyn, StabilityMonitor(s.temperature_K, criteria), s.timestep_fs, s.log_every)
    if saved:
        loop.monitor.reference_energy_eV = _first_energy(out)
    return _run_recorded(loop, summary, start, steps, new_trajectory=not saved, progress=progress)


def _run_recorded(
    loop: _Loop, summary: dict, start: int, steps: int, *, new_trajectory: bool, progress: bool
) -> MDRun:
    """Run ``loop`` from ``start`` to ``steps`` with ``summary.json`` saying running, then the outcome.

    ``summary`` holds the keys common to every state (version, parameters, steps requested).
    """
    out = loop.out
    _write_summary(out, {**summary, "status": "running", "steps_done": start})
    try:
        instability, done = loop.run(start, steps, new_trajectory=new_trajectory, progress=progress)
    except KeyboardInterrupt:
        _write_summary(out, {**summary, "status": "interrupted", "steps_done": loop.last_saved})
        raise
    status = "unstable" if instability else "completed"
    failure = {}
    if instability:
        failure = {"reason": instability.reason, "failure_step": instability.step}
        failure["failure_time_ps"] = instability.time_ps
    _write_summary(out, {**summary, "status": status, "steps_done": done, **failure})
    return load_run(out)


class _Loop:
    """The step loop of :func:`run_md`: integrate, check, record (frame first, then row)."""

    def __init__(self, out: Path, atoms: Atoms, dyn, monitor: StabilityMonitor, dt_fs: float, every: int):
        self.out, self.atoms, self.dyn, self.monitor = out, atoms, dyn, monitor
        self.dt_fs, self.every = dt_fs, every
        self.last_saved = 0

    def run(self, start: int, steps: int, *, new_trajectory: bool, progress: bool):
        """Steps ``start + 1 … steps``; returns (instability or None, last step reached)."""
        self.last_saved = start
        mode = "w" if new_trajectory else "a"
        with (
            ThermoLog(self.out / THERMO_FILE) as log,
            Trajectory(self.out / TRAJECTORY_FILE, mode) as traj,
            tqdm(total=steps, initial=start, unit="step", disable=not progress, smoothing=0.1) as bar,
        ):
            try:
                self.atoms.get_forces()  # energy, forces and stress of the starting state
            except InputError as exc:  # e.g. atoms on top of each other: unstable from the start
                return Instability(f"the starting structure: {exc}", start, self._time_ps(start)), start
            instability = self.monitor.check(self.atoms, start, self._time_ps(start))
            self._record(log, traj if new_trajectory else None, start)
            step = start
            while instability is None and step < steps:
                step += 1
                try:
                    self.dyn.step()
                except (ArithmeticError, CalculationFailed) as exc:
                    return Instability(f"numerical failure: {exc}", step, self._time_ps(step)), step
                self.dyn.nsteps = step
                instability = self.monitor.check(self.atoms, step, self._time_ps(step))
                if instability or step % self.every == 0 or step == steps:
                    row = self._record(log, traj, step)
                    bar.set_postfix(T=f"{row['temperature_K']:.0f} K", rho=f"{row['density_g_per_ml']:.3f}")
                bar.update()
        return instability, step

    def _time_ps(self, step: int) -> float:
        return step * self.dt_fs * 1e-3

    def _record(self, log: ThermoLog, traj: Trajectory | None, step: int) -> dict:
        if traj is not None:
            frame = self.atoms.copy()  # positions, momenta, cell; no calculator results
            frame.info = {"step": int(step)}
            traj.write(frame)
            self.last_saved = step
        row = thermo_row(self.atoms, step, self.dt_fs)
        log.append(row)
        return row


def model_fingerprint(calculator: Calculator) -> str:
    """sha256 (16 hex digits) of the calculator's model weights, or the calculator's class name."""
    model = getattr(calculator, "model", None)
    if model is None or not hasattr(model, "get_weights"):
        return type(calculator).__name__
    weights = np.ascontiguousarray(model.get_weights(), dtype=np.float64)
    return hashlib.sha256(weights.tobytes()).hexdigest()[:16]


def load_run(out_dir: str | Path) -> MDRun:
    """The :class:`MDRun` recorded in ``out_dir`` (summary and thermo).

    A committed result (``data/results/md/*``) keeps its thermo rows gzipped:
    ``thermo.csv.gz`` is read when ``thermo.csv`` is absent.
    """
    out = Path(out_dir)
    summary = json.loads((out / SUMMARY_FILE).read_text())
    instability = None
    if summary["status"] == "unstable":
        instability = Instability(summary["reason"], summary["failure_step"], summary["failure_time_ps"])
    thermo = read_thermo(table_file(out, THERMO_FILE))
    return MDRun(out, summary["status"], summary["steps_done"], instability, thermo, summary)


def _thermalize(atoms: Atoms, temperature_K: float, seed: int) -> None:
    """Maxwell–Boltzmann momenta from ``default_rng(seed)``, centre-of-mass motion removed."""
    rng = np.random.default_rng(seed)
    try:
        from ase.md.velocitydistribution import thermalize_momenta  # ASE >= 3.29
    except ImportError:  # pragma: no cover
        from ase.md.velocitydistribution import MaxwellBoltzmannDistribution as thermalize_momenta
    thermalize_momenta(atoms, temperature_K=temperature_K, rng=rng)
    Stationary(atoms)


def _saved_state(out: Path, parameters: dict, atoms: Atoms) -> tuple[Atoms, int, dict] | None:
    """(last frame, its step, saved summary) of a run in ``out``, or None if there is none."""
    traj_path, summary_path = out / TRAJECTORY_FILE, out / SUMMARY_FILE
    if not traj_path.exists() or traj_path.stat().st_size == 0:
        return None
    with Trajectory(traj_path) as frames:
        if len(frames) == 0:
            return None
        last = frames[-1]
    if not summary_path.exists():
        raise InputError(f"{TRAJECTORY_FILE} without {SUMMARY_FILE}: cannot resume", path=out)
    summary = json.loads(summary_path.read_text())
    stored = summary["parameters"]
    for key, value in parameters.items():
        if stored.get(key) != value:
            raise InputError(
                f"saved run has {key} = {stored.get(key)!r}, this call {value!r}; "
                "only 'steps' may change on resume (use another output directory)",
                path=summary_path,
            )
    if not np.array_equal(last.numbers, atoms.numbers):
        raise InputError("saved structure has other atoms than the one given", path=traj_path)
    return last, int(last.info["step"]), summary


def _finished(summary: dict, steps: int) -> bool:
    return summary["status"] == "unstable" or (
        summary["status"] == "completed" and summary["steps_done"] >= steps
    )


def _first_energy(out: Path) -> float | None:
    """E_pot of step 0 from the saved thermo rows (the stability reference), if present."""
    thermo = read_thermo(out / THERMO_FILE)
    first = thermo[thermo["step"] == 0]
    return float(first["potential_energy_eV"].iloc[0]) if len(first) else None


def _write_summary(out: Path, summary: dict) -> None:
    tmp = out / (SUMMARY_FILE + ".tmp")
    tmp.write_text(json.dumps(summary, indent=1) + "\n")
    os.replace(tmp, out / SUMMARY_FILE)
