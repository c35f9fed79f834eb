"""The registry of data sets: entry types, :func:`register` and the look-ups.

An entry (:class:`DatasetEntry`) names its files (:class:`DataFile`): where each is
published, its sha256 and where it lies in a local copy of the data. :func:`register`
checks an entry and refuses a name that is taken; the published entries are registered
in :mod:`nnp_tutorial.datasets.catalogue`.

Data sets the package generates itself (the teacher sets of :mod:`nnp_tutorial.teacher`)
are not entries: their generator registers a resolver with :func:`register_generated`,
which :func:`generated_file` asks. The catalogue names the generator's module
(:func:`declare_generated`), and :func:`generated_file` imports it, so that the loaders
find these sets without their caller importing the generator first.

Examples
--------
>>> file = DataFile("a.xyz", "https://x/a.xyz", "0" * 64, 1, "toy/a.xyz", "0" * 64)
>>> entry = DatasetEntry("toy", "structures", "-", (file,), "extxyz", "Å, eV", "-", "-", "-", "a.xyz")
>>> entry.local_dir, entry.size_bytes, entry.file("a.xyz").fetched_sha256 == "0" * 64
('toy', 1, True)
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import UnknownNameError

#: Kinds of entries: labelled structures, a complete potential, a worked example
#: (structure + potential + reference result) or a training checkpoint of another code.
KINDS = ("structures", "potential", "example", "checkpoint")

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class DataFile:
    """One file of an entry.

    Attributes
    ----------
    name : str
        Upstream file name; the file's name in the directory returned by
        :func:`~nnp_tutorial.datasets.fetch`.
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
        File format; for structure data, the name of its frame reader in
        :data:`nnp_tutorial.io.formats.FRAME_READERS` (``"extxyz-quip-au"``,
        ``"runner"``, ``"extxyz"``).
    units : str
        Units of the files (not of what the loaders return, which is always Å/eV).
    citation : str
        Reference to cite.
    doi : str
        DOI of the main reference.
    license : str
        Licence of the files as far as known.
    structures : str, optional
        Name of the file read by :func:`~nnp_tutorial.datasets.iter_structures`.
    potential : str, optional
        Potential format read by :func:`~nnp_tutorial.datasets.load_potential`
        (``"n2p2"`` or ``"pinn"``).
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


def structure_entry(name: str) -> DatasetEntry:
    """The entry ``name`` if it holds structures (``entry.structures`` is set).

    Raises
    ------
    UnknownNameError
        ``name`` holds no structures (the message lists the entries that do).
    """
    return _entry_holding(name, "structure data set", lambda entry: entry.structures is not None)


def potential_entry(name: str) -> DatasetEntry:
    """The entry ``name`` if it holds a potential (``entry.potential`` is set).

    Raises
    ------
    UnknownNameError
        ``name`` holds no potential (the message lists the entries that do).
    """
    return _entry_holding(name, "potential", lambda entry: entry.potential is not None)


def _entry_holding(name: str, what: str, holds: Callable[[DatasetEntry], bool]) -> DatasetEntry:
    entry = _REGISTRY.get(name)
    if entry is None or not holds(entry):
        raise UnknownNameError(what, name, [e.name for e in list_entries() if holds(e)])
    return entry


# --------------------------------------------------------------------------------------
# Generated data sets
# --------------------------------------------------------------------------------------

#: ``resolver(spec) -> Path or None``: the checked extended XYZ file (Å, eV; keys ``energy``
#: and ``forces``) of the generated data set ``spec`` (a name or a directory), or None if
#: ``spec`` names none of the resolver's sets. It raises where ``spec`` is one of its sets
#: but not usable (not generated yet, incomplete, wrong sha256).
GeneratedResolver = Callable[[str | Path], Path | None]

_GENERATED: list[GeneratedResolver] = []
#: Modules whose import registers resolvers, in declaration order (:func:`declare_generated`).
_GENERATOR_MODULES: list[str] = []


def declare_generated(module: str) -> None:
    """Name a module that registers resolvers of generated data sets when it is imported.

    :func:`generated_file` imports the declared modules (with :mod:`importlib`) before it asks
    the resolvers, the way ASE's ``ase/io/formats.py`` names the module that implements each
    format and imports it only when that format is used. The loaders then find the
    generator's sets in a fresh interpreter, and :mod:`nnp_tutorial.datasets` holds the
    generator's name, not an import of it: the generator imports the data sets, not the
    reverse.

    Parameters
    ----------
    module : str
        Absolute module name, e.g. ``"nnp_tutorial.teacher.cache"``. Declaring a module
        twice is refused (``ValueError``).
    """
    if module in _GENERATOR_MODULES:
        raise ValueError(f"generated data sets of module {module!r} are already declared")
    _GENERATOR_MODULES.append(module)


def register_generated(resolver: GeneratedResolver) -> GeneratedResolver:
    """Let the structure loaders read the data sets that ``resolver`` finds (a decorator).

    Registering the same resolver twice is refused (``ValueError``).
    """
    if resolver in _GENERATED:
        raise ValueError(f"generated data sets of {resolver.__qualname__} are already registered")
    _GENERATED.append(resolver)
    return resolver


def generated_file(spec: str | Path) -> Path | None:
    """The file of the generated data set ``spec``, from the first resolver that knows it, or None.

    The modules named with :func:`declare_generated` are imported first (once: later
    imports find them in ``sys.modules``); importing one registers its resolvers.
    """
    for module in _GENERATOR_MODULES:
        importlib.import_module(module)
    for resolver in _GENERATED:
        path = resolver(spec)
        if path is not None:
            return path
    return None
