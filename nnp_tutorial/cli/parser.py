"""Command-line options generated from declared settings, checked while the arguments are parsed.

:func:`add_settings` turns each field of a configuration dataclass declared with
:func:`nnp_tutorial.config.setting` into one option: the field's flag (and aliases), its
default, a help text with the unit, the valid values and the default, and argparse choices.
The value of the option is converted and checked by the field's own
:meth:`~nnp_tutorial.config.Spec.problem`, so a bad value stops the command before it does
any work. :class:`Parser` reports every usage error on one line and exits with status 2::

    nnp-tutorial train: error: argument --lr: invalid value '-1': must be > 0

The options shared by the sub-commands are spelled the same everywhere (:func:`add_common`):
``--data-dir``, ``--out``, ``--seed``, ``--no-progress``, ``--model``, ``--dataset``,
``--index``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from ..config import Declared, at_least, declared, setting

#: one line of the ``--help`` epilog: (file name, when it is written, what it holds)
OutputFile = tuple[str, str, str]


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line (option, value, valid values)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def checked(item: Declared) -> Callable[[str], Any]:
    """The argparse ``type`` of a declared field: convert the text, then check it."""
    words = {float: "a number", int: "an integer", str: "a name"}[item.kind]
    constraint = item.spec.constraint().removeprefix("must be ")

    def convert(text: str) -> Any:
        try:
            value = item.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"invalid value {text!r}: expected {words} {constraint}".rstrip()
            ) from None
        problem = item.spec.problem(value) if item.kind is not str else None
        if problem:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: {problem}")
        return value

    convert.__name__ = item.kind.__name__
    return convert


def help_text(item: Declared, *, required: bool) -> str:
    """``help, unit; valid values; default …`` (``%`` escaped for argparse)."""
    unit = f", {item.spec.unit}" if item.spec.unit else ""
    constraint = "" if item.spec.choices else item.spec.constraint().removeprefix("must be ")
    default = item.default
    shown = " ".join(map(str, default)) if isinstance(default, list) else default
    last = "required" if required else "" if default is None else f"default {shown}"
    return "; ".join(p for p in (f"{item.spec.help}{unit}", constraint, last) if p).replace("%", "%%")


def add_setting(parser: argparse._ActionsContainer, item: Declared, *, required: bool = False) -> None:
    """One option for the declared field ``item`` (its ``default`` is the option's default)."""
    default = None if required else item.default
    options: dict[str, Any] = {
        "dest": item.name,
        "default": default,
        "help": help_text(item, required=required),
        "metavar": item.spec.metavar or ("N" if item.kind is int else "X"),
        "required": required,
    }
    if item.spec.choices:
        options["choices"] = item.spec.choices
    else:
        options["type"] = checked(item)
    if item.many:
        options["nargs"] = "+"
    parser.add_argument(item.spec.option(item.name), *item.spec.aliases, **options)


def add_settings(
    parser: argparse._ActionsContainer,
    cls: type,
    *,
    skip: Iterable[str] = (),
    required: Iterable[str] = (),
    defaults: dict[str, Any] | None = None,
) -> list[str]:
    """Options for the declared fields of ``cls`` (except ``skip``); returns the field names.

    ``defaults`` replaces some fields' defaults (a sub-command's own choice, shown in its help).
    """
    skip, required, defaults = set(skip), set(required), defaults or {}
    names = []
    for item in declared(cls):
        if item.name in skip:
            continue
        if item.name in defaults:
            item = replace(item, default=defaults[item.name])
        add_setting(parser, item, required=item.name in required)
        names.append(item.name)
    return names


def from_args(cls: type, args: argparse.Namespace, **extra: Any) -> Any:
    """An instance of ``cls`` from the parsed values of its declared fields (and ``extra``)."""
    values = {item.name: getattr(args, item.name) for item in declared(cls) if hasattr(args, item.name)}
    return cls(**values, **extra)


def output_epilog(files: Sequence[OutputFile], notes: str = "") -> str:
    """The ``--help`` epilog listing the files a sub-command writes (always / optional)."""
    width = max(len(name) for name, _, _ in files)
    lines = ["output files:"]
    for name, when, what in files:
        lines.append(f"  {name:<{width}}  {when:<8}  {what}")
    return "\n".join(lines) + (f"\n\n{notes}" if notes else "")


def subcommand(
    sub: argparse._SubParsersAction,
    name: str,
    *,
    help: str,
    files: Sequence[OutputFile] = (),
    notes: str = "",
) -> argparse.ArgumentParser:
    """A sub-command whose ``--help`` ends with its output files; ``--data-dir`` accepted after it."""
    epilog = output_epilog(files, notes) if files else notes or None
    parser = sub.add_parser(
        name,
        help=help,
        description=help[0].upper() + help[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,  # keeps the value given before the sub-command
        help="local directory with the published data (layout of shared/data); "
        "default: $NNP_TUTORIAL_DATA, else download into the user cache",
    )
    return parser


@dataclass(frozen=True)
class Common:
    """The options shared by the sub-commands, declared once (one spelling each)."""

    seed: int = setting(0, help="seed of every random choice", valid=at_least(0))
    out: str | None = setting(None, help="output directory", metavar="DIR")
    model: str | None = setting(
        None, help="directory of n2p2 files or a registered potential", metavar="MODEL"
    )
    dataset: str | None = setting(None, help="registered data set, e.g. revpbe0-d3", metavar="NAME")


def add_common(
    parser: argparse._ActionsContainer,
    name: str,
    *,
    help: str | None = None,
    required: bool = False,
    metavar: str | None = None,
    **changes: Any,
) -> None:
    """The shared option ``name`` (a field of :class:`Common`), with this sub-command's help.

    ``changes``: other fields of its :class:`~nnp_tutorial.config.Declared` (``default``).
    """
    item = next(i for i in declared(Common) if i.name == name)
    spec = replace(item.spec, help=help or item.spec.help, metavar=metavar or item.spec.metavar)
    add_setting(parser, replace(item, spec=spec, **changes), required=required)


def add_index(parser: argparse._ActionsContainer, *, default: str | None, help: str) -> None:
    """``--index``: which frames (:func:`frame_index`)."""
    parser.add_argument(
        "--index",
        type=frame_index,
        default=None if default is None else frame_index(default),
        metavar="N|START:STOP[:STEP]",
        help=help + ("" if default is None else f" (default {default})"),
    )


def add_no_progress(parser: argparse._ActionsContainer) -> None:
    """``--no-progress``."""
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def frame_index(text: str) -> int | slice:
    """``--index``: ``N`` (one frame; negative counts from the end) or ``START:STOP[:STEP]``.

    An empty selection that can be seen without the data (``5:5``, ``3:1``, step 0) is refused;
    :func:`nnp_tutorial.cli.inputs.selected_frames` refuses the rest once the frames are counted.
    """
    parts = text.split(":")
    try:
        numbers = [int(p) if p.strip() else None for p in parts]
    except ValueError:
        numbers = []
    if not numbers or len(numbers) > 3 or (len(numbers) == 1 and numbers[0] is None):
        raise argparse.ArgumentTypeError(
            f"invalid value {text!r}: expected a frame N or a range START:STOP[:STEP] of integers"
        )
    if len(numbers) == 1:
        return int(text)
    index = slice(*numbers)
    if index.step == 0:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: the step must not be 0")
    start, stop, step = index.start, index.stop, index.step or 1
    if start is not None and stop is not None and (start >= 0) == (stop >= 0) and (stop - start) * step <= 0:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: selects no frames")
    return index
