"""Exception hierarchy of nnp_tutorial.

Modelled on ASE's calculator errors: *input* errors say which file, line or
frame was wrong and what was expected; *calculation* errors report numerical
failure (non-finite values, singular matrices). A diverged training run or an
unstable MD run is not an exception but a typed result (see the training and
MD modules).
"""

from __future__ import annotations

from pathlib import Path


class NNPTutorialError(Exception):
    """Base class of every error raised by nnp_tutorial."""


class InputError(NNPTutorialError, ValueError):
    """Malformed input: a file, line or frame that is not what was expected.

    Parameters
    ----------
    message : str
        What was expected and what was found.
    path : str or Path, optional
        The offending file.
    line : int, optional
        1-based line number in ``path``.
    frame : int, optional
        0-based frame (structure) index in ``path``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        frame: int | None = None,
    ) -> None:
        self.path = None if path is None else Path(path)
        self.line = line
        self.frame = frame
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if frame is not None:
            where.append(f"frame {frame}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class UnknownNameError(NNPTutorialError, KeyError):
    """A name looked up in a registry does not exist; lists the valid names."""

    def __init__(self, kind: str, name: str, valid: list[str] | tuple[str, ...]) -> None:
        self.kind = kind
        self.name = name
        self.valid = sorted(valid)
        super().__init__(f"unknown {kind} {name!r}; valid names: {', '.join(self.valid)}")

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0])


class UnknownElementError(NNPTutorialError, ValueError):
    """A structure contains an element for which the model has no network."""


class ChecksumError(NNPTutorialError, OSError):
    """A downloaded or local data file does not have the registered sha256."""


class CalculationFailed(NNPTutorialError, RuntimeError):
    """A numerical calculation produced non-finite values or failed to converge."""


class TrainingDiverged(CalculationFailed):
    """A training update would make the weights non-finite; the weights and the optimiser are unchanged."""
