"""The Behler–Parrinello model: published oracles, derivatives, invariances, weights.

Oracles: n2p2's reference prediction for its 1080-atom RPBE-D3 example; DFT
labels of the revPBE0-D3 set; central finite differences of the energy; exact
symmetries of the energy; the layer layout of n2p2 weight files.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms, units
from ase.build import molecule
from datafiles import water_box

from nnp_tutorial.errors import CalculationFailed, UnknownElementError, UnknownNameError
from nnp_tutorial.io import ScalingData
from nnp_tutorial.model import BehlerParrinelloNetwork
from nnp_tutorial.scaling import InputScaling

MORAWIETZ = [
    "nnp-blyp-morawietz2016",
    "nnp-blyp-d3-morawietz2016",
    "nnp-rpbe-morawietz2016",
    "nnp-rpbe-d3-morawietz2016",
]


# -- fixtures ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cheng(fetch):
    """The published revPBE0-D3 potential (Cheng et al. 2019); 20-20 tanh networks."""
    return BehlerParrinelloNetwork.from_n2p2(fetch("nnp-revpbe0-d3-cheng2019"))


@pytest.fixture(scope="module")
def cubic_box():
    """8 water molecules in a 6.2 Å cubic box (shorter than 2 r_c = 12.7 Å), seeded displacement."""
    return water_box((2, 2, 2), seed=1)


@pytest.fixture(scope="module")
def triclinic_box():
    """8 water molecules in a triclinic box of the same volume."""
    return water_box((2, 2, 2), triclinic=True, seed=2)


@pytest.fixture(scope="module", params=["cubic", "triclinic"])
def box(request, cubic_box, triclinic_box):
    return {"cubic": cubic_box, "triclinic": triclinic_box}[request.param]


@pytest.fixture(scope="module")
def reference(cheng, box):
    """Model evaluation of the unperturbed box (compiles once per box)."""
    return cheng.evaluate(box)


def random_rotation(seed: int) -> np.ndarray:
    """A proper rotation matrix from a seeded QR decomposition."""
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


# -- 1. n2p2 reference prediction --------------------------------------------------------
def parse_n2p2_example(directory):
    """Positions, cell (Bohr), symbols of input.data and n2p2's energy (Ha) and forces (Ha/Bohr)."""
    lattice, positions, symbols = [], [], []
    for line in (directory / "input.data").read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "lattice":
            lattice.append([float(x) for x in fields[1:4]])
        elif fields and fields[0] == "atom":
            positions.append([float(x) for x in fields[1:4]])
            symbols.append(fields[4])
    energy, forces = None, []
    for line in (directory / "reference_prediction_n2p2.txt").read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "energy":
            energy = float(fields[1])
        elif fields and fields[0] == "force":
            assert int(fields[1]) == len(forces) + 1
            forces.append([float(x) for x in fields[2:5]])
    return np.array(positions), np.array(lattice), symbols, energy, np.array(forces)


@pytest.mark.slow
def test_n2p2_reference_prediction(fetch):
    """n2p2's own prediction for the 1080-atom RPBE-D3 box: |dE| <= 1e-6 Ha, max |dF| <= 1e-6 Ha/Bohr."""
    directory = fetch("n2p2-example-1080")
    model = BehlerParrinelloNetwork.from_n2p2(directory)
    positions_bohr, cell_bohr, symbols, energy_ha, forces_ha_bohr = parse_n2p2_example(directory)
    assert len(symbols) == 1080 and forces_ha_bohr.shape == (1080, 3)
    atoms = Atoms(symbols, positions=positions_bohr * units.Bohr, cell=cell_bohr * units.Bohr, pbc=True)
    result = model.evaluate(atoms)
    assert abs(result.energy / units.Hartree - energy_ha) <= 1e-6
    assert np.abs(result.forces / (units.Hartree / units.Bohr) - forces_ha_bohr).max() <= 1e-6
    # atomic energies add up to the total
    np.testing.assert_allclose(result.atomic_energies.sum(), result.energy, rtol=1e-14)


@pytest.mark.parametrize("max_triples", [200_000, 50_000, 3_000])
def test_the_graph_engine_in_chunks_of_centres_gives_the_whole_structures_numbers(cheng, max_triples):
    """A large box is evaluated by the graph in chunks of centres (to bound its memory): 16 molecules
    in 2 to ~48 chunks (down to one atom, some chunks without an element) equal the loops engine."""
    from nnp_tutorial.md import water_box as random_water_box

    atoms = random_water_box(16, 1.0, seed=0)
    whole = cheng.evaluate(atoms)
    chunked = cheng.evaluate(atoms, engine="graph", max_triples=max_triples)
    assert chunked.energy == pytest.approx(whole.energy, rel=1e-13)
    np.testing.assert_allclose(chunked.forces, whole.forces, rtol=0, atol=1e-10)
    np.testing.assert_allclose(chunked.virial, whole.virial, rtol=0, atol=1e-9)
    np.testing.assert_allclose(chunked.atomic_energies, whole.atomic_energies, rtol=0, atol=1e-10)


# -- 3. finite differences ---------------------------------------------------------------
FD_STEP = 1e-4  # Å; truncation error ~4e-8 of max|F|, round-off ~1e-10 (measured)
STRAIN_STEP = 1e-5  # truncation ~2e-9 of max|sigma|


def test_forces_are_minus_energy_gradient(cheng, box, reference):
    """Forces equal -dE/dr from central differences (h = 1e-4 Å) to 1e-6 of max |F|, every component."""
    numeric = np.zeros_like(reference.forces)
    for a in range(len(box)):
        for c in range(3):
            energies = []
            for sign in (1, -1):
                displaced = box.copy()
                displaced.positions[a, c] += sign * FD_STEP
                energies.append(cheng.evaluate(displaced).energy)
            numeric[a, c] = -(energies[0] - energies[1]) / (2 * FD_STEP)
    scale = np.abs(reference.forces).max()
    assert scale > 1.0  # eV/Å: a displaced box has sizeable forces
    assert np.abs(numeric - reference.forces).max() <= 1e-6 * scale


def test_stress_is_strain_derivative(cheng, box, reference):
    """sigma_ab = (E(+eps) - E(-eps)) / (2 eps V) for a symmetric strain of cell and positions, 1e-6."""
    volume = box.get_volume()
    numeric = np.zeros((3, 3))
    for a in range(3):
        for b in range(3):
            direction = np.zeros((3, 3))
            direction[a, b] += 0.5
            direction[b, a] += 0.5
            energies = []
            for sign in (1, -1):
                deformation = np.eye(3) + sign * STRAIN_STEP * direction
                strained = box.copy()
                strained.set_cell(box.cell.array @ deformation, scale_atoms=False)
                strained.positions = box.positions @ deformation
                energies.append(cheng.evaluate(strained).energy)
            numeric[a, b] = (energies[0] - energies[1]) / (2 * STRAIN_STEP * volume)
    scale = np.abs(reference.stress).max()
    assert np.abs(numeric - reference.stress).max() <= 1e-6 * scale
    np.testing.assert_allclose(reference.stress, reference.virial / volume, rtol=1e-15)
    np.testing.assert_array_equal(reference.stress, reference.stress.T)


# -- 4. invariances ------------------------------------------------------------------------
INVARIANCE_RTOL = 1e-10


def assert_same_energy(result, reference):
    assert abs(result.energy - reference.energy) <= INVARIANCE_RTOL * abs(reference.energy)


def test_single_precision_agrees_with_double(cheng, box, reference):
    """dtype="float32": forces to 1e-4 of max |F|, energy to 1e-5 eV/atom, stress to 1e-4 — and not bit-equal.

    The double-precision result is the oracle (checked by finite differences
    above); float32 has a relative resolution of 6e-8, so agreement much worse
    than 1e-4 would mean a wrong formula, and bit equality would mean that the
    computation did not run in single precision at all.
    """
    single = cheng.evaluate(box, dtype="float32")
    scale = np.abs(reference.forces).max()
    difference = np.abs(single.forces - reference.forces).max()
    assert 0.0 < difference <= 1e-4 * scale
    assert abs(single.energy - reference.energy) <= 1e-5 * len(box)
    np.testing.assert_allclose(single.atomic_energies.sum(), single.energy, rtol=1e-14)
    assert np.abs(single.stress - reference.stress).max() <= 1e-4 * np.abs(reference.stress).max()


def test_translation_invariance(cheng, box, reference):
    """A rigid translation (atoms left outside the cell) changes nothing."""
    moved = box.copy()
    moved.positions += np.array([1.37, -2.91, 4.05])
    result = cheng.evaluate(moved)
    assert_same_energy(result, reference)
    np.testing.assert_allclose(result.forces, reference.forces, rtol=0, atol=1e-9)


def test_rotation_covariance(cheng, box, reference):
    """Rotating positions and cell together: same energy, rotated forces and stress."""
    rotation = random_rotation(5)
    rotated = box.copy()
    rotated.set_cell(box.cell.array @ rotation.T, scale_atoms=False)
    rotated.positions = box.positions @ rotation.T
    result = cheng.evaluate(rotated)
    assert_same_energy(result, reference)
    np.testing.assert_allclose(result.forces, reference.forces @ rotation.T, rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.stress, rotation @ reference.stress @ rotation.T, rtol=0, atol=1e-11)


def test_permutation_invariance(cheng, box, reference):
    """Reordering atoms, or swapping positions of same-element atoms, permutes the forces only."""
    order = np.random.default_rng(7).permutation(len(box))
    result = cheng.evaluate(box[order])
    assert_same_energy(result, reference)
    np.testing.assert_allclose(result.forces, reference.forces[order], rtol=0, atol=1e-9)
    # same symbols in the same order, positions of the hydrogens shuffled among themselves
    hydrogens = np.flatnonzero(box.numbers == 1)
    shuffled = hydrogens[np.random.default_rng(8).permutation(len(hydrogens))]
    swapped = box.copy()
    swapped.positions[hydrogens] = box.positions[shuffled]
    result = cheng.evaluate(swapped)
    assert_same_energy(result, reference)
    np.testing.assert_allclose(result.forces[hydrogens], reference.forces[shuffled], rtol=0, atol=1e-9)


def test_periodic_image_invariance(cheng, box, reference):
    """Moving single atoms by lattice vectors (and wrapping) changes nothing."""
    rng = np.random.default_rng(9)
    shifted = box.copy()
    shifts = rng.integers(-2, 3, size=(len(box), 3))
    shifted.positions += shifts @ box.cell.array
    assert np.abs(shifts).sum() > len(box)
    result = cheng.evaluate(shifted)
    assert_same_energy(result, reference)
    np.testing.assert_allclose(result.forces, reference.forces, rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.stress, reference.stress, rtol=0, atol=1e-12)
    wrapped = box.copy()
    wrapped.wrap()
    assert_same_energy(cheng.evaluate(wrapped), reference)


def test_net_force_vanishes(reference):
    """Newton's third law: the forces of a periodic box sum to zero."""
    net = reference.forces.sum(axis=0)
    assert np.abs(net).max() <= 1e-10 * np.abs(reference.forces).max()


def test_atomic_energies_add_up(reference):
    """The atomic energies sum to the total energy; every atom has one."""
    assert np.all(reference.atomic_energies != 0)
    np.testing.assert_allclose(reference.atomic_energies.sum(), reference.energy, rtol=1e-14)


def test_unknown_element_is_refused(cheng):
    """A structure with an element the model has no network for raises UnknownElementError."""
    methanol = molecule("CH3OH")
    with pytest.raises(UnknownElementError, match=r"knows the elements H, O, but the structure contains C"):
        cheng.evaluate(methanol)


# -- 6. revPBE0-D3 DFT labels ----------------------------------------------------------------
@pytest.mark.slow
def test_cheng_model_reproduces_dft_labels(cheng, fetch):
    """Published model vs its training data, first 3 frames: |dE| < 10 meV/atom, force RMSE < 200 meV/Å."""
    import io
    import itertools
    import lzma

    from ase.io import read

    with lzma.open(fetch("revpbe0-d3") / "dataset_1593.xyz.xz", "rt") as handle:
        head = "".join(itertools.islice(handle, 3 * 194))  # three frames of 192 atoms + 2 header lines
    frames = read(io.StringIO(head), index=":", format="extxyz")
    assert len(frames) == 3
    for atoms in frames:
        assert len(atoms) == 192
        dft_energy = atoms.info["TotEnergy"] * units.Hartree  # eV
        dft_forces = atoms.arrays["force"] * (units.Hartree / units.Bohr)  # eV/Å
        structure = Atoms(
            atoms.get_chemical_symbols(),
            positions=atoms.positions * units.Bohr,
            cell=atoms.cell.array * units.Bohr,
            pbc=True,
        )
        structure.wrap()
        result = cheng.evaluate(structure)
        energy_error = abs(result.energy - dft_energy) / len(atoms) * 1000  # meV/atom
        force_rmse = np.sqrt(np.mean((result.forces - dft_forces) ** 2)) * 1000  # meV/Å
        assert energy_error < 10.0
        assert force_rmse < 200.0


# -- input scaling ---------------------------------------------------------------------------
def scaling_formula(mode, g, lo, hi, mean, sigma, smin, smax):
    """The table of :mod:`nnp_tutorial.scaling` (n2p2's ST_* formulas)."""
    return {
        "none": g,
        "scale": smin + (smax - smin) * (g - lo) / (hi - lo),
        "center": g - mean,
        "scale_center": smin + (smax - smin) * (g - mean) / (hi - lo),
        "scale_sigma": smin + (smax - smin) * (g - mean) / sigma,
    }[mode]


@pytest.mark.parametrize("mode", ["none", "scale", "center", "scale_center", "scale_sigma"])
def test_input_scaling_formulas(mode):
    """a G + b equals the documented formula for every mode (rtol 1e-13)."""
    rng = np.random.default_rng(2)
    lo = rng.uniform(0, 1, 6)
    hi = lo + rng.uniform(0.5, 2, 6)
    mean = rng.uniform(lo, hi)
    sigma = rng.uniform(0.1, 0.5, 6)
    stats = ScalingData({"H": lo}, {"H": hi}, {"H": mean}, {"H": sigma})
    scaling = InputScaling(stats, mode, -0.7, 1.3)
    a, b = scaling.affine("H")
    g = rng.uniform(0, 3, (10, 6))
    np.testing.assert_allclose(
        a * g + b, scaling_formula(mode, g, lo, hi, mean, sigma, -0.7, 1.3), rtol=1e-13
    )


def test_input_scaling_refuses_zero_range_and_unknown_mode(cheng):
    """Zero range (or the NaN sigma of a RuNNer file) raises CalculationFailed naming the functions."""
    stats = ScalingData(
        {"H": np.array([0.0, 1.0])}, {"H": np.array([1.0, 1.0])}, {"H": np.zeros(2)}, {"H": np.ones(2)}
    )
    with pytest.raises(CalculationFailed, match=r"H: symmetry functions \[2\] have zero range"):
        InputScaling(stats, "scale").affine("H")
    InputScaling(stats, "center").affine("H")  # no division: fine
    with pytest.raises(CalculationFailed, match="scale_sigma"):
        InputScaling(cheng.scaling.statistics, "scale_sigma").affine("O")
    with pytest.raises(UnknownNameError, match="unknown scaling mode 'minmax'"):
        InputScaling(stats, "minmax")


def test_input_scaling_fit():
    """fit() records per-column min, max, mean and (population) standard deviation."""
    g = np.random.default_rng(3).normal(size=(50, 4))
    scaling = InputScaling.fit({"O": g}, mode="scale", scale_min=-1.0, scale_max=1.0)
    st = scaling.statistics
    np.testing.assert_array_equal(st.minimum["O"], g.min(axis=0))
    np.testing.assert_array_equal(st.maximum["O"], g.max(axis=0))
    np.testing.assert_allclose(st.mean["O"], g.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(st.sigma["O"], g.std(axis=0), rtol=1e-14)
    a, b = scaling.affine("O")
    scaled = a * g + b
    np.testing.assert_allclose(scaled.min(axis=0), -1.0, rtol=1e-14)
    np.testing.assert_allclose(scaled.max(axis=0), 1.0, rtol=1e-14)


# -- 10. weights ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", MORAWIETZ)
def test_morawietz_weight_count(fetch, name):
    """27/30 inputs, 25-25-1: (27+1)*25 + 26*25 + 26 + (30+1)*25 + 26*25 + 26 = 2827 connections."""
    model = BehlerParrinelloNetwork.from_n2p2(fetch(name))
    assert model.sizes == {"H": [27, 25, 25, 1], "O": [30, 25, 25, 1]}
    assert model.n_weights == 2827


def weight_file_column(path) -> np.ndarray:
    """First column of an n2p2 weights file (comments skipped)."""
    return np.array(
        [
            float(line.split()[0])
            for line in path.read_text().splitlines()
            if line.strip()[:1] not in ("#", "")
        ]
    )


def test_cheng_weights_and_element_slices(cheng, fetch):
    """2062 connections; element blocks are contiguous, H first, and hold the files' weights."""
    directory = fetch("nnp-revpbe0-d3-cheng2019")
    assert cheng.sizes == {"H": [27, 20, 20, 1], "O": [30, 20, 20, 1]}
    assert cheng.n_weights == 2062
    h, o = cheng.element_slice("H"), cheng.element_slice("O")
    assert (h.start, h.stop) == (0, 28 * 20 + 21 * 20 + 21)
    assert (o.start, o.stop) == (h.stop, 2062)
    weights = cheng.get_weights()
    np.testing.assert_array_equal(weights[h], weight_file_column(directory / "weights.001.data"))
    np.testing.assert_array_equal(weights[o], weight_file_column(directory / "weights.008.data"))


def test_element_block_drives_only_its_element(cheng):
    """Changing the O block changes O atomic energies only (descriptors fed directly)."""
    rng = np.random.default_rng(0)
    descriptors = [rng.uniform(0, 1, (4, cheng.descriptor.n_functions[e])) for e in cheng.elements]
    weights = cheng.get_weights()
    before = [x.numpy() for x in cheng.atomic_energies(descriptors, weights)]
    changed = weights.copy()
    changed[cheng.element_slice("O")] += rng.normal(scale=0.1, size=changed[cheng.element_slice("O")].shape)
    after = [x.numpy() for x in cheng.atomic_energies(descriptors, changed)]
    np.testing.assert_array_equal(after[0], before[0])  # H
    assert np.all(after[1] != before[1])  # O


def layers(model, element, weights):
    """Split an element block into (W[n_in, n_out], b[n_out]) per layer, n2p2 order."""
    block = weights[model.element_slice(element)]
    out, offset = [], 0
    sizes = model.sizes[element]
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        w = block[offset : offset + n_in * n_out].reshape(n_in, n_out)
        b = block[offset + n_in * n_out : offset + (n_in + 1) * n_out]
        out.append((w, b))
        offset += (n_in + 1) * n_out
    assert offset == len(block)
    return out


def fresh_model(cheng, **kwargs) -> BehlerParrinelloNetwork:
    return BehlerParrinelloNetwork(cheng.descriptor, cheng.scaling, hidden_nodes=[25, 25], **kwargs)


def test_xavier_initialization(cheng):
    """Glorot uniform: |W| <= sqrt(6/(n_in+n_out)) and fills the range, variance limit²/3, biases 0."""
    model = fresh_model(cheng, initialization="xavier", seed=11)
    assert model.n_weights == 2827
    for e in model.elements:
        for w, b in layers(model, e, model.get_weights()):
            n_in, n_out = w.shape
            limit = np.sqrt(6.0 / (n_in + n_out))
            assert np.abs(w).max() <= limit
            assert np.all(b == 0.0)
            if w.size >= 500:
                assert np.abs(w).max() > 0.95 * limit
                np.testing.assert_allclose(np.mean(w**2), limit**2 / 3, rtol=0.15)
                assert abs(np.mean(w)) < 0.1 * limit


def test_nguyen_widrow_initialization(cheng):
    """Each tanh neuron's incoming weights have norm 2*0.7*n^(1/n_in); output weights in ±0.5."""
    model = fresh_model(cheng, initialization="nguyen-widrow", seed=12)
    for e in model.elements:
        parts = layers(model, e, model.get_weights())
        for w, b in parts[:-1]:  # hidden tanh layers
            n_in, n_out = w.shape
            beta = 0.7 * n_out ** (1.0 / n_in)
            np.testing.assert_allclose(np.linalg.norm(w, axis=0), 2 * beta, rtol=1e-12)
            assert np.abs(b).max() <= 2 * beta
            assert np.any(b != 0)
        w, b = parts[-1]
        assert np.abs(w).max() <= 0.5
        assert np.abs(b).max() <= 1.0


def test_initialization_is_reproducible(cheng):
    """Same seed, same weights; another seed, other weights; initialize() redraws deterministically."""
    for method in ("xavier", "nguyen-widrow"):
        a = fresh_model(cheng, initialization=method, seed=3).get_weights()
        b = fresh_model(cheng, initialization=method, seed=3).get_weights()
        c = fresh_model(cheng, initialization=method, seed=4).get_weights()
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
        model = fresh_model(cheng, initialization=method, seed=4)
        model.initialize(method, seed=3)
        np.testing.assert_array_equal(model.get_weights(), a)


def test_set_weights_round_trip(cheng):
    """set_weights/get_weights copy the flat vector; get_weights returns a copy."""
    model = fresh_model(cheng, seed=0)
    w = np.arange(model.n_weights, dtype=float)
    model.set_weights(w)
    got = model.get_weights()
    np.testing.assert_array_equal(got, w)
    got[0] = 99.0
    assert model.get_weights()[0] == 0.0


def test_bad_model_arguments(cheng):
    """Unknown initialisation or activation names list the valid ones; layer/activation mismatch."""
    with pytest.raises(
        UnknownNameError, match="unknown initialization 'he'; valid names: nguyen-widrow, xavier"
    ):
        fresh_model(cheng, initialization="he")
    with pytest.raises(UnknownNameError, match="unknown activation 'x'"):
        fresh_model(cheng, activations=("t", "x"))
    with pytest.raises(ValueError, match="2 hidden layers but 3 activations"):
        fresh_model(cheng, activations=("t", "t", "t"))


# -- models of one architecture share compiled functions, not numbers --------------------
def test_models_of_one_architecture_share_compiled_functions_but_not_numbers(descriptor, labelled):
    """Networks of one size on one descriptor object share an Architecture (its compiled graphs);
    each still evaluates with its own weights, input scaling, energy unit and reference energies,
    as the same network on a separate descriptor object (separate graphs) does."""
    from datafiles import small_descriptor

    from nnp_tutorial.training import DescriptorCache, LabelFunctions

    atoms = labelled[0]
    raw = DescriptorCache(descriptor, labelled[:4], progress=False)

    def network(sfs, frames, seed, scale, hidden=(5, 2)):
        return BehlerParrinelloNetwork(
            sfs,
            InputScaling.fit(raw.concatenated(frames)),
            hidden_nodes=hidden,
            energy_scale=scale,
            reference_energies={"H": -13.0 * scale, "O": -430.0 * scale},
            seed=seed,
        )

    a, b = network(descriptor, [0, 1], 1, 1.0), network(descriptor, [2, 3], 2, 2.0)
    assert a.architecture is b.architecture
    assert network(descriptor, [0], 1, 1.0, hidden=(5, 3)).architecture is not a.architecture
    shared = {"a": a.evaluate(atoms), "b": b.evaluate(atoms)}
    separate = small_descriptor()
    # on the separate descriptor b's twin is traced first: constants baked into a trace would show
    alone = {"b": network(separate, [2, 3], 2, 2.0), "a": network(separate, [0, 1], 1, 1.0)}
    for key, twin in alone.items():
        assert twin.architecture is not a.architecture
        expected = twin.evaluate(atoms)
        assert shared[key].energy == pytest.approx(expected.energy, rel=1e-13, abs=0)
        np.testing.assert_allclose(shared[key].forces, expected.forces, rtol=0, atol=1e-12)
    assert abs(shared["a"].energy - shared["b"].energy) > 1.0
    for key, model in (("a", a), ("b", b)):  # the shared label graphs use each model's numbers too
        per_atom, _ = LabelFunctions(model).energy(raw[0], len(atoms))
        assert per_atom == pytest.approx(shared[key].energy / len(atoms), rel=1e-13, abs=0)


def test_atoms_on_top_of_each_other_are_refused_naming_them_and_their_distance(cheng):
    from nnp_tutorial.errors import InputError

    atoms = Atoms("OHH", positions=[[0, 0, 0], [0, 0, 0.05], [0.9, 0, 0]], cell=[8, 8, 8], pbc=True)
    for engine in ("loops", "graph"):
        with pytest.raises(InputError, match=r"atoms [01] \([OH]\) and [01] \([OH]\) are 0\.050 Å apart"):
            cheng.evaluate(atoms, engine=engine)
