"""RuNNer/n2p2 files: parsing with unit conversion, round trips, and errors naming file and line.

Oracles: numbers read straight from the files and converted here with
``ase.units`` (Bohr, Hartree); write-then-read round trips; the expected
messages of malformed inputs.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms, units
from ase.calculators.singlepoint import SinglePointCalculator
from datafiles import MINIMAL_INPUT_NN, THREE_FRAMES_DATA

from nnp_tutorial.descriptors.functions import AngularG3, AngularG9, RadialG2
from nnp_tutorial.errors import InputError, UnknownNameError
from nnp_tutorial.io import (
    Normalization,
    read_input_data,
    read_input_nn,
    read_scaling,
    read_weights,
    write_input_data,
    write_input_nn,
    write_scaling,
    write_weights,
)
from nnp_tutorial.io.atomic import atomic_write
from nnp_tutorial.io.formats import frame_reader
from nnp_tutorial.model import BehlerParrinelloNetwork

BOHR, HARTREE = units.Bohr, units.Hartree

POTENTIALS = [
    "nnp-revpbe0-d3-cheng2019",
    "nnp-blyp-morawietz2016",
    "nnp-blyp-d3-morawietz2016",
    "nnp-rpbe-morawietz2016",
    "nnp-rpbe-d3-morawietz2016",
]


def where(path: Path, line: int | None = None, frame: int | None = None) -> str:
    """Regex for the 'file, line N, frame K: ' prefix of an InputError."""
    parts = (
        [str(path)] + ([f"line {line}"] if line else []) + ([f"frame {frame}"] if frame is not None else [])
    )
    return re.escape(", ".join(parts) + ": ")


def line_number(text: str, fragment: str) -> int:
    """1-based number of the only line containing ``fragment``."""
    hits = [k for k, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(hits) == 1, (fragment, hits)
    return hits[0]


def assert_settings_equal(a, b, *, skip=()):
    """Field-by-field equality of two NNPSettings (symmetry functions compared exactly)."""
    for field in dataclasses.fields(a):
        if field.name not in skip:
            assert getattr(a, field.name) == getattr(b, field.name), field.name


# -- input.nn --------------------------------------------------------------------------------
def test_read_minimal_input_nn():
    """Every interpreted keyword of the hand-written file, converted to Å and eV here."""
    s = read_input_nn(MINIMAL_INPUT_NN)
    assert s.elements == ["H", "O"]
    assert s.symmetry_functions == {
        "H": [
            RadialG2("H", "O", 0.5 / BOHR**2, 1.5 * BOHR, 11.0 * BOHR),
            RadialG2("H", "H", 0.01 / BOHR**2, 0.0, 12.0 * BOHR),
            AngularG3("H", "H", "O", 0.1 / BOHR**2, -1.0, 2.0, 12.0 * BOHR, 0.5 * BOHR),
        ],
        "O": [
            RadialG2("O", "H", 0.02 / BOHR**2, 0.0, 12.0 * BOHR),
            AngularG3("O", "H", "O", 0.01 / BOHR**2, 1.0, 4.0, 10.0 * BOHR),
            AngularG9("O", "H", "H", 0.05 / BOHR**2, 1.0, 1.5, 12.0 * BOHR),
        ],
    }
    assert type(s.symmetry_functions["O"][2]) is AngularG9
    assert (s.cutoff_type, s.cutoff_alpha) == (1, 0.2)
    assert (s.scaling, s.scale_min, s.scale_max) == ("scale_sigma", -1.0, 1.0)
    assert s.hidden_nodes == {"H": [5, 4], "O": [5, 3]}
    assert s.activations == ["t", "s"]
    assert s.normalize_nodes is True
    assert s.normalization == Normalization(-25.0 * HARTREE, 200.0 / HARTREE, 5.0 / BOHR)
    assert s.atom_energies == {"H": -0.5 * HARTREE, "O": -75.0 * HARTREE}
    assert s.extra == ["random_seed 12345                   # not interpreted: kept verbatim"]


def test_read_published_input_nn(fetch):
    """Cheng (elements 'O H', no normalisation) and n2p2 RPBE-D3 (normalisation block) settings."""
    cheng = read_input_nn(fetch("nnp-revpbe0-d3-cheng2019") / "input.nn")
    assert cheng.elements == ["H", "O"]
    assert {e: len(f) for e, f in cheng.symmetry_functions.items()} == {"H": 27, "O": 30}
    types = {e: [sf.type for sf in f] for e, f in cheng.symmetry_functions.items()}
    assert types == {"H": [2] * 16 + [3] * 11, "O": [2] * 16 + [3] * 14}
    assert RadialG2("H", "O", 0.15 / BOHR**2, 0.9 * BOHR, 12.0 * BOHR) in cheng.symmetry_functions["H"]
    assert (cheng.cutoff_type, cheng.scaling, cheng.normalization, cheng.atom_energies) == (
        2,
        "scale_center",
        None,
        {},
    )
    assert cheng.hidden_nodes == {"H": [20, 20], "O": [20, 20]}
    rpbe = read_input_nn(fetch("nnp-rpbe-d3-morawietz2016") / "input.nn")
    assert rpbe.normalization == Normalization(
        -2.5521343547039809e01 * HARTREE, 2.4265748255366972e02 / HARTREE, 5.8038448995319847e00 / BOHR
    )
    assert rpbe.atom_energies == {}  # commented out in the file
    assert any(line.startswith("kalman_type") for line in rpbe.extra)
    train = read_input_nn(fetch("rpbe-d3-train20") / "input.nn")
    assert train.atom_energies == {"H": -0.45890771 * HARTREE, "O": -74.94518524 * HARTREE}


@pytest.mark.parametrize(
    "source",
    ["minimal", *POTENTIALS, "rpbe-d3-train20"],
)
def test_input_nn_write_read_round_trip(fetch, tmp_path, source):
    """write_input_nn(read_input_nn(f)) reads back to identical settings, extra lines included."""
    path = MINIMAL_INPUT_NN if source == "minimal" else fetch(source) / "input.nn"
    settings = read_input_nn(path)
    write_input_nn(settings, tmp_path / "input.nn")
    assert_settings_equal(read_input_nn(tmp_path / "input.nn"), settings)


# -- scaling.data and weights ---------------------------------------------------------------
def test_read_scaling_five_and_six_columns(fetch):
    """RuNNer's 5-column file (sigma NaN, energy range line) and n2p2's 6-column file."""
    n_functions = {"H": 27, "O": 30}
    cheng = read_scaling(fetch("nnp-revpbe0-d3-cheng2019") / "scaling.data", n_functions)
    assert cheng.minimum["H"][0] == 0.747684196 and cheng.mean["H"][1] == 1.212306373
    assert cheng.maximum["O"][29] == 0.071839975
    assert np.all(np.isnan(cheng.sigma["H"])) and np.all(np.isnan(cheng.sigma["O"]))
    np.testing.assert_allclose(
        cheng.energy_range, np.array([-5.7504779688, -5.7349673958]) * HARTREE, rtol=1e-15
    )
    rpbe = read_scaling(fetch("nnp-rpbe-d3-morawietz2016") / "scaling.data", n_functions)
    assert rpbe.sigma["O"][29] == 8.9415193910804703e-03 and rpbe.energy_range is None


@pytest.mark.parametrize("source", ["nnp-revpbe0-d3-cheng2019", "nnp-rpbe-d3-morawietz2016"])
def test_scaling_round_trip(fetch, tmp_path, source):
    """write_scaling then read_scaling reproduces every statistic bit for bit (NaN sigma kept)."""
    n_functions = {"H": 27, "O": 30}
    original = read_scaling(fetch(source) / "scaling.data", n_functions)
    write_scaling(original, tmp_path / "scaling.data")
    again = read_scaling(tmp_path / "scaling.data", n_functions)
    for name in ("minimum", "maximum", "mean", "sigma"):
        for e in n_functions:
            np.testing.assert_array_equal(getattr(again, name)[e], getattr(original, name)[e])
    assert again.energy_range == original.energy_range


def test_weights_round_trip(fetch, tmp_path):
    """write_weights writes n2p2's annotated layout (as in the published file); values round-trip."""
    path = fetch("nnp-rpbe-d3-morawietz2016") / "weights.001.data"
    values = read_weights(path, 1376)
    sizes = [27, 25, 25, 1]
    write_weights(values, sizes, tmp_path / "weights.001.data")
    np.testing.assert_array_equal(read_weights(tmp_path / "weights.001.data", 1376), values)

    def annotations(p: Path) -> list[list[str]]:
        return [line.split()[1:] for line in p.read_text().splitlines() if not line.startswith("#")]

    # the index columns (type, number, layer/neuron from and to) are n2p2's, line for line
    assert annotations(tmp_path / "weights.001.data") == annotations(path)


# -- model round trip ---------------------------------------------------------------------------
def water_dimer() -> Atoms:
    """Two water molecules, non-periodic (cheap to compile, has inter-molecular triples)."""
    from ase.build import molecule

    a, b = molecule("H2O"), molecule("H2O")
    b.rotate(70, "z")
    b.positions += [2.9, 0.3, 0.2]
    return a + b


def assert_same_predictions(model_a, model_b, atoms):
    a, b = model_a.evaluate(atoms), model_b.evaluate(atoms)
    assert abs(a.energy - b.energy) <= 1e-12 * abs(a.energy)
    assert np.abs(a.forces - b.forces).max() <= 1e-12 * np.abs(a.forces).max()


@pytest.mark.parametrize("source", ["nnp-revpbe0-d3-cheng2019", "nnp-rpbe-d3-morawietz2016"])
def test_model_n2p2_round_trip(fetch, tmp_path, source):
    """A published potential written by write_n2p2 and read back predicts the same (1e-12)."""
    original_dir = fetch(source)
    model = BehlerParrinelloNetwork.from_n2p2(original_dir)
    model.write_n2p2(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "input.nn",
        "scaling.data",
        "weights.001.data",
        "weights.008.data",
    ]
    again = BehlerParrinelloNetwork.from_n2p2(tmp_path)
    # the potential's settings are identical; training keywords are not part of the model
    assert_settings_equal(
        read_input_nn(tmp_path / "input.nn"), read_input_nn(original_dir / "input.nn"), skip=("extra",)
    )
    np.testing.assert_array_equal(again.get_weights(), model.get_weights())
    assert again.reference_energies == pytest.approx(model.reference_energies, rel=1e-15)
    assert again.energy_scale == pytest.approx(model.energy_scale, rel=1e-15)
    assert_same_predictions(model, again, water_dimer())


def test_fresh_model_n2p2_round_trip(fetch, tmp_path):
    """A freshly initialised model (eV output, reference energies) survives write_n2p2/from_n2p2."""
    published = BehlerParrinelloNetwork.from_n2p2(fetch("nnp-revpbe0-d3-cheng2019"))
    model = BehlerParrinelloNetwork(
        published.descriptor,
        published.scaling,
        hidden_nodes={"H": [7, 5], "O": [6, 5]},
        activations=("t", "s"),
        energy_scale=0.5,
        reference_energies={"H": -13.6, "O": -2040.0},
        initialization="nguyen-widrow",
        seed=5,
    )
    model.write_n2p2(tmp_path)
    again = BehlerParrinelloNetwork.from_n2p2(tmp_path)
    assert again.sizes == model.sizes and again.activations == ["t", "s"]
    np.testing.assert_array_equal(again.get_weights(), model.get_weights())
    assert again.energy_scale == pytest.approx(0.5, rel=1e-15)
    for e, value in model.reference_energies.items():
        assert again.reference_energies[e] == pytest.approx(value, rel=1e-15)
    assert_same_predictions(model, again, water_dimer())


@pytest.mark.parametrize("energy_scale", [HARTREE, 1.0, 0.25], ids=["hartree", "ev", "custom"])
def test_fresh_model_settings_round_trip(fetch, tmp_path, energy_scale):
    """Output unit and reference energies survive the round trip whether or not a normalisation
    block is needed (network outputs compared on random descriptors, 1e-12)."""
    published = BehlerParrinelloNetwork.from_n2p2(fetch("nnp-revpbe0-d3-cheng2019"))
    model = BehlerParrinelloNetwork(
        published.descriptor,
        published.scaling,
        hidden_nodes=[6, 4],
        energy_scale=energy_scale,
        reference_energies={"H": -13.6, "O": -2040.0},
        normalize_nodes=True,
        seed=6,
    )
    model.write_n2p2(tmp_path)
    again = BehlerParrinelloNetwork.from_n2p2(tmp_path)
    assert again.energy_scale == pytest.approx(energy_scale, rel=1e-15)
    assert again.reference_energies == pytest.approx(model.reference_energies, rel=1e-15)
    assert again.normalize_nodes
    assert again.descriptor.functions == model.descriptor.functions
    rng = np.random.default_rng(1)
    descriptors = [rng.uniform(0, 2, (5, model.descriptor.n_functions[e])) for e in model.elements]
    for a, b in zip(
        model.atomic_energies(descriptors, model.get_weights()),
        again.atomic_energies(descriptors, again.get_weights()),
    ):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12)


# -- input.data ----------------------------------------------------------------------------------
def test_read_three_frames():
    """Hand-written file: units, lattice, periodicity, charges, comments, energies, forces."""
    frames = list(read_input_data(THREE_FRAMES_DATA))
    assert [len(a) for a in frames] == [3, 2, 4]
    first, second, third = frames
    np.testing.assert_array_equal(first.cell.array, np.array([[10, 0, 0], [0, 11, 0], [0.5, 0, 12]]) * BOHR)
    assert first.pbc.all() and not second.pbc.any()
    assert first.get_chemical_symbols() == ["O", "H", "H"]
    np.testing.assert_array_equal(first.positions[1], np.array([2.8, 2.0, 3.0]) * BOHR)
    np.testing.assert_array_equal(first.get_initial_charges(), [-0.8, 0.4, 0.4])
    assert first.get_potential_energy() == -76.5 * HARTREE
    np.testing.assert_allclose(
        first.get_forces()[0], np.array([0.010, -0.020, 0.030]) * HARTREE / BOHR, rtol=1e-15
    )
    assert first.info["comment"] == "periodic water molecule"
    assert second.info["comment"] == "OH radical, not periodic second comment line"
    assert third.info["total_charge"] == -1.0
    assert third.positions[0, 0] == -1.0 * BOHR  # not wrapped
    np.testing.assert_allclose(
        third.get_forces()[3], np.array([-0.12, -0.15, -0.18]) * HARTREE / BOHR, rtol=1e-15
    )
    assert third.get_potential_energy() == -153.11 * HARTREE


def test_read_train20(fetch):
    """The 20-structure RPBE-D3 subset: sizes as published, first atom line converted here."""
    path = fetch("rpbe-d3-train20") / "input.data"
    frames = list(read_input_data(path))
    assert len(frames) == 20
    assert sorted(len(a) for a in frames) == [48] * 11 + [96] * 2 + [192] * 7
    first_atom = next(line.split() for line in path.read_text().splitlines() if line.startswith("atom"))
    np.testing.assert_array_equal(
        frames[0].positions[0], np.array([float(x) for x in first_atom[1:4]]) * BOHR
    )
    np.testing.assert_array_equal(
        frames[0].get_forces()[0], np.array([float(x) for x in first_atom[7:10]]) * (HARTREE / BOHR)
    )
    energies_per_atom = np.array([a.get_potential_energy() / len(a) for a in frames]) / HARTREE
    assert energies_per_atom.min() > -25.5230 and energies_per_atom.max() < -25.5190


@pytest.mark.parametrize("source", ["train20", "three_frames"])
def test_input_data_round_trip(fetch, tmp_path, source):
    """write_input_data then read_input_data: positions, cell, energy, forces, charges to 1e-12."""
    path = fetch("rpbe-d3-train20") / "input.data" if source == "train20" else THREE_FRAMES_DATA
    frames = list(read_input_data(path))
    assert write_input_data(frames, tmp_path / "input.data") == len(frames)
    again = list(read_input_data(tmp_path / "input.data"))
    assert len(again) == len(frames)
    for a, b in zip(frames, again):
        assert a.get_chemical_symbols() == b.get_chemical_symbols()
        np.testing.assert_array_equal(a.pbc, b.pbc)
        np.testing.assert_allclose(
            b.positions, a.positions, rtol=1e-12, atol=1e-12 * np.abs(a.positions).max()
        )
        np.testing.assert_allclose(
            b.cell.array, a.cell.array, rtol=1e-12, atol=1e-12 * np.abs(a.cell.array).max()
        )
        assert abs(b.get_potential_energy() - a.get_potential_energy()) <= 1e-12 * abs(
            a.get_potential_energy()
        )
        np.testing.assert_allclose(
            b.get_forces(), a.get_forces(), rtol=0, atol=1e-12 * np.abs(a.get_forces()).max()
        )
        np.testing.assert_array_equal(b.get_initial_charges(), a.get_initial_charges())
        assert b.info["comment"] == a.info["comment"]
        assert b.info["total_charge"] == a.info["total_charge"]


# -- 8. malformed input -----------------------------------------------------------------------------
def mutate(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


INPUT_NN_ERRORS = [
    # (what, old fragment, new fragment, expected message, message names a line)
    (
        "unknown SF type",
        "symfunction_short O 9 H H",
        "symfunction_short O 5 H H",
        "symmetry function type 5 is not implemented (implemented: 2, 3, 9)",
        True,
    ),
    (
        "element not in elements line",
        "symfunction_short H 2 O 0.5",
        "symfunction_short H 2 C 0.5",
        "element 'C' is not in the 'elements' line",
        True,
    ),
    ("not an element", "elements O H ", "elements O Xx ", "'Xx' is not a chemical element symbol", True),
    (
        "non-number",
        "symfunction_short H 2 O 0.5 ",
        "symfunction_short H 2 O 0.5x ",
        "expected a finite number for eta, found '0.5x'",
        True,
    ),
    (
        "nan parameter",
        "symfunction_short H 2 O 0.5 ",
        "symfunction_short H 2 O nan ",
        "expected a finite number for eta, found 'nan'",
        True,
    ),
    ("missing keyword", "cutoff_type 1 0.2", "", "keyword 'cutoff_type' is missing", False),
    (
        "too few fields",
        "symfunction_short O 3 H O 0.01 1.0 4.0 10.0",
        "symfunction_short O 3 H O 0.01 1.0 4.0",
        "expected symfunction_short <center> <3|9>",
        True,
    ),
    ("zeta below 1", "0.05 1.0 1.5 12.0", "0.05 1.0 0.5 12.0", "zeta must be >= 1, found 0.5", True),
    (
        "element count",
        "number_of_elements 2",
        "number_of_elements 3",
        "number_of_elements is 3 but 2 elements",
        True,
    ),
    (
        "activation",
        "global_activation_short t s l",
        "global_activation_short t q l",
        "unknown activation 'q'",
        True,
    ),
    (
        "alpha",
        "cutoff_type 1 0.2",
        "cutoff_type 1 1.5",
        "the inner cutoff alpha must be in [0, 1), found 1.5",
        True,
    ),
    (
        "duplicate",
        "symfunction_short O 2 H 0.02 0.0 12.0",
        "symfunction_short O 2 H 0.01 0.0 12.0\nsymfunction_short O 2 H 0.01 0.0 12.0",
        "duplicate symmetry function",
        True,
    ),
]


@pytest.mark.parametrize(
    ("what", "old", "new", "message", "has_line"), INPUT_NN_ERRORS, ids=[e[0] for e in INPUT_NN_ERRORS]
)
def test_malformed_input_nn(tmp_path, what, old, new, message, has_line):
    """InputError naming the file and the offending line, with what was expected."""
    text = mutate(MINIMAL_INPUT_NN.read_text(), old, new)
    path = tmp_path / "input.nn"
    path.write_text(text)
    line = None
    if has_line:
        fragment = new.splitlines()[-1] if what == "duplicate" else new
        hits = [k for k, raw in enumerate(text.splitlines(), start=1) if fragment.strip() in raw]
        line = hits[-1]
    with pytest.raises(InputError, match=where(path, line) + re.escape(message)) as info:
        read_input_nn(path)
    assert info.value.path == path and info.value.line == line


def test_nonlinear_output_activation_is_not_silently_ignored(tmp_path):
    """An output activation other than linear ('t t t') is refused, not read as 't t l'.

    n2p2 applies the last code of ``global_activation_short`` to the output
    neuron; the model's output is always linear, so such a file must be an error.
    """
    text = mutate(
        MINIMAL_INPUT_NN.read_text(), "global_activation_short t s l", "global_activation_short t s t"
    )
    path = tmp_path / "input.nn"
    path.write_text(text)
    line = line_number(text, "global_activation_short t s t")
    with pytest.raises(InputError, match=where(path, line) + ".*output"):
        read_input_nn(path)


def test_missing_file_names_the_file(tmp_path):
    """A missing file is an InputError naming it, for every reader."""
    missing = tmp_path / "nothing.here"
    with pytest.raises(InputError, match=where(missing) + "cannot read settings file"):
        read_input_nn(missing)
    with pytest.raises(InputError, match=where(missing) + "cannot read scaling file"):
        read_scaling(missing, {"H": 1})
    with pytest.raises(InputError, match=where(missing) + "cannot read weights file"):
        read_weights(missing, 1)
    with pytest.raises(InputError, match=where(missing) + "cannot read structure file"):
        list(read_input_data(missing))


@pytest.fixture
def rpbe_scaling(fetch) -> str:
    return (fetch("nnp-rpbe-d3-morawietz2016") / "scaling.data").read_text()


N_FUNCTIONS = {"H": 27, "O": 30}


def test_scaling_wrong_index(tmp_path, rpbe_scaling):
    """A line with the wrong function index is reported with its line and the expected indices."""
    original = "         1          5   4.0080665126604625E-01"
    text = mutate(rpbe_scaling, original, original.replace("  5 ", "  6 "))
    path = tmp_path / "scaling.data"
    path.write_text(text)
    line = line_number(text, "         1          6   4.0080665126604625E-01")
    message = "expected element index 1 and function index 5, found 1 6"
    with pytest.raises(InputError, match=where(path, line) + message):
        read_scaling(path, N_FUNCTIONS)


def test_scaling_wrong_element_index(tmp_path, rpbe_scaling):
    """The first O line written with element index 1 instead of 2."""
    lines = rpbe_scaling.splitlines()
    k = next(i for i, raw in enumerate(lines) if raw.split()[:2] == ["2", "1"])
    lines[k] = lines[k].replace("         2          1", "         1          1", 1)
    path = tmp_path / "scaling.data"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        InputError, match=where(path, k + 1) + "expected element index 2 and function index 1"
    ):
        read_scaling(path, N_FUNCTIONS)


def test_scaling_wrong_count(tmp_path, rpbe_scaling):
    """Too few lines names the file and both counts; too many names the first extra line."""
    lines = rpbe_scaling.splitlines()
    path = tmp_path / "scaling.data"
    path.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(InputError, match=where(path) + "expected 57 symmetry-function lines, found 56"):
        read_scaling(path, N_FUNCTIONS)
    path.write_text("\n".join([*lines, lines[-1]]) + "\n")
    with pytest.raises(
        InputError, match=where(path, len(lines) + 1) + "more lines than the 57 symmetry functions"
    ):
        read_scaling(path, N_FUNCTIONS)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=where(path) + "expected 58 symmetry-function lines, found 57"):
        read_scaling(path, {"H": 27, "O": 31})


def test_scaling_bad_number(tmp_path, rpbe_scaling):
    """A non-numeric field is reported with its line."""
    text = mutate(rpbe_scaling, "5.4842285884800812E-01", "5.48422858848E-O1")
    path = tmp_path / "scaling.data"
    path.write_text(text)
    with pytest.raises(InputError, match=where(path, line_number(text, "E-O1")) + "expected finite numbers"):
        read_scaling(path, N_FUNCTIONS)


def test_scaling_infinite_number(tmp_path, rpbe_scaling):
    """A field that parses as infinity is refused with its line, like a non-numeric one."""
    text = mutate(rpbe_scaling, "5.4842285884800812E-01", "inf")
    path = tmp_path / "scaling.data"
    path.write_text(text)
    with pytest.raises(InputError, match=where(path, line_number(text, " inf")) + "expected finite numbers"):
        read_scaling(path, N_FUNCTIONS)


def test_write_weights_refuses_non_finite_connections_and_leaves_no_file(tmp_path):
    path = tmp_path / "weights.001.data"
    with pytest.raises(ValueError, match="not all finite"):
        write_weights(np.array([0.1, np.nan, 0.2, 0.3]), [1, 2, 1], path)
    assert not path.exists()


def test_a_model_with_non_finite_weights_is_not_written(fetch, tmp_path):
    model = BehlerParrinelloNetwork.from_n2p2(fetch("nnp-revpbe0-d3-cheng2019"))
    weights = model.get_weights()
    weights[7] = np.nan
    model.set_weights(weights)
    with pytest.raises(ValueError, match="1 weights are not finite"):
        model.write_n2p2(tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_weights_wrong_count_and_bad_number(fetch, tmp_path):
    """Wrong number of connections names the file and both counts; a bad number names the line."""
    lines = (fetch("nnp-rpbe-d3-morawietz2016") / "weights.001.data").read_text().splitlines()
    path = tmp_path / "weights.001.data"
    path.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(
        InputError, match=where(path) + "the network topology needs 1376 connections, the file has 1375"
    ):
        read_weights(path, 1376)
    k = next(i for i, raw in enumerate(lines) if not raw.startswith("#"))
    lines[k] = "nan?" + lines[k][4:]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=where(path, k + 1) + "expected a finite number, found 'nan?"):
        read_weights(path, 1376)
    lines[k] = "nan " + lines[k].split(maxsplit=1)[1]  # a number, but not a finite one
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=where(path, k + 1) + "expected a finite number, found 'nan'"):
        read_weights(path, 1376)


def test_model_with_wrong_weights_count(fetch, tmp_path):
    """from_n2p2 with a weights file for another topology fails with the file's name."""
    source = fetch("nnp-revpbe0-d3-cheng2019")
    for name in ("input.nn", "scaling.data", "weights.008.data"):
        (tmp_path / name).write_text((source / name).read_text())
    lines = (source / "weights.001.data").read_text().splitlines()
    (tmp_path / "weights.001.data").write_text("\n".join([*lines, lines[-1]]) + "\n")
    with pytest.raises(
        InputError,
        match=where(tmp_path / "weights.001.data")
        + "the network topology needs 1001 connections, the file has 1002",
    ):
        BehlerParrinelloNetwork.from_n2p2(tmp_path)


INPUT_DATA_ERRORS = [
    # (what, old, new, message, frame)
    (
        "missing end",
        "charge 0.0\nend\nbegin\ncomment OH",
        "charge 0.0\nbegin\ncomment OH",
        "'begin' inside a structure (missing 'end')",
        0,
    ),
    (
        "bad number",
        "atom   1.8   0.0   0.0  H",
        "atom   1.8   0.O   0.0  H",
        "expected finite numbers in the 'atom' line",
        1,
    ),
    (
        "infinite coordinate",
        "atom   1.8   0.0   0.0  H",
        "atom   1.8   inf   0.0  H",
        "expected finite numbers in the 'atom' line",
        1,
    ),
    (
        "unknown element",
        "atom   0.8   2.0   3.0  H",
        "atom   0.8   2.0   3.0  Xx",
        "'Xx' is not a chemical element symbol",
        2,
    ),
    ("missing energy", "energy -75.6\n", "", "structure has no 'energy' line", 1),
    (
        "short atom line",
        "atom   9.0  -0.7   3.0  H   0.0  0.0   7.0E-02  8.0E-02  9.0E-02",
        "atom   9.0  -0.7   3.0  H   0.0  0.0   7.0E-02  8.0E-02",
        "expected 9 values after 'atom', found 8",
        2,
    ),
    ("two lattice lines", "lattice  -1.0  1.5  9.0\n", "", "expected 0 or 3 'lattice' lines, found 2", 2),
    ("unknown keyword", "charge -1.0", "charges -1.0", "unknown keyword 'charges'", 2),
]


@pytest.mark.parametrize(
    ("what", "old", "new", "message", "frame"), INPUT_DATA_ERRORS, ids=[e[0] for e in INPUT_DATA_ERRORS]
)
def test_malformed_input_data(tmp_path, what, old, new, message, frame):
    """InputError naming file, line and (0-based) frame; frames before the bad one are delivered."""
    text = mutate(THREE_FRAMES_DATA.read_text(), old, new)
    path = tmp_path / "input.data"
    path.write_text(text)
    lines = text.splitlines()
    if what == "missing end":
        line = [k for k, raw in enumerate(lines, start=1) if raw == "begin"][1]
    elif what in ("missing energy", "two lattice lines"):
        line = [k for k, raw in enumerate(lines, start=1) if raw == "end"][frame]
    else:
        line = line_number(text, new.splitlines()[0])
    delivered = []
    with pytest.raises(InputError, match=where(path, line, frame) + re.escape(message)) as info:
        for atoms in read_input_data(path):
            delivered.append(atoms)
    assert (info.value.line, info.value.frame) == (line, frame)
    assert len(delivered) == frame


def test_input_data_ends_inside_structure(tmp_path):
    """A file cut after an atom line: error at the last line, in the last frame."""
    lines = THREE_FRAMES_DATA.read_text().splitlines()
    cut = lines[: lines.index("energy -1.5311E+02")]
    path = tmp_path / "input.data"
    path.write_text("\n".join(cut) + "\n")
    with pytest.raises(
        InputError, match=where(path, len(cut), 2) + r"file ends inside a structure \(missing 'end'\)"
    ):
        list(read_input_data(path))


def test_unknown_structure_format_lists_the_known_ones():
    with pytest.raises(UnknownNameError, match="structure format 'xyz'; valid names: extxyz, extxyz-quip-au"):
        frame_reader("xyz")


# -- nothing half-written -----------------------------------------------------------------------------
def test_write_weights_wrong_count_leaves_no_file(tmp_path):
    """write_weights with too many or too few connections raises a clear error and creates no file."""
    path = tmp_path / "weights.001.data"
    with pytest.raises(ValueError, match="1377 connections given, the topology needs 1376"):
        write_weights(np.zeros(1377), [27, 25, 25, 1], path)
    with pytest.raises(ValueError, match="1375 connections given, the topology needs 1376"):
        write_weights(np.zeros(1375), [27, 25, 25, 1], path)
    assert list(tmp_path.iterdir()) == []


def test_failed_input_data_write_keeps_old_file(tmp_path):
    """An error in the second structure leaves an existing file untouched and no temporary file."""
    path = tmp_path / "input.data"
    path.write_text("old content\n")
    good = next(iter(read_input_data(THREE_FRAMES_DATA)))
    broken = Atoms("H", positions=[(0, 0, 0)])  # no energy or forces
    with pytest.raises(RuntimeError):
        write_input_data([good, broken], path)
    assert path.read_text() == "old content\n"
    assert list(tmp_path.iterdir()) == [path]
    path.unlink()
    with pytest.raises(RuntimeError):
        write_input_data([good, broken], path)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write(tmp_path):
    """The file appears only when the block succeeds; an exception leaves nothing behind."""
    path = tmp_path / "sub" / "file.txt"
    with pytest.raises(KeyError), atomic_write(path) as handle:
        handle.write("partial")
        raise KeyError("boom")
    assert list(path.parent.iterdir()) == []
    with atomic_write(path) as handle:
        handle.write("complete\n")
    assert path.read_text() == "complete\n"
    assert list(path.parent.iterdir()) == [path]


def test_atomic_write_gives_ordinary_permissions(tmp_path):
    """Files written atomically get the same permissions as ``open(path, "w")`` (umask applied).

    Potential files are read by n2p2/LAMMPS, possibly under another user; a
    temporary file's private mode (0600) must not leak into the result.
    """
    plain = tmp_path / "plain.txt"
    plain.write_text("x\n")
    atomic = tmp_path / "atomic.txt"
    with atomic_write(atomic) as handle:
        handle.write("x\n")
    assert oct(atomic.stat().st_mode & 0o777) == oct(plain.stat().st_mode & 0o777)


def test_write_input_nn_refuses_unknown_scaling(tmp_path):
    """An invalid settings object is refused before anything is written."""
    settings = read_input_nn(MINIMAL_INPUT_NN)
    settings.scaling = "minmax"
    with pytest.raises(ValueError, match="unknown scaling 'minmax'"):
        write_input_nn(settings, tmp_path / "input.nn")
    assert list(tmp_path.iterdir()) == []


def test_single_point_frames_are_writable(tmp_path):
    """Structures labelled by any calculator (here a SinglePointCalculator) can be written."""
    atoms = Atoms("OH", positions=[(0, 0, 0), (0.97, 0, 0)])
    atoms.calc = SinglePointCalculator(atoms, energy=-2056.0, forces=[[0.1, 0, 0], [-0.1, 0, 0]])
    write_input_data([atoms], tmp_path / "input.data")
    (again,) = read_input_data(tmp_path / "input.data")
    assert not again.pbc.any()
    assert abs(again.get_potential_energy() + 2056.0) <= 1e-12 * 2056.0
