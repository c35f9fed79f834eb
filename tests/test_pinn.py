"""The PiNN BLYP checkpoint ("pinn-blyp-adam") loaded as a BehlerParrinelloNetwork.

Oracles: PiNN's formulas written out in NumPy (``pinn/layers.py`` ``CutoffFunc``,
``pinn/networks/bpnn.py`` ``G2_SF``/``G3_SF``/``G4_SF`` over ordered triplets,
Keras ``Dense`` layers, ``pinn/models/potential.py`` energy assembly) applied to
the raw checkpoint arrays, independently of the package's descriptor code;
the closed form of the ``f2`` cutoff; central finite differences of the energy.
"""

from __future__ import annotations

import itertools
import shutil

import numpy as np
import pytest
import tensorflow as tf
import yaml
from datafiles import water_box

from nnp_tutorial import cli, datasets
from nnp_tutorial.errors import InputError
from nnp_tutorial.io.pinn import load_pinn_potential, read_pinn

NAME = "pinn-blyp-adam"
#: Keras names of the element networks' layers, in PiNN's creation order (nn_spec: H, then O).
LAYERS = {1: ["dense", "dense_1", "dense_2"], 8: ["dense_3", "dense_4", "dense_5"]}
FD_STEP = 1e-4  # Å


# -- fixtures ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def directory(fetch):
    return fetch(NAME)


@pytest.fixture(scope="module")
def model(directory):
    return load_pinn_potential(directory)


@pytest.fixture(scope="module")
def box():
    """8 water molecules, 6.2 Å cubic box (shorter than r_c, so several images of a neighbour count)."""
    return water_box((2, 2, 2), seed=3, displacement=0.15)


@pytest.fixture(scope="module")
def narrow_directory(directory, tmp_path_factory):
    """A copy of the checkpoint whose G4 functions are declared G3 (same weights, other descriptor)."""
    target = tmp_path_factory.mktemp("pinn_g3")
    for path in directory.iterdir():
        shutil.copy(path, target / path.name)
    params = (directory / "params.yml").read_text()
    assert params.count("type: G4") == 5
    (target / "params.yml").write_text(params.replace("type: G4", "type: G3"))
    return target


# -- PiNN written out in NumPy -------------------------------------------------------------
def pinn_cutoff(r: np.ndarray, rc: float) -> np.ndarray:
    """PiNN's f2, (tanh(1 - r/rc) / tanh 1)^3 (applied to pairs with r < rc only)."""
    return (np.tanh(1.0 - r / rc) / np.tanh(1.0)) ** 3


def neighbours(atoms, i: int, rc: float) -> tuple[np.ndarray, np.ndarray]:
    """Vectors r_j + n·cell - r_i (Å) and atomic numbers of all images within rc, by brute force."""
    shifts = np.array(list(itertools.product(range(-2, 3), repeat=3))) @ atoms.cell.array  # (125, 3)
    d = (atoms.positions[None, :, :] + shifts[:, None, :] - atoms.positions[i]).reshape(-1, 3)
    numbers = np.tile(atoms.numbers, len(shifts))
    r = np.linalg.norm(d, axis=1)
    keep = (r < rc) & (r > 0)
    assert rc < 2 * min(np.linalg.norm(atoms.cell.array, axis=1))  # shifts of ±2 cells reach every image
    return d[keep], numbers[keep]


def pinn_fingerprint(atoms, i: int, params: dict) -> np.ndarray:
    """PiNN's fingerprint of atom i: its G2/G3/G4 values in sf_spec order (no scaling)."""
    net = params["network_params"]
    rc = net["rc"]
    d, z = neighbours(atoms, i, rc)
    r = np.linalg.norm(d, axis=1)
    fc = pinn_cutoff(r, rc)
    values = []
    for spec in net["sf_spec"]:
        if spec["i"] != atoms.numbers[i]:
            continue
        j = z == spec["j"]
        if spec["type"] == "G2":
            for rs, eta in zip(spec["Rs"], spec["eta"]):
                values.append(np.sum(np.exp(-eta * (r[j] - rs) ** 2) * fc[j]))
            continue
        k = z == spec["k"]
        dj, dk = d[j][:, None, :], d[k][None, :, :]  # every ordered pair (j, k) of entries
        rj, rk = r[j][:, None], r[k][None, :]
        cos = np.sum(dj * dk, axis=2) / (rj * rk)
        rjk = np.linalg.norm(dk - dj, axis=2)
        different = rjk > 0  # j and k are different neighbour entries
        for eta, lam, zeta in zip(spec["eta"], spec["lambd"], spec["zeta"]):
            term = 2 ** (1 - zeta) * (1 + lam * cos) ** zeta * fc[j][:, None] * fc[k][None, :]
            if spec["type"] == "G3":
                fjk = np.where(rjk < rc, pinn_cutoff(rjk, rc), 0.0)
                term = term * np.exp(-eta * (rj**2 + rk**2 + rjk**2)) * fjk
            else:
                term = term * np.exp(-eta * (rj**2 + rk**2))
            values.append(np.sum(np.where(different, term, 0.0)))
    return np.array(values)


def pinn_atomic_energy(atoms, i: int, directory) -> tuple[float, float]:
    """(network output y_i × e_unit/e_scale, e_unit × e_dress) of atom i, eV, from the raw checkpoint."""
    params = yaml.safe_load((directory / "params.yml").read_text())
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(directory)))
    x = pinn_fingerprint(atoms, i, params)

    def array(name: str) -> np.ndarray:
        return reader.get_tensor(f"bpnn/bp_feed_forward/{name}").astype(np.float64)

    *hidden, last = LAYERS[atoms.numbers[i]]
    for name in hidden:  # Dense(25, tanh)
        x = np.tanh(x @ array(f"{name}/kernel") + array(f"{name}/bias"))
    y = float((x @ array(f"{last}/kernel"))[0])  # Dense(1), no bias
    p = params["model_params"]
    return y / p["e_scale"] * p["e_unit"], p["e_dress"][int(atoms.numbers[i])] * p["e_unit"]


# -- tests -------------------------------------------------------------------------------
@pytest.mark.parametrize("narrow", [False, True], ids=["G4 (checkpoint)", "G3 (same weights)"])
def test_atomic_energies_match_pinn_written_out(directory, narrow_directory, model, box, narrow):
    """E_i of an O and an H atom equals PiNN's forward pass in NumPy to 1e-10 (network part and total)."""
    source = narrow_directory if narrow else directory
    loaded = load_pinn_potential(source) if narrow else model
    atomic = loaded.evaluate(box).atomic_energies
    for i in (0, 1):  # O, H
        network, dress = pinn_atomic_energy(box, i, source)
        assert abs(network) > 0.01  # eV: the network contributes
        np.testing.assert_allclose(atomic[i] - loaded.reference_energies[box[i].symbol], network, rtol=1e-10)
        np.testing.assert_allclose(atomic[i], network + dress, rtol=1e-10)


def test_same_element_angular_functions_count_ordered_pairs(model, directory, box):
    """The loaded inputs equal PiNN's fingerprints: same-element angular functions are twice type 9."""
    params = yaml.safe_load((directory / "params.yml").read_text())
    raw = model.descriptor.compute(box)
    pinn = read_pinn(directory)
    for i, row in ((0, 0), (1, 0)):  # atom 0 is the first O, atom 1 the first H
        e = box[i].symbol
        a, b = model.scaling.affine(e)
        order = [model.descriptor.functions[e].index(sf) for sf in pinn.functions[e]]
        inputs = (raw[e][row] * a + b)[order]  # (n_sf,) network inputs in PiNN's order
        np.testing.assert_allclose(inputs, pinn_fingerprint(box, i, params), rtol=1e-12)
    assert sorted(set(a.tolist())) == [1.0, 2.0] and np.all(b == 0.0)


def test_cutoff_is_pinn_f2(model):
    """f_c = (tanh(1 - r/r_c)/tanh 1)^3 and its derivative, r_c = 6.350124 Å from params.yml."""
    rc = model.descriptor.cutoff
    assert rc == 6.350124 and model.descriptor.cutoff_type == 3
    r = np.linspace(0.0, 1.2 * rc, 241)
    value, slope = model.descriptor.cutoff_function.value_and_derivative(r, rc)
    t = np.tanh(1.0 - r / rc)
    inside = r < rc
    np.testing.assert_allclose(value, np.where(inside, t**3 / np.tanh(1.0) ** 3, 0.0), rtol=1e-14, atol=0)
    closed = -3.0 * t**2 * (1.0 - t**2) / (rc * np.tanh(1.0) ** 3)
    np.testing.assert_allclose(slope, np.where(inside, closed, 0.0), rtol=1e-13, atol=0)
    assert float(value[0]) == pytest.approx(1.0, rel=1e-15)


def test_forces_are_minus_energy_gradient(model, box):
    """Forces equal -dE/dr from central differences (h = 1e-4 Å) to 1e-6 of max |F|, 12 components."""
    reference = model.evaluate(box)
    rng = np.random.default_rng(0)
    picked = [(a, c) for a in rng.choice(len(box), 4, replace=False) for c in range(3)]
    for a, c in picked:
        energies = []
        for sign in (1, -1):
            displaced = box.copy()
            displaced.positions[a, c] += sign * FD_STEP
            energies.append(model.evaluate(displaced).energy)
        numeric = -(energies[0] - energies[1]) / (2 * FD_STEP)
        assert abs(numeric - reference.forces[a, c]) <= 1e-6 * np.abs(reference.forces).max()
    assert np.abs(reference.forces).max() > 1.0  # eV/Å: the displaced box has sizeable forces
    np.testing.assert_allclose(reference.forces.sum(axis=0), 0.0, atol=1e-10)


def test_registered_name_resolves_to_the_checkpoint(model):
    """``--model pinn-blyp-adam`` (cli.inputs.load_model) and datasets.load_potential load these weights."""
    for loaded in (cli.inputs.load_model(NAME), datasets.load_potential(NAME)):
        np.testing.assert_array_equal(loaded.get_weights(), model.get_weights())
        assert loaded.reference_energies == model.reference_energies


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("network: BPNN", "network: PiNet", "network 'PiNet' is not supported"),
        ("cutoff_type: f2", "cutoff_type: hip", "cutoff_type 'hip'"),
        ("cutoff_type: f2", "cutoff_type: f2\n  fp_scale: true", "fp_scale: true is not supported"),
        ("    type: G2", "    type: G5", "symmetry function type 'G5'"),
    ],
)
def test_unsupported_parameters_are_named(directory, tmp_path, old, new, message):
    """Options the loader does not map raise InputError naming params.yml and the option."""
    params = (directory / "params.yml").read_text()
    assert old in params
    (tmp_path / "params.yml").write_text(params.replace(old, new, 1))
    with pytest.raises(InputError, match=rf"params\.yml: {message}"):
        read_pinn(tmp_path)
