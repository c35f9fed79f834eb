"""The helpers the notebooks call, and the checks that used to sit in their cells.

Each helper once lived in a notebook cell (03: ``source_columns``, ``cost_per_update``,
``load_ensemble``, ``rmse_at``; 04: ``result_runs``, ``live_rdf``; 02: ``batch_xi``,
``xi_sizes``; 01: ``describe``); here they meet hand computations and the committed results
under ``data/results``. The plumbing checks the notebooks made on what they computed
(history lengths, run statuses, table contents) are tests here too.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from nnp_tutorial.descriptors.functions import AngularG3, RadialG2
from nnp_tutorial.md import Verdict, load_runs, production_rdf, radial_distribution, run_verdict
from nnp_tutorial.results import results_path
from nnp_tutorial.training import BatchSchedule, Trainer, TrainingConfig, batch_losses, batch_xi
from nnp_tutorial.training.history import cost_per_update, ensemble_rmse_at
from nnp_tutorial.training.outputs import read_ensemble, read_training_run
from nnp_tutorial.tutorial.display import source_columns, symmetry_function_table


# -- tutorial display (notebooks 01, 03) ------------------------------------------------------
def compare(a, b):
    """Is a < b? (a source line with HTML's special characters)"""
    return a < b and "&" not in "<>"


def test_source_columns_show_each_function_escaped_in_its_own_column():
    shown = source_columns(compare, symmetry_function_table).data
    assert shown.startswith("<table><tr>") and shown.count("<td ") == 2
    assert "return a &lt; b and &quot;&amp;&quot; not in &quot;&lt;&gt;&quot;" in shown
    assert "def symmetry_function_table(" in shown


def test_symmetry_function_table_has_one_row_per_function_with_units():
    functions = [
        RadialG2("O", "H", eta=0.001, rs=0.0, rc=6.35),
        AngularG3("O", "H", "O", eta=0.0357, lambda_=-1.0, zeta=4.0, rc=6.35),  # stored as O–H–O
    ]
    table = symmetry_function_table(functions)
    assert list(table.columns) == ["type", "neighbours", "η (1/Å²)", "r_s (Å)", "r_c (Å)", "λ", "ζ"]
    assert table["type"].tolist() == [2, 3] and table["neighbours"].tolist() == ["H", "H–O"]
    assert table["η (1/Å²)"].tolist() == [0.001, 0.0357] and table["r_c (Å)"].tolist() == [6.35, 6.35]
    assert np.isnan(table.loc[0, "λ"]) and table.loc[1, "λ"] == -1.0 and table.loc[1, "ζ"] == 4.0


def test_the_study_descriptor_has_30_oxygen_and_27_hydrogen_functions_within_12_bohr(fetch):
    """Notebook 01's text: 30 functions for O, 27 for H, cutoff 12 Bohr = 6.35 Å."""
    from nnp_tutorial import default_descriptor

    descriptor = default_descriptor()
    assert descriptor.n_functions == {"H": 27, "O": 30}
    assert descriptor.cutoff == pytest.approx(12 * 0.529177210544, rel=1e-6)
    table = symmetry_function_table(descriptor.functions["O"])
    assert len(table) == 30 and set(table["type"]) <= {2, 3, 9}


# -- training histories (notebook 03) ---------------------------------------------------------
def test_cost_per_update_is_the_median_time_between_updates_per_kind():
    history = pd.DataFrame(
        {
            "kind": ["initial", "force", "force", "energy", "force", "force", "energy"],
            "wall_time_s": [0.0, 1.0, 1.5, 1.6, 3.6, 4.1, 4.2],  # 3.6: a validation pause of 1.9 s
        }
    )
    cost = cost_per_update(history)  # force: 0.5, 2.0, 0.5 s; energy: 0.1, 0.1 s
    assert cost["force"] == pytest.approx(500.0) and cost["energy"] == pytest.approx(100.0)


def test_committed_ensemble_reads_back_with_its_costs():
    """Three 10-minute runs per optimiser; the EKF's force update costs ~6x its energy update."""
    runs = {optimizer: read_ensemble(optimizer) for optimizer in ("ekf", "adam")}
    assert [len(r) for r in runs.values()] == [3, 3]
    first, summary = read_training_run(results_path("training", "ensemble", "ekf_seed0"))
    pd.testing.assert_frame_equal(runs["ekf"][0], first)
    assert len(first) == summary["steps_done"] + 1 == 6583  # the initial network and one row per update
    assert first["force_rmse"].iloc[-1] == pytest.approx(965.29995)  # meV/Å, the last validation
    cost = cost_per_update(first)  # ms; by hand: np.median(np.diff(wall_time_s)) of each kind's rows
    assert cost["energy"] == pytest.approx(12.45, abs=1e-6) and cost["force"] == pytest.approx(
        76.79, abs=1e-6
    )
    assert all((cost_per_update(h) > 0).all() for ensemble in runs.values() for h in ensemble)
    assert read_ensemble("ekf", results_path("training", "tta_ekf")) == []
    assert read_ensemble("ekf", results_path("no-such-directory", must_exist=False)) == []


def two_runs() -> list[pd.DataFrame]:
    """Force RMSEs 100, 10, 1 and 400, 40, 4 meV/Å at steps −1, 9, 19 (times 0, 10, 20 s)."""
    return [
        pd.DataFrame({"step": [-1, 9, 19], "wall_time_s": [0.0, 10.0, 20.0], "force_rmse": rmse})
        for rmse in ([100.0, 10.0, 1.0], [400.0, 40.0, 4.0])
    ]


def test_ensemble_rmse_at_interpolates_the_geometric_mean():
    # geometric means 200, 20, 2; linear in between; NaN beyond the last point
    at_steps = ensemble_rmse_at(two_runs(), "step", [9, 14, 19, 20])
    np.testing.assert_allclose(at_steps[:3], [20.0, 11.0, 2.0], rtol=1e-12)
    assert np.isnan(at_steps[3])
    at_times = ensemble_rmse_at(two_runs(), "wall_time_s", [0.0, 20.0, 25.0])
    np.testing.assert_allclose(at_times[:2], [200.0, 2.0], rtol=1e-12)
    assert np.isnan(at_times[2])


def test_trainer_history_has_one_row_per_update_and_both_optimisers_start_alike(descriptor, labelled):
    """What notebook 03 reads off its live runs: rows, steps, times, distance, validations."""
    config = TrainingConfig(steps=6, hidden_nodes=[3, 3], validate_every=3, validation_subset=2, seed=1)
    trainer = Trainer(labelled, config, descriptor, progress=False)
    histories = [trainer.run()]
    trainer.restart(optimizer="adam", learning_rate=1e-4)
    histories.append(trainer.run())
    for history in histories:
        assert len(history) == 7 and history["step"].tolist() == list(range(-1, 6))
        assert history["wall_time_s"].is_monotonic_increasing
        assert history["weight_distance"].iloc[-1] > 0 and np.isfinite(history["force_rmse"].iloc[-1])
    assert histories[0]["force_rmse"].iloc[0] == histories[1]["force_rmse"].iloc[0]


# -- scaled errors of fixed predictions (notebook 02) -----------------------------------------
def structure(energy: float, forces: np.ndarray) -> Atoms:
    atoms = Atoms("OH3", positions=np.eye(4, 3) * 1.5, cell=[10, 10, 10], pbc=True)
    atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces)
    return atoms


@pytest.fixture(scope="module")
def fixed_model():
    """Two 4-atom structures (eV, eV/Å) and a model's predictions that are off by known amounts."""
    rng = np.random.default_rng(3)
    forces = [rng.normal(size=(4, 3)) for _ in range(2)]
    structures = {5: structure(-10.0, forces[0]), 7: structure(-12.0, forces[1])}
    predictions = {
        5: SimpleNamespace(energy=-10.2, forces=forces[0] + 0.1),  # 0.05 eV/atom too low
        7: SimpleNamespace(energy=-11.6, forces=forces[1] - 0.3),  # 0.1 eV/atom too high
    }
    return structures, predictions


def test_batch_xi_is_sqrt_c_over_n_times_the_prediction_error(fixed_model):
    structures, predictions = fixed_model
    schedule = BatchSchedule(np.array([5, 7]), np.full(8, 4), energy_probability=0.5, seed=2)
    error_per_atom = {5: -0.05, 7: 0.1}  # eV/atom
    error_force = {5: 0.1, 7: -0.3}  # eV/Å, every component
    kinds = set()
    for step in range(20):
        batch, xi = batch_xi(schedule, step, structures, predictions)
        drawn = schedule.draw(step)
        assert (batch.kind, batch.frame) == (drawn.kind, drawn.frame)
        np.testing.assert_array_equal(batch.components, drawn.components)
        if batch.kind == "energy":
            np.testing.assert_allclose(xi, [np.sqrt(50.0) * error_per_atom[batch.frame]], rtol=1e-12)
        else:  # 10 of the 12 components
            np.testing.assert_allclose(
                xi, np.full(10, np.sqrt(1 / 10) * error_force[batch.frame]), rtol=1e-12
            )
        kinds.add(batch.kind)
    assert kinds == {"energy", "force"}


def test_batch_losses_scale_energy_batches_with_their_weight_only(fixed_model):
    tables = {
        c: batch_losses(
            BatchSchedule(np.array([5, 7]), np.full(8, 4), energy_weight=c, seed=2), *fixed_model, 40
        )
        for c in (1.0, 50.0)
    }
    for table in tables.values():
        assert len(table) == 40 and set(table["kind"]) == {"energy", "force"}
    energy = tables[1.0]["kind"] == "energy"
    frames = [BatchSchedule(np.array([5, 7]), np.full(8, 4), seed=2).draw(t).frame for t in range(40)]
    by_hand = np.array([{5: 0.05, 7: 0.1}[f] ** 2 for f in frames])  # L2 of an energy batch at c = 1
    np.testing.assert_allclose(tables[1.0].loc[energy, "L2"], by_hand[energy.to_numpy()], rtol=1e-12)
    np.testing.assert_allclose(tables[50.0].loc[energy, "L2"], 50 * tables[1.0].loc[energy, "L2"], rtol=1e-12)
    np.testing.assert_allclose(tables[50.0].loc[~energy, "L2"], tables[1.0].loc[~energy, "L2"], rtol=0)


# -- MD results (notebook 04) ----------------------------------------------------------------
def test_production_rdf_uses_the_frames_after_the_cut():
    """Two O atoms 3.02 Å apart in the last two of four frames: g by hand in one bin, 0 elsewhere."""
    frames = []
    for distance in (2.02, 2.02, 3.02, 3.02):
        frames.append(Atoms("O2", positions=[[0, 0, 0], [distance, 0, 0]], cell=[20, 20, 20], pbc=True))
    r, g = production_rdf(frames)  # second half, r_max 6 Å, 120 bins of 0.05 Å
    shell = 4 / 3 * np.pi * (3.05**3 - 3.0**3)  # Å³, the bin [3.00, 3.05)
    density = 2 * (2 * 1 / 20**3)  # Σ over frames of N_O (N_O − 1) / V, 1/Å³
    expected = np.zeros(120)
    expected[60] = 4 / (density * shell)  # 2 ordered pairs in each of 2 frames
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    assert r[60] == pytest.approx(3.025)
    _, g_all = production_rdf(frames, discard_fraction=0.0)
    np.testing.assert_allclose(g_all, radial_distribution(frames)[1], rtol=1e-12)
    assert g_all[40] > 0  # the 2.02 Å pairs, which the cut drops


def test_load_runs_reads_every_committed_run_with_its_summary(tmp_path):
    runs = load_runs(results_path("md"))
    assert len(runs) == 14 and list(runs) == sorted(runs)
    nvt = runs["nvt300_cheng"]
    assert (
        nvt.summary["parameters"]["ensemble"] == "nvt" and nvt.summary["parameters"]["temperature_K"] == 300
    )
    assert nvt.thermo["time_ps"].iloc[-1] == pytest.approx(10.0)  # the 10 ps run of the README
    assert sum(name.startswith("npt330_student_") for name in runs) >= 3  # notebook 04, section 5
    (tmp_path / "empty").mkdir()  # no summary.json: not a run
    assert load_runs(tmp_path) == {} and load_runs(tmp_path / "missing") == {}


def test_committed_runs_end_where_their_summary_says_and_keep_the_notebooks_verdict():
    for name, run in load_runs(results_path("md")).items():
        if run.instability:  # the last thermo row is the failure
            assert run.thermo["time_ps"].iloc[-1] == run.instability.time_ps, name
        else:  # a completed run reached every step it was asked for
            assert run.thermo["step"].iloc[-1] == run.steps_done == run.summary["steps_requested"], name
        stored = run.summary.get("analysis", {}).get("verdict")
        if stored:
            assert Verdict(**stored) == run_verdict(run), name


def test_student_table_has_only_known_outcomes():
    from nnp_tutorial.teacher import student_results

    students = student_results("blyp")
    assert set(students["npt_status"]) <= {"completed", "unstable"}
    assert set(students["density_verdict"]) <= {"stable", "drifting", "unstable"}
    assert students.loc[students["density_verdict"] == "drifting", "density_second_half"].isna().all()


# -- trained models and their spectra (notebook 06) -------------------------------------------
def test_committed_models_moved_as_far_as_their_histories_say():
    """‖w − w_init‖ of the committed EKF and Adam models equals the history's last distance
    (8 digits kept), with w_init the Xavier initialisation of seed 0 that Trainer drew."""
    from nnp_tutorial import BehlerParrinelloNetwork

    initial = BehlerParrinelloNetwork.from_n2p2(results_path("training", "tta_ekf", "model"))
    initial.initialize("xavier", seed=0)
    for name in ("tta_ekf", "tta_adam"):
        model = BehlerParrinelloNetwork.from_n2p2(results_path("training", name, "model"))
        history = pd.read_csv(results_path("training", name, "history.csv.gz"))
        distance = np.linalg.norm(model.get_weights() - initial.get_weights())
        assert model.n_weights == 2827
        assert distance == pytest.approx(history["weight_distance"].iloc[-1], rel=1e-6)


def test_committed_fisher_spectra_are_non_negative():
    from nnp_tutorial.fisher import read_spectra

    for spectrum in read_spectra(results_path("fisher", "fisher_eigenvalues.csv.gz")).values():
        assert np.all(spectrum.eigenvalues >= 0)
