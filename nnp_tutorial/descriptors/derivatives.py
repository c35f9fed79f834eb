r"""Derivatives of the symmetry functions with respect to a few drawn atoms (numba).

A force label :math:`F_c = -\partial E/\partial x_c` of one Cartesian component
:math:`c` (atom :math:`a`, axis :math:`d`) needs, for every centre :math:`i` whose
functions move with :math:`a` (:math:`a` itself and its neighbours), the vector

.. math::

    \frac{\partial G_{is}}{\partial x_{a,d}}, \qquad s = 1 \dots n_\text{functions},

which depends on the structure only, not on the weights. :class:`DrawnAtomDerivatives`
computes these for the drawn components only (one axis each), by compiled loops over

* the radial terms :math:`P(r_{ij})` of the pairs with an end at :math:`a`;
* the angular triples that contain :math:`a`: those centred on :math:`a` (found as in
  :mod:`nnp_tutorial.descriptors.loops`), and those centred on a neighbour :math:`i`
  with :math:`a` as one of the two sides, whose third side :math:`a \to k` is a pair
  of :math:`a` (looked up among :math:`a`'s pairs by atom and cell shift).

A triple's term :math:`V = A(\cos\theta)\,P(r_{ij})P(r_{ik})[P(r_{jk})]` depends on the
sides :math:`\mathbf D_1 = \mathbf D_{ij}`, :math:`\mathbf D_2 = \mathbf D_{ik}` and
:math:`\mathbf D_3 = \mathbf D_2 - \mathbf D_1`; with :math:`w_v = 1` for each vertex
:math:`v \in \{i, j, k\}` that is (an image of) :math:`a`,

.. math::

    \frac{\partial V}{\partial \mathbf x_a} = (w_j - w_i)\frac{\partial V}{\partial \mathbf D_1}
      + (w_k - w_i)\frac{\partial V}{\partial \mathbf D_2}
      + (w_k - w_j)\frac{\partial V}{\partial \mathbf D_3},

with :math:`\partial V/\partial\mathbf D_1 = A'X\,\partial\cos\theta/\partial\mathbf D_1
+ A\,P_1'P_2P_3\,\mathbf D_1/r_1` and likewise for the other sides (the chain rule of
:class:`~nnp_tutorial.descriptors.graph.AngularTerms`). Pair terms :math:`P, P'` come from the
formula of :func:`~nnp_tutorial.descriptors.loops.gaussian_pair_term` (shared with the loops
of the structure's functions) and the cutoff registry, stored pair-major so that a triple
finds all its keys in one or two cache lines.
Images of one atom (boxes shorter than :math:`2r_c`) are different pair
entries of the same atom: each contributes, and a triple with two images of
:math:`a` is counted once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numba
import numpy as np

from .loop_kernels import gaussian_pair_term
from .loops import DescriptorLoops
from .neighbors import PairList, centre_triples, shift_codes


@numba.njit(nogil=True, cache=True, fastmath={"contract"})
def _pair_terms(pairs, r, inverse_r, cut, rc_of, eta, rs, keys, out):
    """``out[t, 0, x]`` = P and ``out[t, 1, x]`` = P'/r of pair ``pairs[t]`` and key ``keys[x]``.

    ``cut``: :meth:`~nnp_tutorial.descriptors.loops.DescriptorLoops.cutoff_table`; ``rc_of``,
    ``eta``, ``rs``: each key's cutoff radius (row pair of ``cut``), width and centre.
    """
    for t in range(len(pairs)):
        p = pairs[t]
        for x in range(len(keys)):
            k = keys[x]
            P, dP = gaussian_pair_term(cut[2 * rc_of[k], p], cut[2 * rc_of[k] + 1, p], r[p] - rs[k], eta[k])
            out[t, 0, x] = P
            out[t, 1, x] = dP * inverse_r[p]


@numba.njit(nogil=True, cache=True)
def _drawn_rows(drawn, neighbors, block_start, block_count):
    """Rows of the centres that move with each drawn atom: itself first, then its other neighbours.

    ``drawn``: the atom of each drawn component (an atom drawn twice gets its rows twice).
    Returns ``row_of`` (drawn, atoms): the row of centre i for drawn entry u, -1 where i
    does not move with it, and ``centers`` (rows,): the centre of each row.
    """
    n_atoms, n_species = block_start.shape
    row_of = np.full((len(drawn), n_atoms), -1, np.int64)
    centers = []
    for u in range(len(drawn)):
        a = drawn[u]
        row_of[u, a] = len(centers)
        centers.append(a)
        for f in range(n_species):
            for p in range(block_start[a, f], block_start[a, f] + block_count[a, f]):
                i = neighbors[p]
                if row_of[u, i] < 0:
                    row_of[u, i] = len(centers)
                    centers.append(i)
    return row_of, np.array(centers, dtype=np.int64)


@numba.njit(nogil=True, cache=True)
def _radial_derivatives(vectors, radial, slot, species, neighbors, starts, counts, drawn, axes, row_of, e, f,
                        keys, columns, out):  # fmt: skip
    """Add ∂G/∂x_{a,d} of the radial functions of centre element ``e``, neighbour element ``f``.

    G_i = Σ_j P(r_ij): a pair a → j moves the centre a, a pair i → a (the reverse of a → i)
    the centre i; both by ``-P'(r) D_d/r`` with D the vector of the pair of a
    (P'/r of pair p: ``radial[slot[p], 1]``, see :meth:`DrawnAtomDerivatives.pair_terms`).
    """
    for u in range(len(drawn)):
        a, d = drawn[u], axes[u]
        for role in range(2):
            # role 0: a is the centre (pairs a -> j, j of element f); 1: a is the neighbour
            if species[a] != (e if role == 0 else f):
                continue
            other = f if role == 0 else e
            for p in range(starts[a, other], starts[a, other] + counts[a, other]):
                m = neighbors[p]
                if m == a:  # an image of a itself: the pair vector does not change
                    continue
                row = row_of[u, a] if role == 0 else row_of[u, m]
                for s in range(len(keys)):
                    out[row, columns[s]] -= radial[slot[p], 1, keys[s]] * vectors[p, d]


@numba.njit(nogil=True, cache=True)
def _mark_pairs(a, element, starts, counts, neighbors, head, chain):
    """Chain a's pairs of ``element`` by neighbour atom (``head[atom]``, ``chain[b]``, -1 ends)."""
    s, n = starts[a, element], counts[a, element]
    for b in range(n):
        k = neighbors[s + b]
        chain[b] = head[k]
        head[k] = b


@numba.njit(nogil=True, cache=True)
def _unmark_pairs(a, element, starts, counts, neighbors, head):
    for b in range(counts[a, element]):
        head[neighbors[starts[a, element] + b]] = -1


@numba.njit(nogil=True, cache=True)
def _find_pair(a, element, atom, code, starts, codes, head, chain):
    """Index of the pair a → ``atom`` with shift code ``code`` (marked by :func:`_mark_pairs`), or -1."""
    b = head[atom]
    s = starts[a, element]
    while b >= 0 and codes[s + b] != code:
        b = chain[b]
    return -1 if b < 0 else s + b


@numba.njit(nogil=True, cache=True)
def _angular_room(species, neighbors, starts, counts, drawn, e, e1, e2):
    """The most candidate triples of one group that a drawn atom takes part in (buffer size)."""
    most = 1
    for a in drawn:
        n = 0
        if species[a] == e:
            n += counts[a, e1] * counts[a, e2]
        for role in range(2):
            if species[a] == (e1 if role == 0 else e2) and not (role == 1 and e1 == e2):
                other = e2 if role == 0 else e1
                for p in range(starts[a, e], starts[a, e] + counts[a, e]):
                    n += counts[neighbors[p], other]
        most = max(most, n + 1)
    return most


# long: one compiled pass over the triples of a drawn atom in both roles; split, numba would
# pass the dozen scratch arrays through a call per role and per centre
@numba.njit(nogil=True, cache=True)
def _collect_triples(
    a, rows, species, neighbors, codes, r, starts, counts, e, e1, e2, narrow, max_squared, head, chain,
    tp, tq, to, sign, weights, segment_rows, segment_ends,
):  # fmt: skip
    """The triples of one group that contain the drawn atom ``a``, grouped by the centre's row.

    Side pairs ``tp`` (i → j) and ``tq`` (i → k) with ``sign`` (2, t): +1, or -1 where the side is
    the reverse of a pair of a; third sides ``to`` (-1 for wide functions); ``weights`` (3, t):
    w_j - w_i, w_k - w_i, w_k - w_j of the module docstring. Returns the number of segments:
    triples ``segment_ends[g - 1]:segment_ends[g]`` belong to output row ``segment_rows[g]``.
    """
    same = e1 == e2
    t, g = 0, 0
    if species[a] == e:  # triples centred on a: w_i = 1
        n = centre_triples(
            a, r, neighbors, codes, starts, counts, e1, e2, same, narrow, max_squared, head, chain, tp, tq, to
        )  # fmt: skip
        for u in range(n):
            w_j = 1.0 if neighbors[tp[u]] == a else 0.0
            w_k = 1.0 if neighbors[tq[u]] == a else 0.0
            sign[0, u], sign[1, u] = 1.0, 1.0
            weights[0, u], weights[1, u], weights[2, u] = w_j - 1.0, w_k - 1.0, w_k - w_j
            if not narrow:
                to[u] = -1
        t = n
        segment_rows[g], segment_ends[g] = rows[a], t
        g += 1
    for role in range(2):  # a as the side j (element e1), then as the side k (element e2)
        if species[a] != (e1 if role == 0 else e2) or (role == 1 and same):
            continue
        other = e2 if role == 0 else e1  # element of the triple's other side
        if narrow:
            _mark_pairs(a, other, starts, counts, neighbors, head, chain)
        for p in range(starts[a, e], starts[a, e] + counts[a, e]):  # a -> i: centres i of element e
            i = neighbors[p]
            if i == a:
                continue
            code_a = -codes[p]  # of the side i -> a
            for q in range(starts[i, other], starts[i, other] + counts[i, other]):
                w_other = 0.0
                if same and neighbors[q] == a:  # both sides are images of a: count the triple once
                    if codes[q] <= code_a:
                        continue
                    w_other = 1.0
                o = -1
                if narrow:  # the third side a -> (other end of q) is a pair of a
                    o = _find_pair(a, other, neighbors[q], codes[p] + codes[q], starts, codes, head, chain)
                    if o < 0 or r[o] * r[o] >= max_squared:
                        continue
                to[t] = o
                if role == 0:  # (i; a, k): w_j = 1, w_k = w_other
                    tp[t], tq[t], sign[0, t], sign[1, t] = p, q, -1.0, 1.0
                    weights[0, t], weights[1, t], weights[2, t] = 1.0, w_other, w_other - 1.0
                else:  # (i; j, a): w_k = 1
                    tp[t], tq[t], sign[0, t], sign[1, t] = q, p, 1.0, -1.0
                    weights[0, t], weights[1, t], weights[2, t] = 0.0, 1.0, 1.0
                t += 1
            if g == 0 or segment_ends[g - 1] < t:
                segment_rows[g], segment_ends[g] = rows[i], t
                g += 1
        if narrow:
            _unmark_pairs(a, other, starts, counts, neighbors, head)
    return g


@numba.njit(nogil=True, cache=True, fastmath={"contract", "reassoc"})
def _triple_factors(vectors, inverse_r, terms, slots, narrow, lambdas, zetas, tp, tq, to, sign, weights, n,
                    axis, cos, XC, Y, A, dA):  # fmt: skip
    """Per triple, for the drawn axis d only: cos θ; per radial key XC = X C with
    C = Σ weight × ∂cos θ/∂D_d, and Y = ∂X along the weighted sides (d component); per angular
    key A, dA/dcos θ. ``terms`` (pairs, 2, keys): P and P'/r; ``slots``: the group's keys in it."""
    for t in range(n):
        p, q = tp[t], tq[t]
        i1, i2 = inverse_r[p], inverse_r[q]
        v1, v2 = vectors[p], vectors[q]
        c = sign[0, t] * sign[1, t] * (v1[0] * v2[0] + v1[1] * v2[1] + v1[2] * v2[2]) * i1 * i2
        cos[t] = c
        D1, D2 = sign[0, t] * v1[axis], sign[1, t] * v2[axis]
        i12 = i1 * i2
        C = weights[0, t] * (D2 * i12 - c * D1 * i1 * i1) + weights[1, t] * (D1 * i12 - c * D2 * i2 * i2)
        w1, w2, w3 = weights[0, t] * D1, weights[1, t] * D2, weights[2, t] * (D2 - D1)
        o = to[t] if narrow else 0
        for x in range(len(slots)):
            k = slots[x]
            P1, P2, d1, d2 = terms[p, 0, k], terms[q, 0, k], terms[p, 1, k], terms[q, 1, k]
            if narrow:
                P3 = terms[o, 0, k]
                y = w3 * P1 * P2 * terms[o, 1, k]
            else:
                P3, y = 1.0, 0.0
            Y[x, t] = y + (w1 * d1 * P2 + w2 * P1 * d2) * P3
            XC[x, t] = P1 * P2 * P3 * C
    for k in range(len(lambdas)):  # as loop_kernels.centre_factors
        lam, zeta = lambdas[k], zetas[k]
        norm = 2.0 ** (1.0 - zeta)
        integer = zeta == np.floor(zeta)
        for t in range(n):
            base = max(1.0 + lam * cos[t], 0.0)
            if integer:
                lower = 1.0
                for _ in range(int(zeta) - 1):
                    lower *= base
            else:
                lower = base ** (zeta - 1.0)
            A[k, t] = norm * lower * base
            dA[k, t] = norm * zeta * lam * lower if base > 0.0 else 0.0


@numba.njit(nogil=True, cache=True, fastmath={"contract", "reassoc"})
def _accumulate(n_segments, segment_rows, segment_ends, a_of, x_of, columns, XC, Y, A, dA, out):
    """``out[row, column] += Σ_t dA X C + A Y`` over each segment's triples, for every function."""
    start = 0
    for g in range(n_segments):
        end, row = segment_ends[g], segment_rows[g]
        for s in range(len(columns)):
            a, x = a_of[s], x_of[s]
            total = 0.0
            for t in range(start, end):
                total += dA[a, t] * XC[x, t] + A[a, t] * Y[x, t]
            out[row, columns[s]] += total
        start = end


@numba.njit(nogil=True, cache=True)
def _angular_derivatives(
    vectors, r, inverse_r, terms, slots, species, neighbors, codes, starts, counts, drawn, axes, row_of, e,
    e1, e2, narrow, max_squared, lambdas, zetas, a_of, x_of, columns, out, room,
):  # fmt: skip
    """Add ∂G/∂x_{a,d} of the angular functions of one group (centre ``e``, neighbours ``e1 <= e2``).

    For each drawn component (atom a, axis d): the triples of a (:func:`_collect_triples`), their
    factors as arrays over the triples (:func:`_triple_factors`), then sums per centre and function
    (:func:`_accumulate`). ``room``: :func:`_angular_room` of these atoms.
    """
    head = np.full(len(species), -1, np.int64)
    chain = np.empty(max(counts[:, e2].max(), counts[:, e1].max(), 1), np.int64)
    tp, tq, to = np.empty(room, np.int32), np.empty(room, np.int32), np.empty(room, np.int32)
    sign, weights = np.empty((2, room)), np.empty((3, room))
    cos = np.empty(room)
    nx, na = len(slots), len(lambdas)
    XC, Y, A, dA = np.empty((nx, room)), np.empty((nx, room)), np.empty((na, room)), np.empty((na, room))
    most_rows = counts[drawn].sum() + 2
    segment_rows, segment_ends = np.empty(most_rows, np.int64), np.empty(most_rows, np.int64)
    for u in range(len(drawn)):
        n_segments = _collect_triples(
            drawn[u], row_of[u], species, neighbors, codes, r, starts, counts, e, e1, e2, narrow,
            max_squared, head, chain, tp, tq, to, sign, weights, segment_rows, segment_ends,
        )  # fmt: skip
        n = segment_ends[n_segments - 1] if n_segments else 0
        _triple_factors(
            vectors, inverse_r, terms, slots, narrow, lambdas, zetas, tp, tq, to, sign, weights, n,
            axes[u], cos, XC, Y, A, dA,
        )  # fmt: skip
        _accumulate(n_segments, segment_rows, segment_ends, a_of, x_of, columns, XC, Y, A, dA, out)


@dataclass
class DrawnDerivatives:
    """∂G_i/∂x_c of the centres i that move with each drawn force component c.

    Attributes
    ----------
    components : ndarray of shape (n_drawn,), int
        The drawn components ``3 * atom + axis`` (unique, sorted).
    centers : ndarray of shape (n_rows,), int
        Centre atom of each row.
    row_of : ndarray of shape (n_drawn, n_atoms), int
        Row of (drawn component u, centre i), -1 where i does not move with u's atom.
    values : ndarray of shape (n_rows, most functions)
        ∂G_{is}/∂x_c, 1/Å (raw, unscaled functions; columns past the centre
        element's function count are zero).
    species : ndarray of shape (n_atoms,), int
        Element index of each atom.
    """

    components: np.ndarray
    centers: np.ndarray
    row_of: np.ndarray
    values: np.ndarray
    species: np.ndarray


class DrawnAtomDerivatives:
    """Symmetry-function derivatives with respect to drawn force components, as compiled loops.

    Parameters
    ----------
    loops : DescriptorLoops
        The descriptor's loops (their term tables are reused).
    """

    def __init__(self, loops: DescriptorLoops) -> None:
        self.loops = loops
        self.n_columns = max(loops.descriptor.n_functions.values())
        #: the keys of the angular groups (every pair may be a side of some triple)
        self.angular_keys = np.unique(
            np.concatenate([keys for _, keys, _, _ in loops.angular_groups] or [np.zeros(0, np.int64)])
        ).astype(np.int64)
        #: each angular group's keys as columns of the angular pair-term table
        self.angular_slots = [
            np.searchsorted(self.angular_keys, keys) for _, keys, _, _ in loops.angular_groups
        ]
        self._memory = threading.local()  # the angular pair-term table, reused by each thread

    def pair_terms(
        self, r: np.ndarray, inverse_r: np.ndarray, drawn_pairs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """P and P'/r (Å⁻²) of the pairs, pair-major: the angular keys of every pair and all keys of
        ``drawn_pairs``.

        Returns ``angular`` (pairs, 2, angular keys) and ``radial`` (len(drawn_pairs), 2, keys).
        The angular table is written into memory reused from call to call in one thread (fresh
        memory for it costs more than computing it); one triple reads all its keys from one or
        two cache lines.
        """
        loops = self.loops
        memory = getattr(self._memory, "tables", None)
        n = len(r)
        if memory is None or memory.shape[0] < n:
            memory = self._memory.tables = np.empty((int(1.3 * n) + 1024, 2, len(self.angular_keys)))
        angular = memory[:n]
        cut = loops.cutoff_table(r)
        table = (cut, loops.key_cutoff, loops.key_eta, loops.key_rs)
        _pair_terms(np.arange(n), r, inverse_r, *table, self.angular_keys, angular)
        radial = np.empty((len(drawn_pairs), 2, len(loops.keys)))
        _pair_terms(drawn_pairs, r, inverse_r, *table, np.arange(len(loops.keys)), radial)
        return angular, radial

    def __call__(self, pairs: PairList, components: np.ndarray) -> DrawnDerivatives:
        """∂G_i/∂x_c for the drawn ``components`` (``3 * atom + axis``) of the structure of ``pairs``."""
        components = np.unique(np.asarray(components, dtype=np.int64))
        atoms, axes = components // 3, components % 3
        r = np.sqrt(np.einsum("ij,ij->i", pairs.vectors, pairs.vectors))
        unique = np.unique(atoms)
        starts, counts = pairs.block_start[unique], pairs.block_count[unique]
        drawn_pairs = np.concatenate(
            [np.arange(s, s + n) for s, n in zip(starts.ravel(), counts.ravel())] or [np.zeros(0, np.int64)]
        )
        inverse_r = 1.0 / r
        angular, radial = self.pair_terms(r, inverse_r, drawn_pairs)
        slot = np.full(len(r), -1, np.int64)  # row of each drawn atom's pair in ``radial``
        slot[drawn_pairs] = np.arange(len(drawn_pairs))
        codes = shift_codes(pairs.shifts)
        row_of, centers = _drawn_rows(atoms, pairs.neighbors, pairs.block_start, pairs.block_count)
        out = np.zeros((len(centers), self.n_columns))
        args = (pairs.species, pairs.neighbors)
        blocks = (pairs.block_start, pairs.block_count)
        # One thread: these ten calls of 0.1-0.4 ms each gained nothing from splitting the components
        # over two (the second rarely started before the first had finished), and training runs
        # this in a worker thread beside the Kalman update anyway.
        for g, keys, columns in self.loops.radial_groups:
            _radial_derivatives(
                pairs.vectors, radial, slot, *args, *blocks, atoms, axes, row_of, g.element,
                g.neighbors[0], keys, columns, out,
            )  # fmt: skip
        for (g, _, limit, tables), slots in zip(self.loops.angular_groups, self.angular_slots):
            e1, e2 = g.neighbors
            room = _angular_room(*args, *blocks, atoms, g.element, e1, e2)
            _angular_derivatives(
                pairs.vectors, r, inverse_r, angular, slots, *args, codes, *blocks, atoms, axes, row_of,
                g.element, e1, e2, g.narrow, limit, *tables, out, room,
            )  # fmt: skip
        return DrawnDerivatives(components, centers, row_of, out, pairs.species)
