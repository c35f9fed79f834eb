"""Detect an MD run that has left physically sane territory.

An unstable run is a *result*, not an error: :class:`StabilityMonitor.check` returns an
:class:`Instability` (reason, step, time) or ``None`` and never raises, and
:func:`~nnp_tutorial.md.runs.run_md` stops and records it in ``summary.json``.

Criteria (:class:`StabilityCriteria`, checked in this order)
------------------------------------------------------------
=============================  ==============================  ================================
criterion                      default                         liquid water at 250–400 K
=============================  ==============================  ================================
non-finite positions, energy   —                               always finite
or forces
closest pair of any atoms      < 0.5 Å                         ≈ 0.9 Å (covalent O–H)
closest O–O pair               < 1.8 Å                         ≈ 2.4 Å (shortest H bonds)
density                        outside 0.3–2.0 g/ml            0.9–1.1 g/ml
temperature                    > 5 × target                    target ± 10 %
|E_pot − E_pot(step 0)| / N    > 1 eV/atom                     ≲ 0.1 eV/atom
=============================  ==============================  ================================

Distances use the minimum image through a vesin neighbour list with the largest
distance threshold as cutoff (well under 1 ms for 192 atoms).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from ase import Atoms
from vesin import NeighborList

from .water import density


@dataclass(frozen=True)
class StabilityCriteria:
    """Thresholds of :class:`StabilityMonitor` (see the module table).

    Attributes
    ----------
    min_distance_A : float
        Smallest allowed distance between any two atoms, Å.
    min_oo_distance_A : float
        Smallest allowed O–O distance, Å.
    density_range_g_per_ml : tuple of float
        Allowed (lowest, highest) density, g/ml.
    max_temperature_ratio : float
        Largest allowed temperature / target temperature.
    max_energy_change_eV_per_atom : float
        Largest allowed |E_pot − E_pot(step 0)| / n_atoms, eV/atom.
    """

    min_distance_A: float = 0.5
    min_oo_distance_A: float = 1.8
    density_range_g_per_ml: tuple[float, float] = (0.3, 2.0)
    max_temperature_ratio: float = 5.0
    max_energy_change_eV_per_atom: float = 1.0

    def to_dict(self) -> dict:
        """JSON-friendly copy."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Instability:
    """Why and when a run became unstable.

    Attributes
    ----------
    reason : str
        Which criterion failed, with the offending value.
    step : int
        MD step at which it was detected.
    time_ps : float
        Simulated time at that step, ps.
    """

    reason: str
    step: int
    time_ps: float


class StabilityMonitor:
    """Checks a structure against :class:`StabilityCriteria` after each MD step.

    Parameters
    ----------
    target_temperature_K : float
        Thermostat temperature (NVE: the initial temperature), K.
    criteria : StabilityCriteria, optional
    reference_energy_eV : float, optional
        E_pot at step 0; when None, the first checked structure sets it.

    Example
    -------
    >>> from ase import Atoms
    >>> from ase.calculators.singlepoint import SinglePointCalculator
    >>> atoms = Atoms("OO", positions=[[0, 0, 0], [1.2, 0, 0]], cell=[3, 3, 3], pbc=True)
    >>> atoms.calc = SinglePointCalculator(atoms, energy=0.0, forces=np.zeros((2, 3)))
    >>> StabilityMonitor(300.0).check(atoms, step=7, time_ps=0.0035).reason
    'O–O distance 1.200 Å < 1.8 Å'
    """

    def __init__(
        self,
        target_temperature_K: float,
        criteria: StabilityCriteria | None = None,
        *,
        reference_energy_eV: float | None = None,
    ) -> None:
        self.target_temperature_K = float(target_temperature_K)
        self.criteria = criteria or StabilityCriteria()
        self.reference_energy_eV = reference_energy_eV

    def check(self, atoms: Atoms, step: int, time_ps: float) -> Instability | None:
        """The first failed criterion as an :class:`Instability`, or None if all pass.

        Energy and forces come from ``atoms.calc``'s stored results (no new evaluation).
        """
        with np.errstate(all="ignore"):  # a broken state may hold inf/nan: report it, don't raise
            for test in (self._finite, self._distances, self._density, self._temperature, self._energy):
                reason = test(atoms)
                if reason:
                    return Instability(reason, int(step), float(time_ps))
        return None

    # each test returns a reason or None --------------------------------------------------
    def _finite(self, atoms: Atoms) -> str | None:
        results = atoms.calc.results
        for name, values in (
            ("positions", atoms.positions),
            ("momenta", atoms.get_momenta()),
            ("energy", results.get("energy", np.nan)),
            ("forces", results.get("forces", np.nan)),
        ):
            if not np.isfinite(values).all():
                return f"non-finite {name}"
        return None

    def _distances(self, atoms: Atoms) -> str | None:
        c = self.criteria
        cutoff = max(c.min_distance_A, c.min_oo_distance_A)
        i, j, d = NeighborList(cutoff=cutoff, full_list=False).compute(
            atoms.positions, atoms.cell.array, True, quantities="ijd"
        )
        if len(d) and d.min() < c.min_distance_A:
            k = int(np.argmin(d))
            pair = f"{atoms.symbols[int(i[k])]}{i[k]}–{atoms.symbols[int(j[k])]}{j[k]}"
            return f"atoms {pair} {d[k]:.3f} Å apart < {c.min_distance_A} Å"
        oxygen = atoms.numbers == 8
        oo = d[oxygen[i] & oxygen[j]]
        if len(oo) and oo.min() < c.min_oo_distance_A:
            return f"O–O distance {oo.min():.3f} Å < {c.min_oo_distance_A} Å"
        return None

    def _density(self, atoms: Atoms) -> str | None:
        low, high = self.criteria.density_range_g_per_ml
        rho = density(atoms)
        return None if low <= rho <= high else f"density {rho:.3f} g/ml outside [{low}, {high}]"

    def _temperature(self, atoms: Atoms) -> str | None:
        limit = self.criteria.max_temperature_ratio * self.target_temperature_K
        t = atoms.get_temperature()
        return None if t <= limit else f"temperature {t:.0f} K > {limit:.0f} K"

    def _energy(self, atoms: Atoms) -> str | None:
        energy = float(atoms.calc.results["energy"])
        if self.reference_energy_eV is None:
            self.reference_energy_eV = energy
        change = abs(energy - self.reference_energy_eV) / len(atoms)
        limit = self.criteria.max_energy_change_eV_per_atom
        return None if change <= limit else f"|ΔE_pot| {change:.3g} eV/atom > {limit} eV/atom"
