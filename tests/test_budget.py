"""Notebook budgets and the committed results directory."""

from __future__ import annotations

import pytest

from nnp_tutorial.errors import NNPTutorialError
from nnp_tutorial.results import results_path
from nnp_tutorial.tutorial.budget import BUDGETS, by_budget, resolve_budget


def test_environment_overrides_the_notebook_value(monkeypatch):
    monkeypatch.delenv("NNP_TUTORIAL_BUDGET", raising=False)
    assert resolve_budget("paper") == "paper"
    monkeypatch.setenv("NNP_TUTORIAL_BUDGET", "smoke")
    assert resolve_budget("paper") == "smoke"
    assert by_budget("workshop", {"smoke": 1, "workshop": 2, "paper": 3}) == 1


def test_bad_budgets_are_named(monkeypatch):
    monkeypatch.delenv("NNP_TUTORIAL_BUDGET", raising=False)
    with pytest.raises(ValueError, match="smoke, workshop, paper"):
        resolve_budget("tiny")
    with pytest.raises(ValueError, match="paper"):
        by_budget("smoke", {"smoke": 1, "workshop": 2})
    assert BUDGETS == ("smoke", "workshop", "paper")


def test_results_path_points_at_committed_results():
    assert results_path("cheng2019_revpbe0d3_errors.csv").read_text().startswith("#")
    with pytest.raises(NNPTutorialError, match="recompute"):
        results_path("no", "such", "result")
