"""Analyse a recorded run: numbers into ``summary.json``, g(r) into CSV, figures into PNG.

:func:`analyse_run` is what ``nnp-tutorial md`` does after :func:`~nnp_tutorial.md.runs.run_md`;
notebooks can call it on a directory the command line produced. Averages use the rows and
frames after ``discard_fraction`` of the simulated time (equilibration dropped).

Outputs added to ``out_dir``
----------------------------
=====================  ==================================================================
``summary.json``       key ``analysis``: block averages (mean, sem, n_blocks, block_length)
                       of density (g/ml), temperature (K) and pressure (bar); energy drift
                       (meV/atom/ps, NVE only); first g(r) peak (Å, height); ``from_ps``
``rdf_<A>_<B>.csv``    columns ``r_A``, ``g``
``density.png``        density trace with the block average
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
from .plots import plot_density, plot_rdf, plot_thermo, save_figure
from .runs import SUMMARY_FILE, TRAJECTORY_FILE, load_run


def analyse_run(
    out_dir: str | Path,
    *,
    pair: tuple[str, str] = ("O", "O"),
    r_max: float = 6.0,
    n_bins: int = 120,
    discard_fraction: float = 0.5,
    n_blocks: int = 5,
    figures: bool = True,
    provenance: dict | None = None,
) -> dict:
    """Analyse the run in ``out_dir``; returns (and stores in ``summary.json``) the ``analysis`` dict.

    ``provenance`` (e.g. ``{"command": "nnp-tutorial md ..."}``) is stored in ``summary.json`` too.

    ``r_max`` (Å) is lowered to half the narrowest cell width met in the analysed frames.
    """
    out = Path(out_dir)
    run = load_run(out)
    thermo = run.thermo
    from_ps = discard_fraction * float(thermo["time_ps"].iloc[-1])
    production = thermo[thermo["time_ps"] >= from_ps]
    analysis: dict = {"from_ps": from_ps, "n_rows": len(production)}
    averages = {}
    if len(production) >= n_blocks:
        columns = ("density_g_per_ml", "temperature_K", "pressure_bar")
        averages = {c: block_average(production[c], n_blocks) for c in columns}
        analysis |= {c: asdict(a) for c, a in averages.items()}
    parameters = run.summary["parameters"]
    if parameters["ensemble"] == "nve" and len(thermo) >= 2:
        analysis["energy_drift_meV_per_atom_per_ps"] = energy_drift(thermo, parameters["n_atoms"])
    r, g = _rdf(out, production, pair, r_max, n_bins)
    name = f"rdf_{pair[0]}_{pair[1]}"
    pd.DataFrame({"r_A": r, "g": g}).to_csv(out / f"{name}.csv", index=False, float_format="%.8g")
    peak = int(np.argmax(g))
    analysis["rdf"] = {"pair": list(pair), "first_peak_r_A": float(r[peak]), "first_peak_g": float(g[peak])}
    if figures:
        save_figure(plot_density(thermo, average=averages.get("density_g_per_ml")), out / "density.png")
        save_figure(plot_thermo(thermo), out / "thermo.png")
        save_figure(plot_rdf(r, g, pair=pair), out / f"{name}.png")
    summary = run.summary | (provenance or {}) | {"analysis": analysis}
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=1) + "\n")
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
