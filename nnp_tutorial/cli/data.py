"""``datasets``, ``predict`` and ``evaluate``: the registry, and a potential on structures."""

from __future__ import annotations

import argparse
import json
import sys

from . import inputs
from .parser import add_common, add_index, subcommand
from .provenance import record

EVALUATE_FILES = [
    ("OUT", "optional", "(--out) one row: model, data set, RMSE, MAE and offset of energies and forces"),
    ("OUT_per_structure.csv", "optional", "(--out) energy and force errors of each structure"),
]
EVALUATE_NOTES = (
    "OUT opens with the provenance as '# key: value' lines (command, nnp_tutorial, "
    "git_commit, date, inputs).\nEnergy errors per atom (meV/atom), force errors per component (meV/Å)."
)


def run_datasets(args: argparse.Namespace) -> int:
    """``nnp-tutorial datasets``: the registry with the cache status (and downloads)."""
    from .. import datasets

    if args.download:
        names = [e.name for e in datasets.list_entries()] if args.download == ["all"] else args.download
        datasets.download(names, data_dir=args.data_dir, progress=True)
    print(datasets.format_table(data_dir=args.data_dir))
    return 0


def run_predict(args: argparse.Namespace) -> int:
    """``nnp-tutorial predict``: energies (eV) and forces (eV/Å), as tables or JSON on stdout."""
    frames = [
        (str(filename), k, atoms)
        for filename in args.structures
        for k, atoms in enumerate(inputs.read_structures(filename, fmt=args.format, index=args.index))
    ]
    model = inputs.load_model(args.model, data_dir=args.data_dir)
    records = []
    for filename, k, atoms in frames:
        atoms.calc = None
        result = model.evaluate(atoms)
        records.append(
            {
                "file": filename,
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


def run_evaluate(args: argparse.Namespace) -> int:
    """``nnp-tutorial evaluate``: RMSEs of a potential against a data set's labels."""
    from .. import datasets
    from ..evaluation import evaluate_errors

    frames = inputs.dataset_frames(args.dataset, args.index, data_dir=args.data_dir)
    model = inputs.load_model(args.model, data_dir=args.data_dir)
    structures = datasets.iter_structures(args.dataset, data_dir=args.data_dir, index=frames)
    summary = evaluate_errors(model, structures, total=None if frames is None else len(frames))
    print(f"{args.model} on {args.dataset}: {summary}")
    if args.out:
        header = record(args.argv, [args.model, args.dataset], data_dir=args.data_dir).header()
        per_structure = summary.write(args.out, model=args.model, dataset=args.dataset, header=header)
        print(f"wrote {args.out} and {per_structure}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The sub-commands of this module."""
    p = subcommand(
        sub,
        "datasets",
        help="list (and download) the registered data sets and potentials",
        notes="Writes no files in the working directory; --download fills the data cache.",
    )
    p.add_argument("--download", nargs="+", metavar="NAME", help="entries to download, or 'all'")
    p.set_defaults(func=run_datasets, tensorflow=False)

    p = subcommand(
        sub,
        "predict",
        help="energies (eV) and forces (eV/Å) of structures with a potential",
        notes="Writes no files: tables (or --json) on stdout.",
    )
    add_common(p, "model", required=True)
    p.add_argument("structures", nargs="+", help="structure files (RuNNer input.data or any ASE format)")
    p.add_argument("--format", default=None, help="file format (ASE name, or 'runner' for input.data)")
    add_index(p, default=":", help="frames of each file, e.g. 0, -1, 10:20")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=run_predict)

    p = subcommand(
        sub,
        "evaluate",
        help="energy and force RMSE of a potential on a data set",
        files=EVALUATE_FILES,
        notes=EVALUATE_NOTES,
    )
    add_common(p, "model", required=True)
    add_common(p, "dataset", required=True)
    add_index(p, default=None, help="subset of frames, e.g. :100")
    add_common(p, "out", help="CSV file of the summary (and OUT_per_structure.csv)", metavar="FILE")
    p.set_defaults(func=run_evaluate)
