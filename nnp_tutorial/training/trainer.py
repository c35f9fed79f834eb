r"""Training a BPNN with Adam or the extended Kalman filter on one schedule.

:class:`Trainer` puts the pieces together:

1. split the structures 80/20 by seed (:func:`split_frames`);
2. compute every structure's symmetry functions once (:class:`~.labels.DescriptorCache`);
3. fit the input scaling and the per-element reference energies on the
   training structures only;
4. for each step draw a batch (:class:`~.schedule.BatchSchedule`), predict it,
   form ξ and J (:class:`~.labels.LabelFunctions`) and let the optimiser update;
5. every ``validate_every`` steps record the RMSEs on a fixed subset of the
   validation structures, and at the end on all of them.

The history is a tidy table: one row per step with ``step``, ``wall_time_s``
(since the start of training), ``kind`` (``energy`` or ``force``), ``frame``,
``l2`` (the batch loss before the update) and ``weight_distance``
(‖w − w_init‖), plus ``energy_rmse`` (meV/atom) and ``force_rmse`` (meV/Å)
on the validation subset in the rows where they were measured.

Checkpoints hold the weights, the initial weights, the optimiser state, the
step count and the history; because the draw of step t depends only on
(seed, t), a resumed run computes exactly the numbers of an uninterrupted one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from itertools import count
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from ..descriptors import SymmetryFunctionSet
from ..errors import TrainingDiverged
from ..io.atomic import atomic_write
from ..model import BehlerParrinelloNetwork
from ..prefetch import prefetched
from ..scaling import InputScaling
from ..units import EV_TO_MEV
from .config import RESTARTABLE, TrainingConfig
from .labels import BatchErrors, DescriptorCache, LabelFunctions, Prepared, batch_errors, batch_inputs
from .optimizers import AdamOptimizer, KalmanOptimizer
from .schedule import BatchSchedule


def default_descriptor(data_dir: str | Path | None = None) -> SymmetryFunctionSet:
    """The study's symmetry functions: those of the Cheng et al. revPBE0-D3 potential.

    30 functions for O and 27 for H (the Morawietz/Cheng set), cutoff 12 Bohr
    (6.35 Å), read from the registered potential (downloaded once).
    """
    from .. import datasets

    return datasets.load_potential("nnp-revpbe0-d3-cheng2019", data_dir=data_dir).descriptor


def split_frames(n_frames: int, validation_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random split of ``range(n_frames)`` into sorted training and validation indices."""
    order = np.random.default_rng([seed, 1]).permutation(n_frames)
    n_validation = max(1, round(validation_fraction * n_frames))
    return np.sort(order[n_validation:]), np.sort(order[:n_validation])


def fit_reference_energies(structures: list[Atoms], elements: list[str]) -> dict[str, float]:
    """Per-element energies e_Z (eV) minimising Σ_m (E_m − Σ_Z n_mZ e_Z)², least squares.

    With fixed composition (all water) only the combination of the
    stoichiometry is determined; ``lstsq`` returns the minimum-norm solution.
    """
    counts = np.array([[a.get_chemical_symbols().count(e) for e in elements] for a in structures], float)
    energies = np.array([a.get_potential_energy() for a in structures])
    solution = np.linalg.lstsq(counts, energies, rcond=None)[0]
    return {e: float(x) for e, x in zip(elements, solution)}


class Trainer:
    """Train a BPNN on labelled structures with Adam or the EKF.

    Parameters
    ----------
    structures : list of ase.Atoms
        With reference energies (eV) and forces (eV/Å) attached.
    config : TrainingConfig
    descriptor : SymmetryFunctionSet
        The symmetry functions (e.g. ``default_descriptor()``).
    progress : bool, default True
    label_engine : {"closed-form", "graph"}, default "closed-form"
        How labels and their weight derivatives are computed
        (:mod:`~nnp_tutorial.training.labels`): the same numbers, the graph far slower.
    """

    def __init__(
        self,
        structures: list[Atoms],
        config: TrainingConfig,
        descriptor: SymmetryFunctionSet,
        *,
        progress: bool = True,
        label_engine: str = "closed-form",
    ) -> None:
        self.structures = structures
        self.config = config
        self.progress = progress
        self.train_frames, self.validation_frames = split_frames(
            len(structures), config.validation_fraction, config.seed
        )
        monitor = np.random.default_rng([config.seed, 2]).permutation(self.validation_frames)
        self.monitor_frames = np.sort(monitor[: config.validation_subset])
        self.cache = DescriptorCache(descriptor, structures, progress=progress)
        training = [structures[i] for i in self.train_frames]
        self.model = BehlerParrinelloNetwork(
            descriptor,
            InputScaling.fit(self.cache.concatenated(self.train_frames)),
            hidden_nodes=list(config.hidden_nodes),
            activations=["t"] * len(config.hidden_nodes),  # tanh in every hidden layer, however many
            reference_energies=fit_reference_energies(training, descriptor.elements),
            initialization=config.initialization,
            seed=config.seed,
        )
        self.labels = LabelFunctions(self.model, label_engine)
        self.schedule = BatchSchedule(
            self.train_frames,
            np.array([len(a) for a in structures]),
            energy_probability=config.energy_probability,
            n_forces=config.n_forces,
            energy_weight=config.energy_weight,
            force_weight=config.force_weight,
            seed=config.seed,
        )
        self.initial_weights = self.model.get_weights()
        self._start_over()

    def restart(self, **changes) -> None:
        """Start again from the initial weights, with ``changes`` to the configuration.

        Only the fields in :data:`RESTARTABLE` may change (e.g. ``optimizer="adam"``,
        ``learning_rate=1e-4``). The descriptor cache and the compiled label and
        evaluation functions are kept, so a second run (another optimiser or
        learning rate on the same split, network and schedule) starts at once.

        Raises
        ------
        ValueError
            If ``changes`` names a field outside :data:`RESTARTABLE`.
        """
        fixed = sorted(set(changes) - set(RESTARTABLE))
        if fixed:
            raise ValueError(
                f"a restart cannot change {', '.join(fixed)}; it may change {', '.join(RESTARTABLE)}"
            )
        self.config = replace(self.config, **changes)
        self.model.set_weights(self.initial_weights)
        self._start_over()

    def _start_over(self) -> None:
        """A fresh optimiser for :attr:`config` and an empty run (no steps, history or snapshots)."""
        self.optimizer = self._make_optimizer()
        self.step = 0
        self.elapsed = 0.0  # wall time of the steps done so far, s
        self.rows: list[dict] = []
        self.snapshots: dict[float, tuple[int, np.ndarray]] = {}
        self.status = "not started"

    def _make_optimizer(self) -> AdamOptimizer | KalmanOptimizer:
        c = self.config
        if c.optimizer == "adam":
            return AdamOptimizer(c.learning_rate)
        blocks = None
        if c.ekf_blocks == "element":
            blocks = [self.model.element_slice(e) for e in self.model.elements]
        return KalmanOptimizer(
            c.learning_rate,
            self.model.n_weights,
            blocks=blocks,
            dtype=c.ekf_dtype,
            eta_schedule=c.eta_schedule,
            eta_tau=c.eta_tau,
            eta_max=c.eta_max,
        )

    # -- one step --------------------------------------------------------------------
    def batch_errors(self, step: int, prepared: Prepared = None) -> tuple[str, int, np.ndarray, np.ndarray]:
        """Kind, frame, scaled errors ξ (m,) and Jacobian ∂ξ/∂w (m, n) of step ``step``.

        ``prepared``: the step's :func:`~nnp_tutorial.training.labels.batch_inputs`, if already computed.
        """
        errors = batch_errors(self.labels, self.cache, self.schedule, step, prepared)
        return errors.batch.kind, errors.batch.frame, errors.xi, errors.jacobian()

    def batch_inputs(self, step: int) -> Prepared:
        """The weight-independent part of a step (∂G/∂x of a force batch's atoms; None for energy)."""
        return batch_inputs(self.labels, self.cache, self.schedule, step)

    def train_step(self, prepared: Prepared = None) -> dict:
        """Draw, predict, update; returns the history row of this step.

        ``prepared``: :meth:`batch_inputs` of this step if computed ahead (as :meth:`run` does).
        """
        errors: BatchErrors = batch_errors(self.labels, self.cache, self.schedule, self.step, prepared)
        self.optimizer.update(self.model.weights, errors)
        distance = float(np.linalg.norm(self.model.get_weights() - self.initial_weights))
        row = {
            "step": self.step,
            "kind": errors.batch.kind,
            "frame": errors.batch.frame,
            "l2": float(errors.xi @ errors.xi),
            "weight_distance": distance,
        }
        self.step += 1
        return row

    # -- validation ------------------------------------------------------------------
    def validation_errors(self, frames: np.ndarray | None = None) -> tuple[float, float]:
        """Energy RMSE (meV/atom) and force RMSE (meV/Å) on ``frames`` (default: the monitored subset)."""
        frames = self.monitor_frames if frames is None else frames
        energy_errors, force_errors = [], []
        for f in frames:
            atoms = self.structures[f]
            result = self.model.evaluate(atoms)
            energy_errors.append((result.energy - atoms.get_potential_energy()) / len(atoms))
            force_errors.append((result.forces - atoms.get_forces()).ravel())
        energy_rmse = EV_TO_MEV * float(np.sqrt(np.mean(np.square(energy_errors))))
        force_rmse = EV_TO_MEV * float(np.sqrt(np.mean(np.square(np.concatenate(force_errors)))))
        return energy_rmse, force_rmse

    # -- the loop --------------------------------------------------------------------
    def run(
        self,
        *,
        checkpoint: str | Path | None = None,
        time_limit: float | None = None,
        snapshot_times: tuple[float, ...] = (),
        callback: Callable[[Trainer, dict], None] | None = None,
        prefetch: bool = False,
    ) -> pd.DataFrame:
        """Train until ``config.steps`` (or ``time_limit`` seconds of wall time); returns the history.

        ``prefetch=True`` builds the index arrays of the next batches in a worker
        thread while TensorFlow and the optimiser work on the current one: about
        11 % more EKF updates per minute on two cores (58.1 → 51.5 ms), for about
        0.15 GB more memory (measured in notebook 05; cause not pinned down) — used
        by ``nnp-tutorial train``, off in the notebooks, which must fit in 2 GB.

        ``snapshot_times`` (s): the first weights at or after each wall time are
        kept in :attr:`snapshots` as ``{time: (step, weights)}`` (for
        time-to-accuracy curves evaluated after the run, outside the timing).

        Stops early, keeping the last good weights, if the Kalman filter
        diverges (``status == "diverged"``). Ctrl-C saves a checkpoint (when
        ``checkpoint`` is given) and re-raises. ``callback(trainer, row)`` is
        called after every validation (live plots, widgets).
        """
        bar = self._progress_bar()
        started = time.perf_counter() - self.elapsed
        self.status = "running"
        # One BLAS thread: OpenBLAS threads spin after each Kalman update and slow the
        # TensorFlow work of the next step more than the second thread speeds the update
        # (bench_training.py: EKF force step 73 -> 56 ms on 2 cores).
        blas = threadpool_limits(limits=1, user_api="blas")
        steps = count(self.step)
        prepared = prefetched(self.batch_inputs, steps) if prefetch else (self.batch_inputs(s) for s in steps)
        try:
            self._train_until_stop(
                prepared.__next__,
                bar,
                started,
                checkpoint=checkpoint,
                time_limit=time_limit,
                snapshot_times=snapshot_times,
                callback=callback,
            )
            self._validate(callback, bar)
        except KeyboardInterrupt:
            self._save_interrupted(checkpoint, bar)
            raise
        finally:
            prepared.close()
            blas.restore_original_limits()
            bar.close()
        if checkpoint:
            self.save_checkpoint(checkpoint)
        return self.history

    def _progress_bar(self) -> tqdm:
        """The tqdm bar of :meth:`run`: steps done of ``config.steps``, optimiser and learning rate."""
        c = self.config
        return tqdm(
            total=c.steps,
            initial=self.step,
            disable=not self.progress,
            desc=f"{c.optimizer} η={c.learning_rate:g}",
        )

    def _train_until_stop(
        self,
        next_batch: Callable[[], Prepared],
        bar: tqdm,
        started: float,
        *,
        checkpoint: str | Path | None,
        time_limit: float | None,
        snapshot_times: tuple[float, ...],
        callback: Callable[[Trainer, dict], None] | None,
    ) -> None:
        """Steps of :meth:`run` until ``config.steps``, divergence or ``time_limit``; sets :attr:`status`.

        ``next_batch()`` gives the prepared inputs of the next step; ``started`` is the
        :func:`time.perf_counter` reading at elapsed time 0 (s).
        """
        c = self.config
        while self.step < c.steps:
            if self.step % c.validate_every == 0:
                self._validate(callback, bar)
            try:
                row = self.train_step(next_batch())
            except TrainingDiverged as error:
                self.status = f"diverged: {error}"
                bar.write(f"training stopped, last good weights kept ({error})")
                return
            self._record_step(row, started, snapshot_times)
            bar.update()
            if checkpoint and c.checkpoint_every and self.step % c.checkpoint_every == 0:
                self.save_checkpoint(checkpoint)
            if time_limit is not None and self.elapsed >= time_limit:
                self.status = "time limit"
                return
        self.status = "completed"

    def _record_step(self, row: dict, started: float, snapshot_times: tuple[float, ...]) -> None:
        """Stamp ``row`` with the wall time (s), keep it, take the snapshots due (``snapshot_times``, s)."""
        self.elapsed = time.perf_counter() - started
        row["wall_time_s"] = self.elapsed
        self.rows.append(row)
        for t in snapshot_times:
            if t not in self.snapshots and self.elapsed >= t:
                self.snapshots[t] = (self.step, self.model.get_weights())

    def _save_interrupted(self, checkpoint: str | Path | None, bar: tqdm) -> None:
        """After Ctrl-C: status ``interrupted`` and, if ``checkpoint`` is given, the state saved there."""
        self.status = "interrupted"
        if checkpoint:
            self.save_checkpoint(checkpoint)
            bar.write(f"interrupted at step {self.step}; checkpoint saved to {checkpoint}")

    def _validate(self, callback, bar) -> None:
        energy_rmse, force_rmse = self.validation_errors()
        if self.rows and self.rows[-1]["step"] == self.step - 1:
            row = self.rows[-1]
        else:  # before the first step: a row for the initial weights
            row = {
                "step": self.step - 1,
                "kind": "initial",
                "wall_time_s": self.elapsed,
                "weight_distance": 0.0,
            }
            self.rows.append(row)
        row.update(energy_rmse=energy_rmse, force_rmse=force_rmse)
        bar.set_postfix_str(f"E {energy_rmse:.2f} meV/atom, F {force_rmse:.1f} meV/Å")
        if callback is not None:
            callback(self, row)

    @property
    def history(self) -> pd.DataFrame:
        """The tidy history table (see the module docstring)."""
        columns = [
            "step",
            "wall_time_s",
            "kind",
            "frame",
            "l2",
            "weight_distance",
            "energy_rmse",
            "force_rmse",
        ]
        return pd.DataFrame(self.rows, columns=columns)

    # -- checkpoints -----------------------------------------------------------------
    def save_checkpoint(self, path: str | Path) -> None:
        """Write weights, optimiser state, step, wall time and history atomically (``.npz``)."""
        state = self.optimizer.state_dict()
        arrays = {
            "weights": self.model.get_weights(),
            "initial_weights": self.initial_weights,
            "step": np.array(self.step),
            "elapsed": np.array(self.elapsed),
            "config": np.array(json.dumps(asdict(self.config))),
        }
        history = self.history
        arrays.update(
            {f"history.{c}": history[c].to_numpy(dtype=str if c == "kind" else float) for c in history}
        )
        if "P" in state:
            arrays.update({f"P{k}": P for k, P in enumerate(state["P"])}, filter_step=np.array(state["step"]))
        else:
            arrays.update({f"adam{k}": v for k, v in enumerate(state["variables"])})
        with atomic_write(path, "wb") as handle:
            np.savez(handle, **arrays)

    def load_checkpoint(self, path: str | Path) -> None:
        """Restore a checkpoint written by a run with the same configuration.

        Fields missing from the checkpoint's configuration (written before they
        existed) count as their defaults.
        """
        with np.load(path) as data:
            saved = {**asdict(TrainingConfig()), **json.loads(str(data["config"]))}
            mine = asdict(self.config)
            different = {k for k in mine if k not in ("steps",) and saved.get(k) != mine[k]}
            if different:
                raise ValueError(
                    f"checkpoint {path} was written with a different configuration "
                    f"({', '.join(sorted(different))})"
                )
            self.model.set_weights(data["weights"])
            self.initial_weights = data["initial_weights"].copy()
            self.step = int(data["step"])
            self.elapsed = float(data["elapsed"])
            history = pd.DataFrame(
                {k.split(".", 1)[1]: data[k] for k in data.files if k.startswith("history.")}
            )
            self.rows = [
                {k: (int(v) if k in ("step", "frame") and v == v else v) for k, v in row.items()}
                for row in history.to_dict("records")
            ]
            if self.config.optimizer == "ekf":
                n_blocks = sum(1 for k in data.files if k.startswith("P"))
                state = {"P": [data[f"P{k}"] for k in range(n_blocks)], "step": int(data["filter_step"])}
            else:
                n_vars = sum(1 for k in data.files if k.startswith("adam"))
                state = {"variables": [data[f"adam{k}"] for k in range(n_vars)]}
        self.optimizer.load_state_dict(state, self.model.weights)
