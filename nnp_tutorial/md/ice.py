r"""Proton-disordered ice boxes from GenIce2, scaled to a chosen density.

`GenIce2 <https://github.com/vitroid/GenIce>`_ (Matsumoto, Yagasaki, Tanaka, J. Comput. Chem.
39, 61 (2018)) places the oxygen atoms of an ice polymorph, orients the hydrogen bonds so
that every molecule donates two and accepts two (the Bernal–Fowler ice rules) at random,
and removes the net dipole of the box (``depol="strict"``). This module turns its output
into an ASE ``Atoms`` of 64 molecules and rescales the box to the requested density.

==========  ==========================  ===========================  ==================
polymorph   GenIce2 lattice             unit cell → 64 molecules     cell at 0.92 g/ml
==========  ==========================  ===========================  ==================
``1h``      hexagonal ice Ih            16 molecules, 2 × 2 × 1      15.6 × 14.7 × 9.0 Å
``1c``      cubic ice Ic                8 molecules, 2 × 2 × 2       12.8 Å cube
==========  ==========================  ===========================  ==================

GenIce2 builds each lattice at its own density (about 0.92 g/ml);
:func:`~nnp_tutorial.md.water.scale_to_density` then moves the molecules rigidly, so the
O–H bonds keep the TIP3P geometry (0.9572 Å, 104.52°) that GenIce2 places.

GenIce2 draws from NumPy's global random generator; :func:`ice_box` seeds it with ``seed``
and restores its previous state afterwards, so the result depends on ``seed`` alone.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

import numpy as np
from ase import Atoms

from ..errors import UnknownNameError
from .water import scale_to_density

#: GenIce2 lattice name -> replication of its unit cell that holds 64 molecules.
ICE_POLYMORPHS: dict[str, tuple[int, int, int]] = {"1h": (2, 2, 1), "1c": (2, 2, 2)}

_NM_TO_ANGSTROM = 10.0


def ice_box(polymorph: str, density_g_per_ml: float, *, seed: int = 0) -> Atoms:
    """A proton-disordered ice box of 64 water molecules at ``density_g_per_ml``.

    Parameters
    ----------
    polymorph : {"1h", "1c"}
        GenIce2 lattice name (see :data:`ICE_POLYMORPHS`).
    density_g_per_ml : float
        Mass density of the returned box, g/ml.
    seed : int, default 0
        Seed of GenIce2's hydrogen-bond orientations.

    Returns
    -------
    Atoms
        192 atoms ordered O, H, H per molecule, ``pbc=True``, positions in Å (not wrapped).

    Raises
    ------
    UnknownNameError
        Unknown polymorph (the message lists the valid ones).

    Example
    -------
    >>> from nnp_tutorial.md.water import density
    >>> atoms = ice_box("1c", 0.92, seed=1)
    >>> len(atoms), round(density(atoms), 12)
    (192, 0.92)
    """
    if polymorph not in ICE_POLYMORPHS:
        raise UnknownNameError("ice polymorph", polymorph, list(ICE_POLYMORPHS))
    molecules, cell = _genice(polymorph, seed)  # (64, 3, 3) and (3, 3), Å
    atoms = Atoms("OH2" * len(molecules), positions=molecules.reshape(-1, 3), cell=cell, pbc=True)
    return scale_to_density(atoms, density_g_per_ml)


def _genice(polymorph: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Molecule positions (n, 3, 3) and cell (3, 3, rows = vectors) from GenIce2, Å."""
    from genice2.genice import GenIce
    from genice2.plugin import Format, Lattice, Molecule

    replication = np.diag(ICE_POLYMORPHS[polymorph])
    with _seeded_global_numpy(seed), _quiet("genice_core.compat"):
        ice = GenIce(Lattice(polymorph), reshape=replication)
        raw = ice.generate_ice(Format("raw", stage=(1, 6)), water=Molecule("tip3p"), depol="strict")
    water = raw["mols"][0]
    assert water.atomnames == ["O", "H", "H"]  # GenIce2's TIP3P site order
    return np.array(water.positions) * _NM_TO_ANGSTROM, np.array(raw["repcell"]) * _NM_TO_ANGSTROM


@contextmanager
def _seeded_global_numpy(seed: int):
    """Seed ``np.random`` (GenIce2 uses the global generator), restore its state afterwards."""
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(seed)  # noqa: NPY002 -- GenIce2 offers no generator argument
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


@contextmanager
def _quiet(logger_name: str):
    """Silence one logger: genice-core 1.2 warns about the parameter names genice2 2.2 passes it."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
