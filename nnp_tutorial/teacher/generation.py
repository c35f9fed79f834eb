"""Generation of a teacher data set: teacher MD at each state point of a recipe, then labels.

The recipe (:class:`~nnp_tutorial.teacher.recipe.TeacherRecipe`) says which state points and
how many frames; the files written are listed in :mod:`nnp_tutorial.teacher.cache`.

Sampling
--------
Each state point (density ρ, temperature T) gets its own starting structure:

* liquid: a distinct frame of the revPBE0-D3 set (``revpbe0-d3``: 64 molecules of liquid
  at 0.68–1.25 g/ml), drawn with the seed and moved rigidly to ρ
  (:func:`~nnp_tutorial.md.water.scale_to_density`). Only its geometry is used: its
  hydrogen-bond network is that of a liquid, which a lattice-built box
  (:func:`~nnp_tutorial.md.water.water_box`) takes picoseconds of teacher MD to form;
* ice: a proton-disordered box from GenIce2 (:func:`~nnp_tutorial.md.ice.ice_box`) at ρ.

The teacher then runs NVT MD with :func:`~nnp_tutorial.md.runs.run_md` (ensemble ``nvt``:
Berendsen, velocity Verlet, 0.5 fs, velocities drawn with the seed; it keeps no state
beyond the atoms, so an interrupted run resumes exactly). After ``equilibration_ps`` it
keeps one frame every ``stride_fs``. The coupling is strong, τ = 10 fs: the O–H bonds of
the revPBE0-D3 frames are spread far wider (standard deviation 0.07–0.10 Å) than the
teacher's at 300 K, and the teacher's potential energy falls by about 180 meV/atom in the
first 0.1 ps. Measured from such a start at 1.0 g/ml and 300 K: with τ = 10 fs the
temperature is within 20 K of the target and E_pot within 5 meV/atom of its later value
after 0.1 ps; with τ = 50 fs the box is still at 430 K after 0.2 ps. Berendsen scaling this
strong approaches the isokinetic thermostat, whose configurations are canonically
distributed; the suppressed kinetic-energy fluctuations do not matter, as only
configurations are kept (Langevin would serve too, but is not among the package's ensembles).

Labels
------
Each kept frame is wrapped into its cell and evaluated by the teacher once more: the label
is the teacher's prediction for exactly the positions stored (written with every digit,
:mod:`nnp_tutorial.io.extxyz`). Per frame: ``energy`` (eV), ``forces`` (eV/Å), and
``state``, ``source`` (``liquid``, ``ice-1h``, ``ice-1c``), ``density_g_per_ml``,
``temperature_K`` (thermostat) and ``time_ps`` (MD time of the frame).
A state point whose MD becomes unstable (:mod:`nnp_tutorial.md.stability`) contributes no
frames and is reported in ``recipe.json``.

Resuming and determinism
------------------------
Each state point's ``labelled.xyz`` is written when the state point is done, and an
interrupted MD run resumes from its last saved frame, so rerunning the same command after
an interruption loses at most a few steps. Runs are deterministic: every random choice
comes from ``numpy.random.SeedSequence(seed)``, and the teacher first evaluates the
first starting structure of each composition, which fixes the padded array shapes of its
compiled functions (:class:`~nnp_tutorial.descriptors.ShapeBuckets`) whichever state point
a run starts with — the shapes change the last bits of sums, which MD would amplify.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from ase import Atoms

from .. import __version__
from ..datasets import load_potential, load_structures
from ..errors import InputError
from ..io.atomic import atomic_write
from .cache import DATASET_FILE, RECIPE_FILE, cache_path
from .recipe import GENERATOR_VERSION, LIQUID_STARTS, TEACHERS, StatePoint, TeacherRecipe, recipe_hash

if TYPE_CHECKING:  # the teacher and its calculator import TensorFlow: only when a set is made
    from ..calculator import NNPCalculator
    from ..model import BehlerParrinelloNetwork

#: Labelled frames of one state point, in its directory ``states/<label>/``.
LABELLED_FILE = "labelled.xyz"


@dataclass
class TeacherDataset:
    """A generated teacher data set.

    Attributes
    ----------
    directory : Path
    recipe : TeacherRecipe
    states : list of dict
        Per state point: ``label``, ``source``, ``density_g_per_ml``, ``temperature_K``,
        ``status`` (``completed`` or ``unstable``), ``n_frames`` and, if unstable, ``reason``.
    """

    directory: Path
    recipe: TeacherRecipe
    states: list[dict]

    @property
    def path(self) -> Path:
        """The extended XYZ file of all frames."""
        return self.directory / DATASET_FILE

    @property
    def n_frames(self) -> int:
        return sum(s["n_frames"] for s in self.states)


def make_teacher_dataset(
    recipe: TeacherRecipe | None = None,
    out_dir: str | Path | None = None,
    *,
    data_dir: str | Path | None = None,
    progress: bool = True,
    command: str | None = None,
) -> TeacherDataset:
    """Generate (or finish) the teacher data set of ``recipe`` in ``out_dir``.

    Parameters
    ----------
    recipe : TeacherRecipe, optional
        Defaults to ``TeacherRecipe()``.
    out_dir : str or Path, optional
        Output directory; defaults to :func:`~nnp_tutorial.teacher.cache.cache_path`. A directory
        holding another
        recipe's set is refused.
    data_dir : str or Path, optional
        Local data directory for the teacher and the starting frames (see
        :func:`nnp_tutorial.datasets.fetch`).
    progress : bool
        Show a progress bar (teacher evaluations).
    command : str, optional
        Command line recorded in ``recipe.json``.

    Returns
    -------
    TeacherDataset

    Raises
    ------
    InputError
        ``out_dir`` holds the set of another recipe.
    """
    from tqdm.auto import tqdm

    from ..calculator import NNPCalculator

    recipe = recipe or TeacherRecipe()
    out = Path(out_dir) if out_dir is not None else cache_path(recipe)
    header = _claim(out, recipe, command)
    teacher = load_potential(TEACHERS[recipe.teacher], data_dir=data_dir)
    starts = _starting_structures(recipe, data_dir)
    _fix_shapes(teacher, starts)
    calculator = NNPCalculator(teacher)
    per_state = recipe.n_evaluations // len(starts)
    states = []
    with tqdm(total=recipe.n_evaluations, unit="eval", disable=not progress, smoothing=0) as bar:
        for k, (state, start) in enumerate(zip(recipe.state_points, starts)):
            bar.set_postfix_str(state.label)
            states.append(_sample_state(recipe, k, state, start, calculator, out / "states" / state.label))
            bar.update(per_state)
    _write_set(out, recipe, header, states)
    return TeacherDataset(out, recipe, states)


def _claim(out: Path, recipe: TeacherRecipe, command: str | None) -> dict:
    """Check that ``out`` is new or holds this recipe; the ``recipe.json`` header (written if new).

    An existing ``recipe.json`` is left as it is until the run ends, so an interrupted
    rerun of a complete set does not make it look incomplete.
    """
    digest = recipe_hash(recipe)
    path = out / RECIPE_FILE
    stored = json.loads(path.read_text()).get("recipe_hash") if path.exists() else digest
    if stored != digest:
        raise InputError(
            f"holds the teacher data set of recipe {stored}, not {digest}; choose another directory",
            path=path,
        )
    header = {
        "recipe_hash": digest,
        "recipe": recipe.to_dict(),
        "generator_version": GENERATOR_VERSION,
        "teacher_potential": TEACHERS[recipe.teacher],
        "liquid_starts": list(LIQUID_STARTS),
        "nnp_tutorial": __version__,
        "command": command,
        "dataset_file": DATASET_FILE,
    }
    if not path.exists():
        _write_json(path, header)
    return header


def _write_set(out: Path, recipe: TeacherRecipe, header: dict, states: list[dict]) -> None:
    """``dataset.xyz`` (the state points' frames in recipe order), then the complete ``recipe.json``."""
    with atomic_write(out / DATASET_FILE) as handle:
        for state in recipe.state_points:
            handle.write((out / "states" / state.label / LABELLED_FILE).read_text())
    digest = hashlib.sha256((out / DATASET_FILE).read_bytes()).hexdigest()
    n_frames = sum(s["n_frames"] for s in states)
    _write_json(out / RECIPE_FILE, {**header, "states": states, "n_frames": n_frames, "sha256": digest})


def _write_json(path: Path, content: dict) -> None:
    with atomic_write(path) as handle:
        handle.write(json.dumps(content, indent=1) + "\n")


def _seed_sequences(recipe: TeacherRecipe) -> list[np.random.SeedSequence]:
    """Children of ``SeedSequence(seed)``: one per state point, then one for the liquid starts."""
    return np.random.SeedSequence(recipe.seed).spawn(len(recipe.state_points) + 1)


def _seeds(recipe: TeacherRecipe, k: int) -> tuple[int, int]:
    """(structure seed, velocity seed) of state point ``k``."""
    structure, velocities = _seed_sequences(recipe)[k].generate_state(2)
    return int(structure), int(velocities)


def _starting_structures(recipe: TeacherRecipe, data_dir: str | Path | None) -> list[Atoms]:
    """One structure per state point (module docstring, Sampling), in recipe order."""
    from ..md.ice import ice_box
    from ..md.water import scale_to_density

    states = recipe.state_points
    liquid = [k for k, s in enumerate(states) if s.source == "liquid"]
    name, n_frames = LIQUID_STARTS
    rng = np.random.default_rng(_seed_sequences(recipe)[-1])
    picks = rng.choice(n_frames, size=len(liquid), replace=False) if liquid else []
    frames = iter(load_structures(name, data_dir=data_dir, index=[int(i) for i in picks]))
    starts = []
    for k, state in enumerate(states):
        if state.source == "liquid":
            starts.append(scale_to_density(next(frames), state.density_g_per_ml))
        else:
            polymorph = state.source.removeprefix("ice-")
            starts.append(ice_box(polymorph, state.density_g_per_ml, seed=_seeds(recipe, k)[0]))
    return starts


def _fix_shapes(teacher: BehlerParrinelloNetwork, starts: Iterable[Atoms]) -> None:
    """Evaluate the first start of each composition, so padded shapes do not depend on where a run starts."""
    seen = set()
    for atoms in starts:
        formula = atoms.get_chemical_formula()
        if formula not in seen:
            seen.add(formula)
            teacher.evaluate(atoms)


def _sample_state(
    recipe: TeacherRecipe,
    k: int,
    state: StatePoint,
    start: Atoms,
    calculator: NNPCalculator,
    directory: Path,
) -> dict:
    """Run (or resume) the MD of one state point and label its frames; the state's report."""
    from ..md import load_run, run_md

    labelled = directory / LABELLED_FILE
    if labelled.exists():
        run = load_run(directory)
    else:
        run = run_md(
            start,
            calculator,
            steps=recipe.steps_per_state,
            out_dir=directory,
            ensemble="nvt",
            temperature_K=state.temperature_K,
            timestep_fs=recipe.timestep_fs,
            seed=_seeds(recipe, k)[1],
            log_every=math.gcd(recipe.equilibration_steps, recipe.stride_steps),
            taut_fs=recipe.taut_fs,
            progress=False,
        )
        frames = [] if run.status == "unstable" else _kept_frames(run.trajectory_path, recipe)
        with atomic_write(labelled) as handle:
            for atoms in frames:
                handle.write(_label(calculator.model, atoms, state, recipe.timestep_fs))
    report = {**dataclasses.asdict(state), "label": state.label, "status": run.status}
    report["n_frames"] = recipe.frames_per_state if run.status == "completed" else 0
    if run.instability is not None:
        report["reason"] = f"{run.instability.reason} at {run.instability.time_ps:g} ps"
    return report


def _kept_frames(trajectory: Path, recipe: TeacherRecipe) -> list[Atoms]:
    """Frames at steps ``equilibration + j * stride``, j = 0 … frames_per_state - 1."""
    from ase.io.trajectory import Trajectory

    wanted = {recipe.equilibration_steps + j * recipe.stride_steps for j in range(recipe.frames_per_state)}
    with Trajectory(trajectory) as frames:
        kept = [atoms for atoms in frames if atoms.info["step"] in wanted]
    assert len(kept) == len(wanted)  # log_every divides equilibration and stride
    return kept


def _label(teacher: BehlerParrinelloNetwork, frame: Atoms, state: StatePoint, timestep_fs: float) -> str:
    """The frame wrapped into its cell, labelled by the teacher, as extended XYZ text."""
    from ..io.extxyz import format_extxyz_frame
    from ..md.water import density

    atoms = Atoms(frame.numbers, positions=frame.positions, cell=frame.cell, pbc=frame.pbc)
    atoms.wrap()
    result = teacher.evaluate(atoms)
    info = {
        "state": state.label,
        "source": state.source,
        "density_g_per_ml": density(atoms),
        "temperature_K": state.temperature_K,
        "time_ps": frame.info["step"] * timestep_fs / 1000,
    }
    return format_extxyz_frame(atoms, result.energy, result.forces, info)
