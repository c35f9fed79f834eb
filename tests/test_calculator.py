"""The ASE calculator: consistency with ``model.evaluate`` and energy conservation in NVE MD.

Oracles: the model's own :class:`~nnp_tutorial.model.Evaluation` (the
calculator must only convert it), ASE's Voigt convention
``(xx, yy, zz, yz, xz, xy)``, and the second-order energy error of velocity
Verlet (halving the step divides the energy error by about four; wrong
forces would not conserve energy at any step).
"""

from __future__ import annotations

import numpy as np
import pytest
from ase import units
from ase.build import molecule
from ase.calculators.calculator import PropertyNotImplementedError
from ase.md.verlet import VelocityVerlet
from datafiles import water_box

from nnp_tutorial.calculator import NNPCalculator
from nnp_tutorial.model import BehlerParrinelloNetwork


@pytest.fixture(scope="module")
def cheng(fetch):
    """The published revPBE0-D3 potential (Cheng et al. 2019)."""
    return BehlerParrinelloNetwork.from_n2p2(fetch("nnp-revpbe0-d3-cheng2019"))


class CountingModel:
    """Wraps a model and counts ``evaluate`` calls (to check the calculator's caching)."""

    def __init__(self, model) -> None:
        self.model = model
        self.calls = 0

    def evaluate(self, atoms, **options):
        self.calls += 1
        return self.model.evaluate(atoms, **options)


def test_results_match_model(cheng):
    """energy, free_energy, energies, forces and Voigt stress are the model's numbers, unchanged."""
    atoms = water_box((2, 2, 2), seed=1)
    expected = cheng.evaluate(atoms)
    atoms.calc = NNPCalculator(cheng)
    assert atoms.get_potential_energy() == expected.energy
    assert atoms.calc.get_property("free_energy", atoms) == expected.energy
    np.testing.assert_array_equal(atoms.get_forces(), expected.forces)
    np.testing.assert_array_equal(atoms.get_potential_energies(), expected.atomic_energies)
    s = expected.stress
    voigt = np.array([s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1]])
    np.testing.assert_array_equal(atoms.get_stress(), voigt)
    np.testing.assert_array_equal(atoms.get_stress(voigt=False), s)
    assert set(NNPCalculator.implemented_properties) >= {"energy", "free_energy", "forces", "stress"}


def test_single_precision_option(cheng):
    """NNPCalculator(dtype="float32") returns the model's float32 evaluation; other types are refused."""
    atoms = water_box((2, 2, 2), seed=1)
    atoms.calc = NNPCalculator(cheng, dtype="float32")
    np.testing.assert_array_equal(atoms.get_forces(), cheng.evaluate(atoms, dtype="float32").forces)
    with pytest.raises(ValueError, match="dtype must be one of float64, float32, not 'float16'"):
        NNPCalculator(cheng, dtype="float16")


def test_results_are_cached_until_atoms_change(cheng):
    """One evaluation serves every property; moving an atom triggers a new one."""
    atoms = water_box((2, 2, 2), seed=1)
    counting = CountingModel(cheng)
    atoms.calc = NNPCalculator(counting)
    energy = atoms.get_potential_energy()
    atoms.get_forces()
    atoms.get_stress()
    assert counting.calls == 1
    atoms.positions[0, 0] += 0.01
    assert atoms.get_potential_energy() != energy
    assert counting.calls == 2


def test_molecule_energy_and_forces_but_no_stress(cheng):
    """Non-periodic: energy and forces work (forces sum to zero), stress is not implemented."""
    water = molecule("H2O")
    result = cheng.evaluate(water)
    assert result.stress is None
    water.calc = NNPCalculator(cheng)
    assert water.get_potential_energy() == result.energy
    forces = water.get_forces()
    assert np.abs(forces.sum(axis=0)).max() <= 1e-10 * np.abs(forces).max()
    with pytest.raises(PropertyNotImplementedError, match="periodic in all three directions"):
        water.get_stress()


def run_nve(cheng, timestep_fs: float, n_steps: int, dtype: str = "float64") -> tuple[np.ndarray, np.ndarray]:
    """Velocity Verlet from a seeded 300 K start; total and kinetic energy after every step (eV)."""
    atoms = water_box((2, 2, 2), seed=3, displacement=0.03)
    atoms.calc = NNPCalculator(cheng, dtype=dtype)
    rng = np.random.default_rng(4)
    masses = atoms.get_masses()[:, None]
    momenta = rng.normal(size=(len(atoms), 3)) * np.sqrt(masses * units.kB * 300.0)
    momenta -= masses * momenta.sum(axis=0) / masses.sum()  # no centre-of-mass motion
    atoms.set_momenta(momenta)
    total, kinetic = [], []

    def record() -> None:
        kinetic.append(atoms.get_kinetic_energy())
        total.append(atoms.get_potential_energy() + kinetic[-1])

    dynamics = VelocityVerlet(atoms, timestep=timestep_fs * units.fs)
    dynamics.attach(record, interval=1)
    dynamics.run(n_steps)
    assert np.abs(atoms.get_momenta().sum(axis=0)).max() < 1e-8  # net force zero keeps P = 0
    return np.array(total), np.array(kinetic)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_velocity_verlet_conserves_energy(cheng, dtype):
    """20 steps of 0.5 fs: total energy within 2 meV/atom and 3 % of the kinetic energy; error ~ dt².

    Single precision must show the same second-order integration error: its
    round-off (~1e-5 eV here) is far below the error being measured.
    """
    total, kinetic = run_nve(cheng, 0.5, 20, dtype)
    n_atoms = 24
    assert len(total) == 21
    error = np.abs(total - total[0]).max()
    assert kinetic.max() - kinetic.min() > 0.5  # eV: the run does convert potential energy
    assert error / n_atoms < 2e-3
    assert error < 0.03 * kinetic.max()
    # the same 10 fs with half the step: velocity Verlet's error is second order
    total_half, _ = run_nve(cheng, 0.25, 40, dtype)
    ratio = error / np.abs(total_half - total_half[0]).max()
    assert 3.0 < ratio < 5.5
