"""Molecular dynamics and its analysis (:mod:`nnp_tutorial.md`).

Oracles: hand computations (density from masses and volume, pressure as
N k_B T / V plus the virial), closed forms (block means of a step series, the
standard error of iid and AR(1) means, a straight line's slope), an ideal gas
(g(r) = 1), ASE's own ``get_rdf`` and ``NPTBerendsen``, energy conservation of
velocity Verlet, and an uninterrupted run as the oracle of a resumed one.

Every MD test uses the Cheng et al. potential on one 8-molecule box composition
(24 atoms), so the compiled graph is shared; runs are 20–200 steps.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from ase import Atoms, units
from ase.build import molecule
from ase.calculators.singlepoint import SinglePointCalculator
from ase.geometry.rdf import get_rdf
from ase.io.trajectory import Trajectory
from ase.md.nptberendsen import NPTBerendsen

from nnp_tutorial import cli, datasets
from nnp_tutorial.calculator import NNPCalculator
from nnp_tutorial.errors import InputError, UnknownNameError
from nnp_tutorial.md import (
    THERMO_COLUMNS,
    StabilityMonitor,
    analyse_run,
    block_average,
    box_edge,
    density,
    energy_drift,
    make_dynamics,
    mean_density,
    near_density,
    radial_distribution,
    run_md,
    thermo_row,
    water_box,
)
from nnp_tutorial.model import BehlerParrinelloNetwork


# -- fixtures ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cheng(fetch):
    """The published revPBE0-D3 potential (Cheng et al. 2019), shared by every MD test."""
    return BehlerParrinelloNetwork.from_n2p2(fetch("nnp-revpbe0-d3-cheng2019"))


@pytest.fixture(scope="module")
def box():
    """8 water molecules at 1 g/ml (6.2 Å cube): the one composition the MD tests use."""
    return water_box(8, 1.0, seed=3)


class CountingModel:
    """Delegates to a model, counts ``evaluate`` calls, and can raise Ctrl-C at call ``interrupt_at``."""

    def __init__(self, model, interrupt_at: int | None = None) -> None:
        self.model, self.calls, self.interrupt_at = model, 0, interrupt_at

    def evaluate(self, atoms, **options):
        self.calls += 1
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        return self.model.evaluate(atoms, **options)

    def __getattr__(self, name):  # get_weights etc.
        return getattr(self.model, name)


# -- water boxes and density --------------------------------------------------------------
def test_water_box_density_geometry_and_contacts():
    """64 molecules: density exact, molecules intact, O–O >= 2.5 Å and other contacts >= 1.7 Å."""
    atoms = water_box(64, 1.0, seed=0)
    assert len(atoms) == 192 and atoms.get_chemical_formula() == "H128O64"
    assert density(atoms) == pytest.approx(1.0, rel=1e-13)
    np.testing.assert_allclose(atoms.cell.array, box_edge(64, 1.0) * np.eye(3), rtol=1e-14)
    d = atoms.get_all_distances(mic=True)
    molecule_of = np.arange(len(atoms)) // 3
    same = molecule_of[:, None] == molecule_of[None, :]
    reference = molecule("H2O").get_all_distances()  # rigid molecule: O–H 0.968 Å, H–H 1.52 Å
    blocks = d[same].reshape(64, 3, 3)
    np.testing.assert_allclose(blocks, np.broadcast_to(reference, blocks.shape), atol=1e-12)
    oxygen = atoms.numbers == 8
    assert d[np.ix_(oxygen, oxygen)][~np.eye(64, dtype=bool)].min() >= 2.5
    assert d[~same].min() >= 1.7
    np.testing.assert_array_equal(water_box(64, 1.0, seed=0).positions, atoms.positions)
    assert not np.allclose(water_box(64, 1.0, seed=1).positions, atoms.positions)


def test_water_box_other_sizes_and_too_dense():
    """Non-cubic counts pick a wider lattice; an impossible density raises, naming the spacing."""
    for n, rho in ((65, 1.0), (100, 0.9), (8, 1.2)):
        atoms = water_box(n, rho, seed=2)
        assert len(atoms) == 3 * n and density(atoms) == pytest.approx(rho, rel=1e-13)
    with pytest.raises(ValueError, match="lattice spacing"):
        water_box(64, 2.5)


def test_density_formula_by_hand():
    """ρ = Σm · m_u / V with m_u from ase.units._amu (kg → g, Å³ → cm³)."""
    atoms = Atoms("OH2OH2", positions=np.zeros((6, 3)), cell=[5.0, 6.0, 7.0], pbc=True)
    mass_amu = 2 * (15.999 + 2 * 1.008)
    by_hand = mass_amu * units._amu * 1e3 / (5.0 * 6.0 * 7.0 * 1e-24)
    assert density(atoms) == pytest.approx(by_hand, rel=1e-7)  # CODATA 2018 vs ASE's 2014 m_u: 1.6e-8


# -- block averages, drift ---------------------------------------------------------------
def test_block_average_of_a_step_series_is_exact():
    """Blocks 1, 2, 3, 4: mean 2.5, SE = s/√4 with s² = 5/3; a leading remainder is dropped."""
    x = np.concatenate([[100.0, -100.0, 7.0], np.repeat([1.0, 2.0, 3.0, 4.0], 25)])
    result = block_average(x, n_blocks=4)
    assert result.mean == pytest.approx(2.5, abs=1e-14)
    assert result.sem == pytest.approx(np.sqrt(5 / 3) / 2, rel=1e-14)
    assert (result.n_blocks, result.block_length) == (4, 25)
    with pytest.raises(ValueError, match="blocks"):
        block_average(np.ones(3), n_blocks=5)


def test_block_average_error_of_iid_and_correlated_series():
    """SE → σ/√n for iid data and σ √((1+φ)/(1−φ)/n) for AR(1) — where s/√n is 4.4x too small."""
    rng = np.random.default_rng(7)
    n = 200_000
    iid = block_average(rng.normal(3.0, 2.0, n), n_blocks=20)
    assert iid.mean == pytest.approx(3.0, abs=5 * 2.0 / np.sqrt(n))
    assert iid.sem == pytest.approx(2.0 / np.sqrt(n), rel=0.4)  # χ with 19 dof: ±16 % (1σ)
    phi = 0.9
    noise = rng.normal(size=n)
    x = np.empty(n)
    x[0] = noise[0] / np.sqrt(1 - phi**2)
    for k in range(1, n):  # AR(1) needs the recursion
        x[k] = phi * x[k - 1] + noise[k]
    exact = np.sqrt(1 / (1 - phi**2) * (1 + phi) / (1 - phi) / n)
    assert block_average(x, n_blocks=20).sem == pytest.approx(exact, rel=0.4)
    assert x.std() / np.sqrt(n) < exact / 4


def synthetic_thermo(time_ps, **columns) -> pd.DataFrame:
    return pd.DataFrame({"time_ps": time_ps, **columns})


def test_mean_density_uses_the_second_half():
    """First half at 0.5 g/ml is ignored; the second half holds blocks 1.0, 1.1 → 1.05 ± 0.05."""
    t = np.arange(200) * 0.01
    rho = np.concatenate([np.full(100, 0.5), np.full(50, 1.0), np.full(50, 1.1)])
    result = mean_density(synthetic_thermo(t, density_g_per_ml=rho), n_blocks=2)
    assert result.mean == pytest.approx(1.05, abs=1e-12)  # rows with t >= 0.995 ps: 100 of them
    assert result.sem == pytest.approx(0.05, rel=1e-9)


def test_energy_drift_of_a_line():
    """E_tot = a + b t exactly → drift = 1000 b / N meV/atom/ps."""
    t = np.linspace(0, 10, 101)
    thermo = synthetic_thermo(t, total_energy_eV=-3000.0 + 0.0192 * t)
    assert energy_drift(thermo, n_atoms=192) == pytest.approx(0.1, rel=1e-9)


# -- radial distribution -----------------------------------------------------------------
def test_rdf_of_an_ideal_gas_is_one():
    """Uniform random positions: g = 1 within counting noise, like and unlike pairs."""
    rng = np.random.default_rng(3)
    frames = [
        Atoms("Ar300Ne200", positions=rng.uniform(0, 15.0, (500, 3)), cell=[15.0] * 3, pbc=True)
        for _ in range(10)
    ]
    for pair, n_pairs in ((("Ar", "Ar"), 300 * 299), (("Ar", "Ne"), 300 * 200)):
        r, g = radial_distribution(frames, pair, r_max=7.5, n_bins=15, batch=4)
        shells = 4 / 3 * np.pi * np.diff(np.linspace(0, 7.5, 16) ** 3)
        expected = 10 * n_pairs * shells / 15.0**3  # ideal-gas counts per bin
        assert np.all(np.abs(g - 1) < 5 / np.sqrt(expected))
        np.testing.assert_allclose(r, np.arange(15) * 0.5 + 0.25)


def test_rdf_matches_ase_on_a_revpbe0_frame(fetch):
    """O–O and O–H of frame 0 equal ase.geometry.rdf.get_rdf (O–O rescaled by N/(N−1)), also tilted."""
    fetch("revpbe0-d3")
    frame = next(datasets.iter_structures("revpbe0-d3", index=[0]))
    tilted = frame.copy()
    tilted.set_cell(frame.cell.array @ np.array([[1, 0, 0], [0.2, 1, 0], [-0.1, 0.15, 1]]), scale_atoms=True)
    for atoms in (frame, tilted):
        r_max = 0.49 * min(
            atoms.cell.volume / np.linalg.norm(np.cross(*atoms.cell[[i, (i + 1) % 3]])) for i in range(3)
        )
        r, g_oo = radial_distribution(atoms, ("O", "O"), r_max=r_max, n_bins=60)
        ase_oo, ase_r = get_rdf(atoms, r_max, 60, elements=("O", "O"))
        np.testing.assert_allclose(r, ase_r, rtol=1e-12)
        np.testing.assert_allclose(g_oo * 63 / 64, ase_oo, rtol=1e-10, atol=1e-12)
        _, g_oh = radial_distribution(atoms, ("O", "H"), r_max=r_max, n_bins=60)
        np.testing.assert_allclose(g_oh, get_rdf(atoms, r_max, 60, elements=("O", "H"))[0], rtol=1e-10)
    with pytest.raises(ValueError, match="half the cell width"):
        radial_distribution(frame, r_max=6.3)


# -- thermo and stability ----------------------------------------------------------------
def test_pressure_includes_the_kinetic_term(cheng, box):
    """P = N k_B T / V − tr(σ_virial)/3, by hand from the model's stress and the momenta."""
    atoms = box.copy()
    atoms.set_momenta(np.random.default_rng(1).normal(size=(len(atoms), 3)) * 0.2)
    atoms.calc = NNPCalculator(cheng)
    row = thermo_row(atoms, step=4, timestep_fs=0.5)
    assert list(row) == list(THERMO_COLUMNS)
    volume = atoms.get_volume()
    kinetic_bar = len(atoms) * units.kB * atoms.get_temperature() / volume / units.bar
    virial_bar = -np.trace(cheng.evaluate(atoms).stress) / 3 / units.bar
    assert kinetic_bar > 1000  # large enough to notice if it were missing
    assert row["pressure_bar"] == pytest.approx(kinetic_bar + virial_bar, rel=1e-12, abs=1e-9)
    assert row["time_ps"] == pytest.approx(0.002)
    assert row["total_energy_eV"] == row["potential_energy_eV"] + row["kinetic_energy_eV"]


def spc(atoms: Atoms, energy: float = 0.0) -> Atoms:
    atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=np.zeros((len(atoms), 3)))
    return atoms


def test_stability_monitor_criteria(box):
    """Each criterion fires on a structure built to break it, and a sane box passes."""
    monitor = StabilityMonitor(300.0)
    assert monitor.check(spc(box.copy(), -100.0), 0, 0.0) is None
    broken = box.copy()
    broken.positions[4] = broken.positions[0] + [0.3, 0, 0]  # an H on top of an O
    assert "0.300 Å apart" in monitor.check(spc(broken), 3, 0.0015).reason
    broken = box.copy()
    broken.positions[3] = broken.positions[0] + [1.5, 0, 0]  # two O at 1.5 Å
    assert monitor.check(spc(broken), 3, 0.0).reason.startswith("O–O distance 1.500")
    broken = box.copy()
    broken.set_cell(broken.cell * 2, scale_atoms=True)
    assert "density 0.125" in monitor.check(spc(broken, -100.0), 1, 0.0).reason
    hot = box.copy()
    hot.set_momenta(np.full((len(hot), 3), 2.0))
    assert "temperature" in monitor.check(spc(hot, -100.0), 1, 0.0).reason
    assert "ΔE_pot" in monitor.check(spc(box.copy(), -100.0 + 30.0), 1, 0.0).reason  # 1.25 eV/atom
    nan = spc(box.copy())
    nan.calc.results["forces"][2, 1] = np.nan
    failure = monitor.check(nan, 9, 0.0045)
    assert (failure.reason, failure.step, failure.time_ps) == ("non-finite forces", 9, 0.0045)


# -- runs --------------------------------------------------------------------------------
def test_nve_conserves_energy(cheng, box, tmp_path):
    """200 velocity-Verlet steps of 0.5 fs: |drift| < 2 meV/atom/ps, E_tot spread < 0.1 meV/atom."""
    run = run_md(box, NNPCalculator(cheng), ensemble="nve", temperature_K=300, steps=200,
                 out_dir=tmp_path, log_every=10, progress=False)  # fmt: skip
    assert run.status == "completed" and run.steps_done == 200
    assert list(run.thermo["step"]) == list(range(0, 201, 10))
    drift = energy_drift(run.thermo, len(box))
    spread = run.thermo["total_energy_eV"].std() / len(box)
    kinetic_change = np.ptp(run.thermo["kinetic_energy_eV"]) / len(box)
    assert abs(drift) < 2.0 and spread < 1e-4 < kinetic_change / 100  # E_tot still while K moves


def test_unstable_model_is_a_result_not_a_crash(cheng, box, tmp_path):
    """Random weights: the run stops, status 'unstable' with reason and time in summary.json."""
    weights = cheng.get_weights()
    settings = dict(ensemble="nvt", steps=400, out_dir=tmp_path, log_every=50, progress=False)
    try:
        cheng.set_weights(np.random.default_rng(0).normal(0.0, 1.0, weights.size))
        run = run_md(box, NNPCalculator(cheng), **settings)
        again = run_md(box, NNPCalculator(CountingModel(cheng, interrupt_at=1)), **settings)
    finally:
        cheng.set_weights(weights)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert run.status == summary["status"] == "unstable"
    assert 0 < summary["failure_step"] < 400 and run.steps_done == summary["failure_step"]
    assert summary["failure_time_ps"] == pytest.approx(summary["failure_step"] * 0.5e-3)
    assert summary["reason"] == run.instability.reason and "temperature" in run.instability.reason
    assert run.thermo["step"].iloc[-1] == summary["failure_step"]  # the failing frame is recorded
    assert again.status == "unstable"  # a rerun reports the recorded result, evaluating nothing


def test_atoms_on_top_of_each_other_make_the_run_unstable_at_step_0(cheng, box, tmp_path):
    """A starting structure with two coincident atoms: status 'unstable' at step 0, the atoms named."""
    atoms = box.copy()
    atoms.positions[1] = atoms.positions[0]
    run = run_md(atoms, NNPCalculator(cheng), ensemble="nvt", steps=10, out_dir=tmp_path, progress=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert run.status == summary["status"] == "unstable" and summary["failure_step"] == 0
    assert "atoms 0 (O) and 1 (H) are 0.000 Å apart" in summary["reason"] or (
        "atoms 1 (H) and 0 (O) are 0.000 Å apart" in summary["reason"]
    )


@pytest.mark.parametrize("ensemble", ["nve", "nvt", "npt"])
def test_resume_after_ctrl_c_equals_uninterrupted(cheng, box, tmp_path, ensemble):
    """Ctrl-C at step 27, then rerun: rows and frames equal a straight 40-step run, bit for bit."""
    settings = dict(ensemble=ensemble, temperature_K=300.0, steps=40, log_every=10, seed=5, progress=False)
    straight = run_md(box, NNPCalculator(cheng), out_dir=tmp_path / "straight", **settings)
    with pytest.raises(KeyboardInterrupt):  # evaluation 28 = the forces of step 27
        run_md(
            box, NNPCalculator(CountingModel(cheng, interrupt_at=28)), out_dir=tmp_path / "cut", **settings
        )
    summary = json.loads((tmp_path / "cut" / "summary.json").read_text())
    assert (summary["status"], summary["steps_done"]) == ("interrupted", 20)
    with open(tmp_path / "cut" / "thermo.csv", "a") as f:
        f.write("30,0.015,3")  # a row cut short by a kill: dropped on resume
    counting = CountingModel(cheng)
    resumed = run_md(box, NNPCalculator(counting), out_dir=tmp_path / "cut", **settings)
    assert counting.calls == 21  # restarts at the saved step 20: one evaluation there, one per step
    pd.testing.assert_frame_equal(resumed.thermo, straight.thermo, check_exact=True)
    with Trajectory(tmp_path / "straight" / "md.traj") as a, Trajectory(tmp_path / "cut" / "md.traj") as b:
        assert len(a) == len(b) == 5
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x.positions, y.positions)
            np.testing.assert_array_equal(x.get_momenta(), y.get_momenta())
            np.testing.assert_array_equal(x.cell.array, y.cell.array)
    rerun = run_md(
        box, NNPCalculator(CountingModel(cheng, interrupt_at=1)), out_dir=tmp_path / "cut", **settings
    )
    assert rerun.status == "completed"  # already done: nothing is evaluated


def test_resume_refuses_changed_parameters(cheng, box, tmp_path):
    """Only ``steps`` may change on resume; longer ``steps`` extends the run."""
    settings = dict(ensemble="nvt", temperature_K=300.0, log_every=10, progress=False)
    run_md(box, NNPCalculator(cheng), steps=10, out_dir=tmp_path, **settings)
    with pytest.raises(InputError, match=r"temperature_K = 300\.0, this call 310\.0"):
        run_md(box, NNPCalculator(cheng), steps=20, out_dir=tmp_path, **(settings | {"temperature_K": 310.0}))
    longer = run_md(box, NNPCalculator(cheng), steps=20, out_dir=tmp_path, **settings)
    assert list(longer.thermo["step"]) == [0, 10, 20]
    with pytest.raises(UnknownNameError, match="valid names: npt, nve, nvt"):
        make_dynamics("langevin", box, timestep_fs=0.5, temperature_K=300)


def test_npt_needs_one_evaluation_per_step_and_follows_ase(cheng, box):
    """One force evaluation per step (ASE's NPTBerendsen needs two); same volume path within 2 %."""
    states = []
    for build in ("ours", "ase"):
        atoms = box.copy()
        atoms.set_momenta(np.random.default_rng(2).normal(size=(len(atoms), 3)) * 0.15)
        counting = CountingModel(cheng)
        atoms.calc = NNPCalculator(counting)
        if build == "ours":
            dyn = make_dynamics("npt", atoms, timestep_fs=0.5, temperature_K=300.0, pressure_bar=1.0)
        else:
            dyn = NPTBerendsen(atoms, 0.5 * units.fs, temperature_K=300.0, taut=100 * units.fs,
                               taup=1000 * units.fs, pressure_au=units.bar,
                               compressibility_au=4.57e-5 / units.bar)  # fmt: skip
        dyn.run(20)
        states.append((atoms, counting.calls))
    (ours, ours_calls), (ase, ase_calls) = states
    assert (ours_calls, ase_calls) == (21, 41)
    change_ours = ours.get_volume() / box.get_volume() - 1
    change_ase = ase.get_volume() / box.get_volume() - 1
    assert abs(change_ours) > 1e-4  # the barostat acts (the random box is far from 1 bar)
    assert change_ours == pytest.approx(change_ase, rel=0.02)
    np.testing.assert_allclose(ours.positions, ase.positions, atol=1e-3)


# -- analysis of a run and the command line ------------------------------------------------
def test_cli_md_writes_results_and_figures(cheng, tmp_path, monkeypatch, capsys):
    """``nnp-tutorial md`` on an 8-molecule box: files, summary with analysis, figures; rerun resumes."""
    monkeypatch.setattr(cli.inputs, "load_model", lambda spec, data_dir=None: cheng)
    argv = ["md", "--model", "nnp-revpbe0-d3-cheng2019", "--ensemble", "nve", "--ps", "0.01",
            "--molecules", "8",
            "--seed", "3", "--log-every", "2", "--out", str(tmp_path), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "nve H16O8: completed at 0.01 ps" in out and "energy drift" in out
    for name in ("thermo.csv", "md.traj", "summary.json", "density.png", "thermo.png", "rdf_O_O.png"):
        assert (tmp_path / name).stat().st_size > 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    analysis = summary["analysis"]
    assert summary["parameters"]["n_atoms"] == 24 and summary["steps_done"] == 20
    assert summary["command"] == "nnp-tutorial " + " ".join(argv)  # provenance of the artefact
    assert analysis["density_g_per_ml"]["mean"] == pytest.approx(1.0, rel=1e-12)
    assert abs(analysis["energy_drift_meV_per_atom_per_ps"]) < 20
    rdf = pd.read_csv(tmp_path / "rdf_O_O.csv")
    assert rdf["r_A"].iloc[-1] < 0.5 * box_edge(8, 1.0)  # r_max lowered to the small box
    assert analyse_run(tmp_path, figures=False)["rdf"] == analysis["rdf"]
    assert cli.main([*argv[:6], "0.02", *argv[7:]]) == 0  # longer run in the same directory: resumes
    assert json.loads((tmp_path / "summary.json").read_text())["steps_done"] == 40


def test_cli_md_start_structures(fetch):
    """``--start dataset:NAME:INDEX`` reads a frame; bad specs and --density with --start are errors."""
    fetch("revpbe0-d3")
    options = dict(start="dataset:revpbe0-d3:2", molecules=None, density=None, seed=0, data_dir=None)
    atoms = cli.inputs.start_structure(**options)
    assert len(atoms) == 192 and atoms.calc is None
    expected = next(datasets.iter_structures("revpbe0-d3", index=[2]))
    np.testing.assert_array_equal(atoms.positions, expected.positions)
    with pytest.raises(InputError, match="dataset:NAME:INDEX"):
        cli.inputs.start_structure(**(options | {"start": "dataset:revpbe0-d3"}))
    with pytest.raises(InputError, match="--density"):
        cli.inputs.start_structure(**(options | {"density": 0.9}))
    default = cli.inputs.start_structure(**(options | {"start": None}))
    assert len(default) == 192 and density(default) == pytest.approx(1.0)


def test_near_density_spaces_its_picks_evenly_through_the_window():
    box = water_box(8, 1.0, seed=0)
    rho = [0.80, 0.90, 0.95, 0.88, 1.00, 0.92, 0.925, 0.875]
    boxes = [box.copy() for _ in rho]
    for atoms, target in zip(boxes, rho):
        atoms.set_cell(atoms.cell * (1.0 / target) ** (1 / 3), scale_atoms=True)
    inside = [1, 3, 5, 6, 7]  # within 0.9 ± 0.03, in order
    assert [boxes.index(a) for a in near_density(boxes, 3)] == [inside[0], inside[2], inside[4]]
    assert [boxes.index(a) for a in near_density(boxes, 5)] == inside
    assert [boxes.index(a) for a in near_density(boxes, 6)] == [0, 1, 3, 4, 6, 7]  # window too small: all
    assert [boxes.index(a) for a in near_density(boxes, 2, 1.0, 0.01)] == [0, 7]
