r"""Behler symmetry functions as a differentiable TensorFlow graph (float64, or float32).

:class:`DescriptorGraph` turns pair vectors into the raw (unscaled) symmetry functions
:math:`G` of every atom. Everything is a function of the pair vectors
:math:`\mathbf D_p = \mathbf r_j - \mathbf r_i` only, so the energy is translation
invariant by construction and forces and the virial follow from one gradient
:math:`\partial E/\partial \mathbf D_p` (see :mod:`nnp_tutorial.model`).

Each term group (:class:`~nnp_tutorial.descriptors.terms.TermGroup`) evaluates all its
functions at once as a ``(n_pairs or n_triples, n_functions)`` array and scatter-adds the
rows onto the central atoms (``tf.math.unsorted_segment_sum``): :class:`RadialTerms` and
:class:`AngularTerms`, both from the pair factor of :func:`pair_factors`. Inner cosine
cutoffs with α > 0 are supported. The graph is XLA-compiled once per padded shape
(:class:`ShapeBuckets`); the model's ``"graph"`` engine and the training labels' test
oracle run on it, the compiled loops (:mod:`.loops`) give the same numbers to round-off.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import tensorflow as tf

from .cutoffs import CutoffFunction
from .neighbors import PairList, triples
from .terms import GroupedFunctions, TermGroup


@dataclass
class DescriptorInputs:
    """Index arrays that tell :meth:`DescriptorGraph.call` what to sum.

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

#: Growth factor of the shape buckets per kind of input (see :meth:`DescriptorGraph.padded`).
#: The inputs of force labels (:meth:`DescriptorGraph.moving_inputs`) vary far more in size
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
    """

    def __init__(self, growth: float = 1.15, minimum: int = 16) -> None:
        self.growth = growth
        self.minimum = minimum
        self._reference: dict[object, np.ndarray] = {}

    def __call__(self, key: object, sizes: tuple[int, ...]) -> tuple[int, ...]:
        need = np.asarray(sizes, dtype=np.float64) + 2  # room for the padding pairs
        ref = self._reference.setdefault(key, np.maximum(need, self.minimum))
        k = int(np.ceil(np.max(np.log(need / ref) / np.log(self.growth)) - 1e-9))
        return tuple(int(x) for x in np.ceil(ref * self.growth**k).astype(np.int64))


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


class RadialTerms:
    r"""Type-2 terms :math:`P(r_{ij}) = f_c(r_{ij})\,e^{-\eta (r_{ij}-r_s)^2}` of one group,
    summed onto the centres."""

    def __init__(self, group: TermGroup) -> None:
        self.group = group

    def __call__(self, r, rows, index, n_rows, cutoff: _BoundCutoff) -> tf.Tensor:
        g = self.group
        eta = tf.constant([e for e, _ in g.radial_keys], r.dtype)
        rs = tf.constant([s for _, s in g.radial_keys], r.dtype)
        pair, _ = pair_factors(tf.gather(r, index), cutoff.function, cutoff.alpha, g.rc, eta, rs)
        values = tf.gather(pair, g.radial_of, axis=1)  # (pairs_g, K)
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


class AngularTerms:
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

    def __init__(self, group: TermGroup) -> None:
        self.group = group

    def _angular(self, cos: tf.Tensor) -> tuple[list[tf.Tensor], list[tf.Tensor]]:
        """A and dA/dcos for each distinct (lambda, zeta), each of shape (triples,)."""
        values, slopes = [], []
        for lambda_, zeta in self.group.angular_keys:
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
        eta = tf.constant([e for e, _ in self.group.radial_keys], r.dtype)
        rs = tf.constant([s for _, s in self.group.radial_keys], r.dtype)
        return pair_factors(r, cutoff.function, cutoff.alpha, self.group.rc, eta, rs)

    def __call__(self, vectors, rows, p, q, n_rows, cutoff) -> tf.Tensor:
        narrow, angular_of, radial_of = self.group.narrow, self.group.angular_of, self.group.radial_of
        n_angular, n_radial = len(self.group.angular_keys), len(self.group.radial_keys)
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
            if narrow:
                tiny = np.finfo(vectors.dtype.as_numpy_dtype).tiny
                rjk = tf.sqrt(tf.maximum(rij * rij + rik * rik - 2.0 * dot, tiny))
                xjk, xjk_slope = self._radial(rjk, cutoff)
                radial = xij * xik * xjk  # (triples, n_radial) X
            else:
                radial = xij * xik
            angular, slope = self._angular(cos)
            values = tf.stack(
                [angular[a] * radial[:, x] for a, x in zip(angular_of, radial_of)], axis=1
            )  # (triples, K)
            out = tf.math.unsorted_segment_sum(values, rows_p, n_rows)  # (rows, K)

            def gradient(upstream):
                w = tf.gather(upstream, rows_p)  # (triples, K) dL/dG of the triple's centre
                functions = list(enumerate(zip(angular_of, radial_of)))
                g_radial = [  # dL/dX per radial key
                    tf.add_n([w[:, k] * angular[a] for k, (a, x) in functions if x == key])
                    for key in range(n_radial)
                ]
                s_cos = tf.add_n(
                    [
                        slope[key] * tf.add_n([w[:, k] * radial[:, x] for k, (a, x) in functions if a == key])
                        for key in range(n_angular)
                    ]
                )
                g_radial = tf.stack(g_radial, axis=1)  # (triples, n_radial)
                others = xik * xjk if narrow else xik
                s_ij = tf.reduce_sum(g_radial * tf.gather(pair_slope, p) * others, axis=1)
                others = xij * xjk if narrow else xij
                s_ik = tf.reduce_sum(g_radial * tf.gather(pair_slope, q) * others, axis=1)
                inverse = 1.0 / (rij * rik)
                gp = (s_cos * inverse)[:, None] * dq - (s_cos * cos / rij**2 - s_ij / rij)[:, None] * dp
                gq = (s_cos * inverse)[:, None] * dp - (s_cos * cos / rik**2 - s_ik / rik)[:, None] * dq
                if narrow:
                    s_jk = tf.reduce_sum(g_radial * xij * xik * xjk_slope, axis=1) / rjk
                    gp += s_jk[:, None] * (dp - dq)
                    gq -= s_jk[:, None] * (dp - dq)
                n_pairs = tf.shape(vectors)[0]
                return tf.math.unsorted_segment_sum(gp, p, n_pairs) + tf.math.unsorted_segment_sum(
                    gq, q, n_pairs
                )  # (pairs, 3)

            return out, gradient

        return summed(vectors)


class DescriptorGraph:
    """The functions of a :class:`~nnp_tutorial.descriptors.SymmetryFunctionSet` as a TensorFlow graph.

    :meth:`inputs` builds the index arrays of a structure (NumPy), :meth:`padded` pads them to
    a bucketed shape, :meth:`call` is the differentiable graph (float64 or float32, as the
    pair vectors), :meth:`from_inputs` its XLA-compiled evaluation.

    Parameters
    ----------
    descriptor : GroupedFunctions
        A :class:`~nnp_tutorial.descriptors.SymmetryFunctionSet`, or anything with its term groups.
    """

    def __init__(self, descriptor: GroupedFunctions) -> None:
        self.descriptor = descriptor
        self.radial_terms = [RadialTerms(g) for g in descriptor.radial_groups]
        self.angular_terms = [AngularTerms(g) for g in descriptor.angular_groups]
        # the columns in the order call() concatenates them (radial groups, then angular), to n2p2's
        self._column_order = []
        for k in range(len(descriptor.elements)):
            produced = [c for g in [*descriptor.radial_groups, *descriptor.angular_groups] if g.element == k
                        for c in g.columns]  # fmt: skip
            self._column_order.append(np.argsort(produced))
        self._buckets = {kind: ShapeBuckets(growth) for kind, growth in BUCKET_GROWTH.items()}
        self._compiled = tf.function(self._forward, jit_compile=True)

    def inputs(self, pairs: PairList, centers: np.ndarray | None = None) -> DescriptorInputs:
        """Index arrays for :meth:`call`: the functions of the atoms ``centers`` (all by default).

        Parameters
        ----------
        pairs : PairList
            The whole structure's pairs.
        centers : ndarray of shape (n_atoms,), bool, optional
            The atoms whose functions are computed (e.g. a chunk of a large box); each gets
            the row of its position among the selected atoms of its element.
        """
        species = pairs.species
        n_el = len(self.descriptor.elements)
        selected = np.ones(len(species), bool) if centers is None else np.asarray(centers, bool)
        rows = np.full(len(species), -1, np.int64)  # pairs of other centres add nothing
        for k in range(n_el):
            members = np.flatnonzero(selected & (species == k))
            rows[members] = np.arange(len(members))
        n_rows = tuple(int(n) for n in np.bincount(species[selected], minlength=n_el))
        pair_species = np.where(
            selected[pairs.centers], species[pairs.centers] * n_el + species[pairs.neighbors], -1
        )
        radial = [
            np.flatnonzero(pair_species == g.element * n_el + g.neighbors[0]).astype(np.int32)
            for g in self.descriptor.radial_groups
        ]
        angular = list(
            _TRIPLE_POOL.map(
                lambda g: triples(
                    pairs, g.element, *g.neighbors, g.rc if g.narrow else None, np.flatnonzero(rows >= 0)
                ),
                self.descriptor.angular_groups,
            )
        )
        return DescriptorInputs(
            pairs.vectors,
            rows[pairs.centers].astype(np.int32),
            pairs.centers.astype(np.int32),
            pairs.neighbors.astype(np.int32),
            radial,
            angular,
            n_rows,
        )

    def padded(self, inputs: DescriptorInputs, kind: str = "structure") -> DescriptorInputs:
        """``inputs`` padded to a bucketed shape (see :class:`ShapeBuckets`).

        ``kind`` (a key of :data:`BUCKET_GROWTH`: ``"structure"`` or ``"moving"`` for
        :meth:`moving_inputs`) keeps differently proportioned inputs in separate
        sets of buckets, each with its own growth factor.
        """
        sizes = self._buckets[kind](inputs.n_rows, inputs.sizes())
        return inputs.padded(sizes, far=3.0 * self.descriptor.cutoff)

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
        descriptor = self.descriptor
        cutoff = _BoundCutoff(descriptor.cutoff_function, descriptor.cutoff_alpha)
        blocks: list[list[tf.Tensor]] = [[] for _ in descriptor.elements]
        for terms, index in zip(self.radial_terms, radial):
            k = terms.group.element
            if n_rows[k]:  # XLA sums onto no rows only with an error
                blocks[k].append(terms(r, rows, index, n_rows[k], cutoff))
        for terms, p, q in zip(self.angular_terms, angular_p, angular_q):
            k = terms.group.element
            if n_rows[k]:
                blocks[k].append(terms(vectors, rows, p, q, n_rows[k], cutoff))
        return [
            tf.gather(tf.concat(b, axis=1), self._column_order[k], axis=1)  # (rows, n_sf)
            if n
            else tf.zeros((0, descriptor.n_functions[e]), vectors.dtype)  # no atoms of this element
            for k, (e, b, n) in enumerate(zip(descriptor.elements, blocks, n_rows))
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

    def from_inputs(self, inputs: DescriptorInputs) -> dict[str, np.ndarray]:
        """Symmetry functions from (padded) index arrays, as returned by :meth:`compute`."""
        g = self._compiled(*inputs.tensors(), inputs.n_rows)
        return {e: x.numpy() for e, x in zip(self.descriptor.elements, g)}
