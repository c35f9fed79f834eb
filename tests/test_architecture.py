"""The package's shape: no import cycles (function-level and annotation-only imports included), no
imports of another module's private names, small files. Read from the syntax trees, nothing imported."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "nnp_tutorial"
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute name of what ``node`` imports from, as written in ``module``."""
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports(module: str) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) of every import in ``module``, at any depth,
    those under ``if TYPE_CHECKING:`` included (a cycle of annotations is still a cycle to a reader)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: list[tuple[str, str | None, int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.extend((alias.name, None, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = resolve(module, node)
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES:  # a submodule: ``from . import teacher``
                    found.append((f"{source}.{alias.name}", None, node.lineno))
                else:
                    found.append((source, alias.name, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def internal_edges() -> dict[str, set[str]]:
    """Module → the package modules it imports (a package's own ``__init__`` edges excluded when the
    importer is inside that package: importing ``a.b`` runs ``a/__init__`` first, which is not a cycle
    of ``a.b`` with ``a`` unless ``a`` imports ``a.b``, which the edge from ``a`` then shows)."""
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for target, _, _ in imports(module):
            if target in MODULES and target != module:
                if module.startswith(target + "."):
                    continue
                edges[module].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return found


def test_the_checker_finds_a_cycle_and_none_in_a_chain():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_import_cycles():
    assert cycles(internal_edges()) == []


def test_no_module_imports_another_modules_private_names():
    private = [
        f"{module} line {line}: {name} from {target}"
        for module in MODULES
        for target, name, line in imports(module)
        if target.startswith("nnp_tutorial") and name and name.startswith("_") and not name.startswith("__")
    ]
    assert private == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_files_are_small(module):
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(PACKAGE.parent)}: {lines} lines"


MAX_FUNCTION_LINES = 60


def long_functions() -> list[str]:
    """Functions (def to end, docstring included) over the limit without a ``# long:`` comment saying why
    in the comment block right above their first decorator or ``def``."""
    found = []
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                above = first - 2  # the comment block right above, if any
                while (
                    above >= 0
                    and lines[above].strip().startswith("#")
                    and not lines[above].strip().startswith("# long:")
                ):
                    above -= 1
                explained = above >= 0 and lines[above].strip().startswith("# long:")
                if length > MAX_FUNCTION_LINES and not explained:
                    found.append(f"{module}.{node.name} ({length} lines)")
    return found


def test_functions_are_short_or_say_why():
    assert long_functions() == []
