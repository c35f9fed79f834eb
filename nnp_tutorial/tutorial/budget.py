"""Notebook budgets: how much work a notebook does.

Every notebook of the tutorial starts with a papermill ``parameters`` cell holding
``budget = "workshop"``. Three budgets exist:

``"smoke"``
    seconds per notebook; what CI runs (the whole sequence in under 5 minutes).
``"workshop"``
    the default: at most 8 minutes and 2 GB per notebook on 1–2 cores.
``"paper"``
    full scale, hours on a workstation.

The environment variable ``NNP_TUTORIAL_BUDGET`` overrides the notebook's value, so
``NNP_TUTORIAL_BUDGET=smoke python -m pytest --nbmake notebooks`` runs every notebook at
the smoke budget without editing it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TypeVar

BUDGETS = ("smoke", "workshop", "paper")
ENVIRONMENT_VARIABLE = "NNP_TUTORIAL_BUDGET"

T = TypeVar("T")


def resolve_budget(budget: str = "workshop") -> str:
    """The budget in force: ``$NNP_TUTORIAL_BUDGET`` when set, else ``budget``.

    Raises ``ValueError`` naming the valid budgets for anything else.
    """
    chosen = os.environ.get(ENVIRONMENT_VARIABLE) or budget
    if chosen not in BUDGETS:
        raise ValueError(f"budget {chosen!r} is not one of {', '.join(BUDGETS)}")
    return chosen


def by_budget(budget: str, choices: Mapping[str, T]) -> T:
    """Pick the value for ``budget`` from ``{"smoke": ..., "workshop": ..., "paper": ...}``."""
    missing = [name for name in BUDGETS if name not in choices]
    if missing:
        raise ValueError(f"no value for budget(s) {', '.join(missing)}")
    return choices[resolve_budget(budget)]
