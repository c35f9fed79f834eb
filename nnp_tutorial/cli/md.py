"""``md``: molecular dynamics of water with a potential (:func:`nnp_tutorial.md.run_md`), resumable.

The run's settings are the fields of :class:`~nnp_tutorial.md.settings.MDSettings` (one option
each); :class:`MDCommand` declares the options of the command itself (length, start
structure, precision, extension until the density converges).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, dataclass

from ..config import at_least, greater_than, setting, validate
from ..errors import InputError
from ..md.settings import MDSettings, size_warning
from . import inputs
from .parser import add_common, add_no_progress, add_settings, from_args, subcommand
from .provenance import KEYS, record

MD_FILES = [
    (
        "thermo.csv",
        "always",
        "one row every --log-every steps: time (ps), energies (eV), T (K), P (bar), ρ (g/ml)",
    ),
    ("md.traj", "always", "ASE trajectory, one frame per thermo row (positions, momenta, cell)"),
    ("summary.json", "always", f"provenance ({', '.join(KEYS)}), parameters, status, analysis"),
    ("density.png, thermo.png", "always", "time series of the density and of T, P, energies"),
    ("rdf_A_B.csv, rdf_A_B.png", "always", "g(r) of the --rdf-pair elements over the second half"),
]
MD_NOTES = "Rerunning the same command continues the run in --out (only --ps may change)."


@dataclass(frozen=True)
class MDCommand:
    """The options of ``nnp-tutorial md`` beyond the run's :class:`MDSettings`."""

    ps: float | None = setting(None, help="total simulated time from t = 0", unit="ps", valid=at_least(0))
    molecules: int | None = setting(
        None,
        help=f"random water box of this many molecules (default {inputs.DEFAULT_MOLECULES})",
        valid=at_least(1),
    )
    density: float | None = setting(
        None,
        help=f"density of the --molecules box (default {inputs.DEFAULT_DENSITY_G_PER_ML})",
        unit="g/ml",
        valid=greater_than(0),
    )
    dtype: str = setting(
        "float64",
        help="precision of symmetry functions and networks (float32: the TensorFlow graph, "
        "forces to ~1e-5, no faster than the float64 loops)",
        choices=("float64", "float32"),
    )
    until_converged: float | None = setting(
        None,
        help="npt: after --ps, extend by --extend-ps until the density of the second half stops "
        "drifting (nnp_tutorial.md.equilibration), at most to MAX_PS",
        unit="ps",
        valid=greater_than(0),
        metavar="MAX_PS",
    )
    extend_ps: float | None = setting(
        None,
        help="length of each extension of --until-converged (default --ps)",
        unit="ps",
        valid=greater_than(0),
    )

    def __post_init__(self) -> None:
        validate(self)
        if self.until_converged is not None and self.ps is not None and self.until_converged < self.ps:
            raise InputError(f"--until-converged {self.until_converged:g} is shorter than --ps {self.ps:g}")
        if self.extend_ps is not None and self.until_converged is None:
            raise InputError("--extend-ps needs --until-converged")


def run_command(args: argparse.Namespace) -> int:
    """``nnp-tutorial md``: checks everything, then runs, analyses and reports."""
    from ..calculator import NNPCalculator
    from ..md import analyse_run, run_md, run_until_converged

    settings = from_args(MDSettings, args)
    command = from_args(MDCommand, args)
    if command.until_converged is not None and settings.ensemble != "npt":
        raise InputError("--until-converged needs --ensemble npt (it waits for the density to stop drifting)")
    atoms = inputs.start_structure(
        args.start,
        molecules=command.molecules,
        density=command.density,
        seed=settings.seed,
        data_dir=args.data_dir,
    )
    steps = round(1000 * command.ps / settings.timestep_fs)
    warning = size_warning(len(atoms) // 3, steps)
    if warning:
        print(f"nnp-tutorial: warning: {warning}", file=sys.stderr)
    model = inputs.load_model(args.model, data_dir=args.data_dir)
    options = dict(out_dir=args.out, progress=not args.no_progress, **asdict(settings))
    calculator = NNPCalculator(model, dtype=command.dtype)
    if command.until_converged is None:
        run = run_md(atoms, calculator, steps=steps, **options)
    else:
        max_steps = round(1000 * command.until_converged / settings.timestep_fs)
        extend = round(1000 * (command.extend_ps or command.ps) / settings.timestep_fs)
        run, verdict = run_until_converged(
            atoms, calculator, steps=steps, max_steps=max_steps, extend_steps=extend, **options
        )
        print(f"  --until-converged: {verdict.status} after {run.thermo['time_ps'].iloc[-1]:g} ps")
    if run.thermo.empty:  # unstable before its first step (e.g. atoms on top of each other): a result
        print(
            f"{settings.ensemble} {atoms.get_chemical_formula()}: {run.status} at the start: "
            f"{run.instability.reason}"
        )
        return 0
    used = [args.model] + ([inputs.start_source(args.start)[0]] if args.start else [])
    provenance = record(args.argv, used, data_dir=args.data_dir).to_dict()
    analysis = analyse_run(args.out, pair=tuple(args.rdf_pair), provenance=provenance)
    report(run, analysis, settings.ensemble, atoms.get_chemical_formula(), args.out)
    return 0


def report(run, analysis: dict, ensemble: str, formula: str, out: str) -> None:
    """Print the outcome: status, averages or drifts, density verdict, energy drift, g(r) peak."""
    from ..md import Verdict

    last = run.thermo.iloc[-1]
    print(f"{ensemble} {formula}: {run.status} at {last.time_ps:g} ps")
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
    print(f"  density verdict: {Verdict(**analysis['verdict'])}")
    if "energy_drift_meV_per_atom_per_ps" in analysis:
        print(f"  energy drift: {analysis['energy_drift_meV_per_atom_per_ps']:.4f} meV/atom/ps")
    rdf = analysis["rdf"]
    pair = "".join(rdf["pair"])
    print(f"  g_{pair} first peak: {rdf['first_peak_g']:.2f} at {rdf['first_peak_r_A']:.2f} Å")
    print(f"  wrote {out}/: thermo.csv, md.traj, summary.json, figures")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The ``md`` sub-command."""
    p = subcommand(
        sub,
        "md",
        help="molecular dynamics of water: density, g(r), stability (resumable)",
        files=MD_FILES,
        notes=MD_NOTES,
    )
    add_common(p, "model", required=True)
    add_settings(p, MDSettings)
    add_settings(p, MDCommand, required=("ps",))
    add_common(p, "out", required=True, help="output directory; rerunning continues the run there")
    p.add_argument(
        "--start", help="dataset:NAME:INDEX (e.g. dataset:revpbe0-d3:0) or a structure file (its last frame)"
    )
    p.add_argument("--rdf-pair", nargs=2, default=["O", "O"], metavar=("A", "B"), help="elements of g(r)")
    add_no_progress(p)
    p.set_defaults(func=run_command)
