"""Neighbour pairs and triples under periodic boundary conditions.

Pairs come from `vesin <https://github.com/Luthaf/vesin>`_ (cell lists in C++),
which handles any cell, triclinic ones and boxes shorter than twice the cutoff
included (an atom then meets several images of the same neighbour). Triples
``(i; j, k)`` with ``j`` and ``k`` two different neighbour entries of the same
central atom are built from the pair list by a loop compiled with
`numba <https://numba.pydata.org>`_ — no Python loop over atoms.

Pair order
----------
Pairs are sorted by (element of the centre, element of the neighbour, centre),
so that the neighbours of one centre with one element form a contiguous block;
the triples of each element combination are generated block by block. Within
a block they are sorted by neighbour and cell shift: the order depends only on
the set of pairs, so a Verlet-cached search (:class:`NeighborSearch`) and a
fresh one give bit-identical results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from vesin import NeighborList


@numba.njit(nogil=True, cache=True)
def _counting_sort(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Stable sorting order of integer ``keys`` in ``[0, n_keys)``, and where each key starts.

    Returns ``order`` (n,) and ``starts`` (n_keys + 1,): the sorted keys equal to
    ``k`` are ``order[starts[k]:starts[k + 1]]``. O(n + n_keys), no comparisons.
    """
    starts = np.zeros(n_keys + 1, np.int64)
    for k in keys:
        starts[k + 1] += 1
    for k in range(n_keys):
        starts[k + 1] += starts[k]
    fill = starts[:-1].copy()
    order = np.empty(len(keys), np.int64)
    for p in range(len(keys)):
        order[fill[keys[p]]] = p
        fill[keys[p]] += 1
    return order, starts


@numba.njit(nogil=True, cache=True)
def _canonical_order(
    block_keys: np.ndarray, n_blocks: int, neighbors: np.ndarray, n_atoms: int, shifts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Order of pairs by (block key, neighbour, cell shift), and where each block starts.

    Three stable counting sorts, least significant key first (a radix sort). The
    order depends only on the set of pairs, not on the order they came in, so a
    search that finds the same pairs in another order gives the same arrays.
    """
    reach = 0
    for s in shifts.ravel():
        reach = max(reach, abs(s))
    width = 2 * reach + 1
    code = ((shifts[:, 0] + reach) * width + shifts[:, 1] + reach) * width + shifts[:, 2] + reach
    order, _ = _counting_sort(code, width**3)
    by_neighbor, _ = _counting_sort(neighbors[order], n_atoms)
    order = order[by_neighbor]
    by_block, starts = _counting_sort(block_keys[order], n_blocks)
    return order[by_block], starts


@numba.njit(nogil=True, cache=True)
def _pair_vectors(
    positions: np.ndarray, centers: np.ndarray, neighbors: np.ndarray, shifts: np.ndarray, cell: np.ndarray
) -> np.ndarray:
    """``r_j - r_i + S·cell`` for each pair, shape (n_pairs, 3), Å (one pass, no temporaries)."""
    vectors = np.empty((len(centers), 3))
    for p in range(len(centers)):
        for d in range(3):
            image = shifts[p, 0] * cell[0, d] + shifts[p, 1] * cell[1, d] + shifts[p, 2] * cell[2, d]
            vectors[p, d] = positions[neighbors[p], d] - positions[centers[p], d] + image
    return vectors


@dataclass
class PairList:
    """Directed neighbour pairs ``i → j`` with ``r_ij < cutoff``.

    Attributes
    ----------
    centers, neighbors : ndarray of shape (n_pairs,), int
        Atom indices i and j.
    vectors : ndarray of shape (n_pairs, 3)
        ``r_j + S·cell - r_i``, Å.
    shifts : ndarray of shape (n_pairs, 3), int
        Cell shift S of the image of j.
    species : ndarray of shape (n_atoms,), int
        Element index of each atom (in the descriptor's element order).
    n_species : int
        Number of elements.
    """

    centers: np.ndarray
    neighbors: np.ndarray
    vectors: np.ndarray
    shifts: np.ndarray
    species: np.ndarray
    n_species: int

    def __post_init__(self) -> None:
        n_atoms, ns = len(self.species), self.n_species
        block = self.species[self.centers] * ns + self.species[self.neighbors]  # (n_pairs,)
        order, starts = _canonical_order(
            block * n_atoms + self.centers, ns * ns * n_atoms, self.neighbors, n_atoms, self.shifts
        )
        for name in ("centers", "neighbors", "vectors", "shifts"):
            setattr(self, name, getattr(self, name)[order])
        # block (i, e): the pairs of centre i whose neighbour has element e
        block_key = (self.species[:, None] * ns + np.arange(ns)[None, :]) * n_atoms + np.arange(n_atoms)[
            :, None
        ]
        self.block_start = starts[block_key]  # (n_atoms, n_species)
        self.block_count = starts[block_key + 1] - self.block_start

    def __len__(self) -> int:
        return len(self.centers)

    def compact(self) -> CompactPairs:
        """The index arrays of this list in small integer types (to keep many lists in memory)."""
        return CompactPairs(
            self.centers.astype(np.int32),
            self.neighbors.astype(np.int32),
            self.shifts.astype(np.int8) if np.abs(self.shifts).max(initial=0) < 128 else self.shifts,
            self.species,
            self.n_species,
            self.block_start.astype(np.int32),
            self.block_count.astype(np.int32),
        )

    @property
    def distances(self) -> np.ndarray:
        """Pair distances, shape (n_pairs,), Å."""
        return np.linalg.norm(self.vectors, axis=1)


@dataclass
class CompactPairs:
    """A :class:`PairList` without its vectors, in small integer types: about 11 bytes per pair.

    :meth:`expand` gives the full list again for the same positions and cell, in the
    same (canonical) order, without searching or sorting.
    """

    centers: np.ndarray
    neighbors: np.ndarray
    shifts: np.ndarray
    species: np.ndarray
    n_species: int
    block_start: np.ndarray
    block_count: np.ndarray

    @property
    def nbytes(self) -> int:
        return sum(
            a.nbytes for a in (self.centers, self.neighbors, self.shifts, self.block_start, self.block_count)
        )

    def expand(self, positions: np.ndarray, cell: np.ndarray) -> PairList:
        """The pair list of the structure at ``positions`` (n_atoms, 3) and ``cell`` (3, 3), Å."""
        pairs = object.__new__(PairList)  # already in canonical order: skip the sort of __post_init__
        pairs.centers, pairs.neighbors = self.centers.astype(np.int64), self.neighbors.astype(np.int64)
        pairs.shifts = self.shifts.astype(np.int64)
        pairs.vectors = _pair_vectors(
            np.ascontiguousarray(positions, dtype=np.float64), pairs.centers, pairs.neighbors, pairs.shifts,
            np.asarray(cell, dtype=np.float64),
        )  # fmt: skip
        pairs.species, pairs.n_species = self.species, self.n_species
        pairs.block_start, pairs.block_count = (
            self.block_start.astype(np.int64),
            self.block_count.astype(np.int64),
        )
        return pairs


class NeighborSearch:
    """Half neighbour lists from vesin that can reuse their candidates between MD steps.

    With ``skin > 0`` it keeps vesin's Verlet cache: the pairs within
    ``cutoff + skin`` are searched once, and later calls only recompute their
    distances until an atom has moved more than ``skin / 2`` (vesin checks
    this and searches again). vesin also searches again whenever the cell
    changes, so a call whose cell differs from the previous call's (NPT, or a
    new structure) gets a plain search instead of the larger cached one. The
    pairs found are those of a plain search; only their order differs, and
    :class:`PairList` puts them in a canonical order, so results do not depend
    on when the cache was rebuilt.

    Parameters
    ----------
    skin : float, default 0
        Verlet skin, Å (0: search from scratch at every call).
    """

    def __init__(self, skin: float = 0.0) -> None:
        if skin < 0:
            raise ValueError(f"skin must be >= 0 Å, not {skin}")
        self.skin = float(skin)
        self._searches: dict[tuple[float, float], NeighborList] = {}
        self._cell: np.ndarray | None = None

    def __call__(
        self, positions: np.ndarray, cell: np.ndarray, pbc: np.ndarray, cutoff: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Atom indices i, j and cell shifts S of each pair within ``cutoff``, once per pair."""
        skin = self.skin if self._cell is not None and np.array_equal(cell, self._cell) else 0.0
        self._cell = cell.copy()
        key = (cutoff, skin)
        if key not in self._searches:
            self._searches[key] = NeighborList(cutoff=cutoff, full_list=False, skin=skin)
        return self._searches[key].compute(positions, cell, pbc.tolist(), quantities="ijS")


def element_rows(species: np.ndarray, n_species: int) -> np.ndarray:
    """Position of each atom among the atoms of its element (its row in that element's arrays), (n_atoms,)."""
    rows = np.zeros(len(species), dtype=np.int64)
    for k in range(n_species):
        mask = species == k
        rows[mask] = np.arange(mask.sum())
    return rows


#: Closer than this (Å), two atoms sit on top of each other: the symmetry functions of a
#: pair at r = 0 are undefined and nothing near it is a structure (the shortest distance in
#: water, the O–H bond, is about 0.96 Å). Evaluating such a structure is refused; MD's
#: stability check (:class:`~nnp_tutorial.md.stability.StabilityCriteria`) stops a run
#: well before, at 0.5 Å.
MIN_PAIR_DISTANCE_A = 0.1


def closest_pair(pairs: PairList) -> tuple[int, int, float]:
    """The centre and neighbour of the shortest pair and its length (Å); (-1, -1, inf) without pairs."""
    if len(pairs.vectors) == 0:
        return -1, -1, float("inf")
    squared = np.einsum("ij,ij->i", pairs.vectors, pairs.vectors)
    p = int(np.argmin(squared))
    return int(pairs.centers[p]), int(pairs.neighbors[p]), float(np.sqrt(squared[p]))


def neighbor_pairs(
    positions: np.ndarray,
    cell: np.ndarray,
    pbc: np.ndarray | bool,
    cutoff: float,
    species: np.ndarray,
    n_species: int,
    search: NeighborSearch | None = None,
) -> PairList:
    """Full (directed) neighbour list within ``cutoff``.

    Parameters
    ----------
    positions : ndarray of shape (n_atoms, 3)
        Cartesian positions, Å.
    cell : ndarray of shape (3, 3)
        Lattice vectors as rows, Å (ignored along non-periodic directions).
    pbc : bool or array of 3 bool
        Periodicity per direction.
    cutoff : float
        Cutoff radius, Å.
    species : ndarray of shape (n_atoms,), int
        Element index of each atom.
    n_species : int
        Number of elements.
    search : NeighborSearch, optional
        A search that persists between calls (MD); by default a fresh one.

    Returns
    -------
    PairList
    """
    positions = np.ascontiguousarray(positions, dtype=np.float64)
    pbc = np.broadcast_to(np.asarray(pbc, dtype=bool), (3,))
    cell = np.asarray(cell, dtype=np.float64)
    if not pbc.any():
        cell = np.zeros((3, 3))
    # the half list (each pair once) is ~30 % faster to search; the reversed copies complete it
    i, j, shifts = (search or NeighborSearch())(positions, cell, pbc, cutoff)
    i, j, shifts = i.astype(np.int64), j.astype(np.int64), shifts.astype(np.int64)
    centers, neighbors, shifts = (
        np.concatenate([i, j]),
        np.concatenate([j, i]),
        np.concatenate([shifts, -shifts]),
    )
    vectors = _pair_vectors(positions, centers, neighbors, shifts, cell)
    return PairList(centers, neighbors, vectors, shifts, np.asarray(species, dtype=np.int64), n_species)


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


@numba.njit(nogil=True, cache=True)
def _kept_triples(
    vectors: np.ndarray,
    centers: np.ndarray,
    s1: np.ndarray,
    n1: np.ndarray,
    s2: np.ndarray,
    n2: np.ndarray,
    same: bool,
    max_squared: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair indices (p, q) of the triples of ``centers`` with r_jk^2 < ``max_squared``.

    ``s1[i], n1[i]`` (``s2, n2``): start and length of centre i's block of neighbours
    of the first (second) element in the pair list; ``same``: the two elements are
    equal (then only j < k).

    Every candidate is written and the write position advances only for kept
    ones (no unpredictable branch: about three times faster than ``if``). The
    kept triples are returned in a spread order (see :func:`triples`).
    """
    n_candidates = 0
    for i in centers:
        n_candidates += n1[i] * (n1[i] - 1) // 2 if same else n1[i] * n2[i]
    p = np.empty(n_candidates, np.int32)
    q = np.empty(n_candidates, np.int32)
    t = 0
    for i in centers:
        for a in range(n1[i]):
            pj = s1[i] + a
            x, y, z = vectors[pj, 0], vectors[pj, 1], vectors[pj, 2]
            rj2 = x * x + y * y + z * z
            for b in range(a + 1 if same else 0, n2[i]):
                pk = s2[i] + b
                xk, yk, zk = vectors[pk, 0], vectors[pk, 1], vectors[pk, 2]
                rjk2 = rj2 + xk * xk + yk * yk + zk * zk - 2.0 * (x * xk + y * yk + z * zk)
                p[t] = pj
                q[t] = pk
                t += rjk2 < max_squared
    # interleave 16 equal runs of the kept triples (a cache-friendly permutation
    # under which consecutive triples belong to different centres)
    runs = 16
    length = (t + runs - 1) // runs
    spread_p = np.empty(t, np.int32)
    spread_q = np.empty(t, np.int32)
    u = 0
    for k in range(length):
        for v in range(k, t, length):
            spread_p[u] = p[v]
            spread_q[u] = q[v]
            u += 1
    return spread_p, spread_q


def triples(
    pairs: PairList,
    center: int,
    e1: int,
    e2: int,
    max_rjk: float | None = None,
    among: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Unordered neighbour pairs ``{j, k}`` of centres with element ``center``.

    For every centre the candidates are its neighbours of element ``e1`` × its
    neighbours of element ``e2`` (``j`` before ``k`` if ``e1 == e2``), two contiguous
    blocks of the pair list; a compiled loop (numba, GIL released) visits them and
    keeps those with ``r_jk < max_rjk``, computed from the two sides — no Python loop
    over atoms. (The compiled loops find their triples with :func:`centre_triples`,
    which also returns the pair j → k whose pair terms they reuse; computing r_jk from
    the sides, branch-free, builds the graph's triples twice as fast: 2.7 against 5.2 ms
    for a 192-atom frame, 12 against 24 ms for 1080 atoms, ``bench_descriptors.py``.)

    Parameters
    ----------
    pairs : PairList
    center : int
        Element index of the central atoms.
    e1, e2 : int
        Element indices of the two neighbours (``e1 <= e2``).
    max_rjk : float, optional
        Keep only triples with ``r_jk < max_rjk`` (Å); narrow angular functions
        vanish beyond their cutoff, and about half of all triples lie there.
        The test has a relative margin of 1e-5, so it never drops a triple inside
        the cutoff (the exact cutoff function is applied later).
    among : ndarray of int, optional
        Only the centres among these atoms (e.g. a chunk of a large box).

    Returns
    -------
    p, q : ndarray of shape (n_triples,), int32
        Pair indices of ``i → j`` and ``i → k``; each unordered combination of
        two different neighbour entries appears once. The order is spread out
        (consecutive triples belong to different centres): the compiled graph
        sums the triples onto their centres and pairs with scatter-adds, and
        with this order its evaluation of a 192-atom water frame is 5 % (float64)
        to 11 % (float32) faster than with the triples grouped by centre.
    """
    centers = np.flatnonzero(pairs.species == center)
    if among is not None:
        centers = np.intersect1d(centers, among)
    limit = np.inf if max_rjk is None else (max_rjk * (1.0 + 1e-5)) ** 2
    return _kept_triples(
        pairs.vectors,
        centers,
        pairs.block_start[:, e1],
        pairs.block_count[:, e1],
        pairs.block_start[:, e2],
        pairs.block_count[:, e2],
        e1 == e2,
        limit,
    )
