"""Crash safety: kill -9 the process running a 200-state plan, resume, and compare.

The plan chains Tasks (each appends one line to a side-effect file), Pass states
and a Map of Task items. A subprocess runs it on a SQLite checkpoint store; the
test kills it 20 times at random points and resumes it each time. The final
output must equal an uninterrupted run's, and the side-effect log must show every
Task exactly once in order, except the one Task in flight at a kill, which may run
again (at-least-once for the in-flight Task only).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from attini_sdk.asl import Engine

pytestmark = pytest.mark.slow

WORKER = textwrap.dedent('''
    import json, os, sys, time
    from attini_sdk.asl import Engine
    from attini_sdk.backends.local.checkpoints import SqliteCheckpointStore

    db, effects, result, definition = sys.argv[1:5]

    def effect(inv):
        with open(effects, "a") as f:
            f.write(f"{inv.state_name}:{inv.input['n']}\\n")
            f.flush()
            os.fsync(f.fileno())
        time.sleep(0.004)
        return inv.input["n"] + 1

    engine = Engine({"test:effect": effect}, SqliteCheckpointStore(db))
    name = "crash"
    execution_id = engine.execution_id_for(name)
    if engine.store.load(execution_id) is None:
        execution = engine.start(json.load(open(definition)), {"n": 0, "log": []}, name=name)
    else:
        execution = engine.resume(execution_id)
    execution.wait()
    with open(result, "w") as f:
        json.dump({"status": execution.status, "output": execution.output, "error": execution.error,
                   "cause": execution.cause, "events": len(execution.history)}, f)
''')


def plan() -> dict:
    """200 states: Task/Pass pairs, with a Map of five Task items in the middle."""
    states, names = {}, []
    for i in range(99):
        names += [f"Task{i}", f"Note{i}"]
    names.insert(100, "Fan")
    for i, name in enumerate(names):
        nxt = names[i + 1] if i + 1 < len(names) else "Done"
        if name == "Fan":
            states[name] = {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
                            "ItemSelector": {"n.$": "$$.Map.Item.Value"},
                            "ItemProcessor": {"StartAt": "Item", "States": {
                                "Item": {"Type": "Task", "Resource": "test:effect", "End": True}}},
                            "ResultPath": "$.fanned", "Next": nxt}
        elif name.startswith("Task"):
            states[name] = {"Type": "Task", "Resource": "test:effect", "Parameters": {"n.$": "$.n"},
                            "ResultPath": "$.n", "Next": nxt}
        else:
            states[name] = {"Type": "Pass", "Parameters": {"n.$": "$.n", "items.$": "States.ArrayRange(1, 5, 1)",
                                                           "log.$": "States.Array($.n)"}, "Next": nxt}
    states["Done"] = {"Type": "Succeed"}
    assert len(states) == 200
    return {"StartAt": names[0], "States": states}


def uninterrupted(definition: dict) -> tuple[dict, list[str]]:
    lines: list[str] = []

    def effect(inv):
        lines.append(f"{inv.state_name}:{inv.input['n']}")
        return inv.input["n"] + 1
    execution = Engine({"test:effect": effect}).start(definition, {"n": 0, "log": []}).wait(60)
    assert execution.status == "SUCCEEDED", execution.cause
    return execution.output, lines


def count_lines(path) -> int:
    try:
        with open(path) as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def test_killing_the_engine_twenty_times_loses_nothing_and_repeats_only_in_flight_tasks(tmp_path):
    definition = plan()
    expected_output, expected_effects = uninterrupted(definition)
    (tmp_path / "plan.json").write_text(json.dumps(definition))
    (tmp_path / "worker.py").write_text(WORKER)
    effects, result = tmp_path / "effects.log", tmp_path / "result.json"
    argv = [sys.executable, str(tmp_path / "worker.py"), str(tmp_path / "state.db"), str(effects), str(result),
            str(tmp_path / "plan.json")]
    rng = random.Random(4)
    targets = sorted(rng.sample(range(1, len(expected_effects) - 2), 20))
    kills = 0
    for target in targets:
        worker = subprocess.Popen(argv)
        deadline = time.monotonic() + 30
        while count_lines(effects) < target and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.006))  # somewhere inside a task, a Pass or a checkpoint
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        worker.wait()
    subprocess.run(argv, check=True, timeout=60)

    outcome = json.loads(result.read_text())
    assert outcome["status"] == "SUCCEEDED", outcome
    assert outcome["output"] == expected_output
    assert kills >= 15  # most kills landed while the plan was running

    seen = effects.read_text().split()
    deduplicated = [line for i, line in enumerate(seen) if i == 0 or line != seen[i - 1]]
    assert deduplicated == expected_effects  # every Task ran, in order, none skipped
    repeats = len(seen) - len(deduplicated)
    assert repeats <= kills  # at most the one in-flight Task per kill ran twice
