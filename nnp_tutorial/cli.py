"""The ``nnp-tutorial`` command line.

Each sub-command is a thin wrapper around library functions, so everything
the command line does can also be done (and is taught) in the notebooks.

Examples
--------
``nnp-tutorial datasets``
    List the registered data sets and potentials with their cache status.
``nnp-tutorial predict --model nnp-revpbe0-d3-cheng2019 water.xyz``
    Energies (eV) and forces (eV/Å) of the structures in a file.
``nnp-tutorial evaluate --model nnp-revpbe0-d3-cheng2019 --dataset revpbe0-d3``
    RMSEs of a potential against the labels of a data set.
``nnp-tutorial md --model nnp-revpbe0-d3-cheng2019 --ensemble npt --temperature 320 --ps 50 --out npt320``
    Molecular dynamics of 64 water molecules: thermo.csv, md.traj, summary.json
    (stability, density verdict: stable with mean ± error, drifting with its drift, or
    unstable; energy drift for NVE), figures; rerun to resume. ``--until-converged 100``
    extends an NPT run until its density stops drifting (at most 100 ps).
``nnp-tutorial make-teacher-dataset --teacher blyp``
    The BLYP teacher data set (``--dataset teacher-blyp``): liquid water and ice sampled by
    teacher MD and labelled by the published BLYP potential; rerun to resume.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import __version__, _tensorflow
from .errors import NNPTutorialError
from .teacher import TEACHERS


def load_model(spec: str | Path, *, data_dir: str | Path | None = None):
    """A potential from a directory of n2p2 files or a registered potential name."""
    from . import datasets
    from .model import BehlerParrinelloNetwork

    path = Path(spec)
    if path.is_dir():
        return BehlerParrinelloNetwork.from_n2p2(path)
    return datasets.load_potential(str(spec), data_dir=data_dir)


def model_label(spec: str | Path) -> str:
    """A name for plots: "EKF η=0.001 (seed 0)" for a model trained here, else the name given.

    A trained model is ``RUN/model/`` (or ``RUN`` itself) next to the run's ``summary.json``.
    """
    path = Path(spec)
    for summary in (path / "summary.json", path.parent / "summary.json"):
        if path.is_dir() and summary.is_file():
            config = json.loads(summary.read_text()).get("config", {})
            if "optimizer" in config and "learning_rate" in config:
                name = f"{config['optimizer'].upper()} η={config['learning_rate']:g}"
                return name + (f" (seed {config['seed']})" if "seed" in config else "")
    return str(spec)


def read_structures(path: str | Path, *, fmt: str | None = None, index: str = ":"):
    """Structures from a file: RuNNer ``input.data`` (Bohr/Hartree) or any ASE format (Å/eV)."""
    from .io import read_input_data
    from .io.ase_files import read_ase_structures

    path = Path(path)
    if fmt == "runner" or (fmt is None and path.name.startswith("input.data")):
        frames = list(read_input_data(path))
        return frames[_slice(index)] if ":" in index else [frames[int(index)]]
    return read_ase_structures(path, index=index, fmt=fmt)


def _slice(text: str) -> slice:
    parts = [int(p) if p else None for p in text.split(":")]
    return slice(*parts)


def _cmd_datasets(args: argparse.Namespace) -> int:
    from . import datasets

    if args.download:
        names = [e.name for e in datasets.list_entries()] if args.download == ["all"] else args.download
        datasets.download(names, data_dir=args.data_dir, progress=True)
    print(datasets.format_table(data_dir=args.data_dir))
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    model = load_model(args.model, data_dir=args.data_dir)
    records = []
    for filename in args.structures:
        for k, atoms in enumerate(read_structures(filename, fmt=args.format, index=args.index)):
            atoms.calc = None
            result = model.evaluate(atoms)
            records.append(
                {
                    "file": str(filename),
                    "index": k,
                    "symbols": atoms.get_chemical_formula(),
                    "n_atoms": len(atoms),
                    "energy_eV": result.energy,
                    "forces_eV_per_A": result.forces.tolist(),
                }
            )
    if args.json:
        json.dump(records, sys.stdout, indent=1)
        print()
        return 0
    for r in records:
        print(f"# {r['file']} [{r['index']}] {r['symbols']}  energy = {r['energy_eV']:.8f} eV")
        print("#   atom          Fx (eV/Å)          Fy (eV/Å)          Fz (eV/Å)")
        for i, f in enumerate(r["forces_eV_per_A"]):
            print(f"{i:8d} {f[0]:18.10f} {f[1]:18.10f} {f[2]:18.10f}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from . import datasets
    from .evaluation import evaluate_errors

    model = load_model(args.model, data_dir=args.data_dir)
    index = _slice(args.index) if args.index else None
    frames = datasets.iter_structures(args.dataset, data_dir=args.data_dir, index=index)
    total = len(range(*index.indices(10**9))) if index and index.stop else None
    summary = evaluate_errors(model, frames, total=total)
    print(f"{args.model} on {args.dataset}: {summary}")
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        command = "nnp-tutorial " + shlex.join(args.argv)
        header = [
            f"# produced by: {command}",
            f"# nnp_tutorial {__version__}, {datetime.date.today().isoformat()}",
            "# energy errors per atom (meV/atom), force errors per component (meV/Å)",
        ]
        row = (
            f"{args.model},{args.dataset},{summary.n_structures},{summary.energy_rmse:.4f},"
            f"{summary.force_rmse:.3f},{summary.energy_mae:.4f},{summary.force_mae:.3f},"
            f"{summary.energy_offset:.4f},{summary.aligned_energy_rmse:.4f}"
        )
        out.write_text(
            "\n".join(
                [
                    *header,
                    "model,dataset,n_structures,energy_rmse_meV_per_atom,force_rmse_meV_per_A,"
                    "energy_mae_meV_per_atom,force_mae_meV_per_A,"
                    "energy_offset_meV_per_atom,aligned_energy_rmse_meV_per_atom",
                    row,
                ]
            )
            + "\n"
        )
        per_frame = out.with_name(out.stem + "_per_structure.csv")
        summary.per_structure.to_csv(per_frame, index=False, float_format="%.12g")
        print(f"wrote {out} and {per_frame}")
    return 0


def _md_start(args: argparse.Namespace):
    """Starting structure of ``md``: ``--start dataset:NAME:INDEX`` or a file, else a water box."""
    from . import datasets
    from .errors import InputError
    from .md import water_box

    if args.start is None:
        density = 1.0 if args.density is None else args.density
        return water_box(args.molecules or 64, density, seed=args.seed)
    if args.density is not None:
        raise InputError("--density sets the density of a --molecules box, not of a --start structure")
    kind, _, rest = args.start.partition(":")
    if kind == "dataset":
        name, sep, index = rest.rpartition(":")
        if not sep or not index.isdigit():
            raise InputError(f"--start {args.start!r}: expected dataset:NAME:INDEX (dataset:revpbe0-d3:0)")
        atoms = next(datasets.iter_structures(name, data_dir=args.data_dir, index=[int(index)]))
    else:
        atoms = read_structures(args.start, index="-1")[0]
    atoms.calc = None
    return atoms


def _cmd_md(args: argparse.Namespace) -> int:
    from .calculator import NNPCalculator
    from .md import analyse_run, run_md

    atoms = _md_start(args)
    model = load_model(args.model, data_dir=args.data_dir)
    options = dict(
        out_dir=args.out,
        ensemble=args.ensemble,
        temperature_K=args.temperature,
        pressure_bar=args.pressure,
        timestep_fs=args.timestep,
        seed=args.seed,
        log_every=args.log_every,
        taut_fs=args.taut,
        taup_fs=args.taup,
        progress=not args.no_progress,
    )
    steps = round(1000 * args.ps / args.timestep)
    calculator = NNPCalculator(model, dtype=args.dtype)
    if args.until_converged is None:
        run = run_md(atoms, calculator, steps=steps, **options)
    else:
        run = _md_until_converged(args, atoms, calculator, steps, options)
    command = {"command": "nnp-tutorial " + shlex.join(args.argv)}
    analysis = analyse_run(args.out, pair=tuple(args.rdf_pair), provenance=command)
    last = run.thermo.iloc[-1]
    print(f"{args.ensemble} {atoms.get_chemical_formula()}: {run.status} at {last.time_ps:g} ps")
    if run.instability:
        print(f"  unstable: {run.instability.reason} (step {run.instability.step})")
    for key, unit in (("density_g_per_ml", "g/ml"), ("temperature_K", "K"), ("pressure_bar", "bar")):
        a = analysis.get(key)
        if a and "mean" in a:
            print(f"  {key} after {analysis['from_ps']:g} ps: {a['mean']:.4f} ± {a['sem']:.4f} {unit}")
        elif a:
            drift = a["drift"]
            print(f"  {key} after {analysis['from_ps']:g} ps: not converged, drift "
                  f"{drift['slope_per_ps']:+.4g} ± {drift['slope_error_per_ps']:.2g} {unit}/ps")  # fmt: skip
    print(f"  density verdict: {_verdict_line(analysis['verdict'])}")
    if "energy_drift_meV_per_atom_per_ps" in analysis:
        print(f"  energy drift: {analysis['energy_drift_meV_per_atom_per_ps']:.4f} meV/atom/ps")
    rdf = analysis["rdf"]
    pair = "".join(rdf["pair"])
    print(f"  g_{pair} first peak: {rdf['first_peak_g']:.2f} at {rdf['first_peak_r_A']:.2f} Å")
    print(f"  wrote {args.out}/: thermo.csv, md.traj, summary.json, figures")
    return 0


def _md_until_converged(args: argparse.Namespace, atoms, calculator, steps: int, options: dict):
    """``md --until-converged MAX_PS``: extend by ``--extend-ps`` until the density stops drifting."""
    from .errors import InputError
    from .md import run_until_converged

    if args.ensemble != "npt":
        raise InputError("--until-converged needs --ensemble npt (it waits for the density to stop drifting)")
    if args.until_converged < args.ps:
        raise InputError(f"--until-converged {args.until_converged:g} is shorter than --ps {args.ps:g}")
    max_steps = round(1000 * args.until_converged / args.timestep)
    extend = round(1000 * (args.extend_ps or args.ps) / args.timestep)
    run, verdict = run_until_converged(atoms, calculator, steps=steps, max_steps=max_steps,
                                       extend_steps=extend, **options)  # fmt: skip
    print(f"  --until-converged: {verdict.status} after {run.thermo['time_ps'].iloc[-1]:g} ps")
    return run


def _verdict_line(verdict: dict) -> str:
    """One line for a stored :class:`~nnp_tutorial.md.equilibration.Verdict`."""
    from .md import Verdict

    return str(Verdict(**verdict))


def _cmd_train(args: argparse.Namespace) -> int:
    from . import datasets
    from .training import Trainer, TrainingConfig, default_descriptor
    from .training.outputs import write_training_outputs

    config = TrainingConfig(
        optimizer=args.optimizer,
        learning_rate=args.lr,
        steps=args.steps,
        seed=args.seed,
        ekf_blocks=args.ekf_blocks,
        ekf_dtype=args.ekf_dtype,
        eta_schedule=args.eta_schedule,
        **{k: v for k, v in (("eta_tau", args.eta_tau), ("eta_max", args.eta_max)) if v is not None},
        energy_probability=args.energy_probability,
        energy_weight=args.energy_weight,
        force_weight=args.force_weight,
        validate_every=args.validate_every,
        validation_subset=args.validation_subset,
        checkpoint_every=args.checkpoint_every,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    structures = datasets.load_structures(args.dataset, data_dir=args.data_dir)
    trainer = Trainer(structures, config, default_descriptor(args.data_dir))
    checkpoint = out / "checkpoint.npz"
    if checkpoint.exists():
        trainer.load_checkpoint(checkpoint)
        print(f"resuming from {checkpoint} at step {trainer.step}")
    snapshots = (
        tuple(60.0 * float(m) for m in args.snapshot_minutes.split(",")) if args.snapshot_minutes else ()
    )
    time_limit = 60.0 * args.minutes if args.minutes else None
    trainer.run(checkpoint=checkpoint, time_limit=time_limit, snapshot_times=snapshots, prefetch=True)
    provenance = {
        "command": "nnp-tutorial " + shlex.join(args.argv),
        "version": __version__,
        "date": datetime.date.today().isoformat(),
        "dataset": args.dataset,
    }
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


def _cmd_fisher(args: argparse.Namespace) -> int:
    import time

    import pandas as pd

    from . import datasets
    from .fisher import (
        DEFAULT_BATCHES,
        fisher_spectrum,
        l1_gradients,
        plot_spectra,
        plot_weight_distributions,
    )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    index = _slice(args.index) if args.index else None
    structures = datasets.load_structures(args.dataset, data_dir=args.data_dir, index=index)
    spectra, weights, rows, timing = {}, {}, [], {}
    args.batches = args.batches or DEFAULT_BATCHES
    for spec in args.model:
        model = load_model(spec, data_dir=args.data_dir)
        start = time.perf_counter()
        gradients = l1_gradients(model, structures, n_batches=args.batches, seed=args.seed)
        spectrum = fisher_spectrum(gradients)
        timing[spec] = time.perf_counter() - start
        label = model_label(spec)
        spectra[label], weights[label] = spectrum, model.get_weights()
        rows += [
            {"model": spec, "rank": k, "eigenvalue": v} for k, v in enumerate(spectrum.eigenvalues[::-1])
        ]
        top = spectrum.eigenvalues[-1]
        print(
            f"{label} ({spec}): {model.n_weights} weights, {args.batches} batches, {timing[spec]:.1f} s; "
            f"largest eigenvalue {top:.4g}, rank {len(spectrum.positive)}"
            + (
                " (rank-deficient: more batches give full rank)"
                if args.batches < model.n_weights
                else " (one direction is flat for a fixed composition)"
                if len(spectrum.positive) == model.n_weights - 1
                else ""
            )
        )
    pd.DataFrame(rows).to_csv(out / "fisher_eigenvalues.csv", index=False, float_format="%.10g")
    plot_spectra(spectra).savefig(out / "fisher_spectra.png", dpi=120)
    plot_weight_distributions(weights).savefig(out / "weights_histogram.png", dpi=120)
    summary = {
        "command": "nnp-tutorial " + shlex.join(args.argv),
        "version": __version__,
        "date": datetime.date.today().isoformat(),
        "seconds": timing,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"wrote {out}/: fisher_eigenvalues.csv, fisher_spectra.png, weights_histogram.png, summary.json")
    return 0


def _cmd_make_teacher_dataset(args: argparse.Namespace) -> int:
    from . import datasets
    from .teacher import TeacherRecipe, install, make_teacher_dataset, plot_energy_density, recipe_hash

    options = {
        "seed": args.seed,
        "frames_per_state": args.frames_per_state,
        "stride_fs": args.stride_fs,
        "equilibration_ps": args.equilibration_ps,
        "liquid_densities_g_per_ml": args.densities,
        "liquid_temperatures_K": args.temperatures,
        "ice_polymorphs": args.ice_polymorphs,
        "ice_densities_g_per_ml": args.ice_densities,
        "ice_temperatures_K": args.ice_temperatures,
    }
    recipe = TeacherRecipe(teacher=args.teacher, **{k: v for k, v in options.items() if v is not None})
    print(
        f"teacher data set {recipe_hash(recipe)}: {len(recipe.state_points)} state points, "
        f"{recipe.n_frames} frames, {recipe.n_evaluations} teacher evaluations "
        f"(about {recipe.cpu_minutes:.0f} CPU-minutes)"
    )
    result = make_teacher_dataset(
        recipe,
        args.out,
        data_dir=args.data_dir,
        progress=not args.no_progress,
        command="nnp-tutorial " + shlex.join(args.argv),
    )
    frames = datasets.load_structures(str(result.directory))
    plot_energy_density(frames).savefig(result.directory / "energy_density_hist.png", dpi=120)
    for state in result.states:
        if state["status"] != "completed":
            print(f"  {state['label']}: {state['status']} ({state.get('reason', '')}), no frames")
    cached = install(result.directory)
    print(f"{result.n_frames} frames in {result.path}; energy_density_hist.png, recipe.json")
    if cached != result.directory:
        print(f"copied to the cache: {cached}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``nnp-tutorial``."""
    parser = argparse.ArgumentParser(
        prog="nnp-tutorial",
        description="Adam vs extended Kalman filter training of neural network potentials for water.",
    )
    parser.add_argument("--version", action="version", version=f"nnp_tutorial {__version__}")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="local directory with the published data (layout of shared/data); "
        "default: $NNP_TUTORIAL_DATA, else download into the user cache",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("datasets", help="list (and download) registered data sets and potentials")
    p.add_argument("--download", nargs="+", metavar="NAME", help="entries to download, or 'all'")
    p.set_defaults(func=_cmd_datasets, tensorflow=False)

    p = sub.add_parser("predict", help="energies and forces of structures with a potential")
    p.add_argument("--model", required=True, help="directory of n2p2 files or a registered potential")
    p.add_argument("structures", nargs="+", help="structure files (RuNNer input.data or any ASE format)")
    p.add_argument("--format", default=None, help="file format (ASE name, or 'runner' for input.data)")
    p.add_argument("--index", default=":", help="frames to read, e.g. ':' (all), '0', '10:20'")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("evaluate", help="energy and force RMSE of a potential on a data set")
    p.add_argument("--model", required=True, help="directory of n2p2 files or a registered potential")
    p.add_argument("--dataset", required=True, help="registered data set, e.g. revpbe0-d3")
    p.add_argument("--index", default=None, help="subset of frames, e.g. ':100'")
    p.add_argument("--out", default=None, help="CSV file for the summary (and *_per_structure.csv)")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("md", help="molecular dynamics of water: density, g(r), stability (resumable)")
    p.add_argument("--model", required=True, help="directory of n2p2 files or a registered potential")
    p.add_argument("--ensemble", choices=["nvt", "npt", "nve"], default="nvt")
    p.add_argument("--temperature", type=float, default=300.0, help="K (NVE: initial velocities)")
    p.add_argument("--pressure", type=float, default=1.0, help="bar (NPT)")
    p.add_argument("--ps", type=float, required=True, help="total simulated time from t=0, ps")
    p.add_argument("--timestep", type=float, default=0.5, help="fs")
    p.add_argument("--seed", type=int, default=0, help="seed of the velocities (and of --molecules boxes)")
    p.add_argument("--out", required=True, help="output directory; rerunning continues the run there")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--start", help="dataset:NAME:INDEX (e.g. dataset:revpbe0-d3:0) or a structure file")
    start.add_argument("--molecules", type=int, help="random water box of this many molecules (default 64)")
    p.add_argument("--density", type=float, help="g/ml of the --molecules box (default 1.0)")
    p.add_argument("--log-every", type=int, default=20, help="steps between thermo rows and frames")
    p.add_argument("--taut", type=float, default=100.0, help="thermostat coupling time, fs")
    p.add_argument("--taup", type=float, default=1000.0, help="barostat coupling time, fs")
    p.add_argument("--rdf-pair", nargs=2, default=["O", "O"], metavar=("A", "B"), help="elements of g(r)")
    p.add_argument(
        "--dtype",
        choices=["float64", "float32"],
        default="float64",
        help="precision of symmetry functions and networks (float32: the TensorFlow graph, forces to ~1e-5, "
        "no faster than the default float64 loops)",
    )
    p.add_argument(
        "--until-converged",
        type=float,
        metavar="MAX_PS",
        help="NPT: after --ps, extend the run by --extend-ps at a time until the density of its second "
        "half stops drifting (nnp_tutorial.md.equilibration), at most to MAX_PS ps",
    )
    p.add_argument("--extend-ps", type=float, help="ps per extension of --until-converged (default --ps)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_md)

    p = sub.add_parser("train", help="train a BPNN with the EKF or Adam (resumes from OUT/checkpoint.npz)")
    p.add_argument("--dataset", required=True, help="registered data set, e.g. revpbe0-d3")
    p.add_argument("--optimizer", choices=["ekf", "adam"], required=True)
    p.add_argument("--ekf-blocks", choices=["full", "element"], default="full", help="EKF covariance blocks")
    p.add_argument("--ekf-dtype", choices=["float64", "float32"], default="float64", help="EKF covariance")
    p.add_argument(
        "--eta-schedule",
        choices=["constant", "runner"],
        default="constant",
        help="EKF η(t): constant, or growing as min(LR·exp(t/τ), η_max) (RuNNer/n2p2)",
    )
    p.add_argument("--eta-tau", type=float, help="τ of the runner schedule, updates (default 1e5)")
    p.add_argument("--eta-max", type=float, help="η_max of the runner schedule (default 1)")
    p.add_argument("--lr", type=float, required=True, help="learning rate η (study: EKF 1e-3, Adam 1e-4)")
    p.add_argument("--steps", type=int, required=True, help="number of weight updates")
    p.add_argument("--seed", type=int, default=0, help="seed of split, initial weights and batches")
    p.add_argument("--minutes", type=float, help="stop after this much wall time")
    p.add_argument(
        "--snapshot-minutes",
        help="e.g. 2,5,15: keep the weights at these wall times and report their full validation RMSEs",
    )
    p.add_argument("--energy-probability", type=float, default=0.1, help="share of energy steps")
    p.add_argument("--energy-weight", type=float, default=50.0, help="c of energy labels (per atom)")
    p.add_argument("--force-weight", type=float, default=1.0, help="c of force labels")
    p.add_argument("--validate-every", type=int, default=500, help="steps between validations")
    p.add_argument("--validation-subset", type=int, default=32, help="validation structures monitored")
    p.add_argument("--checkpoint-every", type=int, default=5000, help="steps between checkpoints")
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("fisher", help="Fisher information spectra of one or more potentials")
    p.add_argument("--model", required=True, action="append", help="potential (repeat to compare)")
    p.add_argument("--dataset", required=True, help="registered data set, e.g. revpbe0-d3")
    p.add_argument("--index", default=None, help="subset of frames, e.g. ':100'")
    p.add_argument(
        "--batches",
        type=int,
        default=None,
        help="schedule-drawn batches to average over (default: nnp_tutorial.fisher.DEFAULT_BATCHES, 10 000, "
        "full rank for up to 3 333 weights)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the batch schedule")
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=_cmd_fisher)

    p = sub.add_parser(
        "make-teacher-dataset",
        help="label liquid water and ice with a published potential (teacher MD); resumable, cached",
    )
    p.add_argument("--teacher", choices=sorted(TEACHERS), default="blyp", help="teacher potential")
    p.add_argument("--out", default=None, help="output directory (default: the user cache, by recipe hash)")
    p.add_argument("--seed", type=int, help="seed of starting structures and velocities (default 0)")
    p.add_argument("--frames-per-state", type=int, help="labelled frames per state point (default 70)")
    p.add_argument("--stride-fs", type=float, help="fs between kept frames (default 4)")
    p.add_argument("--equilibration-ps", type=float, help="MD before the first kept frame (default 0.1)")
    p.add_argument("--densities", type=float, nargs="+", help="liquid densities, g/ml")
    p.add_argument("--temperatures", type=float, nargs="+", help="liquid temperatures, K")
    p.add_argument("--ice-polymorphs", nargs="*", help="GenIce2 lattices (1h 1c); none for no ice")
    p.add_argument("--ice-densities", type=float, nargs="+", help="ice densities, g/ml")
    p.add_argument("--ice-temperatures", type=float, nargs="+", help="ice temperatures, K")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_make_teacher_dataset)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``nnp-tutorial``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # recorded in result files
    np.set_printoptions(precision=6, suppress=True)
    if getattr(args, "tensorflow", True):  # sub-commands that need TensorFlow, without its start-up notes
        _tensorflow.import_quietly()
    try:
        return args.func(args)
    except NNPTutorialError as exc:
        print(f"nnp-tutorial: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nnp-tutorial: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
