"""The committed 15-minute training runs under ``data/results/training``, re-evaluated.

Oracle: the model files that ``nnp-tutorial train`` wrote (n2p2 format), evaluated
here against the DFT labels of the validation structures its summary names, give
the validation RMSEs the run reported; and these are within 1.5x of the published
Cheng et al. potential's errors on the same data (2.36 meV/atom, 118.5 meV/Å with
n2p2; ``shared/DESIGN.md``), the time-to-accuracy target of the training issue.
"""

from __future__ import annotations

import json

import pytest

from nnp_tutorial import datasets
from nnp_tutorial.evaluation import evaluate_errors
from nnp_tutorial.model import BehlerParrinelloNetwork
from nnp_tutorial.results import results_path

#: EKF, η = 1000, c_E = 250, every second batch an energy, seeds 0 and 1 (split, initial
#: weights, batches), 15 minutes each on the 2-core machine of 2026-11-25, and seed 0 again on
#: that of 2026-12-06
RUNS = [
    "tta_ekf_eta1000_ew250_pe05",
    "tta_ekf_eta1000_ew250_pe05_seed1",
    "tta_ekf_eta1000_ew250_pe05_2026-12-06",
]
PUBLISHED_ENERGY_RMSE, PUBLISHED_FORCE_RMSE = 2.36, 118.5  # meV/atom, meV/Å (n2p2, all 1593 frames)


def summary_of(run: str) -> dict:
    return json.loads((results_path("training", run) / "summary.json").read_text())


@pytest.fixture(scope="module")
def validation():
    """The runs' shared descriptor and their validation structures by frame.

    The models were trained on the default symmetry functions, so their files load onto one
    descriptor (and, with the same network size, one set of compiled networks).
    """
    frames = sorted({f for run in RUNS for f in summary_of(run)["validation_frames"]})
    structures = dict(zip(frames, datasets.iter_structures("revpbe0-d3", index=frames)))
    sfs = BehlerParrinelloNetwork.from_n2p2(results_path("training", RUNS[0]) / "model").descriptor
    return sfs, structures


@pytest.mark.parametrize("run", RUNS)
def test_fifteen_minute_ekf_model_is_within_1p5x_of_the_published_errors(run, validation):
    summary = summary_of(run)
    assert summary["config"]["optimizer"] == "ekf" and summary["wall_time_s"] <= 15 * 60 + 1
    frames = summary["validation_frames"]
    assert len(frames) == 319 and not set(frames) & set(summary["train_frames"])
    model = BehlerParrinelloNetwork.from_n2p2(results_path("training", run) / "model")
    sfs, structures = validation
    assert model.descriptor is sfs  # same symmetry functions in the files: one shared descriptor
    errors = evaluate_errors(model, [structures[f] for f in frames], progress=False)
    reported = summary["validation"]
    assert errors.energy_rmse == pytest.approx(reported["energy_rmse_meV_per_atom"], rel=1e-6)
    assert errors.force_rmse == pytest.approx(reported["force_rmse_meV_per_A"], rel=1e-6)
    assert errors.energy_rmse <= 1.5 * PUBLISHED_ENERGY_RMSE
    assert errors.force_rmse <= 1.5 * PUBLISHED_FORCE_RMSE
