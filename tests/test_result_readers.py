"""Reading committed results back: Fisher spectra, MD runs, and the coordination number of g_OO."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nnp_tutorial.fisher import fisher_spectrum, read_spectra
from nnp_tutorial.md import coordination_number, load_run, mean_density
from nnp_tutorial.results import results_path


def test_spectra_read_back_equal_the_computed_ones(tmp_path):
    """The table format of ``nnp-tutorial fisher`` (rank 0 = largest), 10 significant digits."""
    rng = np.random.default_rng(0)
    spectra = {
        "a": fisher_spectrum(rng.normal(size=(5, 12))),
        "b": fisher_spectrum(rng.normal(size=(20, 12))),
    }
    rows = [
        {"model": name, "rank": k, "eigenvalue": v}
        for name, s in spectra.items()
        for k, v in enumerate(s.eigenvalues[::-1])
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "fisher_eigenvalues.csv.gz", index=False, float_format="%.10g")
    read = read_spectra(tmp_path / "fisher_eigenvalues.csv.gz")
    assert list(read) == ["a", "b"]
    for name, spectrum in spectra.items():
        np.testing.assert_allclose(read[name].eigenvalues, spectrum.eigenvalues, rtol=1e-9, atol=1e-12)
        assert len(read[name].positive) == len(spectrum.positive) == min(spectrum.n_batches, 12)
    with pytest.raises(ValueError, match="read from a table"):
        read["a"].matrix()


def test_committed_fisher_spectra():
    spectra = read_spectra(results_path("fisher", "fisher_eigenvalues.csv.gz"))
    models = ["data/results/training/tta_ekf/model", "data/results/training/tta_adam/model"]
    assert list(spectra) == models
    for spectrum in spectra.values():
        assert len(spectrum.eigenvalues) == 2827 and np.all(np.diff(spectrum.eigenvalues) >= 0)
        # 10 000 batches: full rank but for the output biases' one flat direction
        assert len(spectrum.positive) == 2826
    assert spectra[models[0]].eigenvalues[-1] == 145.1647299  # the table's first row


def test_committed_md_run_reads_back_with_its_analysis():
    directory = results_path("md", "nvt300_cheng")
    run = load_run(directory)  # thermo.csv.gz
    assert run.status == "completed" and run.instability is None
    assert len(run.thermo) == run.steps_done // run.summary["parameters"]["log_every"] + 1
    stored = run.summary["analysis"]["density_g_per_ml"]
    assert mean_density(run.thermo).mean == pytest.approx(stored["mean"], rel=1e-14)
    rdf = pd.read_csv(directory / "rdf_O_O.csv")
    peak = int(np.argmax(rdf["g"]))
    assert rdf["r_A"][peak] == pytest.approx(run.summary["analysis"]["rdf"]["first_peak_r_A"], abs=1e-6)


def test_coordination_number_of_an_ideal_gas_is_the_mean_count_in_a_sphere():
    width, rho = 0.05, 0.0334
    r = width * (np.arange(120) + 0.5)
    n = coordination_number(r, np.ones_like(r), rho)
    np.testing.assert_allclose(n, rho * 4 / 3 * np.pi * (r + width / 2) ** 3, rtol=1e-12)


def test_liquid_water_has_about_four_oxygen_neighbours_in_its_first_shell():
    directory = results_path("md", "nvt300_cheng")
    run = load_run(directory)
    rdf = pd.read_csv(directory / "rdf_O_O.csv")
    r, g = rdf["r_A"].to_numpy(), rdf["g"].to_numpy()
    n_oxygen = json.loads((directory / "summary.json").read_text())["parameters"]["n_atoms"] // 3
    rho = (n_oxygen - 1) / run.thermo["volume_A3"].mean()
    first_minimum = np.argmin(np.where((r > 3.0) & (r < 4.0), g, np.inf))
    assert 3.8 < coordination_number(r, g, rho)[first_minimum] < 5.0
