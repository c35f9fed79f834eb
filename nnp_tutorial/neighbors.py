"""Neighbour pairs and triples under periodic boundary conditions.

Pairs come from `vesin <https://github.com/Luthaf/vesin>`_ (cell lists in C++),
which handles any cell, triclinic ones and boxes shorter than twice the cutoff
included (an atom then meets several images of the same neighbour). Triples
``(i; j, k)`` with ``j`` and ``k`` two different neighbour entries of the same
central atom are built from the pair list with vectorised index arithmetic —
no Python loop over atoms.

Pair order
----------
Pairs are sorted by (element of the centre, element of the neighbour, centre),
so that the neighbours of one centre with one element form a contiguous block;
the triples of each element combination are generated block by block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from vesin import NeighborList


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
        key = block * n_atoms + self.centers
        if len(self.centers) and (np.diff(self.centers) >= 0).all():
            # already grouped by centre (as vesin returns them): a stable radix sort
            # of the small element-pair code gives the same order, ~10x faster
            order = np.argsort(block.astype(np.uint8 if ns * ns <= 256 else np.int64), kind="stable")
        else:
            order = np.argsort(key, kind="stable")
        for name in ("centers", "neighbors", "vectors", "shifts"):
            setattr(self, name, getattr(self, name)[order])
        key = key[order]
        # block (i, e): the pairs of centre i whose neighbour has element e
        block_key = (self.species[:, None] * ns + np.arange(ns)[None, :]) * n_atoms + np.arange(n_atoms)[
            :, None
        ]
        self.block_start = np.searchsorted(key, block_key, side="left")  # (n_atoms, n_species)
        self.block_count = np.searchsorted(key, block_key, side="right") - self.block_start
        self.vectors32 = self.vectors.astype(np.float32)  # for fast geometric filters
        self.squared32 = np.einsum("ij,ij->i", self.vectors32, self.vectors32)  # (n_pairs,) Å²

    def __len__(self) -> int:
        return len(self.centers)

    @property
    def distances(self) -> np.ndarray:
        """Pair distances, shape (n_pairs,), Å."""
        return np.linalg.norm(self.vectors, axis=1)

    def select_centers(self, mask: np.ndarray) -> PairList:
        """The pairs whose centre has ``mask[center]`` true (order is preserved)."""
        keep = mask[self.centers]
        return PairList(
            self.centers[keep],
            self.neighbors[keep],
            self.vectors[keep],
            self.shifts[keep],
            self.species,
            self.n_species,
        )


def neighbor_pairs(
    positions: np.ndarray,
    cell: np.ndarray,
    pbc: np.ndarray | bool,
    cutoff: float,
    species: np.ndarray,
    n_species: int,
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

    Returns
    -------
    PairList
    """
    positions = np.ascontiguousarray(positions, dtype=np.float64)
    pbc = np.broadcast_to(np.asarray(pbc, dtype=bool), (3,))
    cell = np.asarray(cell, dtype=np.float64)
    if not pbc.any():
        cell = np.zeros((3, 3))
    calculator = NeighborList(cutoff=cutoff, full_list=True)
    i, j, shifts, vectors = calculator.compute(positions, cell, pbc.tolist(), quantities="ijSD")
    return PairList(
        i.astype(np.int64),
        j.astype(np.int64),
        vectors,
        shifts.astype(np.int64),
        np.asarray(species, dtype=np.int64),
        n_species,
    )


def ragged_arange(counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(c)`` for each ``c`` in ``counts``.

    >>> ragged_arange(np.array([2, 0, 3])).tolist()
    [0, 1, 0, 1, 2]
    """
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(counts.sum()) - np.repeat(starts, counts)


def triples(
    pairs: PairList, center: int, e1: int, e2: int, max_rjk: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Unordered neighbour pairs ``{j, k}`` of centres with element ``center``.

    For every centre the candidates form a dense block (neighbours of element
    ``e1`` × neighbours of element ``e2``, upper triangle if ``e1 == e2``); all
    centres are handled at once as a padded ``(centres, n1, n2)`` array, and
    ``r_jk`` comes from a batched matrix product, so no Python loop runs over
    atoms and no large random gather is needed.

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

    Returns
    -------
    p, q : ndarray of shape (n_triples,), int32
        Pair indices of ``i → j`` and ``i → k``; each unordered combination of
        two different neighbour entries appears once, grouped by centre.
    """
    centers = np.flatnonzero(pairs.species == center)
    n1, n2 = pairs.block_count[centers, e1], pairs.block_count[centers, e2]
    s1, s2 = pairs.block_start[centers, e1], pairs.block_start[centers, e2]
    m1, m2 = int(n1.max(initial=0)), int(n2.max(initial=0))
    a, b = np.arange(m1), np.arange(m2)
    valid = (a[None, :, None] < n1[:, None, None]) & (b[None, None, :] < n2[:, None, None])  # (C, m1, m2)
    if e1 == e2:
        valid &= a[:, None] < b[None, :]
    if max_rjk is not None and valid.any():
        # r_jk^2 = r_ij^2 + r_ik^2 - 2 D_ij.D_ik in float32 (half the memory traffic);
        # its error (~1e-6 relative) is far below the 1e-5 relative margin.
        last = len(pairs.vectors) - 1
        i1 = np.minimum(s1[:, None] + a, last)  # (C, m1) pair indices, clipped padding
        i2 = np.minimum(s2[:, None] + b, last)  # (C, m2)
        v32, r32 = pairs.vectors32, pairs.squared32
        squared = np.matmul(v32[i1], v32[i2].transpose(0, 2, 1))  # (C, m1, m2)
        squared *= -2.0
        squared += r32[i1][:, :, None]
        squared += r32[i2][:, None, :]
        valid &= squared < np.float32(max_rjk**2 * (1.0 + 1e-5))
    flat = np.flatnonzero(valid)
    row = flat // max(m2, 1)  # centre * m1 + j
    p = (s1[:, None] + a).astype(np.int32).ravel()[row]
    q = (s2[:, None] + b).astype(np.int32).ravel()[(row // max(m1, 1)) * m2 + (flat - row * m2)]
    return p, q
