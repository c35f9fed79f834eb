"""ASE calculator for the potentials of nnp_tutorial.

The calculator is thin: it asks a model for an :class:`~nnp_tutorial.model.Evaluation`
and stores the results in ASE units (eV, eV/Å, eV/Å³, Voigt stress), so every
ASE driver — optimisers, Verlet, Langevin, Berendsen NVT and NPT — can use it.

Example
-------
>>> from nnp_tutorial.calculator import NNPCalculator            # doctest: +SKIP
>>> atoms.calc = NNPCalculator(model)                             # doctest: +SKIP
>>> atoms.get_potential_energy(), atoms.get_forces().shape        # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from ase.calculators.calculator import Calculator, PropertyNotImplementedError, all_changes
from ase.stress import full_3x3_to_voigt_6_stress

from .descriptors.neighbors import NeighborSearch


class NNPCalculator(Calculator):
    """ASE calculator wrapping a :class:`~nnp_tutorial.model.BehlerParrinelloNetwork`.

    Parameters
    ----------
    model : BehlerParrinelloNetwork
        Any model with ``evaluate(atoms, dtype=...) -> Evaluation``.
    dtype : {"float64", "float32"}, default "float64"
        Floating-point type of the symmetry functions and networks. float64 runs
        the symmetry functions as compiled loops (the model's ``"loops"`` engine,
        the fastest); float32 runs the TensorFlow graph in single precision
        (forces change by ~1e-5 relative, energies are still summed in double
        precision), which is now no faster: kept for comparison.
    skin : float, default 1.0
        Verlet skin of the neighbour search, Å
        (:class:`~nnp_tutorial.descriptors.neighbors.NeighborSearch`): while the cell stays
        the same (NVT, NVE), the pairs within cutoff + skin are searched once and
        reused until an atom has moved more than skin/2, which saves most of the
        search; results are the same as without it. 0 searches at every call.
    **kwargs
        Passed to :class:`ase.calculators.calculator.Calculator`.

    Notes
    -----
    ``stress`` is available for cells periodic in all three directions. It is
    the strain derivative of the potential energy divided by the volume; ASE's
    barostats add the kinetic (ideal-gas) part themselves.
    """

    implemented_properties = ["energy", "free_energy", "energies", "forces", "stress"]
    default_parameters: dict[str, Any] = {"dtype": "float64", "skin": 1.0}
    dtypes = ("float64", "float32")

    def __init__(self, model, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.parameters.dtype not in self.dtypes:
            raise ValueError(f"dtype must be one of {', '.join(self.dtypes)}, not {self.parameters.dtype!r}")
        self.model = model
        self.neighbor_search = NeighborSearch(self.parameters.skin)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes) -> None:
        super().calculate(atoms, properties, system_changes)
        result = self.model.evaluate(
            self.atoms, dtype=self.parameters.dtype, neighbor_search=self.neighbor_search
        )
        self.results = {
            "energy": result.energy,
            "free_energy": result.energy,
            "energies": result.atomic_energies,
            "forces": result.forces,
        }
        if result.stress is not None:
            self.results["stress"] = full_3x3_to_voigt_6_stress(result.stress)
        elif "stress" in properties:
            raise PropertyNotImplementedError("stress needs a cell periodic in all three directions")
