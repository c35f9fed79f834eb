"""Units used inside nnp_tutorial and the conversions at file boundaries.

Inside the package every quantity is in ASE units: positions and cell in Å,
energies in eV, forces in eV/Å, stress in eV/Å³, time in ASE time units.
RuNNer/n2p2 files (``input.data``, ``input.nn``, the revPBE0-D3 extxyz) are in
Bohr and Hartree; they are converted with the constants below in
:mod:`nnp_tutorial.io` and nowhere else.

Constants are named ``FROM_TO`` and multiply a value in ``FROM`` to give the
value in ``TO``, e.g. ``energy_eV = energy_Ha * HARTREE_TO_EV``.

Examples
--------
>>> round(BOHR_TO_ANGSTROM, 6)
0.529177
>>> round(HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM, 4)
51.4221
"""

from ase import units as _ase

#: Length: Bohr → Å (ASE's CODATA value).
BOHR_TO_ANGSTROM: float = _ase.Bohr
#: Energy: Hartree → eV.
HARTREE_TO_EV: float = _ase.Hartree
#: Force: Hartree/Bohr → eV/Å.
HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM: float = _ase.Hartree / _ase.Bohr
#: Energy: eV → meV (for reported RMSEs).
EV_TO_MEV: float = 1000.0
#: Pressure: bar → eV/Å³ (ASE's internal pressure unit).
BAR_TO_EV_PER_ANGSTROM3: float = _ase.bar
#: Density: amu/Å³ → g/cm³ (= g/ml).
AMU_PER_ANGSTROM3_TO_G_PER_CM3: float = 1.66053906660
