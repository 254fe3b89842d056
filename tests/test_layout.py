"""The package layout holds: imports run down the chain of docs/internals.md, and nothing new hides at the top.

The rules live once, in docs/internals.md ("The tree", "Package import graph", "Upward lazy imports");
these tests read them and check the ``ast`` of every module against them (see tests/layout_graph.py).
"""

from __future__ import annotations

import pytest

from tests import layout_graph as lg

DOC = "docs/internals.md"
TOP_LEVEL = {"__init__", "__main__", "errors", "home", "_version"}


@pytest.fixture(scope="module")
def doc() -> str:
    return lg.DOC.read_text()


@pytest.fixture(scope="module")
def rows(doc) -> dict[str, lg.Layer]:
    return {row.package: row for row in lg.layers(doc)}


@pytest.fixture(scope="module")
def rank(rows) -> dict[str, int]:
    return {name: row.layer for name, row in rows.items() if row.layer is not None}


@pytest.fixture(scope="module")
def edges() -> list[lg.Edge]:
    return lg.edges()


def test_the_top_level_holds_only_the_public_api_errors_home_and_version():
    extra = sorted(p.stem for p in lg.SOURCE.glob("*.py") if p.stem not in TOP_LEVEL)

    assert extra == [], (
        f"new top-level module(s) {', '.join(f'attini_sdk/{m}.py' for m in extra)}: the top level holds only "
        f"{', '.join(sorted(TOP_LEVEL))}. Move the module into the package of its stage (the table 'The tree' "
        f"in {DOC}); re-export a public name through attini_sdk/__init__.py's _LAZY table if users need it.")


def test_every_folder_is_a_package_with_a_row_and_a_layer(rank):
    folders = sorted({p.parent for p in lg.SOURCE.rglob("*.py")} - {lg.SOURCE})
    plain = [str(f.relative_to(lg.ROOT)) for f in folders if not (f / "__init__.py").exists()]
    assert plain == [], f"{plain}: give each folder an __init__.py with a docstring saying what it holds"
    packages = sorted(p.name for p in lg.SOURCE.iterdir() if (p / "__init__.py").exists())
    top_modules = sorted(lg.package_name(p.name) for p in lg.SOURCE.glob("*.py"))

    missing = [p for p in packages + top_modules if p not in rank]
    assert missing == [], (
        f"attini_sdk/{missing[0]} has no layer in the table 'The tree' of {DOC}: add a row (or give its "
        "'coming' row a number) saying what it holds and which lower packages it may import")


def test_the_package_graph_has_no_cycle(edges):
    graph: dict[str, set[str]] = {}
    for a, b in lg.package_edges(edges):
        graph.setdefault(a, set()).add(b)

    cycle = lg.find_cycle(graph)
    assert cycle is None, (
        f"package import cycle {' -> '.join(cycle)}; the imports behind it: "
        + "; ".join(_first(lg.package_edges(edges)[(a, b)]) for a, b in zip(cycle, cycle[1:]))
        + f". Module-level imports run down the chain of {DOC}: move the import that goes up into the "
          "function that needs it (and list it under 'Upward lazy imports'), or move the code to its stage")


def test_module_level_imports_run_down_the_chain_to_listed_packages(edges, rows, rank):
    wrong = []
    for (a, b), found in sorted(lg.package_edges(edges).items()):
        if a not in rank or b not in rank:
            continue  # reported by test_every_package_has_a_row_with_a_layer
        if rank[b] >= rank[a]:
            wrong.append(f"{_first(found)} imports {found[0].target}: {b} (layer {rank[b]}) is not below {a} "
                         f"(layer {rank[a]}). Import it inside the function that needs it (and list it under "
                         f"'Upward lazy imports' in {DOC}), or move the code to the stage it belongs to")
        elif b not in rows[a].may_import:
            wrong.append(f"{_first(found)} imports {found[0].target}, but {a}'s row in {DOC} ('The tree', "
                         f"line {rows[a].line}) does not list {b} under 'may import': add it there if {a} "
                         f"should depend on {b}, and regenerate the graph (python -m tests.layout_graph)")
    assert wrong == [], "\n".join(wrong)


def test_what_a_row_may_import_lies_below_it(rows, rank):
    above = [f"{DOC} line {row.line}: {name} (layer {row.layer}) may not import {other} (layer {rank.get(other)})"
             for name, row in rows.items() if row.layer is not None
             for other in sorted(row.may_import) if rank.get(other, row.layer) >= row.layer]

    assert above == [], "\n".join(above) + "\n'may import' names only packages of lower layers"


def test_modules_inside_a_package_import_each_other_without_a_circle(edges):
    graph: dict[str, set[str]] = {}
    where: dict[tuple[str, str], lg.Edge] = {}
    for e in edges:
        if e.kind == "module" and lg.package_of(e.source) == lg.package_of(e.target):
            graph.setdefault(e.source, set()).add(e.target)
            where.setdefault((e.source, e.target), e)

    cycle = lg.find_cycle(graph)
    assert cycle is None, (
        f"module import circle {' -> '.join(cycle)} ("
        + "; ".join(f"{where[(a, b)].where()}" for a, b in zip(cycle, cycle[1:]))
        + "): move what both need into a third module, or import one side inside the function that uses it")


def test_upward_lazy_imports_are_exactly_the_listed_ones(doc, edges, rank):
    listed = lg.allow_list(doc)
    upward = [e for e in edges if e.kind == "lazy" and lg.package_of(e.source) != lg.package_of(e.target)
              and rank.get(lg.package_of(e.target), -1) >= rank.get(lg.package_of(e.source), -1)]
    found = {(e.source, e.function): e for e in upward}

    unlisted = [f"{e.where()}: {e.source} imports {e.target}, which comes later in the chain" for e in upward
                if listed.get((e.source, e.function)) != e.target]
    assert unlisted == [], "\n".join(unlisted) + (
        f"\nOnly a convenience method that delegates to a later stage may do that, with one import, listed in "
        f"{DOC} under 'Upward lazy imports' (module, function, imports, why). Otherwise move the code down, or "
        "pass what it needs in from the caller")
    stale = [f"{module} {function}() -> {target}" for (module, function), target in listed.items()
             if (module, function) not in found]
    assert stale == [], f"{DOC} lists upward imports the code no longer has: {stale}; remove those rows"
    several = [f"{e.source} {e.function}()" for e in upward
               if sum(1 for o in upward if (o.source, o.function) == (e.source, e.function)) > 1]
    assert several == [], f"{sorted(set(several))}: one upward import per method; delegate through one name"


def test_the_documented_graph_is_the_graph_of_the_code(doc, edges):
    expected = lg.mermaid(lg.package_edges(edges), lg.layers(doc))

    assert lg.documented_graph(doc) == expected, (
        f"the package import graph in {DOC} is out of date: replace its mermaid block with what "
        "`python -m tests.layout_graph` prints")


def test_the_checker_sees_every_kind_of_import(edges):
    # guards the guard: one known import of each kind, so a parser change cannot make the tests above vacuous
    kinds = {(e.source, e.target, e.kind, e.function) for e in edges}

    assert ("attini_sdk.plan._syntax", "attini_sdk.asl.paths", "module", None) in kinds
    assert ("attini_sdk.deploy.flow", "attini_sdk.deploy.environment", "type", None) in kinds
    assert ("attini_sdk.config.load", "attini_sdk.config.semver", "module", None) in kinds  # a submodule
    assert ("attini_sdk.asl.engine", "attini_sdk.plan.validate", "lazy", "Engine.validate") in kinds
    assert lg.find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def _first(found: list[lg.Edge]) -> str:
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return f"{found[0].where()}{more}"
