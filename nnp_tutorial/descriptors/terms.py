"""Term groups: the one description of a symmetry-function set that every engine reads.

Functions with the same central element, neighbour element(s), type and cutoff radius form
a *term group*. A group is evaluated at once: each of its pairs (radial) or triples
(angular) contributes a row of terms, one per function, which is summed onto the centre.
The pair factor :math:`P(r) = f_c(r)\\,e^{-\\eta(r - r_s)^2}` depends on the function only
through its *radial key* :math:`(\\eta, r_s)`, and the angular factor
:math:`A = 2^{1-\\zeta}(1 + \\lambda\\cos\\theta)^\\zeta` only through its *angular key*
:math:`(\\lambda, \\zeta)`; functions that share a key share the factor, so each engine
computes every distinct key once. The TensorFlow graph (:mod:`.graph`), the compiled loops
(:mod:`.loops`) and the derivatives for drawn atoms (:mod:`.derivatives`) all read these.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .functions import SymmetryFunction

if TYPE_CHECKING:
    from .cutoffs import CutoffFunction


@dataclass(frozen=True)
class TermGroup:
    """Functions sharing centre element, neighbour element(s), type and cutoff radius.

    Attributes
    ----------
    element : int
        Index of the central element.
    neighbors : tuple of int
        The neighbour element (radial) or the two of a triple's sides (angular, sorted).
    rc : float
        Cutoff radius, Å.
    columns : tuple of int
        Column of each function in its element's array of functions.
    functions : tuple of SymmetryFunction
    narrow : bool
        Angular type 3, with the factors of the third side r_jk (False: type 9, or radial).
    """

    element: int
    neighbors: tuple[int, ...]
    rc: float
    columns: tuple[int, ...]
    functions: tuple[SymmetryFunction, ...]
    narrow: bool = False

    @property
    def angular(self) -> bool:
        """Whether the group sums over triples (two neighbour elements)."""
        return len(self.neighbors) == 2

    @functools.cached_property
    def radial_keys(self) -> list[tuple[float, float]]:
        """Distinct (η in 1/Å², r_s in Å) of the group's functions, sorted."""
        return sorted({(sf.eta, sf.rs) for sf in self.functions})

    @functools.cached_property
    def radial_of(self) -> list[int]:
        """Index into :attr:`radial_keys` of each function."""
        return [self.radial_keys.index((sf.eta, sf.rs)) for sf in self.functions]

    @functools.cached_property
    def angular_keys(self) -> list[tuple[float, float]]:
        """Distinct (λ, ζ) of an angular group's functions, sorted."""
        return sorted({(sf.lambda_, sf.zeta) for sf in self.functions})

    @functools.cached_property
    def angular_of(self) -> list[int]:
        """Index into :attr:`angular_keys` of each function of an angular group."""
        return [self.angular_keys.index((sf.lambda_, sf.zeta)) for sf in self.functions]


class GroupedFunctions(Protocol):
    """What an engine reads of a set of symmetry functions: its elements, function counts, cutoff
    and term groups (:class:`~nnp_tutorial.descriptors.SymmetryFunctionSet` is one). The engines
    are built on this contract rather than on the set, which builds them."""

    elements: list[str]
    n_functions: dict[str, int]
    cutoff: float
    cutoff_function: CutoffFunction
    cutoff_alpha: float
    radial_groups: list[TermGroup]
    angular_groups: list[TermGroup]
