"""Redo the thermo analysis of the committed MD runs: drift tests, verdicts, density figures.

The runs under ``data/results/md/`` keep their thermo tables but not their trajectories, so
:func:`nnp_tutorial.md.reanalyse_thermo` recomputes what comes from the thermo rows (block
averages, drift tests, the density verdict) and redraws ``density.png``; the stored g(r) and
every other key of ``summary.json`` are kept. Prints one line per run: the verdict before
(the old ``status`` and mean ± error) and after.

Usage::

    python tools/reanalyse_md_results.py            # all of data/results/md
    python tools/reanalyse_md_results.py data/results/md/npt320_cheng
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nnp_tutorial.md import Verdict, reanalyse_thermo

ROOT = Path(__file__).resolve().parents[1] / "data" / "results" / "md"


def old_verdict(summary: dict) -> str:
    """What ``summary.json`` said before: the run's status and its density mean ± error."""
    density = summary.get("analysis", {}).get("density_g_per_ml", {})
    if summary["status"] == "unstable" or "mean" not in density:
        return summary["status"]
    return f"{summary['status']}, {density['mean']:.4f} ± {density['sem']:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="*", type=Path, help="run directories (default: all committed runs)")
    args = parser.parse_args()
    for run in args.runs or sorted(d for d in ROOT.iterdir() if (d / "summary.json").is_file()):
        before = old_verdict(json.loads((run / "summary.json").read_text()))
        verdict = Verdict(**reanalyse_thermo(run)["verdict"])
        print(f"{run.name}: {before}  ->  {verdict}")


if __name__ == "__main__":
    main()
