"""Drift tests and verdicts of MD averages (:mod:`nnp_tutorial.md.equilibration`).

Oracles: closed forms (the slope of an exact line, a constant series), seeded synthetic
series with known answers (white noise and AR(1) without drift are stationary; the same
plus 0.005 g/ml/ps is drifting), the committed MD results (the Cheng and teacher densities
stay what they were; the 80-min Adam student of seed 1 drifts), and, for
``--until-converged``, the verdict recomputed from the rows of each part of a tiny run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.signal import lfilter

from nnp_tutorial import cli
from nnp_tutorial.md import (
    Verdict,
    average_verdict,
    density_verdict,
    drift_test,
    load_run,
    mean_density,
    reanalyse_thermo,
    run_until_converged,
    run_verdict,
    water_box,
)
from nnp_tutorial.md.plots import plot_density

RESULTS = Path(__file__).resolve().parents[1] / "data" / "results"
ROW_PS = 0.01  # the committed thermo tables: a row every 20 steps of 0.5 fs
SIGMA = 0.02  # g/ml: the density fluctuation of the committed 64-molecule Cheng run


def ar1(rng: np.random.Generator, n_series: int, n_points: int, tau_ps: float) -> np.ndarray:
    """(n_series, n_points) stationary AR(1) series, standard deviation SIGMA, correlation time tau_ps."""
    if tau_ps == 0.0:
        return rng.normal(0.0, SIGMA, (n_series, n_points))
    phi = np.exp(-ROW_PS / tau_ps)
    noise = rng.normal(0.0, SIGMA * np.sqrt(1 - phi**2), (n_series, n_points))
    noise[:, 0] = rng.normal(0.0, SIGMA, n_series)  # start in the stationary distribution
    return lfilter([1.0], [1.0, -phi], noise, axis=1)


def drifting_fraction(series: np.ndarray, time_ps: np.ndarray) -> float:
    """Fraction of the rows of ``series`` whose verdict is ``drifting``."""
    return float(np.mean([average_verdict(time_ps, 1.0 + x).status == "drifting" for x in series]))


# -- the test on known series --------------------------------------------------------------
def test_drift_of_an_exact_line_and_of_a_constant():
    t = np.arange(1000) * ROW_PS
    line = drift_test(t, 0.9 - 0.02 * t)
    assert line.slope_per_ps == pytest.approx(-0.02, rel=1e-12)
    assert line.change == pytest.approx(-0.02 * t[-1], rel=1e-12) and line.drifting
    assert line.slope_error_per_ps < 1e-12 and line.n_blocks == 8
    assert line.critical_t == pytest.approx(3.7074, abs=1e-4)  # t_0.995 with 6 degrees of freedom
    assert line.last_value == pytest.approx(0.9 - 0.02 * t[-125:].mean(), rel=1e-12)  # last block's mean
    constant = average_verdict(t, np.full_like(t, 0.9999819399064546))  # an NVT density, round-off only
    assert (constant.status, constant.drift_per_ps) == ("stable", 0.0)
    assert constant.mean == pytest.approx(0.99998194)
    wave = average_verdict(t, 1.0 + 0.01 * np.sin(2 * np.pi * t / t[-1] * 8))  # a period per drift block
    assert wave.status == "stable" and abs(wave.drift_per_ps) < 1e-6 and wave.error > 1e-4
    with pytest.raises(ValueError, match="one point per block"):
        drift_test(t[:5], t[:5])


def test_a_small_significant_change_within_the_error_bar_is_not_a_drift():
    """Both conditions are needed: |t| beyond the critical value *and* a change above the tolerance."""
    t = np.arange(800) * ROW_PS
    x = 1.0 + 1e-4 * t + 1e-6 * np.cos(7.3 * t)  # a clean, tiny trend: t huge, change 8e-4
    assert drift_test(t, x).drifting
    assert not drift_test(t, x, tolerance=1e-3).drifting


@pytest.mark.parametrize(
    ("window_ps", "tau_ps", "false_alarms"),
    [
        (25.0, 0.0, (0.003, 0.025)),  # white noise: about the nominal 1 % (measured 1.0 %)
        (25.0, 1.6, (0.01, 0.05)),  # the Cheng window and its correlation time (measured 3.5 %)
        (15.0, 1.1, (0.01, 0.05)),  # the teacher's (4.0 %)
        (7.5, 0.43, (0.01, 0.05)),  # the 80-min Adam student of seed 0 (2.9 %)
    ],
)
def test_stationary_series_are_stable(window_ps, tau_ps, false_alarms):
    """White noise and AR(1) with the committed windows' correlation times: >= 95 % stable (2000 series)."""
    t = np.arange(round(window_ps / ROW_PS) + 1) * ROW_PS
    rate = drifting_fraction(ar1(np.random.default_rng(26), 2000, len(t), tau_ps), t)
    assert false_alarms[0] <= rate <= false_alarms[1]


@pytest.mark.parametrize(("tau_ps", "lowest"), [(0.0, 0.999), (0.4, 0.995), (1.6, 0.95)])
def test_a_drift_of_5_mg_per_ml_per_ps_over_25_ps_is_detected(tau_ps, lowest):
    """The same series plus 0.005 g/ml/ps: drifting in >= 95 % (measured 100, 100, 98.2 %)."""
    t = np.arange(2501) * ROW_PS
    series = ar1(np.random.default_rng(27), 1000, len(t), tau_ps) + 0.005 * t
    assert drifting_fraction(series, t) >= lowest
    verdict = average_verdict(t, 1.0 + series[0])
    assert verdict.mean is None and verdict.error is None  # never mean ± error
    assert verdict.drift_per_ps == pytest.approx(0.005, abs=4 * verdict.drift_error)


# -- the committed runs ---------------------------------------------------------------------
#: Every committed MD run: its verdict on the density, and the density (stable) or drift (g/ml/ps).
COMMITTED = {
    "npt320_cheng": ("stable", 0.9022),
    "npt330_blyp_teacher": ("stable", 0.6605),
    "npt330_pinn_adam_s0": ("unstable", None),
    "npt330_pinn_adam_s1": ("unstable", None),
    "npt330_student_adam_160min_s0": ("stable", 0.8397),
    "npt330_student_adam_80min_s0": ("stable", 0.7847),
    "npt330_student_adam_80min_s1": ("drifting", -0.0222),
    "npt330_student_ekf_160min_s0": ("drifting", -0.0068),
    "npt330_student_ekf_80min_s0": ("unstable", None),
    "npt330_student_ekf_80min_s1": ("unstable", None),
    "nve300_cheng_equilibrated": ("stable", 1.0000),
    "nve300_cheng_float32": ("stable", 1.0000),
    "nvt300_blyp_teacher": ("stable", 1.0000),
    "nvt300_cheng": ("stable", 1.0000),
}


def test_every_committed_run_has_its_verdict_stored():
    """summary.json holds the verdict recomputed from its thermo table; the list above is complete."""
    assert {d.name for d in (RESULTS / "md").iterdir() if d.is_dir()} == set(COMMITTED)
    for name, (status, value) in COMMITTED.items():
        verdict = run_verdict(RESULTS / "md" / name)
        stored = json.loads((RESULTS / "md" / name / "summary.json").read_text())["analysis"]
        assert Verdict(**stored["verdict"]) == verdict, name
        assert verdict.status == status, name
        if status == "stable":
            assert verdict.mean == pytest.approx(value, abs=5e-5) and verdict.error < 0.01
        elif status == "drifting":
            assert verdict.drift_per_ps == pytest.approx(value, abs=5e-5) and verdict.mean is None
            assert "mean" not in stored["density_g_per_ml"] and not stored["density_g_per_ml"]["converged"]
        else:
            summary = json.loads((RESULTS / "md" / name / "summary.json").read_text())
            assert verdict.failure_time_ps == summary["failure_time_ps"]
            assert verdict.reason == summary["reason"]


def test_cheng_and_teacher_densities_stay_what_they_were():
    """Stable, with the block averages (5 blocks, second half) that the results tables quote."""
    for name, table_value in (("npt320_cheng", 0.902), ("npt330_blyp_teacher", 0.660)):
        run = load_run(RESULTS / "md" / name)
        verdict = density_verdict(run.thermo)
        expected = mean_density(run.thermo)
        assert verdict.status == "stable"
        assert (verdict.mean, verdict.error) == (expected.mean, expected.sem)
        assert round(verdict.mean, 3) == table_value
        assert abs(verdict.drift_per_ps) < 2 * verdict.drift_error  # not even 2 standard errors


def test_the_adam_80_min_seed_1_student_is_drifting():
    """1.0 -> 0.40 g/ml and still falling: -0.022 g/ml/ps over 5-10 ps, t about -23."""
    verdict = run_verdict(RESULTS / "md" / "npt330_student_adam_80min_s1")
    assert verdict.status == "drifting" and verdict.mean is None and verdict.error is None
    assert verdict.drift_per_ps == pytest.approx(-0.0222, abs=1e-4)
    assert abs(verdict.drift_per_ps / verdict.drift_error) > 20
    assert verdict.last_value == pytest.approx(0.399, abs=1e-3)  # mean of the last 0.625 ps
    assert (verdict.from_ps, verdict.to_ps) == (5.0, 10.0)
    assert str(verdict).startswith("drifting -0.0222 ± 0.0010 per ps")


def test_student_table_verdicts_match_the_runs():
    """students.csv: density_verdict and drift from the committed runs; no mean ± error when drifting."""
    from nnp_tutorial.teacher import student_results

    table = student_results("blyp")
    assert set(table["density_verdict"]) == {"stable", "drifting", "unstable"}
    assert (table["density_verdict"] == "unstable").equals(table["npt_status"] == "unstable")
    drifting = table[table["density_verdict"] == "drifting"]
    assert drifting[["density_second_half", "density_error"]].isna().all().all()
    assert drifting["density_drift_per_ps"].notna().all() and drifting["density_last_ps"].notna().all()
    for _, row in table[table["density_verdict"] != "unstable"].iterrows():
        name = f"npt330_student_{row['optimizer']}_{row['training_min']:g}min_s{row['seed']}"
        verdict = run_verdict(RESULTS / "md" / name)
        assert verdict.status == row["density_verdict"]
        assert row["density_drift_per_ps"] == pytest.approx(verdict.drift_per_ps, abs=5e-6)
        assert row["density_drift_error"] == pytest.approx(verdict.drift_error, abs=5e-6)
    counts = table.groupby("optimizer")["density_verdict"].apply(lambda s: (s == "stable").sum())
    assert counts.to_dict() == {"adam": 2, "ekf": 0}  # stable densities per optimiser


def test_reanalysis_reproduces_the_committed_summary(tmp_path):
    """reanalyse_thermo on a copy of a committed run rewrites the same analysis (g(r) kept)."""
    import shutil

    source = RESULTS / "md" / "npt330_student_adam_80min_s1"
    for name in ("summary.json", "thermo.csv.gz"):
        shutil.copy(source / name, tmp_path / name)
    analysis = reanalyse_thermo(tmp_path)
    assert analysis == json.loads((source / "summary.json").read_text())["analysis"]
    assert (tmp_path / "density.png").stat().st_size > 0


def test_density_plot_draws_a_band_only_for_a_stable_run():
    run = load_run(RESULTS / "md" / "npt330_student_adam_80min_s1")
    drifting = plot_density(run.thermo, verdict=density_verdict(run.thermo)).axes[0]
    assert not drifting.collections  # no band
    labels = drifting.get_legend_handles_labels()[1]
    assert labels == ["drifting -0.0222 ± 0.0010 g/ml/ps: no stable density"]
    run = load_run(RESULTS / "md" / "npt320_cheng")
    stable = plot_density(run.thermo, verdict=density_verdict(run.thermo)).axes[0]
    band = stable.collections[0].get_paths()[0].vertices  # fill_between over the window
    assert band[:, 0].min() == pytest.approx(25.0) and band[:, 0].max() == pytest.approx(50.0)
    assert stable.get_legend_handles_labels()[1] == ["stable: 0.902 ± 0.007 g/ml"]


def test_unstable_and_too_short_windows():
    thermo = pd.DataFrame({"time_ps": np.arange(12) * ROW_PS, "density_g_per_ml": np.linspace(1, 0.9, 12)})
    unstable = density_verdict(thermo, status="unstable", failure_time_ps=0.19, reason="O–O distance")
    assert (unstable.status, unstable.failure_time_ps, unstable.mean) == ("unstable", 0.19, None)
    short = density_verdict(thermo)  # 6 rows in the second half: 5 blocks, but not 8 of drift
    assert short.status == "drifting" and short.drift_per_ps is None and "too short" in short.reason


# -- extending a run until it converges --------------------------------------------------------
@pytest.fixture(scope="module")
def cheng(fetch):
    from nnp_tutorial.model import BehlerParrinelloNetwork

    return BehlerParrinelloNetwork.from_n2p2(fetch("nnp-revpbe0-d3-cheng2019"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("start_g_per_ml", "parts", "status"),
    [(1.0, [40], "stable"), (1.25, [40, 60, 80, 100], "drifting")],  # a compressed box expands throughout
)
def test_run_until_converged(cheng, tmp_path, monkeypatch, start_g_per_ml, parts, status):
    """8 molecules, NPT: 40 steps, then +20 at a time while the density of the second half drifts, to 100."""
    from nnp_tutorial.calculator import NNPCalculator
    from nnp_tutorial.md import runs

    requested, original = [], runs.run_md

    def recording_run_md(*args, steps, **options):
        requested.append(steps)
        return original(*args, steps=steps, **options)

    monkeypatch.setattr(runs, "run_md", recording_run_md)
    options = dict(out_dir=tmp_path, ensemble="npt", temperature_K=300.0, log_every=2, progress=False)
    box, calculator = water_box(8, start_g_per_ml, seed=3), NNPCalculator(cheng)
    run, verdict = run_until_converged(box, calculator, steps=40, max_steps=100, extend_steps=20, **options)
    assert requested == parts and verdict.status == status
    assert run.steps_done == parts[-1] and run.status == "completed" and len(run.thermo) == parts[-1] // 2 + 1
    for steps in parts[:-1]:  # each extension followed a drifting verdict on the rows up to then
        assert density_verdict(run.thermo[run.thermo["step"] <= steps]).status == "drifting"
    assert verdict == density_verdict(run.thermo)
    if status == "drifting":  # about -1.2 g/ml/ps: the box expands from 1.25 g/ml at 1e4 bar
        assert -1.5 < verdict.drift_per_ps < -1.0 and verdict.mean is None


@pytest.mark.slow
def test_cli_md_until_converged(cheng, monkeypatch, tmp_path, capsys):
    """``md --until-converged MAX_PS``: NPT only; the verdict is printed and stored; MAX_PS bounds it."""
    monkeypatch.setattr(cli.inputs, "load_model", lambda spec, data_dir=None: cheng)
    argv = ["md", "--model", "nnp-revpbe0-d3-cheng2019", "--ensemble", "nvt", "--ps", "0.01",
            "--molecules", "8", "--seed", "3",
            "--log-every", "2", "--until-converged", "0.02", "--out", str(tmp_path),
            "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 2
    assert "--until-converged needs --ensemble npt" in capsys.readouterr().err
    argv[4] = "npt"
    assert cli.main([*argv, "--extend-ps", "0.005"]) == 0
    out = capsys.readouterr().out
    summary = json.loads((tmp_path / "summary.json").read_text())
    verdict = Verdict(**summary["analysis"]["verdict"])
    assert f"--until-converged: {verdict.status} after" in out and f"density verdict: {verdict}" in out
    assert 20 <= summary["steps_done"] <= 40 and summary["steps_done"] % 10 == 0
    assert verdict == run_verdict(tmp_path)
    assert verdict.status == "stable" or summary["steps_done"] == 40
