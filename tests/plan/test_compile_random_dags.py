"""The compiler on random dependency graphs: every edge kept, no step twice, lost concurrency reported exactly."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attini_sdk.errors import PlanError
from attini_sdk.plan import Plan, Runner
from attini_sdk.plan.graph import CycleError, Graph
from .asl_walker import finished_before, occurrences, states_by_name

EXAMPLES = settings(max_examples=150, deadline=None)


@st.composite
def dags(draw, max_steps=40):
    n = draw(st.integers(1, max_steps))
    density = draw(st.floats(0.0, 0.5))
    rnd = random.Random(draw(st.integers(0, 2**32)))
    edges = {(i, j) for i in range(n) for j in range(i + 1, n) if rnd.random() < density}
    order = list(range(n))
    rnd.shuffle(order)
    return n, edges, order


def build(n, edges, order, names=None):
    steps = []
    for j in range(n):
        deps = [steps[i] for i in range(j) if (i, j) in edges]
        steps.append(Runner(names[j] if names else f"S{j}", commands=["true"], after=deps))
    plan = Plan()
    for i in order:
        plan.add(steps[i])
    return plan


def closure(n, edges):
    reach = {i: set() for i in range(n)}
    for i in reversed(range(n)):
        for (a, b) in edges:
            if a == i:
                reach[i] |= {b} | reach[b]
    return reach


@EXAMPLES
@given(dags())
def test_every_edge_is_respected_and_no_step_appears_twice(dag):
    n, edges, order = dag
    compiled = build(n, edges, order).compile()

    before, _ = finished_before(compiled.definition)
    names = [name for name in occurrences(compiled.definition) if name.startswith("S")]

    assert sorted(names) == sorted(f"S{i}" for i in range(n))
    for a, b in edges:
        assert f"S{a}" in before[f"S{b}"], f"S{a} must finish before S{b} starts"


@EXAMPLES
@given(dags())
def test_lost_concurrency_is_reported_exactly(dag):
    n, edges, order = dag
    compiled = build(n, edges, order).compile()
    reach = closure(n, edges)

    before, _ = finished_before(compiled.definition)
    serialised = {(f"S{a}", f"S{b}") for a in range(n) for b in range(n)
                  if a != b and f"S{a}" in before[f"S{b}"] and b not in reach[a]}

    assert serialised == set(compiled.lost_concurrency)


@st.composite
def names_like_generated_ones(draw, n):
    """Step names, some of them the very names the compiler makes up (Parallel-3, Parallel-3-Merge)."""
    return [draw(st.sampled_from([f"S{j}", f"Parallel-{j}", f"Parallel-{j}-Merge"])) for j in range(n)]


@EXAMPLES
@given(dags(max_steps=30), st.data())
def test_generated_names_never_collide_with_the_users(dag, data):
    n, edges, order = dag
    names = data.draw(names_like_generated_ones(n))

    compiled = build(n, edges, order, names).compile()      # the validator refuses any duplicate name

    everywhere = occurrences(compiled.definition)
    assert len(everywhere) == len(set(everywhere))
    assert set(names) <= set(everywhere)
    bodies = states_by_name(compiled.definition)
    assert all(bodies[name]["Resource"] == "attini:runner" for name in names)  # no user step was replaced


@st.composite
def series_parallel(draw, budget=40):
    """A random series-parallel graph: (nodes, edges, sources, sinks)."""
    counter = iter(range(10_000))

    def make(size):
        if size == 1 or draw(st.integers(0, 3)) == 0:
            v = next(counter)
            return [v], set(), [v], [v]
        left = draw(st.integers(1, size - 1))
        a, b = make(left), make(size - left)
        nodes, edges = a[0] + b[0], a[1] | b[1]
        if draw(st.booleans()):
            edges |= {(x, y) for x in a[3] for y in b[2]}
            return nodes, edges, a[2], b[3]
        return nodes, edges, a[2] + b[2], a[3] + b[3]

    return make(draw(st.integers(1, budget)))


@EXAMPLES
@given(series_parallel())
def test_series_parallel_graphs_lose_no_concurrency(sp):
    nodes, edges, _, _ = sp
    renumber = {v: i for i, v in enumerate(sorted(nodes))}
    n = len(nodes)
    edges = {(renumber[a], renumber[b]) for a, b in edges}
    compiled = build(n, edges, list(range(n))).compile()
    assert compiled.lost_concurrency == frozenset()


def test_the_n_shape_is_not_series_parallel_and_says_what_it_serialises():
    a, b = Runner("A", commands=["a"]), Runner("B", commands=["b"])
    c = Runner("C", commands=["c"], after=[a, b])
    d = Runner("D", commands=["d"], after=[b])

    compiled = Plan(c, d).compile()

    before, _ = finished_before(compiled.definition)
    assert {"A", "B"} <= before["C"] and "B" in before["D"]
    assert compiled.lost_concurrency == {("A", "D")}


@EXAMPLES
@given(dags(max_steps=25), st.data())
def test_cycles_are_rejected_naming_a_real_cycle(dag, data):
    n, edges, _ = dag
    if n < 2:
        return
    a = data.draw(st.integers(0, n - 2))
    b = data.draw(st.integers(a + 1, n - 1))
    edges = set(edges) | {(a, b), (b, a)}
    with pytest.raises(CycleError) as err:
        Graph(range(n), edges)
    cycle = err.value.cycle
    assert cycle[0] == cycle[-1] and len(cycle) >= 3
    assert all((x, y) in edges for x, y in zip(cycle, cycle[1:]))


def test_a_cycle_in_a_plan_is_a_plan_error_naming_the_steps():
    inner = Runner("Build", commands=["true"])
    test = Runner("Test", commands=["true"], after=[inner])
    from attini_sdk.plan import Parallel

    wrapper = Parallel("Pipeline", branches=[[inner]], after=[test])
    with pytest.raises(PlanError, match="cycle: (Pipeline -> Test -> Pipeline|Test -> Pipeline -> Test)"):
        Plan(wrapper).compile()
