"""Neighbour pairs and triples against brute-force enumeration over periodic images.

Oracle: a loop over every atom pair and every lattice shift ``S`` with
``|S_k| <= ceil(r_c / h_k) + 2`` (``h_k`` the cell height along direction k; atoms lie
within fractional coordinates -0.2 ... 1.2),
keeping ``0 < |r_j + S·cell - r_i| < r_c``; triples are all unordered pairs of
distinct neighbour entries of one centre.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from nnp_tutorial.descriptors.neighbors import NeighborSearch, PairList, neighbor_pairs, triples

N_SPECIES = 3
EDGE = 1e-9  # pairs this close to the cutoff are ignored (either answer is right)


def random_system(seed: int, *, pbc=True, short: bool = False):
    """Random triclinic cell (lengths 2.5-7 Å) with 6-14 atoms of 3 species and a 2.5-4.5 Å cutoff.

    ``short``: every cell height is below twice the cutoff (several images of one neighbour)
    and one lattice vector is shorter than the cutoff (images of the atom itself).
    """
    rng = np.random.default_rng(seed)
    cutoff = rng.uniform(2.5, 4.5)
    while True:
        lengths = rng.uniform(2.5, 7.0, 3) if not short else rng.uniform(2.5, 1.6 * cutoff, 3)
        cell = np.diag(lengths) + np.triu(rng.uniform(-0.4, 0.4, (3, 3)), 1) * lengths[None, :].T
        cell = cell @ np.linalg.qr(rng.normal(size=(3, 3)))[0]  # arbitrary orientation
        heights = cell_heights(cell)
        self_images = np.linalg.norm(cell, axis=1).min() < cutoff
        if heights.min() > 1.5 and (not short or (heights.max() < 2 * cutoff and self_images)):
            break
    n = int(rng.integers(6, 15))
    fractional = rng.uniform(-0.2, 1.2, (n, 3))  # some atoms outside the cell
    positions = fractional @ cell
    species = rng.integers(0, N_SPECIES, n)
    species[:N_SPECIES] = np.arange(N_SPECIES)  # every species present
    return positions, cell, np.broadcast_to(np.asarray(pbc, dtype=bool), (3,)).copy(), cutoff, species


def cell_heights(cell: np.ndarray) -> np.ndarray:
    """Distance between opposite faces of the cell, per direction."""
    volume = abs(np.linalg.det(cell))
    return volume / np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1)


def brute_force_pairs(
    positions, cell, pbc, cutoff
) -> dict[tuple[int, int, tuple[int, int, int]], np.ndarray]:
    """{(i, j, S): D} for every directed pair within the cutoff, by looping over images."""
    heights = cell_heights(cell) if pbc.any() else np.ones(3)
    ranges = [
        range(-(math.ceil(cutoff / h) + 2), math.ceil(cutoff / h) + 3) if p else range(1)
        for h, p in zip(heights, pbc)
    ]
    out = {}
    for s in itertools.product(*ranges):
        d = positions[None, :, :] + np.asarray(s, dtype=float) @ cell - positions[:, None, :]  # (i, j, 3)
        r = np.linalg.norm(d, axis=-1)  # (i, j)
        for i, j in zip(*np.nonzero((r > 0) & (r < cutoff))):
            out[(int(i), int(j), s)] = d[i, j]
    return out


def as_dict(pairs: PairList) -> dict[tuple[int, int, tuple[int, int, int]], np.ndarray]:
    keys = [
        (int(i), int(j), tuple(int(x) for x in s))
        for i, j, s in zip(pairs.centers, pairs.neighbors, pairs.shifts)
    ]
    assert len(set(keys)) == len(keys), "duplicate pairs"
    return dict(zip(keys, pairs.vectors))


def drop_edge(pairs: dict, cutoff: float) -> dict:
    return {k: v for k, v in pairs.items() if abs(np.linalg.norm(v) - cutoff) > EDGE}


SEEDS = range(10)


@pytest.mark.parametrize("short", [False, True], ids=["any-cell", "short-cell"])
@pytest.mark.parametrize("seed", SEEDS)
def test_pairs_equal_brute_force(seed, short):
    """Same set of (i, j, shift) and the same vectors (1e-12 Å) as the brute-force loop."""
    positions, cell, pbc, cutoff, species = random_system(seed, short=short)
    if short:
        assert cell_heights(cell).max() < 2 * cutoff
    pairs = neighbor_pairs(positions, cell, pbc, cutoff, species, N_SPECIES)
    got = drop_edge(as_dict(pairs), cutoff)
    want = drop_edge(brute_force_pairs(positions, cell, pbc, cutoff), cutoff)
    assert set(got) == set(want)
    keys = sorted(want)
    np.testing.assert_allclose([got[k] for k in keys], [want[k] for k in keys], rtol=0, atol=1e-12)
    # the vector is r_j + S·cell - r_i
    expected = positions[pairs.neighbors] + pairs.shifts @ cell - positions[pairs.centers]
    np.testing.assert_allclose(pairs.vectors, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(pairs.distances, np.linalg.norm(pairs.vectors, axis=1), rtol=1e-15)
    if short:  # an atom meets several images of one neighbour, and images of itself
        counts = {}
        for i, j, _ in got:
            counts[(i, j)] = counts.get((i, j), 0) + 1
        assert max(counts.values()) > 1
        assert any(i == j for i, j, _ in got)


@pytest.mark.parametrize("pbc", [(True, False, True), (False, False, False)], ids=["mixed", "none"])
def test_pairs_partial_periodicity(pbc):
    """Mixed and no periodicity: images only along periodic directions."""
    positions, cell, pbc, cutoff, species = random_system(11, pbc=pbc, short=True)
    pairs = neighbor_pairs(positions, cell, pbc, cutoff, species, N_SPECIES)
    got = drop_edge(as_dict(pairs), cutoff)
    want = drop_edge(brute_force_pairs(positions, cell, pbc, cutoff), cutoff)
    assert set(got) == set(want)
    assert len(want) > 0
    keys = sorted(want)
    np.testing.assert_allclose([got[k] for k in keys], [want[k] for k in keys], rtol=0, atol=1e-12)
    assert np.all(pairs.shifts[:, ~np.asarray(pbc)] == 0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_far_images_give_the_same_pairs(seed):
    """Atoms moved by up to 30 lattice vectors (unwrapped data): same pairs, shifts compensate."""
    positions, cell, pbc, cutoff, species = random_system(seed, short=True)
    moves = np.random.default_rng(seed).integers(-30, 31, (len(positions), 3))
    near = neighbor_pairs(positions, cell, pbc, cutoff, species, N_SPECIES)
    far = neighbor_pairs(positions + moves @ cell, cell, pbc, cutoff, species, N_SPECIES)
    # r'_j + S'·cell - r'_i = r_j + (S' + n_j - n_i)·cell - r_i
    corrected = far.shifts + moves[far.neighbors] - moves[far.centers]
    far_keys = {
        (int(i), int(j), tuple(int(x) for x in s)): d
        for i, j, s, d in zip(far.centers, far.neighbors, corrected, far.vectors)
    }
    near_keys = as_dict(near)
    assert set(drop_edge(far_keys, cutoff)) == set(drop_edge(near_keys, cutoff))
    keys = sorted(drop_edge(near_keys, cutoff))
    np.testing.assert_allclose([far_keys[k] for k in keys], [near_keys[k] for k in keys], rtol=0, atol=1e-10)


@pytest.mark.parametrize("seed", SEEDS)
def test_pair_blocks(seed):
    """Pairs are grouped by (centre element, neighbour element, centre); blocks index them."""
    positions, cell, pbc, cutoff, species = random_system(seed, short=True)
    pairs = neighbor_pairs(positions, cell, pbc, cutoff, species, N_SPECIES)
    n_atoms = len(positions)
    assert pairs.block_start.shape == pairs.block_count.shape == (n_atoms, N_SPECIES)
    assert pairs.block_count.sum() == len(pairs)
    for i in range(n_atoms):
        for e in range(N_SPECIES):
            block = slice(pairs.block_start[i, e], pairs.block_start[i, e] + pairs.block_count[i, e])
            assert np.all(pairs.centers[block] == i)
            assert np.all(species[pairs.neighbors[block]] == e)
            assert pairs.block_count[i, e] == np.sum((pairs.centers == i) & (species[pairs.neighbors] == e))


def assert_same_pair_list(a: PairList, b: PairList) -> None:
    for name in ("centers", "neighbors", "vectors", "shifts", "block_start", "block_count"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pair_order_does_not_depend_on_input_order(seed):
    """Sorted by (block, neighbour, shift): a shuffled list gives identical arrays."""
    positions, cell, pbc, cutoff, species = random_system(seed, short=True)
    pairs = neighbor_pairs(positions, cell, pbc, cutoff, species, N_SPECIES)
    shuffle = np.random.default_rng(seed).permutation(len(pairs))
    again = PairList(
        pairs.centers[shuffle],
        pairs.neighbors[shuffle],
        pairs.vectors[shuffle],
        pairs.shifts[shuffle],
        pairs.species,
        N_SPECIES,
    )
    assert_same_pair_list(again, pairs)
    key = list(zip(species[pairs.centers], species[pairs.neighbors], pairs.centers, pairs.neighbors,
                   map(tuple, pairs.shifts)))  # fmt: skip
    assert key == sorted(key)


@pytest.mark.parametrize("seed", [0, 1])
def test_verlet_cached_search_gives_the_plain_pairs(seed):
    """A search kept over 40 small steps (cache rebuilt on the way) and a cell change: the arrays
    of a fresh search every time, bit for bit."""
    positions, cell, pbc, cutoff, species = random_system(seed, short=True)
    rng = np.random.default_rng(seed)
    search = NeighborSearch(skin=0.6)
    start = positions.copy()
    for step in range(40):
        if step == 30:
            cell = cell * 1.01  # a barostat's step: plain search
        positions = positions + rng.normal(scale=0.01, size=positions.shape)
        positions[0, 0] += 0.02  # atom 0 drifts 0.6 Å in 30 steps: beyond skin/2, a rebuild
        kept = neighbor_pairs(positions, cell, pbc, cutoff, species, N_SPECIES, search)
        assert_same_pair_list(kept, neighbor_pairs(positions, cell, pbc, cutoff, species, N_SPECIES))
        if step == 29:
            assert np.linalg.norm(positions[0] - start[0]) > 0.3
    assert (cutoff, 0.6) in search._searches  # the Verlet cache was used


def brute_force_triples(pairs: PairList, center: int, e1: int, e2: int, max_rjk: float | None):
    """Unordered pairs {p, q} of distinct entries of one centre, neighbour species e1 and e2."""
    species = pairs.species
    out = set()
    for i in np.flatnonzero(species == center):
        entries = np.flatnonzero(pairs.centers == i)
        for p, q in itertools.permutations(entries.tolist(), 2):
            if species[pairs.neighbors[p]] != e1 or species[pairs.neighbors[q]] != e2:
                continue
            if e1 == e2 and p > q:
                continue
            if max_rjk is not None and np.linalg.norm(pairs.vectors[q] - pairs.vectors[p]) >= max_rjk:
                continue
            out.add((p, q))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_triples_equal_brute_force(seed):
    """Triples for every (centre, e1 <= e2), with and without the r_jk filter."""
    positions, cell, pbc, cutoff, species = random_system(seed, short=True)
    pairs = neighbor_pairs(positions, cell, pbc, cutoff, species, N_SPECIES)
    n_checked = n_filtered = 0
    for center in range(N_SPECIES):
        for e1, e2 in itertools.combinations_with_replacement(range(N_SPECIES), 2):
            p, q = triples(pairs, center, e1, e2)
            got = list(zip(p.tolist(), q.tolist()))
            assert len(set(got)) == len(got), "duplicate triples"
            assert set(got) == brute_force_triples(pairs, center, e1, e2, None)
            n_checked += len(got)
            # with the r_jk filter: everything strictly inside; nothing beyond the documented
            # 1e-5 relative margin (triples in the margin band are allowed either way)
            max_rjk = 0.8 * cutoff
            p, q = triples(pairs, center, e1, e2, max_rjk)
            got = set(zip(p.tolist(), q.tolist()))
            inside = brute_force_triples(pairs, center, e1, e2, max_rjk)
            loose = brute_force_triples(pairs, center, e1, e2, max_rjk * (1 + 1e-5))
            assert inside <= got <= loose
            n_filtered += len(inside)
    assert n_checked > n_filtered > 0


def test_triples_of_empty_blocks():
    """A centre element without neighbours of the requested elements gives no triples."""
    positions = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [10.0, 0.0, 0.0]])
    species = np.array([0, 0, 1])
    pairs = neighbor_pairs(positions, np.zeros((3, 3)), False, 2.0, species, 2)
    for e1, e2 in [(0, 0), (0, 1), (1, 1)]:
        p, q = triples(pairs, 1, e1, e2)
        assert len(p) == len(q) == 0
        p, q = triples(pairs, 0, e1, e2)
        assert len(p) == 0  # each atom of species 0 has a single neighbour
