"""Symmetry-function values against straightforward hand computation.

The oracle is a plain Python loop over atoms, neighbour images and unordered
neighbour pairs ``j < k``, written here from the formulas in the docstrings of
:mod:`nnp_tutorial.descriptors.functions` and :mod:`nnp_tutorial.descriptors.cutoffs`
(n2p2 conventions):

* type 2: ``sum_j exp(-eta (r_ij - r_s)^2) f_c(r_ij)``;
* type 3: ``2^(1-zeta) sum_{j<k} (1 + lambda cos)^zeta
  exp(-eta [(r_ij-r_s)^2 + (r_ik-r_s)^2 + (r_jk-r_s)^2]) f_c(r_ij) f_c(r_ik) f_c(r_jk)``;
* type 9: type 3 without the ``r_jk`` terms (no ``(r_jk-r_s)^2``, no ``f_c(r_jk)``);
* terms with ``1 + lambda cos <= 0`` are zero.

Tolerance: rtol 1e-12 (n2p2's analytic tests use 1000 machine epsilons).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from ase import Atoms

from nnp_tutorial.descriptors import ShapeBuckets, SymmetryFunctionSet
from nnp_tutorial.descriptors.functions import (
    SYMMETRY_FUNCTION_TYPES,
    AngularG3,
    AngularG9,
    RadialG2,
    n2p2_sort_key,
    sort_elements,
)
from nnp_tutorial.errors import UnknownElementError

RTOL = 1e-12

# Two cutoff radii (Å), so that functions of one element fall into several groups.
RC_SHORT, RC_LONG = 3.0, 4.2

# Cutoff configurations: (n2p2 cutoff_type, alpha); every implemented cutoff.
CUTOFFS = [(1, 0.0), (1, 0.3), (2, 0.0), (3, 0.0)]


# -- the oracle ------------------------------------------------------------------------
def hand_cutoff(r: float, rc: float, cutoff_type: int, alpha: float) -> float:
    """f_c(r) from the table in :mod:`nnp_tutorial.descriptors.cutoffs` (zero for r >= r_c)."""
    if r >= rc:
        return 0.0
    if cutoff_type == 1:
        inner = alpha * rc
        if r < inner:
            return 1.0
        x = (r - inner) / (rc - inner)
        return 0.5 * (math.cos(math.pi * x) + 1.0)
    if cutoff_type == 2:
        return math.tanh(1.0 - r / rc) ** 3
    if cutoff_type == 3:
        return math.tanh(1.0 - r / rc) ** 3 / math.tanh(1.0) ** 3
    raise AssertionError(f"no hand formula for cutoff type {cutoff_type}")


def neighbor_images(atoms: Atoms, i: int, rmax: float) -> list[tuple[int, np.ndarray]]:
    """All (j, r_j + S·cell) with 0 < |r_j + S·cell - r_i| < rmax, by brute force over images."""
    cell = atoms.cell.array
    if atoms.pbc.any():
        assert atoms.pbc.all()
        heights = atoms.get_volume() / np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1)
        n = [math.ceil(rmax / h) + 1 for h in heights]
        shifts = list(itertools.product(*(range(-m, m + 1) for m in n)))
    else:
        shifts = [(0, 0, 0)]
    out = []
    for j in range(len(atoms)):
        for s in shifts:
            position = atoms.positions[j] + np.asarray(s, dtype=float) @ cell
            d = np.linalg.norm(position - atoms.positions[i])
            if 0.0 < d < rmax:
                out.append((j, position))
    return out


def hand_symmetry_functions(atoms: Atoms, functions, cutoff_type: int, alpha: float) -> np.ndarray:
    """Values of ``functions`` (all with the same centre element) for each atom of that element."""
    center_element = functions[0].center
    symbols = atoms.get_chemical_symbols()
    centers = [i for i, s in enumerate(symbols) if s == center_element]
    rmax = max(sf.rc for sf in functions)
    values = np.zeros((len(centers), len(functions)))
    for row, i in enumerate(centers):
        ri = atoms.positions[i]
        neighbors = neighbor_images(atoms, i, rmax)
        for col, sf in enumerate(functions):
            fc = lambda r, sf=sf: hand_cutoff(r, sf.rc, cutoff_type, alpha)  # noqa: E731
            total = 0.0
            if sf.type == 2:
                for j, rj in neighbors:
                    if symbols[j] != sf.neighbor:
                        continue
                    rij = np.linalg.norm(rj - ri)
                    total += math.exp(-sf.eta * (rij - sf.rs) ** 2) * fc(rij)
            else:
                for (j, rj), (k, rk) in itertools.combinations(neighbors, 2):  # unordered j < k
                    if sorted([symbols[j], symbols[k]]) != sorted([sf.neighbor1, sf.neighbor2]):
                        continue
                    dij, dik = rj - ri, rk - ri
                    rij, rik, rjk = np.linalg.norm(dij), np.linalg.norm(dik), np.linalg.norm(rk - rj)
                    cos = float(dij @ dik) / (rij * rik)
                    base = 1.0 + sf.lambda_ * cos
                    if base <= 0.0:
                        continue
                    exponent = (rij - sf.rs) ** 2 + (rik - sf.rs) ** 2
                    cut = fc(rij) * fc(rik)
                    if sf.type == 3:
                        exponent += (rjk - sf.rs) ** 2
                        cut *= fc(rjk)
                    total += 2.0 ** (1.0 - sf.zeta) * base**sf.zeta * math.exp(-sf.eta * exponent) * cut
            values[row, col] = total
    return values


# -- test set-up -------------------------------------------------------------------------
def make_functions() -> dict[str, list]:
    """Per element: 4 radial, 9 narrow and 9 wide angular functions (Å units).

    Covers r_s = 0 and r_s > 0 for every type, lambda = +1 and -1, integer zeta
    (1, 2, 3, 4) and non-integer zeta (2.5, 1.7), and two cutoff radii.
    """
    functions: dict[str, list] = {}
    for e in ("H", "O"):
        fs: list = []
        for n in ("H", "O"):
            fs += [RadialG2(e, n, 0.5, 0.0, RC_LONG), RadialG2(e, n, 1.3, 1.1, RC_SHORT)]
        for n1, n2 in (("H", "H"), ("O", "H"), ("O", "O")):  # ("O", "H") is stored as ("H", "O")
            fs += [
                AngularG3(e, n1, n2, 0.3, 1.0, 1.0, RC_LONG),
                AngularG3(e, n1, n2, 0.2, -1.0, 2.5, RC_LONG, 0.7),
                AngularG3(e, n1, n2, 0.1, 1.0, 4.0, RC_SHORT, 0.0),
                AngularG9(e, n1, n2, 0.25, -1.0, 1.0, RC_LONG),
                AngularG9(e, n1, n2, 0.15, 1.0, 1.7, RC_LONG, 0.9),
                AngularG9(e, n1, n2, 0.4, -1.0, 3.0, RC_SHORT, 0.3),
                AngularG9(e, n1, n2, 0.05, 1.0, 2.0, RC_LONG, 0.0),
            ]
        functions[e] = fs
    return functions


# Far apart fragments of one non-periodic structure do not interact (> RC_LONG apart),
# so one structure (one XLA compilation) holds all molecular test cases.
FRAGMENT_SHIFT = np.array([30.0, 0.0, 0.0])


def fragment_h3o() -> Atoms:
    """O and three H, non-planar; distances below α·r_c and between the two radii."""
    positions = [(0.0, 0.0, 0.0), (0.85, 0.1, -0.05), (-0.3, 0.92, 0.2), (1.9, 2.2, 1.2)]
    return Atoms("OHHH", positions=positions)


def fragment_o3h() -> Atoms:
    """Three O and one H, non-planar; one pair beyond the long cutoff."""
    positions = [(0.0, 0.0, 0.0), (2.5, 0.4, 0.3), (0.9, 2.3, -0.6), (3.2, 2.6, 1.9)]
    return Atoms("OOOH", positions=positions)


def fragment_linear() -> Atoms:
    """H-O-H exactly on the x axis (cos = -1 at O, +1 at the H ends) plus one off-axis O."""
    positions = [(-1.0, 0.0, 0.0), (0.0, 0.0, 0.0), (1.5, 0.0, 0.0), (0.5, 2.0, 0.25)]
    return Atoms("HOHO", positions=positions)


def molecules() -> Atoms:
    """The three fragments side by side, shifted by exact multiples of 30 Å, pbc=False."""
    atoms = Atoms(pbc=False)
    for k, fragment in enumerate((fragment_h3o(), fragment_o3h(), fragment_linear())):
        fragment.positions += k * FRAGMENT_SHIFT
        atoms += fragment
    return atoms


def periodic_small_cell() -> Atoms:
    """Triclinic cell shorter than r_c: atoms see their own images and many images of others."""
    cell = [[3.1, 0.0, 0.0], [0.6, 2.9, 0.0], [-0.4, 0.5, 3.3]]
    positions = [(0.2, 0.3, 0.1), (1.0, 0.4, 0.3), (0.0, 1.1, 0.5)]
    return Atoms("OHH", positions=positions, cell=cell, pbc=True)


STRUCTURES = {"molecules": molecules, "periodic": periodic_small_cell}


@pytest.fixture(scope="module", params=CUTOFFS, ids=lambda c: f"cutoff{c[0]}-alpha{c[1]}")
def sf_set(request):
    """A SymmetryFunctionSet with every type, for one cutoff configuration."""
    cutoff_type, alpha = request.param
    return SymmetryFunctionSet(make_functions(), cutoff_type=cutoff_type, cutoff_alpha=alpha)


# -- tests ---------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["loops", "graph"])
@pytest.mark.parametrize("name", list(STRUCTURES))
def test_values_match_hand_computation(sf_set, name, engine):
    """Every function of every element equals the hand-computed loop (rtol 1e-12).

    ``compute`` runs the compiled loops; ``from_inputs`` the TensorFlow graph that
    the training Jacobians differentiate.
    """
    atoms = STRUCTURES[name]()
    if engine == "loops":
        computed = sf_set.compute(atoms)
    else:
        computed = sf_set.graph.from_inputs(sf_set.graph.padded(sf_set.graph.inputs(sf_set.pairs(atoms))))
    mine = make_functions()
    for e in ("H", "O"):
        expected = hand_symmetry_functions(atoms, mine[e], sf_set.cutoff_type, sf_set.cutoff_alpha)
        columns = [sf_set.functions[e].index(sf) for sf in mine[e]]
        got = computed[e][:, columns]
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0, err_msg=f"element {e}")


def test_oracle_is_not_trivial():
    """The test structures exercise what they claim (guards against vacuous passes)."""
    functions = make_functions()
    atoms = molecules()
    for e in ("H", "O"):
        values = hand_symmetry_functions(atoms, functions[e], 2, 0.0)
        assert np.all(values.max(axis=0) > 0), f"a function of {e} is zero on every atom"
    # fragments do not see each other
    for a, b in itertools.combinations(range(3), 2):
        pa, pb = atoms.positions[4 * a : 4 * a + 4], atoms.positions[4 * b : 4 * b + 4]
        assert np.linalg.norm(pa[:, None] - pb[None], axis=-1).min() > RC_LONG
    distances = np.concatenate(
        [f.get_all_distances()[np.triu_indices(4, 1)] for f in (fragment_h3o(), fragment_o3h())]
    )
    assert distances.min() < 0.3 * RC_SHORT  # inside the inner cutoff of type 1
    assert distances.max() > RC_LONG  # beyond every cutoff
    assert np.any((distances > RC_SHORT) & (distances < RC_LONG))  # between the radii
    # linear fragment: the H-O-H angle is exactly 180 degrees after the exact shift
    lin = atoms[8:]
    d1, d2 = lin.positions[0] - lin.positions[1], lin.positions[2] - lin.positions[1]
    assert float(d1 @ d2) / (np.linalg.norm(d1) * np.linalg.norm(d2)) == -1.0
    # periodic cell: every atom sees several images of itself
    cell = periodic_small_cell()
    for i in range(3):
        assert len([j for j, _ in neighbor_images(cell, i, RC_LONG) if j == i]) > 4


def test_linear_triple_gives_exact_zero_and_two():
    """cos = -1 exactly: lambda = +1 term is exactly 0, lambda = -1 term is 2 exp(...) f f f."""
    atoms = Atoms("HOH", positions=[(-1.0, 0.0, 0.0), (0.0, 0.0, 0.0), (1.5, 0.0, 0.0)], pbc=False)
    rc = 4.0
    plus = AngularG9("O", "H", "H", 0.1, 1.0, 2.3, rc)
    minus = AngularG9("O", "H", "H", 0.1, -1.0, 2.3, rc)
    sfs = SymmetryFunctionSet({"O": [plus, minus], "H": [RadialG2("H", "O", 0.1, 0.0, rc)]}, cutoff_type=2)
    g = sfs.compute(atoms)["O"][0]
    fc = [hand_cutoff(r, rc, 2, 0.0) for r in (1.0, 1.5)]
    expected_minus = 2.0 ** (1 - 2.3) * 2.0**2.3 * math.exp(-0.1 * (1.0 + 2.25)) * fc[0] * fc[1]
    assert g[sfs.functions["O"].index(plus)] == 0.0
    np.testing.assert_allclose(g[sfs.functions["O"].index(minus)], expected_minus, rtol=RTOL)


def test_input_order_does_not_matter():
    """Shuffling the input lists gives the same columns (n2p2 sorts the functions)."""
    functions = make_functions()
    rng = np.random.default_rng(3)
    shuffled = {e: [fs[k] for k in rng.permutation(len(fs))] for e, fs in functions.items()}
    a = SymmetryFunctionSet(functions, cutoff_type=2)
    b = SymmetryFunctionSet(shuffled, cutoff_type=2)
    assert a.functions == b.functions
    for e in a.elements:
        assert a.functions[e] == sorted(functions[e], key=n2p2_sort_key)


def test_sort_key_follows_n2p2_order():
    """n2p2 order: type, r_c, eta, r_s, zeta, lambda, then neighbour atomic numbers."""
    functions = [
        AngularG9("O", "O", "O", 0.1, 1.0, 1.0, 4.0),
        AngularG3("O", "H", "O", 0.1, 1.0, 1.0, 4.0),
        AngularG3("O", "H", "H", 0.1, 1.0, 1.0, 4.0),
        AngularG3("O", "H", "H", 0.1, -1.0, 1.0, 4.0),
        AngularG3("O", "H", "H", 0.1, 1.0, 2.0, 4.0),
        AngularG3("O", "H", "H", 0.1, 1.0, 1.0, 4.0, 0.5),
        AngularG3("O", "H", "H", 0.05, 1.0, 1.0, 4.0),
        AngularG3("O", "H", "H", 0.1, 1.0, 1.0, 3.0),
        RadialG2("O", "O", 0.1, 0.0, 4.0),
        RadialG2("O", "H", 0.1, 0.0, 4.0),
        RadialG2("O", "H", 0.1, 0.0, 3.0),
    ]
    expected = [
        RadialG2("O", "H", 0.1, 0.0, 3.0),
        RadialG2("O", "H", 0.1, 0.0, 4.0),
        RadialG2("O", "O", 0.1, 0.0, 4.0),
        AngularG3("O", "H", "H", 0.1, 1.0, 1.0, 3.0),
        AngularG3("O", "H", "H", 0.05, 1.0, 1.0, 4.0),
        AngularG3("O", "H", "H", 0.1, -1.0, 1.0, 4.0),
        AngularG3("O", "H", "H", 0.1, 1.0, 1.0, 4.0),
        AngularG3("O", "H", "O", 0.1, 1.0, 1.0, 4.0),
        AngularG3("O", "H", "H", 0.1, 1.0, 2.0, 4.0),
        AngularG3("O", "H", "H", 0.1, 1.0, 1.0, 4.0, 0.5),
        AngularG9("O", "O", "O", 0.1, 1.0, 1.0, 4.0),
    ]
    # by type; then smaller r_c; smaller eta; lambda -1 before +1; Z(H) before Z(O);
    # zeta 1 before zeta 2; and r_s compared before zeta
    assert sorted(functions, key=n2p2_sort_key) == expected


def test_records():
    """Records: type codes, neighbour order by atomic number, element order, bad symbols."""
    assert SYMMETRY_FUNCTION_TYPES == {2: RadialG2, 3: AngularG3, 9: AngularG9}
    sf = AngularG3("H", "O", "H", 0.1, 1.0, 1.0, 4.0)
    assert sf.neighbors == ("H", "O")
    assert AngularG9("H", "O", "H", 0.1, 1.0, 1.0, 4.0).type == 9
    assert RadialG2("H", "O", 0.1, 0.0, 4.0).neighbors == ("O",)
    assert sort_elements(["O", "H", "O", "C"]) == ["H", "C", "O"]
    with pytest.raises(UnknownElementError, match="Xx"):
        AngularG3("H", "Xx", "H", 0.1, 1.0, 1.0, 4.0)


def test_unknown_elements_are_refused():
    """A function naming an element without functions, or an atom of such an element, is an error."""
    with pytest.raises(UnknownElementError, match="C"):
        SymmetryFunctionSet({"H": [RadialG2("H", "C", 0.1, 0.0, 4.0)]})
    sfs = SymmetryFunctionSet({"H": [RadialG2("H", "H", 0.1, 0.0, 4.0)]})
    with pytest.raises(UnknownElementError, match=r"knows the elements H.*contains O"):
        sfs.species(Atoms("HO", positions=[(0, 0, 0), (1, 0, 0)]))


def test_shape_buckets_round_up_to_powers_of_the_growth_factor():
    buckets = ShapeBuckets(growth=1.5, minimum=16)
    assert buckets("a", (98,)) == (100,)  # first size (+2 padding rows) is the reference
    assert buckets("a", (70,)) == (100,)  # 72 > 100 / 1.5
    assert buckets("a", (60,)) == (67,)  # ceil(100 / 1.5): buckets below the reference too
    assert buckets("a", (99,)) == (150,)  # one more: next power, 100 * 1.5
    assert buckets("a", (40,)) == (45,)  # ceil(100 / 1.5**2)
    assert buckets("b", (3,)) == (8,)  # own reference max(3 + 2, 16), then ceil(16 / 1.5**2)
    assert buckets("c", (98, 198)) == (100, 200)
    assert buckets("c", (120, 150)) == (150, 300)  # one power for all sizes at once


def test_files_with_the_same_symmetry_functions_load_onto_one_descriptor(tmp_path):
    """SymmetryFunctionSet.shared: equal functions, cutoff type and α give the live set; others a new one."""
    from nnp_tutorial.model import BehlerParrinelloNetwork
    from nnp_tutorial.scaling import InputScaling

    functions = {"H": [RadialG2("H", "H", 0.1, 0.0, 4.0)], "O": [RadialG2("O", "H", 0.2, 0.0, 4.0)]}
    first = SymmetryFunctionSet.shared(functions, cutoff_type=1)
    assert SymmetryFunctionSet.shared({"O": functions["O"], "H": functions["H"]}, cutoff_type=1) is first
    assert SymmetryFunctionSet.shared(functions, cutoff_type=2) is not first
    assert SymmetryFunctionSet.shared(functions, cutoff_type=1, cutoff_alpha=0.2) is not first
    g = {e: np.linspace(0.1, 1.0, 6).reshape(3, 2)[:, :1] for e in ("H", "O")}
    model = BehlerParrinelloNetwork(first, InputScaling.fit(g), hidden_nodes=(3,), activations=("t",))
    model.write_n2p2(tmp_path)
    again = BehlerParrinelloNetwork.from_n2p2(tmp_path)
    assert again.descriptor is first and again.architecture is model.architecture
