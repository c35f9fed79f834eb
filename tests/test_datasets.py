"""Tests of the data-set registry, the download/local-copy logic and the structure loaders.

Numbers are those of ``shared/data/README.md`` (energies, boxes and force
statistics); units are converted here with ``ase.units``, independently of
:mod:`nnp_tutorial.units`. Downloads are tested against a local HTTP server.
"""

from __future__ import annotations

import hashlib
import http.server
import inspect
import lzma
import os
import re
import shutil
import threading
import weakref
from collections import Counter
from dataclasses import replace
from pathlib import Path, PurePath
from types import SimpleNamespace

import ase.io
import numpy as np
import pytest
from ase.units import Bohr, Hartree

from nnp_tutorial import datasets
from nnp_tutorial.datasets import DataFile, DatasetEntry
from nnp_tutorial.errors import ChecksumError, InputError, UnknownNameError
from nnp_tutorial.io.reference_prediction import read_prediction

HARTREE_PER_BOHR = Hartree / Bohr
ALL_NAMES = [
    "revpbe0-d3",
    "nnp-revpbe0-d3-cheng2019",
    "nnp-blyp-morawietz2016",
    "nnp-blyp-d3-morawietz2016",
    "nnp-rpbe-morawietz2016",
    "nnp-rpbe-d3-morawietz2016",
    "n2p2-example-1080",
    "rpbe-d3-train20",
    "pinn-blyp-adam",
    "rpbe-d3-lesfit-test",
]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_wrapped(atoms) -> None:
    scaled = atoms.get_scaled_positions(wrap=False)
    assert scaled.min() >= -1e-12 and scaled.max() < 1.0


@pytest.fixture
def register_temporary():
    """``register(entry)`` for the duration of one test."""
    names: list[str] = []

    def register(entry: DatasetEntry) -> DatasetEntry:
        datasets.register(entry)
        names.append(entry.name)
        return entry

    yield register
    for name in names:
        datasets.unregister(name)


@pytest.fixture
def server(tmp_path, monkeypatch):
    """An HTTP server on 127.0.0.1 serving ``server.root``; downloads go to ``tmp_path/cache``."""
    root = tmp_path / "served"
    root.mkdir()
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format, *args):
            requests.append(self.path)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    for key in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(key, "127.0.0.1,localhost")
    monkeypatch.delenv("NNP_TUTORIAL_DATA", raising=False)
    monkeypatch.setenv("NNP_TUTORIAL_CACHE", str(tmp_path / "cache"))
    yield SimpleNamespace(
        root=root, url=f"http://127.0.0.1:{httpd.server_port}", requests=requests, cache=tmp_path / "cache"
    )
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def served_entry(server, name: str, content: bytes, sha: str) -> DatasetEntry:
    """An entry with one file ``data.txt`` served by ``server``."""
    (server.root / "data.txt").write_bytes(content)
    file = DataFile("data.txt", f"{server.url}/data.txt", sha, len(content), f"{name}/data.txt", sha)
    return DatasetEntry(name, "structures", "test", (file,), "text", "-", "-", "-", "-")


# --------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------


def test_registry_lists_all_entries_with_pinned_urls():
    assert [e.name for e in datasets.list_entries()] == ALL_NAMES
    for entry in datasets.list_entries():
        assert entry.kind in datasets.KINDS
        assert entry.description and "\n" not in entry.description
        assert entry.citation and re.fullmatch(r"10\.\d{4,}/\S+", entry.doi)
        assert entry.license and entry.units and entry.format
        for file in entry.files:
            assert re.match(r"https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{40}/", file.url), (
                file.url
            )
            assert PurePath(file.url).name in (file.name, "ExamplePrediction.h")
    revpbe = datasets.get_entry("revpbe0-d3")
    assert revpbe.size_bytes == 35_629_038
    assert revpbe.files[0].url == (
        "https://raw.githubusercontent.com/BingqingCheng/ab-initio-thermodynamics-of-water/"
        "7b8b1a2b4270cffcab1bfd11a8603767b4966396/training-set/dataset_1593.xyz"
    )
    assert revpbe.files[0].sha256 == "5e2ec3b4b1334e012daa6a2e2dbd138108c41c7b6f692ff89b8747b81cadfdbc"
    assert revpbe.files[0].local_sha256 != revpbe.files[0].sha256  # the local copy is xz-compressed
    local_dirs = {e.name: e.local_dir for e in datasets.list_entries()}
    assert local_dirs == {
        "revpbe0-d3": "revpbe0d3_cheng2019",
        "nnp-revpbe0-d3-cheng2019": "revpbe0d3_cheng2019/nnp",
        "nnp-blyp-morawietz2016": "rpbed3_morawietz2016_n2p2/potentials/H2O_BLYP",
        "nnp-blyp-d3-morawietz2016": "rpbed3_morawietz2016_n2p2/potentials/H2O_BLYP-D3",
        "nnp-rpbe-morawietz2016": "rpbed3_morawietz2016_n2p2/potentials/H2O_RPBE",
        "nnp-rpbe-d3-morawietz2016": "rpbed3_morawietz2016_n2p2/potentials/H2O_RPBE-D3",
        "n2p2-example-1080": "rpbed3_morawietz2016_n2p2/predict1080",
        "rpbe-d3-train20": "rpbed3_morawietz2016_n2p2/train20",
        "pinn-blyp-adam": "pinn_lab_blyp_adam",
        "rpbe-d3-lesfit-test": "rpbed3_les_fit_test",
    }
    potentials = {n: [f.name for f in datasets.get_entry(n).files] for n in ALL_NAMES[2:6]}
    for names in potentials.values():
        assert names == [
            "input.nn",
            "scaling.data",
            "weights.001.data",
            "weights.008.data",
            "nnp-train.log.0000",
        ]


def test_registered_hashes_match_the_local_sha256sums():
    root = os.environ.get("NNP_TUTORIAL_DATA")
    if not root:
        pytest.skip("needs the local data directory (NNP_TUTORIAL_DATA) with its SHA256SUMS")
    sums = {}
    for listing in ("SHA256SUMS", "SHA256SUMS.uncompressed"):
        for line in (Path(root) / listing).read_text().splitlines():
            digest, path = line.split()
            sums[path.removeprefix("./")] = digest
    for entry in datasets.list_entries():
        for file in entry.files:
            assert sums[file.local_path] == file.local_sha256
            local = Path(root) / file.local_path
            if local.suffix != ".xz":  # byte-for-byte copies of the published files
                assert local.stat().st_size == file.size
                assert file.sha256 in (None, file.local_sha256)
    assert sums["revpbe0d3_cheng2019/dataset_1593.xyz"] == datasets.get_entry("revpbe0-d3").files[0].sha256


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(
        UnknownNameError, match=r"unknown data set 'revpbe0'; valid names: .*revpbe0-d3"
    ) as info:
        datasets.fetch("revpbe0")
    assert isinstance(info.value, KeyError) and "rpbe-d3-train20" in info.value.valid
    with pytest.raises(UnknownNameError, match=r"structure data set 'pinn-blyp-adam'.*rpbe-d3-lesfit-test"):
        datasets.iter_structures("pinn-blyp-adam")
    with pytest.raises(UnknownNameError, match=r"potential 'revpbe0-d3'.*n2p2-example-1080"):
        datasets.load_potential("revpbe0-d3")
    with pytest.raises(UnknownNameError, match="data set 'nope'"):
        datasets.download(["rpbe-d3-train20", "nope"])
    with pytest.raises(UnknownNameError):
        datasets.cache_status("nope")


def test_register_refuses_duplicates_and_inconsistent_entries(register_temporary):
    existing = datasets.get_entry("rpbe-d3-train20")
    with pytest.raises(ValueError, match="'rpbe-d3-train20' is already registered"):
        datasets.register(existing)
    good = existing.files[0]
    bad_kind = DatasetEntry("tmp-a", "weights", "-", (good,), "runner", "-", "-", "-", "-")
    with pytest.raises(ValueError, match="kind 'weights'"):
        register_temporary(bad_kind)
    bad_hash = DataFile("x", "u", "abc", 1, "d/x", good.local_sha256)
    with pytest.raises(ValueError, match="64 lower-case hex"):
        register_temporary(DatasetEntry("tmp-b", "structures", "-", (bad_hash,), "-", "-", "-", "-", "-"))
    other_dir = DataFile("y", "u", good.sha256, 1, "elsewhere/y", good.sha256)
    with pytest.raises(ValueError, match="one local directory"):
        register_temporary(
            DatasetEntry("tmp-c", "structures", "-", (good, other_dir), "-", "-", "-", "-", "-")
        )
    assert "tmp-a" not in [e.name for e in datasets.list_entries()]


# --------------------------------------------------------------------------------------
# Local copies
# --------------------------------------------------------------------------------------


def test_fetch_returns_a_directory_with_every_file(fetch):
    for name in ALL_NAMES:
        directory = fetch(name)
        for file in datasets.get_entry(name).files:
            assert (directory / file.name).is_file() or (directory / PurePath(file.local_path).name).is_file()


def copy_train20_layout(fetch, root: Path) -> Path:
    """Copy entry rpbe-d3-train20 into ``root`` in the layout of shared/data."""
    target = root / datasets.get_entry("rpbe-d3-train20").local_dir
    shutil.copytree(fetch("rpbe-d3-train20"), target)
    return target


def test_corrupted_local_copy_raises_checksum_error(fetch, tmp_path, monkeypatch):
    target = copy_train20_layout(fetch, tmp_path)
    assert datasets.fetch("rpbe-d3-train20", data_dir=tmp_path) == target
    assert datasets.cache_status("rpbe-d3-train20", data_dir=tmp_path) == "local"
    with open(target / "input.nn", "ab") as handle:
        handle.write(b"# changed\n")
    expected = datasets.get_entry("rpbe-d3-train20").file("input.nn").local_sha256
    actual = sha256((target / "input.nn").read_bytes())
    with pytest.raises(
        ChecksumError, match=f"train20/input.nn: sha256 mismatch, expected {expected}, got {actual}"
    ):
        datasets.fetch("rpbe-d3-train20", data_dir=tmp_path)
    monkeypatch.setenv("NNP_TUTORIAL_DATA", str(tmp_path))  # the same through the environment
    with pytest.raises(ChecksumError, match=r"input\.nn"):
        datasets.load_structures("rpbe-d3-train20")
    assert datasets.cache_status("rpbe-d3-train20") == "missing"


def test_missing_local_file_names_the_path(fetch, tmp_path):
    target = copy_train20_layout(fetch, tmp_path)
    (target / "scaling.data").unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(str(target / "scaling.data"))):
        datasets.fetch("rpbe-d3-train20", data_dir=tmp_path)
    assert datasets.cache_status("rpbe-d3-train20", data_dir=tmp_path) == "missing"
    assert datasets.cache_status("revpbe0-d3", data_dir=tmp_path) == "missing"


def test_data_dir_argument_wins_over_the_environment(fetch, tmp_path, monkeypatch):
    copy_train20_layout(fetch, tmp_path / "a")
    monkeypatch.setenv("NNP_TUTORIAL_DATA", str(tmp_path / "empty"))
    assert datasets.fetch("rpbe-d3-train20", data_dir=tmp_path / "a").is_relative_to(tmp_path / "a")
    with pytest.raises(FileNotFoundError, match="NNP_TUTORIAL_DATA"):
        datasets.fetch("rpbe-d3-train20")


def test_local_files_are_hashed_once_per_process(fetch, tmp_path, monkeypatch):
    copy_train20_layout(fetch, tmp_path)
    datasets.fetch("rpbe-d3-train20", data_dir=tmp_path)

    def no_hashing(*args):
        raise AssertionError("hashed twice")

    monkeypatch.setattr(hashlib, "sha256", no_hashing)
    datasets.fetch("rpbe-d3-train20", data_dir=tmp_path)
    assert datasets.cache_status("rpbe-d3-train20", data_dir=tmp_path) == "local"


def test_table_and_download_with_local_data(fetch, tmp_path):
    copy_train20_layout(fetch, tmp_path)
    assert datasets.download("rpbe-d3-train20", data_dir=tmp_path) == {
        "rpbe-d3-train20": tmp_path / "rpbed3_morawietz2016_n2p2/train20"
    }
    table = datasets.format_table(data_dir=tmp_path).splitlines()
    assert table[0].split()[:5] == ["name", "kind", "size", "(MB)", "status"]
    assert len(table) == 2 + len(ALL_NAMES)
    rows = {line.split()[0]: line.split() for line in table[2:]}
    assert rows["rpbe-d3-train20"][1:4] == ["structures", "0.29", "local"]
    assert rows["revpbe0-d3"][1:4] == ["structures", "35.63", "missing"]
    assert "n2p2's reference energy and forces" in " ".join(rows["n2p2-example-1080"])


# --------------------------------------------------------------------------------------
# Downloads (local HTTP server)
# --------------------------------------------------------------------------------------


def test_download_with_wrong_hash_leaves_nothing_behind(server, register_temporary):
    content = b"payload\n"
    wrong = sha256(b"something else")
    register_temporary(served_entry(server, "tmp-download-bad", content, wrong))
    with pytest.raises(ChecksumError, match=f"data.txt.*expected {wrong}, got {sha256(content)}"):
        datasets.fetch("tmp-download-bad", progress=False)
    assert server.requests == ["/data.txt"]
    assert list(server.cache.rglob("*")) == []
    assert datasets.cache_status("tmp-download-bad") == "missing"


def test_download_with_right_hash_is_cached(server, register_temporary):
    content = b"payload\n"
    register_temporary(served_entry(server, "tmp-download-good", content, sha256(content)))
    assert datasets.cache_status("tmp-download-good") == "missing"
    directory = datasets.fetch("tmp-download-good", progress=False)
    assert directory == server.cache / "tmp-download-good"
    assert (directory / "data.txt").read_bytes() == content
    assert datasets.cache_status("tmp-download-good") == "cached"
    datasets.fetch("tmp-download-good", progress=False)
    assert server.requests == ["/data.txt"]  # the second fetch uses the cache
    (directory / "data.txt").write_bytes(b"damaged content\n")  # a damaged cache file is downloaded again
    assert datasets.cache_status("tmp-download-good") == "missing"
    assert (datasets.fetch("tmp-download-good", progress=True) / "data.txt").read_bytes() == content
    assert server.requests == ["/data.txt", "/data.txt"]


def example_prediction_header(energy: str, forces: list[tuple[str, str, str]]) -> str:
    """A header in the layout of n2p2's test/cpp/ExamplePrediction.h, with examples around ours."""
    lines = [
        "template<>",
        "void BoostDataContainer<ExamplePrediction>::setup()",
        "{",
        "    ExamplePrediction* e = nullptr;",
        "",
        '    examples.push_back(ExamplePrediction("LJ_toy"));',
        "    e = &(examples.back());",
        "    e->energy = -1.0000000000000000E+00;",
        "    e->forces.push_back(nnp::Vec3D(  1.0000000000000000E+00,   0.0, -2.5E-01));",
        "",
        '    examples.push_back(ExamplePrediction("H2O_RPBE-D3"));',
        "    e = &(examples.back());",
        f"    e->energy = {energy};",
    ]
    lines += [f"    e->forces.push_back(nnp::Vec3D({x:>24}, {y:>24}, {z:>24}));" for x, y, z in forces]
    lines += [
        "",
        '    examples.push_back(ExamplePrediction("Cu2S_PBE"));',
        "    e = &(examples.back());",
        "    e->energy = -5.7365603183874578E+02;",
        "    e->forces.push_back(nnp::Vec3D( -1.4000786109479491E-01,   2.74E-02,  -5.96E-03));",
        "",
        "    return;",
        "}",
    ]
    return "\n".join(lines) + "\n"


def test_parse_example_prediction_on_a_synthetic_header():
    forces = [
        ("-2.8966030062366754E-02", "2.7209599774412423E-03", "3.9737021445979048E-03"),
        ("7.9877423752479741E-03", "3.3297604748884998E-03", "-1.0163833042173850E-02"),
        ("1.1806902826331738E-02", "-9.4962509650420874E-03", "6.6334365831265344E-03"),
    ]
    text = example_prediction_header("-2.7564547347815904E+04", forces)
    assert "e->forces.push_back(nnp::Vec3D( -2.8966030062366754E-02,   2.7209599774412423E-03," in text
    assert datasets.parse_example_prediction(text) == ("-2.7564547347815904E+04", forces)
    assert datasets.parse_example_prediction(text, "Cu2S_PBE")[0] == "-5.7365603183874578E+02"
    with pytest.raises(
        InputError, match=r"'H2O_BLYP' not found; examples present: \['LJ_toy', 'H2O_RPBE-D3'"
    ):
        datasets.parse_example_prediction(text, "H2O_BLYP", path="ExamplePrediction.h")
    broken = text.replace("9.4962509650420874E-03,", "9.49625O9650420874E-03,")
    line = 1 + text[: text.index("9.4962509650420874E-03")].count("\n")
    with pytest.raises(InputError, match=f"ExamplePrediction.h, line {line}: expected '3 numbers in Vec3D'"):
        datasets.parse_example_prediction(broken, path="ExamplePrediction.h")
    written = datasets.format_reference_prediction("-2.7564547347815904E+04", forces).splitlines()
    assert written[3:] == [
        "energy -2.7564547347815904E+04",
        "force 1 -2.8966030062366754E-02 2.7209599774412423E-03 3.9737021445979048E-03",
        "force 2 7.9877423752479741E-03 3.3297604748884998E-03 -1.0163833042173850E-02",
        "force 3 1.1806902826331738E-02 -9.4962509650420874E-03 6.6334365831265344E-03",
    ]


@pytest.fixture
def reference_strings(fetch) -> tuple[str, list[tuple[str, str, str]]]:
    """Energy and force strings of the known reference_prediction_n2p2.txt (request before ``server``)."""
    lines = (fetch("n2p2-example-1080") / datasets.REFERENCE_PREDICTION_FILE).read_text().splitlines()
    return lines[3].split()[1], [tuple(line.split()[2:]) for line in lines[4:]]


def test_reference_prediction_is_regenerated_byte_for_byte(reference_strings, server, register_temporary):
    """The download path rebuilds reference_prediction_n2p2.txt from a header and checks its sha256."""
    energy, forces = reference_strings
    assert len(forces) == 1080
    (server.root / "ExamplePrediction.h").write_text(example_prediction_header(energy, forces))
    published = datasets.get_entry("n2p2-example-1080").file(datasets.REFERENCE_PREDICTION_FILE)
    derived = replace(published, url=f"{server.url}/ExamplePrediction.h", local_path=f"x/{published.name}")
    register_temporary(DatasetEntry("tmp-reference", "example", "-", (derived,), "-", "-", "-", "-", "-"))
    path = datasets.fetch("tmp-reference", progress=False) / datasets.REFERENCE_PREDICTION_FILE
    assert sha256(path.read_bytes()) == "afc4ee2fe3a7a4dbfcadeb11500589862011435972de4c14e54de3eab296b0b9"
    assert sorted(p.name for p in path.parent.iterdir()) == [datasets.REFERENCE_PREDICTION_FILE]

    path.unlink()  # a header with one changed digit gives a file with another hash
    forces[7] = (forces[7][0], forces[7][1], forces[7][2].replace("E", "1E", 1))
    (server.root / "ExamplePrediction.h").write_text(example_prediction_header(energy, forces))
    with pytest.raises(ChecksumError, match=r"regenerated from .*ExamplePrediction\.h has the wrong sha256"):
        datasets.fetch("tmp-reference", progress=False)
    assert [p for p in server.cache.rglob("*") if p.is_file()] == []


# --------------------------------------------------------------------------------------
# Structures
# --------------------------------------------------------------------------------------


def test_revpbe0_d3_frame_0(fetch):
    (atoms,) = datasets.load_structures("revpbe0-d3", index=0)
    assert len(atoms) == 192
    assert atoms.get_chemical_symbols()[:6] == ["O", "H", "H", "O", "H", "H"]
    assert Counter(atoms.get_chemical_symbols()) == {"O": 64, "H": 128}
    assert atoms.get_potential_energy() == pytest.approx(-1103.24236 * Hartree, rel=1e-14)
    cell_Bohr = [[23.46511, 0, 0], [-1e-6, 23.46511, 0], [-1e-6, -1e-6, 23.46511]]
    np.testing.assert_allclose(atoms.cell[:], np.array(cell_Bohr) * Bohr, rtol=1e-14, atol=1e-20)
    assert atoms.pbc.all()
    assert_wrapped(atoms)
    # first atom: O 11.7259 14.5902 25.3344 Bohr (z leaves the box), F = (-0.0421378, 0.0378882, 0.00314949)
    unwrapped = np.array([11.72590000, 14.59020000, 25.33440000])
    np.testing.assert_allclose(atoms.positions[0], (unwrapped - cell_Bohr[2]) * Bohr, atol=1e-12)
    np.testing.assert_allclose(
        atoms.get_forces()[0], np.array([-0.04213780, 0.03788820, 0.00314949]) * HARTREE_PER_BOHR, rtol=1e-14
    )
    assert atoms.info["frame"] == 0


def test_revpbe0_d3_parser_agrees_with_ase(fetch, tmp_path):
    directory = fetch("revpbe0-d3")
    path = directory / "dataset_1593.xyz"
    opener = open if path.is_file() else lzma.open
    with opener(path if path.is_file() else directory / "dataset_1593.xyz.xz", "rt") as handle:
        head = [next(handle) for _ in range(3 * 194)]
    (tmp_path / "head.xyz").write_text("".join(head))
    reference = ase.io.read(tmp_path / "head.xyz", index=":", format="extxyz")
    ours = datasets.load_structures("revpbe0-d3", index=slice(0, 3))
    assert len(ours) == len(reference) == 3
    for mine, theirs in zip(ours, reference):
        theirs.set_cell(theirs.cell * Bohr, scale_atoms=True)
        theirs.wrap()
        np.testing.assert_allclose(mine.cell[:], theirs.cell[:], rtol=1e-14, atol=1e-20)
        np.testing.assert_allclose(mine.positions, theirs.positions, rtol=1e-13, atol=1e-12)
        np.testing.assert_array_equal(mine.numbers, theirs.numbers)
        np.testing.assert_allclose(mine.get_forces(), theirs.arrays["force"] * HARTREE_PER_BOHR, rtol=1e-14)
        assert mine.get_potential_energy() == pytest.approx(theirs.info["TotEnergy"] * Hartree, rel=1e-15)


def test_revpbe0_d3_all_frames_are_streamed(fetch):
    frames = datasets.iter_structures("revpbe0-d3")
    assert inspect.isgenerator(frames)
    energies, edges, volumes, alive, n_frames = [], [], [], [], 0
    force_min, force_max, force_sq = np.inf, -np.inf, 0.0
    for atoms in frames:
        assert len(atoms) == 192 and (atoms.numbers == 8).sum() == 64
        assert_wrapped(atoms)
        forces = atoms.get_forces() / HARTREE_PER_BOHR
        force_min, force_max = min(force_min, forces.min()), max(force_max, forces.max())
        force_sq += (forces**2).sum()
        energies.append(atoms.get_potential_energy() / Hartree)
        edges.append(atoms.cell.lengths() / Bohr)
        volumes.append(atoms.get_volume() / Bohr**3)
        alive.append(weakref.ref(atoms))
        n_frames += 1
        del atoms, forces
        if n_frames % 400 == 0:  # frames already returned are not kept by the generator
            assert all(ref() is None for ref in alive[:-1])
    assert n_frames == 1593
    assert min(energies) == pytest.approx(-1104.09177, abs=1e-9)
    assert max(energies) == pytest.approx(-1101.11374, abs=1e-9)
    assert np.mean(energies) == pytest.approx(-1103.0935, abs=5e-5)
    assert np.std(energies) == pytest.approx(0.5448, abs=5e-5)
    assert (force_min, force_max) == (pytest.approx(-0.445076, abs=1e-9), pytest.approx(0.495244, abs=1e-9))
    assert np.sqrt(force_sq / (1593 * 192 * 3)) == pytest.approx(0.04395, abs=5e-6)
    # README: "cubic box edge 17.49272 - 30.2866 Bohr"; in fact 6 frames are orthorhombic
    # (e.g. 30.2866 x 28.4698 x 17.49272 Bohr), the range covers all edges of all frames.
    edges = np.array(edges)
    assert (edges.min(), edges.max()) == (pytest.approx(17.49272, abs=1e-6), pytest.approx(30.2866, abs=1e-6))
    assert np.sum(np.ptp(edges, axis=1) < 1e-9) == 1587
    assert (min(volumes), max(volumes)) == (pytest.approx(10345, abs=1), pytest.approx(19021, abs=1))


def test_index_forms(fetch):
    everything = datasets.load_structures("rpbe-d3-train20")
    assert [a.info["frame"] for a in everything] == list(range(20))

    def frames(index):
        return [a.info["frame"] for a in datasets.iter_structures("rpbe-d3-train20", index=index)]

    assert frames(3) == [3]
    assert frames(-1) == [19]
    assert frames(np.int64(4)) == [4]
    assert frames(slice(2, 9, 3)) == [2, 5, 8]
    assert frames(slice(-3, None)) == [17, 18, 19]
    assert frames(slice(None, None, -7)) == [19, 12, 5]
    assert frames(slice(18, 40)) == [18, 19]
    assert frames([5, 1, -20, 5]) == [5, 1, 0, 5]
    repeated = datasets.load_structures("rpbe-d3-train20", index=[5, 5])
    assert repeated[0] is not repeated[1]
    assert repeated[1].get_potential_energy() == everything[5].get_potential_energy()
    np.testing.assert_array_equal(repeated[1].get_forces(), everything[5].get_forces())
    with pytest.raises(IndexError, match="20"):
        frames(20)
    with pytest.raises(IndexError, match="20 frames"):
        frames([-21])
    with pytest.raises(TypeError, match="index must be"):
        datasets.iter_structures("rpbe-d3-train20", index="0:3")


def test_rpbe_d3_train20(fetch):
    frames = datasets.load_structures("rpbe-d3-train20")
    assert Counter(len(a) for a in frames) == {192: 7, 96: 2, 48: 11}
    energies_Ha = [a.get_potential_energy() / Hartree for a in frames]
    assert min(energies_Ha) == pytest.approx(-4900.39158, abs=1e-5)
    assert max(energies_Ha) == pytest.approx(-1224.94069, abs=1e-5)
    per_atom = [e / len(a) for e, a in zip(energies_Ha, frames)]
    assert -25.5229 - 1e-4 < min(per_atom) and max(per_atom) < -25.5191 + 1e-4
    forces_Ha_per_Bohr = np.concatenate([a.get_forces() for a in frames]) / HARTREE_PER_BOHR
    assert forces_Ha_per_Bohr.min() == pytest.approx(-0.2393, abs=1e-4)
    assert forces_Ha_per_Bohr.max() == pytest.approx(0.2559, abs=1e-4)
    for atoms in frames:
        assert_wrapped(atoms)
        assert (
            14.78 - 0.01 < np.diag(atoms.cell).min() / Bohr
            and np.diag(atoms.cell).max() / Bohr < 24.62 + 0.01
        )


def test_n2p2_example_1080_and_reference_prediction(fetch):
    (atoms,) = datasets.load_structures("n2p2-example-1080")
    assert len(atoms) == 1080 and Counter(atoms.get_chemical_symbols()) == {"O": 360, "H": 720}
    np.testing.assert_allclose(np.diag(atoms.cell) / Bohr, [42.89, 44.57, 42.02], atol=0.01)
    assert atoms.get_potential_energy() == 0.0 and not atoms.get_forces().any()
    assert_wrapped(atoms)
    energy_eV, forces_eV_per_A = datasets.reference_prediction()
    assert energy_eV == pytest.approx(-2.7564547347815904e04 * Hartree, rel=1e-15)
    assert forces_eV_per_A.shape == (1080, 3)
    np.testing.assert_allclose(
        forces_eV_per_A[[0, -1]],
        np.array(
            [
                [-2.8966030062366754e-02, 2.7209599774412423e-03, 3.9737021445979048e-03],
                [-5.1399276336163563e-03, -1.5775889889284529e-02, 3.7529936173136724e-03],
            ]
        )
        * HARTREE_PER_BOHR,
        rtol=1e-15,
    )


def test_rpbe_d3_lesfit_test(fetch):
    frames = datasets.load_structures("rpbe-d3-lesfit-test")
    assert len(frames) == 50 and {len(a) for a in frames} == {192}
    assert Counter(frames[0].get_chemical_symbols()) == {"O": 64, "H": 128}
    energies = np.array([a.get_potential_energy() for a in frames])
    assert (energies.min(), energies.max()) == (
        pytest.approx(-940.7694, abs=1e-4),
        pytest.approx(-932.5001, abs=1e-4),
    )
    assert energies.mean() == pytest.approx(-936.752, abs=1e-3)
    forces = np.concatenate([a.get_forces() for a in frames])
    assert (forces.min(), forces.max()) == (pytest.approx(-5.073, abs=1e-3), pytest.approx(6.304, abs=1e-3))
    for atoms in frames:
        np.testing.assert_allclose(atoms.cell.lengths(), 12.429, atol=1e-3)
        assert_wrapped(atoms)


def test_load_potential(fetch):
    from nnp_tutorial.model import BehlerParrinelloNetwork

    model = datasets.load_potential("nnp-rpbe-d3-morawietz2016")
    assert isinstance(model, BehlerParrinelloNetwork)


# --------------------------------------------------------------------------------------
# Malformed files
# --------------------------------------------------------------------------------------

GOOD_FRAME = (
    "3\n"
    'TotEnergy=-17.5 pbc="T T T" Lattice="10 0 0 0 10 0 0 0 10" '
    "Properties=species:S:1:pos:R:3:force:R:3:Z:I:1\n"
    "O 1.0 1.0 1.0 0.1 0.0 0.0 8\n"
    "H 2.8 1.0 1.0 -0.05 0.0 0.0 1\n"
    "H 0.5 2.7 -1.0 -0.05 0.0 0.0 1\n"
)


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (
            lambda f: f.replace("1.0 1.0 1.0 0.1", "1.0 1.O 1.0 0.1"),
            8,
            "expected numbers, found '1.0 1.O 1.0'",
        ),
        (
            lambda f: f.replace("H 2.8 1.0 1.0 -0.05 0.0 0.0 1", "H 2.8 1.0 1.0 -0.05"),
            9,
            "expected 8 columns",
        ),
        (lambda f: f.replace("3\n", "three\n", 1), 6, "expected the number of atoms, found 'three'"),
        (lambda f: f.replace("Lattice=", "Cell="), 7, "header lacks Lattice"),
        (lambda f: f.replace("O 1.0", "Xx 1.0"), 8, r"unknown element symbols \['Xx'\]"),
        (
            lambda f: f.replace("force:R:3", "forces:R:3"),
            7,
            "Properties .* must contain species:S:1, pos:R:3 and force:R:3",
        ),
        (lambda f: f[: f.index("H 0.5")], 6, "file ends inside the frame"),
    ],
)
def test_malformed_extxyz_frame_raises_input_error(tmp_path, register_temporary, change, line, message):
    text = GOOD_FRAME + change(GOOD_FRAME)  # frame 0 is fine, frame 1 is not
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "frames.xyz").write_text(text)
    digest = sha256(text.encode())
    file = DataFile(
        "frames.xyz", "http://127.0.0.1:9/frames.xyz", digest, len(text), "bad/frames.xyz", digest
    )
    register_temporary(
        DatasetEntry(
            "tmp-bad", "structures", "-", (file,), "extxyz-quip-au", "-", "-", "-", "-", "frames.xyz"
        )
    )
    frames = datasets.iter_structures("tmp-bad", data_dir=tmp_path)
    first = next(frames)
    assert first.get_potential_energy() == pytest.approx(-17.5 * Hartree)
    assert first.positions[2] == pytest.approx(np.array([0.5, 2.7, 9.0]) * Bohr)  # wrapped
    with pytest.raises(InputError, match=f"frames.xyz, line {line}, frame 1: {message}") as info:
        next(frames)
    assert info.value.frame == 1 and info.value.line == line


def test_malformed_reference_prediction(tmp_path):
    path = tmp_path / datasets.REFERENCE_PREDICTION_FILE
    path.write_text("# comment\nenergy -1.0\nforce 1 0.1 0.2 0.3\nforce 3 0.1 0.2 0.3\n")
    with pytest.raises(InputError, match="line 4: expected 'energy E' or 'force 2 fx fy fz'"):
        read_prediction(path)
