r"""Symmetry functions and their gradient as compiled loops (numba): the fast path for MD.

:class:`DescriptorLoops` computes the same numbers as
:class:`~nnp_tutorial.descriptors.SymmetryFunctionSet` (the tests compare the two to
round-off) in another order, suited to one structure at a time:

1. **Pair terms.** For every pair of the neighbour list and every distinct
   :math:`(\eta, r_s, r_c)` of the set, :math:`P(r) = f_c(r)\,e^{-\eta(r-r_s)^2}` and
   :math:`P'(r)` (the formula of :func:`~nnp_tutorial.descriptors.graph.pair_factors`), in a
   compiled loop from :math:`f_c` and :math:`f_c'` of each distinct :math:`r_c` (the cutoff
   functions of :mod:`nnp_tutorial.descriptors.cutoffs`, evaluated by NumPy). Only the keys that a
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
   by the chain rule of :class:`~nnp_tutorial.descriptors.graph.AngularTerms`, written out.

The loops run over central atoms, split between threads (numba releases the GIL);
each centre's functions and the gradients of its own pairs are written by one
thread only, and only the third sides' gradients go to per-thread buffers. No
per-triple floating-point array is stored (the forward pass keeps only the three pair
indices of each triple for the backward pass), so memory grows far more slowly with
the structure than the graph's and needs no chunking. The derivatives of the functions
with respect to a few drawn atoms, which training's force labels need, are
:mod:`nnp_tutorial.descriptors.derivatives` (the same pair-term formula and triple finder).
"""

from __future__ import annotations

import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .loop_kernels import (
    angular_backward,
    angular_forward,
    forces_and_virial,
    pair_terms,
    radial_backward,
    radial_forward,
)
from .neighbors import PairList, element_rows, shift_codes
from .terms import GroupedFunctions

#: Threads of the loops (one per core, at most four).
THREADS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
_POOL = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="descriptor-loops")


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
    descriptor : GroupedFunctions
        A :class:`~nnp_tutorial.descriptors.SymmetryFunctionSet`, or anything with its term groups.

    Examples
    --------
    >>> from ase.build import molecule
    >>> from nnp_tutorial.descriptors import SymmetryFunctionSet
    >>> from nnp_tutorial.descriptors.functions import AngularG3, RadialG2
    >>> sfs = SymmetryFunctionSet({"H": [RadialG2("H", "O", 0.5, 0.0, 4.0)],
    ...                            "O": [AngularG3("O", "H", "H", 0.5, 1.0, 2.0, 4.0)]})
    >>> water = molecule("H2O")
    >>> g, _ = DescriptorLoops(sfs).forward(sfs.pairs(water))
    >>> tf_graph = sfs.graph  # the TensorFlow graph
    >>> graph = tf_graph.from_inputs(tf_graph.padded(tf_graph.inputs(sfs.pairs(water))))
    >>> bool(abs(g[1] - graph["O"]).max() < 1e-15)
    True
    """

    def __init__(self, descriptor: GroupedFunctions) -> None:
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
            radial_keys = np.array([index[(eta, rs, g.rc)] for eta, rs in g.radial_keys])
            lambdas = np.array([lam for lam, _ in g.angular_keys], dtype=np.float64)
            zetas = np.array([zeta for _, zeta in g.angular_keys], dtype=np.float64)
            limit = (g.rc * (1.0 + 1e-5)) ** 2  # as neighbors.triples: a margin, the cutoff is exact
            tables = (lambdas, zetas, np.array(g.angular_of), np.array(g.radial_of), columns)
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

        def terms_of(t: int) -> None:
            pair_terms(
                r, cut, block, self.key_cutoff, self.key_eta, self.key_rs, self._keys_of, self._columns_of,
                self._group_keys, self._group_of, self._group_start, self._group_width, state.P, state.dP,
                flat, d_flat, bounds[t], bounds[t + 1],
            )  # fmt: skip

        list(_POOL.map(terms_of, range(THREADS)))
        P = state.P

        def run(t: int) -> None:
            for g, keys, columns in self.radial_groups:
                radial_forward(
                    P, split[g.element][t], rows, *state.block(g.neighbors[0]), keys, columns, out[g.element]
                )
            for k, (g, _, limit, tables) in enumerate(self.angular_groups):
                atoms = split[g.element][t]
                e1, e2 = g.neighbors
                angular_forward(
                    pairs.vectors, r, state.P_of[k], pairs.neighbors, codes, atoms, rows, pairs.block_start,
                    pairs.block_count, e1, e2, g.narrow, limit, *tables, out[g.element], *state.triples[k, t],
                )  # fmt: skip

        list(_POOL.map(run, range(THREADS)))
        return out, state

    def _buffers(self, state: _State) -> tuple[np.ndarray, np.ndarray]:
        """Memory for the pair terms and, per (angular group, thread), the triples and per-centre work.

        Sets ``state.P, state.dP`` (pairs, keys), ``state.P_of, state.dP_of`` (each angular
        group's (pairs, its keys)) and ``state.triples``, and returns the memory of
        ``P_of`` and ``dP_of`` (flat, for :func:`pair_terms`). The pair indices p, q, o of
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
            rows = 5 + 2 * len(g.radial_keys) + 2 * len(lambdas)
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
                radial_backward(
                    state.dP, r, state.split[g.element][t], state.rows,
                    *state.block(g.neighbors[0]), keys, columns, w[g.element], along[0],
                )  # fmt: skip
            for k, (g, _, _, tables) in enumerate(self.angular_groups):
                angular_backward(
                    pairs.vectors, r, state.P_of[k], state.dP_of[k], g.narrow, state.split[g.element][t],
                    state.rows, *tables, w[g.element], *state.triples[k, t], grad, along[0], along[t + 1],
                )  # fmt: skip

        list(_POOL.map(run, range(THREADS)))
        grad += along.sum(axis=0)[:, None] * pairs.vectors
        return grad

    @staticmethod
    def forces_and_virial(pairs: PairList, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Forces (n_atoms, 3), eV/Å, and ∂E/∂ε = Σ_p D_p ⊗ ∂E/∂D_p (3, 3), eV, from :meth:`backward`."""
        return forces_and_virial(grad, pairs.vectors, pairs.centers, pairs.neighbors, len(pairs.species))
