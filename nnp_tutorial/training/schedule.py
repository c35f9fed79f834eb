r"""Loss and batch schedule shared by Adam and the Kalman filter.

Each training step draws one *batch* of labels from one training structure:
either its energy (per atom) or ten of its force components, never both.
The labels become a scaled error vector

.. math::

    \xi = \sqrt{c/n}\,(\hat y - y),\qquad L_1 = \sum_k |\xi_k|,\qquad L_2 = \sum_k \xi_k^2,

where ``n`` is the number of labels in the batch (1 or 10) and ``c`` a weight
per kind of label. Adam minimises :math:`L_2` of the drawn batch; the EKF
filters :math:`\xi` itself. With the same seed both optimisers see exactly
the same sequence of batches.

Defaults and why
----------------
* ``energy_probability = 0.1``: force batches carry ten numbers and most of the
  information about the shape of the potential energy surface; one energy
  batch in ten keeps the absolute energies anchored. (RuNNer and n2p2 also
  update on far more force components than energies per epoch.)
* ``energy_weight = 50`` on the energy per atom (eV/atom) and ``force_weight = 1``
  on force components (eV/Å): the weights of the study group's own PiNN set-up
  (``e_loss_multiplier: 50``, ``f_loss_multiplier: 1``, ``use_e_per_atom: true``
  in the ``params.yml`` of their published PiNN-Adam BLYP model). At the accuracy
  we aim for (~2 meV/atom, ~120 meV/Å) an energy batch then contributes
  ``sqrt(50) * 2 ≈ 14`` meV and a force component ``sqrt(1/10) * 120 ≈ 38`` meV
  to ξ: the same order, so neither kind of label is drowned by the other. With
  ``energy_weight = 1`` the energy errors are ~20x too small to steer the EKF.
  Per batch the force labels still carry ~70x the energy's share of L2 (ten
  components), and force batches are nine in ten.
* For the EKF, c and η together set the noise it assumes for each label
  (R = I/η on ξ): σ_E = 1/√(η c_E) in eV/atom and σ_F = √(n/(η c_F)) in eV/Å.
  With η = 1000, c_E = 50 that is 4.5 meV/atom and 100 meV/Å; a filter whose
  σ match the errors a network can reach (Cheng et al.: 2.4 meV/atom,
  120 meV/Å) needs c_E ≈ 200 (:mod:`~nnp_tutorial.training.kalman`).
* What the defaults cost in a short run: an energy batch is ~5x cheaper than a force
  batch (one Jacobian row instead of ten), and in 15 minutes an EKF with η = 1000
  sees each training energy less than once at one energy batch in ten. On
  revPBE0-D3, 15 minutes, all 319 validation structures, EKF η = 1000,
  ``energy_weight = 250``: 4.0 meV/atom and 108 meV/Å with the default
  ``energy_probability``; 2.9 and 3.6 meV/atom (seeds 0, 1) at 0.3; 3.1 and
  2.8 meV/atom, 107 and 131 meV/Å at 0.5 (``data/results/training/``, README).
  The defaults stay the study's, so the notebooks reproduce its comparison.

The draw of step ``t`` depends only on ``(seed, t)``, so a resumed run draws
exactly what an uninterrupted run would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ase import Atoms


class Predicted(Protocol):
    """A model's energy (eV) and forces (n_atoms, 3) (eV/Å) of one structure, e.g.
    :class:`~nnp_tutorial.model.Evaluation`."""

    energy: float
    forces: np.ndarray


@dataclass(frozen=True)
class Batch:
    """The labels drawn at one step.

    Attributes
    ----------
    step : int
    kind : {"energy", "force"}
    frame : int
        Index of the structure in the data set.
    components : ndarray of shape (n,), int
        Force components as flat indices ``3 * atom + axis`` (empty for energy).
    """

    step: int
    kind: str
    frame: int
    components: np.ndarray

    @property
    def atoms(self) -> np.ndarray:
        """Atom index of each force component."""
        return self.components // 3

    @property
    def axes(self) -> np.ndarray:
        """Cartesian axis (0, 1, 2) of each force component."""
        return self.components % 3

    def labels(self, energy_per_atom: float, forces: np.ndarray) -> np.ndarray:
        """The numbers this batch takes from one structure's energy and forces.

        Parameters
        ----------
        energy_per_atom : float
            eV/atom.
        forces : ndarray of shape (n_atoms, 3) or (3 n_atoms,)
            eV/Å.

        Returns
        -------
        ndarray of shape (1,) or (n_forces,)
            ``[energy_per_atom]`` for an energy batch, else the drawn force components.
        """
        if self.kind == "energy":
            return np.array([energy_per_atom], dtype=np.float64)
        return np.ravel(forces)[self.components]


@dataclass(frozen=True)
class BatchSchedule:
    """Seeded sequence of batches: one energy label or ``n_forces`` force components.

    Parameters
    ----------
    frames : ndarray of int
        Indices of the training structures.
    n_atoms : ndarray of int
        Number of atoms of every structure of the data set (indexed by frame).
    energy_probability : float, default 0.1
        Probability that a step is an energy step.
    n_forces : int, default 10
        Force components per force step (distinct, from one structure).
    energy_weight : float, default 50.0
        The weight c of energy labels (energy per atom, eV/atom).
    force_weight : float, default 1.0
        The weight c of force labels (eV/Å).
    seed : int, default 0
    """

    frames: np.ndarray
    n_atoms: np.ndarray
    energy_probability: float = 0.1
    n_forces: int = 10
    energy_weight: float = 50.0
    force_weight: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.energy_probability <= 1.0:
            raise ValueError(f"energy_probability must be in [0, 1], not {self.energy_probability}")
        if len(self.frames) == 0:
            raise ValueError("the schedule needs at least one training structure")

    def draw(self, step: int) -> Batch:
        """The batch of step ``step`` (deterministic in ``(seed, step)``)."""
        rng = np.random.default_rng([self.seed, step])
        frame = int(self.frames[rng.integers(len(self.frames))])
        if rng.random() < self.energy_probability:
            return Batch(step, "energy", frame, np.zeros(0, dtype=np.int64))
        n_components = 3 * int(self.n_atoms[frame])
        components = np.sort(rng.choice(n_components, size=min(self.n_forces, n_components), replace=False))
        return Batch(step, "force", frame, components)

    def scale(self, batch: Batch) -> float:
        """The factor sqrt(c/n) of the batch's errors."""
        if batch.kind == "energy":
            return float(np.sqrt(self.energy_weight))
        return float(np.sqrt(self.force_weight / len(batch.components)))

    def counts(self, steps: int, start: int = 0) -> dict[str, int]:
        """How many energy and force steps the schedule draws in ``[start, start + steps)``."""
        kinds = [self.draw(t).kind for t in range(start, start + steps)]
        return {"energy": kinds.count("energy"), "force": kinds.count("force")}


def scaled_errors(prediction: np.ndarray, label: np.ndarray, scale: float) -> np.ndarray:
    """ξ = sqrt(c/n) (ŷ − y) for one batch."""
    return scale * (np.asarray(prediction, dtype=np.float64) - np.asarray(label, dtype=np.float64))


def l1_loss(xi: np.ndarray) -> float:
    """L1 = Σ|ξ|."""
    return float(np.sum(np.abs(xi)))


def l2_loss(xi: np.ndarray) -> float:
    """L2 = Σ ξ²."""
    return float(np.sum(np.square(xi)))


def batch_xi(
    schedule: BatchSchedule, step: int, structures: Mapping[int, Atoms], predictions: Mapping[int, Predicted]
) -> tuple[Batch, np.ndarray]:
    """The batch of ``step`` and its ξ = √(c/n)(ŷ − y) for predictions made once, by a fixed model.

    Parameters
    ----------
    schedule : BatchSchedule
    step : int
    structures : mapping of int to Atoms
        Frame → structure with its reference energy (eV) and forces (eV/Å) attached
        (``get_potential_energy``, ``get_forces``), for every frame the schedule draws.
    predictions : mapping of int to Predicted
        Frame → the model's energy (eV) and forces (eV/Å) of that structure.

    Returns
    -------
    batch : Batch
    xi : ndarray of shape (1,) or (n_forces,)
        Energy per atom errors in √c · eV/atom, force errors in √(c/n) · eV/Å.
    """
    batch = schedule.draw(step)
    atoms, predicted = structures[batch.frame], predictions[batch.frame]
    n_atoms = len(atoms)
    prediction = batch.labels(predicted.energy / n_atoms, predicted.forces)
    label = batch.labels(atoms.get_potential_energy() / n_atoms, atoms.get_forces())
    return batch, scaled_errors(prediction, label, schedule.scale(batch))


def batch_losses(
    schedule: BatchSchedule,
    structures: Mapping[int, Atoms],
    predictions: Mapping[int, Predicted],
    n_batches: int,
) -> pd.DataFrame:
    """Kind and loss L2 = Σξ² of each of the first ``n_batches`` batches (:func:`batch_xi`).

    Returns
    -------
    DataFrame
        Columns ``kind`` (``"energy"`` or ``"force"``) and ``L2`` (weighted eV²/atom² or
        eV²/Å²), one row per step ``0 … n_batches − 1``.
    """
    rows = []
    for step in range(n_batches):
        batch, xi = batch_xi(schedule, step, structures, predictions)
        rows.append({"kind": batch.kind, "L2": l2_loss(xi)})
    return pd.DataFrame(rows, columns=["kind", "L2"])
