"""What each notebook computes at each budget: one preset per notebook.

A notebook resolves its budget (:func:`~nnp_tutorial.tutorial.budget.resolve_budget`) and
asks its preset for the sizes it runs with, instead of restating them in a cell:

>>> from nnp_tutorial.tutorial.presets import md_preset
>>> md_preset("paper")  # unless $NNP_TUTORIAL_BUDGET names another budget
MDPreset(live_steps=20000, log_every=20, unstable_steps=4000)

==============================  =====================================================
notebook                        preset
==============================  =====================================================
01 data and descriptors         :func:`data_preset` → :class:`DataPreset`
02 loss and batches             :func:`loss_preset` → :class:`LossPreset`
03 Adam vs EKF                  :func:`comparison_preset` → :class:`ComparisonPreset`
04 MD density and structure     :func:`md_preset` → :class:`MDPreset`
05 learning rate                :func:`learning_rate_preset` → :class:`LearningRatePreset`
06 Fisher information           :func:`fisher_preset` → :class:`FisherPreset`
07 beyond the study             :func:`cost_preset` → :class:`CostPreset`
==============================  =====================================================

The budgets (:mod:`~nnp_tutorial.tutorial.budget`): ``smoke`` runs each notebook in seconds
(CI), ``workshop`` in at most a few minutes and 2 GB on 1–2 cores, ``paper`` at the scale of
the study (hours). ``$NNP_TUTORIAL_BUDGET`` overrides the budget a notebook passes. Where a
preset holds training settings they are a :class:`~nnp_tutorial.training.TrainingConfig`
with the sizes only; the notebook sets the optimiser, η and the seed it teaches with
(``dataclasses.replace``). Counts of structures refer to the revPBE0-D3 set (1593 frames of
64 water molecules, 192 atoms).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..training import TrainingConfig
from .budget import by_budget


@dataclass(frozen=True)
class DataPreset:
    """Sizes of notebook 01 (the data set and its symmetry functions).

    Attributes
    ----------
    n_histogram_frames : int
        Frames wanted for the energy–density histogram; the notebook reads every
        (1593 // n)-th frame. Reading all 1593 (workshop, paper) takes a few seconds and
        shows the study's Fig. 6; smoke reads every third (531 frames).
    n_descriptor_frames : int
        Frames whose symmetry functions are computed for the raw against scaled box
        plots (64 O rows each): 2 at smoke, 8 (512 O atoms, seconds) at workshop, 32 at
        paper.
    """

    n_histogram_frames: int
    n_descriptor_frames: int


def data_preset(budget: str = "workshop") -> DataPreset:
    """The sizes of notebook 01 at ``budget`` (``$NNP_TUTORIAL_BUDGET`` wins)."""
    return by_budget(
        budget,
        {
            "smoke": DataPreset(n_histogram_frames=400, n_descriptor_frames=2),
            "workshop": DataPreset(n_histogram_frames=1593, n_descriptor_frames=8),
            "paper": DataPreset(n_histogram_frames=1593, n_descriptor_frames=32),
        },
    )


@dataclass(frozen=True)
class LossPreset:
    """Sizes of notebook 02 (batch schedule and scaled errors ξ).

    Attributes
    ----------
    n_draws : int
        Steps of the schedule whose energy and force batches are counted against the
        binomial law. Drawing is cheap (microseconds a step): 2 000, 20 000 and 200 000,
        where the binomial spread of the energy fraction, √(p(1−p)/n), is 0.7, 0.2 and
        0.07 percentage points.
    n_frames : int
        Training structures evaluated with the published potential (a fraction of a
        second each); ξ is computed for batches drawn from these: 4, 24, 200.
    n_batches : int
        Batches per energy weight c_E whose loss L2 is histogrammed: 60, 600, 5 000
        (twice, for c_E = 1 and 50; each a lookup in the evaluated structures).
    """

    n_draws: int
    n_frames: int
    n_batches: int


def loss_preset(budget: str = "workshop") -> LossPreset:
    """The sizes of notebook 02 at ``budget`` (``$NNP_TUTORIAL_BUDGET`` wins)."""
    return by_budget(
        budget,
        {
            "smoke": LossPreset(n_draws=2_000, n_frames=4, n_batches=60),
            "workshop": LossPreset(n_draws=20_000, n_frames=24, n_batches=600),
            "paper": LossPreset(n_draws=200_000, n_frames=200, n_batches=5_000),
        },
    )


@dataclass(frozen=True)
class ComparisonPreset:
    """Sizes of the live training of notebook 03 (Adam against the EKF on the same batches).

    Attributes
    ----------
    seeds : tuple of int
        One run of each optimiser per seed; the paper budget trains an ensemble of three.
    n_frames : int
        Structures spread over the data set (:func:`~nnp_tutorial.datasets.spread`):
        12 at smoke, 40 at workshop (32 training and 8 validation structures), all 1593
        at paper.
    training : TrainingConfig
        ``hidden_nodes`` 8-8 at smoke, the study's 25-25 (2827 weights) otherwise;
        ``steps`` 40, 300 (about half a minute for both optimisers on two cores), 5000;
        ``validate_every`` 10, 50, 500 updates, each validation on ``validation_subset``
        2, 4, 32 structures; ``energy_probability`` the study's 0.1 at every budget.
    """

    seeds: tuple[int, ...]
    n_frames: int
    training: TrainingConfig


def comparison_preset(budget: str = "workshop") -> ComparisonPreset:
    """The sizes of notebook 03 at ``budget`` (``$NNP_TUTORIAL_BUDGET`` wins)."""
    return by_budget(
        budget,
        {
            "smoke": ComparisonPreset(
                seeds=(0,),
                n_frames=12,
                training=TrainingConfig(
                    steps=40,
                    hidden_nodes=[8, 8],
                    validate_every=10,
                    validation_subset=2,
                    energy_probability=0.1,
                ),
            ),
            "workshop": ComparisonPreset(
                seeds=(0,),
                n_frames=40,
                training=TrainingConfig(
                    steps=300,
                    hidden_nodes=[25, 25],
                    validate_every=50,
                    validation_subset=4,
                    energy_probability=0.1,
                ),
            ),
            "paper": ComparisonPreset(
                seeds=(0, 1, 2),
                n_frames=1593,
                training=TrainingConfig(
                    steps=5000,
                    hidden_nodes=[25, 25],
                    validate_every=500,
                    validation_subset=32,
                    energy_probability=0.1,
                ),
            ),
        },
    )


@dataclass(frozen=True)
class MDPreset:
    """Sizes of the live MD runs of notebook 04 (time step 0.5 fs, 64 molecules).

    Attributes
    ----------
    live_steps : int
        Steps of the live NVT run (and of the NPT stand-in when no NPT run is committed):
        20 (10 fs) at smoke, 1000 (0.5 ps, tens of seconds) at workshop, 20 000 (10 ps,
        minutes) at paper; the long runs come from ``data/results/md``.
    log_every : int
        Steps between two recorded frames and thermo rows: 2, 10, 20 (11, 101 and
        1001 frames: enough for the 3D player and g_OO(r), small in memory).
    unstable_steps : int
        Steps asked of the network with random weights: 40, 400, 4000 (20 fs, 0.2 ps,
        2 ps). It fails within a few femtoseconds, so the smoke budget already shows it.
    """

    live_steps: int
    log_every: int
    unstable_steps: int


def md_preset(budget: str = "workshop") -> MDPreset:
    """The sizes of notebook 04 at ``budget`` (``$NNP_TUTORIAL_BUDGET`` wins)."""
    return by_budget(
        budget,
        {
            "smoke": MDPreset(live_steps=20, log_every=2, unstable_steps=40),
            "workshop": MDPreset(live_steps=1000, log_every=10, unstable_steps=400),
            "paper": MDPreset(live_steps=20000, log_every=20, unstable_steps=4000),
        },
    )


@dataclass(frozen=True)
class LearningRatePreset:
    """Sizes of notebook 05 (learning-rate explorer and the scan over η).

    Attributes
    ----------
    n_frames : int
        Structures spread over the data set: 10, 40, 400.
    chunk_steps : int
        Updates between two points of a curve (one validation each): 10, 25, 250, so
        that a run has 2, 12 and 20 chunks after its initial point.
    learning_rates : tuple of float
        η of the scan, run for both optimisers: one at smoke, three decades at workshop
        (six runs, about a minute), four at paper.
    training : TrainingConfig
        ``hidden_nodes`` 6-6, 10-10 (small, so a run from the explorer takes 20–30 s),
        25-25; ``steps`` per run 20, 300, 5000; ``validation_subset`` 2, 4, 16 structures
        per point; ``energy_probability`` the study's 0.1 at every budget.
    """

    n_frames: int
    chunk_steps: int
    learning_rates: tuple[float, ...]
    training: TrainingConfig


def learning_rate_preset(budget: str = "workshop") -> LearningRatePreset:
    """The sizes of notebook 05 at ``budget`` (``$NNP_TUTORIAL_BUDGET`` wins)."""
    return by_budget(
        budget,
        {
            "smoke": LearningRatePreset(
                n_frames=10,
                chunk_steps=10,
                learning_rates=(1e-3,),
                training=TrainingConfig(
                    steps=20, hidden_nodes=[6, 6], validation_subset=2, energy_probability=0.1
                ),
            ),
            "workshop": LearningRatePreset(
                n_frames=40,
                chunk_steps=25,
                learning_rates=(1e-4, 1e-3, 1e-2),
                training=TrainingConfig(
                    steps=300, hidden_nodes=[10, 10], validation_subset=4, energy_probability=0.1
                ),
            ),
            "paper": LearningRatePreset(
                n_frames=400,
                chunk_steps=250,
                learning_rates=(1e-5, 1e-4, 1e-3, 1e-2),
                training=TrainingConfig(
                    steps=5000, hidden_nodes=[25, 25], validation_subset=16, energy_probability=0.1
                ),
            ),
        },
    )


@dataclass(frozen=True)
class FisherPreset:
    """Sizes of notebook 06 (Fisher information, the EKF as a natural-gradient step).

    Attributes
    ----------
    n_structures : int
        Structures of the live EKF run, and spread over the data set for the Fisher
        spectra when they are recomputed: 3, 40, 200.
    n_fisher_batches : int
        Batches per model for ⟨I₁⟩ when the notebook recomputes the spectra: 20, 200,
        1000 (the committed spectra used 10 000, about 60 s per model).
    training : TrainingConfig
        The live run checked update by update against the natural-gradient formula,
        which forms n × n matrices: ``hidden_nodes`` 3-3, 8-8 (634 weights, 3 MB per
        matrix), 25-25 (2827 weights); ``steps`` 25, 300, 2000; ``validation_subset`` 2.
    """

    n_structures: int
    n_fisher_batches: int
    training: TrainingConfig


def fisher_preset(budget: str = "workshop") -> FisherPreset:
    """The sizes of notebook 06 at ``budget`` (``$NNP_TUTORIAL_BUDGET`` wins)."""
    return by_budget(
        budget,
        {
            "smoke": FisherPreset(
                n_structures=3,
                n_fisher_batches=20,
                training=TrainingConfig(steps=25, hidden_nodes=[3, 3], validation_subset=2),
            ),
            "workshop": FisherPreset(
                n_structures=40,
                n_fisher_batches=200,
                training=TrainingConfig(steps=300, hidden_nodes=[8, 8], validation_subset=2),
            ),
            "paper": FisherPreset(
                n_structures=200,
                n_fisher_batches=1000,
                training=TrainingConfig(steps=2000, hidden_nodes=[25, 25], validation_subset=2),
            ),
        },
    )


@dataclass(frozen=True)
class CostPreset:
    """Sizes of notebook 07 (what the EKF costs; the decoupled filter).

    Attributes
    ----------
    weight_counts : tuple of int
        Numbers of weights n at which one Kalman update is timed (P has 8 n² bytes): up
        to 2000 (32 MB) at smoke, 6000 (288 MB) at workshop, 12 000 (1.15 GB) at paper.
    n_structures : int
        Structures spread over the data set for training with the full and the
        decoupled filter: 3, 12, 200.
    training : TrainingConfig
        ``hidden_nodes`` 4-4, 10-10, 25-25; ``steps`` 10, 400, 5000 per filter;
        ``validation_subset`` a third of the structures, at most 8 (1, 4, 8);
        ``validate_every`` a tenth of the run (1, 40, 500 updates); ``energy_probability``
        the study's default 0.1.
    """

    weight_counts: tuple[int, ...]
    n_structures: int
    training: TrainingConfig


def cost_preset(budget: str = "workshop") -> CostPreset:
    """The sizes of notebook 07 at ``budget`` (``$NNP_TUTORIAL_BUDGET`` wins)."""
    return by_budget(
        budget,
        {
            "smoke": CostPreset(
                weight_counts=(250, 500, 1000, 2000),
                n_structures=3,
                training=TrainingConfig(steps=10, hidden_nodes=[4, 4], validation_subset=1, validate_every=1),
            ),
            "workshop": CostPreset(
                weight_counts=(250, 500, 1000, 2000, 3000, 4500, 6000),
                n_structures=12,
                training=TrainingConfig(
                    steps=400, hidden_nodes=[10, 10], validation_subset=4, validate_every=40
                ),
            ),
            "paper": CostPreset(
                weight_counts=(250, 500, 1000, 2000, 3000, 4500, 6000, 9000, 12000),
                n_structures=200,
                training=TrainingConfig(
                    steps=5000, hidden_nodes=[25, 25], validation_subset=8, validate_every=500
                ),
            ),
        },
    )
