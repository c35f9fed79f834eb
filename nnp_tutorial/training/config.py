"""What defines a training run: :class:`TrainingConfig`, each field declared once.

Every field is made by :func:`nnp_tutorial.config.setting` (default, unit, help, valid values),
so ``TrainingConfig(...)`` refuses a bad value with a ``ValueError`` naming the field and
``nnp-tutorial train`` has one option per field, generated from the same declaration
(``--lr`` for ``learning_rate``; the other options are the field names with ``-`` for ``_``).
This module imports neither TensorFlow nor the model, so the command line's parser is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import at_least, between, greater_than, setting, validate
from .kalman import EtaSchedule

OPTIMIZERS = ("ekf", "adam")
EKF_BLOCKS = ("full", "element")
#: Initial weights (:meth:`nnp_tutorial.model.BehlerParrinelloNetwork.initialize`; a test keeps
#: this equal to the model's ``INITIALIZATIONS``, which the model module holds with TensorFlow).
INITIALIZATIONS = ("xavier", "nguyen-widrow")
#: Configuration fields that :meth:`Trainer.restart` may change: they leave the split,
#: the network, the input scaling and the batch schedule as they are.
RESTARTABLE = (
    "optimizer",
    "learning_rate",
    "steps",
    "ekf_blocks",
    "ekf_dtype",
    "eta_schedule",
    "eta_tau",
    "eta_max",
    "validate_every",
    "checkpoint_every",
)


@dataclass
class TrainingConfig:
    """Everything that defines a training run (stored with every checkpoint).

    ``print(nnp_tutorial.config.describe(TrainingConfig))`` lists each field with its unit,
    valid values and default; bad values raise :class:`~nnp_tutorial.config.SettingError`.

    Attributes
    ----------
    optimizer : {"ekf", "adam"}
    learning_rate : float
        η: R = I/η for the EKF, Adam's initial step size.
    steps : int
        Number of updates.
    seed : int
        Seeds the split, the initial weights and the batch schedule.
    ekf_blocks : {"full", "element"}
        One covariance for all weights, or one per element network (decoupled).
    ekf_dtype : {"float64", "float32"}
    eta_schedule : {"constant", "runner"}
        Constant η, or η growing as min(η e^{t/τ}, η_max)
        (:class:`~nnp_tutorial.training.kalman.EtaSchedule`).
    eta_tau, eta_max : float
        τ (updates) and η_max of the ``runner`` schedule.
    energy_probability, n_forces, energy_weight, force_weight
        See :class:`~nnp_tutorial.training.schedule.BatchSchedule`.
    hidden_nodes : list of int
    initialization : {"xavier", "nguyen-widrow"}
    validation_fraction : float
    validation_subset : int
        Validation structures monitored during training.
    validate_every : int
        Steps between validations on the subset.
    checkpoint_every : int
        Steps between checkpoints (0: only at the end and on interruption).

    Example
    -------
    >>> TrainingConfig(optimizer="adam", learning_rate=1e-4).n_forces
    10
    >>> TrainingConfig(learning_rate=0)
    Traceback (most recent call last):
    ...
    nnp_tutorial.config.SettingError: learning_rate = 0.0: must be > 0 (learning rate η: R = I/η for the EKF, Adam's step size)
    """  # noqa: E501 -- a doctest's expected line

    optimizer: str = setting("ekf", help="optimiser", choices=OPTIMIZERS)
    learning_rate: float = setting(
        1e-3,
        help="learning rate η: R = I/η for the EKF, Adam's step size",
        valid=greater_than(0),
        flag="--lr",
        aliases=("--learning-rate",),
        metavar="ETA",
    )
    steps: int = setting(10_000, help="number of weight updates", valid=at_least(1))
    seed: int = setting(0, help="seed of the split, the initial weights and the batches", valid=at_least(0))
    ekf_blocks: str = setting(
        "full", help="EKF covariance: one block, or one per element", choices=EKF_BLOCKS
    )
    ekf_dtype: str = setting(
        "float64", help="precision of the EKF covariance", choices=("float64", "float32")
    )
    eta_schedule: str = setting(
        "constant",
        help="EKF η(t): constant, or min(η·exp(t/τ), η_max) as in RuNNer/n2p2",
        choices=("constant", "runner"),
    )
    eta_tau: float = setting(
        EtaSchedule.tau, help="τ of the runner schedule", unit="updates", valid=greater_than(0)
    )
    eta_max: float = setting(EtaSchedule.eta_max, help="η_max of the runner schedule", valid=greater_than(0))
    energy_probability: float = setting(0.1, help="share of energy updates", valid=between(0, 1))
    n_forces: int = setting(10, help="force components per force update", valid=at_least(1))
    energy_weight: float = setting(50.0, help="weight c of the energy labels (per atom)", valid=at_least(0))
    force_weight: float = setting(1.0, help="weight c of the force labels", valid=at_least(0))
    hidden_nodes: list[int] = setting(  # noqa: RUF009 -- a dataclasses.field, the list copied per instance
        [25, 25], help="nodes of each hidden layer", valid=at_least(1), metavar="N"
    )
    initialization: str = setting("xavier", help="initial weights", choices=INITIALIZATIONS)
    validation_fraction: float = setting(
        0.2, help="share of the structures held out for validation", valid=between(0, 1, closed=False)
    )
    validation_subset: int = setting(32, help="validation structures monitored", valid=at_least(1))
    validate_every: int = setting(500, help="updates between validations", valid=at_least(1))
    checkpoint_every: int = setting(
        5000, help="updates between checkpoints (0: at the end only)", valid=at_least(0)
    )

    def __post_init__(self) -> None:
        validate(self)
