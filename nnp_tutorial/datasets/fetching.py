"""Where the files of an entry come from, checked against their sha256: :func:`fetch`.

In this order:

=====  ==============================  =================================================
 1     ``data_dir`` argument            a directory in the layout of ``shared/data``
 2     ``$NNP_TUTORIAL_DATA``           the same, e.g. on CI or a machine without internet
 3     download with :mod:`pooch`       into ``$NNP_TUTORIAL_CACHE/<entry name>/`` (default
                                        ``pooch.os_cache("nnp_tutorial")``)
=====  ==============================  =================================================

Local files and downloads are checked against their sha256; a mismatch raises
:class:`~nnp_tutorial.errors.ChecksumError` and a bad download is deleted. A local
file is hashed once per process (the digest is cached by path, size and mtime).
:func:`cache_status` says where an entry would be found, :func:`format_table` lists them all.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import suppress
from pathlib import Path, PurePosixPath

from ..errors import ChecksumError
from .registry import DataFile, DatasetEntry, get_entry, list_entries

_DIGESTS: dict[tuple[str, int, int, int], str] = {}


def sha256_of(path: Path) -> str:
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
    actual = sha256_of(path)
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
        Registered name (see :func:`~nnp_tutorial.datasets.list_entries`).
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
        if target.is_file() and sha256_of(target) == file.fetched_sha256:
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
        actual = sha256_of(built)
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
    complete = all(path.is_file() and sha256_of(path) == digest for path, digest in paths)
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
        names = [entry.name for entry in list_entries()]
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
