r"""Behler symmetry-function parameters (pure data, no computation).

Each record holds the parameters of one atom-centred symmetry function in the
package's units (Å, 1/Å²). The numeric type codes and formulas follow n2p2
(``src/doc/sphinx/source/topics/descriptors.rst``); the computation lives in
:mod:`nnp_tutorial.descriptors`.

======  ====================  ==============================================================
 type   class                 formula (sum over neighbours inside the cutoff)
======  ====================  ==============================================================
 2      :class:`RadialG2`     :math:`G_i = \sum_j e^{-\eta (r_{ij}-r_s)^2} f_c(r_{ij})`
 3      :class:`AngularG3`    :math:`G_i = 2^{1-\zeta} \sum_{j<k} (1+\lambda\cos\theta_{ijk})^\zeta
                              e^{-\eta [(r_{ij}-r_s)^2+(r_{ik}-r_s)^2+(r_{jk}-r_s)^2]}
                              f_c(r_{ij}) f_c(r_{ik}) f_c(r_{jk})`
 9      :class:`AngularG9`    as type 3 without the :math:`r_{jk}` terms ("wide")
======  ====================  ==============================================================

The angular sums run over unordered neighbour pairs ``j < k`` (each pair once),
as in n2p2. For ``(1 + λ cos θ) <= 0`` the term is zero.

Order of functions
------------------
n2p2 and RuNNer sort the functions of each element before using them, so the
order of the lines in ``input.nn`` does not matter but the sorted order defines
the columns of ``scaling.data`` and the inputs of the network. :func:`n2p2_sort_key`
reproduces that order (``SymFncExpRad::operator<`` and friends in n2p2): by
type, cutoff radius, η, r_s, ζ, λ and finally the neighbour elements (by
atomic number).
"""

from __future__ import annotations

from dataclasses import dataclass

from ase.data import atomic_numbers

from ..errors import UnknownElementError


def _z(symbol: str) -> int:
    try:
        return atomic_numbers[symbol]
    except KeyError:
        raise UnknownElementError(f"{symbol!r} is not a chemical element symbol") from None


@dataclass(frozen=True)
class RadialG2:
    """Radial symmetry function, n2p2 type 2.

    Attributes
    ----------
    center, neighbor : str
        Element of the central atom and of the neighbours counted.
    eta : float
        Gaussian width η in 1/Å².
    rs : float
        Gaussian centre r_s in Å.
    rc : float
        Cutoff radius in Å.
    """

    center: str
    neighbor: str
    eta: float
    rs: float
    rc: float

    type = 2

    @property
    def neighbors(self) -> tuple[str, ...]:
        """Neighbour elements, as a tuple (one for radial functions)."""
        return (self.neighbor,)


@dataclass(frozen=True)
class AngularG3:
    """Narrow angular symmetry function, n2p2 type 3 (includes the r_jk terms).

    Attributes
    ----------
    center : str
        Element of the central atom.
    neighbor1, neighbor2 : str
        Elements of the two neighbours (stored ordered by atomic number).
    eta : float
        Gaussian width η in 1/Å².
    lambda_ : float
        +1 or -1, where the angular term peaks (0° or 180°).
    zeta : float
        Angular resolution ζ (>= 1).
    rc : float
        Cutoff radius in Å.
    rs : float
        Gaussian centre r_s in Å (n2p2's optional ninth column, default 0).
    """

    center: str
    neighbor1: str
    neighbor2: str
    eta: float
    lambda_: float
    zeta: float
    rc: float
    rs: float = 0.0

    type = 3

    def __post_init__(self) -> None:
        if _z(self.neighbor1) > _z(self.neighbor2):  # n2p2 swaps e1 > e2
            a, b = self.neighbor2, self.neighbor1
            object.__setattr__(self, "neighbor1", a)
            object.__setattr__(self, "neighbor2", b)

    @property
    def neighbors(self) -> tuple[str, ...]:
        """Neighbour elements ``(neighbor1, neighbor2)``, by atomic number."""
        return (self.neighbor1, self.neighbor2)


@dataclass(frozen=True)
class AngularG9(AngularG3):
    """Wide angular symmetry function, n2p2 type 9 (no r_jk terms)."""

    type = 9


SymmetryFunction = RadialG2 | AngularG3

#: n2p2 type code → record class.
SYMMETRY_FUNCTION_TYPES: dict[int, type] = {2: RadialG2, 3: AngularG3, 9: AngularG9}


def n2p2_sort_key(sf: SymmetryFunction) -> tuple:
    """Key that orders the functions of one element as n2p2 and RuNNer do.

    Parameters
    ----------
    sf : RadialG2 or AngularG3 or AngularG9

    Returns
    -------
    tuple
        ``(type, rc, eta, rs, zeta, lambda, Z(neighbour 1), Z(neighbour 2))``;
        the central element is the same for all functions compared.
    """
    if isinstance(sf, RadialG2):
        return (sf.type, sf.rc, sf.eta, sf.rs, 0.0, 0.0, _z(sf.neighbor), 0)
    return (sf.type, sf.rc, sf.eta, sf.rs, sf.zeta, sf.lambda_, _z(sf.neighbor1), _z(sf.neighbor2))


def sort_elements(symbols: list[str] | tuple[str, ...]) -> list[str]:
    """Element symbols ordered by atomic number (n2p2's element index order)."""
    return sorted(set(symbols), key=_z)
