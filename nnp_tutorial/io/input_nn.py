"""Read and write RuNNer/n2p2 ``input.nn`` settings files.

The keywords understood here are those that define a short-range
Behler–Parrinello potential (n2p2 ``src/doc/sphinx/source/topics/keywords.rst``):

=================================  =================================================
keyword                            meaning
=================================  =================================================
``number_of_elements``, ``elements``  the elements (any order in the file)
``atom_energy E e``                per-element reference energy (Ha)
``cutoff_type c [alpha]``          cutoff function code (:mod:`nnp_tutorial.descriptors.cutoffs`)
``symfunction_short ...``          one symmetry function (types 2, 3, 9)
``scale_symmetry_functions``,      scaling of the network inputs (see :class:`NNPSettings`)
``center_symmetry_functions``,
``scale_symmetry_functions_sigma``,
``scale_min_short``, ``scale_max_short``
``global_hidden_layers_short``,    network topology and activation codes
``global_nodes_short``,
``global_activation_short``,
``element_nodes_short``
``normalize_nodes``                divide each neuron's input by the fan-in
``mean_energy``, ``conv_energy``,  n2p2's data-set normalisation
``conv_length``
=================================  =================================================

Any other keyword (training settings and so on) is kept verbatim in
:attr:`NNPSettings.extra` and written back unchanged. Comments start with ``#``
or ``!``.

Units: the file is in Bohr and Hartree; :class:`NNPSettings` is in Å and eV.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..descriptors.functions import (
    SYMMETRY_FUNCTION_TYPES,
    AngularG3,
    RadialG2,
    SymmetryFunction,
    n2p2_sort_key,
    sort_elements,
)
from ..errors import InputError, UnknownElementError
from ..units import BOHR_TO_ANGSTROM, HARTREE_TO_EV
from .atomic import atomic_write
from .nnp_settings import ACTIVATION_CODES, SCALING_MODES, NNPSettings, Normalization
from .numbers import finite_float

_HANDLED = {
    "number_of_elements",
    "elements",
    "atom_energy",
    "cutoff_type",
    "symfunction_short",
    "scale_symmetry_functions",
    "center_symmetry_functions",
    "scale_symmetry_functions_sigma",
    "scale_min_short",
    "scale_max_short",
    "global_hidden_layers_short",
    "global_nodes_short",
    "global_activation_short",
    "element_nodes_short",
    "normalize_nodes",
    "mean_energy",
    "conv_energy",
    "conv_length",
}


def _strip_comment(line: str) -> str:
    for marker in ("#", "!"):
        line = line.split(marker, 1)[0]
    return line.strip()


class _Parser:
    """Line-by-line reader that turns problems into :class:`InputError`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.line = 0

    def error(self, message: str) -> InputError:
        return InputError(message, path=self.path, line=self.line or None)

    def number(self, token: str, what: str) -> float:
        try:
            return finite_float(token)
        except ValueError:
            raise self.error(f"expected a finite number for {what}, found {token!r}") from None

    def integer(self, token: str, what: str) -> int:
        try:
            return int(token)
        except ValueError:
            raise self.error(f"expected an integer for {what}, found {token!r}") from None

    def need(self, args: list[str], n: int, usage: str) -> None:
        if len(args) < n:
            raise self.error(f"expected {usage}")


def _symmetry_function(p: _Parser, args: list[str], elements: set[str]) -> SymmetryFunction:
    usage2 = "symfunction_short <center> 2 <neighbor> <eta> <rshift> <rcutoff>"
    usage3 = (
        "symfunction_short <center> <3|9> <neighbor1> <neighbor2> <eta> <lambda> <zeta> <rcutoff> [<rshift>]"
    )
    p.need(args, 2, usage2)
    sf_type = p.integer(args[1], "the symmetry function type")
    if sf_type not in SYMMETRY_FUNCTION_TYPES:
        valid = ", ".join(str(t) for t in SYMMETRY_FUNCTION_TYPES)
        raise p.error(f"symmetry function type {sf_type} is not implemented (implemented: {valid})")
    n_neighbors = 1 if sf_type == 2 else 2
    for symbol in [args[0], *args[2 : 2 + n_neighbors]]:
        if symbol not in elements:
            raise p.error(f"element {symbol!r} is not in the 'elements' line")
    bohr = BOHR_TO_ANGSTROM
    if sf_type == 2:
        p.need(args, 6, usage2)
        eta, rs, rc = (p.number(a, n) for a, n in zip(args[3:6], ("eta", "rshift", "rcutoff")))
        return RadialG2(args[0], args[2], eta / bohr**2, rs * bohr, rc * bohr)
    p.need(args, 8, usage3)
    eta, lam, zeta, rc = (p.number(a, n) for a, n in zip(args[4:8], ("eta", "lambda", "zeta", "rcutoff")))
    rs = p.number(args[8], "rshift") if len(args) > 8 else 0.0
    if zeta < 1.0:
        raise p.error(f"zeta must be >= 1, found {zeta}")
    cls = SYMMETRY_FUNCTION_TYPES[sf_type]
    return cls(args[0], args[2], args[3], eta / bohr**2, lam, zeta, rc * bohr, rs * bohr)


@dataclass
class _KeywordLines:
    """The lines of an ``input.nn``, grouped by keyword, each with its line number.

    Attributes
    ----------
    single : dict of str to (int, list of str)
        Keywords given once (the last occurrence wins): line number and arguments.
    symfunctions : list of (int, list of str)
        Every ``symfunction_short`` line, in file order.
    multi : dict of str to list of (int, list of str)
        ``atom_energy`` and ``element_nodes_short`` lines, in file order.
    extra : list of str
        Lines with keywords not interpreted here, verbatim (trailing blanks removed).
    """

    single: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    symfunctions: list[tuple[int, list[str]]] = field(default_factory=list)
    multi: dict[str, list[tuple[int, list[str]]]] = field(
        default_factory=lambda: {"atom_energy": [], "element_nodes_short": []}
    )
    extra: list[str] = field(default_factory=list)

    def __contains__(self, keyword: str) -> bool:
        return keyword in self.single

    def value(self, p: _Parser, keyword: str) -> list[str]:
        """The arguments of ``keyword``; points ``p`` at its line (error if missing)."""
        if keyword not in self.single:
            p.line = 0
            raise p.error(f"keyword {keyword!r} is missing")
        p.line = self.single[keyword][0]
        return self.single[keyword][1]


def _keyword_lines(p: _Parser) -> _KeywordLines:
    """Read ``p.path`` and sort its non-comment lines by keyword."""
    lines = _KeywordLines()
    try:
        text = p.path.read_text()
    except OSError as exc:
        raise InputError(f"cannot read settings file ({exc.strerror})", path=p.path) from None
    for p.line, raw in enumerate(text.splitlines(), start=1):
        content = _strip_comment(raw)
        if not content:
            continue
        keyword, *args = content.split()
        if keyword == "symfunction_short":
            lines.symfunctions.append((p.line, args))
        elif keyword in lines.multi:
            lines.multi[keyword].append((p.line, args))
        elif keyword in _HANDLED:
            lines.single[keyword] = (p.line, args)
        else:
            lines.extra.append(raw.rstrip())
    return lines


def _elements(p: _Parser, lines: _KeywordLines) -> list[str]:
    """The ``elements`` line, checked against ``number_of_elements``, ordered by atomic number."""
    elements_raw = lines.value(p, "elements")
    for symbol in elements_raw:
        try:
            sort_elements([symbol])
        except UnknownElementError:
            raise p.error(f"{symbol!r} is not a chemical element symbol") from None
    n_elements = p.integer(lines.value(p, "number_of_elements")[0], "number_of_elements")
    if n_elements != len(elements_raw):
        raise p.error(f"number_of_elements is {n_elements} but {len(elements_raw)} elements are listed")
    return sort_elements(elements_raw)


def _cutoff(p: _Parser, lines: _KeywordLines) -> tuple[int, float]:
    """``cutoff_type c [alpha]``: the n2p2 cutoff code and the inner cutoff alpha (fraction of r_c)."""
    cutoff_args = lines.value(p, "cutoff_type")
    cutoff_type = p.integer(cutoff_args[0], "cutoff_type")
    cutoff_alpha = p.number(cutoff_args[1], "the cutoff alpha") if len(cutoff_args) > 1 else 0.0
    if not 0.0 <= cutoff_alpha < 1.0:
        raise p.error(f"the inner cutoff alpha must be in [0, 1), found {cutoff_alpha}")
    return cutoff_type, cutoff_alpha


def _symmetry_functions(
    p: _Parser, lines: _KeywordLines, elements: list[str]
) -> dict[str, list[SymmetryFunction]]:
    """Per element, its symmetry functions (Å) in n2p2's sorted order; none missing, none twice."""
    functions: dict[str, list[SymmetryFunction]] = {e: [] for e in elements}
    for p.line, args in lines.symfunctions:
        sf = _symmetry_function(p, args, set(elements))
        if sf in functions[sf.center]:
            raise p.error(f"duplicate symmetry function {sf}")
        functions[sf.center].append(sf)
    for e in elements:
        if not functions[e]:
            p.line = 0
            raise p.error(f"no symmetry function for element {e}")
        functions[e].sort(key=n2p2_sort_key)
    return functions


def _optional_number(p: _Parser, lines: _KeywordLines, keyword: str, default: float) -> float:
    """The number after ``keyword``, or ``default`` if the file does not have it."""
    return p.number(lines.value(p, keyword)[0], keyword) if keyword in lines else default


def _scaling(p: _Parser, lines: _KeywordLines) -> tuple[str, float, float]:
    """The scaling mode (one of :data:`SCALING_MODES`) and the target range S_min, S_max."""
    scale = "scale_symmetry_functions" in lines
    center = "center_symmetry_functions" in lines
    sigma = "scale_symmetry_functions_sigma" in lines
    scaling = {
        (True, True): "scale_center",
        (True, False): "scale",
        (False, True): "center",
    }.get((scale, center), "scale_sigma" if sigma else "none")
    scale_min = _optional_number(p, lines, "scale_min_short", 0.0)
    scale_max = _optional_number(p, lines, "scale_max_short", 1.0)
    return scaling, scale_min, scale_max


def _hidden_layers(p: _Parser, lines: _KeywordLines) -> tuple[int, list[int], list[str]]:
    """The number of hidden layers, the neurons and the activation code of each."""
    n_hidden = p.integer(lines.value(p, "global_hidden_layers_short")[0], "global_hidden_layers_short")
    nodes_args = lines.value(p, "global_nodes_short")
    if len(nodes_args) < n_hidden:
        raise p.error(f"expected {n_hidden} numbers of nodes, found {len(nodes_args)}")
    nodes = [p.integer(a, "global_nodes_short") for a in nodes_args[:n_hidden]]
    act_args = lines.value(p, "global_activation_short")
    if len(act_args) < n_hidden + 1:
        raise p.error(f"expected {n_hidden + 1} activation codes (hidden layers and output)")
    activations = act_args[:n_hidden]
    if act_args[n_hidden] != "l":
        raise p.error(
            f"the output layer must be linear ('l'), found {act_args[n_hidden]!r}: "
            "nnp_tutorial's atomic networks have a linear output, like n2p2's"
        )
    for a in activations:
        if a not in ACTIVATION_CODES:
            raise p.error(f"unknown activation {a!r}; valid codes: {', '.join(ACTIVATION_CODES)}")
    return n_hidden, nodes, activations


def _element_nodes(
    p: _Parser, lines: _KeywordLines, elements: list[str], n_hidden: int, nodes: list[int]
) -> dict[str, list[int]]:
    """Per element, the neurons of each hidden layer: ``nodes`` unless ``element_nodes_short`` differs."""
    hidden_nodes = {e: list(nodes) for e in elements}
    for p.line, args in lines.multi["element_nodes_short"]:
        p.need(args, 3, "element_nodes_short <element> <layer> <nodes>")
        if args[0] not in hidden_nodes:
            raise p.error(f"element {args[0]!r} is not in the 'elements' line")
        layer = p.integer(args[1], "the layer")
        if not 1 <= layer <= n_hidden:
            raise p.error(f"layer must be between 1 and {n_hidden}, found {layer}")
        hidden_nodes[args[0]][layer - 1] = p.integer(args[2], "the number of nodes")
    return hidden_nodes


def _atom_energies(p: _Parser, lines: _KeywordLines, elements: list[str]) -> dict[str, float]:
    """Per element, the ``atom_energy`` reference energy converted to eV."""
    atom_energies: dict[str, float] = {}
    for p.line, args in lines.multi["atom_energy"]:
        p.need(args, 2, "atom_energy <element> <energy>")
        if args[0] not in elements:
            raise p.error(f"element {args[0]!r} is not in the 'elements' line")
        atom_energies[args[0]] = p.number(args[1], "the atomic energy") * HARTREE_TO_EV
    return atom_energies


def _normalization(p: _Parser, lines: _KeywordLines) -> Normalization | None:
    """The n2p2 normalisation block in eV and Å, or None if absent (all three keywords or none)."""
    norm_keys = [k for k in ("mean_energy", "conv_energy", "conv_length") if k in lines]
    if not norm_keys:
        return None
    if len(norm_keys) != 3:
        p.line = lines.single[norm_keys[0]][0]
        raise p.error("use all or none of mean_energy, conv_energy and conv_length")
    return Normalization(
        mean_energy=p.number(lines.value(p, "mean_energy")[0], "mean_energy") * HARTREE_TO_EV,
        conv_energy=p.number(lines.value(p, "conv_energy")[0], "conv_energy") / HARTREE_TO_EV,
        conv_length=p.number(lines.value(p, "conv_length")[0], "conv_length") / BOHR_TO_ANGSTROM,
    )


def read_input_nn(path: str | Path) -> NNPSettings:
    """Read an ``input.nn`` file.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    NNPSettings
        Settings in Å and eV.

    Raises
    ------
    InputError
        With file and line, for a malformed or inconsistent file.
    """
    p = _Parser(Path(path))
    lines = _keyword_lines(p)
    elements = _elements(p, lines)
    cutoff_type, cutoff_alpha = _cutoff(p, lines)
    functions = _symmetry_functions(p, lines, elements)
    scaling, scale_min, scale_max = _scaling(p, lines)
    n_hidden, nodes, activations = _hidden_layers(p, lines)
    hidden_nodes = _element_nodes(p, lines, elements, n_hidden, nodes)
    atom_energies = _atom_energies(p, lines, elements)
    return NNPSettings(
        elements=elements,
        symmetry_functions=functions,
        cutoff_type=cutoff_type,
        cutoff_alpha=cutoff_alpha,
        scaling=scaling,
        scale_min=scale_min,
        scale_max=scale_max,
        hidden_nodes=hidden_nodes,
        activations=activations,
        normalize_nodes="normalize_nodes" in lines,
        normalization=_normalization(p, lines),
        atom_energies=atom_energies,
        extra=lines.extra,
    )


def _symfunction_line(sf: SymmetryFunction) -> str:
    bohr = BOHR_TO_ANGSTROM
    if isinstance(sf, RadialG2):
        return (
            f"symfunction_short {sf.center:2s} 2 {sf.neighbor:2s} "
            f"{sf.eta * bohr**2:.16E} {sf.rs / bohr:.16E} {sf.rc / bohr:.16E}"
        )
    assert isinstance(sf, AngularG3)
    return (
        f"symfunction_short {sf.center:2s} {sf.type} {sf.neighbor1:2s} {sf.neighbor2:2s} "
        f"{sf.eta * bohr**2:.16E} {sf.lambda_:.16E} {sf.zeta:.16E} {sf.rc / bohr:.16E} "
        f"{sf.rs / bohr:.16E}"
    )


def _scaling_lines(settings: NNPSettings) -> list[str]:
    """The keywords that select ``settings.scaling`` and, unless it is ``none``, S_min and S_max."""
    lines = []
    if settings.scaling in ("scale", "scale_center"):
        lines.append("scale_symmetry_functions")
    if settings.scaling in ("center", "scale_center"):
        lines.append("center_symmetry_functions")
    if settings.scaling == "scale_sigma":
        lines.append("scale_symmetry_functions_sigma")
    if settings.scaling != "none":
        lines += [
            f"scale_min_short {settings.scale_min:.16E}",
            f"scale_max_short {settings.scale_max:.16E}",
        ]
    return lines


def _topology_lines(settings: NNPSettings) -> list[str]:
    """The hidden layers: global nodes and activations (the first element's), then per-element deviations."""
    first = settings.hidden_nodes[settings.elements[0]]
    lines = [
        f"global_hidden_layers_short {len(settings.activations)}",
        "global_nodes_short " + " ".join(str(n) for n in first),
        "global_activation_short " + " ".join([*settings.activations, "l"]),
    ]
    for e in settings.elements:
        for layer, (n, n0) in enumerate(zip(settings.hidden_nodes[e], first), start=1):
            if n != n0:
                lines.append(f"element_nodes_short {e} {layer} {n}")
    return lines


def write_input_nn(settings: NNPSettings, path: str | Path) -> None:
    """Write ``settings`` as an n2p2 ``input.nn`` (Bohr, Hartree).

    Parameters
    ----------
    settings : NNPSettings
    path : str or Path
        Destination; written atomically.
    """
    if settings.scaling not in SCALING_MODES:
        raise ValueError(f"unknown scaling {settings.scaling!r}; valid: {', '.join(SCALING_MODES)}")
    hartree, bohr = HARTREE_TO_EV, BOHR_TO_ANGSTROM
    lines = [
        "# HDNNP written by nnp_tutorial",
        "# Length unit: Bohr; energy unit: Ha",
        "",
    ]
    norm = settings.normalization
    if norm is not None:
        lines += [
            f"mean_energy {norm.mean_energy / hartree:.16E}",
            f"conv_energy {norm.conv_energy * hartree:.16E}",
            f"conv_length {norm.conv_length * bohr:.16E}",
        ]
    lines += [
        f"number_of_elements {len(settings.elements)}",
        "elements " + " ".join(settings.elements),
    ]
    lines += [f"atom_energy {e} {v / hartree:.16E}" for e, v in settings.atom_energies.items()]
    cutoff = f"cutoff_type {settings.cutoff_type}"
    if settings.cutoff_alpha:
        cutoff += f" {settings.cutoff_alpha:.16E}"
    lines.append(cutoff)
    lines += _scaling_lines(settings)
    lines += _topology_lines(settings)
    if settings.normalize_nodes:
        lines.append("normalize_nodes")
    lines += ["", *settings.extra, ""]
    for e in settings.elements:
        lines += [_symfunction_line(sf) for sf in settings.symmetry_functions[e]]
    with atomic_write(path) as handle:
        handle.write("\n".join(lines) + "\n")
