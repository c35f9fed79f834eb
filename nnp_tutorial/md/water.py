r"""Periodic boxes of water molecules and their mass density.

Density
-------
.. math::

    \rho\,[\mathrm{g/ml}] = \frac{\sum_i m_i\,[\mathrm{amu}]}{V\,[\mathrm{Å^3}]}
    \times \frac{m_u\,[\mathrm{g}]}{10^{-24}\,\mathrm{cm^3/Å^3}},
    \qquad m_u = 1.66053906660\times10^{-24}\ \mathrm{g}

(:data:`nnp_tutorial.units.AMU_PER_ANGSTROM3_TO_G_PER_CM3`; ASE's ``units._amu`` is the
CODATA-2014 value, 1.6e-8 relative smaller). 64 molecules at 1 g/ml fill a cube of 12.42 Å.

Building a box
--------------
:func:`water_box` puts the oxygen atoms on the sites of a simple cubic, bcc or fcc lattice
(whichever has the largest nearest-neighbour distance for the number of molecules), chooses
the occupied sites at random, and gives each molecule (``ase.build.molecule("H2O")``,
O–H 0.968 Å) a random orientation, redrawn until its atoms keep ``min_contact_A`` from
every atom already placed (minimum image).

Changing the density
--------------------
:func:`scale_to_density` scales the cell by :math:`s = (\rho_0/\rho)^{1/3}` and moves each
molecule rigidly with its oxygen (:math:`\mathbf r_\mathrm{O} \to s\,\mathbf r_\mathrm{O}`, each
hydrogen keeping its minimum-image vector to the nearest oxygen), so bonds and angles are kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ase import Atoms
from ase.build import molecule
from ase.geometry import find_mic
from scipy.spatial.transform import Rotation

from ..units import AMU_PER_ANGSTROM3_TO_G_PER_CM3

#: Lattice bases (fractional) and nearest-neighbour distance per lattice constant.
_LATTICES: dict[str, tuple[np.ndarray, float]] = {
    "sc": (np.zeros((1, 3)), 1.0),
    "bcc": (np.array([[0, 0, 0], [0.5, 0.5, 0.5]]), np.sqrt(3) / 2),
    "fcc": (np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]), 1 / np.sqrt(2)),
}


def density(atoms: Atoms) -> float:
    """Mass density of a periodic structure, g/ml (= g/cm³); formula in the module docstring.

    >>> from ase import Atoms
    >>> round(density(Atoms("H2O", cell=[3.1, 3.1, 3.1], pbc=True)), 4)
    1.0041
    """
    return float(atoms.get_masses().sum() * AMU_PER_ANGSTROM3_TO_G_PER_CM3 / atoms.get_volume())


def near_density(
    structures: Sequence[Atoms], n: int, target_g_per_ml: float = 0.9, tolerance_g_per_ml: float = 0.03
) -> list[Atoms]:
    """``n`` structures evenly spaced through those within a tolerance of a density.

    Structures of similar density have similar numbers of neighbour pairs and triples,
    so they share compiled (XLA) functions: a trainer on them compiles fewer shapes,
    starts sooner and keeps less memory (each compiled force kernel holds about 0.2 GB).

    Parameters
    ----------
    structures : sequence of Atoms
        Periodic structures, e.g. a whole data set.
    n : int
        How many to return; if fewer lie within the tolerance, all ``structures`` are used.
    target_g_per_ml, tolerance_g_per_ml : float
        The density window, g/ml (default 0.9 ± 0.03: 579 of the 1593 revPBE0-D3 structures).

    Returns
    -------
    list of Atoms
        In their original order, evenly spaced (first and last included).

    >>> boxes = [scale_to_density(water_box(8, 1.0), rho) for rho in (0.8, 0.9, 0.91, 1.0, 0.89)]
    >>> [round(density(a), 2) for a in near_density(boxes, 2)]
    [0.9, 0.89]
    """
    pool = [a for a in structures if abs(density(a) - target_g_per_ml) <= tolerance_g_per_ml]
    if len(pool) < n:
        pool = list(structures)
    return [pool[i] for i in np.linspace(0, len(pool) - 1, n).round().astype(int)]


def box_edge(n_molecules: int, density_g_per_ml: float) -> float:
    """Edge of the cube holding ``n_molecules`` water molecules at ``density_g_per_ml``, Å."""
    mass_amu = n_molecules * molecule("H2O").get_masses().sum()
    return float((mass_amu * AMU_PER_ANGSTROM3_TO_G_PER_CM3 / density_g_per_ml) ** (1 / 3))


def lattice_sites(n_sites: int) -> tuple[np.ndarray, float]:
    """At least ``n_sites`` fractional sites of the sc, bcc or fcc lattice with the widest spacing.

    Returns
    -------
    sites : ndarray of shape (n_lattice, 3)
        Fractional coordinates in [0, 1).
    spacing : float
        Nearest-neighbour distance as a fraction of the box edge.
    """
    best = None
    for basis, nearest in _LATTICES.values():
        k = int(np.ceil((n_sites / len(basis)) ** (1 / 3) - 1e-9))  # cells per edge
        spacing = nearest / k
        if best is None or spacing > best[2]:
            best = (basis, k, spacing)
    basis, k, spacing = best
    grid = np.stack(np.meshgrid(*[np.arange(k)] * 3, indexing="ij"), axis=-1).reshape(-1, 1, 3)
    return ((grid + basis) / k).reshape(-1, 3), spacing  # (k³·basis, 3)


def water_box(
    n_molecules: int,
    density_g_per_ml: float = 1.0,
    *,
    seed: int = 0,
    min_oo_A: float = 2.5,
    min_contact_A: float = 1.7,
    max_tries: int = 200,
) -> Atoms:
    """A cubic periodic box of randomly placed and oriented water molecules.

    Parameters
    ----------
    n_molecules : int
        Number of molecules N (3N atoms, ordered O, H, H per molecule).
    density_g_per_ml : float, default 1.0
        Mass density; the cube edge is ``box_edge(N, density)`` Å.
    seed : int, default 0
        Seed of the site choice and the orientations.
    min_oo_A : float, default 2.5
        Smallest allowed O–O distance, Å; the lattice spacing must reach it.
    min_contact_A : float, default 1.7
        Target smallest distance between atoms of different molecules, Å. A molecule whose
        ``max_tries`` orientations all come closer keeps the best one.
    max_tries : int, default 200
        Orientations drawn per molecule.

    Returns
    -------
    Atoms
        ``pbc=True``, cell ``edge × I``, no momenta, no calculator.

    Raises
    ------
    ValueError
        The density is too high for a lattice with O–O spacing ``min_oo_A``.

    Example
    -------
    >>> atoms = water_box(64, 1.0, seed=0)
    >>> len(atoms), round(density(atoms), 12), round(float(atoms.cell[0, 0]), 2)
    (192, 1.0, 12.42)
    """
    edge = box_edge(n_molecules, density_g_per_ml)
    sites, spacing = lattice_sites(n_molecules)
    if spacing * edge < min_oo_A:
        raise ValueError(
            f"{n_molecules} molecules at {density_g_per_ml} g/ml: lattice spacing "
            f"{spacing * edge:.2f} Å < min_oo_A = {min_oo_A} Å"
        )
    rng = np.random.default_rng(seed)
    centers = sites[rng.choice(len(sites), n_molecules, replace=False)] * edge  # (N, 3) Å
    positions = _place_molecules(centers, edge, rng, min_contact_A=min_contact_A, max_tries=max_tries)
    return Atoms("OH2" * n_molecules, positions=positions, cell=np.eye(3) * edge, pbc=True)


def _place_molecules(
    centers: np.ndarray, edge: float, rng: np.random.Generator, *, min_contact_A: float, max_tries: int
) -> np.ndarray:
    """Positions (3N, 3), Å, of randomly oriented molecules with their O at ``centers`` (N, 3), Å.

    Each molecule takes the first of ``max_tries`` random orientations whose atoms stay
    ``min_contact_A`` from those already placed in the cube of edge ``edge`` Å (minimum image),
    else the orientation with the largest closest contact. Atoms ordered O, H, H per molecule.
    """
    water = molecule("H2O")
    local = water.positions - water.positions[0]  # (3, 3) O at the origin
    positions = np.empty((0, 3))
    for center in centers:  # sequential by nature: each molecule avoids the ones placed before
        rotations = Rotation.random(max_tries, random_state=rng).as_matrix()  # (tries, 3, 3)
        candidates = center + np.einsum("tij,aj->tai", rotations, local)  # (tries, 3 atoms, 3)
        closest = _closest_contact(candidates, positions, edge)  # (tries,)
        good = np.flatnonzero(closest >= min_contact_A)
        choice = good[0] if len(good) else int(np.argmax(closest))
        positions = np.concatenate([positions, candidates[choice]])
    return positions  # (3N, 3)


def _closest_contact(candidates: np.ndarray, placed: np.ndarray, edge: float) -> np.ndarray:
    """Minimum-image distance from each candidate molecule (tries, 3, 3) to ``placed`` (n, 3), Å."""
    if len(placed) == 0:
        return np.full(len(candidates), np.inf)
    d = candidates[:, :, None, :] - placed[None, None, :, :]  # (tries, 3, n, 3)
    d -= edge * np.round(d / edge)
    return np.sqrt(np.einsum("tanx,tanx->tan", d, d)).min(axis=(1, 2))


def scale_to_density(atoms: Atoms, density_g_per_ml: float) -> Atoms:
    """Copy of a periodic water box at ``density_g_per_ml``, molecules moved rigidly (module docstring).

    Parameters
    ----------
    atoms : Atoms
        Periodic box of water molecules (any atom order, positions wrapped or not).
    density_g_per_ml : float
        Target mass density, g/ml.

    Returns
    -------
    Atoms
        Same atoms and order, cell scaled by ``s``, no calculator.

    Example
    -------
    >>> dense = scale_to_density(water_box(8, 1.0), 1.2)
    >>> round(density(dense), 12), round(float(dense.get_distance(0, 1)), 4)
    (1.2, 0.9686)
    """
    scale = (density(atoms) / density_g_per_ml) ** (1 / 3)
    oxygens = np.flatnonzero(atoms.numbers == 8)
    others = np.flatnonzero(atoms.numbers != 8)
    pairs = atoms.positions[others, None, :] - atoms.positions[None, oxygens, :]  # (n_H, n_O, 3)
    vectors, lengths = find_mic(pairs.reshape(-1, 3), atoms.cell, atoms.pbc)
    owner = np.argmin(lengths.reshape(len(others), len(oxygens)), axis=1)  # (n_H,) nearest O
    bonds = vectors.reshape(len(others), len(oxygens), 3)[np.arange(len(others)), owner]  # (n_H, 3)
    positions = np.empty_like(atoms.positions)
    positions[oxygens] = scale * atoms.positions[oxygens]
    positions[others] = positions[oxygens[owner]] + bonds
    return Atoms(atoms.numbers, positions=positions, cell=atoms.cell.array * scale, pbc=atoms.pbc)
