r"""The two optimisers of the study behind one interface.

Both see the same batch: the scaled errors :math:`\xi` (shape (m,)) and their
Jacobian :math:`J = \partial\xi/\partial w` (shape (m, n)).

* :class:`AdamOptimizer` minimises :math:`L_2 = \sum\xi^2` with TensorFlow's own
  Adam (β₁ 0.9, β₂ 0.999, ε 1e-7), gradient :math:`2J^\top\xi`, rescaled to a
  global norm of at most 0.01, learning rate :math:`\eta\cdot 0.994^{t/10^4}`
  (staircase, as the study's PiNN set-up).
* :class:`KalmanOptimizer` filters :math:`\xi` with
  :class:`~nnp_tutorial.training.kalman.KalmanFilter`.

Each has ``step(weights, J, xi)``, ``update(weights, errors)`` (from a
:class:`~nnp_tutorial.training.labels.BatchErrors`: Adam then never forms J), ``state_dict()``
and ``load_state_dict()``
so that a checkpointed run resumes exactly.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ..dispatch import ShapeDispatch
from ..errors import TrainingDiverged
from .kalman import EtaSchedule, KalmanFilter

#: The study's Adam settings.
ADAM_BETA_1, ADAM_BETA_2, ADAM_EPSILON = 0.9, 0.999, 1e-7
ADAM_CLIP_NORM = 0.01
ADAM_DECAY_RATE, ADAM_DECAY_STEPS = 0.994, 10_000


class AdamOptimizer:
    """TensorFlow Adam on the L2 loss of each batch.

    Parameters
    ----------
    learning_rate : float
        η at step 0.
    """

    kind = "adam"

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = float(learning_rate)
        self.schedule = tf.keras.optimizers.schedules.ExponentialDecay(
            self.learning_rate, ADAM_DECAY_STEPS, ADAM_DECAY_RATE, staircase=True
        )
        self.optimizer = tf.keras.optimizers.Adam(
            learning_rate=self.schedule,
            beta_1=ADAM_BETA_1,
            beta_2=ADAM_BETA_2,
            epsilon=ADAM_EPSILON,
            global_clipnorm=ADAM_CLIP_NORM,
        )
        # as a graph: one call instead of some forty eager operations (0.5 instead of 7.4 ms per
        # update for 2827 weights, the same numbers to the last bit)
        self._apply = ShapeDispatch(tf.function(self._apply_gradient))

    def _apply_gradient(self, gradient: tf.Tensor, weights: tf.Variable) -> None:
        self.optimizer.apply_gradients([(gradient, weights)])

    def step(self, weights: tf.Variable, jacobian: np.ndarray, errors: np.ndarray) -> None:
        """Apply one Adam update with gradient ∂L2/∂w = 2 Jᵀ ξ."""
        self.apply_gradient(weights, 2.0 * np.asarray(jacobian).T @ np.asarray(errors))

    def update(self, weights: tf.Variable, errors) -> None:
        """One update from a batch's :class:`~nnp_tutorial.training.labels.BatchErrors` (its 2 Jᵀ ξ only)."""
        self.apply_gradient(weights, errors.l2_gradient())

    def apply_gradient(self, weights: tf.Variable, gradient: np.ndarray) -> None:
        """One Adam update with the gradient (n_weights,) of the batch loss.

        A non-finite gradient raises :class:`~nnp_tutorial.errors.TrainingDiverged` before
        anything changes (a finite one, clipped to norm 0.01, keeps the weights finite).
        """
        if not np.all(np.isfinite(gradient)):
            raise TrainingDiverged("non-finite gradient of the batch loss (Adam)")
        if not self.optimizer.built:  # its moment variables are made outside the graph
            self.optimizer.build([weights])
        self._apply(tf.constant(gradient), weights)

    def state_dict(self) -> dict:
        return {"variables": [np.array(v.numpy()) for v in self.optimizer.variables]}

    def load_state_dict(self, state: dict, weights: tf.Variable) -> None:
        self.optimizer.build([weights])
        for variable, value in zip(self.optimizer.variables, state["variables"]):
            variable.assign(value)


class KalmanOptimizer:
    """Extended Kalman filter on the scaled errors of each batch.

    Parameters
    ----------
    learning_rate : float
        η (R = I/η).
    n_weights : int
    blocks : list of slice, optional
        Decoupled filter blocks (default: one full covariance).
    dtype : {"float64", "float32"}
        Precision of the covariance.
    eta_schedule : {"constant", "runner"}
        Constant η, or RuNNer's growing η(t) = min(η e^{t/τ}, η_max)
        (:class:`~nnp_tutorial.training.kalman.EtaSchedule`).
    eta_tau : float
        τ of the ``runner`` schedule, in updates.
    eta_max : float
        η_max of the ``runner`` schedule.
    """

    kind = "ekf"

    def __init__(
        self,
        learning_rate: float,
        n_weights: int,
        *,
        blocks: list[slice] | None = None,
        dtype: str = "float64",
        eta_schedule: str = "constant",
        eta_tau: float = EtaSchedule.tau,
        eta_max: float = EtaSchedule.eta_max,
    ) -> None:
        eta = EtaSchedule(float(learning_rate), kind=eta_schedule, tau=eta_tau, eta_max=eta_max)
        self.filter = KalmanFilter(n_weights, blocks=blocks, eta=eta, dtype=dtype)

    def step(self, weights: tf.Variable, jacobian: np.ndarray, errors: np.ndarray) -> None:
        """Apply one filter update (raises FilterDiverged and leaves weights unchanged)."""
        delta = self.filter.update(jacobian, errors)
        weights.assign_add(delta)

    def update(self, weights: tf.Variable, errors) -> None:
        """One update from a batch's :class:`~nnp_tutorial.training.labels.BatchErrors` (its J and ξ)."""
        self.step(weights, errors.jacobian(), errors.xi)

    def state_dict(self) -> dict:
        return self.filter.state_dict()

    def load_state_dict(self, state: dict, weights: tf.Variable) -> None:
        self.filter.load_state_dict(state)
