r"""Derivatives of the symmetry functions with respect to a few drawn atoms (numba).

A force label :math:`F_c = -\partial E/\partial x_c` of one Cartesian component
:math:`c` (atom :math:`a`, axis :math:`d`) needs, for every centre :math:`i` whose
functions move with :math:`a` (:math:`a` itself and its neighbours), the vector

.. math::

    \frac{\partial G_{is}}{\partial x_{a}} \in \mathbb R^{3}, \qquad s = 1 \dots n_\text{functions},

which depends on the structure only, not on the weights. :class:`DrawnAtomDerivatives`
computes these for the drawn atoms only, by compiled loops over

* the radial terms :math:`P(r_{ij})` of the pairs with an end at :math:`a`;
* the angular triples that contain :math:`a`: those centred on :math:`a` (found as in
  :mod:`nnp_tutorial.descriptor_loops`), and those centred on a neighbour :math:`i`
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
:class:`~nnp_tutorial.descriptors.AngularTerms`). Pair terms :math:`P, P'` come from the
formulas of :func:`~nnp_tutorial.descriptors.pair_factors` and the cutoff registry, by
NumPy. Images of one atom (boxes shorter than :math:`2r_c`) are different pair
entries of the same atom: each contributes, and a triple with two images of
:math:`a` is counted once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numba
import numpy as np

from .descriptor_loops import _POOL, THREADS, DescriptorLoops, _centre_triples, _shift_codes
from .neighbors import PairList


@numba.njit(nogil=True, cache=True)
def _drawn_rows(drawn, neighbors, block_start, block_count):
    """Rows of the centres that move with each drawn atom: itself first, then its other neighbours.

    Returns ``row_of`` (drawn, atoms): the row of centre i for drawn atom u, -1 where i
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
def _radial_derivatives(vectors, r, dP, species, neighbors, starts, counts, drawn, row_of, e, f, keys,
                        columns, out):  # fmt: skip
    """Add ∂G/∂x_a of the radial functions of centre element ``e``, neighbour element ``f``.

    G_i = Σ_j P(r_ij): a pair a → j moves the centre a, a pair i → a (the reverse of a → i)
    the centre i; both by ``-P'(r) D/r`` with D the vector of the pair of a.
    """
    for u in range(len(drawn)):
        a = drawn[u]
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
                    coef = dP[keys[s], p] / r[p]
                    for d in range(3):
                        out[row, columns[s], d] -= coef * vectors[p, d]


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
        n = _centre_triples(
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
def _triple_factors(vectors, r, P, dP, keys, narrow, lambdas, zetas, tp, tq, to, sign, weights, n, geometry,
                    X, Y, A, dA):  # fmt: skip
    """Per triple: ``geometry`` (9, t) = D1, D2, C (C = Σ weight × ∂cos θ/∂D); X, Y = ∂X along the
    weighted sides (radial keys × (t) and × 3 × (t)); A, dA/dcos θ (angular keys × (t))."""
    cos = geometry[9]
    for t in range(n):
        p, q = tp[t], tq[t]
        r1, r2 = r[p], r[q]
        r12 = r1 * r2
        dot = 0.0
        for d in range(3):
            geometry[d, t] = sign[0, t] * vectors[p, d]
            geometry[3 + d, t] = sign[1, t] * vectors[q, d]
            dot += geometry[d, t] * geometry[3 + d, t]
        c = dot / r12
        cos[t] = c
        for d in range(3):
            D1, D2 = geometry[d, t], geometry[3 + d, t]
            geometry[6 + d, t] = weights[0, t] * (D2 / r12 - c * D1 / (r1 * r1)) + weights[1, t] * (
                D1 / r12 - c * D2 / (r2 * r2)
            )
    for x in range(len(keys)):
        key = keys[x]
        for t in range(n):
            p, q = tp[t], tq[t]
            P1, P2 = P[key, p], P[key, q]
            P3, q3 = 1.0, 0.0
            if narrow:
                o = to[t]
                P3 = P[key, o]
                q3 = weights[2, t] * P1 * P2 * dP[key, o] / r[o]
            q1 = weights[0, t] * dP[key, p] * P2 * P3 / r[p]
            q2 = weights[1, t] * P1 * dP[key, q] * P3 / r[q]
            X[x, t] = P1 * P2 * P3
            for d in range(3):
                D1, D2 = geometry[d, t], geometry[3 + d, t]
                Y[x, d, t] = q1 * D1 + q2 * D2 + q3 * (D2 - D1)
    for k in range(len(lambdas)):  # as descriptor_loops._centre_factors
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
def _accumulate(n_segments, segment_rows, segment_ends, a_of, x_of, columns, geometry, X, Y, A, dA, out):
    """``out[row, column, d] += Σ_t dA X C_d + A Y_d`` over each segment's triples, for every function."""
    start = 0
    for g in range(n_segments):
        end, row = segment_ends[g], segment_rows[g]
        for s in range(len(columns)):
            a, x = a_of[s], x_of[s]
            for d in range(3):
                total = 0.0
                for t in range(start, end):
                    total += dA[a, t] * X[x, t] * geometry[6 + d, t] + A[a, t] * Y[x, d, t]
                out[row, columns[s], d] += total
        start = end


@numba.njit(nogil=True, cache=True)
def _angular_derivatives(
    vectors, r, P, dP, keys, species, neighbors, codes, starts, counts, drawn, row_of, e, e1, e2, narrow,
    max_squared, lambdas, zetas, a_of, x_of, columns, out, room,
):  # fmt: skip
    """Add ∂G/∂x_a of the angular functions of one group (centre ``e``, neighbours ``e1 <= e2``).

    For each drawn atom: its triples (:func:`_collect_triples`), their factors as arrays over the
    triples (:func:`_triple_factors`), then sums per centre and function (:func:`_accumulate`).
    ``room``: :func:`_angular_room` of these atoms.
    """
    head = np.full(len(species), -1, np.int64)
    chain = np.empty(max(counts[:, e2].max(), counts[:, e1].max(), 1), np.int64)
    tp, tq, to = np.empty(room, np.int32), np.empty(room, np.int32), np.empty(room, np.int32)
    sign, weights = np.empty((2, room)), np.empty((3, room))
    geometry = np.empty((10, room))
    nx, na = len(keys), len(lambdas)
    X, Y, A, dA = np.empty((nx, room)), np.empty((nx, 3, room)), np.empty((na, room)), np.empty((na, room))
    most_rows = counts[drawn].sum() + 2
    segment_rows, segment_ends = np.empty(most_rows, np.int64), np.empty(most_rows, np.int64)
    for u in range(len(drawn)):
        a = drawn[u]
        n_segments = _collect_triples(
            a, row_of[u], species, neighbors, codes, r, starts, counts, e, e1, e2, narrow,
            max_squared, head, chain, tp, tq, to, sign, weights, segment_rows, segment_ends,
        )  # fmt: skip
        n = segment_ends[n_segments - 1] if n_segments else 0
        _triple_factors(
            vectors,
            r,
            P,
            dP,
            keys,
            narrow,
            lambdas,
            zetas,
            tp,
            tq,
            to,
            sign,
            weights,
            n,
            geometry,
            X,
            Y,
            A,
            dA,
        )
        _accumulate(n_segments, segment_rows, segment_ends, a_of, x_of, columns, geometry, X, Y, A, dA, out)


@dataclass
class DrawnDerivatives:
    """∂G_i/∂x_a of the centres i that move with each drawn atom a.

    Attributes
    ----------
    atoms : ndarray of shape (n_drawn,), int
        The drawn atoms (unique).
    centers : ndarray of shape (n_rows,), int
        Centre atom of each row.
    row_of : ndarray of shape (n_drawn, n_atoms), int
        Row of (drawn atom u, centre i), -1 where i does not move with u.
    values : ndarray of shape (n_rows, most functions, 3)
        ∂G_{is}/∂x_a, 1/Å (raw, unscaled functions; columns past the centre
        element's function count are zero).
    species : ndarray of shape (n_atoms,), int
        Element index of each atom.
    """

    atoms: np.ndarray
    centers: np.ndarray
    row_of: np.ndarray
    values: np.ndarray
    species: np.ndarray


class DrawnAtomDerivatives:
    """Symmetry-function derivatives with respect to drawn atoms, as compiled loops.

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
        #: the other keys (radial only), needed just for the pairs of the drawn atoms
        self.radial_only_keys = np.setdiff1d(np.arange(len(loops.keys)), self.angular_keys)
        self._memory = threading.local()  # pair-term tables reused by each thread's calls

    def pair_terms(self, r: np.ndarray, drawn_pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P and dP/dr (keys, pairs): the angular keys of every pair, all keys of ``drawn_pairs``.

        The other entries are left unset. NumPy's vectorised ``exp`` writes into memory reused
        from call to call in one thread (fresh memory for these tables costs more than
        computing them).
        """
        loops = self.loops
        cutoff, alpha = loops.descriptor.cutoff_function, loops.descriptor.cutoff_alpha
        cut = np.array(
            [x for rc in loops.cutoff_radii for x in cutoff.value_and_derivative_numpy(r, rc, alpha)]
        )
        n, n_keys = len(r), len(loops.keys)
        memory = getattr(self._memory, "tables", None)
        if memory is None or memory.shape[1] < n:
            memory = self._memory.tables = np.empty((2 * n_keys + 3, int(1.3 * n) + 1024))
        P, dP = memory[:n_keys, :n], memory[n_keys : 2 * n_keys, :n]
        self._gaussian_terms(r, cut, self.angular_keys, P, dP, memory[2 * n_keys :, :n])
        others = self.radial_only_keys
        m = len(drawn_pairs)
        small = np.empty((2 * n_keys + 3, m))
        self._gaussian_terms(
            r[drawn_pairs], cut[:, drawn_pairs], others, small[:n_keys], small[n_keys:-3], small[-3:]
        )
        P[np.ix_(others, drawn_pairs)] = small[others]
        dP[np.ix_(others, drawn_pairs)] = small[n_keys + others]
        return P, dP

    def _gaussian_terms(self, r, cut, keys, P, dP, scratch) -> None:
        """``P[k] = f_c e^{-η (r - r_s)^2}`` and ``dP[k] = (f_c' - 2η (r - r_s) f_c) e^{...}`` for ``keys``.

        The formula of :func:`~nnp_tutorial.descriptors.pair_factors`; ``cut`` (2 n_rc, pairs)
        holds f_c and f_c' of each distinct cutoff radius; ``scratch`` (3, pairs).
        """
        loops = self.loops
        shift, square, gauss = scratch
        for k in keys:
            fc, dfc = cut[2 * loops.key_cutoff[k]], cut[2 * loops.key_cutoff[k] + 1]
            eta = loops.key_eta[k]
            np.subtract(r, loops.key_rs[k], out=shift)
            np.multiply(shift, shift, out=square)
            np.multiply(square, -eta, out=square)
            np.exp(square, out=gauss)
            np.multiply(fc, gauss, out=P[k])
            np.multiply(shift, fc, out=shift)
            np.multiply(shift, -2.0 * eta, out=shift)
            np.add(shift, dfc, out=shift)
            np.multiply(shift, gauss, out=dP[k])

    def __call__(self, pairs: PairList, atoms: np.ndarray) -> DrawnDerivatives:
        """∂G_i/∂x_a for the unique drawn ``atoms`` (ints) of the structure of ``pairs``."""
        atoms = np.unique(np.asarray(atoms, dtype=np.int64))
        r = np.sqrt(np.einsum("ij,ij->i", pairs.vectors, pairs.vectors))
        starts, counts = pairs.block_start[atoms], pairs.block_count[atoms]
        drawn_pairs = np.concatenate(
            [np.arange(s, s + n) for s, n in zip(starts.ravel(), counts.ravel())] or [np.zeros(0, np.int64)]
        )
        P, dP = self.pair_terms(r, drawn_pairs)
        codes = _shift_codes(pairs.shifts)
        row_of, centers = _drawn_rows(atoms, pairs.neighbors, pairs.block_start, pairs.block_count)
        out = np.zeros((len(centers), self.n_columns, 3))
        args = (pairs.species, pairs.neighbors)
        blocks = (pairs.block_start, pairs.block_count)
        parts = [np.arange(t, len(atoms), THREADS) for t in range(THREADS)]

        def run(t: int) -> None:  # each thread writes the rows of its own drawn atoms
            drawn, rows = atoms[parts[t]], row_of[parts[t]]
            for g, keys, columns in self.loops.radial_groups:
                _radial_derivatives(
                    pairs.vectors, r, dP, *args, *blocks, drawn, rows, g.element, g.neighbors[0], keys,
                    columns, out,
                )  # fmt: skip
            for g, keys, limit, tables in self.loops.angular_groups:
                e1, e2 = g.neighbors
                room = _angular_room(*args, *blocks, drawn, g.element, e1, e2)
                _angular_derivatives(
                    pairs.vectors, r, P, dP, keys, *args, codes, *blocks, drawn, rows, g.element, e1, e2,
                    g.narrow, limit, *tables, out, room,
                )  # fmt: skip

        list(_POOL.map(run, range(THREADS)))
        return DrawnDerivatives(atoms, centers, row_of, out, pairs.species)
