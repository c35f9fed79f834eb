"""What a training run leaves on disk: model files, history, curves, summary."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from ..io.atomic import atomic_write
from ..results import results_path, table_file
from .plots import plot_training_curves
from .trainer import Trainer


def snapshot_errors(trainer: Trainer) -> list[dict]:
    """Full-validation-set RMSEs of the weights kept at each snapshot time (restores the final weights)."""
    final = trainer.model.get_weights()
    rows = []
    try:
        for seconds, (step, weights) in sorted(trainer.snapshots.items()):
            trainer.model.set_weights(weights)
            energy, force = trainer.validation_errors(trainer.validation_frames)
            rows.append({"minutes": seconds / 60, "step": step, "energy_rmse": energy, "force_rmse": force})
    finally:
        trainer.model.set_weights(final)
    return rows


def write_training_outputs(trainer: Trainer, out_dir: str | Path, *, provenance: dict) -> dict:
    """Write ``model/`` (n2p2 files), ``history.csv``, ``training_curves.png`` and ``summary.json``.

    The summary holds the configuration, the status, the steps and wall time,
    the final RMSEs on the whole validation set (meV/atom, meV/Å), the RMSEs of
    the time snapshots, the split, and ``provenance`` (command, version, date).
    """
    out = Path(out_dir)
    trainer.model.write_n2p2(out / "model")
    history = trainer.history
    with atomic_write(out / "history.csv") as handle:
        history.to_csv(handle, index=False, float_format="%.8g")
    label = f"{trainer.config.optimizer} η={trainer.config.learning_rate:g}"
    figure = plot_training_curves({label: history})
    figure.savefig(out / "training_curves.png", dpi=120)
    energy, force = trainer.validation_errors(trainer.validation_frames)
    summary = {
        **provenance,
        "config": asdict(trainer.config),
        "status": trainer.status,
        "steps_done": trainer.step,
        "wall_time_s": trainer.elapsed,
        "n_weights": trainer.model.n_weights,
        "validation": {
            "n_structures": len(trainer.validation_frames),
            "energy_rmse_meV_per_atom": energy,
            "force_rmse_meV_per_A": force,
        },
        "snapshots": snapshot_errors(trainer),
        "train_frames": trainer.train_frames.tolist(),
        "validation_frames": trainer.validation_frames.tolist(),
    }
    with atomic_write(out / "summary.json") as handle:
        json.dump(summary, handle, indent=1)
    return summary


def read_training_run(out_dir: str | Path) -> tuple[pd.DataFrame, dict]:
    """History table and summary of a run written by :func:`write_training_outputs`.

    Reads ``history.csv`` or its compressed copy ``history.csv.gz`` (as kept
    under ``data/results/training``) and ``summary.json``.

    Raises
    ------
    FileNotFoundError
        If the directory holds no history or no summary.
    """
    out = Path(out_dir)
    history = table_file(out, "history.csv")
    with open(out / "summary.json") as handle:
        summary = json.load(handle)
    return pd.read_csv(history), summary


def read_ensemble(optimizer: str, directory: str | Path | None = None) -> list[pd.DataFrame]:
    """Histories of the runs ``<optimizer>_seed*`` under ``directory``, in order of their names.

    ``directory`` defaults to the committed ensemble, ``data/results/training/ensemble``
    (10-minute runs of ``nnp-tutorial train``, one per seed). Each history is that of
    :func:`read_training_run`: ``step``, ``wall_time_s`` (s), ``energy_rmse`` (meV/atom),
    ``force_rmse`` (meV/Å), ... An empty list when the directory or the runs are missing.
    """
    root = (
        Path(directory) if directory is not None else results_path("training", "ensemble", must_exist=False)
    )
    runs = sorted(root.glob(f"{optimizer}_seed*")) if root.is_dir() else []
    return [read_training_run(path)[0] for path in runs]
