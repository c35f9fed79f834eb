r"""Symmetry functions and their gradient as compiled loops (numba): the fast path for MD.

:class:`DescriptorLoops` computes the same numbers as
:class:`~nnp_tutorial.descriptors.SymmetryFunctionSet` (the tests compare the two to
round-off) in another order, suited to one structure at a time:

1. **Pair terms.** For every pair of the neighbour list and every distinct
   :math:`(\eta, r_s, r_c)` of the set, :math:`P(r) = f_c(r)\,e^{-\eta(r-r_s)^2}` and
   :math:`P'(r)` (the formula of :func:`~nnp_tutorial.descriptors.pair_factors`), in a
   compiled loop from :math:`f_c` and :math:`f_c'` of each distinct :math:`r_c` (the cutoff
   functions of :mod:`nnp_tutorial.cutoffs`, evaluated by NumPy). Only the keys that a
   pair's functions use are computed.
2. **Sums** (:meth:`DescriptorLoops.forward`). A radial function is a sum of :math:`P` over a
   centre's pairs. An angular term is :math:`A(\cos\theta)\,P(r_{ij})P(r_{ik})[P(r_{jk})]`:
   the third side ``j → k`` of a narrow (type 3) triple is itself a pair of the list
   (the term vanishes unless :math:`r_{jk} < r_c`). The triples are found from it: each
   pair ``j → k`` of a neighbour j of i whose k is also a neighbour of i (with the
   matching cell shift) closes one, so a triple costs products only — no search,
   exponential, cutoff function or square root.
3. **Gradient** (:meth:`DescriptorLoops.backward`). From :math:`w = \partial E/\partial G` of
   every atom (the networks' gradient), :math:`\partial E/\partial\mathbf D_p` for every pair
   by the chain rule of :class:`~nnp_tutorial.descriptors.AngularTerms`, written out.

The loops run over central atoms, split between threads (numba releases the GIL);
each centre's functions and the gradients of its own pairs are written by one
thread only, and only the third sides' gradients go to per-thread buffers. No
per-triple floating-point array is stored (the forward pass keeps only the three pair
indices of each triple for the backward pass), so memory grows far more slowly with
the structure than the graph's and needs no chunking. The derivatives of the functions
with respect to a few drawn atoms, which training's force labels need, are
:mod:`nnp_tutorial.descriptor_derivatives` (the same pair-term formula and triple finder).
"""

from __future__ import annotations

import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numba
import numpy as np

from .neighbors import PairList, element_rows

if TYPE_CHECKING:
    from .descriptors import SymmetryFunctionSet

#: Threads of the loops (one per core, at most four).
THREADS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
_POOL = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="descriptor-loops")


@numba.njit(nogil=True, cache=True, fastmath={"contract"})
def gaussian_pair_term(fc: float, dfc: float, shift: float, eta: float) -> tuple[float, float]:
    """P = f_c e^{-η (r - r_s)²} and P' = (f_c' - 2η (r - r_s) f_c) e^{-η (r - r_s)²} of one pair
    and key, from f_c and f_c' at r and ``shift`` = r - r_s (the formula of
    :func:`~nnp_tutorial.descriptors.pair_factors`; compiled loops inline it)."""
    gauss = np.exp(-eta * shift * shift)
    return fc * gauss, (dfc - 2.0 * eta * shift * fc) * gauss


@numba.njit(nogil=True, cache=True, fastmath={"contract"})
def _pair_terms(
    r, cut, block, rc_of, eta, rs, keys_of, columns_of, group_keys, group_of, group_start, group_width, P, dP,
    flat, d_flat, lo, hi,
):  # fmt: skip
    """P and P' of the pairs ``lo:hi`` for the keys their functions use (see
    :func:`~nnp_tutorial.descriptors.pair_factors`).

    ``cut`` (pairs, 2 n_rc): f_c and f_c' for each distinct cutoff radius; ``rc_of``,
    ``eta``, ``rs`` (keys,): each key's radius (index), width (1/Å²) and centre (Å).
    ``block`` (pairs,): the (centre element, neighbour element) block of each pair;
    ``keys_of[b]``: the keys that block's pairs need (-1 pads), written to
    ``P, dP`` (pairs, keys), the rest left unset. The angular groups' columns
    ``group_keys`` that block ``b`` needs, ``columns_of[b]``, are also copied side by
    side, group by group, to ``flat`` and ``d_flat``: group ``g`` as a (pairs,
    ``group_width[g]``) block starting at ``n_pairs * group_start[g]``.
    """
    n = len(r)
    for p in range(lo, hi):
        b = block[p]
        for k in keys_of[b]:
            if k < 0:
                break
            P[p, k], dP[p, k] = gaussian_pair_term(
                cut[2 * rc_of[k], p], cut[2 * rc_of[k] + 1, p], r[p] - rs[k], eta[k]
            )
        for c in columns_of[b]:
            if c < 0:
                break
            g = group_of[c]
            at = n * group_start[g] + p * group_width[g] + c - group_start[g]
            flat[at] = P[p, group_keys[c]]
            d_flat[at] = dP[p, group_keys[c]]


@numba.njit(nogil=True, cache=True)
def shift_codes(shifts: np.ndarray) -> np.ndarray:
    """Each pair's cell shift as one integer ``c = s_0 W^2 + s_1 W + s_2``, ``W = 4 max|s| + 1``.

    A sum or difference of two codes is the code of the sum or difference of the
    shifts (each component stays within ±W/2): the pair i → k of a triple has the
    code of i → j plus that of j → k.
    """
    reach = 0
    for s in shifts.ravel():
        reach = max(reach, abs(s))
    width = 4 * reach + 1
    return (shifts[:, 0] * width + shifts[:, 1]) * width + shifts[:, 2]


@numba.njit(nogil=True, cache=True)
def _radial_forward(P, atoms, rows, starts, counts, keys, columns, out):
    """``out[row(i), columns[k]] = sum of P[p, keys[k]]`` over the pairs p of each centre i."""
    for i in atoms:
        for k in range(len(keys)):
            s = 0.0
            for p in range(starts[i], starts[i] + counts[i]):
                s += P[p, keys[k]]
            out[rows[i], columns[k]] = s


@numba.njit(nogil=True, cache=True)
def _radial_backward(dP, r, atoms, rows, starts, counts, keys, columns, w, along):
    """``along[p] += (sum_k w[row(i), columns[k]] P'[p, keys[k]]) / r_p`` for the pairs of each centre."""
    for i in atoms:
        for p in range(starts[i], starts[i] + counts[i]):
            s = 0.0
            for k in range(len(keys)):
                s += w[rows[i], columns[k]] * dP[p, keys[k]]
            along[p] += s / r[p]


@numba.njit(nogil=True, cache=True)
def centre_triples(
    i, r, neighbors, codes, starts, counts, e1, e2, same, narrow, max_squared, head, chain, tp, tq, to,
):  # fmt: skip
    """Write the triples of centre ``i`` to ``tp, tq`` (pairs i → j, i → k), ``to`` (j → k); return how many.

    ``starts, counts`` (atoms, elements): the blocks of the pair list; j has element
    ``e1`` and k ``e2`` (j before k in the block if ``same``). A narrow triple is
    found from its sides: for each pair i → j and each pair j → k of the list with
    ``r_jk^2 < max_squared``, the pair i → k is looked up among the centre's (``head``:
    an array over atoms, -1 where unused, left so; ``chain``: room for the block of
    ``e2``), so the third side costs no search. Wide triples are all pairs of sides.
    Candidates are written unconditionally and the count advances only for kept
    ones (no unpredictable branch); the buffers need room for one more.
    """
    s1, n1, s2, n2 = starts[i, e1], counts[i, e1], starts[i, e2], counts[i, e2]
    t = 0
    if not narrow:
        for a in range(n1):
            for b in range(a + 1 if same else 0, n2):
                tp[t] = s1 + a
                tq[t] = s2 + b
                t += 1
        return t
    if n2 == 0:  # no third side to close (and chain holds nothing of this centre's)
        return 0
    for b in range(n2):  # the centre's neighbours of element e2, by atom (images chained)
        k = neighbors[s2 + b]
        chain[b] = head[k]
        head[k] = b
    for a in range(n1):
        pj = s1 + a
        j, code = neighbors[pj], codes[pj]
        first, end = starts[j, e2], starts[j, e2] + counts[j, e2]
        if same:  # blocks are sorted by neighbour: k after j in the centre's block needs k >= j
            first += np.searchsorted(neighbors[first:end], j)
        for q in range(first, end):
            b = head[neighbors[q]]
            if chain[max(b, 0)] >= 0:  # rare: k is among the centre's neighbours more than once
                while b >= 0 and codes[s2 + b] != code + codes[q]:
                    b = chain[b]
            elif codes[s2 + max(b, 0)] != code + codes[q]:
                b = -1
            tp[t] = pj
            tq[t] = s2 + b
            to[t] = q
            t += (b >= 0) & (r[q] * r[q] < max_squared) & ((not same) | (b > a))
    for b in range(n2):
        head[neighbors[s2 + b]] = -1
    return t


@numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"})
def _centre_factors(vectors, r, P, narrow, tp, tq, to, lambdas, zetas, cos, X, A, dA, radial=True):
    """cos θ (n,), the radial factors X (n_radial, n) and A, dA/dcos θ (n_angular, n) of the n triples.

    Without ``radial``, X is left alone (:func:`_angular_backward` computes it with its derivatives).
    """
    n = len(tp)
    for t in range(n):
        pj, pk = tp[t], tq[t]
        dot = (
            vectors[pj, 0] * vectors[pk, 0]
            + vectors[pj, 1] * vectors[pk, 1]
            + vectors[pj, 2] * vectors[pk, 2]
        )
        cos[t] = dot / (r[pj] * r[pk])
    for c in range(X.shape[0] if radial else 0):
        if narrow:
            for t in range(n):
                X[c, t] = P[tp[t], c] * P[tq[t], c] * P[to[t], c]
        else:
            for t in range(n):
                X[c, t] = P[tp[t], c] * P[tq[t], c]
    for a in range(len(lambdas)):
        lam, zeta = lambdas[a], zetas[a]
        norm = 2.0 ** (1.0 - zeta)
        base, lower = A[a], dA[a]  # filled in place: base, then base^(zeta - 1)
        for t in range(n):
            base[t] = max(1.0 + lam * cos[t], 0.0)
        if zeta == np.floor(zeta):
            lower[:n] = 1.0
            for _ in range(int(zeta) - 1):
                for t in range(n):
                    lower[t] *= base[t]
        else:
            for t in range(n):
                lower[t] = base[t] ** (zeta - 1.0)
        for t in range(n):
            b, low = base[t], lower[t]
            A[a, t] = norm * low * b
            dA[a, t] = norm * zeta * lam * low if b > 0.0 else 0.0


@numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"})
def _angular_forward(
    vectors, r, P, neighbors, codes, atoms, rows, starts, block_counts, e1, e2, narrow, max_squared, lambdas,
    zetas, a_of, x_of, columns, out, tp, tq, to, counts, work,
):  # fmt: skip
    """Angular functions of one group for the centres ``atoms`` (see the module docstring).

    ``P`` (pairs, n_radial): the group's radial factors; ``lambdas, zetas`` (n_angular):
    its angular factors; function k is ``A[a_of[k]] X[x_of[k]]`` summed over triples,
    written to ``out[row, columns[k]]``. The triples are kept for :func:`_angular_backward`:
    those of ``atoms[c]`` follow those of the earlier centres in ``tp, tq, to``, and
    ``counts[c]`` says how many there are.
    """
    nx, na = P.shape[1], len(lambdas)
    cos, X, A, dA = work[0], work[1 : 1 + nx], work[1 + nx : 1 + nx + na], work[1 + nx + na : 1 + nx + 2 * na]
    head = np.full(len(starts), -1, np.int64)
    chain = np.empty(max(block_counts[:, e2].max(), 1), np.int64)
    start = 0
    for c, i in enumerate(atoms):
        n = centre_triples(
            i, r, neighbors, codes, starts, block_counts, e1, e2, e1 == e2, narrow, max_squared, head, chain,
            tp[start:], tq[start:], to[start:],
        )  # fmt: skip
        counts[c] = n
        end = start + n
        _centre_factors(
            vectors, r, P, narrow, tp[start:end], tq[start:end], to[start:end], lambdas, zetas, cos, X, A, dA
        )
        start = end
        for k in range(len(columns)):
            a, x = a_of[k], x_of[k]
            s = 0.0
            for t in range(n):
                s += A[a, t] * X[x, t]
            out[rows[i], columns[k]] = s


@numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"})
def _angular_backward(
    vectors, r, P, dP, narrow, atoms, rows, lambdas, zetas, a_of, x_of, columns, w, tp, tq, to, counts, work,
    grad, along, along_third,
):  # fmt: skip
    """Add ∂E/∂D of one angular group's terms, to be assembled by :meth:`DescriptorLoops.backward`.

    ∂E/∂D_p = ``grad[p] + (along[p] + along_third[p]) D_p``: the sides i → j and i → k add
    the other side's direction to ``grad`` and a multiple of their own to ``along``; the
    third side j → k adds a multiple of its own to ``along_third`` (per thread: it is
    another centre's pair). ``w`` (atoms' rows, functions): ∂E/∂G; ``dP``: the radial
    factors' derivatives; the triples and the rest as :func:`_angular_forward` left them.
    The formulas are those of :class:`~nnp_tutorial.descriptors.AngularTerms`.
    """
    nx, na = P.shape[1], len(lambdas)
    cos, X, A, dA = work[0], work[1 : 1 + nx], work[1 + nx : 1 + nx + na], work[1 + nx + na : 1 + nx + 2 * na]
    g_radial = work[1 + nx + 2 * na : 1 + 2 * nx + 2 * na]  # dE/dX
    last = 1 + 2 * nx + 2 * na
    s_cos, s_ij, s_ik, s_jk = work[last], work[last + 1], work[last + 2], work[last + 3]
    start = 0
    for c, i in enumerate(atoms):
        n = counts[c]
        p, q, o = tp[start : start + n], tq[start : start + n], to[start : start + n]
        start += n
        _centre_factors(vectors, r, P, narrow, p, q, o, lambdas, zetas, cos, X, A, dA, False)
        g_radial[:, :n] = 0.0
        for k in range(len(columns)):
            a, x, wk = a_of[k], x_of[k], w[rows[i], columns[k]]
            for t in range(n):
                g_radial[x, t] += wk * A[a, t]
        s_ij[:n] = 0.0
        s_ik[:n] = 0.0
        s_jk[:n] = 0.0
        for x in range(nx):
            if narrow:
                for t in range(n):
                    g, pij, pik, pjk = g_radial[x, t], P[p[t], x], P[q[t], x], P[o[t], x]
                    X[x, t] = pij * pik * pjk
                    s_ij[t] += g * dP[p[t], x] * pik * pjk
                    s_ik[t] += g * pij * dP[q[t], x] * pjk
                    s_jk[t] += g * pij * pik * dP[o[t], x]
            else:
                for t in range(n):
                    g, pij, pik = g_radial[x, t], P[p[t], x], P[q[t], x]
                    X[x, t] = pij * pik
                    s_ij[t] += g * dP[p[t], x] * pik
                    s_ik[t] += g * pij * dP[q[t], x]
        s_cos[:n] = 0.0
        for k in range(len(columns)):
            a, x, wk = a_of[k], x_of[k], w[rows[i], columns[k]]
            for t in range(n):
                s_cos[t] += wk * dA[a, t] * X[x, t]
        for t in range(n):
            pj, pk = p[t], q[t]
            rij, rik = r[pj], r[pk]
            inverse = s_cos[t] / (rij * rik)
            along[pj] += s_ij[t] / rij - s_cos[t] * cos[t] / (rij * rij)
            along[pk] += s_ik[t] / rik - s_cos[t] * cos[t] / (rik * rik)
            for d in range(3):
                grad[pj, d] += inverse * vectors[pk, d]
                grad[pk, d] += inverse * vectors[pj, d]
            if narrow:
                along_third[o[t]] += s_jk[t] / r[o[t]]


@numba.njit(nogil=True, cache=True)
def _forces_and_virial(grad, vectors, centers, neighbors, n_atoms):
    """Forces (n_atoms, 3) and ``sum_p D_p ⊗ g_p`` (3, 3) from ∂E/∂D_p (see :mod:`nnp_tutorial.model`)."""
    forces = np.zeros((n_atoms, 3))
    virial = np.zeros((3, 3))
    for p in range(len(centers)):
        for d in range(3):
            forces[centers[p], d] += grad[p, d]
            forces[neighbors[p], d] -= grad[p, d]
            for e in range(3):
                virial[d, e] += vectors[p, d] * grad[p, e]
    return forces, virial


class _State:
    """What :meth:`DescriptorLoops.backward` needs from :meth:`DescriptorLoops.forward`."""

    def __init__(self, pairs: PairList, r, rows, split) -> None:
        self.pairs, self.r, self.rows, self.split = pairs, r, rows, split
        self.P = self.dP = np.empty((0, 0))  # all keys, for the radial functions
        self.P_of: list[np.ndarray] = []  # each angular group's keys, side by side
        self.dP_of: list[np.ndarray] = []
        self.triples: dict[tuple[int, int], tuple] = {}

    def block(self, element: int) -> tuple[np.ndarray, np.ndarray]:
        """Start and length of each atom's block of neighbours of ``element``."""
        return self.pairs.block_start[:, element], self.pairs.block_count[:, element]


class DescriptorLoops:
    """The functions of a :class:`~nnp_tutorial.descriptors.SymmetryFunctionSet` as compiled loops.

    Parameters
    ----------
    descriptor : SymmetryFunctionSet

    Examples
    --------
    >>> from ase.build import molecule
    >>> from nnp_tutorial.descriptors import SymmetryFunctionSet
    >>> from nnp_tutorial.symmetry_functions import AngularG3, RadialG2
    >>> sfs = SymmetryFunctionSet({"H": [RadialG2("H", "O", 0.5, 0.0, 4.0)],
    ...                            "O": [AngularG3("O", "H", "H", 0.5, 1.0, 2.0, 4.0)]})
    >>> water = molecule("H2O")
    >>> g, _ = DescriptorLoops(sfs).forward(sfs.pairs(water))
    >>> graph = sfs.from_inputs(sfs.padded(sfs.inputs(sfs.pairs(water))))  # the TensorFlow graph
    >>> bool(abs(g[1] - graph["O"]).max() < 1e-15)
    True
    """

    def __init__(self, descriptor: SymmetryFunctionSet) -> None:
        self.descriptor = descriptor
        groups = [*descriptor.radial_groups, *descriptor.angular_groups]
        #: distinct (eta, r_s, r_c) of all functions: the columns of the pair terms
        self.keys = sorted(
            {(sf.eta, sf.rs, g.rc) for g in groups for sf in g.functions}, key=lambda k: k[::-1]
        )
        index = {k: c for c, k in enumerate(self.keys)}
        self.radial_groups = []
        for g in descriptor.radial_groups:
            columns = np.array(g.columns)
            keys = np.array([index[(sf.eta, sf.rs, g.rc)] for sf in g.functions])
            self.radial_groups.append((g, keys, columns))
        self.angular_groups = []
        for g in descriptor.angular_groups:
            columns = np.array(g.columns)
            radial_keys = np.array([index[(eta, rs, g.rc)] for eta, rs in g._radial_keys])
            lambdas = np.array([lam for lam, _ in g._angular_keys], dtype=np.float64)
            zetas = np.array([zeta for _, zeta in g._angular_keys], dtype=np.float64)
            limit = (g.rc * (1.0 + 1e-5)) ** 2  # as neighbors.triples: a margin, the cutoff is exact
            tables = (lambdas, zetas, np.array(g._angular_of), np.array(g._radial_of), columns)
            self.angular_groups.append((g, radial_keys, limit, tables))
        self.cutoff_radii = sorted({k[2] for k in self.keys})
        self.key_eta = np.array([k[0] for k in self.keys])
        self.key_rs = np.array([k[1] for k in self.keys])
        self.key_cutoff = np.array([self.cutoff_radii.index(k[2]) for k in self.keys])
        widths = [len(keys) for _, keys, _, _ in self.angular_groups]
        #: the angular groups' key columns side by side, where each group starts, how many it has
        self._group_keys = np.concatenate(
            [keys for _, keys, _, _ in self.angular_groups] or [np.zeros(0, int)]
        )
        self._group_of = np.repeat(np.arange(len(widths)), widths)
        self._group_start = np.cumsum([0, *widths])[:-1]
        self._group_width = np.array(widths, dtype=np.int64)
        self._keys_of, self._columns_of = self._needed_terms()
        #: memory for the pair terms, triples and per-centre work, free for reuse (see :meth:`_buffers`)
        self._spare: list[tuple[np.ndarray, np.ndarray]] = []
        self._spare_lock = threading.Lock()

    def cutoff_table(self, r: np.ndarray) -> np.ndarray:
        """f_c and f_c' (1/Å) of each distinct cutoff radius at the distances ``r`` (Å), shape
        (2 n_radii, pairs): rows 2 m and 2 m + 1 for ``cutoff_radii[m]`` (``key_cutoff`` indexes them)."""
        cutoff, alpha = self.descriptor.cutoff_function, self.descriptor.cutoff_alpha
        return np.array(
            [x for rc in self.cutoff_radii for x in cutoff.value_and_derivative_numpy(r, rc, alpha)]
        )

    def _needed_terms(self) -> tuple[np.ndarray, np.ndarray]:
        """Per (centre element, neighbour element) block: the keys its pairs need and the group columns.

        A pair of block (e, f) is a side of the radial groups of e with neighbour f and of
        the angular groups of e with f among their neighbours, and the third side of the
        narrow angular groups with neighbours (e, f) (whatever their centre). Both arrays
        are (blocks, most), padded with -1.
        """
        n = len(self.descriptor.elements)
        keys: list[set] = [set() for _ in range(n * n)]
        columns: list[set] = [set() for _ in range(n * n)]
        for g, radial_keys, _ in self.radial_groups:
            keys[g.element * n + g.neighbors[0]].update(radial_keys)
        for k, (g, radial_keys, _, _) in enumerate(self.angular_groups):
            e1, e2 = g.neighbors
            blocks = {g.element * n + e1, g.element * n + e2} | ({e1 * n + e2} if g.narrow else set())
            start = self._group_start[k]
            for b in blocks:
                keys[b].update(radial_keys)
                columns[b].update(range(start, start + len(radial_keys)))

        def padded(sets: list[set]) -> np.ndarray:
            out = np.full((len(sets), max(map(len, sets), default=0)), -1, dtype=np.int64)
            for b, values in enumerate(sets):
                out[b, : len(values)] = sorted(values)
            return out

        return padded(keys), padded(columns)

    def _atoms(self, pairs: PairList) -> tuple[np.ndarray, list[list[np.ndarray]]]:
        """Row of each atom among the atoms of its element, and each thread's centres per element."""
        elements = range(len(self.descriptor.elements))
        split = [[np.flatnonzero(pairs.species == k)[t::THREADS] for t in range(THREADS)] for k in elements]
        return element_rows(pairs.species, len(elements)), split

    def forward(self, pairs: PairList) -> tuple[list[np.ndarray], _State]:
        """Raw symmetry functions of the atoms of ``pairs``, and what :meth:`backward` needs.

        Returns
        -------
        list of ndarray
            Per element, shape (atoms of the element, functions), rows in the order of
            the atoms, columns in the set's (n2p2's) order.
        state : _State
            Pass to :meth:`backward`.
        """
        r = np.sqrt(np.einsum("ij,ij->i", pairs.vectors, pairs.vectors))
        cut = self.cutoff_table(r)
        block = pairs.species[pairs.centers] * len(self.descriptor.elements) + pairs.species[pairs.neighbors]
        rows, split = self._atoms(pairs)
        state = _State(pairs, r, rows, split)
        codes = shift_codes(pairs.shifts)
        n_functions = self.descriptor.n_functions.values()
        out = [np.zeros((sum(map(len, split[k])), n)) for k, n in enumerate(n_functions)]
        flat, d_flat = self._buffers(state)
        bounds = np.linspace(0, len(r), THREADS + 1).astype(np.int64)

        def pair_terms(t: int) -> None:
            _pair_terms(
                r, cut, block, self.key_cutoff, self.key_eta, self.key_rs, self._keys_of, self._columns_of,
                self._group_keys, self._group_of, self._group_start, self._group_width, state.P, state.dP,
                flat, d_flat, bounds[t], bounds[t + 1],
            )  # fmt: skip

        list(_POOL.map(pair_terms, range(THREADS)))
        P = state.P

        def run(t: int) -> None:
            for g, keys, columns in self.radial_groups:
                _radial_forward(
                    P, split[g.element][t], rows, *state.block(g.neighbors[0]), keys, columns, out[g.element]
                )
            for k, (g, _, limit, tables) in enumerate(self.angular_groups):
                atoms = split[g.element][t]
                e1, e2 = g.neighbors
                _angular_forward(
                    pairs.vectors, r, state.P_of[k], pairs.neighbors, codes, atoms, rows, pairs.block_start,
                    pairs.block_count, e1, e2, g.narrow, limit, *tables, out[g.element], *state.triples[k, t],
                )  # fmt: skip

        list(_POOL.map(run, range(THREADS)))
        return out, state

    def _buffers(self, state: _State) -> tuple[np.ndarray, np.ndarray]:
        """Memory for the pair terms and, per (angular group, thread), the triples and per-centre work.

        Sets ``state.P, state.dP`` (pairs, keys), ``state.P_of, state.dP_of`` (each angular
        group's (pairs, its keys)) and ``state.triples``, and returns the memory of
        ``P_of`` and ``dP_of`` (flat, for :func:`_pair_terms`). The pair indices p, q, o of
        the triples (room for every candidate) and their counts per centre are int32,
        carved from one array; the pair terms and the work arrays (rows for cos θ, X, A,
        dA/dcos θ and the backward sums; a column per triple of the busiest centre) are
        float64, from another. Both return to :attr:`_spare` when ``state`` is garbage
        collected, so that MD steps reuse them instead of touching fresh memory (about
        2000 page faults per 192-atom water frame otherwise).
        """
        sizes = {}
        for k, (g, _, _, (lambdas, *_)) in enumerate(self.angular_groups):
            e1, e2 = g.neighbors
            rows = 5 + 2 * len(g._radial_keys) + 2 * len(lambdas)
            for t, atoms in enumerate(state.split[g.element]):
                n1, n2 = state.pairs.block_count[atoms, e1], state.pairs.block_count[atoms, e2]
                candidates = n1 * (n1 - 1) // 2 if e1 == e2 else n1 * n2
                most = int(np.max(candidates, initial=1))
                room = int(np.sum(candidates)) + 1  # one more: see centre_triples
                sizes[k, t] = (room, len(atoms), rows, most)
        n_pairs, n_keys, n_columns = len(state.r), len(self.keys), len(self._group_keys)
        need = sum(3 * m + n for m, n, _, _ in sizes.values())
        need_work = 2 * n_pairs * (n_keys + n_columns) + sum(r * most for _, _, r, most in sizes.values())
        with self._spare_lock:  # forward passes may run in several threads (e.g. a prefetching worker)
            fitting = [k for k, (a, b) in enumerate(self._spare) if len(a) >= need and len(b) >= need_work]
            spare = self._spare.pop(fitting[0]) if fitting else None
        if spare is not None:
            memory, work = spare
        else:
            memory, work = np.empty(int(1.2 * need) + 1024, np.int32), np.empty(int(1.2 * need_work) + 1024)
        weakref.finalize(state, self._spare.append, (memory, work))
        size = n_pairs * n_keys
        state.P, state.dP = (work[c * size : (c + 1) * size].reshape(n_pairs, n_keys) for c in (0, 1))
        start_work = 2 * size
        flat, d_flat = (work[start_work + c * n_pairs * n_columns :][: n_pairs * n_columns] for c in (0, 1))
        for array, out in ((flat, state.P_of), (d_flat, state.dP_of)):
            for begin, width in zip(self._group_start, self._group_width):
                out.append(array[n_pairs * begin : n_pairs * (begin + width)].reshape(n_pairs, width))
        start, start_work = 0, start_work + 2 * n_pairs * n_columns
        for key, (m, n, rows, most) in sizes.items():
            p, q, o = (memory[start + c * m : start + (c + 1) * m] for c in range(3))
            scratch = work[start_work : start_work + rows * most].reshape(rows, most)
            state.triples[key] = (p, q, o, memory[start + 3 * m : start + 3 * m + n], scratch)
            start += 3 * m + n
            start_work += rows * most
        return flat, d_flat

    def backward(self, state: _State, w: list[np.ndarray]) -> np.ndarray:
        """∂E/∂D_p (n_pairs, 3) from ``w`` = ∂E/∂G per element (shapes as returned by :meth:`forward`)."""
        pairs, r = state.pairs, state.r
        grad = np.zeros((len(r), 3))
        along = np.zeros((THREADS + 1, len(r)))
        w = [np.ascontiguousarray(x, dtype=np.float64) for x in w]

        def run(t: int) -> None:
            for g, keys, columns in self.radial_groups:
                _radial_backward(
                    state.dP, r, state.split[g.element][t], state.rows,
                    *state.block(g.neighbors[0]), keys, columns, w[g.element], along[0],
                )  # fmt: skip
            for k, (g, _, _, tables) in enumerate(self.angular_groups):
                _angular_backward(
                    pairs.vectors, r, state.P_of[k], state.dP_of[k], g.narrow, state.split[g.element][t],
                    state.rows, *tables, w[g.element], *state.triples[k, t], grad, along[0], along[t + 1],
                )  # fmt: skip

        list(_POOL.map(run, range(THREADS)))
        grad += along.sum(axis=0)[:, None] * pairs.vectors
        return grad

    @staticmethod
    def forces_and_virial(pairs: PairList, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Forces (n_atoms, 3), eV/Å, and ∂E/∂ε = Σ_p D_p ⊗ ∂E/∂D_p (3, 3), eV, from :meth:`backward`."""
        return _forces_and_virial(grad, pairs.vectors, pairs.centers, pairs.neighbors, len(pairs.species))
