"""Learning-rate explorer: train small networks live and overlay their validation curves.

Two layers, kept apart so that the computation is testable without a browser
(jupyter-widgets tutorial, "Separating Concerns"):

:class:`LiveTraining`
    the computation. One :class:`~nnp_tutorial.training.Trainer` (descriptors
    cached, label functions compiled once) serves every run: each run restarts
    it from the same initial weights with another optimiser or learning rate
    (:meth:`~nnp_tutorial.training.Trainer.restart`) and advances
    ``chunk_steps`` updates per call of :meth:`LiveTraining.run_chunk`, ending
    each chunk with one validation (one point of the curve).
:class:`LearningRateExplorer`
    the widgets: a log-scale slider for η, an optimiser menu, Run and Stop
    buttons and the figure. Run starts an ``asyncio`` task that calls
    ``run_chunk`` and yields to the kernel's event loop after every chunk, so
    the notebook stays responsive and Stop takes effect at the next chunk.

Example
-------
>>> trainer = Trainer(structures, TrainingConfig(hidden_nodes=[10, 10]), descriptor)  # doctest: +SKIP
>>> LearningRateExplorer(LiveTraining(trainer, steps=600, chunk_steps=50))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure

from ..training.plots import plot_training_curves
from .png import figure_png

if TYPE_CHECKING:
    from ..training.trainer import Trainer

#: Columns of a curve: the validation points of one run.
CURVE_COLUMNS = ["step", "wall_time_s", "energy_rmse", "force_rmse"]


def run_label(optimizer: str, learning_rate: float) -> str:
    """Legend label of a run, e.g. ``"ekf η=1.0e-03"``."""
    return f"{optimizer} η={learning_rate:.1e}"


class LiveTraining:
    """Runs of one trainer, advanced a chunk of updates at a time.

    Parameters
    ----------
    trainer : Trainer
        Its split, network and batch schedule are shared by all runs.
    steps : int
        Updates per run.
    chunk_steps : int
        Updates between two validations on the trainer's monitored validation
        structures (``TrainingConfig.validation_subset``).

    Attributes
    ----------
    curves : dict of str to DataFrame
        Run label → its validation points (columns :data:`CURVE_COLUMNS`: update
        index, training wall time in s, energy RMSE in meV/atom, force RMSE in
        meV/Å); the first point (step −1) is the initial network.
    status : dict of str to str
        Run label → ``"running"``, ``"completed"``, ``"stopped"`` or ``"diverged: ..."``.
    settings : dict of str to tuple
        Run label → ``(optimizer, learning_rate)``.
    label : str or None
        The run in progress (None when none is).
    """

    def __init__(self, trainer: Trainer, *, steps: int, chunk_steps: int) -> None:
        if steps < 1 or chunk_steps < 1:
            raise ValueError(f"steps and chunk_steps must be positive, not {steps} and {chunk_steps}")
        self.trainer = trainer
        self.steps = steps
        self.chunk_steps = chunk_steps
        self.curves: dict[str, pd.DataFrame] = {}
        self.status: dict[str, str] = {}
        self.settings: dict[str, tuple[str, float]] = {}
        self.label: str | None = None

    @property
    def running(self) -> bool:
        """Whether a run has been started and has updates left."""
        return self.label is not None

    def start(self, optimizer: str, learning_rate: float) -> str:
        """Begin a run from the trainer's initial weights; returns its label.

        A run with the same label as an earlier one replaces it.

        Raises
        ------
        RuntimeError
            If another run is in progress (both would drive the same trainer).
        """
        if self.label is not None:
            raise RuntimeError(f"run {self.label!r} is in progress; stop it first")
        # Validation only when a chunk ends: validate_every beyond the run's length
        # leaves Trainer.run's checks at step 0 and at the end of each call
        # (run_chunk sets config.steps to the end of each chunk).
        self.trainer.restart(
            optimizer=optimizer, learning_rate=learning_rate, steps=self.steps, validate_every=self.steps + 1
        )
        self.label = run_label(optimizer, learning_rate)
        self.curves[self.label] = pd.DataFrame(columns=CURVE_COLUMNS)
        self.status[self.label] = "running"
        self.settings[self.label] = (optimizer, learning_rate)
        return self.label

    def run_chunk(self) -> bool:
        """Do the next ``chunk_steps`` updates of the run in progress and validate.

        Returns whether the run has updates left (False also when no run is in
        progress). A diverged Kalman filter ends the run with the last good weights.
        """
        if self.label is None:
            return False
        trainer = self.trainer
        trainer.config.steps = min(trainer.step + self.chunk_steps, self.steps)
        trainer.run()
        self.curves[self.label] = trainer.history.dropna(subset=["energy_rmse"])[CURVE_COLUMNS]
        if trainer.status.startswith("diverged"):
            self._finish(trainer.status)
        elif trainer.step >= self.steps:
            self._finish("completed")
        return self.running

    def stop(self) -> None:
        """End the run in progress, keeping the points measured so far."""
        if self.label is not None:
            self._finish("stopped")

    def _finish(self, status: str) -> None:
        self.status[self.label] = status
        self.label = None

    def summary(self) -> pd.DataFrame:
        """One row per run: optimiser, η, updates done, status and the last validation RMSEs.

        Columns ``optimizer``, ``learning_rate``, ``updates``, ``status``,
        ``energy_rmse`` (meV/atom), ``force_rmse`` (meV/Å); indexed by run label.
        """
        rows = {
            label: {
                "optimizer": self.settings[label][0],
                "learning_rate": self.settings[label][1],
                "updates": int(curve["step"].iloc[-1]) + 1 if len(curve) else 0,
                "status": self.status[label],
                "energy_rmse": curve["energy_rmse"].iloc[-1] if len(curve) else float("nan"),
                "force_rmse": curve["force_rmse"].iloc[-1] if len(curve) else float("nan"),
            }
            for label, curve in self.curves.items()
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    def figure(self, x: str = "step") -> Figure:
        """Validation curves of all runs (:func:`~nnp_tutorial.training.plots.plot_training_curves`)."""
        return plot_training_curves(self.curves, x=x)


class LearningRateExplorer(widgets.VBox):
    """Slider for η, optimiser menu, Run/Stop buttons and the overlaid validation curves.

    Parameters
    ----------
    session : LiveTraining
    learning_rate : float, default 1e-3
        Initial slider position.
    optimizer : {"ekf", "adam"}, default "ekf"
    exponent_range : tuple of float, default (-6, 3)
        Slider range of log10 η (the EKF learned fastest at η ~ 10²–10³ on the full data set).

    Attributes
    ----------
    task : asyncio.Task or None
        The training task started by the Run button (``await explorer.task`` waits for it).
    """

    def __init__(
        self,
        session: LiveTraining,
        *,
        learning_rate: float = 1e-3,
        optimizer: str = "ekf",
        exponent_range: tuple[float, float] = (-6.0, 3.0),
    ) -> None:
        self.session = session
        self.task: asyncio.Task | None = None
        self.learning_rate = widgets.FloatLogSlider(
            value=learning_rate,
            base=10,
            min=exponent_range[0],
            max=exponent_range[1],
            step=0.25,
            description="η",
            readout_format=".1e",
            continuous_update=False,
        )
        self.optimizer = widgets.Dropdown(options=[("EKF", "ekf"), ("Adam", "adam")], value=optimizer)
        self.run_button = widgets.Button(description="Run", icon="play", button_style="success")
        self.stop_button = widgets.Button(
            description="Stop", icon="stop", button_style="danger", disabled=True
        )
        self.message = widgets.HTML(f"{session.steps} updates per run, a point every {session.chunk_steps}")
        self.image = widgets.Image(format="png")
        self.run_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: session.stop())
        controls = widgets.HBox([self.optimizer, self.learning_rate, self.run_button, self.stop_button])
        super().__init__([controls, self.message, self.image])

    def start(self) -> asyncio.Task:
        """Start a run with the current optimiser and η as a task on the running event loop."""
        self.task = asyncio.ensure_future(self.train(self.optimizer.value, self.learning_rate.value))
        return self.task

    async def train(self, optimizer: str, learning_rate: float) -> str:
        """Train one run chunk by chunk, redrawing after each; returns its final status."""
        label = self.session.start(optimizer, learning_rate)
        self.run_button.disabled, self.stop_button.disabled = True, False
        try:
            while True:
                self.message.value = f"{label}: update {self.session.trainer.step} of {self.session.steps}"
                more = self.session.run_chunk()
                self.redraw()
                if not more:
                    break
                await asyncio.sleep(0.01)  # hand the event loop to the kernel: button clicks arrive here
        finally:
            self.session.stop()
            self.run_button.disabled, self.stop_button.disabled = False, True
        status = self.session.status[label]
        self.message.value = f"{label}: {status} after {self.session.trainer.step} updates"
        return status

    def redraw(self) -> None:
        """Render the curves of all runs into the image."""
        self.image.value = figure_png(self.session.figure())
