"""Settings declared once: each field's default, unit, help text and valid values.

A configuration is a dataclass whose fields are made by :func:`setting`. The declaration
serves three readers, so none of them restates a default or a range:

* the dataclass itself: ``__post_init__`` calls :func:`validate`, which converts numbers to
  the declared type and raises :class:`SettingError` (a ``ValueError``) naming the field;
* the command line: :func:`nnp_tutorial.cli.parser.add_settings` turns every field into an
  option (name, default, help with unit and range, choices) whose value is checked while the
  arguments are parsed, by the same :meth:`Spec.problem`;
* the documentation: :func:`describe` gives one line per field.

Valid numbers are an :class:`Interval`; a float outside it, NaN or an infinity is refused
(an interval is closed or open at each end; its ends may be infinite but its members are
finite).

Example
-------
>>> from dataclasses import dataclass
>>> @dataclass
... class Box:
...     temperature_K: float = setting(300.0, help="thermostat target", unit="K", valid=greater_than(0))
...     molecules: int = setting(64, help="water molecules", valid=at_least(1))
...     def __post_init__(self) -> None:
...         validate(self)
>>> Box(temperature_K=250).temperature_K
250.0
>>> Box(molecules=0)
Traceback (most recent call last):
...
nnp_tutorial.config.SettingError: molecules = 0: must be >= 1 (water molecules)
>>> print(describe(Box))
temperature_K: thermostat target, K; > 0; default 300.0
molecules: water molecules; >= 1; default 64
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InputError

#: key of a field's :class:`Spec` in ``dataclasses.Field.metadata``
SPEC = "nnp_tutorial.spec"


class SettingError(InputError):
    """A setting outside its valid values; ``field`` names it, ``value`` is what was given."""

    def __init__(self, field: str, value: Any, problem: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field} = {value!r}: {problem}")


@dataclass(frozen=True)
class Interval:
    """Valid numbers between ``low`` and ``high``; ``*_closed``: the end itself is valid.

    Members are finite: ``greater_than(0)`` refuses ``inf`` and ``nan``.
    """

    low: float = -math.inf
    high: float = math.inf
    low_closed: bool = True
    high_closed: bool = True

    def __contains__(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return above and below

    def __str__(self) -> str:
        if math.isinf(self.low) and math.isinf(self.high):
            return "finite"
        if math.isinf(self.high):
            return f"{'>=' if self.low_closed else '>'} {self.low:g}"
        if math.isinf(self.low):
            return f"{'<=' if self.high_closed else '<'} {self.high:g}"
        left, right = "[" if self.low_closed else "(", "]" if self.high_closed else ")"
        return f"in {left}{self.low:g}, {self.high:g}{right}"


def at_least(low: float) -> Interval:
    """``low`` or more."""
    return Interval(low=low)


def greater_than(low: float) -> Interval:
    """More than ``low``."""
    return Interval(low=low, low_closed=False)


def between(low: float, high: float, *, closed: bool = True) -> Interval:
    """From ``low`` to ``high``, both ends included (``closed``) or both excluded."""
    return Interval(low, high, closed, closed)


FINITE = Interval()


@dataclass(frozen=True)
class Spec:
    """What a field means and which values it takes (the metadata of :func:`setting`).

    Attributes
    ----------
    help : str
        One phrase, without the unit or the default.
    unit : str
        Unit of the value ("K", "fs", "g/ml"), or "" for a pure number or a name.
    valid : Interval, optional
        Valid numbers (of each element, for a list).
    choices : tuple of str
        Valid names, for a name-valued field.
    flag : str, optional
        Command-line spelling; default ``--`` and the field name with ``-`` for ``_``.
    aliases : tuple of str
        Further spellings of the option (older names kept working).
    metavar : str, optional
        Placeholder of the value in ``--help``.
    """

    help: str
    unit: str = ""
    valid: Interval | None = None
    choices: tuple[str, ...] = ()
    flag: str | None = None
    aliases: tuple[str, ...] = ()
    metavar: str | None = None

    def option(self, name: str) -> str:
        """The option of field ``name`` on the command line."""
        return self.flag or "--" + name.replace("_", "-")

    def constraint(self) -> str:
        """The valid values in words: ``> 0``, ``one of ekf, adam``, or ""."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        return "" if self.valid is None else f"must be {self.valid}"

    def problem(self, value: Any) -> str | None:
        """Why ``value`` (already of the field's type) is not valid, or None if it is."""
        values = list(value) if isinstance(value, list | tuple) else [value]
        if isinstance(value, list | tuple) and not values:
            return "needs at least one value"
        for v in values:
            if self.choices and v not in self.choices:
                return self.constraint()
            if self.valid is not None and v not in self.valid:
                finite = "" if math.isfinite(v) or self.valid == FINITE else "finite and "
                return self.constraint().replace("must be ", "must be " + finite, 1)
        return None


def setting(
    default: Any,
    *,
    help: str,
    unit: str = "",
    valid: Interval | None = None,
    choices: Sequence[str] = (),
    flag: str | None = None,
    aliases: Sequence[str] = (),
    metavar: str | None = None,
) -> Any:
    """A dataclass field with its :class:`Spec`; a list default is copied for each instance."""
    spec = Spec(help, unit, valid, tuple(choices), flag, tuple(aliases), metavar)
    metadata = {SPEC: spec}
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Declared:
    """One declared field: name, :class:`Spec`, value type (``float``, ``int``, ``str``), default,
    and whether it holds a list of such values (``many``) or may be None (``optional``)."""

    name: str
    spec: Spec
    kind: type
    default: Any
    many: bool = False
    optional: bool = False


def declared(cls: type) -> list[Declared]:
    """The fields of dataclass ``cls`` made by :func:`setting`, in declaration order."""
    hints = typing.get_type_hints(cls)
    found = []
    for f in dataclasses.fields(cls):
        if SPEC not in f.metadata:
            continue
        kind, many, optional = _value_type(hints[f.name])
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default
        found.append(Declared(f.name, f.metadata[SPEC], kind, default, many, optional))
    return found


def _value_type(hint: Any) -> tuple[type, bool, bool]:
    """(element type, is a list, may be None) of an annotation such as ``list[int]`` or ``float | None``."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    optional = len(args) < len(typing.get_args(hint))
    if optional:
        hint = args[0]
    if typing.get_origin(hint) in (list, tuple):
        return typing.get_args(hint)[0], True, optional
    return hint, False, optional


def convert(item: Declared, value: Any) -> Any:
    """``value`` as the declared type (an int for a float field becomes a float); TypeError if not."""
    if value is None and item.optional:
        return None
    if item.many:
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise TypeError(f"{item.name} must be a list of {item.kind.__name__}, not {value!r}")
        return [convert(dataclasses.replace(item, many=False, optional=False), v) for v in value]
    if item.kind is float and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if item.kind is int and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if item.kind is str and isinstance(value, str):
        return value
    raise TypeError(f"{item.name} must be {item.kind.__name__}, not {value!r}")


def validate(config: Any) -> None:
    """Convert each declared field of ``config`` to its type and check it (call in ``__post_init__``).

    Raises
    ------
    SettingError
        A value outside the declared range or choices; the message names the field, the value
        and the valid values.
    TypeError
        A value of the wrong type (a string for a number, a float for an int).
    """
    for item in declared(type(config)):
        value = convert(item, getattr(config, item.name))
        object.__setattr__(config, item.name, value)  # frozen dataclasses too
        problem = None if value is None else item.spec.problem(value)
        if problem:
            raise SettingError(item.name, value, f"{problem} ({item.spec.help})")


def describe(cls: type) -> str:
    """One line per declared field of ``cls``: name, help, unit, valid values, default."""
    lines = []
    for item in declared(cls):
        unit = f", {item.spec.unit}" if item.spec.unit else ""
        constraint = item.spec.constraint().removeprefix("must be ")
        parts = [f"{item.name}: {item.spec.help}{unit}", constraint, f"default {item.default!r}"]
        lines.append("; ".join(p for p in parts if p))
    return "\n".join(lines)
