"""Resume after a crash inside a Map, and a pause that outlives its process, on SQLite."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from attini_sdk.asl import Engine, WaitForCallback
from attini_sdk.backends.local.checkpoints import SqliteCheckpointStore

WORKER = textwrap.dedent('''
    import json, os, signal, sys, time
    from attini_sdk.asl import Engine
    from attini_sdk.backends.local.checkpoints import SqliteCheckpointStore

    db, effects, marker = sys.argv[1:4]
    definition = {"StartAt": "Fan", "States": {"Fan": {"Type": "Map", "MaxConcurrency": 6,
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "test:work", "End": True}}},
        "End": True}}}

    def work(inv):
        if inv.input == 4 and not os.path.exists(marker):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # crash only once the other items are checkpointed
                frames = engine.store.load(inv.execution_id).frames.values()
                if sum(f.status == "succeeded" for f in frames) == 5:
                    break
                time.sleep(0.01)
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        with open(effects, "a") as f:
            f.write(f"{inv.input}\\n")
        return inv.input * 10

    engine = Engine({"test:work": work}, SqliteCheckpointStore(db))
    execution_id = engine.execution_id_for("fan")
    if engine.store.load(execution_id) is None:
        execution = engine.start(definition, [0, 1, 2, 3, 4, 5], name="fan")
    else:
        execution = engine.resume(execution_id)
    print(json.dumps(execution.wait().output))
''')


def test_a_map_resumes_only_its_unfinished_items(tmp_path):
    (tmp_path / "worker.py").write_text(WORKER)
    argv = [sys.executable, str(tmp_path / "worker.py"), str(tmp_path / "s.db"), str(tmp_path / "effects"),
            str(tmp_path / "marker")]
    crashed = subprocess.run(argv, capture_output=True, timeout=60)
    assert crashed.returncode == -9
    assert sorted((tmp_path / "effects").read_text().split()) == ["0", "1", "2", "3", "5"]

    resumed = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)

    assert json.loads(resumed.stdout) == [0, 10, 20, 30, 40, 50]
    assert sorted((tmp_path / "effects").read_text().split()) == ["0", "1", "2", "3", "4", "5"]


def test_an_approval_pause_survives_the_engine_and_history_continues(tmp_path):
    asked = []

    def approval(inv):
        asked.append(inv.token)
        raise WaitForCallback()
    definition = {"StartAt": "Approve", "States": {
        "Approve": {"Type": "Task", "Resource": "attini:approval", "ResultPath": "$.answer", "Next": "Deploy"},
        "Deploy": {"Type": "Pass", "End": True}}}
    first = Engine({"attini:approval": approval}, SqliteCheckpointStore(tmp_path / "state.db"))
    paused = first.start(definition, {"env": "prod"}, name="deploy-7").wait(10)
    assert paused.paused

    # a new process: a fresh engine on the same database file answers the token
    second = Engine({"attini:approval": approval}, SqliteCheckpointStore(tmp_path / "state.db"))
    resumed = second.send_task_success(asked[0], {"approvedBy": "ops"})

    assert resumed.wait(10).status == "SUCCEEDED"
    assert resumed.output == {"env": "prod", "answer": {"approvedBy": "ops"}}
    assert len(asked) == 1
    types = [e["type"] for e in second.execution(paused.execution_id).history]
    assert types.count("TaskStateEntered") == 1 and types[-1] == "ExecutionSucceeded"
    assert [e["id"] for e in resumed.history] == list(range(1, len(types) + 1))


def test_stopping_a_paused_execution_from_another_engine(tmp_path):
    definition = {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "attini:approval", "End": True}}}

    def approval(inv):
        raise WaitForCallback()
    first = Engine({"attini:approval": approval}, SqliteCheckpointStore(tmp_path / "state.db"))
    paused = first.start(definition, {}, name="x").wait(10)
    other = Engine({}, SqliteCheckpointStore(tmp_path / "state.db"))
    stopped = other.stop(paused.execution_id, "Aborted", "by hand")
    assert stopped.status == "ABORTED"
    assert other.execution(paused.execution_id).history[-1]["type"] == "ExecutionAborted"
