r"""Teacher data sets: water configurations labelled by a published potential.

The study's BLYP DFT training set is not public. We rebuild a set of the same kind — liquid
water boxes of 64 molecules over a range of densities and temperatures, plus ice — and
label it with the published BLYP HDNNP of Morawietz *et al.* 2016 (registered as
``nnp-blyp-morawietz2016``) as a *teacher*: its energies and forces play the role of the
DFT labels. ``--dataset teacher-blyp`` then trains students on it like on any data set.

Recipe
------
A :class:`TeacherRecipe` fixes everything; its :func:`recipe_hash` names the result.

=============================  =========================  =======================================
field                          default                    meaning
=============================  =========================  =======================================
``teacher``                    ``"blyp"``                 key of :data:`TEACHERS`
``seed``                       0                          seeds all random choices
``liquid_densities_g_per_ml``  0.80, 0.90, … 1.30 (6)     NVT densities of the liquid boxes
``liquid_temperatures_K``      250, 300, 375, 450         thermostat temperatures (liquid)
``ice_polymorphs``             ``1h``, ``1c``             GenIce2 lattices (:mod:`.md.ice`)
``ice_densities_g_per_ml``     0.92                       densities of the ice boxes
``ice_temperatures_K``         100, 220                   thermostat temperatures (ice)
``frames_per_state``           70                         labelled frames per state point
``equilibration_ps``           0.1                        MD before the first kept frame
``stride_fs``                  4                          time between kept frames
``timestep_fs``                0.5                        MD time step
``taut_fs``                    10                         Berendsen coupling time
=============================  =========================  =======================================

The default has 24 liquid and 4 ice state points, 1960 frames (1680 liquid, 280 ice).

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

Decorrelation and cost: the O–H stretch has a period of about 10 fs, librations 20–50 fs,
and the hydrogen-bond network rearranges over picoseconds. Frames of one state point, 4 fs
apart, are therefore correlated; the diversity of the set comes from the 28 independent
starts (distinct revPBE0-D3 frames or GenIce2 networks) at 28 state points. The default
costs ``n_evaluations`` = 23,044 teacher evaluations of a 192-atom box, about 25 CPU-minutes
(:data:`CPU_SECONDS_PER_EVALUATION`, 10 % more for the denser boxes); frames 25 fs apart
(``stride_fs=25``) would cost 4.5 times as much.

Labels
------
Each kept frame is wrapped into its cell and evaluated by the teacher once more: the label
is the teacher's prediction for exactly the positions stored (written with every digit,
:mod:`nnp_tutorial.io.extxyz`). Per frame: ``energy`` (eV), ``forces`` (eV/Å), and
``state``, ``source`` (``liquid``, ``ice-1h``, ``ice-1c``), ``density_g_per_ml``,
``temperature_K`` (thermostat) and ``time_ps`` (MD time of the frame).
A state point whose MD becomes unstable (:mod:`nnp_tutorial.md.stability`) contributes no
frames and is reported in ``recipe.json``.

Files, resuming and determinism
-------------------------------
==================================  ==============================================================
``recipe.json``                     recipe, its hash, package version, command, per-state report,
                                    number of frames and the sha256 of ``dataset.xyz``
``dataset.xyz``                     all labelled frames, state points in recipe order
``states/<label>/``                 the state point's MD (``run_md`` files) and ``labelled.xyz``
==================================  ==============================================================

Each state point's ``labelled.xyz`` is written when the state point is done, and an
interrupted MD run resumes from its last saved frame, so rerunning the same command after
an interruption loses at most a few steps. Runs are deterministic: every random choice
comes from ``numpy.random.SeedSequence(seed)``, and the teacher first evaluates the
first starting structure of each composition, which fixes the padded array shapes of its
compiled functions (:class:`~nnp_tutorial.descriptors.ShapeBuckets`) whichever state point
a run starts with — the shapes change the last bits of sums, which MD would amplify.

Cache
-----
``make_teacher_dataset(recipe)`` without ``out_dir`` writes to
``cache_dir()/teacher-<teacher>/<recipe hash>/`` (see :func:`nnp_tutorial.datasets.cache_dir`);
:func:`install` copies a set generated elsewhere there. ``--dataset teacher-blyp`` reads
the default recipe's set from the cache, ``--dataset DIR`` a generated directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase import Atoms

from . import __version__, datasets
from .errors import InputError, NNPTutorialError, UnknownNameError
from .io.atomic import atomic_write

#: Teacher keys -> registered potentials.
TEACHERS: dict[str, str] = {
    "blyp": "nnp-blyp-morawietz2016",
    "blyp-d3": "nnp-blyp-d3-morawietz2016",
    "rpbe": "nnp-rpbe-morawietz2016",
    "rpbe-d3": "nnp-rpbe-d3-morawietz2016",
}
#: Version of the generation procedure; part of the recipe hash (bump when the output changes).
GENERATOR_VERSION = 1
RECIPE_FILE = "recipe.json"
DATASET_FILE = "dataset.xyz"
LABELLED_FILE = "labelled.xyz"
#: Data set whose frames start the liquid state points, and its number of frames.
LIQUID_STARTS = ("revpbe0-d3", 1593)
#: CPU time of one teacher MD step of a 192-atom box at 1 g/ml on one core of the 2-core
#: development machine, s (≈ 19 steps/s; used for run-time estimates only).
CPU_SECONDS_PER_EVALUATION = 0.06
#: Densities the MD stability check accepts (:class:`~nnp_tutorial.md.stability.StabilityCriteria`).
_DENSITY_RANGE_G_PER_ML = (0.3, 2.0)


class DatasetNotGeneratedError(NNPTutorialError, FileNotFoundError):
    """A teacher data set was asked for that has not been generated (the message says how)."""


@dataclass(frozen=True)
class StatePoint:
    """One NVT state point of a teacher recipe.

    Attributes
    ----------
    source : str
        ``"liquid"`` or ``"ice-<polymorph>"``.
    density_g_per_ml : float
    temperature_K : float
    """

    source: str
    density_g_per_ml: float
    temperature_K: float

    @property
    def label(self) -> str:
        """Directory name, e.g. ``liquid_1.000gml_300K``."""
        return f"{self.source}_{self.density_g_per_ml:.3f}gml_{self.temperature_K:g}K"


@dataclass(frozen=True)
class TeacherRecipe:
    """Everything that determines a teacher data set (table in the module docstring).

    Sequences are stored as tuples of floats; invalid values raise
    :class:`~nnp_tutorial.errors.InputError` (unknown names
    :class:`~nnp_tutorial.errors.UnknownNameError`) when the recipe is made.

    Example
    -------
    >>> recipe = TeacherRecipe()
    >>> len(recipe.state_points), recipe.n_frames, recipe.steps_per_state
    (28, 1960, 752)
    >>> recipe_hash(recipe) == recipe_hash(TeacherRecipe(seed=0))
    True
    """

    teacher: str = "blyp"
    seed: int = 0
    liquid_densities_g_per_ml: tuple[float, ...] = (0.8, 0.9, 1.0, 1.1, 1.2, 1.3)
    liquid_temperatures_K: tuple[float, ...] = (250.0, 300.0, 375.0, 450.0)
    ice_polymorphs: tuple[str, ...] = ("1h", "1c")
    ice_densities_g_per_ml: tuple[float, ...] = (0.92,)
    ice_temperatures_K: tuple[float, ...] = (100.0, 220.0)
    frames_per_state: int = 70
    equilibration_ps: float = 0.1
    stride_fs: float = 4.0
    timestep_fs: float = 0.5
    taut_fs: float = 10.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "ice_polymorphs":
                object.__setattr__(self, field.name, tuple(str(v) for v in value))
            elif field.type.startswith("tuple"):
                object.__setattr__(self, field.name, tuple(float(v) for v in value))
        if self.teacher not in TEACHERS:
            raise UnknownNameError("teacher", self.teacher, list(TEACHERS))
        from .md.ice import ICE_POLYMORPHS

        for polymorph in self.ice_polymorphs:
            if polymorph not in ICE_POLYMORPHS:
                raise UnknownNameError("ice polymorph", polymorph, list(ICE_POLYMORPHS))
        problems = self._problems()
        if problems:
            raise InputError("invalid teacher recipe: " + "; ".join(problems))

    def _problems(self) -> list[str]:
        low, high = _DENSITY_RANGE_G_PER_ML
        densities = self.liquid_densities_g_per_ml + self.ice_densities_g_per_ml
        checks = [
            (isinstance(self.seed, int) and self.seed >= 0, f"seed must be an int >= 0, not {self.seed!r}"),
            (all(low < d < high for d in densities), f"densities must lie in ({low}, {high}) g/ml"),
            (
                all(t > 0 for t in self.liquid_temperatures_K + self.ice_temperatures_K),
                "temperatures must be > 0 K",
            ),
            (self.frames_per_state >= 1, f"frames_per_state must be >= 1, not {self.frames_per_state}"),
            (self.timestep_fs > 0 and self.taut_fs > 0, "timestep_fs and taut_fs must be > 0"),
            (
                self.equilibration_ps >= 0 and self.stride_fs > 0,
                "need equilibration_ps >= 0 and stride_fs > 0",
            ),
            (_whole(self.stride_fs / self.timestep_fs), "stride_fs must be a multiple of timestep_fs"),
            (_whole(1000 * self.equilibration_ps / self.timestep_fs), "equilibration must be whole steps"),
            (len(self.state_points) > 0, "no state points (give liquid or ice densities and temperatures)"),
        ]
        labels = [s.label for s in self.state_points]
        checks.append((len(set(labels)) == len(labels), "two state points share a label"))
        return [message for ok, message in checks if not ok]

    @property
    def state_points(self) -> list[StatePoint]:
        """Liquid (density-major), then ice (polymorph, density, temperature)."""
        liquid = [
            StatePoint("liquid", d, t)
            for d in self.liquid_densities_g_per_ml
            for t in self.liquid_temperatures_K
        ]
        ice = [
            StatePoint(f"ice-{p}", d, t)
            for p in self.ice_polymorphs
            for d in self.ice_densities_g_per_ml
            for t in self.ice_temperatures_K
        ]
        return liquid + ice

    @property
    def equilibration_steps(self) -> int:
        return round(1000 * self.equilibration_ps / self.timestep_fs)

    @property
    def stride_steps(self) -> int:
        return round(self.stride_fs / self.timestep_fs)

    @property
    def steps_per_state(self) -> int:
        """MD steps of one state point: equilibration, then ``frames_per_state - 1`` strides."""
        return self.equilibration_steps + (self.frames_per_state - 1) * self.stride_steps

    @property
    def n_frames(self) -> int:
        """Labelled frames when no state point becomes unstable."""
        return len(self.state_points) * self.frames_per_state

    @property
    def n_evaluations(self) -> int:
        """Teacher evaluations of a full run: MD steps + step 0 + one label per frame."""
        return len(self.state_points) * (self.steps_per_state + 1 + self.frames_per_state)

    @property
    def cpu_minutes(self) -> float:
        """Estimated cost of a full run, CPU-minutes (:data:`CPU_SECONDS_PER_EVALUATION`)."""
        return self.n_evaluations * CPU_SECONDS_PER_EVALUATION / 60

    def to_dict(self) -> dict:
        """JSON-ready copy (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


def _whole(x: float) -> bool:
    return abs(x - round(x)) < 1e-9 and round(x) >= 0


def recipe_hash(recipe: TeacherRecipe) -> str:
    """16 hex digits of the sha256 of the recipe and :data:`GENERATOR_VERSION` (canonical JSON)."""
    payload = {"generator_version": GENERATOR_VERSION, "liquid_starts": LIQUID_STARTS, **recipe.to_dict()}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def dataset_name(teacher: str) -> str:
    """Name under which a teacher's default set is loaded, e.g. ``teacher-blyp``."""
    return f"teacher-{teacher}"


def cache_path(recipe: TeacherRecipe) -> Path:
    """``cache_dir()/teacher-<teacher>/<recipe hash>``: where the recipe's set is cached."""
    return datasets.cache_dir() / dataset_name(recipe.teacher) / recipe_hash(recipe)


# --------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------


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
        Output directory; defaults to :func:`cache_path`. A directory holding another
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

    from .calculator import NNPCalculator

    recipe = recipe or TeacherRecipe()
    out = Path(out_dir) if out_dir is not None else cache_path(recipe)
    header = _claim(out, recipe, command)
    teacher = datasets.load_potential(TEACHERS[recipe.teacher], data_dir=data_dir)
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
    with atomic_write(out / DATASET_FILE) as handle:
        for state in recipe.state_points:
            handle.write((out / "states" / state.label / LABELLED_FILE).read_text())
    digest = hashlib.sha256((out / DATASET_FILE).read_bytes()).hexdigest()
    n_frames = sum(s["n_frames"] for s in states)
    _write_json(out / RECIPE_FILE, {**header, "states": states, "n_frames": n_frames, "sha256": digest})
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
    from .md.ice import ice_box
    from .md.water import scale_to_density

    states = recipe.state_points
    liquid = [k for k, s in enumerate(states) if s.source == "liquid"]
    name, n_frames = LIQUID_STARTS
    rng = np.random.default_rng(_seed_sequences(recipe)[-1])
    picks = rng.choice(n_frames, size=len(liquid), replace=False) if liquid else []
    frames = iter(datasets.load_structures(name, data_dir=data_dir, index=[int(i) for i in picks]))
    starts = []
    for k, state in enumerate(states):
        if state.source == "liquid":
            starts.append(scale_to_density(next(frames), state.density_g_per_ml))
        else:
            polymorph = state.source.removeprefix("ice-")
            starts.append(ice_box(polymorph, state.density_g_per_ml, seed=_seeds(recipe, k)[0]))
    return starts


def _fix_shapes(teacher, starts: Iterable[Atoms]) -> None:
    """Evaluate the first start of each composition, so padded shapes do not depend on where a run starts."""
    seen = set()
    for atoms in starts:
        formula = atoms.get_chemical_formula()
        if formula not in seen:
            seen.add(formula)
            teacher.evaluate(atoms)


def _sample_state(
    recipe: TeacherRecipe, k: int, state: StatePoint, start: Atoms, calculator, directory: Path
) -> dict:
    """Run (or resume) the MD of one state point and label its frames; the state's report."""
    from .md import load_run, run_md

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


def _label(teacher, frame: Atoms, state: StatePoint, timestep_fs: float) -> str:
    """The frame wrapped into its cell, labelled by the teacher, as extended XYZ text."""
    from .io.extxyz import format_extxyz_frame
    from .md.water import density

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


# --------------------------------------------------------------------------------------
# Finding a generated set
# --------------------------------------------------------------------------------------


@datasets.register_generated
def generated_dataset_file(spec: str | Path) -> Path | None:
    """The checked structure file of a generated teacher set, or None if ``spec`` names none.

    Registered with :func:`nnp_tutorial.datasets.register_generated`, so that the loaders
    (:func:`~nnp_tutorial.datasets.iter_structures`) read these sets once this module is imported.

    Parameters
    ----------
    spec : str or Path
        ``teacher-<teacher>`` (the default recipe's set in the cache, e.g. ``teacher-blyp``)
        or a directory written by :func:`make_teacher_dataset`.

    Raises
    ------
    DatasetNotGeneratedError
        ``teacher-<teacher>`` has not been generated, or the directory is incomplete;
        the message names the command that makes it.
    ChecksumError
        ``dataset.xyz`` does not have the sha256 recorded in ``recipe.json``.
    """
    path = Path(spec)
    if path.is_dir() and (path / RECIPE_FILE).is_file():
        return _checked_file(path, f"finish it by rerunning its command (see {path / RECIPE_FILE})")
    teacher = str(spec).removeprefix("teacher-")
    if not str(spec).startswith("teacher-") or teacher not in TEACHERS:
        return None
    recipe = TeacherRecipe(teacher=teacher)
    directory = cache_path(recipe)
    command = f"nnp-tutorial make-teacher-dataset --teacher {teacher}"
    if not (directory / RECIPE_FILE).is_file():
        raise DatasetNotGeneratedError(
            f"the teacher data set {spec!r} (recipe {recipe_hash(recipe)}) has not been generated: "
            f"run `{command}` once ({recipe.n_evaluations} teacher evaluations, about "
            f"{recipe.cpu_minutes:.0f} CPU-minutes), "
            "or pass --dataset DIR with a directory it wrote"
        )
    return _checked_file(directory, f"run `{command}` to finish it")


def _checked_file(directory: Path, remedy: str) -> Path:
    from .errors import ChecksumError

    header = json.loads((directory / RECIPE_FILE).read_text())
    path = directory / header.get("dataset_file", DATASET_FILE)
    if "sha256" not in header or not path.is_file():
        raise DatasetNotGeneratedError(f"{directory}: the teacher data set is incomplete; {remedy}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != header["sha256"]:
        raise ChecksumError(f"{path}: sha256 {digest} differs from {header['sha256']} in {RECIPE_FILE}")
    return path


def install(directory: str | Path) -> Path:
    """Copy a complete generated set (``dataset.xyz``, ``recipe.json``) into the cache; its path there.

    After this, ``--dataset teacher-<teacher>`` finds a set made with ``--out DIR`` and the
    default recipe.
    """
    directory = Path(directory)
    source = _checked_file(directory, "generate it completely first")
    header = json.loads((directory / RECIPE_FILE).read_text())
    target = datasets.cache_dir() / dataset_name(header["recipe"]["teacher"]) / header["recipe_hash"]
    if target.resolve() != directory.resolve():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / source.name)
        shutil.copyfile(directory / RECIPE_FILE, target / RECIPE_FILE)
    return target


# --------------------------------------------------------------------------------------
# Figure
# --------------------------------------------------------------------------------------


def plot_energy_density(frames: Iterable[Atoms]):
    """2D histogram of the energy per atom against the density of labelled frames.

    Energies are shown relative to the lowest energy per atom of the set, meV/atom.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from .md.water import density

    table = np.array([(density(a), a.get_potential_energy() / len(a)) for a in frames])  # (n, 2)
    rho, energy = table[:, 0], 1000 * (table[:, 1] - table[:, 1].min())
    figure = Figure(figsize=(6, 4.2), layout="constrained")
    axes = figure.add_subplot()
    density_bins = np.arange(rho.min() - 0.0125, rho.max() + 0.025, 0.025)
    counts = axes.hist2d(rho, energy, bins=[density_bins, 60], cmin=1, cmap="viridis")[3]
    figure.colorbar(counts, ax=axes, label="frames")
    axes.set_xlabel("density (g/ml)")
    axes.set_ylabel("energy per atom − lowest (meV/atom)")
    axes.set_title(f"teacher data set: {len(rho)} frames")
    return figure


def ground_truth(teacher: str = "blyp"):
    """The teacher's own reference numbers (``data/results/teacher_<teacher>_ground_truth.csv``).

    Returns a ``pandas.DataFrame`` with one row per quantity and the columns
    ``quantity``, ``value``, ``error`` (standard error from block averaging),
    ``unit``, ``from_ps``, ``to_ps`` (the averaged window) and ``source`` (the
    run directory under ``data/results``, whose ``summary.json`` holds the command).
    """
    import pandas as pd

    from .results import results_path

    return pd.read_csv(results_path(f"teacher_{teacher}_ground_truth.csv"), comment="#")


def student_results(teacher: str = "blyp"):
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

    from .results import results_path

    return pd.read_csv(results_path(f"teacher_{teacher}", "students.csv"), comment="#")
