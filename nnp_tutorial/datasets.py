"""Registry of the published data sets and potentials used by the tutorial.

Every entry is declared once below as a :class:`DatasetEntry`: what it is,
which files it holds, where each file is published (a URL pinned to a commit),
the sha256 of the published bytes, where the same file lies in a local copy of
the data (the layout of ``shared/data``, described in its ``README.md``),
format, units, citation and licence.

Where the files come from (:func:`fetch`), in this order:

=====  ==============================  =================================================
 1     ``data_dir`` argument            a directory in the layout of ``shared/data``
 2     ``$NNP_TUTORIAL_DATA``           the same, e.g. on CI or a machine without internet
 3     download with :mod:`pooch`       into ``$NNP_TUTORIAL_CACHE/<entry name>/`` (default
                                        ``pooch.os_cache("nnp_tutorial")``)
=====  ==============================  =================================================

Local files and downloads are checked against their sha256; a mismatch raises
:class:`~nnp_tutorial.errors.ChecksumError` and a bad download is deleted. A local
file is hashed once per process (the digest is cached by path, size and mtime).

The loaders (:func:`iter_structures`, :func:`load_structures`,
:func:`load_potential`, :func:`reference_prediction`) return ASE objects in Å
and eV; the revPBE0-D3 extended XYZ file and the n2p2 reference prediction are
in Bohr and Hartree and are converted here with :mod:`nnp_tutorial.units`.

Examples
--------
>>> entry = get_entry("revpbe0-d3")
>>> entry.kind, entry.files[0].name, entry.size_bytes
('structures', 'dataset_1593.xyz', 35629038)
>>> [e.name for e in list_entries() if e.kind == "potential"][:2]
['nnp-revpbe0-d3-cheng2019', 'nnp-blyp-morawietz2016']
"""

from __future__ import annotations

import hashlib
import lzma
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.data import atomic_numbers

from .errors import ChecksumError, InputError, UnknownNameError
from .units import BOHR_TO_ANGSTROM, HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM, HARTREE_TO_EV

if TYPE_CHECKING:  # the model imports TensorFlow; load it only when a potential is asked for
    from .model import BehlerParrinelloNetwork

#: Kinds of entries: labelled structures, a complete potential, a worked example
#: (structure + potential + reference result) or a training checkpoint of another code.
KINDS = ("structures", "potential", "example", "checkpoint")

CHENG_REPO = "BingqingCheng/ab-initio-thermodynamics-of-water"
CHENG_COMMIT = "7b8b1a2b4270cffcab1bfd11a8603767b4966396"
N2P2_REPO = "CompPhysVienna/n2p2"
N2P2_COMMIT = "61daa0dfd065c842eaabc40ab283658510e066a5"
PINN_LAB_REPO = "Teoroo-CMC/PiNN_lab"
# shared/data/README.md names commit d3cd7564, whose full hash could not be resolved here.
# 5ae22bf8 is the commit under which the GitHub index stores these files (one version each,
# same sizes and text as the local copy); the sha256 check guards the pin either way.
PINN_LAB_COMMIT = "5ae22bf8044a5678b210ab067ce8bf4ff6396779"
LES_FIT_REPO = "ChengUCB/les_fit"
LES_FIT_COMMIT = "f9937a51f699c506bff91c077f70340e7d1924b2"

#: File name of n2p2's reference prediction for the 1080-atom example.
REFERENCE_PREDICTION_FILE = "reference_prediction_n2p2.txt"

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class DataFile:
    """One file of an entry.

    Attributes
    ----------
    name : str
        Upstream file name; the file's name in the directory returned by :func:`fetch`.
    url : str
        Public download URL pinned to a commit.
    sha256 : str or None
        sha256 of the downloaded bytes; ``None`` where it is not known (then
        ``derive`` builds the file and ``derived_sha256`` checks the result).
    size : int
        Size in bytes of the file ``name`` once fetched (download or derived).
    local_path : str
        Path of the same file inside a local data directory (``/``-separated);
        its name is ``name`` or ``name + ".xz"`` for an xz-compressed copy.
    local_sha256 : str
        sha256 of the local file (of the compressed bytes for ``.xz``).
    derive : callable, optional
        ``derive(downloaded, target)`` writes the file ``name`` from the download,
        for files that are not upstream bytes.
    derived_sha256 : str, optional
        sha256 of the file written by ``derive``.
    """

    name: str
    url: str
    sha256: str | None
    size: int
    local_path: str
    local_sha256: str
    derive: Callable[[Path, Path], None] | None = None
    derived_sha256: str | None = None

    @property
    def fetched_sha256(self) -> str:
        """sha256 of the file ``name`` in the download cache."""
        digest = self.derived_sha256 if self.derive is not None else self.sha256
        assert digest is not None  # checked by register()
        return digest


@dataclass(frozen=True)
class DatasetEntry:
    """One registered data set, potential, example or checkpoint.

    Attributes
    ----------
    name : str
        Public name, e.g. ``"revpbe0-d3"``.
    kind : str
        One of :data:`KINDS`.
    description : str
        One line.
    files : tuple of DataFile
        All files of the entry; they share one local directory.
    format : str
        File format; for structure data, the key of the reader in
        ``_STRUCTURE_READERS`` (``"extxyz-quip-au"``, ``"runner"``, ``"extxyz"``).
    units : str
        Units of the files (not of what the loaders return, which is always Å/eV).
    citation : str
        Reference to cite.
    doi : str
        DOI of the main reference.
    license : str
        Licence of the files as far as known.
    structures : str, optional
        Name of the file read by :func:`iter_structures`.
    potential : str, optional
        Potential format read by :func:`load_potential` (``"n2p2"`` or ``"pinn"``).
    """

    name: str
    kind: str
    description: str
    files: tuple[DataFile, ...]
    format: str
    units: str
    citation: str
    doi: str
    license: str
    structures: str | None = None
    potential: str | None = None

    @property
    def size_bytes(self) -> int:
        """Total size of the fetched files in bytes (uncompressed)."""
        return sum(f.size for f in self.files)

    @property
    def local_dir(self) -> str:
        """Directory of the entry inside a local data directory."""
        return str(PurePosixPath(self.files[0].local_path).parent)

    def file(self, name: str) -> DataFile:
        """The file called ``name``."""
        for f in self.files:
            if f.name == name:
                return f
        raise UnknownNameError(f"file of data set {self.name!r}", name, [f.name for f in self.files])


_REGISTRY: dict[str, DatasetEntry] = {}


def register(entry: DatasetEntry) -> DatasetEntry:
    """Add ``entry`` to the registry after checking it; duplicate names are refused.

    Raises
    ------
    ValueError
        If the name is taken or the entry is inconsistent (unknown kind, files in
        different local directories, malformed sha256, ...).
    """
    if entry.name in _REGISTRY:
        raise ValueError(f"data set {entry.name!r} is already registered")
    problems = _entry_problems(entry)
    if problems:
        raise ValueError(f"data set {entry.name!r}: " + "; ".join(problems))
    _REGISTRY[entry.name] = entry
    return entry


def unregister(name: str) -> DatasetEntry:
    """Remove an entry (for tests registering temporary entries) and return it."""
    get_entry(name)
    return _REGISTRY.pop(name)


def _entry_problems(entry: DatasetEntry) -> list[str]:
    problems = [] if entry.kind in KINDS else [f"kind {entry.kind!r} is not one of {KINDS}"]
    names = [f.name for f in entry.files]
    if not names or len(set(names)) != len(names):
        problems.append("needs at least one file and unique file names")
    if len({str(PurePosixPath(f.local_path).parent) for f in entry.files}) > 1:
        problems.append("all files must lie in one local directory")
    if entry.structures is not None and entry.structures not in names:
        problems.append(f"structure file {entry.structures!r} is not among the files")
    for f in entry.files:
        if PurePosixPath(f.local_path).name not in (f.name, f.name + ".xz"):
            problems.append(f"local file {f.local_path!r} is not {f.name!r} or {f.name + '.xz'!r}")
        if (f.derive is None) != (f.derived_sha256 is None) or (f.derive is None and f.sha256 is None):
            problems.append(f"{f.name}: give sha256, or derive together with derived_sha256")
        hashes = [h for h in (f.sha256, f.local_sha256, f.derived_sha256) if h is not None]
        if not all(isinstance(h, str) and _SHA256.fullmatch(h) for h in hashes):
            problems.append(f"{f.name}: every sha256 must be 64 lower-case hex digits")
    return problems


def get_entry(name: str) -> DatasetEntry:
    """The entry called ``name``.

    Raises
    ------
    UnknownNameError
        If there is none; the message lists the valid names.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError("data set", name, list(_REGISTRY)) from None


def list_entries() -> list[DatasetEntry]:
    """All entries in registration order."""
    return list(_REGISTRY.values())


# --------------------------------------------------------------------------------------
# Locating, downloading and checking files
# --------------------------------------------------------------------------------------

_DIGESTS: dict[tuple[str, int, int, int], str] = {}


def _sha256_of(path: Path) -> str:
    """sha256 of a file, computed once per process for a given path, inode, size and mtime."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def _check_sha256(path: Path, expected: str) -> None:
    actual = _sha256_of(path)
    if actual != expected:
        raise ChecksumError(
            f"{path}: sha256 mismatch, expected {expected}, got {actual} "
            "(the file is damaged or not the registered version)"
        )


def _local_root(data_dir: str | Path | None) -> tuple[Path, str] | None:
    """The local data directory and where it was set, or None (download)."""
    if data_dir is not None:
        return Path(data_dir), "the data_dir argument"
    env = os.environ.get("NNP_TUTORIAL_DATA")
    return (Path(env), "$NNP_TUTORIAL_DATA") if env else None


def cache_dir() -> Path:
    """Root of the download cache: ``$NNP_TUTORIAL_CACHE`` or ``pooch.os_cache("nnp_tutorial")``."""
    env = os.environ.get("NNP_TUTORIAL_CACHE")
    if env:
        return Path(env)
    import pooch

    return Path(pooch.os_cache("nnp_tutorial"))


def fetch(name: str, *, data_dir: str | Path | None = None, progress: bool = True) -> Path:
    """Directory holding the files of entry ``name``, checked against their sha256.

    Parameters
    ----------
    name : str
        Registered name (see :func:`list_entries`).
    data_dir : str or Path, optional
        Local data directory in the layout of ``shared/data``. Defaults to
        ``$NNP_TUTORIAL_DATA``; if neither is set the files are downloaded.
    progress : bool
        Show a tqdm progress bar while downloading.

    Returns
    -------
    Path
        Directory with the files under their upstream names (a local copy may hold
        ``name.xz`` instead of ``name``, see :attr:`DataFile.local_path`).

    Raises
    ------
    UnknownNameError
        Unknown ``name``.
    FileNotFoundError
        A file is missing from the local data directory.
    ChecksumError
        A local or downloaded file has the wrong sha256 (a bad download is deleted).
    ConnectionError
        The download failed.
    """
    entry = get_entry(name)
    local = _local_root(data_dir)
    if local is not None:
        return _fetch_local(entry, *local)
    directory = cache_dir() / entry.name
    for file in entry.files:
        target = directory / file.name
        if target.is_file() and _sha256_of(target) == file.fetched_sha256:
            continue
        if file.derive is None:
            _retrieve(file.url, file.sha256, target, progress)
        else:
            _download_derived(file, target, progress)
    return directory


def _fetch_local(entry: DatasetEntry, root: Path, source: str) -> Path:
    for file in entry.files:
        path = root / file.local_path
        if not path.is_file():
            raise FileNotFoundError(
                f"{path}: file {file.name!r} of data set {entry.name!r} is missing from the local "
                f"data directory {root} (set by {source}); unset it to download from {file.url}"
            )
        _check_sha256(path, file.local_sha256)
    return root / entry.local_dir


def _retrieve(url: str, sha256: str | None, target: Path, progress: bool) -> Path:
    """Download ``url`` to ``target`` with pooch; wrong hash -> ChecksumError, nothing left behind."""
    import pooch
    import requests

    known_hash = None if sha256 is None else f"sha256:{sha256}"
    try:
        return Path(
            pooch.retrieve(url, known_hash, fname=target.name, path=target.parent, progressbar=progress)
        )
    except ValueError as exc:
        if "does not match the known hash" not in str(exc):
            raise
        target.unlink(missing_ok=True)  # pooch keeps an older file of that name
        with suppress(OSError):  # the entry's folder, if pooch created it and it stayed empty
            target.parent.rmdir()
        actual = re.search(r"but got ([0-9a-fA-F]+)", str(exc))
        raise ChecksumError(
            f"{target}: sha256 mismatch for the download from {url}, expected {sha256}, got "
            f"{actual[1] if actual else 'another value'}; the download was deleted"
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise ConnectionError(
            f"could not download {url} ({exc}); without internet, point $NNP_TUTORIAL_DATA "
            "at a local copy of the data"
        ) from exc


def _download_derived(file: DataFile, target: Path, progress: bool) -> None:
    """Download ``file.url``, build ``target`` from it with ``file.derive`` and check it."""
    assert file.derive is not None and file.derived_sha256 is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=target.parent) as tmp:
        source = _retrieve(file.url, file.sha256, Path(tmp) / PurePosixPath(file.url).name, progress)
        built = Path(tmp) / file.name
        file.derive(source, built)
        actual = _sha256_of(built)
        if actual != file.derived_sha256:
            raise ChecksumError(
                f"{target}: the file regenerated from {file.url} has the wrong sha256, expected "
                f"{file.derived_sha256}, got {actual}; nothing was written"
            )
        os.replace(built, target)


def cache_status(name: str, data_dir: str | Path | None = None) -> str:
    """Where :func:`fetch` would find entry ``name`` without downloading.

    Parameters
    ----------
    name : str
        Registered name.
    data_dir : str or Path, optional
        Local data directory; defaults to ``$NNP_TUTORIAL_DATA``.

    Returns
    -------
    str
        ``"local"``: all files are in the local data directory (``data_dir`` or
        ``$NNP_TUTORIAL_DATA``) with the right sha256; ``"cached"``: no local data
        directory is set and all files are in the download cache with the right
        sha256; ``"missing"`` otherwise. When a local directory is set, :func:`fetch`
        uses only that, so the status is then ``"local"`` or ``"missing"``.
    """
    entry = get_entry(name)
    local = _local_root(data_dir)
    if local is not None:
        paths = [(local[0] / f.local_path, f.local_sha256) for f in entry.files]
    else:
        paths = [(cache_dir() / entry.name / f.name, f.fetched_sha256) for f in entry.files]
    complete = all(path.is_file() and _sha256_of(path) == digest for path, digest in paths)
    if not complete:
        return "missing"
    return "local" if local is not None else "cached"


def download(
    names: Iterable[str] | str, data_dir: str | Path | None = None, progress: bool = True
) -> dict[str, Path]:
    """Fetch several entries, as ``nnp-tutorial datasets --download NAME|all`` does.

    Parameters
    ----------
    names : str or iterable of str
        Registered names, or ``"all"``. All are checked before anything is downloaded.
    data_dir : str or Path, optional
        Local data directory (see :func:`fetch`); then only the local files are verified.
    progress : bool
        Show download progress bars.

    Returns
    -------
    dict
        ``{name: directory}`` as returned by :func:`fetch`.
    """
    names = [names] if isinstance(names, str) else list(names)
    if names == ["all"]:
        names = list(_REGISTRY)
    for name in names:
        get_entry(name)
    return {name: fetch(name, data_dir=data_dir, progress=progress) for name in names}


def format_table(data_dir: str | Path | None = None) -> str:
    """Plain-text table of all entries for ``nnp-tutorial datasets``.

    Columns: name, kind, size in MB (10⁶ bytes, uncompressed), status as
    given by :func:`cache_status` for ``data_dir``, description.
    """
    header = ("name", "kind", "size (MB)", "status", "description")
    rows = [
        (e.name, e.kind, f"{e.size_bytes / 1e6:.2f}", cache_status(e.name, data_dir), e.description)
        for e in list_entries()
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]

    def line(row: Sequence[str]) -> str:
        name, kind, size, status, description = row
        cells = [name.ljust(widths[0]), kind.ljust(widths[1]), size.rjust(widths[2]), status.ljust(widths[3])]
        return "  ".join([*cells, description]).rstrip()

    rule = "  ".join("-" * w for w in [*widths, len(header[4])])
    return "\n".join([line(header), rule, *map(line, rows)])


# --------------------------------------------------------------------------------------
# n2p2's reference prediction (test/cpp/ExamplePrediction.h)
# --------------------------------------------------------------------------------------

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_EXAMPLE_START = re.compile(r'examples\.push_back\(\s*ExamplePrediction\(\s*"([^"]*)"\s*\)\s*\)')
_EXAMPLE_ENERGY = re.compile(rf"e->energy\s*=\s*({_NUMBER})\s*;")
_EXAMPLE_FORCE = re.compile(
    rf"e->forces\.push_back\(\s*(?:nnp::)?Vec3D\(\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*\)\s*\)\s*;"
)


def parse_example_prediction(
    text: str, example: str = "H2O_RPBE-D3", *, path: str | Path | None = None
) -> tuple[str, list[tuple[str, str, str]]]:
    """Energy and forces of one example in n2p2's ``test/cpp/ExamplePrediction.h``.

    The header stores each example as ::

        examples.push_back(ExamplePrediction("H2O_RPBE-D3"));
        e = &(examples.back());
        e->energy = -2.7564547347815904E+04;
        e->forces.push_back(nnp::Vec3D( -2.89...E-02,   2.72...E-03,   3.97...E-03));
        ...

    up to the next ``examples.push_back`` (Hartree and Hartree/Bohr).

    Parameters
    ----------
    text : str
        Contents of the header.
    example : str
        Example name.
    path : str or Path, optional
        File name for error messages.

    Returns
    -------
    energy : str
        The energy exactly as written (Hartree).
    forces : list of (str, str, str)
        One force vector per atom, as written (Hartree/Bohr).

    Raises
    ------
    InputError
        Example not found (the message lists those present), or a malformed line.
    """
    found: list[str] = []
    energy: str | None = None
    forces: list[tuple[str, str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        start = _EXAMPLE_START.search(line)
        if start:
            if found and found[-1] == example:
                break
            found.append(start[1])
        elif found and found[-1] == example and ("e->energy" in line or "e->forces" in line):
            pattern = _EXAMPLE_ENERGY if "e->energy" in line else _EXAMPLE_FORCE
            match = pattern.search(line)
            if match is None:
                expected = "e->energy = <number>;" if pattern is _EXAMPLE_ENERGY else "3 numbers in Vec3D"
                raise InputError(f"expected {expected!r}, found {line.strip()!r}", path=path, line=number)
            if pattern is _EXAMPLE_ENERGY:
                energy = match[1]
            else:
                forces.append((match[1], match[2], match[3]))
    if example not in found:
        raise InputError(f"example {example!r} not found; examples present: {found}", path=path)
    if energy is None or not forces:
        raise InputError(f"example {example!r} lacks an energy or forces", path=path)
    return energy, forces


def format_reference_prediction(energy: str, forces: Sequence[tuple[str, str, str]]) -> str:
    """Text of ``reference_prediction_n2p2.txt`` for the H2O_RPBE-D3 example.

    Byte-for-byte the layout of the local copy: three ``#`` lines, ``energy E``,
    then ``force i fx fy fz`` (``i`` from 1) with the numbers as given.
    """
    header = (
        "# Reference n2p2 prediction for predict1080/input.data with the H2O_RPBE-D3 HDNNP in this folder.\n"
        "# Values extracted verbatim from CompPhysVienna/n2p2 test/cpp/ExamplePrediction.h "
        f'(commit {N2P2_COMMIT}), example "H2O_RPBE-D3".\n'
        "# Units: as in n2p2 input.data (Hartree, Hartree/Bohr). "
        "Atom order = order of atom lines in input.data.\n"
    )
    lines = [f"energy {energy}"] + [f"force {i} {x} {y} {z}" for i, (x, y, z) in enumerate(forces, start=1)]
    return header + "\n".join(lines) + "\n"


def _derive_reference_prediction(source: Path, target: Path) -> None:
    energy, forces = parse_example_prediction(source.read_text(), "H2O_RPBE-D3", path=source)
    target.write_text(format_reference_prediction(energy, forces), newline="\n")


def _read_reference_prediction(path: Path) -> tuple[float, np.ndarray]:
    """Energy (Ha) and forces (Ha/Bohr, shape (n_atoms, 3)) from ``reference_prediction_n2p2.txt``."""
    energy: float | None = None
    forces: list[list[float]] = []
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            try:
                if fields[0] == "energy" and len(fields) == 2:
                    energy = float(fields[1])
                    continue
                if fields[0] == "force" and len(fields) == 5 and int(fields[1]) == len(forces) + 1:
                    forces.append([float(x) for x in fields[2:]])
                    continue
            except ValueError:
                pass
            expected = f"'energy E' or 'force {len(forces) + 1} fx fy fz'"
            raise InputError(f"expected {expected}, found {line.strip()!r}", path=path, line=number)
    if energy is None or not forces:
        raise InputError("no 'energy' line or no 'force' lines", path=path)
    return energy, np.array(forces)


def reference_prediction(data_dir: str | Path | None = None) -> tuple[float, np.ndarray]:
    """n2p2's own prediction for the 1080-atom example (entry ``"n2p2-example-1080"``).

    Returns
    -------
    energy_eV : float
        Total energy in eV.
    forces_eV_per_A : ndarray of shape (1080, 3)
        Forces in eV/Å, in the atom order of ``input.data``.
    """
    path = fetch("n2p2-example-1080", data_dir=data_dir) / REFERENCE_PREDICTION_FILE
    energy_Ha, forces_Ha_per_Bohr = _read_reference_prediction(path)
    return energy_Ha * HARTREE_TO_EV, forces_Ha_per_Bohr * HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM


# --------------------------------------------------------------------------------------
# Structure readers: reader(path, want) yields (frame, Atoms or None); Atoms only if want(frame)
# --------------------------------------------------------------------------------------

Reader = Callable[[Path, Callable[[int], bool]], Iterator[tuple[int, "Atoms | None"]]]

_HEADER_ITEM = re.compile(r'([A-Za-z_]\w*)=(?:"([^"]*)"|(\S+))')


def _with_results(atoms: Atoms, energy_eV: float, forces_eV_per_A: np.ndarray) -> Atoms:
    """Wrap positions into the cell, then attach energy (eV) and forces (eV/Å).

    In this order: a SinglePointCalculator stops answering once the positions change.
    """
    atoms.calc = None
    atoms.wrap()
    atoms.calc = SinglePointCalculator(atoms, energy=float(energy_eV), forces=np.asarray(forces_eV_per_A))
    return atoms


def _read_quip_au(path: Path, want: Callable[[int], bool]) -> Iterator[tuple[int, Atoms | None]]:
    """Frames of a libAtoms/QUIP extended XYZ file in Bohr/Hartree (``.xz`` read with lzma).

    A dedicated streaming parser: ASE's reader indexes the whole file and seeks
    back, which is quadratic on an lzma stream. Frames not wanted are skipped
    without parsing.
    """
    opener = lzma.open if path.suffix == ".xz" else open
    with opener(path, "rb") as handle:
        line, frame = 0, 0
        for count_line in handle:
            line += 1
            if not count_line.strip():
                continue
            try:
                n_atoms = int(count_line)
            except ValueError:
                found = count_line.strip()[:40].decode(errors="replace")
                raise InputError(
                    f"expected the number of atoms, found {found!r}",
                    path=path,
                    line=line,
                    frame=frame,
                ) from None
            block = list(islice(handle, n_atoms + 1))
            if len(block) < n_atoms + 1:
                raise InputError(
                    f"file ends inside the frame: expected a header and {n_atoms} atom lines, "
                    f"found {len(block)} lines",
                    path=path,
                    line=line,
                    frame=frame,
                )
            yield frame, _parse_quip_frame(block, path, line, frame) if want(frame) else None
            line += n_atoms + 1
            frame += 1


def _parse_quip_frame(block: list[bytes], path: Path, line: int, frame: int) -> Atoms:
    """One frame: ``block[0]`` is the header (on ``line + 1``), then one line per atom."""

    def error(message: str, at: int = line + 1) -> InputError:
        return InputError(message, path=path, line=at, frame=frame)

    items = {m[1]: m[2] if m[2] is not None else m[3] for m in _HEADER_ITEM.finditer(block[0].decode())}
    missing = [k for k in ("TotEnergy", "Lattice", "Properties") if k not in items]
    if missing:
        raise error(f"header lacks {', '.join(missing)}")
    try:
        energy_Ha = float(items["TotEnergy"])
        lattice_Bohr = np.array(items["Lattice"].split(), dtype=np.float64).reshape(3, 3)  # rows = vectors
    except ValueError:
        raise error("expected a number for TotEnergy and 9 numbers for Lattice") from None
    columns, n_columns = _property_columns(items["Properties"], error)
    fields = [row.split() for row in block[1:]]
    for k, row in enumerate(fields):
        if len(row) != n_columns:
            raise error(
                f"expected {n_columns} columns ({items['Properties']}), found {len(row)}", line + 2 + k
            )
    table = np.array(fields)  # (n_atoms, n_columns) of bytes
    symbols = table[:, columns["species"]].ravel().astype(str)
    unknown = sorted({str(s) for s in symbols} - atomic_numbers.keys())
    if unknown:
        raise error(f"unknown element symbols {unknown}", line + 2 + list(symbols).index(unknown[0]))
    positions_Bohr = _float_columns(table, columns["pos"], error, line + 2)
    forces_Ha_per_Bohr = _float_columns(table, columns["force"], error, line + 2)
    pbc = [flag == "T" for flag in items.get("pbc", "T T T").split()]
    atoms = Atoms(
        numbers=[atomic_numbers[s] for s in symbols],
        positions=positions_Bohr * BOHR_TO_ANGSTROM,
        cell=lattice_Bohr * BOHR_TO_ANGSTROM,
        pbc=pbc,
    )
    return _with_results(
        atoms, energy_Ha * HARTREE_TO_EV, forces_Ha_per_Bohr * HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM
    )


def _property_columns(spec: str, error: Callable[..., InputError]) -> tuple[dict[str, slice], int]:
    """Column slices from ``Properties=name:type:count:...``; needs species, pos and force."""
    parts = spec.split(":")
    if len(parts) % 3 or not all(p.isdigit() for p in parts[2::3]):
        raise error(f"malformed Properties {spec!r}: expected name:type:count triples")
    columns: dict[str, slice] = {}
    start = 0
    for name, count in zip(parts[0::3], parts[2::3]):
        columns[name] = slice(start, start + int(count))
        start += int(count)
    widths = {name: column.stop - column.start for name, column in columns.items()}
    if any(widths.get(name) != width for name, width in {"species": 1, "pos": 3, "force": 3}.items()):
        raise error(f"Properties {spec!r} must contain species:S:1, pos:R:3 and force:R:3")
    return columns, start


def _float_columns(
    table: np.ndarray, columns: slice, error: Callable[..., InputError], first: int
) -> np.ndarray:
    try:
        return table[:, columns].astype(np.float64)
    except ValueError:
        for k, row in enumerate(table[:, columns]):
            try:
                row.astype(np.float64)
            except ValueError:
                raise error(f"expected numbers, found {b' '.join(row).decode()!r}", first + k) from None
        raise


def _read_runner(path: Path, want: Callable[[int], bool]) -> Iterator[tuple[int, Atoms | None]]:
    """Frames of a RuNNer ``input.data`` (converted to Å/eV by :mod:`nnp_tutorial.io`)."""
    from .io import read_input_data

    for frame, atoms in enumerate(read_input_data(path)):
        if want(frame):
            results = atoms.calc.results
            yield frame, _with_results(atoms, results["energy"], results["forces"])
        else:
            yield frame, None


def _read_ase_extxyz(path: Path, want: Callable[[int], bool]) -> Iterator[tuple[int, Atoms | None]]:
    """Frames of an ASE extended XYZ file already in Å and eV (keys ``energy``, ``forces``)."""
    import ase.io

    frame = 0
    frames = ase.io.iread(path, index=":", format="extxyz")
    while True:
        try:
            atoms = next(frames)
        except StopIteration:
            return
        except (ValueError, KeyError, IndexError) as exc:
            raise InputError(f"cannot parse extended XYZ ({exc})", path=path, frame=frame) from None
        if not want(frame):
            yield frame, None
        elif atoms.calc is None or not {"energy", "forces"} <= atoms.calc.results.keys():
            raise InputError("frame has no energy and forces", path=path, frame=frame)
        else:
            yield frame, _with_results(atoms, atoms.calc.results["energy"], atoms.calc.results["forces"])
        frame += 1


_STRUCTURE_READERS: dict[str, Reader] = {
    "extxyz-quip-au": _read_quip_au,
    "runner": _read_runner,
    "extxyz": _read_ase_extxyz,
}


# --------------------------------------------------------------------------------------
# Loaders
# --------------------------------------------------------------------------------------

Index = int | slice | Sequence[int] | None
ReadFrames = Callable[[Callable[[int], bool]], Iterator[tuple[int, "Atoms | None"]]]


def _structure_entry(name: str) -> DatasetEntry:
    entry = _REGISTRY.get(name)
    if entry is None or entry.structures is None:
        valid = [e.name for e in list_entries() if e.structures is not None]
        raise UnknownNameError("structure data set", name, valid)
    return entry


def iter_structures(name: str, *, data_dir: str | Path | None = None, index: Index = None) -> Iterator[Atoms]:
    """Stream the labelled structures of a data set, one ``Atoms`` at a time.

    Parameters
    ----------
    name : str
        ``"revpbe0-d3"``, ``"rpbe-d3-train20"``, ``"n2p2-example-1080"`` or
        ``"rpbe-d3-lesfit-test"``; or a generated teacher set (:mod:`nnp_tutorial.teacher`):
        ``"teacher-blyp"`` (from the cache) or the directory it was written to.
    data_dir : str or Path, optional
        Local data directory (see :func:`fetch`).
    index : int, slice or sequence of int, optional
        Frames to return (all by default), with Python's meaning of negative
        values; a list is returned in its own order.

    Returns
    -------
    iterator of ase.Atoms
        A generator. Positions (wrapped into the cell) and cell in Å;
        ``get_potential_energy()`` in eV and ``get_forces()`` of shape
        (n_atoms, 3) in eV/Å from a ``SinglePointCalculator``;
        ``atoms.info["frame"]`` is the 0-based frame number in the file.
        Only the frame being returned is held in memory (for an unordered list
        of indices or a reversed slice, the selected frames are read first).

    Raises
    ------
    UnknownNameError
        ``name`` is not a structure data set.
    DatasetNotGeneratedError
        A teacher set that has not been generated (the message names the command).
    InputError
        A malformed frame (with file, line and frame number).
    IndexError
        An integer index beyond the last frame.
    """
    if isinstance(index, str) or not (index is None or isinstance(index, slice | Sequence) or _is_int(index)):
        raise TypeError(f"index must be None, an int, a slice or a list of ints, not {type(index).__name__}")
    from .teacher import generated_dataset_file  # sets the package generates (teacher-blyp, DIR)

    path = generated_dataset_file(name)
    if path is not None:
        reader = _STRUCTURE_READERS["extxyz"]
    else:
        entry = _structure_entry(name)
        directory = fetch(name, data_dir=data_dir)
        path = directory / entry.structures
        if not path.is_file():
            path = directory / PurePosixPath(entry.file(entry.structures).local_path).name  # the .xz copy
        reader = _STRUCTURE_READERS[entry.format]

    def read(want: Callable[[int], bool]) -> Iterator[tuple[int, Atoms | None]]:
        return reader(path, want)

    return _select(read, index, name)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _count(read: ReadFrames) -> int:
    return sum(1 for _ in read(lambda frame: False))


def _select(read: ReadFrames, index: Index, name: str) -> Iterator[Atoms]:
    """Generator over the frames picked by ``index`` (see :func:`iter_structures`)."""
    if index is None:
        index = slice(None)
    if isinstance(index, slice) and (index.step or 1) > 0 and min(index.start or 0, index.stop or 0) >= 0:
        wanted = range(index.start or 0, index.stop if index.stop is not None else 2**62, index.step or 1)
        yield from _stream(read, wanted, strict=False)
        return
    n_frames: list[int] = []  # counted only when needed (negative indices)

    def absolute(i: int) -> int:
        if i < 0 and not n_frames:
            n_frames.append(_count(read))
        return i + n_frames[0] if i < 0 else i

    if isinstance(index, slice):
        n_frames.append(_count(read))
        order = list(range(*index.indices(n_frames[0])))
    else:
        order = [absolute(int(i)) for i in ([index] if _is_int(index) else index)]
    if any(i < 0 for i in order):
        raise IndexError(f"frame index out of range: {name} has {n_frames[0]} frames")
    if all(a < b for a, b in zip(order[:-1], order[1:])):
        yield from _stream(read, order, strict=True, name=name)
    else:
        yield from _gather(read, order, name)


def _stream(read: ReadFrames, wanted: Sequence[int], *, strict: bool, name: str = "") -> Iterator[Atoms]:
    """Frames in ``wanted`` (increasing) in file order; ``strict``: all must exist."""
    members = wanted if isinstance(wanted, range) else set(wanted)
    last = wanted[-1] if len(wanted) else -1
    found = 0
    with closing(read(members.__contains__)) as frames:
        for frame, atoms in frames:
            if frame > last:
                break
            if atoms is not None:
                atoms.info["frame"] = frame
                found += 1
                yield atoms
    if strict and found < len(wanted):
        raise IndexError(f"frame index {wanted[found]} out of range for {name}")


def _gather(read: ReadFrames, order: list[int], name: str) -> Iterator[Atoms]:
    """Frames in an arbitrary order: read the selected ones, then yield in ``order``."""
    frames = _stream(read, sorted(set(order)), strict=True, name=name)
    selected = {atoms.info["frame"]: atoms for atoms in frames}
    used: set[int] = set()
    for i in order:
        atoms = selected[i]
        if i in used:  # a repeated index gets an independent copy
            copy = atoms.copy()
            copy.calc = SinglePointCalculator(copy, **atoms.calc.results)
            atoms = copy
        used.add(i)
        yield atoms


def spread(structures: Sequence[Atoms], n: int) -> list[Atoms]:
    """``n`` structures evenly spaced through ``structures`` (first included): the whole trajectory.

    >>> [a.info["k"] for a in spread([Atoms(info={"k": k}) for k in range(10)], 3)]
    [0, 3, 6]
    """
    if not 1 <= n <= len(structures):
        raise ValueError(f"cannot take {n} of {len(structures)} structures")
    return list(structures[:: len(structures) // n][:n])


def load_structures(name: str, *, data_dir: str | Path | None = None, index: Index = None) -> list[Atoms]:
    """:func:`iter_structures` as a list."""
    return list(iter_structures(name, data_dir=data_dir, index=index))


def load_potential(name: str, data_dir: str | Path | None = None) -> BehlerParrinelloNetwork:
    """A registered potential as :class:`nnp_tutorial.model.BehlerParrinelloNetwork` (eV, Å).

    Works for the ``"potential"`` entries, for ``"n2p2-example-1080"`` and for
    the PiNN checkpoint ``"pinn-blyp-adam"`` (:mod:`nnp_tutorial.io.pinn`).

    Parameters
    ----------
    name : str
        Registered name.
    data_dir : str or Path, optional
        Local data directory (see :func:`fetch`).

    Returns
    -------
    BehlerParrinelloNetwork
        ``BehlerParrinelloNetwork.from_n2p2(fetch(name))`` or
        ``load_pinn_potential(fetch(name))``: energies in eV, forces in eV/Å.

    Raises
    ------
    UnknownNameError
        ``name`` holds no potential (the message lists the ones that do).
    """
    entry = _REGISTRY.get(name)
    if entry is None or entry.potential is None:
        raise UnknownNameError("potential", name, [e.name for e in list_entries() if e.potential])
    if entry.potential == "pinn":
        from .io.pinn import load_pinn_potential

        return load_pinn_potential(fetch(name, data_dir=data_dir))
    from .model import BehlerParrinelloNetwork

    return BehlerParrinelloNetwork.from_n2p2(fetch(name, data_dir=data_dir))


# --------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------


def _github(repo: str, commit: str, path: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def _github_files(
    repo: str, commit: str, upstream_dir: str, local_dir: str, files: dict[str, tuple[str, int]]
) -> tuple[DataFile, ...]:
    """Files published byte-for-byte: ``{name: (sha256, size)}``, same hash locally."""
    return tuple(
        DataFile(name, _github(repo, commit, f"{upstream_dir}/{name}"), sha, size, f"{local_dir}/{name}", sha)
        for name, (sha, size) in files.items()
    )


# sha256 and size (bytes) of the published files, by entry; the local copies are identical.
_CHENG_NNP = {
    "input.nn": ("41d2ec11032ce61d125f95d33911f0d62204ddcd53c1861e022a606acc0e5f89", 8246),
    "scaling.data": ("3f8ad6e0e69d00b988bbce23da2b2106fe3f1da08fd17d967814992f4fa51dad", 3746),
    "weights.001.data": ("8de94911964b69aeae8e7aa55150e33bc9ec7fe64115abb43f0fa4197bff7389", 19019),
    "weights.008.data": ("64baa4d5c3bd4a447516ec36fa0b81df2d6432b376d14e1e93cbaea51323169b", 20159),
}
# entry name: (n2p2 folder, functional, files)
_MORAWIETZ_POTENTIALS = {
    "nnp-blyp-morawietz2016": (
        "H2O_BLYP",
        "BLYP",
        {
            "input.nn": ("baaf6d3523565cdd530c00fb1144750994e7ab82b56787e34ac2001e88cce164", 9966),
            "scaling.data": ("16a44690cfb20f9ee49233c302e327da5096c3aae802f7976059580800ab2119", 7986),
            "weights.001.data": ("3a3ab93b87b54ca7874994f241d531758525688ca5740bf6d32331981a4b7c08", 84314),
            "weights.008.data": ("2263e84c11a38a772520e57c7cb984e186ce5cbe5d745646a2e1e3a38c6a17af", 88889),
            "nnp-train.log.0000": ("9f866ba5bed7cd70ef4a680ba26f4e552ad5f66eb8fea655d7cb4c2c4d13ac29", 36179),
        },
    ),
    "nnp-blyp-d3-morawietz2016": (
        "H2O_BLYP-D3",
        "BLYP-D3",
        {
            "input.nn": ("1d2993d257a5a6e96ed7b8557eb37af0bc09c491a38e022574032315a4d362f7", 9969),
            "scaling.data": ("3e5d53596e2e793aedd1abd409a1111885cb55a6543bd8e53f2f115ca260e8bf", 7986),
            "weights.001.data": ("72dea7ac5bc973f51d3652ee7b8cc9cf26bc5abb5802c412b9efbba5d9987675", 84314),
            "weights.008.data": ("08dddf3cce6291c7ebce60565b0f247911a99caf18a9ff2ecb0474d4024b8786", 88889),
            "nnp-train.log.0000": ("5a2da8edb04544bb163963758de4eedfb9f654e611a1b79bc2c548546895eb1a", 36210),
        },
    ),
    "nnp-rpbe-morawietz2016": (
        "H2O_RPBE",
        "RPBE",
        {
            "input.nn": ("09236da9efc35ed09ec59d742b0370ffc02a2cae7165e2290045a95af4d8930e", 9966),
            "scaling.data": ("b2270cf032d58926f027dc352cc11a12fb02ddfc667bc1cf7b5f612b7765ab7a", 7986),
            "weights.001.data": ("658a0fd3c3d9d4f4f16ee704d7116d5dbbabe612617975aa5c0bb77699f7ef9b", 84314),
            "weights.008.data": ("78e5988d9730ef14808c322b21428eca75e1e25e97a6df75329e016ac58f245b", 88889),
            "nnp-train.log.0000": ("e7446d39a1bc83c70fce3fbe1f2827556df61cd1f80e5465e8c777de16412746", 36179),
        },
    ),
    "nnp-rpbe-d3-morawietz2016": (
        "H2O_RPBE-D3",
        "RPBE-D3",
        {
            "input.nn": ("a0983db646016aeaf4bb82c87390bd14d08e759bd0751a92456347e7f2667ef2", 9969),
            "scaling.data": ("468998f9b880d96f4b49f192fc8c3c8229e3ca53b9036c7ec6e66ae58a54c1e3", 7986),
            "weights.001.data": ("207728de9f248d4d8440620075086b60c6ab188a82ae8af91ac403e2aecf3379", 84314),
            "weights.008.data": ("f0337923e3cf2425741d408aa4ea6c457aea67c0d743808cd7e4addc45db3fd8", 88889),
            "nnp-train.log.0000": ("83f5abf51ae4167b312b5906e9189524aa2d8f89473af1b7d7ca114537d2031e", 36210),
        },
    ),
}
_PREDICT_1080 = {
    "input.data": ("32c38c1139a9c4afc2f38d536ce900956432b3689ecccd3f5a8a723c853c4405", 226088),
    "input.nn": ("726e941d994058a95c8dcc7c658837a2da0e7738aab164a7905b2c993b27224a", 5385),
    "scaling.data": ("468998f9b880d96f4b49f192fc8c3c8229e3ca53b9036c7ec6e66ae58a54c1e3", 7986),
    "weights.001.data": ("207728de9f248d4d8440620075086b60c6ab188a82ae8af91ac403e2aecf3379", 84314),
    "weights.008.data": ("f0337923e3cf2425741d408aa4ea6c457aea67c0d743808cd7e4addc45db3fd8", 88889),
}
_TRAIN_20 = {
    "input.data": ("107d72ef4c1d55d5b8a7cf565c79e2050c6c2787c886b4852fff7097811eb526", 273280),
    "input.nn": ("cc03cbe2c62a79dcc5f776456ce05a10ead88a1359dcc7f297acb95acfb88a6b", 11316),
    "scaling.data": ("cbe3b56efd6a46bef44952187ca8696e61965901acd1240ef97c130d911db8c7", 7986),
}
_PINN_CHECKPOINT = {
    "checkpoint": ("212db45cbdfd0283e386c2ca15fa9f564c53f2fed6e4381025ce9d42b037df1d", 289),
    "model.ckpt-5000000.data-00000-of-00001": (
        "97d40720cc109dca03144bf8c09d6864324079b2c0a137f57fffcbb1f3013f29",
        33916,
    ),
    "model.ckpt-5000000.index": ("60825391a2da6934829bb76be7bc429e5a0162bbf307c3c5fdacdc5b61090a99", 1160),
    "params.yml": ("72dc4286866bd57bc425830ca79a63d51db3774608797dc68050205deede90d9", 3471),
}
_PINN_WATERBOX = {
    "waterbox.xyz": ("85b5b987bf5dd13177c7dc7aba1f48191c0ff94a686b97d262c1cc6879833a28", 20388),
}
_LES_FIT_TEST = {
    "test-H2O_RPBE-D3.xyz": ("63246aa6ec1e5c1f806236a05c0ce3181f54b7a2c622d4520985b59d5dc40aef", 1014943),
}

_CHENG_CITATION = (
    "B. Cheng, E. A. Engel, J. Behler, C. Dellago, M. Ceriotti, 'Ab initio thermodynamics of liquid "
    "and solid water', PNAS 116, 1110-1115 (2019)"
)
_CHENG_LICENSE = "none stated (no LICENSE file upstream; all rights reserved by default)"
_MORAWIETZ_CITATION = (
    "T. Morawietz, A. Singraber, C. Dellago, J. Behler, 'How van der Waals interactions determine the "
    "unique properties of water', PNAS 113, 8368-8373 (2016)"
)
_N2P2_CITATION = (
    "A. Singraber, J. Behler, C. Dellago, 'Library-based LAMMPS implementation of high-dimensional "
    "neural network potentials', J. Chem. Theory Comput. 15, 1827-1840 (2019), doi:10.1021/acs.jctc.8b00770"
)

register(
    DatasetEntry(
        name="revpbe0-d3",
        kind="structures",
        description="revPBE0-D3 liquid water, 1593 frames x 192 atoms with energies and forces",
        files=(
            DataFile(
                name="dataset_1593.xyz",
                url=_github(CHENG_REPO, CHENG_COMMIT, "training-set/dataset_1593.xyz"),
                sha256="5e2ec3b4b1334e012daa6a2e2dbd138108c41c7b6f692ff89b8747b81cadfdbc",
                size=35_629_038,
                # the local copy is xz-compressed (6,537,288 bytes)
                local_path="revpbe0d3_cheng2019/dataset_1593.xyz.xz",
                local_sha256="94871291fdc5e2286a3a0d4533ec9b9c2fff9687c7e3098d776ed9003ac2aed8",
            ),
        ),
        format="extxyz-quip-au",
        units="Bohr, Hartree, Hartree/Bohr (keys TotEnergy, force)",
        citation=_CHENG_CITATION,
        doi="10.1073/pnas.1815117116",
        license=_CHENG_LICENSE,
        structures="dataset_1593.xyz",
    )
)

register(
    DatasetEntry(
        name="nnp-revpbe0-d3-cheng2019",
        kind="potential",
        description="published revPBE0-D3 water HDNNP of Cheng et al. (RuNNer/n2p2 files)",
        files=_github_files(CHENG_REPO, CHENG_COMMIT, "NN-potential", "revpbe0d3_cheng2019/nnp", _CHENG_NNP),
        format="n2p2",
        units="Bohr, Hartree",
        citation=_CHENG_CITATION,
        doi="10.1073/pnas.1815117116",
        license=_CHENG_LICENSE,
        potential="n2p2",
    )
)

for _name, (_folder, _functional, _files) in _MORAWIETZ_POTENTIALS.items():
    register(
        DatasetEntry(
            name=_name,
            kind="potential",
            description=f"{_functional} water HDNNP of Morawietz et al. 2016 (n2p2 example potential)",
            files=_github_files(
                N2P2_REPO,
                N2P2_COMMIT,
                f"examples/potentials/{_folder}",
                f"rpbed3_morawietz2016_n2p2/potentials/{_folder}",
                _files,
            ),
            format="n2p2",
            units="Bohr, Hartree (n2p2 normalisation block in input.nn)",
            citation=_MORAWIETZ_CITATION,
            doi="10.1073/pnas.1602375113",
            license="GPL-3.0 (n2p2)",
            potential="n2p2",
        )
    )
del _name, _folder, _functional, _files

# Not an upstream file: regenerated from test/cpp/ExamplePrediction.h, whose own hash is not known here.
_REFERENCE_PREDICTION = DataFile(
    name=REFERENCE_PREDICTION_FILE,
    url=_github(N2P2_REPO, N2P2_COMMIT, "test/cpp/ExamplePrediction.h"),
    sha256=None,
    size=87_289,
    local_path=f"rpbed3_morawietz2016_n2p2/predict1080/{REFERENCE_PREDICTION_FILE}",
    local_sha256="afc4ee2fe3a7a4dbfcadeb11500589862011435972de4c14e54de3eab296b0b9",
    derive=_derive_reference_prediction,
    derived_sha256="afc4ee2fe3a7a4dbfcadeb11500589862011435972de4c14e54de3eab296b0b9",
)

register(
    DatasetEntry(
        name="n2p2-example-1080",
        kind="example",
        description="1080-atom water box + RPBE-D3 HDNNP + n2p2's reference energy and forces",
        files=(
            *_github_files(
                N2P2_REPO,
                N2P2_COMMIT,
                "examples/nnp-predict/H2O_RPBE-D3",
                "rpbed3_morawietz2016_n2p2/predict1080",
                _PREDICT_1080,
            ),
            _REFERENCE_PREDICTION,
        ),
        format="runner",
        units="Bohr, Hartree, Hartree/Bohr (input.data has zero energy and forces)",
        citation=f"{_MORAWIETZ_CITATION}; {_N2P2_CITATION}",
        doi="10.1073/pnas.1602375113",
        license="GPL-3.0 (n2p2)",
        structures="input.data",
        potential="n2p2",
    )
)

register(
    DatasetEntry(
        name="rpbe-d3-train20",
        kind="structures",
        description="20 RPBE-D3 water/ice structures (48-192 atoms) of the n2p2 training example",
        files=_github_files(
            N2P2_REPO,
            N2P2_COMMIT,
            "examples/nnp-train/H2O_RPBE-D3",
            "rpbed3_morawietz2016_n2p2/train20",
            _TRAIN_20,
        ),
        format="runner",
        units="Bohr, Hartree, Hartree/Bohr",
        citation=_MORAWIETZ_CITATION,
        doi="10.1073/pnas.1602375113",
        license="GPL-3.0 (n2p2)",
        structures="input.data",
    )
)

register(
    DatasetEntry(
        name="pinn-blyp-adam",
        kind="checkpoint",
        description="PiNN BPNN for BLYP water trained with Adam (TF checkpoint, params.yml, water box)",
        files=(
            *_github_files(
                PINN_LAB_REPO,
                PINN_LAB_COMMIT,
                "notebooks/blyp_water_bpnn",
                "pinn_lab_blyp_adam",
                _PINN_CHECKPOINT,
            ),
            # upstream, the water box lies one folder up, in notebooks/
            *_github_files(PINN_LAB_REPO, PINN_LAB_COMMIT, "notebooks", "pinn_lab_blyp_adam", _PINN_WATERBOX),
        ),
        format="pinn-tf-checkpoint",
        units="Å, eV (params.yml; e_unit converts from Hartree)",
        potential="pinn",
        citation=(
            "Y. Shao, M. Hellström, P. D. Mitev, L. Knijff, C. Zhang, 'PiNN: a Python library for building "
            "atomic neural networks of molecules and materials', J. Chem. Inf. Model. 60, 1184-1193 (2020)"
        ),
        doi="10.1021/acs.jcim.9b00994",
        license="GPL-3.0 (PiNN_lab)",
    )
)

register(
    DatasetEntry(
        name="rpbe-d3-lesfit-test",
        kind="structures",
        description="50 x 192-atom RPBE-D3 liquid water (les_fit test set; other energy zero than n2p2)",
        files=_github_files(
            LES_FIT_REPO, LES_FIT_COMMIT, "data-benchmark", "rpbed3_les_fit_test", _LES_FIT_TEST
        ),
        format="extxyz",
        units="Å, eV, eV/Å",
        citation=(
            "B. Cheng, 'Latent Ewald summation for machine learning of long-range interactions', "
            "npj Comput. Mater. 11, 80 (2025), arXiv:2408.15165"
        ),
        doi="10.48550/arXiv.2408.15165",
        license="CC BY-NC 4.0 (stated in the les_fit README; no LICENSE file)",
        structures="test-H2O_RPBE-D3.xyz",
    )
)
