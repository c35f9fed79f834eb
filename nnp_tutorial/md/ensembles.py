r"""Registry of the MD ensembles: ASE integrators with water's settings.

============  =====================================================================
name          integrator
============  =====================================================================
``nve``       :class:`ase.md.verlet.VelocityVerlet`
``nvt``       :class:`ase.md.nvtberendsen.NVTBerendsen`, :math:`\tau_T` = 100 fs
``npt``       :class:`OneForceNPTBerendsen` (ASE's :class:`~ase.md.nptberendsen.NPTBerendsen`,
              one force evaluation per step), :math:`\tau_T` = 100 fs, :math:`\tau_P` = 1 ps,
              isothermal compressibility of water :math:`\kappa_T` = 4.57·10⁻⁵ bar⁻¹
============  =====================================================================

None of them keeps state beyond the atoms (positions, momenta, cell), which is why a run
restarted from a saved frame continues exactly (:mod:`nnp_tutorial.md.runs`).

Berendsen barostat in one force evaluation
------------------------------------------
Each step, ASE's ``NPTBerendsen`` scales the cell and positions by

.. math::

    \mu = 1 - \frac{\Delta t\,\kappa_T}{3\,\tau_P}\,\bigl(P_0 - P(t)\bigr)

(:math:`P` including the kinetic term) *before* the velocity-Verlet step, so the forces at
the scaled positions must be recomputed: two network evaluations per step. :class:`OneForceNPTBerendsen`
computes the same :math:`\mu` from the same :math:`P(t)` but applies it to the drifted positions
:math:`r(t+\Delta t)` and the cell just before the single force evaluation, so the forces of
the first half kick belong to the unscaled :math:`r(t)`. The two orders differ per step by
terms of order :math:`(\mu - 1)` — about :math:`10^{-6}` near equilibrium
(:math:`|P - P_0| \sim 500` bar for 192 water molecules), :math:`10^{-4}` in a freshly built
box — a different discretisation of the same first-order coupling, not a different ensemble.
In the test (24 atoms far from 1 bar, 20 steps) the volume change agrees with ASE's within
2 % and positions within 10⁻³ Å, at half the cost.

Temperature under the Berendsen barostat
----------------------------------------
In NPT the mean temperature settles about 0.5 % below the thermostat's target (NVT: at the
target). Scaling the positions by :math:`\mu` changes the potential energy by
:math:`-(\mu - 1)\,3V P_\mathrm{conf}`; as :math:`\mu - 1` follows the pressure, which
swings by thousands of bar in a box of 64 molecules, this removes energy on average (the
barostat damps the volume fluctuations), and the thermostat, whose heating is proportional to
:math:`T_0 - T`, resupplies it only by running cold. Both rates are about 2 meV/atom/ps in the
320 K run of ``data/results/md/npt320_cheng`` (a test checks they agree).
"""

from __future__ import annotations

from collections.abc import Callable

from ase import Atoms, units
from ase.md.md import MolecularDynamics
from ase.md.nptberendsen import NPTBerendsen
from ase.md.nvtberendsen import NVTBerendsen
from ase.md.verlet import VelocityVerlet

from ..errors import UnknownNameError
from ..units import BAR_TO_EV_PER_ANGSTROM3

#: Isothermal compressibility of liquid water at 300 K, 1/bar.
WATER_COMPRESSIBILITY_PER_BAR: float = 4.57e-5

Builder = Callable[..., MolecularDynamics]
_ENSEMBLES: dict[str, Builder] = {}


def register_ensemble(name: str) -> Callable[[Builder], Builder]:
    """Decorator adding an integrator builder under ``name`` (duplicates are refused)."""

    def add(builder: Builder) -> Builder:
        if name in _ENSEMBLES:
            raise ValueError(f"ensemble {name!r} is already registered")
        _ENSEMBLES[name] = builder
        return builder

    return add


def ensemble_names() -> list[str]:
    """The registered ensembles."""
    return sorted(_ENSEMBLES)


def make_dynamics(
    ensemble: str,
    atoms: Atoms,
    *,
    timestep_fs: float,
    temperature_K: float,
    pressure_bar: float = 1.0,
    taut_fs: float = 100.0,
    taup_fs: float = 1000.0,
    compressibility_per_bar: float = WATER_COMPRESSIBILITY_PER_BAR,
) -> MolecularDynamics:
    """An ASE integrator for ``ensemble`` (``nve``, ``nvt`` or ``npt``) acting on ``atoms``.

    Parameters
    ----------
    ensemble : str
        Registered name (:func:`ensemble_names`).
    atoms : Atoms
        With a calculator (and stress for ``npt``).
    timestep_fs : float
        Time step, fs.
    temperature_K : float
        Thermostat target (ignored by ``nve``), K.
    pressure_bar : float, default 1.0
        Barostat target (``npt`` only), bar.
    taut_fs, taup_fs : float
        Berendsen coupling times of temperature and pressure, fs.
    compressibility_per_bar : float
        κ_T, 1/bar; converted to Å³/eV as ``κ / BAR_TO_EV_PER_ANGSTROM3``.

    Raises
    ------
    UnknownNameError
        ``ensemble`` is not registered (the message lists the valid names).
    """
    if ensemble not in _ENSEMBLES:
        raise UnknownNameError("ensemble", ensemble, ensemble_names())
    return _ENSEMBLES[ensemble](
        atoms,
        timestep=timestep_fs * units.fs,
        temperature_K=temperature_K,
        pressure_au=pressure_bar * BAR_TO_EV_PER_ANGSTROM3,
        taut=taut_fs * units.fs,
        taup=taup_fs * units.fs,
        compressibility_au=compressibility_per_bar / BAR_TO_EV_PER_ANGSTROM3,
    )


@register_ensemble("nve")
def _nve(atoms: Atoms, *, timestep: float, **_) -> MolecularDynamics:
    return VelocityVerlet(atoms, timestep=timestep)


@register_ensemble("nvt")
def _nvt(atoms: Atoms, *, timestep: float, temperature_K: float, taut: float, **_) -> MolecularDynamics:
    return NVTBerendsen(atoms, timestep, temperature_K=temperature_K, taut=taut)


@register_ensemble("npt")
def _npt(atoms: Atoms, *, timestep: float, temperature_K: float, taut: float, **kw) -> MolecularDynamics:
    return OneForceNPTBerendsen(
        atoms,
        timestep,
        temperature_K=temperature_K,
        taut=taut,
        pressure_au=kw["pressure_au"],
        taup=kw["taup"],
        compressibility_au=kw["compressibility_au"],
    )


class OneForceNPTBerendsen(NPTBerendsen):
    """ASE's Berendsen NPT with the cell scaled after the drift: one force evaluation per step.

    See the module docstring for the scheme and its difference from ``NPTBerendsen``.
    """

    def cell_scaling(self) -> float:
        """μ from the current pressure (kinetic term included), as ASE's ``scale_positions_and_cell``."""
        stress = self.atoms.get_stress(voigt=False, include_ideal_gas=True)
        pressure = -stress.trace() / 3
        return 1.0 - self.dt / self.taup * self.compressibility / 3.0 * (self.pressure - pressure)

    def step(self, forces=None):
        """One step: thermostat, half kick, drift, cell scaling, one force evaluation, half kick."""
        self.scale_velocities()
        mu = self.cell_scaling()
        atoms = self.atoms
        if forces is None:
            forces = atoms.get_forces(md=True)
        p = atoms.get_momenta() + 0.5 * self.dt * forces
        if self.fix_com:
            p -= p.sum(axis=0) / len(p)
        atoms.set_positions(atoms.get_positions() + self.dt * p / atoms.get_masses()[:, None])
        atoms.set_cell(mu * atoms.get_cell(), scale_atoms=True)
        atoms.set_momenta(p)
        forces = atoms.get_forces(md=True)
        atoms.set_momenta(p + 0.5 * self.dt * forces)
        return forces
