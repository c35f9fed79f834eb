"""``make-teacher-dataset``: label water and ice with a published potential (:mod:`nnp_tutorial.teacher`).

The recipe's defaults and valid values are those of
:class:`~nnp_tutorial.teacher.TeacherRecipe`, which checks them when it is made (before any
MD); an option left out keeps the recipe's default.
"""

from __future__ import annotations

import argparse
from dataclasses import fields

from .parser import add_common, add_no_progress, subcommand

TEACHER_FILES = [
    (
        "dataset.xyz",
        "always",
        "the labelled frames (extended XYZ: energy eV, forces eV/Å), state points in order",
    ),
    ("recipe.json", "always", "recipe, its hash, nnp_tutorial version, command, per-state report, sha256"),
    ("states/<label>/", "always", "each state point's MD (md files) and labelled.xyz"),
    ("energy_density_hist.png", "always", "energies and densities of the frames"),
    ("cache copy", "optional", "with --out, a copy in the user cache, so --dataset teacher-NAME finds it"),
]
TEACHER_NOTES = "Rerunning the same command resumes; a finished data set is reused."

#: recipe field -> option, type, nargs, help (the defaults are TeacherRecipe's)
RECIPE_OPTIONS = {
    "frames_per_state": ("--frames-per-state", int, None, "labelled frames per state point"),
    "stride_fs": ("--stride-fs", float, None, "time between kept frames, fs"),
    "equilibration_ps": ("--equilibration-ps", float, None, "MD before the first kept frame, ps"),
    "liquid_densities_g_per_ml": ("--densities", float, "+", "liquid densities, g/ml"),
    "liquid_temperatures_K": ("--temperatures", float, "+", "liquid temperatures, K"),
    "ice_polymorphs": ("--ice-polymorphs", str, "*", "GenIce2 lattices (1h 1c); none for no ice"),
    "ice_densities_g_per_ml": ("--ice-densities", float, "+", "ice densities, g/ml"),
    "ice_temperatures_K": ("--ice-temperatures", float, "+", "ice temperatures, K"),
}


def run_make_teacher_dataset(args: argparse.Namespace) -> int:
    """``nnp-tutorial make-teacher-dataset``: recipe, teacher MD and labels, histogram, cache copy."""
    from .. import datasets
    from ..teacher import TeacherRecipe, install, make_teacher_dataset, plot_energy_density, recipe_hash
    from .provenance import record

    options = {"seed": args.seed, **{field: getattr(args, field) for field in RECIPE_OPTIONS}}
    recipe = TeacherRecipe(teacher=args.teacher, **{k: v for k, v in options.items() if v is not None})
    print(
        f"teacher data set {recipe_hash(recipe)}: {len(recipe.state_points)} state points, "
        f"{recipe.n_frames} frames, {recipe.n_evaluations} teacher evaluations "
        f"(about {recipe.cpu_minutes:.0f} CPU-minutes)"
    )
    command = record(args.argv, [], data_dir=args.data_dir).command
    result = make_teacher_dataset(
        recipe, args.out, data_dir=args.data_dir, progress=not args.no_progress, command=command
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


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The ``make-teacher-dataset`` sub-command."""
    from ..teacher import TEACHERS, TeacherRecipe

    p = subcommand(
        sub,
        "make-teacher-dataset",
        help="label liquid water and ice with a published potential (teacher MD); resumable, cached",
        files=TEACHER_FILES,
        notes=TEACHER_NOTES,
    )
    default = {f.name: f.default for f in fields(TeacherRecipe)}["teacher"]
    p.add_argument("--teacher", choices=sorted(TEACHERS), default=default, help="teacher potential")
    add_common(p, "out", help="output directory (default: the user cache, by recipe hash)")
    add_common(
        p, "seed", help="seed of starting structures and velocities (default: the recipe's)", default=None
    )
    for field, (flag, kind, nargs, text) in RECIPE_OPTIONS.items():
        metavar = {int: "N", float: "X", str: "NAME"}[kind]
        p.add_argument(
            flag, dest=field, type=kind, nargs=nargs, metavar=metavar, help=text + " (default: the recipe's)"
        )
    add_no_progress(p)
    p.set_defaults(func=run_make_teacher_dataset)
