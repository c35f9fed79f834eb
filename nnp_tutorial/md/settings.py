"""The settings of an MD run, declared once: :class:`MDSettings`, and what a box costs.

:func:`~nnp_tutorial.md.runs.run_md` takes these fields as keyword arguments and stores them
in ``summary.json``; ``nnp-tutorial md`` has one option per field, generated from the same
declarations (:mod:`nnp_tutorial.config`): ``--temperature`` (K), ``--pressure`` (bar),
``--timestep`` (fs), ``--taut`` and ``--taup`` (fs), ``--log-every``, ``--seed``,
``--ensemble``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import FINITE, at_least, greater_than, setting, validate
from .ensembles import ensemble_names

#: Wall time of one MD step per atom, s: 13.2–14.3 ms per step of 64 water molecules
#: (192 atoms) with the Cheng potential, float64 loops engine (benchmarks/bench_md.py,
#: README); the cost grows linearly with the number of atoms.
SECONDS_PER_ATOM_STEP = 14e-3 / 192
#: Largest box of a workshop exercise, molecules (8 times the study's 64).
WORKSHOP_MOLECULES = 512


@dataclass(frozen=True)
class MDSettings:
    """Ensemble, thermostat, barostat, time step and logging of an MD run.

    ``print(nnp_tutorial.config.describe(MDSettings))`` lists each field with its unit, valid
    values and default. A bad value raises :class:`~nnp_tutorial.config.SettingError`.

    Example
    -------
    >>> MDSettings(ensemble="npt", temperature_K=320).temperature_K
    320.0
    >>> MDSettings(timestep_fs=0)
    Traceback (most recent call last):
    ...
    nnp_tutorial.config.SettingError: timestep_fs = 0.0: must be > 0 (time step)
    """

    ensemble: str = setting("nvt", help="ensemble", choices=ensemble_names())
    temperature_K: float = setting(
        300.0,
        help="initial velocities and thermostat target",
        unit="K",
        valid=greater_than(0),
        flag="--temperature",
    )
    pressure_bar: float = setting(
        1.0, help="barostat target (npt)", unit="bar", valid=FINITE, flag="--pressure"
    )
    timestep_fs: float = setting(0.5, help="time step", unit="fs", valid=greater_than(0), flag="--timestep")
    seed: int = setting(0, help="seed of the initial velocities", valid=at_least(0))
    log_every: int = setting(20, help="steps between thermo rows and trajectory frames", valid=at_least(1))
    taut_fs: float = setting(
        100.0, help="thermostat coupling time", unit="fs", valid=greater_than(0), flag="--taut"
    )
    taup_fs: float = setting(
        1000.0, help="barostat coupling time", unit="fs", valid=greater_than(0), flag="--taup"
    )

    def __post_init__(self) -> None:
        validate(self)


def expected_seconds(n_atoms: int, steps: int) -> float:
    """Expected wall time of ``steps`` MD steps of ``n_atoms`` atoms, s (:data:`SECONDS_PER_ATOM_STEP`)."""
    return SECONDS_PER_ATOM_STEP * n_atoms * steps


def size_warning(n_molecules: int, steps: int) -> str | None:
    """A warning with the expected time when a water box is far beyond :data:`WORKSHOP_MOLECULES`.

    >>> size_warning(64, 1000) is None
    True
    >>> print(size_warning(4096, 100_000))
    4096 molecules is far beyond a workshop box (<= 512): 100000 steps take about 24.9 h
    """
    if n_molecules <= WORKSHOP_MOLECULES:
        return None
    seconds = expected_seconds(3 * n_molecules, steps)
    duration = f"{seconds / 3600:.1f} h" if seconds > 7200 else f"{seconds / 60:.0f} min"
    return (
        f"{n_molecules} molecules is far beyond a workshop box (<= {WORKSHOP_MOLECULES}): "
        f"{steps} steps take about {duration}"
    )
