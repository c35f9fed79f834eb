"""One provenance record, written the same way by every sub-command that writes files.

:class:`Provenance` holds the command line, the package version, the git commit of the
package's checkout (None for an installed copy), the date and the sha256 of every input.
Its keys (:data:`KEYS`) open each ``summary.json`` (``md``, ``train``, ``fisher``) and are
the ``# key: value`` header of the CSV tables of ``evaluate``. ``make-teacher-dataset``
passes the command line to the teacher, whose ``recipe.json`` records it with the version.

The sha256 of an input
    a file: of its bytes; a directory (an n2p2 model): of the lines ``name sha256`` of its
    files, sorted; a registered data set or potential: of the lines ``name sha256`` of its
    files as the registry pins them (nothing is read); a generated data set: of its file.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import shlex
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .. import __version__
from ..datasets.fetching import sha256_of
from ..datasets.registry import generated_file, get_entry
from ..errors import UnknownNameError

#: the keys of a provenance record, in the order they are written
KEYS = ("command", "nnp_tutorial", "git_commit", "date", "inputs")


@dataclass(frozen=True)
class Provenance:
    """What made a result: command, version, commit, date (ISO 8601), inputs' sha256."""

    command: str
    nnp_tutorial: str
    git_commit: str | None
    date: str
    inputs: dict[str, str]

    def to_dict(self) -> dict:
        """The record as a JSON object (keys :data:`KEYS`)."""
        return asdict(self)

    def header(self) -> list[str]:
        """``# key: value`` lines for a CSV file (read back with :func:`read_header`)."""
        return [f"# {f.name}: {json.dumps(getattr(self, f.name), ensure_ascii=False)}" for f in fields(self)]

    def write_summary(self, path: Path, summary: dict) -> dict:
        """Write ``summary`` to ``path`` as JSON, the record's keys first; returns what was written."""
        written = {**self.to_dict(), **summary}
        path.write_text(json.dumps(written, indent=1, ensure_ascii=False) + "\n")
        return written


def read_header(path: Path) -> dict:
    """The record in the ``# key: value`` header of a CSV file written with :meth:`Provenance.header`."""
    found = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("# "):
                break
            key, sep, value = line[2:].partition(": ")
            if sep and key in KEYS:
                found[key] = json.loads(value)
    return found


def record(argv: Sequence[str], inputs: Iterable[str | Path], *, data_dir: str | Path | None) -> Provenance:
    """The provenance of ``nnp-tutorial ARGV`` that read ``inputs`` (files, directories or names)."""
    return Provenance(
        command="nnp-tutorial " + shlex.join(argv),
        nnp_tutorial=__version__,
        git_commit=git_commit(),
        date=datetime.date.today().isoformat(),
        inputs={str(spec): input_sha256(spec) for spec in inputs},
    )


def input_sha256(spec: str | Path) -> str:
    """sha256 of an input (module docstring): a file, a directory or a registered name."""
    path = Path(spec)
    if not path.exists():
        try:
            listing = [(f.name, f.fetched_sha256) for f in get_entry(str(spec)).files]
        except UnknownNameError:
            path = generated_file(spec) or path  # as the loaders: published entries first
        else:
            return _listing_sha256(listing)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return _listing_sha256([(str(p.relative_to(path)), sha256_of(p)) for p in files])
    return sha256_of(path)


def _listing_sha256(listing: list[tuple[str, str]]) -> str:
    """sha256 of the lines ``name sha256``."""
    return hashlib.sha256("".join(f"{name} {digest}\n" for name, digest in listing).encode()).hexdigest()


def git_commit() -> str | None:
    """The commit of the git checkout holding the package, or None (installed copy, no git)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
