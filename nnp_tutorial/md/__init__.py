"""Molecular dynamics of water with the potentials of nnp_tutorial, and its analysis.

One concept per module:

==================  ==========================================================================
module              content
==================  ==========================================================================
``water``           :func:`water_box` (random water box at a density), :func:`density` (g/ml),
                    :func:`near_density` (structures in a density window)
``ensembles``       registry of NVE / NVT / NPT integrators (ASE; Berendsen coupling)
``thermo``          the thermo time series: columns, pressure with the kinetic term, CSV log
``stability``       :class:`StabilityMonitor`: when a run counts as unstable
``equilibration``   :func:`drift_test`, :class:`Verdict` (``stable``, ``drifting``,
                    ``unstable``), :func:`run_verdict`, :func:`run_until_converged`
``settings``        :class:`MDSettings`: ensemble, temperature, pressure, time step, coupling,
                    logging, each declared once (default, unit, range); :func:`size_warning`
``runs``            :func:`run_md`: run, record, resume
``analysis``        :func:`block_average`, :func:`mean_density`, :func:`radial_distribution`,
                    :func:`production_rdf`, :func:`coordination_number`, :func:`energy_drift`
``plots``           density, thermo and g(r) figures
``report``          :func:`analyse_run`: all of the above on a finished run directory;
                    :func:`reanalyse_thermo` from the thermo table alone; :func:`load_runs`:
                    every run recorded under a directory
==================  ==========================================================================

Example
-------
>>> from nnp_tutorial import datasets                                     # doctest: +SKIP
>>> from nnp_tutorial.calculator import NNPCalculator                     # doctest: +SKIP
>>> from nnp_tutorial.md import run_md, water_box, mean_density           # doctest: +SKIP
>>> model = datasets.load_potential("nnp-revpbe0-d3-cheng2019")           # doctest: +SKIP
>>> run = run_md(water_box(64, 1.0), NNPCalculator(model), ensemble="npt",
...              temperature_K=320, steps=2000, out_dir="npt320")         # doctest: +SKIP
>>> run.status, mean_density(run.thermo)                                  # doctest: +SKIP
"""

from .analysis import (
    BlockAverage,
    block_average,
    coordination_number,
    energy_drift,
    mean_density,
    production_rdf,
    radial_distribution,
)
from .ensembles import WATER_COMPRESSIBILITY_PER_BAR, ensemble_names, make_dynamics
from .equilibration import (
    DriftTest,
    Verdict,
    average_verdict,
    density_verdict,
    drift_test,
    run_until_converged,
    run_verdict,
)
from .report import analyse_run, load_runs, reanalyse_thermo
from .runs import MDRun, load_run, run_md
from .settings import MDSettings, size_warning
from .stability import Instability, StabilityCriteria, StabilityMonitor
from .thermo import THERMO_COLUMNS, pressure_bar, read_thermo, thermo_row
from .water import box_edge, density, near_density, water_box

__all__ = [
    "THERMO_COLUMNS",
    "WATER_COMPRESSIBILITY_PER_BAR",
    "BlockAverage",
    "DriftTest",
    "Instability",
    "MDRun",
    "MDSettings",
    "StabilityCriteria",
    "StabilityMonitor",
    "Verdict",
    "analyse_run",
    "average_verdict",
    "block_average",
    "box_edge",
    "coordination_number",
    "density",
    "density_verdict",
    "drift_test",
    "energy_drift",
    "ensemble_names",
    "load_run",
    "load_runs",
    "make_dynamics",
    "mean_density",
    "near_density",
    "pressure_bar",
    "production_rdf",
    "radial_distribution",
    "read_thermo",
    "reanalyse_thermo",
    "run_md",
    "run_until_converged",
    "run_verdict",
    "size_warning",
    "thermo_row",
    "water_box",
]
