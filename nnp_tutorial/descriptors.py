r"""Behler symmetry functions in TensorFlow (float64, or float32 for fast MD).

:class:`SymmetryFunctionSet` turns pair vectors into the raw (unscaled)
symmetry functions :math:`G` of every atom, with the formulas of
:mod:`nnp_tutorial.symmetry_functions` and the cutoffs of
:mod:`nnp_tutorial.cutoffs`. Everything is a function of the pair vectors
:math:`\mathbf D_p = \mathbf r_j - \mathbf r_i` only, so the energy is
translation invariant by construction and forces and the virial follow from one
gradient :math:`\partial E/\partial \mathbf D_p` (see :mod:`nnp_tutorial.model`).

Computation
-----------
Functions with the same central element, neighbour element(s), type and
cutoff radius form a *term group*; a group evaluates all its functions at once
as a ``(n_pairs or n_triples, n_functions)`` array and scatter-adds the rows
onto the central atoms (``tf.math.unsorted_segment_sum``). Groups follow the
template-method pattern: :class:`_TermGroup` applies the cutoff and sums,
subclasses implement only their term (:class:`RadialTerms`,
:class:`AngularTerms`). Inner cosine cutoffs with α > 0 are supported.

Example
-------
>>> from ase.build import molecule
>>> from nnp_tutorial.symmetry_functions import RadialG2
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
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import tensorflow as tf
from ase import Atoms
from ase.data import atomic_numbers, chemical_symbols

from .cutoffs import CutoffFunction, get_cutoff
from .descriptor_loops import DescriptorLoops
from .errors import UnknownElementError
from .neighbors import NeighborSearch, PairList, element_rows, neighbor_pairs, triples
from .symmetry_functions import AngularG3, RadialG2, SymmetryFunction, n2p2_sort_key, sort_elements


@dataclass
class DescriptorInputs:
    """Index arrays that tell :meth:`SymmetryFunctionSet.call` what to sum.

    Attributes
    ----------
    vectors : ndarray of shape (n_pairs, 3)
        Pair vectors D_p, Å.
    rows : ndarray of shape (n_pairs,), int32
        Row of each pair's centre in the output array of its element
        (negative: the pair adds nothing, e.g. padding).
    centers, neighbors : ndarray of shape (n_pairs,), int32
        Atom indices i and j of each pair (negative for padding).
    radial : list of ndarray
        Per radial group, the pairs it sums over.
    angular : list of tuple of ndarray
        Per angular group, the two pair indices ``(p, q)`` of each triple.
    n_rows : tuple of int
        Number of output rows per element.
    """

    vectors: np.ndarray
    rows: np.ndarray
    centers: np.ndarray
    neighbors: np.ndarray
    radial: list[np.ndarray]
    angular: list[tuple[np.ndarray, np.ndarray]]
    n_rows: tuple[int, ...]

    @property
    def n_triples(self) -> int:
        """Total number of triples over all angular groups."""
        return sum(len(p) for p, _ in self.angular)

    def sizes(self) -> tuple[int, ...]:
        """Array lengths: pairs, then each radial group, then each angular group."""
        return (len(self.vectors), *(len(i) for i in self.radial), *(len(p) for p, _ in self.angular))

    def padded(self, sizes: tuple[int, ...], far: float) -> DescriptorInputs:
        """Copy padded to ``sizes`` (each >= the current size; pairs >= current + 2).

        Padding pairs lie at distance ``far`` (beyond every cutoff), have negative
        rows and atom indices, and padding triples join the two padding pairs, so
        padding contributes exactly zero to every output and gradient.
        """
        n = len(self.vectors)
        extra = sizes[0] - n
        if extra < 2:
            raise ValueError("padding needs at least two extra pairs")
        dummy = np.zeros((extra, 3))
        dummy[0::2, 0] = far
        dummy[1::2, 1] = far
        minus = np.full(extra, -1, dtype=np.int32)

        def grow(a: np.ndarray, size: int, fill: int) -> np.ndarray:
            return np.concatenate([a, np.full(size - len(a), fill, dtype=np.int32)])

        n_radial = len(self.radial)
        return DescriptorInputs(
            np.concatenate([self.vectors, dummy]),
            np.concatenate([self.rows, minus]),
            np.concatenate([self.centers, minus]),
            np.concatenate([self.neighbors, minus]),
            [grow(i, m, n) for i, m in zip(self.radial, sizes[1 : 1 + n_radial])],
            [(grow(p, m, n), grow(q, m, n + 1)) for (p, q), m in zip(self.angular, sizes[1 + n_radial :])],
            self.n_rows,
        )

    def tensors(self, dtype: tf.DType = tf.float64) -> tuple:
        """Tensor arguments of the graph functions (``n_rows`` is passed separately).

        ``dtype`` is that of the pair vectors, hence of everything computed from them.
        """
        return (
            tf.constant(self.vectors, dtype),
            tf.constant(self.rows, tf.int32),
            tf.constant(self.centers, tf.int32),
            tf.constant(self.neighbors, tf.int32),
            [tf.constant(i, tf.int32) for i in self.radial],
            [tf.constant(p, tf.int32) for p, _ in self.angular],
            [tf.constant(q, tf.int32) for _, q in self.angular],
        )


#: Builds the triples of the angular groups two at a time (the loop releases the GIL).
_TRIPLE_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="triples")

#: Growth factor of the shape buckets per kind of input (see :meth:`SymmetryFunctionSet.padded`).
#: The inputs of force labels (:meth:`SymmetryFunctionSet.moving_inputs`) vary far more in size
#: from batch to batch than whole structures, and every new shape costs one XLA compilation of
#: the force Jacobian (about 10 s and 0.2 GB that stay allocated), so they get coarser buckets:
#: 3 instead of 7 compilations over 300 EKF updates on RevPBE0-D3 water, 0.7 instead of 1.5 GB,
#: for 8 % more padded work per force update.
BUCKET_GROWTH = {"structure": 1.15, "moving": 1.5}


class ShapeBuckets:
    """Round array sizes up to a few shapes, so XLA compiles each shape once.

    For each key (e.g. a composition) the first sizes seen are the reference;
    later sizes are rounded up to ``reference * growth**k`` for the smallest
    integer ``k`` (possibly negative) that fits all arrays at once. Structures
    of similar density therefore share one compiled function.

    :meth:`reserve` instead makes given sizes (e.g. the largest of a set of
    inputs known in advance) the *smallest* shape of a key, so that every
    input up to them shares that one shape.
    """

    def __init__(self, growth: float = 1.15, minimum: int = 16) -> None:
        self.growth = growth
        self.minimum = minimum
        self._reference: dict[object, np.ndarray] = {}
        self._reserved: set[object] = set()

    def __call__(self, key: object, sizes: tuple[int, ...]) -> tuple[int, ...]:
        need = np.asarray(sizes, dtype=np.float64) + 2  # room for the padding pairs
        ref = self._reference.setdefault(key, np.maximum(need, self.minimum))
        k = int(np.ceil(np.max(np.log(need / ref) / np.log(self.growth)) - 1e-9))
        if key in self._reserved:
            k = max(k, 0)
        return tuple(int(x) for x in np.ceil(ref * self.growth**k).astype(np.int64))

    def reserve(self, key: object, sizes: tuple[int, ...]) -> None:
        """Make ``sizes`` (array lengths, as in :meth:`__call__`) the smallest shape of ``key``.

        Replaces the key's reference; larger inputs still get the larger
        buckets ``sizes * growth**k``, k >= 1. An earlier reservation of the key
        stays covered (elementwise maximum), so runs that reserve one after the
        other on a shared descriptor keep sharing one shape.
        """
        need = np.maximum(np.asarray(sizes, dtype=np.float64) + 2, self.minimum)
        if key in self._reserved:
            need = np.maximum(need, self._reference[key])
        self._reference[key] = need
        self._reserved.add(key)


@dataclass(frozen=True)
class _BoundCutoff:
    """A cutoff function with its inner-cutoff parameter fixed."""

    function: CutoffFunction
    alpha: float


def pair_factors(
    r: tf.Tensor, cutoff: CutoffFunction, alpha: float, rc: float, eta: tf.Tensor, rs: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    r"""The radial factor :math:`P(r) = f_c(r)\, e^{-\eta (r - r_s)^2}` and :math:`dP/dr`.

    Parameters
    ----------
    r : tf.Tensor of shape (n,)
        Distances, Å.
    cutoff : CutoffFunction
        With inner-cutoff parameter ``alpha`` and radius ``rc`` (Å).
    eta, rs : tf.Tensor of shape (n_keys,)
        Gaussian widths (1/Å²) and centres (Å).

    Returns
    -------
    P, dP : tf.Tensor of shape (n, n_keys)
        Dimensionless, and 1/Å.
    """
    fc, dfc = cutoff.value_and_derivative(r, rc, alpha)
    shift = r[:, None] - rs
    gauss = tf.exp(-eta * shift * shift)
    return fc[:, None] * gauss, (dfc[:, None] - 2.0 * eta * shift * fc[:, None]) * gauss


class _TermGroup:
    """Functions sharing centre element, neighbour element(s), type and cutoff.

    Subclasses implement :meth:`terms`; :meth:`__call__` multiplies by the
    cutoff product and sums onto the central atoms.
    """

    def __init__(
        self,
        element: int,
        neighbors: tuple[int, ...],
        rc: float,
        columns: list[int],
        functions: list[SymmetryFunction],
    ) -> None:
        self.element = element
        self.neighbors = neighbors
        self.rc = rc
        self.columns = columns
        self.functions = functions


class RadialTerms(_TermGroup):
    r"""Type-2 terms :math:`e^{-\eta (r-r_s)^2}` of one group, shape (n_pairs, n_functions)."""

    def terms(self, r: tf.Tensor) -> tf.Tensor:
        eta = tf.constant([sf.eta for sf in self.functions], r.dtype)
        rs = tf.constant([sf.rs for sf in self.functions], r.dtype)
        return tf.exp(-eta * (r[:, None] - rs) ** 2)  # (pairs, K)

    def __call__(self, r, fc, rows, index, n_rows) -> tf.Tensor:
        r_g = tf.gather(r, index)  # (pairs_g,)
        values = self.terms(r_g) * tf.gather(fc, index)[:, None]  # (pairs_g, K)
        return tf.math.unsorted_segment_sum(values, tf.gather(rows, index), n_rows)  # (rows, K)


def _integer_power(x: tf.Tensor, n: int) -> tf.Tensor:
    """x**n for a small positive integer n by repeated squaring (exact, fast)."""
    result, base = None, x
    while n:
        if n & 1:
            result = base if result is None else result * base
        n >>= 1
        if n:
            base = base * base
    return result


class AngularTerms(_TermGroup):
    r"""Type-3 or type-9 functions of one group, summed over triples, with an analytic gradient.

    For each triple and function ``k`` the term is :math:`V_k = A_k(\cos\theta)\, X_k` with
    :math:`A_k = 2^{1-\zeta}\max(1+\lambda\cos\theta, 0)^\zeta` and the radial part

    .. math::

        X_k = P_k(r_{ij})\, P_k(r_{ik})\, [P_k(r_{jk})],\qquad
        P_k(r) = f_c(r)\, e^{-\eta_k (r - r_{s,k})^2},

    which is the usual :math:`e^{-\eta S_k} f_c(r_{ij}) f_c(r_{ik}) [f_c(r_{jk})]` written as a
    product of one factor per side. The factors of the two sides that are pairs,
    :math:`P(r_{ij})` and :math:`P(r_{ik})`, are computed once per pair and gathered; only
    :math:`P(r_{jk})` is computed per triple. Functions that share :math:`(\eta, r_s)` share
    :math:`X`, those that share :math:`(\lambda, \zeta)` share :math:`A`, and each shared factor is
    computed once.

    The gradient with respect to the pair vectors is written out by hand
    (``tf.custom_gradient``): given the upstream :math:`w_k = \partial L/\partial G_k` of each
    triple's centre, with :math:`g_X = \sum_{k \in X} w_k A_k` and
    :math:`g_A = \sum_{k \in A} w_k X_k` (sums over the functions sharing that factor),

    .. math::

        \frac{\partial L}{\partial r_{ij}} = \sum_X g_X\, P_X'(r_{ij}) P_X(r_{ik}) [P_X(r_{jk})],
        \qquad \frac{\partial L}{\partial\cos\theta} = \sum_A g_A A'(\cos\theta)

    (likewise for :math:`r_{ik}`, :math:`r_{jk}`), chained to :math:`\mathbf D_{ij}, \mathbf D_{ik}`
    through :math:`\partial r_{ij}/\partial\mathbf D_{ij} = \mathbf D_{ij}/r_{ij}`,
    :math:`\partial\cos\theta/\partial\mathbf D_{ij}
    = \mathbf D_{ik}/(r_{ij}r_{ik}) - \cos\theta\,\mathbf D_{ij}/r_{ij}^2`
    and :math:`\partial r_{jk}/\partial\mathbf D_{ij} = (\mathbf D_{ij}-\mathbf D_{ik})/r_{jk}`.
    Autodiff would scatter every intermediate (r, f_c, D) back to the pairs
    separately; this does two scatters per group and makes forces about twice
    as fast. Tests compare it with finite differences.
    """

    def __init__(self, *args, narrow: bool) -> None:
        super().__init__(*args)
        self.narrow = narrow
        #: distinct (lambda, zeta) and (eta, r_s), and the one of each function
        self._angular_keys = sorted({(sf.lambda_, sf.zeta) for sf in self.functions})
        self._radial_keys = sorted({(sf.eta, sf.rs) for sf in self.functions})
        self._angular_of = [self._angular_keys.index((sf.lambda_, sf.zeta)) for sf in self.functions]
        self._radial_of = [self._radial_keys.index((sf.eta, sf.rs)) for sf in self.functions]

    def _angular(self, cos: tf.Tensor) -> tuple[list[tf.Tensor], list[tf.Tensor]]:
        """A and dA/dcos for each distinct (lambda, zeta), each of shape (triples,)."""
        values, slopes = [], []
        for lambda_, zeta in self._angular_keys:
            base = tf.maximum(1.0 + lambda_ * cos, 0.0)
            if float(zeta).is_integer():
                lower = _integer_power(base, int(zeta) - 1) if zeta > 1 else tf.ones_like(base)
            else:
                lower = base ** (zeta - 1.0)
            norm = 2.0 ** (1.0 - zeta)
            values.append(norm * lower * base)
            slopes.append(tf.where(base > 0.0, norm * zeta * lambda_ * lower, tf.zeros_like(base)))
        return values, slopes

    def _radial(self, r: tf.Tensor, cutoff: _BoundCutoff) -> tuple[tf.Tensor, tf.Tensor]:
        """P(r) and dP/dr for each distinct (eta, r_s), each of shape (n, n_keys)."""
        eta = tf.constant([e for e, _ in self._radial_keys], r.dtype)
        rs = tf.constant([s for _, s in self._radial_keys], r.dtype)
        return pair_factors(r, cutoff.function, cutoff.alpha, self.rc, eta, rs)

    def __call__(self, vectors, rows, p, q, n_rows, cutoff) -> tf.Tensor:
        rows_p = tf.gather(rows, p)  # (triples,) output row of each triple's centre

        @tf.custom_gradient
        def summed(vectors):
            r = tf.norm(vectors, axis=1)  # (pairs,)
            pair, pair_slope = self._radial(r, cutoff)  # (pairs, n_radial)
            dp, dq = tf.gather(vectors, p), tf.gather(vectors, q)  # (triples, 3) D_ij, D_ik
            rij, rik = tf.gather(r, p), tf.gather(r, q)
            xij, xik = tf.gather(pair, p), tf.gather(pair, q)  # (triples, n_radial)
            dot = tf.reduce_sum(dp * dq, axis=1)
            cos = dot / (rij * rik)  # not dot * inverse: exact for exactly collinear triples
            if self.narrow:
                tiny = np.finfo(vectors.dtype.as_numpy_dtype).tiny
                rjk = tf.sqrt(tf.maximum(rij * rij + rik * rik - 2.0 * dot, tiny))
                xjk, xjk_slope = self._radial(rjk, cutoff)
                radial = xij * xik * xjk  # (triples, n_radial) X
            else:
                radial = xij * xik
            angular, slope = self._angular(cos)
            values = tf.stack(
                [angular[a] * radial[:, x] for a, x in zip(self._angular_of, self._radial_of)], axis=1
            )  # (triples, K)
            out = tf.math.unsorted_segment_sum(values, rows_p, n_rows)  # (rows, K)

            def gradient(upstream):
                w = tf.gather(upstream, rows_p)  # (triples, K) dL/dG of the triple's centre
                functions = list(enumerate(zip(self._angular_of, self._radial_of)))
                g_radial = [  # dL/dX per radial key
                    tf.add_n([w[:, k] * angular[a] for k, (a, x) in functions if x == key])
                    for key in range(len(self._radial_keys))
                ]
                s_cos = tf.add_n(
                    [
                        slope[key] * tf.add_n([w[:, k] * radial[:, x] for k, (a, x) in functions if a == key])
                        for key in range(len(self._angular_keys))
                    ]
                )
                g_radial = tf.stack(g_radial, axis=1)  # (triples, n_radial)
                others = xik * xjk if self.narrow else xik
                s_ij = tf.reduce_sum(g_radial * tf.gather(pair_slope, p) * others, axis=1)
                others = xij * xjk if self.narrow else xij
                s_ik = tf.reduce_sum(g_radial * tf.gather(pair_slope, q) * others, axis=1)
                inverse = 1.0 / (rij * rik)
                gp = (s_cos * inverse)[:, None] * dq - (s_cos * cos / rij**2 - s_ij / rij)[:, None] * dp
                gq = (s_cos * inverse)[:, None] * dp - (s_cos * cos / rik**2 - s_ik / rik)[:, None] * dq
                if self.narrow:
                    s_jk = tf.reduce_sum(g_radial * xij * xik * xjk_slope, axis=1) / rjk
                    gp += s_jk[:, None] * (dp - dq)
                    gq -= s_jk[:, None] * (dp - dq)
                n_pairs = tf.shape(vectors)[0]
                return tf.math.unsorted_segment_sum(gp, p, n_pairs) + tf.math.unsorted_segment_sum(
                    gq, q, n_pairs
                )  # (pairs, 3)

            return out, gradient

        return summed(vectors)


class SymmetryFunctionSet:
    """The symmetry functions of every element, as a TensorFlow graph and as compiled loops.

    :meth:`compute` gives the values of one structure (the loops,
    :class:`~nnp_tutorial.descriptor_loops.DescriptorLoops`); :meth:`call` is the
    differentiable TensorFlow graph that the training Jacobians and the float32
    engine build on.

    Parameters
    ----------
    functions : dict of str to list
        Per element, its :class:`~nnp_tutorial.symmetry_functions.RadialG2`,
        ``AngularG3`` and ``AngularG9`` records (Å). They are sorted into
        n2p2's order, which defines the output columns.
    cutoff_type : int or str, default 2
        Cutoff code (:func:`~nnp_tutorial.cutoffs.get_cutoff`).
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
        self.radial_groups: list[RadialTerms] = []
        self.angular_groups: list[AngularTerms] = []
        self._column_order: dict[str, np.ndarray] = {}
        for e in self.elements:
            grouped: dict[tuple, list[tuple[int, SymmetryFunction]]] = defaultdict(list)
            for column, sf in enumerate(self.functions[e]):
                grouped[(sf.type, tuple(index[n] for n in sf.neighbors), sf.rc)].append((column, sf))
            produced = []
            for (sf_type, neighbors, rc), members in grouped.items():
                args = (index[e], neighbors, rc, [c for c, _ in members], [sf for _, sf in members])
                if sf_type == RadialG2.type:
                    self.radial_groups.append(RadialTerms(*args))
                else:
                    self.angular_groups.append(AngularTerms(*args, narrow=sf_type == AngularG3.type))
                produced += args[3]
            self._column_order[e] = np.argsort(produced)
        self._rcs = sorted({g.rc for g in [*self.radial_groups, *self.angular_groups]})
        self._element_index = np.full(len(chemical_symbols), -1)  # atomic number -> element index
        self._element_index[[atomic_numbers[e] for e in self.elements]] = np.arange(len(self.elements))
        self._buckets = {kind: ShapeBuckets(growth) for kind, growth in BUCKET_GROWTH.items()}
        self._compiled = tf.function(self._forward, jit_compile=True)

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
        its compiled function, its shape buckets (and reservations) and, for networks of the
        same size, their compiled graphs (:class:`~nnp_tutorial.model.Architecture`).
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

    # -- numpy side: neighbour lists and index arrays ---------------------------------
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

    def inputs(
        self, pairs: PairList, rows: np.ndarray | None = None, n_rows: tuple[int, ...] | None = None
    ) -> DescriptorInputs:
        """Index arrays for :meth:`call`.

        Parameters
        ----------
        pairs : PairList
        rows : ndarray of shape (n_atoms,), optional
            Output row of each atom; by default the position of the atom among
            the atoms of its element (all atoms get a row).
        n_rows : tuple of int, optional
            Rows per element; by default the number of atoms of each element.
        """
        species = pairs.species
        n_el = len(self.elements)
        if rows is None:
            rows = element_rows(species, n_el)
            n_rows = tuple(int(n) for n in np.bincount(species, minlength=n_el))
        pair_species = species[pairs.centers] * n_el + species[pairs.neighbors]
        radial = [
            np.flatnonzero(pair_species == g.element * n_el + g.neighbors[0]).astype(np.int32)
            for g in self.radial_groups
        ]
        angular = list(
            _TRIPLE_POOL.map(
                lambda g: triples(pairs, g.element, *g.neighbors, g.rc if g.narrow else None),
                self.angular_groups,
            )
        )
        return DescriptorInputs(
            pairs.vectors,
            rows[pairs.centers].astype(np.int32),
            pairs.centers.astype(np.int32),
            pairs.neighbors.astype(np.int32),
            radial,
            angular,
            tuple(int(n) for n in n_rows),
        )

    def padded(self, inputs: DescriptorInputs, kind: str = "structure") -> DescriptorInputs:
        """``inputs`` padded to a bucketed shape (see :class:`ShapeBuckets`).

        ``kind`` (a key of :data:`BUCKET_GROWTH`: ``"structure"`` or ``"moving"`` for
        :meth:`moving_inputs`) keeps differently proportioned inputs in separate
        sets of buckets, each with its own growth factor.
        """
        sizes = self._buckets[kind](inputs.n_rows, inputs.sizes())
        return inputs.padded(sizes, far=3.0 * self.cutoff)

    def reserve(self, inputs: Iterable[DescriptorInputs], kind: str = "structure") -> None:
        """Pad all later inputs up to the largest of ``inputs`` to one shape per composition.

        For each ``n_rows`` (composition) among ``inputs`` (unpadded, e.g. all the
        inputs a run will need), the elementwise maximum of their
        :meth:`DescriptorInputs.sizes` becomes the smallest shape of that key, so
        XLA compiles once per composition; see :meth:`ShapeBuckets.reserve`.
        """
        largest: dict[tuple[int, ...], np.ndarray] = {}
        for x in inputs:
            largest[x.n_rows] = np.maximum(largest.get(x.n_rows, 0), x.sizes())
        for n_rows, lengths in largest.items():
            self._buckets[kind].reserve(n_rows, tuple(int(n) for n in lengths))

    # -- TensorFlow side ---------------------------------------------------------------
    def call(self, vectors, rows, radial, angular_p, angular_q, n_rows: tuple[int, ...]) -> list[tf.Tensor]:
        """Raw symmetry functions from pair vectors (TensorFlow, differentiable).

        Parameters
        ----------
        vectors : tf.Tensor of shape (n_pairs, 3)
            Pair vectors D_p, Å.
        rows : tf.Tensor of shape (n_pairs,), int32
            Output row of each pair's centre.
        radial : list of tf.Tensor
            Pair indices of each radial group.
        angular_p, angular_q : list of tf.Tensor
            Pair indices ``p`` (i→j) and ``q`` (i→k) of each angular group's triples.
        n_rows : tuple of int
            Output rows per element (static: XLA compiles one graph per value).

        Returns
        -------
        list of tf.Tensor
            Per element (in :attr:`elements` order), shape (n_rows[e], n_functions[e]).
        """
        r = tf.norm(vectors, axis=1)  # (pairs,)
        fc = {rc: self.cutoff_function(r, rc, self.cutoff_alpha) for rc in self._rcs}
        blocks: list[list[tf.Tensor]] = [[] for _ in self.elements]
        for g, index in zip(self.radial_groups, radial):
            if n_rows[g.element]:  # XLA sums onto no rows only with an error
                blocks[g.element].append(g(r, fc[g.rc], rows, index, n_rows[g.element]))
        cutoff = _BoundCutoff(self.cutoff_function, self.cutoff_alpha)
        for g, p, q in zip(self.angular_groups, angular_p, angular_q):
            if n_rows[g.element]:
                blocks[g.element].append(g(vectors, rows, p, q, n_rows[g.element], cutoff))
        return [
            tf.gather(tf.concat(b, axis=1), self._column_order[e], axis=1)  # (rows, n_sf)
            if n
            else tf.zeros((0, self.n_functions[e]), vectors.dtype)  # no atoms of this element
            for e, b, n in zip(self.elements, blocks, n_rows)
        ]

    def _forward(self, vectors, rows, centers, neighbors, radial, angular_p, angular_q, n_rows):
        return self.call(vectors, rows, radial, angular_p, angular_q, n_rows)

    def moving_inputs(self, inputs: DescriptorInputs, atoms: np.ndarray) -> DescriptorInputs:
        """``inputs`` restricted to the terms that change when any of ``atoms`` moves.

        Keeps every pair (so pair indices stay those of ``inputs``) but only the
        radial terms of pairs with an end in ``atoms`` and the angular triples
        that contain such a pair. The gradient of :meth:`call` on these inputs
        with respect to a *moving* pair vector is therefore complete, which is
        all that the forces on ``atoms`` need; the other pairs' gradients are
        partial and must not be used.

        Parameters
        ----------
        inputs : DescriptorInputs
            Unpadded inputs of the whole structure (:meth:`inputs`).
        atoms : ndarray of int
            Indices of the atoms that move.
        """
        moving = np.isin(inputs.centers, atoms) | np.isin(inputs.neighbors, atoms)  # (n_pairs,)
        angular = []
        for p, q in inputs.angular:
            keep = moving[p] | moving[q]
            angular.append((p[keep], q[keep]))
        return replace(inputs, radial=[i[moving[i]] for i in inputs.radial], angular=angular)

    def compute(self, atoms: Atoms, pairs: PairList | None = None) -> dict[str, np.ndarray]:
        """Symmetry functions of one structure (``pairs``: its neighbour pairs, if already known).

        Float64, by the compiled loops (:attr:`loops`): no XLA compilation per
        array shape, about 3× faster than the TensorFlow graph
        (:meth:`from_inputs`), which gives the same values to round-off.

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

    def from_inputs(self, inputs: DescriptorInputs) -> dict[str, np.ndarray]:
        """Symmetry functions from (padded) index arrays, as returned by :meth:`compute`."""
        g = self._compiled(*inputs.tensors(), inputs.n_rows)
        return {e: x.numpy() for e, x in zip(self.elements, g)}

    def __repr__(self) -> str:
        counts = ", ".join(f"{e}: {n}" for e, n in self.n_functions.items())
        return f"SymmetryFunctionSet({counts}; cutoff {self.cutoff:.3f} Å, type {self.cutoff_type})"
