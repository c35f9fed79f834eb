"""The recipe of a teacher data set: pure data, checked when made, hashed to name the result.

A :class:`TeacherRecipe` fixes everything; its :func:`recipe_hash` names the result.

=============================  =========================  =======================================
field                          default                    meaning
=============================  =========================  =======================================
``teacher``                    ``"blyp"``                 key of :data:`TEACHERS`
``seed``                       0                          seeds all random choices
``liquid_densities_g_per_ml``  0.80, 0.90, … 1.30 (6)     NVT densities of the liquid boxes
``liquid_temperatures_K``      250, 300, 375, 450         thermostat temperatures (liquid)
``ice_polymorphs``             ``1h``, ``1c``             GenIce2 lattices (:mod:`nnp_tutorial.md.ice`)
``ice_densities_g_per_ml``     0.92                       densities of the ice boxes
``ice_temperatures_K``         100, 220                   thermostat temperatures (ice)
``frames_per_state``           70                         labelled frames per state point
``equilibration_ps``           0.1                        MD before the first kept frame
``stride_fs``                  4                          time between kept frames
``timestep_fs``                0.5                        MD time step
``taut_fs``                    10                         Berendsen coupling time
=============================  =========================  =======================================

The default has 24 liquid and 4 ice state points, 1960 frames (1680 liquid, 280 ice).

Decorrelation and cost: the O–H stretch has a period of about 10 fs, librations 20–50 fs,
and the hydrogen-bond network rearranges over picoseconds. Frames of one state point, 4 fs
apart, are therefore correlated; the diversity of the set comes from the 28 independent
starts (distinct revPBE0-D3 frames or GenIce2 networks) at 28 state points. The default
costs ``n_evaluations`` = 23,044 teacher evaluations of a 192-atom box, about 25 CPU-minutes
(:data:`CPU_SECONDS_PER_EVALUATION`, 10 % more for the denser boxes); frames 25 fs apart
(``stride_fs=25``) would cost 4.5 times as much.

How a recipe is carried out is described in :mod:`nnp_tutorial.teacher.generation`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from ..errors import InputError, UnknownNameError

#: Teacher keys -> registered potentials.
TEACHERS: dict[str, str] = {
    "blyp": "nnp-blyp-morawietz2016",
    "blyp-d3": "nnp-blyp-d3-morawietz2016",
    "rpbe": "nnp-rpbe-morawietz2016",
    "rpbe-d3": "nnp-rpbe-d3-morawietz2016",
}
#: Version of the generation procedure; part of the recipe hash (bump when the output changes).
GENERATOR_VERSION = 1
#: Data set whose frames start the liquid state points, and its number of frames.
LIQUID_STARTS = ("revpbe0-d3", 1593)
#: CPU time of one teacher MD step of a 192-atom box at 1 g/ml on one core of the 2-core
#: development machine, s (≈ 19 steps/s; used for run-time estimates only).
CPU_SECONDS_PER_EVALUATION = 0.06
#: Densities the MD stability check accepts (:class:`~nnp_tutorial.md.stability.StabilityCriteria`).
_DENSITY_RANGE_G_PER_ML = (0.3, 2.0)


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
        from ..md.ice import ICE_POLYMORPHS  # the md package (pandas, ...) only once a recipe is made

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
        """MD steps before the first kept frame (``equilibration_ps / timestep_fs``)."""
        return round(1000 * self.equilibration_ps / self.timestep_fs)

    @property
    def stride_steps(self) -> int:
        """MD steps between kept frames (``stride_fs / timestep_fs``)."""
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
