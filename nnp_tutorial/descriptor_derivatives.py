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
def _fill_pair_terms(r, cut, key_cutoff, eta, rs, keys, pairs, P, dP):
    """P and P' (the formula of :func:`~nnp_tutorial.descriptors.pair_factors`) of ``pairs`` for ``keys``.

    ``cut`` (2 n_rc, pairs): f_c and f_c' for each distinct cutoff radius.
    """
    for p in pairs:
        for k in keys:
            fc, dfc = cut[2 * key_cutoff[k], p], cut[2 * key_cutoff[k] + 1, p]
            shift = r[p] - rs[k]
            gauss = np.exp(-eta[k] * shift * shift)
            P[p, k] = fc * gauss
            dP[p, k] = (dfc - 2.0 * eta[k] * shift * fc) * gauss


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
                    coef = dP[p, keys[s]] / r[p]
                    for d in range(3):
                        out[row, columns[s], d] -= coef * vectors[p, d]


@numba.njit(nogil=True, cache=True, fastmath={"contract"})
def _triple_derivative(
    D1, D2, r1, r2, p1, p2, o, w_i, w_j, w_k, P, dP, keys, r, lambdas, zetas, a_of, x_of, columns, out_row,
    vec, xs, ys, ang,
):  # fmt: skip
    """Add ∂V/∂x_a of one triple's functions to ``out_row`` (functions, 3).

    Sides D1 = i → j and D2 = i → k (pairs ``p1``, ``p2``; ``keys``: the group's columns
    of ``P, dP``), the third side ``o`` (a pair, or -1 for wide functions);
    ``w_*`` is 1 for each vertex that is a, else 0. Scratch: ``vec`` (2, 3), ``xs``
    (n_radial,), ``ys`` (n_radial, 3), ``ang`` (n_angular, 2).
    """
    alpha1, alpha2, alpha3 = w_j - w_i, w_k - w_i, w_k - w_j
    r12 = r1 * r2
    cos = (D1[0] * D2[0] + D1[1] * D2[1] + D1[2] * D2[2]) / r12
    for d in range(3):  # C = alpha1 dcos/dD1 + alpha2 dcos/dD2, and D3 = D2 - D1
        vec[0, d] = alpha1 * (D2[d] / r12 - cos * D1[d] / (r1 * r1)) + alpha2 * (
            D1[d] / r12 - cos * D2[d] / (r2 * r2)
        )
        vec[1, d] = D2[d] - D1[d]
    for x in range(len(keys)):  # X = P1 P2 [P3] and Y = dX along the sides, weighted by the roles
        key = keys[x]
        P1, P2, dP1, dP2 = P[p1, key], P[p2, key], dP[p1, key], dP[p2, key]
        P3, q3 = 1.0, 0.0
        if o >= 0:
            P3 = P[o, key]
            q3 = alpha3 * P1 * P2 * dP[o, key] / r[o]
        q1 = alpha1 * dP1 * P2 * P3 / r1
        q2 = alpha2 * P1 * dP2 * P3 / r2
        xs[x] = P1 * P2 * P3
        for d in range(3):
            ys[x, d] = q1 * D1[d] + q2 * D2[d] + q3 * vec[1, d]
    for k in range(len(lambdas)):  # A and dA/dcos, as descriptor_loops._centre_factors
        lam, zeta = lambdas[k], zetas[k]
        base = max(1.0 + lam * cos, 0.0)
        if zeta == np.floor(zeta):
            lower = 1.0
            for _ in range(int(zeta) - 1):
                lower *= base
        else:
            lower = base ** (zeta - 1.0)
        norm = 2.0 ** (1.0 - zeta)
        ang[k, 0] = norm * lower * base
        ang[k, 1] = norm * zeta * lam * lower if base > 0.0 else 0.0
    for s in range(len(columns)):
        a, x = a_of[s], x_of[s]
        slope = ang[a, 1] * xs[x]
        for d in range(3):
            out_row[columns[s], d] += slope * vec[0, d] + ang[a, 0] * ys[x, d]


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
def _angular_derivatives(
    vectors, r, P, dP, keys, species, neighbors, codes, starts, counts, drawn, row_of, e, e1, e2, narrow,
    max_squared, lambdas, zetas, a_of, x_of, columns, out,
):  # fmt: skip
    """Add ∂G/∂x_a of the angular functions of one group (centre ``e``, neighbours ``e1 <= e2``)."""
    n_atoms = len(species)
    head = np.full(n_atoms, -1, np.int64)
    most = max(counts[:, e2].max(), counts[:, e1].max(), 1)
    chain = np.empty(most, np.int64)
    room = most * most + 1
    tp, tq, to = np.empty(room, np.int32), np.empty(room, np.int32), np.empty(room, np.int32)
    same = e1 == e2
    vec, xs, ys, ang = (
        np.empty((2, 3)),
        np.empty(P.shape[1]),
        np.empty((P.shape[1], 3)),
        np.empty((len(lambdas), 2)),
    )
    for u in range(len(drawn)):
        a = drawn[u]
        if species[a] == e:  # triples centred on a
            n = _centre_triples(
                a, r, neighbors, codes, starts, counts, e1, e2, same, narrow, max_squared, head, chain, tp,
                tq, to,
            )  # fmt: skip
            row = out[row_of[u, a]]
            for t in range(n):
                w_j = 1.0 if neighbors[tp[t]] == a else 0.0
                w_k = 1.0 if neighbors[tq[t]] == a else 0.0
                _triple_derivative(
                    vectors[tp[t]], vectors[tq[t]], r[tp[t]], r[tq[t]], tp[t], tq[t], to[t] if narrow else -1,
                    1.0, w_j, w_k, P, dP, keys, r, lambdas, zetas, a_of, x_of, columns, row, vec, xs, ys, ang,
                )  # fmt: skip
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
                row = out[row_of[u, i]]
                side_a = -vectors[p]  # i -> a
                code_a = -codes[p]
                for q in range(starts[i, other], starts[i, other] + counts[i, other]):
                    w_other = 0.0
                    if same and neighbors[q] == a:  # both sides are images of a: count the triple once
                        if codes[q] <= code_a:
                            continue
                        w_other = 1.0
                    o = -1
                    if narrow:  # the third side a -> (other end of q) is a pair of a
                        o = _find_pair(
                            a, other, neighbors[q], codes[p] + codes[q], starts, codes, head, chain
                        )
                        if o < 0 or r[o] * r[o] >= max_squared:
                            continue
                    if role == 0:
                        _triple_derivative(
                            side_a, vectors[q], r[p], r[q], p, q, o, 0.0, 1.0, w_other, P, dP, keys, r,
                            lambdas, zetas, a_of, x_of, columns, row, vec, xs, ys, ang,
                        )  # fmt: skip
                    else:
                        _triple_derivative(
                            vectors[q], side_a, r[q], r[p], q, p, o, 0.0, 0.0, 1.0, P, dP, keys, r, lambdas,
                            zetas, a_of, x_of, columns, row, vec, xs, ys, ang,
                        )  # fmt: skip
            if narrow:
                _unmark_pairs(a, other, starts, counts, neighbors, head)


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
        self.all_keys = np.arange(len(loops.keys), dtype=np.int64)
        self._memory = threading.local()  # pair-term tables reused by each thread's calls

    def pair_terms(self, r: np.ndarray, drawn_pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P and dP/dr (pairs, keys): the angular keys of every pair, all keys of ``drawn_pairs``.

        The other entries are left unset. The tables are reused from call to call in one
        thread (fresh memory for them cost more than computing them).
        """
        loops = self.loops
        cutoff, alpha = loops.descriptor.cutoff_function, loops.descriptor.cutoff_alpha
        cut = np.array(
            [x for rc in loops.cutoff_radii for x in cutoff.value_and_derivative_numpy(r, rc, alpha)]
        )
        size = len(r) * len(loops.keys)
        memory = getattr(self._memory, "tables", None)
        if memory is None or memory.shape[1] < size:
            memory = self._memory.tables = np.empty((2, int(1.3 * size) + 1024))
        P, dP = (memory[c, :size].reshape(len(r), len(loops.keys)) for c in (0, 1))
        tables = (loops.key_cutoff, loops.key_eta, loops.key_rs)
        bounds = np.linspace(0, len(r), THREADS + 1).astype(np.int64)

        def fill(t: int) -> None:
            every = np.arange(bounds[t], bounds[t + 1])
            _fill_pair_terms(r, cut, *tables, self.angular_keys, every, P, dP)

        list(_POOL.map(fill, range(THREADS)))
        _fill_pair_terms(r, cut, *tables, self.all_keys, drawn_pairs, P, dP)
        return P, dP

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
                _angular_derivatives(
                    pairs.vectors, r, P, dP, keys, *args, codes, *blocks, drawn, rows, g.element, e1, e2,
                    g.narrow, limit, *tables, out,
                )  # fmt: skip

        list(_POOL.map(run, range(THREADS)))
        return DrawnDerivatives(atoms, centers, row_of, out, pairs.species)
