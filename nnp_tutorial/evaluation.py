r"""Error metrics of a potential against reference labels.

Energy errors are per atom, forces per Cartesian component, as in the study
and in RuNNer/n2p2 logs:

.. math::

    \mathrm{RMSE}_E = \sqrt{\tfrac{1}{M}\sum_m \big((\hat E_m - E_m)/N_m\big)^2},\qquad
    \mathrm{RMSE}_F = \sqrt{\tfrac{1}{3\sum_m N_m}\sum_{m,i,\alpha} (\hat F_{mi\alpha} - F_{mi\alpha})^2}

reported in meV/atom and meV/Å. Two potentials fitted to different electronic-structure
codes (or with different atomic reference energies) may differ by a constant energy per
atom; for water, whose composition is fixed, :attr:`ErrorSummary.energy_offset` (the mean
per-atom error) and :attr:`ErrorSummary.aligned_energy_rmse` (the RMSE after removing it,
i.e. the standard deviation of the per-atom errors) separate the two.

Structures are processed one at a time, so a data set of any length is evaluated in
constant memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from ase import Atoms
from tqdm.auto import tqdm

from .units import EV_TO_MEV


@dataclass
class ErrorSummary:
    """Root-mean-square errors over a set of structures.

    Attributes
    ----------
    n_structures : int
    energy_rmse : float
        meV/atom.
    force_rmse : float
        meV/Å (per component).
    energy_mae : float
        meV/atom.
    force_mae : float
        meV/Å.
    energy_offset : float
        Mean per-atom energy error, meV/atom.
    aligned_energy_rmse : float
        Energy RMSE after subtracting :attr:`energy_offset` from every structure, meV/atom.
    per_structure : pandas.DataFrame
        One row per structure: ``index``, ``n_atoms``, ``energy_error`` (meV/atom),
        ``force_rmse`` (meV/Å), ``volume`` (Å³).
    """

    n_structures: int
    energy_rmse: float
    force_rmse: float
    energy_mae: float
    force_mae: float
    energy_offset: float
    aligned_energy_rmse: float
    per_structure: pd.DataFrame

    #: columns of the one-row table :meth:`write` writes (units in the names)
    COLUMNS = (
        "model,dataset,n_structures,energy_rmse_meV_per_atom,force_rmse_meV_per_A,"
        "energy_mae_meV_per_atom,force_mae_meV_per_A,"
        "energy_offset_meV_per_atom,aligned_energy_rmse_meV_per_atom"
    )

    def write(self, path: str | Path, *, model: str, dataset: str, header: Sequence[str] = ()) -> Path:
        """The summary as a one-row CSV at ``path`` (after the ``header`` lines, e.g. ``# command: …``)
        and :attr:`per_structure` beside it as ``<stem>_per_structure.csv``; returns the latter's path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        row = (
            f"{model},{dataset},{self.n_structures},{self.energy_rmse:.4f},"
            f"{self.force_rmse:.3f},{self.energy_mae:.4f},{self.force_mae:.3f},"
            f"{self.energy_offset:.4f},{self.aligned_energy_rmse:.4f}"
        )
        path.write_text("\n".join([*header, self.COLUMNS, row]) + "\n")
        per_structure = path.with_name(path.stem + "_per_structure.csv")
        self.per_structure.to_csv(per_structure, index=False, float_format="%.12g")
        return per_structure

    def __str__(self) -> str:
        return (
            f"{self.n_structures} structures: energy RMSE {self.energy_rmse:.3f} meV/atom "
            f"({self.aligned_energy_rmse:.3f} after removing the mean offset {self.energy_offset:+.3f}), "
            f"force RMSE {self.force_rmse:.2f} meV/Å"
        )


def evaluate_errors(
    model, structures: Iterable[Atoms], *, total: int | None = None, progress: bool = True
) -> ErrorSummary:
    """Compare a model's energies and forces with the labels of ``structures``.

    Parameters
    ----------
    model : BehlerParrinelloNetwork
        Anything with ``evaluate(atoms) -> Evaluation``.
    structures : iterable of ase.Atoms
        With reference energy (eV) and forces (eV/Å) attached as a calculator.
    total : int, optional
        Number of structures, for the progress bar.
    progress : bool, default True
        Show a progress bar.

    Returns
    -------
    ErrorSummary
    """
    rows = []
    squared_force = 0.0
    absolute_force = 0.0
    n_components = 0
    for index, atoms in enumerate(tqdm(structures, total=total, disable=not progress, desc="evaluate")):
        energy_ref = atoms.get_potential_energy()
        forces_ref = atoms.get_forces()
        result = model.evaluate(atoms)
        n = len(atoms)
        df = (result.forces - forces_ref) * EV_TO_MEV
        squared_force += float(np.sum(df**2))
        absolute_force += float(np.sum(np.abs(df)))
        n_components += df.size
        rows.append(
            {
                "index": index,
                "n_atoms": n,
                "energy_error": (result.energy - energy_ref) / n * EV_TO_MEV,
                "force_rmse": float(np.sqrt(np.mean(df**2))),
                "volume": atoms.get_volume() if atoms.pbc.all() else np.nan,
            }
        )
    table = pd.DataFrame(rows)
    de = table["energy_error"].to_numpy()
    return ErrorSummary(
        n_structures=len(table),
        energy_rmse=float(np.sqrt(np.mean(de**2))),
        force_rmse=float(np.sqrt(squared_force / n_components)),
        energy_mae=float(np.mean(np.abs(de))),
        force_mae=absolute_force / n_components,
        energy_offset=float(np.mean(de)),
        aligned_energy_rmse=float(np.std(de)),
        per_structure=table,
    )
