"""Analyse a recorded run: numbers into ``summary.json``, g(r) into CSV, figures into PNG.

:func:`analyse_run` is what ``nnp-tutorial md`` does after :func:`~nnp_tutorial.md.runs.run_md`;
notebooks can call it on a directory the command line produced. :func:`load_runs` reads back every
run recorded under a directory (the committed ``data/results/md``). Averages use the rows and
frames after ``discard_fraction`` of the simulated time (equilibration dropped), and each
average is tested for drift first (:mod:`nnp_tutorial.md.equilibration`): a drifting one is
reported by its drift, never as mean ± error. :func:`reanalyse_thermo` redoes the numbers and
the density figure of a run from its thermo table alone (committed results keep no trajectory).

Outputs added to ``out_dir``
----------------------------
=====================  ==================================================================
``summary.json``       key ``analysis``: per averaged column (density g/ml, temperature K,
                       pressure bar, potential energy eV) its ``drift`` test and
                       ``converged``; block averages (mean, sem, n_blocks, block_length)
                       only for a converged column; ``verdict`` on the density
                       (:class:`~nnp_tutorial.md.equilibration.Verdict`: ``stable``,
                       ``drifting`` or ``unstable``); energy drift (meV/atom/ps, NVE
                       only); first g(r) peak (Å, height); ``from_ps``
``rdf_<A>_<B>.csv``    columns ``r_A``, ``g``
``density.png``        density trace with the block average (stable), or labelled drifting
``thermo.png``         temperature, pressure and energy traces
``rdf_<A>_<B>.png``    g_AB(r)
=====================  ==================================================================
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
from ase.io.trajectory import Trajectory

from .analysis import block_average, cell_widths, energy_drift, radial_distribution
from .equilibration import (
    AVERAGED_COLUMNS,
    DRIFT_BLOCKS,
    ERROR_BLOCKS,
    Verdict,
    drift_test,
    run_verdict,
    window,
)
from .plots import plot_density, plot_rdf, plot_thermo, save_figure
from .runs import SUMMARY_FILE, TRAJECTORY_FILE, MDRun, load_run


def analyse_run(
    out_dir: str | Path,
    *,
    pair: tuple[str, str] = ("O", "O"),
    r_max: float = 6.0,
    n_bins: int = 120,
    discard_fraction: float = 0.5,
    n_blocks: int = ERROR_BLOCKS,
    figures: bool = True,
    provenance: dict | None = None,
) -> dict:
    """Analyse the run in ``out_dir``; returns (and stores in ``summary.json``) the ``analysis`` dict.

    ``provenance`` (e.g. ``{"command": "nnp-tutorial md ..."}``) is stored in ``summary.json`` too.

    ``r_max`` (Å) is lowered to half the narrowest cell width met in the analysed frames.
    """
    out = Path(out_dir)
    run = load_run(out)
    analysis, verdict = thermo_analysis(run, discard_fraction=discard_fraction, n_blocks=n_blocks)
    production = window(run.thermo, discard_fraction)
    r, g = _rdf(out, production, pair, r_max, n_bins)
    name = f"rdf_{pair[0]}_{pair[1]}"
    pd.DataFrame({"r_A": r, "g": g}).to_csv(out / f"{name}.csv", index=False, float_format="%.8g")
    peak = int(np.argmax(g))
    analysis["rdf"] = {"pair": list(pair), "first_peak_r_A": float(r[peak]), "first_peak_g": float(g[peak])}
    if figures:
        save_figure(plot_density(run.thermo, verdict=verdict), out / "density.png")
        save_figure(plot_thermo(run.thermo), out / "thermo.png")
        save_figure(plot_rdf(r, g, pair=pair), out / f"{name}.png")
    summary = run.summary | (provenance or {}) | {"analysis": analysis}
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=1) + "\n")
    return analysis


def load_runs(directory: str | Path) -> dict[str, MDRun]:
    """Every run recorded under ``directory``: subdirectory name → :class:`~nnp_tutorial.md.runs.MDRun`.

    A subdirectory counts as a run when it holds a ``summary.json`` (:func:`~nnp_tutorial.md.runs.load_run`
    reads it and its thermo table); runs come in order of their names. An empty dict when
    ``directory`` does not exist, e.g. ``results_path("md", must_exist=False)`` outside a clone.
    """
    root = Path(directory)
    if not root.is_dir():
        return {}
    return {d.name: load_run(d) for d in sorted(root.iterdir()) if (d / SUMMARY_FILE).is_file()}


def thermo_analysis(
    run: MDRun, *, discard_fraction: float = 0.5, n_blocks: int = ERROR_BLOCKS
) -> tuple[dict, Verdict]:
    """The numbers of ``analysis`` that come from the thermo rows alone, and the density verdict.

    Each of :data:`~nnp_tutorial.md.equilibration.AVERAGED_COLUMNS` with enough rows in the
    window gets ``drift`` (:class:`~nnp_tutorial.md.equilibration.DriftTest` as a dict) and
    ``converged``, and its block average only when converged. An unstable run's window ends
    at the failure: it gets the verdict only.
    """
    thermo = run.thermo
    from_ps = discard_fraction * float(thermo["time_ps"].iloc[-1])
    production = window(thermo, discard_fraction)
    analysis: dict = {"from_ps": from_ps, "n_rows": len(production)}
    if run.status != "unstable" and len(production) >= max(n_blocks, DRIFT_BLOCKS):
        for column in AVERAGED_COLUMNS:
            analysis[column] = _column_analysis(production, column, n_blocks)
    parameters = run.summary["parameters"]
    if parameters["ensemble"] == "nve" and len(thermo) >= 2:
        analysis["energy_drift_meV_per_atom_per_ps"] = energy_drift(thermo, parameters["n_atoms"])
    verdict = run_verdict(run, discard_fraction=discard_fraction)
    if verdict.status == "stable" and "density_g_per_ml" not in analysis:  # constant density, few rows
        analysis["density_g_per_ml"] = asdict(block_average(production["density_g_per_ml"], n_blocks))
    analysis["verdict"] = verdict.to_dict()
    return analysis, verdict


def _column_analysis(production: pd.DataFrame, column: str, n_blocks: int) -> dict:
    """``drift`` and ``converged`` of one column, plus its block average when converged."""
    average = block_average(production[column], n_blocks)
    drift = drift_test(production["time_ps"], production[column], tolerance=average.sem)
    result: dict = {"converged": not drift.drifting, "drift": asdict(drift)}
    return result | asdict(average) if not drift.drifting else result


def reanalyse_thermo(out_dir: str | Path, *, discard_fraction: float = 0.5, figures: bool = True) -> dict:
    """Redo the thermo numbers of ``summary.json`` (and ``density.png``) from the thermo table.

    For runs whose trajectory is not kept (the committed ``data/results/md/*``): the stored
    g(r) (``analysis["rdf"]``), its CSV and figures, and every other key are left as they are.
    """
    out = Path(out_dir)
    run = load_run(out)
    analysis, verdict = thermo_analysis(run, discard_fraction=discard_fraction)
    old = run.summary.get("analysis", {})
    if "rdf" in old:
        analysis["rdf"] = old["rdf"]
    if figures:
        save_figure(plot_density(run.thermo, verdict=verdict), out / "density.png")
    (out / SUMMARY_FILE).write_text(json.dumps(run.summary | {"analysis": analysis}, indent=1) + "\n")
    return analysis


def _rdf(out: Path, production: pd.DataFrame, pair, r_max: float, n_bins: int):
    """g(r) over the trajectory frames whose step is in ``production``."""
    steps = set(production["step"].astype(int))
    with Trajectory(out / TRAJECTORY_FILE) as traj:
        first = traj[0]
        width = cell_widths(first.cell.array[None]).min()
        scale = (production["volume_A3"].min() / first.cell.volume) ** (1 / 3)  # isotropic NPT scaling
        r_max = min(r_max, np.floor(0.5 * width * scale * 0.999 * 20) / 20)  # multiple of 0.05 Å
        frames = (f for f in traj if f.info.get("step") in steps)
        return radial_distribution(frames, pair, r_max=r_max, n_bins=n_bins)
