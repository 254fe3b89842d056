"""The import graph of ``attini_sdk``, read from the ``ast`` of every module (nothing is imported).

Used by ``tests/test_layout.py``; run it to print the facts that ``docs/internals.md`` shows::

    python -m tests.layout_graph            # the package graph (mermaid) and every upward lazy import

An import is *module-level* when it runs as the module is imported (top level, class bodies, ``try``/``if``
blocks), *type-only* under a module-level ``if TYPE_CHECKING:``, and *lazy* inside a function.
``importlib.import_module("...")`` with a literal name counts as a lazy import. Importing a package's
submodule (``from attini_sdk.config import semver``) is an edge to that submodule, not to the package's
``__init__``: Python imports the parent first, but a parent being initialised is never a circle that fails.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "attini_sdk"
TOP = "attini_sdk"


def parse_module(path: Path) -> ast.Module:
    """``ast.parse`` of a file, tried again when CPython 3.11 reports a false "AST constructor recursion depth
    mismatch": its AST conversion keeps the depth in state shared by all threads, so a traceback formatted at the
    same moment by a thread of another test (3.11 parses the failing line to draw its ``^^^`` carets) spoils
    this call (python/cpython#106905); a second call starts from fresh state."""
    source = path.read_text()
    for attempt in range(5):
        try:
            return ast.parse(source, str(path))
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc) or attempt == 4:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Edge:
    """One import of an ``attini_sdk`` module by another."""

    source: str  # importing module, dotted
    target: str  # imported module, dotted
    path: str  # file of the importing module, relative to the repository
    line: int
    kind: str  # "module", "type" or "lazy"
    function: str | None = None  # qualified name of the enclosing function for lazy imports

    def where(self) -> str:
        inside = f" in {self.function}()" if self.function else ""
        return f"{self.path}:{self.line}{inside}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(p): p for p in sorted(SOURCE.rglob("*.py"))}


def package_of(module: str) -> str:
    """The stage a module belongs to: ``config`` for ``attini_sdk.config.load``, ``errors`` for
    ``attini_sdk.errors``, ``backends`` for ``attini_sdk.backends.local.db``, ``attini_sdk`` for the root
    package itself (the public API)."""
    parts = module.split(".")
    return TOP if len(parts) == 1 else parts[1]


class _Visitor(ast.NodeVisitor):
    def __init__(self, module: str, path: Path, known: set[str]):
        self.module, self.known = module, known
        self.path = str(path.relative_to(ROOT))
        self.is_package = path.name == "__init__.py"
        self.functions: list[str] = []
        self.scopes: list[str] = []
        self.type_only = False
        self.edges: list[Edge] = []

    # -- scopes -----------------------------------------------------------------------------------------
    def _function(self, node) -> None:
        self.functions.append(".".join([*self.scopes, node.name]))
        self.scopes.append(node.name)
        self.generic_visit(node)
        self.scopes.pop()
        self.functions.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node) -> None:
        self.functions.append(".".join([*self.scopes, "<lambda>"]))
        self.generic_visit(node)
        self.functions.pop()

    def visit_ClassDef(self, node) -> None:
        self.scopes.append(node.name)
        self.generic_visit(node)
        self.scopes.pop()

    def visit_If(self, node) -> None:
        test = node.test
        checking = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
        if checking and not self.functions:
            self.type_only = True
            for child in node.body:
                self.visit(child)
            self.type_only = False
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    # -- imports ----------------------------------------------------------------------------------------
    def _add(self, target: str, node) -> None:
        if not (target == TOP or target.startswith(TOP + ".")):
            return
        if self.functions:
            kind, function = "lazy", self.functions[-1]
        else:
            kind, function = ("type" if self.type_only else "module"), None
        self.edges.append(Edge(self.module, target, self.path, node.lineno, kind, function))

    def _resolve(self, name: str) -> str:
        """The deepest known module that ``name`` (a dotted module path) names or lies in."""
        while name and name not in self.known:
            name = name.rpartition(".")[0]
        return name

    def visit_Import(self, node) -> None:
        for alias in node.names:
            self._add(self._resolve(alias.name), node)

    def visit_ImportFrom(self, node) -> None:
        base = node.module or ""
        if node.level:
            package = self.module if self.is_package else self.module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            self._add(submodule if submodule in self.known else self._resolve(base), node)

    def visit_Call(self, node) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name == "import_module" and node.args and isinstance(node.args[0], ast.Constant):
            if isinstance(node.args[0].value, str):
                self._add(self._resolve(node.args[0].value), node)
        self.generic_visit(node)


def edges() -> list[Edge]:
    """Every import of an attini_sdk module by an attini_sdk module, in file order."""
    found = modules()
    known = set(found)
    result = []
    for name, path in found.items():
        visitor = _Visitor(name, path, known)
        visitor.visit(parse_module(path))
        result.extend(e for e in visitor.edges if e.target != e.source)
    return result


def package_edges(all_edges: list[Edge]) -> dict[tuple[str, str], list[Edge]]:
    """Module-level and type-only imports between different packages, grouped by (from, to)."""
    grouped: dict[tuple[str, str], list[Edge]] = {}
    for e in all_edges:
        a, b = package_of(e.source), package_of(e.target)
        if e.kind != "lazy" and a != b:
            grouped.setdefault((a, b), []).append(e)
    return grouped


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None (depth-first search, deterministic order)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


# -- docs/internals.md: the layers, the allow-list and the graph it shows ---------------------------------

DOC = ROOT / "docs" / "internals.md"
_TICKED = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Layer:
    """One row of the tree table: a package, its place in the chain and what it may import at module level."""

    package: str
    layer: int | None  # None: announced ("coming"), not built yet
    may_import: frozenset[str]
    line: int


def package_name(cell: str) -> str:
    """``config/`` -> ``config``, ``errors.py`` -> ``errors``, ``__init__.py`` -> ``attini_sdk``."""
    name = cell.strip().removeprefix("attini_sdk/").removesuffix("/").removesuffix(".py")
    return TOP if name == "__init__" else name


def _table(text: str, heading: str) -> list[tuple[int, list[str]]]:
    """The rows (line number, cells) of the first table after ``heading``, header and rule left out."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == heading)
    rows, seen = [], False
    for number, line in enumerate(lines[start + 1:], start + 2):
        if line.startswith("|"):
            seen = True
            rows.append((number, [c.strip() for c in line.strip().strip("|").split("|")]))
        elif seen:
            break
    return rows[2:]


def layers(text: str) -> list[Layer]:
    """The tree table of docs/internals.md (section ``## The tree``)."""
    result = []
    for number, (layer, package, _holds, may) in _table(text, TREE_HEADING):
        names = [package_name(n) for n in _TICKED.findall(package)]
        allowed = frozenset(package_name(n) for n in _TICKED.findall(may))
        result.extend(Layer(n, int(layer) if layer.isdigit() else None, allowed, number) for n in names)
    return result


def allow_list(text: str) -> dict[tuple[str, str], str]:
    """``{(module, function): imported module}`` from the table of upward lazy imports."""
    result = {}
    for _number, cells in _table(text, ALLOW_HEADING):
        module, function, target = (_TICKED.findall(c)[0] for c in cells[:3])
        result[(module, function.removesuffix("()"))] = target
    return result


TREE_HEADING = "## The tree"
ALLOW_HEADING = "## Upward lazy imports"
GRAPH_HEADING = "## Package import graph"


def documented_graph(text: str) -> str:
    """The mermaid block under the graph heading, as written."""
    after = text[text.index(GRAPH_HEADING):]
    start = after.index("```mermaid\n") + len("```mermaid\n")
    return after[start:after.index("```", start)].rstrip("\n")


def mermaid(grouped: dict[tuple[str, str], list[Edge]], order: list[Layer]) -> str:
    """The package graph as a mermaid flowchart: surfaces on top, every edge one module-level dependency."""
    rank = {row.package: row.layer for row in order if row.layer is not None}
    shown = sorted(rank, key=lambda p: (-rank[p], p))
    lines = ["flowchart TD"]
    lines += [f'    {_node(p)}["{_label(p)}"]' for p in shown]
    for a, b in sorted(grouped, key=lambda ab: (-rank.get(ab[0], 99), ab[0], -rank.get(ab[1], 99), ab[1])):
        lines.append(f"    {_node(a)} --> {_node(b)}")
    return "\n".join(lines)


def _node(package: str) -> str:
    return {TOP: "api", "__main__": "main"}.get(package, package.strip("_"))


def _label(package: str) -> str:
    if package == TOP:
        return "__init__.py (public API)"
    return f"{package}.py" if (SOURCE / f"{package}.py").exists() else f"{package}/"


def _main() -> Iterator[str]:
    text = DOC.read_text()
    all_edges = edges()
    yield "```mermaid"
    yield mermaid(package_edges(all_edges), layers(text))
    yield "```"
    yield ""
    rank = {row.package: row.layer for row in layers(text) if row.layer is not None}
    for e in all_edges:
        a, b = package_of(e.source), package_of(e.target)
        if e.kind == "lazy" and a != b and rank.get(b, 99) >= rank.get(a, 99):
            yield f"upward lazy import: {e.where()}: {e.source} -> {e.target}"


if __name__ == "__main__":
    print("\n".join(_main()))
