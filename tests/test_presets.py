"""The notebooks' per-budget sizes: the presets hold the numbers the notebooks ran with.

The tables below are the ``by_budget`` dictionaries the notebooks' cells held before the
presets existed (2026-12-07); the notebooks' runtimes and memory in the README were measured
with them, so a preset that changes one has to change the README too.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from nnp_tutorial.training import TrainingConfig
from nnp_tutorial.tutorial.budget import BUDGETS
from nnp_tutorial.tutorial.presets import (
    comparison_preset,
    cost_preset,
    data_preset,
    fisher_preset,
    learning_rate_preset,
    loss_preset,
    md_preset,
)


@pytest.fixture(autouse=True)
def no_budget_override(monkeypatch):
    monkeypatch.delenv("NNP_TUTORIAL_BUDGET", raising=False)


def per_budget(**columns):
    """``{budget: {name: value}}`` from ``name=(smoke, workshop, paper)``."""
    return {budget: {k: v[i] for k, v in columns.items()} for i, budget in enumerate(BUDGETS)}


NOTEBOOK_01 = per_budget(n_histogram_frames=(400, 1593, 1593), n_descriptor_frames=(2, 8, 32))
NOTEBOOK_02 = per_budget(n_draws=(2_000, 20_000, 200_000), n_frames=(4, 24, 200), n_batches=(60, 600, 5_000))
NOTEBOOK_03 = per_budget(
    seeds=((0,), (0,), (0, 1, 2)),
    frames=(12, 40, 1593),
    hidden=([8, 8], [25, 25], [25, 25]),
    steps=(40, 300, 5000),
    every=(10, 50, 500),
    monitor=(2, 4, 32),
)
NOTEBOOK_04 = per_budget(live_steps=(20, 1000, 20000), log_every=(2, 10, 20), unstable_steps=(40, 400, 4000))
NOTEBOOK_05 = per_budget(
    frames=(10, 40, 400),
    hidden=([6, 6], [10, 10], [25, 25]),
    steps=(20, 300, 5000),
    chunk=(10, 25, 250),
    monitor=(2, 4, 16),
    learning_rates=([1e-3], [1e-4, 1e-3, 1e-2], [1e-5, 1e-4, 1e-3, 1e-2]),
)
NOTEBOOK_06 = per_budget(
    n_structures=(3, 40, 200),
    n_updates=(25, 300, 2000),
    hidden_nodes=([3, 3], [8, 8], [25, 25]),
    n_fisher_batches=(20, 200, 1000),
)
NOTEBOOK_07 = per_budget(
    sizes=(
        [250, 500, 1000, 2000],
        [250, 500, 1000, 2000, 3000, 4500, 6000],
        [250, 500, 1000, 2000, 3000, 4500, 6000, 9000, 12000],
    ),
    n_structures=(3, 12, 200),
    n_updates=(10, 400, 5000),
    hidden_nodes=([4, 4], [10, 10], [25, 25]),
)


@pytest.mark.parametrize("budget", BUDGETS)
def test_data_loss_and_md_presets_hold_the_notebooks_numbers(budget):
    assert vars(data_preset(budget)) == NOTEBOOK_01[budget]
    assert vars(loss_preset(budget)) == NOTEBOOK_02[budget]
    assert vars(md_preset(budget)) == NOTEBOOK_04[budget]


@pytest.mark.parametrize("budget", BUDGETS)
def test_comparison_preset_gives_the_configs_notebook_03_built(budget):
    old, preset = NOTEBOOK_03[budget], comparison_preset(budget)
    assert preset.seeds == old["seeds"] and preset.n_frames == old["frames"]
    for seed in preset.seeds:
        built = TrainingConfig(
            optimizer="ekf",
            learning_rate=1e-3,
            steps=old["steps"],
            seed=seed,
            hidden_nodes=old["hidden"],
            validate_every=old["every"],
            validation_subset=old["monitor"],
            energy_probability=0.1,
        )
        assert replace(preset.training, optimizer="ekf", learning_rate=1e-3, seed=seed) == built


@pytest.mark.parametrize("budget", BUDGETS)
def test_learning_rate_preset_gives_the_config_notebook_05_built(budget):
    old, preset = NOTEBOOK_05[budget], learning_rate_preset(budget)
    assert (preset.n_frames, preset.chunk_steps) == (old["frames"], old["chunk"])
    assert list(preset.learning_rates) == old["learning_rates"]
    built = TrainingConfig(
        steps=old["steps"],
        hidden_nodes=old["hidden"],
        validation_subset=old["monitor"],
        energy_probability=0.1,
        seed=0,
    )
    assert replace(preset.training, seed=0) == built


@pytest.mark.parametrize("budget", BUDGETS)
def test_fisher_preset_gives_the_config_notebook_06_built(budget):
    old, preset = NOTEBOOK_06[budget], fisher_preset(budget)
    assert (preset.n_structures, preset.n_fisher_batches) == (old["n_structures"], old["n_fisher_batches"])
    built = TrainingConfig(
        optimizer="ekf",
        learning_rate=1e-3,
        steps=old["n_updates"],
        hidden_nodes=old["hidden_nodes"],
        energy_probability=1.0,
        seed=0,
        validation_subset=2,
    )
    chosen = replace(preset.training, optimizer="ekf", learning_rate=1e-3, energy_probability=1.0, seed=0)
    assert chosen == built


@pytest.mark.parametrize("budget", BUDGETS)
def test_cost_preset_gives_the_config_notebook_07_built(budget):
    old, preset = NOTEBOOK_07[budget], cost_preset(budget)
    assert list(preset.weight_counts) == old["sizes"] and preset.n_structures == old["n_structures"]
    n_structures, n_updates = old["n_structures"], old["n_updates"]
    built = TrainingConfig(
        optimizer="ekf",
        learning_rate=1e-3,
        steps=n_updates,
        hidden_nodes=old["hidden_nodes"],
        seed=0,
        energy_probability=0.1,
        validation_subset=min(8, n_structures // 3),
        validate_every=max(1, n_updates // 10),
    )
    assert replace(preset.training, optimizer="ekf", learning_rate=1e-3, seed=0) == built


def test_the_environment_variable_chooses_the_preset(monkeypatch):
    monkeypatch.setenv("NNP_TUTORIAL_BUDGET", "smoke")
    assert md_preset("paper").live_steps == 20
    assert comparison_preset("paper").training.hidden_nodes == [8, 8]


def test_a_bad_budget_is_named():
    with pytest.raises(ValueError, match="smoke, workshop, paper"):
        fisher_preset("tiny")
