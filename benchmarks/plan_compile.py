"""Compile 500-step plans and time it, beside two peers measured in the same run.

    .venv/bin/python benchmarks/plan_compile.py

Shapes: a chain, a wide fan (500 independent steps), layered random DAGs
(not series-parallel), and a series-parallel tree. Peers: ``graphlib``
topological sorting of the same graph (the least any scheduler must do) and
a ``json`` dump of the compiled plan (what packaging does with it anyway).
"""

from __future__ import annotations

import graphlib
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from attini_sdk.plan import Plan, Runner  # noqa: E402

N = 500


def chain():
    return {i: [i - 1] if i else [] for i in range(N)}


def fan():
    return {i: [] for i in range(N)}


def layered(seed=7, width=20):
    rnd = random.Random(seed)
    deps = {}
    for i in range(N):
        layer = i // width
        prev = range((layer - 1) * width, layer * width) if layer else []
        deps[i] = rnd.sample(list(prev), k=min(2, len(prev)))
    return deps


def series_parallel(seed=3):
    rnd = random.Random(seed)
    deps: dict[int, list[int]] = {}
    counter = iter(range(N))

    def make(size, after):
        if size == 1:
            v = next(counter)
            deps[v] = list(after)
            return [v]
        left = rnd.randint(1, size - 1)
        if rnd.random() < 0.5:
            return make(left, after) + make(size - left, after)
        return make(size - left, make(left, after))

    make(N, [])
    return deps


def plan_for(deps):
    steps: dict[int, Runner] = {}
    for i in sorted(deps):
        steps[i] = Runner(f"Step{i}", commands=["true"], after=[steps[d] for d in deps[i]])
    return Plan(*steps.values())


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    print(f"{'shape':<16}{'compile s (min/median)':>26}{'validate s':>12}{'toposort s':>12}{'json s':>10}"
          f"{'compile/toposort':>18}{'lost pairs':>12}")
    for name, deps in [("chain", chain()), ("wide fan", fan()), ("layered DAG", layered()),
                       ("series-parallel", series_parallel())]:
        plan = plan_for(deps)
        compile_min, compile_med = best_of(lambda: plan.compile(validate=False))
        compiled = plan.compile(validate=False)
        validate_min, _ = best_of(compiled.validate)
        topo_min, _ = best_of(lambda: list(graphlib.TopologicalSorter(deps).static_order()))
        json_min, _ = best_of(lambda: json.dumps(compiled.definition))
        print(f"{name:<16}{compile_min:>14.4f} /{compile_med:>8.4f}{validate_min:>12.4f}{topo_min:>12.5f}"
              f"{json_min:>10.4f}{compile_min / topo_min:>18.0f}{len(compiled.lost_concurrency):>12}")


if __name__ == "__main__":
    main()
