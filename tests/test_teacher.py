"""Teacher data set: recipe, ice and density scaling, exact extended XYZ, generation.

Oracles: labels against a fresh teacher calculator (1e-10), file bytes of two runs of one
recipe (and of a resumed run), hand-counted frames and evaluations, the ice rules and zero
net dipole of GenIce2 boxes, bond lengths kept by the rigid density scaling.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import ase.io
import numpy as np
import pytest
from ase.geometry import find_mic

from nnp_tutorial import datasets, teacher
from nnp_tutorial.cli import main
from nnp_tutorial.errors import ChecksumError, InputError, UnknownNameError
from nnp_tutorial.io.extxyz import format_extxyz_frame
from nnp_tutorial.md.ice import ice_box
from nnp_tutorial.md.water import density, scale_to_density, water_box
from nnp_tutorial.teacher import DatasetNotGeneratedError, TeacherRecipe, recipe_hash

#: 2 state points x 3 frames, 18 MD steps each (10 of equilibration, then 2 strides of 4).
TINY = TeacherRecipe(
    liquid_densities_g_per_ml=(1.05,),
    liquid_temperatures_K=(300.0,),
    ice_polymorphs=("1c",),
    ice_densities_g_per_ml=(0.92,),
    ice_temperatures_K=(150.0,),
    frames_per_state=3,
    equilibration_ps=0.005,
    stride_fs=2.0,
)
TINY_CLI = [
    "make-teacher-dataset", "--teacher", "blyp", "--densities", "1.05", "--temperatures", "300",
    "--ice-polymorphs", "1c", "--ice-densities", "0.92", "--ice-temperatures", "150",
    "--frames-per-state", "3", "--equilibration-ps", "0.005", "--stride-fs", "2", "--no-progress",
]  # fmt: skip


# -- recipe ------------------------------------------------------------------------------


def test_default_recipe_counts():
    recipe = TeacherRecipe()
    assert [s.source for s in recipe.state_points].count("liquid") == 6 * 4
    assert recipe.n_frames == 28 * 70 == 1960
    # 0.1 ps / 0.5 fs = 200 steps, 69 strides of 4 fs = 8 steps
    assert recipe.steps_per_state == 200 + 69 * 8
    assert recipe.n_evaluations == 28 * (752 + 1 + 70) == 23044
    assert recipe.cpu_minutes == pytest.approx(23044 * 0.06 / 60)


def test_tiny_recipe_counts():
    assert [s.label for s in TINY.state_points] == ["liquid_1.050gml_300K", "ice-1c_0.920gml_150K"]
    assert (TINY.equilibration_steps, TINY.stride_steps, TINY.steps_per_state) == (10, 4, 18)
    assert TINY.n_evaluations == 2 * (18 + 1 + 3)


def test_recipe_hash_follows_the_recipe():
    same = TeacherRecipe(liquid_densities_g_per_ml=[0.8, 0.9, 1, 1.1, 1.2, 1.3])  # list of mixed numbers
    assert recipe_hash(same) == recipe_hash(TeacherRecipe())
    assert len(recipe_hash(TINY)) == 16 and int(recipe_hash(TINY), 16) >= 0
    changes = [
        {"seed": 1},
        {"stride_fs": 5.0},
        {"teacher": "rpbe"},
        {"ice_polymorphs": ()},
        {"taut_fs": 100.0},
    ]
    hashes = {recipe_hash(TeacherRecipe(**change)) for change in changes}
    assert len(hashes) == len(changes) and recipe_hash(TeacherRecipe()) not in hashes


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"teacher": "pbe"}, UnknownNameError, "valid names: blyp, blyp-d3, rpbe, rpbe-d3"),
        ({"ice_polymorphs": ("7",)}, UnknownNameError, "ice polymorph '7'"),
        ({"liquid_densities_g_per_ml": (1.0, 2.5)}, InputError, r"densities must lie in \(0.3, 2.0\)"),
        ({"ice_temperatures_K": (0.0,)}, InputError, "temperatures must be > 0 K"),
        ({"frames_per_state": 0}, InputError, "frames_per_state must be >= 1"),
        ({"stride_fs": 1.2}, InputError, "stride_fs must be a multiple of timestep_fs"),
        ({"equilibration_ps": 0.0012}, InputError, "equilibration must be whole steps"),
        ({"seed": -1}, InputError, "seed must be an int >= 0"),
        ({"liquid_densities_g_per_ml": (1.0, 1.0001)}, InputError, "share a label"),
        ({"liquid_densities_g_per_ml": (), "ice_polymorphs": ()}, InputError, "no state points"),
    ],
)
def test_bad_recipes_are_refused(change, error, match):
    with pytest.raises(error, match=match):
        TeacherRecipe(**change)


# -- structures --------------------------------------------------------------------------


def _bonds_to_nearest_oxygen(atoms):
    """Minimum-image distance of each H to its nearest O, and that O's index."""
    o, h = np.flatnonzero(atoms.numbers == 8), np.flatnonzero(atoms.numbers == 1)
    vectors = atoms.positions[h, None] - atoms.positions[None, o]
    _, lengths = find_mic(vectors.reshape(-1, 3), atoms.cell, True)
    lengths = lengths.reshape(len(h), len(o))
    return lengths, o[np.argmin(lengths, axis=1)]


def test_scale_to_density_moves_molecules_rigidly():
    box = water_box(64, 1.0, seed=3)
    box.positions += 5.0  # after wrapping, molecules straddle the cell faces
    box.wrap()
    dense = scale_to_density(box, 1.25)
    s = (1 / 1.25) ** (1 / 3)
    assert density(dense) == pytest.approx(1.25, rel=1e-14)
    np.testing.assert_allclose(dense.cell.array, s * box.cell.array, rtol=1e-14)
    oxygens = np.flatnonzero(box.numbers == 8)
    np.testing.assert_allclose(dense.positions[oxygens], s * box.positions[oxygens], rtol=1e-14)
    before, owner = _bonds_to_nearest_oxygen(box)
    after, owner_after = _bonds_to_nearest_oxygen(dense)
    np.testing.assert_array_equal(owner_after, owner)
    np.testing.assert_allclose(after.min(axis=1), 0.96856, atol=1e-5)  # ase.build.molecule("H2O")
    np.testing.assert_allclose(after.min(axis=1), before.min(axis=1), atol=1e-12)


@pytest.mark.parametrize("polymorph", ["1h", "1c"])
def test_ice_box_obeys_the_ice_rules(polymorph):
    state = np.random.get_state()  # noqa: NPY002
    atoms = ice_box(polymorph, 0.95, seed=4)
    assert np.random.get_state()[1].tolist() == state[1].tolist()  # noqa: NPY002 -- global RNG untouched
    assert len(atoms) == 192 and atoms.get_chemical_formula() == "H128O64"
    assert density(atoms) == pytest.approx(0.95, rel=1e-14)
    lengths, donor = _bonds_to_nearest_oxygen(atoms)
    np.testing.assert_allclose(np.sort(lengths, axis=1)[:, 0], 0.9572, atol=1e-6)  # TIP3P O–H
    acceptor = np.flatnonzero(atoms.numbers == 8)[np.argsort(lengths, axis=1)[:, 1]]
    oxygens = np.flatnonzero(atoms.numbers == 8)
    # Bernal–Fowler: each molecule donates two hydrogens and accepts two hydrogen bonds
    assert np.bincount(donor, minlength=192)[oxygens].tolist() == [2] * 64
    assert np.bincount(acceptor, minlength=192)[oxygens].tolist() == [2] * 64
    # depolarised: the 128 O→H vectors nearly cancel (a polarised box sums to about 10 Å;
    # the residue comes from GenIce2's slightly irregular Ih lattice, Ic gives 1e-13 Å)
    oh = find_mic(atoms.positions[atoms.numbers == 1] - atoms.positions[donor], atoms.cell, True)[0]
    assert np.abs(oh.sum(axis=0)).max() < 0.1


def test_ice_box_depends_on_the_seed_only():
    a, b, c = ice_box("1h", 0.92, seed=1), ice_box("1h", 0.92, seed=1), ice_box("1h", 0.92, seed=2)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert not np.allclose(a.positions, c.positions)
    # same lattice: GenIce2 puts each centre of mass (0.066 Å from the O) on a site, so O atoms
    # of differently oriented molecules lie within 2 x 0.066 Å of each other
    np.testing.assert_allclose(a.positions[::3], c.positions[::3], atol=0.14)


def test_extxyz_frame_reads_back_exactly(tmp_path):
    rng = np.random.default_rng(0)
    atoms = water_box(4, 1.0, seed=0)
    atoms.positions += rng.normal(size=atoms.positions.shape) * 1e-3
    forces = rng.normal(size=(12, 3)) / 7
    energy = -1234.5678901234567
    path = tmp_path / "frame.xyz"
    info = {"state": "liquid_1.000gml_300K", "density_g_per_ml": 1 / 3, "temperature_K": 300.0}
    path.write_text(format_extxyz_frame(atoms, energy, forces, info) * 2)
    frames = ase.io.read(path, index=":", format="extxyz")
    assert len(frames) == 2
    back = frames[1]
    np.testing.assert_array_equal(back.positions, atoms.positions)
    np.testing.assert_array_equal(back.cell.array, atoms.cell.array)
    np.testing.assert_array_equal(back.get_forces(), forces)
    assert back.get_potential_energy() == energy
    assert back.info == info and back.get_chemical_symbols() == atoms.get_chemical_symbols()
    with pytest.raises(ValueError, match="must not contain"):
        format_extxyz_frame(atoms, energy, forces, {"state": 'a"b'})


# -- generation --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory, fetch):
    """The tiny set made by the command line (directory ``a``), with the cache in ``cache``."""
    fetch("revpbe0-d3"), fetch("nnp-blyp-morawietz2016")
    root = tmp_path_factory.mktemp("teacher")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NNP_TUTORIAL_CACHE", str(root / "cache"))
        assert main([*TINY_CLI, "--out", str(root / "a")]) == 0
        yield root


@pytest.mark.slow
def test_generated_set_has_the_recipe_frames(generated):
    header = json.loads((generated / "a" / "recipe.json").read_text())
    assert header["recipe_hash"] == recipe_hash(TINY) and header["n_frames"] == 6
    assert header["command"].startswith("nnp-tutorial make-teacher-dataset --teacher blyp")
    assert [s["status"] for s in header["states"]] == ["completed"] * 2
    frames = datasets.load_structures(str(generated / "a"))
    assert len(frames) == 6
    for k, atoms in enumerate(frames):
        state = TINY.state_points[k // 3]
        assert atoms.info["state"] == state.label and atoms.info["source"] == state.source
        assert atoms.info["density_g_per_ml"] == pytest.approx(state.density_g_per_ml, rel=1e-12)
        assert atoms.info["temperature_K"] == state.temperature_K
        assert atoms.info["time_ps"] == pytest.approx((10 + 4 * (k % 3)) * 0.5e-3)
        fractional = atoms.get_scaled_positions(wrap=False)
        assert fractional.min() >= 0 and fractional.max() < 1  # wrapped
    assert (generated / "a" / "energy_density_hist.png").stat().st_size > 10_000


@pytest.mark.slow
def test_labels_equal_a_fresh_teacher_calculator(generated, fetch):
    from nnp_tutorial.calculator import NNPCalculator

    calculator = NNPCalculator(datasets.load_potential("nnp-blyp-morawietz2016"))
    for atoms in datasets.load_structures(str(generated / "a"), index=[0, 2, 4]):
        energy, forces = atoms.get_potential_energy(), atoms.get_forces()
        atoms.calc = calculator
        assert abs(atoms.get_potential_energy() - energy) < 1e-10
        np.testing.assert_allclose(atoms.get_forces(), forces, rtol=0, atol=1e-10)


@pytest.mark.slow
def test_same_recipe_gives_the_same_bytes_also_when_resumed(generated):
    """The ice state point is made again from its seed, in a run that skips the liquid one.

    Then the teacher's first structure would be the ice box, not the liquid start, if the
    run did not fix the padded shapes first; the bytes would differ in the last digits.
    """
    first = (generated / "a" / "dataset.xyz").read_bytes()
    shutil.copytree(generated / "a", generated / "b")
    (generated / "b" / "dataset.xyz").unlink()
    shutil.rmtree(generated / "b" / "states" / "ice-1c_0.920gml_150K")
    resumed = teacher.make_teacher_dataset(TINY, generated / "b", progress=False)
    assert resumed.path.read_bytes() == first and resumed.n_frames == 6
    assert (generated / "b" / "states" / "ice-1c_0.920gml_150K" / "md.traj").is_file()


@pytest.mark.slow
def test_finding_and_checking_generated_sets(generated, monkeypatch):
    monkeypatch.setenv("NNP_TUTORIAL_CACHE", str(generated / "cache"))
    # the command line copied the set into the cache under its recipe hash
    cached = generated / "cache" / "teacher-blyp" / recipe_hash(TINY) / "dataset.xyz"
    assert cached.read_bytes() == (generated / "a" / "dataset.xyz").read_bytes()
    with pytest.raises(DatasetNotGeneratedError, match="nnp-tutorial make-teacher-dataset --teacher blyp"):
        datasets.load_structures("teacher-blyp")  # the default recipe's set is not there
    default = teacher.cache_path(TeacherRecipe())
    shutil.copytree(cached.parent, default)
    assert len(datasets.load_structures("teacher-blyp", index=slice(2, 4))) == 2
    with pytest.raises(InputError, match=f"holds the teacher data set of recipe {recipe_hash(TINY)}"):
        teacher.make_teacher_dataset(TeacherRecipe(seed=5), default, progress=False)
    with open(default / "dataset.xyz", "a") as handle:
        handle.write("\n")
    with pytest.raises(ChecksumError, match="differs from"):
        datasets.load_structures("teacher-blyp")
    (default / "dataset.xyz").unlink()
    with pytest.raises(DatasetNotGeneratedError, match="incomplete"):
        datasets.load_structures(str(default))


def test_teacher_sets_are_registered_with_the_loaders_once():
    """Importing the teacher module lets the loaders read its sets; a second registration is refused."""
    with pytest.raises(ValueError, match="generated_dataset_file are already registered"):
        datasets.register_generated(teacher.generated_dataset_file)
    with pytest.raises(ValueError, match=r"'nnp_tutorial\.teacher\.cache' are already declared"):
        datasets.declare_generated("nnp_tutorial.teacher.cache")


def test_loaders_find_teacher_sets_without_importing_the_teacher_first(tmp_path, fetch):
    """In a fresh interpreter, the loaders import the module the catalogue names for generated sets.

    The teacher's resolver then answers (the set is not in the empty cache), not the registry's
    UnknownNameError; a published set is read without importing the teacher.
    """
    fetch("rpbe-d3-train20")
    code = (
        "import sys\n"
        "from nnp_tutorial import datasets\n"
        "datasets.load_structures('rpbe-d3-train20', index=0)\n"
        "print('nnp_tutorial.teacher' in sys.modules)\n"
        "try:\n"
        "    datasets.load_structures('teacher-blyp', index=0)\n"
        "except Exception as error:\n"
        "    print(type(error).__module__, type(error).__name__)\n"
    )
    env = {**os.environ, "NNP_TUTORIAL_CACHE": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == ["False", "nnp_tutorial.teacher.cache", "DatasetNotGeneratedError"]


def test_cli_refuses_a_bad_recipe(capsys, tmp_path):
    assert main(["make-teacher-dataset", "--ice-polymorphs", "2", "--out", str(tmp_path)]) == 2
    assert "unknown ice polymorph '2'; valid names: 1c, 1h" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
