r"""The symmetry-function set of a potential: its functions, term groups and engines.

:class:`SymmetryFunctionSet` holds the Behler symmetry functions of every element (the
records of :mod:`.functions`, the cutoff of :mod:`.cutoffs`) in n2p2's order, groups them
into :class:`~nnp_tutorial.descriptors.terms.TermGroup` s, finds neighbours (:mod:`.neighbors`)
and computes the raw functions of a structure by the compiled loops (:mod:`.loops`); its
:attr:`~SymmetryFunctionSet.graph` is the same set as a TensorFlow graph (:mod:`.graph`).

Example
-------
>>> from ase.build import molecule
>>> from nnp_tutorial.descriptors import RadialG2, SymmetryFunctionSet
>>> sfs = SymmetryFunctionSet({"H": [RadialG2("H", "O", 0.5, 0.0, 4.0)],
...                            "O": [RadialG2("O", "H", 0.5, 0.0, 4.0)]}, cutoff_type=1)
>>> g = sfs.compute(molecule("H2O"))
>>> g["O"].shape, g["H"].shape
((1, 1), (2, 1))
"""

from __future__ import annotations

import functools
import weakref
from collections import defaultdict

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers, chemical_symbols

from ..errors import UnknownElementError
from .cutoffs import get_cutoff
from .functions import AngularG3, RadialG2, SymmetryFunction, n2p2_sort_key, sort_elements
from .graph import DescriptorGraph
from .loops import DescriptorLoops
from .neighbors import NeighborSearch, PairList, neighbor_pairs
from .terms import TermGroup


class SymmetryFunctionSet:
    """The symmetry functions of every element: their term groups, the compiled loops and the graph.

    :meth:`compute` gives the values of one structure (the loops,
    :class:`~nnp_tutorial.descriptors.loops.DescriptorLoops`); :attr:`graph` is the
    differentiable TensorFlow graph (:class:`~nnp_tutorial.descriptors.graph.DescriptorGraph`)
    that the model's graph engine and the tests' oracles build on.

    Parameters
    ----------
    functions : dict of str to list
        Per element, its :class:`~nnp_tutorial.descriptors.functions.RadialG2`,
        ``AngularG3`` and ``AngularG9`` records (Å). They are sorted into
        n2p2's order, which defines the output columns.
    cutoff_type : int or str, default 2
        Cutoff code (:func:`~nnp_tutorial.descriptors.cutoffs.get_cutoff`).
    cutoff_alpha : float, default 0
        Inner cutoff as a fraction of r_c (cutoff type 1).

    Attributes
    ----------
    elements : list of str
        Elements ordered by atomic number.
    functions : dict of str to list
        The sorted functions per element.
    cutoff : float
        Largest cutoff radius, Å (the neighbour-list cutoff).
    n_functions : dict of str to int
        Number of functions per element.
    """

    def __init__(
        self,
        functions: dict[str, list[SymmetryFunction]],
        *,
        cutoff_type: int | str = 2,
        cutoff_alpha: float = 0.0,
    ) -> None:
        self.elements = sort_elements(list(functions))
        self.functions = {e: sorted(functions[e], key=n2p2_sort_key) for e in self.elements}
        self.cutoff_function = get_cutoff(cutoff_type)
        self.cutoff_type = self.cutoff_function.code
        self.cutoff_alpha = float(cutoff_alpha)
        self.cutoff = max(sf.rc for fs in self.functions.values() for sf in fs)
        self.n_functions = {e: len(self.functions[e]) for e in self.elements}
        index = {e: k for k, e in enumerate(self.elements)}
        for e, fs in self.functions.items():
            for sf in fs:
                if sf.center != e or any(n not in index for n in sf.neighbors):
                    raise UnknownElementError(f"{sf} refers to an element outside {self.elements}")
        #: the term groups (one description of the functions for every engine), radial and angular
        self.radial_groups: list[TermGroup] = []
        self.angular_groups: list[TermGroup] = []
        for e in self.elements:
            grouped: dict[tuple, list[tuple[int, SymmetryFunction]]] = defaultdict(list)
            for column, sf in enumerate(self.functions[e]):
                grouped[(sf.type, tuple(index[n] for n in sf.neighbors), sf.rc)].append((column, sf))
            for (sf_type, neighbors, rc), members in grouped.items():
                columns, group_functions = tuple(c for c, _ in members), tuple(sf for _, sf in members)
                group = TermGroup(
                    index[e], neighbors, rc, columns, group_functions, sf_type == AngularG3.type
                )
                (self.radial_groups if sf_type == RadialG2.type else self.angular_groups).append(group)
        self._element_index = np.full(len(chemical_symbols), -1)  # atomic number -> element index
        self._element_index[[atomic_numbers[e] for e in self.elements]] = np.arange(len(self.elements))

    #: the live sets by functions, cutoff type and α (:meth:`shared`)
    _instances: weakref.WeakValueDictionary = weakref.WeakValueDictionary()

    @classmethod
    def shared(
        cls,
        functions: dict[str, list[SymmetryFunction]],
        *,
        cutoff_type: int | str = 2,
        cutoff_alpha: float = 0.0,
    ) -> SymmetryFunctionSet:
        """The live set with exactly these functions, cutoff type and α, or a new one.

        Potentials read from files (:meth:`~nnp_tutorial.model.BehlerParrinelloNetwork.from_n2p2`)
        use this, so models with the same symmetry functions — several trained here, or a
        trained one and :func:`~nnp_tutorial.training.default_descriptor` — share one set:
        its compiled loops and graph, its shape buckets and, for networks of the same size,
        their compiled graphs (:class:`~nnp_tutorial.architecture.Architecture`).
        """
        candidate = cls(functions, cutoff_type=cutoff_type, cutoff_alpha=cutoff_alpha)
        key = (
            tuple((e, tuple(fs)) for e, fs in candidate.functions.items()),
            candidate.cutoff_type,
            candidate.cutoff_alpha,
        )
        existing = cls._instances.get(key)
        if existing is not None:
            return existing
        cls._instances[key] = candidate
        return candidate

    def species(self, atoms: Atoms) -> np.ndarray:
        """Element index of each atom; raises for elements without functions."""
        species = self._element_index[atoms.numbers]
        if (species < 0).any():
            unknown = sorted({chemical_symbols[z] for z in atoms.numbers[species < 0]})
            raise UnknownElementError(
                f"the model knows the elements {', '.join(self.elements)}, "
                f"but the structure contains {', '.join(unknown)}"
            )
        return species

    def pairs(self, atoms: Atoms, search: NeighborSearch | None = None) -> PairList:
        """Neighbour pairs of ``atoms`` within :attr:`cutoff` (``search``: one kept between MD steps)."""
        return neighbor_pairs(
            atoms.positions,
            atoms.cell.array,
            atoms.pbc,
            self.cutoff,
            self.species(atoms),
            len(self.elements),
            search,
        )

    def compute(self, atoms: Atoms, pairs: PairList | None = None) -> dict[str, np.ndarray]:
        """Symmetry functions of one structure (``pairs``: its neighbour pairs, if already known).

        Float64, by the compiled loops (:attr:`loops`): no XLA compilation per
        array shape, about 3× faster than the TensorFlow graph
        (:meth:`DescriptorGraph.from_inputs`), which gives the same values to round-off.

        Returns
        -------
        dict of str to ndarray of shape (n_atoms_of_element, n_functions)
            Rows in the order of the atoms of that element in ``atoms``.
        """
        g, _ = self.loops.forward(self.pairs(atoms) if pairs is None else pairs)
        return dict(zip(self.elements, g))

    @functools.cached_property
    def loops(self) -> DescriptorLoops:
        """The set as compiled loops over the central atoms, built once (it keeps reusable memory)."""
        return DescriptorLoops(self)

    @functools.cached_property
    def graph(self) -> DescriptorGraph:
        """The set as a TensorFlow graph (XLA-compiled once per padded shape), built once."""
        return DescriptorGraph(self)

    def __repr__(self) -> str:
        counts = ", ".join(f"{e}: {n}" for e, n in self.n_functions.items())
        return f"SymmetryFunctionSet({counts}; cutoff {self.cutoff:.3f} Å, type {self.cutoff_type})"
