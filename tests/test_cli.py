"""The ``nnp-tutorial`` command line, run in-process (``cli.main``) and once as a program.

Oracles: :meth:`BehlerParrinelloNetwork.evaluate` on the same structures, the
DFT labels of the revPBE0-D3 data set, error metrics recomputed by hand from
the per-structure table, and the registry itself (names, cache status).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import ase.io
import numpy as np
import pandas as pd
import pytest
from ase.build import molecule

from nnp_tutorial import _tensorflow, cli, datasets
from nnp_tutorial.cli.provenance import read_header

MODEL = "nnp-revpbe0-d3-cheng2019"
DATASET = "revpbe0-d3"


# -- fixtures ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cheng(fetch):
    """The published revPBE0-D3 potential, shared by the tests that do not test loading."""
    fetch(MODEL)
    return datasets.load_potential(MODEL)


@pytest.fixture(scope="module")
def two_frames(tmp_path_factory, fetch) -> tuple[Path, list]:
    """Frames 0 and 1 of revPBE0-D3 written as extended XYZ, and the frames as read back from it."""
    fetch(DATASET)
    frames = list(datasets.iter_structures(DATASET, index=[0, 1]))
    path = tmp_path_factory.mktemp("cli") / "two_frames.xyz"
    ase.io.write(path, frames, format="extxyz")
    written = ase.io.read(path, index=":")
    for original, copy in zip(frames, written):  # ASE writes positions with 8 decimals
        np.testing.assert_allclose(copy.positions, original.positions, rtol=0, atol=1e-8)
    return path, written


@pytest.fixture
def with_model(monkeypatch, cheng):
    """Let the command line use the already compiled ``cheng`` instead of loading its own copy."""
    monkeypatch.setattr(cli.inputs, "load_model", lambda spec, data_dir=None: cheng)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """``cli.main(argv)``: exit status, stdout, stderr."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


# -- predict -----------------------------------------------------------------------------
def test_predict_json_equals_model_evaluate(capsys, cheng, two_frames):
    """``predict --json`` loads the registered model itself; numbers equal ``evaluate`` to 1e-10."""
    path, frames = two_frames
    status, out, _ = run_cli(capsys, "predict", "--model", MODEL, path, "--json")
    assert status == 0
    records = json.loads(out)
    assert [(r["file"], r["index"], r["symbols"], r["n_atoms"]) for r in records] == [
        (str(path), 0, "H128O64", 192),
        (str(path), 1, "H128O64", 192),
    ]
    labels = datasets.load_structures(DATASET, index=[0, 1])
    for record, atoms, label in zip(records, frames, labels):
        expected = cheng.evaluate(atoms)
        assert abs(record["energy_eV"] - expected.energy) <= 1e-10
        forces = np.array(record["forces_eV_per_A"])
        assert forces.shape == (192, 3)
        np.testing.assert_allclose(forces, expected.forces, rtol=0, atol=1e-10)
        # real numbers: close to the DFT labels the model was trained on
        assert abs(record["energy_eV"] - label.get_potential_energy()) / 192 < 0.005  # eV/atom
        assert np.sqrt(np.mean((forces - label.get_forces()) ** 2)) < 0.2  # eV/Å


_HEADER = re.compile(r"# (?P<file>\S+) \[(?P<index>\d+)\] (?P<symbols>\S+)  energy = (?P<energy>\S+) eV")


def test_predict_table_parses(capsys, with_model, cheng, two_frames):
    """The plain output: a header line per structure, then one row of three force components per atom."""
    path, frames = two_frames
    status, out, _ = run_cli(capsys, "predict", "--model", MODEL, path)
    assert status == 0
    lines = out.splitlines()
    starts = [k for k, line in enumerate(lines) if _HEADER.fullmatch(line)]
    assert len(starts) == 2
    for number, (start, atoms) in enumerate(zip(starts, frames)):
        header = _HEADER.fullmatch(lines[start])
        assert (header["file"], int(header["index"]), header["symbols"]) == (str(path), number, "H128O64")
        assert lines[start + 1].split() == ["#", "atom", "Fx", "(eV/Å)", "Fy", "(eV/Å)", "Fz", "(eV/Å)"]
        table = np.array([line.split() for line in lines[start + 2 : start + 2 + 192]], dtype=float)
        expected = cheng.evaluate(atoms)
        assert float(header["energy"]) == pytest.approx(expected.energy, abs=5e-9)  # 8 decimals
        np.testing.assert_array_equal(table[:, 0], np.arange(192))
        np.testing.assert_allclose(table[:, 1:], expected.forces, rtol=0, atol=5e-11)  # 10 decimals
    assert len(lines) == 2 * (2 + 192)


# -- datasets ----------------------------------------------------------------------------
def test_datasets_lists_every_entry_with_its_cache_status(capsys):
    status, out, _ = run_cli(capsys, "datasets")
    assert status == 0
    header, rule, *rows = out.splitlines()
    assert header.split()[:6] == ["name", "kind", "size", "(MB)", "status", "description"]
    assert set(rule.replace(" ", "")) == {"-"}
    listed = {row.split()[0]: row.split() for row in rows}
    entries = datasets.list_entries()
    assert list(listed) == [e.name for e in entries]
    for entry in entries:
        _, kind, size, cache = listed[entry.name][:4]
        assert (kind, cache) == (entry.kind, datasets.cache_status(entry.name))
        assert float(size) == pytest.approx(entry.size_bytes / 1e6, abs=0.005)
        assert cache in ("local", "cached", "missing")


# -- evaluate ----------------------------------------------------------------------------
def test_evaluate_writes_tables_consistent_with_a_hand_computation(capsys, tmp_path, with_model, cheng):
    out = tmp_path / "results" / "F.csv"
    argv = ["evaluate", "--model", MODEL, "--dataset", DATASET, "--index", ":3", "--out", str(out)]
    status, stdout, _ = run_cli(capsys, *argv)
    assert status == 0
    assert read_header(out)["command"] == "nnp-tutorial " + " ".join(argv)
    summary = pd.read_csv(out, comment="#").iloc[0]
    per_frame = pd.read_csv(tmp_path / "results" / "F_per_structure.csv")
    assert (summary["model"], summary["dataset"], summary["n_structures"]) == (MODEL, DATASET, 3)
    assert list(per_frame["index"]) == [0, 1, 2] and list(per_frame["n_atoms"]) == [192] * 3

    # the per-structure numbers, by hand from the model and the DFT labels
    for row, atoms in zip(per_frame.itertuples(), datasets.iter_structures(DATASET, index=slice(3))):
        result = cheng.evaluate(atoms)
        energy_error = (result.energy - atoms.get_potential_energy()) / len(atoms) * 1000
        force_rmse = np.sqrt(np.mean((result.forces - atoms.get_forces()) ** 2)) * 1000
        assert row.energy_error == pytest.approx(energy_error, rel=1e-9, abs=1e-9)
        assert row.force_rmse == pytest.approx(force_rmse, rel=1e-9)
        assert row.volume == pytest.approx(atoms.get_volume(), rel=1e-9)

    # the summary, by hand from the per-structure numbers (written with 4 and 3 decimals)
    e = per_frame["energy_error"].to_numpy()
    f, n = per_frame["force_rmse"].to_numpy(), per_frame["n_atoms"].to_numpy()
    assert summary["energy_rmse_meV_per_atom"] == pytest.approx(np.sqrt(np.mean(e**2)), abs=5e-5)
    assert summary["energy_mae_meV_per_atom"] == pytest.approx(np.mean(np.abs(e)), abs=5e-5)
    assert summary["energy_offset_meV_per_atom"] == pytest.approx(np.mean(e), abs=5e-5)
    aligned = np.sqrt(np.mean((e - np.mean(e)) ** 2))  # RMSE once the mean per-atom error is removed
    assert summary["aligned_energy_rmse_meV_per_atom"] == pytest.approx(aligned, abs=5e-5)
    assert summary["force_rmse_meV_per_A"] == pytest.approx(np.sqrt(np.sum(n * f**2) / np.sum(n)), abs=5e-4)
    assert f"{MODEL} on {DATASET}: 3 structures: energy RMSE " in stdout


# -- bad input ---------------------------------------------------------------------------
def _no_traceback(err: str) -> None:
    assert "Traceback" not in err
    assert err.startswith("nnp-tutorial: error: ")


def test_unknown_potential_lists_the_valid_names(capsys, two_frames):
    status, out, err = run_cli(capsys, "predict", "--model", "revpbe0-d3-cheng", two_frames[0])
    assert status != 0 and out == ""
    _no_traceback(err)
    assert "unknown potential 'revpbe0-d3-cheng'; valid names: " in err
    potentials = [e.name for e in datasets.list_entries() if e.potential == "n2p2"]
    assert all(name in err for name in potentials) and MODEL in potentials


def test_unknown_data_set_lists_the_valid_names(capsys, with_model):
    status, _, err = run_cli(capsys, "evaluate", "--model", MODEL, "--dataset", "revpbe0")
    assert status != 0
    _no_traceback(err)
    assert "unknown structure data set 'revpbe0'; valid names: " in err
    assert all(e.name in err for e in datasets.list_entries() if e.structures is not None)

    status, _, err = run_cli(capsys, "datasets", "--download", "revpbe0")
    assert status != 0
    _no_traceback(err)
    assert all(e.name in err for e in datasets.list_entries())


def _replace_line(lines: list[str], number: int, text: str) -> list[str]:
    return [*lines[: number - 1], text, *lines[number:]]


@pytest.mark.parametrize(
    ("corrupt", "where", "what"),
    [
        # frame 1 starts on line 195: count, header (196), atoms from line 197
        (
            lambda ls: _replace_line(ls, 200, "H 1.0 2.0 x.5 0.0 0.0 0.0"),
            "line 200, frame 1",
            "cannot read 'x.5'",
        ),
        (lambda ls: _replace_line(ls, 10, "O 1.0 2.0"), "line 10, frame 0", "expected 7 columns"),
        (lambda ls: _replace_line(ls, 195, "one hundred"), "line 195, frame 1", "number of atoms"),
        (lambda ls: ls[:300], "line 300, frame 1", "file ends inside the frame"),
    ],
    ids=["bad-number", "missing-columns", "bad-count", "truncated"],
)
def test_malformed_structure_file_names_file_and_line(
    capsys, tmp_path, with_model, two_frames, corrupt, where, what
):
    lines = two_frames[0].read_text().splitlines()
    assert len(lines) == 2 * 194 and lines[194] == "192"
    bad = tmp_path / "bad.xyz"
    bad.write_text("\n".join(corrupt(lines)) + "\n")
    status, out, err = run_cli(capsys, "predict", "--model", MODEL, bad)
    assert status != 0 and out == ""
    _no_traceback(err)
    assert f"{bad}, {where}: " in err and what in err


def test_missing_structure_file(capsys, tmp_path, with_model):
    status, _, err = run_cli(capsys, "predict", "--model", MODEL, tmp_path / "nothing.xyz")
    assert status != 0
    _no_traceback(err)
    assert f"{tmp_path / 'nothing.xyz'}: no such structure file" in err


# -- TensorFlow's start-up notes -----------------------------------------------------------
NOISE = ("oneDNN", "cpu_feature_guard", "absl::InitializeLog", "XLA service", "Compiled cluster")


def test_stderr_of_the_program_is_free_of_tensorflow_notes(tmp_path, fetch):
    """The console program on one water molecule: stdout has the energy, stderr none of TF's notes."""
    fetch(MODEL)  # downloaded (if needed) before the program runs
    water = molecule("H2O")
    water.center(vacuum=5.0)
    path = tmp_path / "water.xyz"
    ase.io.write(path, water, format="extxyz")
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}
    command = [sys.executable, "-m", "nnp_tutorial.cli", "predict", "--model", MODEL, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert re.search(r"\[0\] H2O  energy = -\d+\.\d{8} eV", done.stdout)
    assert not [line for line in done.stderr.splitlines() if any(word in line for word in NOISE)]


def test_only_known_tensorflow_notes_are_filtered():
    notes = [
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
        "I0000 00:00:1795500425.464418   14143 port.cc:153] oneDNN custom operations are on. "
        "You may see slightly different numerical results.",
        "I0000 00:00:1795500441.516838   14285 cpu_feature_guard.cc:227] This TensorFlow binary is "
        "optimized to use available CPU instructions in performance-critical operations.",
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
        "with the appropriate compiler flags.",
    ]
    kept = [
        "W0000 00:00:1795500441.516838   14285 port.cc:153] oneDNN could not be loaded",
        "E0000 00:00:1795500441.516838   14285 cuda_dnn.cc:8] Unable to register cuDNN factory",
        "ImportError: libfoo.so: cannot open shared object file",
        "",
    ]
    assert all(_tensorflow.is_noise(line + "\n") for line in notes)
    assert not any(_tensorflow.is_noise(line) for line in kept)


def test_retracing_warnings_are_dropped_for_our_compiled_functions_only(caplog):
    """Our functions retrace per composition by design; other functions' retracing is still reported."""
    import logging

    import tensorflow as tf

    tail = " triggered tf.function retracing. Tracing is expensive and the excessive number of tracings ..."
    ours = (
        "5 out of the last 14 calls to <bound method Architecture.evaluation_graph of "
        "Architecture(H: 27-25-25-1; O: 30-25-25-1; SymmetryFunctionSet(H: 27, O: 30; ...))>" + tail
    )

    @tf.function(autograph=False)
    def doubled(x):
        return 2.0 * x

    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        logging.getLogger("tensorflow").warning(ours)  # as TensorFlow words it for the model
        for n in range(1, 8):  # a new shape each call: TensorFlow warns from the 5th trace on
            doubled(tf.zeros(n))
    messages = [record.getMessage() for record in caplog.records]
    assert messages and all("calls to <function" in m and "doubled" in m for m in messages), messages
