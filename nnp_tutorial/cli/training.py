"""``train`` and ``fisher``: training a potential, and the Fisher information of trained ones.

``train`` has one option per field of :class:`~nnp_tutorial.training.config.TrainingConfig`
(generated from its declarations); :class:`TrainCommand` and :class:`FisherCommand` declare
the options of the commands themselves.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from ..config import at_least, greater_than, setting, validate
from ..errors import InputError
from ..training.config import TrainingConfig
from . import inputs
from .parser import add_common, add_index, add_no_progress, add_settings, from_args, subcommand
from .provenance import KEYS, record

TRAIN_FILES = [
    ("model/", "always", "the potential as n2p2 files: input.nn, scaling.data, weights.*.data"),
    ("history.csv", "always", "one row per update: step, wall time (s), kind, frame, loss, RMSEs"),
    ("training_curves.png", "always", "validation RMSEs against updates and wall time"),
    ("summary.json", "always", f"provenance ({', '.join(KEYS)}), config, status, RMSEs, split"),
    (
        "checkpoint.npz",
        "always",
        "weights and optimiser state; every --checkpoint-every updates and at the end",
    ),
]
TRAIN_NOTES = (
    "Rerunning the same command resumes from OUT/checkpoint.npz (only --steps may change).\n"
    "Exit status 3: the Kalman filter diverged (the last good weights are written)."
)
FISHER_FILES = [
    ("fisher_eigenvalues.csv", "always", "model, rank, eigenvalue of each --model"),
    ("fisher_spectra.png", "always", "histograms of log10 of the eigenvalues"),
    ("weights_histogram.png", "always", "distributions of the weights of each --model"),
    ("summary.json", "always", f"provenance ({', '.join(KEYS)}), seconds per model"),
]


@dataclass(frozen=True)
class TrainCommand:
    """The options of ``nnp-tutorial train`` beyond :class:`TrainingConfig`."""

    minutes: float | None = setting(
        None, help="stop after this much wall time", unit="min", valid=greater_than(0)
    )
    snapshot_minutes: str | None = setting(
        None,
        help="e.g. 2,5,15: keep the weights at these wall times and report their full validation RMSEs",
        unit="min",
        metavar="M1,M2,...",
    )

    def __post_init__(self) -> None:
        validate(self)
        self.snapshot_seconds()  # refuses a bad list before the run

    def snapshot_seconds(self) -> tuple[float, ...]:
        """``--snapshot-minutes`` in seconds."""
        if not self.snapshot_minutes:
            return ()
        try:
            minutes = [float(m) for m in self.snapshot_minutes.split(",")]
        except ValueError:
            minutes = []
        if not minutes or not all(0 < m < float("inf") for m in minutes):
            raise InputError(
                f"--snapshot-minutes {self.snapshot_minutes!r}: expected numbers > 0 separated by commas"
            )
        return tuple(60.0 * m for m in minutes)


@dataclass(frozen=True)
class FisherCommand:
    """The options of ``nnp-tutorial fisher``."""

    batches: int | None = setting(
        None,
        help="schedule-drawn batches to average over (default nnp_tutorial.fisher.DEFAULT_BATCHES, "
        "10 000: full rank for up to 3 333 weights)",
        valid=at_least(1),
    )

    def __post_init__(self) -> None:
        validate(self)


def run_train(args: argparse.Namespace) -> int:
    """``nnp-tutorial train``: train, checkpoint, write the model and the summary."""
    from .. import datasets
    from ..training import Trainer, default_descriptor
    from ..training.outputs import write_training_outputs

    config = from_args(TrainingConfig, args)
    command = from_args(TrainCommand, args)
    structures = datasets.load_structures(args.dataset, data_dir=args.data_dir)
    trainer = Trainer(structures, config, default_descriptor(args.data_dir), progress=not args.no_progress)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / "checkpoint.npz"
    if checkpoint.exists():
        trainer.load_checkpoint(checkpoint)
        print(f"resuming from {checkpoint} at step {trainer.step}")
    time_limit = None if command.minutes is None else 60.0 * command.minutes
    trainer.run(
        checkpoint=checkpoint, time_limit=time_limit, snapshot_times=command.snapshot_seconds(), prefetch=True
    )
    provenance = record(args.argv, [args.dataset], data_dir=args.data_dir).to_dict()
    summary = write_training_outputs(trainer, out, provenance=provenance)
    v = summary["validation"]
    print(
        f"{config.optimizer} η={config.learning_rate:g}: {trainer.status} after {trainer.step} steps "
        f"({trainer.elapsed:.0f} s); validation ({v['n_structures']} structures): "
        f"energy RMSE {v['energy_rmse_meV_per_atom']:.3f} meV/atom, "
        f"force RMSE {v['force_rmse_meV_per_A']:.2f} meV/Å"
    )
    for row in summary["snapshots"]:
        print(
            f"  after {row['minutes']:g} min (step {row['step']}): {row['energy_rmse']:.3f} meV/atom, "
            f"{row['force_rmse']:.2f} meV/Å"
        )
    print(f"wrote {out}/: model/ (n2p2 files), history.csv, training_curves.png, summary.json")
    return 0 if not trainer.status.startswith("diverged") else 3


def run_fisher(args: argparse.Namespace) -> int:
    """``nnp-tutorial fisher``: the spectra of the Fisher information of each ``--model``."""
    from .. import datasets
    from ..fisher import DEFAULT_BATCHES, compare_models

    n_batches = from_args(FisherCommand, args).batches or DEFAULT_BATCHES
    frames = inputs.dataset_frames(args.dataset, args.index, data_dir=args.data_dir)
    structures = datasets.load_structures(args.dataset, data_dir=args.data_dir, index=frames)
    models = {
        inputs.model_label(spec): (spec, inputs.load_model(spec, data_dir=args.data_dir))
        for spec in args.model
    }
    comparison = compare_models(models, structures, n_batches=n_batches, seed=args.seed)
    for label, spectrum in comparison.spectra.items():
        n_weights, rank = len(spectrum.eigenvalues), len(spectrum.positive)
        note = (
            " (rank-deficient: more batches give full rank)"
            if n_batches < n_weights
            else " (one direction is flat for a fixed composition)"
            if rank == n_weights - 1
            else ""
        )
        print(
            f"{label} ({comparison.sources[label]}): {n_weights} weights, {n_batches} batches, "
            f"{comparison.seconds[label]:.1f} s; largest eigenvalue {spectrum.eigenvalues[-1]:.4g}, "
            f"rank {rank}{note}"
        )
    out = comparison.write(args.out)
    provenance = record(args.argv, [*args.model, args.dataset], data_dir=args.data_dir)
    seconds = {comparison.sources[label]: t for label, t in comparison.seconds.items()}
    provenance.write_summary(out / "summary.json", {"seconds": seconds})
    print(f"wrote {out}/: {', '.join(comparison.FILES)}, summary.json")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The ``train`` and ``fisher`` sub-commands."""
    p = subcommand(
        sub,
        "train",
        help="train a BPNN with the EKF or Adam (resumes from OUT/checkpoint.npz)",
        files=TRAIN_FILES,
        notes=TRAIN_NOTES,
    )
    add_common(p, "dataset", required=True)
    add_settings(p, TrainingConfig)
    add_settings(p, TrainCommand)
    add_common(p, "out", required=True)
    add_no_progress(p)
    p.set_defaults(func=run_train)

    p = subcommand(
        sub, "fisher", help="Fisher information spectra of one or more potentials", files=FISHER_FILES
    )
    p.add_argument(
        "--model", required=True, action="append", help="directory of n2p2 files or a registered potential "
        "(repeat to compare)"
    )  # fmt: skip
    add_common(p, "dataset", required=True)
    add_index(p, default=None, help="subset of frames, e.g. :100")
    add_settings(p, FisherCommand)
    add_common(p, "seed", help="seed of the batch schedule")
    add_common(p, "out", required=True)
    p.set_defaults(func=run_fisher)
