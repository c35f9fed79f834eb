r"""Thermodynamic time series of an MD run: one tidy row per recorded step.

Columns (:data:`THERMO_COLUMNS`)
--------------------------------
==========================  ===================================================================
column                      definition
==========================  ===================================================================
``step``                    MD step (0 = start)
``time_ps``                 ``step × timestep``, ps
``temperature_K``           :math:`T = 2K / (3N k_B)` (ASE's ``get_temperature``, 3N degrees
                            of freedom; the removed centre-of-mass motion is not subtracted)
``pressure_bar``            :math:`P = -\tfrac13\operatorname{tr}\sigma`, with
                            :math:`\sigma` = ``atoms.get_stress(include_ideal_gas=True)``:
                            the virial term of the potential *plus* the kinetic (ideal-gas)
                            term :math:`\sum_i m_i v_i^2 / (3V) = N k_B T / V`
``volume_A3``               cell volume, Å³
``density_g_per_ml``        :func:`~nnp_tutorial.md.water.density`
``potential_energy_eV``     E_pot, eV
``kinetic_energy_eV``       K, eV
``total_energy_eV``         E_pot + K, eV (conserved in NVE)
==========================  ===================================================================

:class:`ThermoLog` appends rows to a CSV file and flushes each one, so an interrupted
run loses nothing that was recorded; floats are written with ``repr`` (shortest
round-trip form), so reading the file back gives the same numbers bit for bit.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms

from ..units import BAR_TO_EV_PER_ANGSTROM3
from .water import density

THERMO_COLUMNS: tuple[str, ...] = (
    "step",
    "time_ps",
    "temperature_K",
    "pressure_bar",
    "volume_A3",
    "density_g_per_ml",
    "potential_energy_eV",
    "kinetic_energy_eV",
    "total_energy_eV",
)


def pressure_bar(atoms: Atoms) -> float:
    """Instantaneous pressure including the kinetic (ideal-gas) term, bar (see the module table)."""
    stress = atoms.get_stress(voigt=False, include_ideal_gas=True)  # (3, 3) eV/Å³
    return float(-np.trace(stress) / 3.0 / BAR_TO_EV_PER_ANGSTROM3)


def thermo_row(atoms: Atoms, step: int, timestep_fs: float) -> dict[str, float]:
    """The :data:`THERMO_COLUMNS` of ``atoms`` (with a calculator) at ``step``.

    Uses the calculator's stored results; a state holding inf/nan gives inf/nan values.
    """
    with np.errstate(all="ignore"):
        potential = float(atoms.get_potential_energy())
        kinetic = float(atoms.get_kinetic_energy())
        return {
            "step": int(step),
            "time_ps": step * timestep_fs * 1e-3,
            "temperature_K": float(atoms.get_temperature()),
            "pressure_bar": pressure_bar(atoms),
            "volume_A3": float(atoms.get_volume()),
            "density_g_per_ml": density(atoms),
            "potential_energy_eV": potential,
            "kinetic_energy_eV": kinetic,
            "total_energy_eV": potential + kinetic,
        }


class ThermoLog:
    """Append-only CSV file of thermo rows.

    Parameters
    ----------
    path : str or Path
        The CSV file; created with a header if missing.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists() or self.path.stat().st_size == 0:
            self.path.write_text(",".join(THERMO_COLUMNS) + "\n")
        self._file = self.path.open("a")

    def append(self, row: dict[str, float]) -> None:
        """Write one row and flush it to disk."""
        self._file.write(",".join(repr(row[c]) for c in THERMO_COLUMNS) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ThermoLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def truncate_thermo(path: str | Path, before_step: int) -> None:
    """Keep only the complete rows of ``path`` with ``step < before_step`` (atomic rewrite)."""
    path = Path(path)
    if not path.exists():
        return
    header, *lines = path.read_text().split("\n")
    complete = lines[:-1]  # the last piece lacks its newline: empty, or a row cut short by a kill
    keep = [line for line in complete if int(line.split(",", 1)[0]) < before_step]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join([header, *keep]) + "\n")
    os.replace(tmp, path)


#: pandas >= 3 parses floats exactly by default (and deprecates the option).
_EXACT_FLOATS = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


def read_thermo(path: str | Path) -> pd.DataFrame:
    """The thermo CSV as a DataFrame with exactly the written float values."""
    return pd.read_csv(path, **_EXACT_FLOATS)
