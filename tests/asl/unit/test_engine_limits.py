"""Step Functions' quotas on the local engine: 256 KiB payloads and 25,000 history events.

A deployment plan that outgrows them must fail locally the way it would fail on AWS, with the
same error names, and an engine built with ``None`` for a quota must not enforce it.
"""

from __future__ import annotations

import threading

import pytest

from attini_sdk.asl import Engine, FakeClock, WaitForCallback
from attini_sdk.asl.limits import HISTORY_EVENTS, PAYLOAD_BYTES, list_bytes, oversize
from attini_sdk.errors import ExecutionError

QUOTA = 262_144


def blob(n: int) -> str:
    return "x" * n


def task(resource: str, **fields) -> dict:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True, **fields}}}


def counting_loop(n: int) -> tuple[dict, dict]:
    """A Pass/Choice loop counting to n: 2n + 3 transitions, 4n + 8 history events."""
    definition = {"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThanPath": "$.n", "Next": "Inc"}],
                  "Default": "Done"},
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "$.n", "i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}}
    return definition, {"n": n}


class Calls:
    """A task handler returning a string of ``input['bytes']`` characters, counting its calls."""

    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, invocation):
        with self._lock:
            self.count += 1
        return blob(invocation.input["bytes"])


# -- the quota's defaults and how they are measured -------------------------------------------------

def test_the_engine_enforces_aws_quotas_unless_told_otherwise():
    engine = Engine()
    assert (engine.max_payload_bytes, engine.max_history_events) == (PAYLOAD_BYTES, HISTORY_EVENTS) == (QUOTA, 25_000)


@pytest.mark.parametrize("value", [0, -5, 1.5, "big", True])
def test_a_quota_that_is_not_a_positive_integer_is_refused_with_a_clear_error(value):
    with pytest.raises(ExecutionError, match="max_payload_bytes must be an integer"):
        Engine(max_payload_bytes=value)


def test_payload_size_is_utf8_bytes_of_compact_json_and_the_quota_itself_is_allowed():
    assert oversize(blob(QUOTA), QUOTA) is None
    assert oversize(blob(QUOTA + 1), QUOTA) == QUOTA + 1
    assert oversize("é" * (QUOTA // 2), QUOTA) is None          # 2 bytes each: exactly the quota
    assert oversize("é" * (QUOTA // 2 + 1), QUOTA) == QUOTA + 2
    assert oversize("😀" * (QUOTA // 4 + 1), QUOTA) == QUOTA + 4  # 4 bytes each
    assert oversize("\ud800" * QUOTA, QUOTA) == 3 * QUOTA         # a lone surrogate is measured, not an error
    assert list_bytes(['"é"', "1", "{}"]) == len('["é",1,{}]'.encode())
    assert list_bytes([]) == 2


# -- payloads --------------------------------------------------------------------------------------

def test_an_execution_input_over_the_quota_is_refused_before_anything_is_stored():
    engine = Engine(clock=FakeClock())

    with pytest.raises(ExecutionError) as refused:
        engine.start({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, {"b": blob(QUOTA)},
                     name="too-big")

    assert "the execution input is 262,152 bytes of UTF-8 JSON, over the payload quota of 262,144 bytes" \
        in str(refused.value)
    assert "reference" in refused.value.hint
    assert engine.store.load(engine.execution_id_for("too-big")) is None


def test_a_state_output_over_the_quota_fails_the_execution_with_data_limit_exceeded():
    engine = Engine(clock=FakeClock())
    definition = {"StartAt": "Small", "States": {
        "Small": {"Type": "Pass", "Next": "Big"},
        "Big": {"Type": "Pass", "Result": blob(QUOTA), "End": True}}}

    run = engine.start(definition, {}).wait()

    assert (run.status, run.error) == ("FAILED", "States.DataLimitExceeded")
    assert run.cause == ("the output of state 'Big' is 262,146 bytes of UTF-8 JSON, over the payload quota of "
                         "262,144 bytes")
    assert [e["type"] for e in run.history][-3:] == ["PassStateExited", "PassStateEntered", "ExecutionFailed"]


def test_a_task_result_over_the_quota_is_a_failed_task_that_neither_retry_nor_catch_handles():
    calls = Calls()
    engine = Engine({"test:blob": calls}, clock=FakeClock())
    definition = {"StartAt": "Fetch", "States": {
        "Fetch": {"Type": "Task", "Resource": "test:blob", "Parameters": {"bytes": 300_000}, "ResultPath": None,
                  "Retry": [{"ErrorEquals": ["States.DataLimitExceeded"]}, {"ErrorEquals": ["States.ALL"]}],
                  "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Handled"},
                            {"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
                  "End": True},
        "Handled": {"Type": "Pass", "End": True}}}

    run = engine.start(definition, {}).wait()

    assert (run.status, run.error, calls.count) == ("FAILED", "States.DataLimitExceeded", 1)
    failed = [e for e in run.history if e["type"] == "TaskFailed"]
    assert failed[0]["taskFailedEventDetails"]["error"] == "States.DataLimitExceeded"
    assert "the result of Resource 'test:blob' in state 'Fetch' is 300,002 bytes" in run.cause


def test_a_task_input_over_the_quota_after_parameters_never_reaches_the_handler():
    calls = Calls()
    engine = Engine({"test:blob": calls}, clock=FakeClock())
    definition = task("test:blob", Parameters={"bytes": 1, "a.$": "$.half", "b.$": "$.half"})

    run = engine.start(definition, {"half": blob(140_000)}).wait()

    assert (run.status, run.error, calls.count) == ("FAILED", "States.DataLimitExceeded", 0)
    assert "the input of state 'T' after Parameters is 280,025 bytes" in run.cause
    assert "TaskScheduled" not in [e["type"] for e in run.history]


def test_map_results_over_the_quota_fail_the_map_even_when_each_iteration_fits():
    calls = Calls()
    engine = Engine({"test:blob": calls}, clock=FakeClock())
    definition = {"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "ItemSelector": {"bytes.$": "$$.Map.Item.Value"}, "ResultPath": None,
        "ItemProcessor": {"StartAt": "Get", "States": {"Get": {"Type": "Task", "Resource": "test:blob", "End": True}}},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}], "End": True},
        "Handled": {"Type": "Pass", "End": True}}}

    run = engine.start(definition, [30_000] * 9).wait()

    assert (run.status, run.error, calls.count) == ("FAILED", "States.DataLimitExceeded", 9)
    assert "the result of Map state 'Fan' (9 iterations) is 270,028 bytes" in run.cause
    assert "MapStateFailed" in [e["type"] for e in run.history]


def test_map_results_that_fit_the_quota_pass():
    engine = Engine({"test:blob": Calls()}, clock=FakeClock())
    definition = {"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "ItemSelector": {"bytes.$": "$$.Map.Item.Value"}, "ResultSelector": {"n.$": "States.ArrayLength($)"},
        "ItemProcessor": {"StartAt": "Get", "States": {"Get": {"Type": "Task", "Resource": "test:blob", "End": True}}},
        "End": True}}}

    run = engine.start(definition, [30_000] * 8).wait()

    assert (run.status, run.output) == ("SUCCEEDED", {"n": 8})


def test_a_parallel_whose_branches_together_are_over_the_quota_fails():
    engine = Engine(clock=FakeClock())
    def branch(name):
        return {"StartAt": name, "States": {name: {"Type": "Pass", "Result": blob(140_000), "End": True}}}
    definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "Branches": [branch("B1"), branch("B2")],
                                                         "ResultPath": "$.both", "End": True}}}

    run = engine.start(definition, {}).wait()

    assert (run.status, run.error) == ("FAILED", "States.DataLimitExceeded")
    assert "the result of Parallel state 'Both' (2 branches) is 280,007 bytes" in run.cause


def test_tolerated_failures_do_not_cover_a_data_limit_exceeded():
    engine = Engine(clock=FakeClock())
    definition = {"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "ToleratedFailurePercentage": 100,
        "ItemProcessor": {"StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Big"}],
                      "Default": "Bad"},
            "Bad": {"Type": "Fail", "Error": "Tolerated"},
            "Big": {"Type": "Pass", "Result": blob(QUOTA), "End": True}}},
        "End": True}}}

    run = engine.start(definition, [1, 2, 3]).wait()

    assert (run.status, run.error) == ("FAILED", "States.DataLimitExceeded")


def wait_for_approval(invocation):
    raise WaitForCallback()


def test_a_callback_answer_over_the_quota_is_refused_and_the_task_keeps_waiting():
    engine = Engine({"test:approve": wait_for_approval}, clock=FakeClock())
    run = engine.start(task("test:approve"), {}).wait(5)
    assert run.paused
    token = run.pending_tokens[0]

    with pytest.raises(ExecutionError, match="the task output is 300,002 bytes"):
        engine.send_task_success(token, blob(300_000))

    assert run.paused and run.pending_tokens == [token]
    engine.send_task_success(token, {"approved": True})
    assert (run.wait(5).status, run.output) == ("SUCCEEDED", {"approved": True})


def test_the_quota_can_be_lowered_or_turned_off():
    definition = {"StartAt": "Big", "States": {"Big": {"Type": "Pass", "Result": blob(QUOTA), "End": True}}}

    small = Engine(clock=FakeClock(), max_payload_bytes=1_000).start({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Result": blob(1_000), "End": True}}}, {}).wait()
    unlimited = Engine(clock=FakeClock(), max_payload_bytes=None).start(definition, {"b": blob(QUOTA)}).wait()

    assert (small.error, small.cause.endswith("over the payload quota of 1,000 bytes")) == \
        ("States.DataLimitExceeded", True)
    assert (unlimited.status, unlimited.output) == ("SUCCEEDED", blob(QUOTA))


# -- the history -----------------------------------------------------------------------------------

def test_an_execution_ending_with_its_25000th_event_succeeds():
    definition, payload = counting_loop(6_248)  # 4n + 8 = 25,000 events

    run = Engine(clock=FakeClock()).start(definition, payload).wait(60)

    assert (run.status, len(run.history), run.history[-1]["type"]) == ("SUCCEEDED", 25_000, "ExecutionSucceeded")


def test_an_execution_needing_more_than_25000_events_fails_with_execution_failed_as_event_25000():
    definition, payload = counting_loop(6_249)

    run = Engine(clock=FakeClock()).start(definition, payload).wait(60)

    assert (run.status, run.error) == ("FAILED", "States.Runtime")
    assert run.cause.startswith("the execution history reached its quota of 25,000 events")
    assert (len(run.history), run.history[-1]["id"], run.history[-1]["type"]) == (25_000, 25_000, "ExecutionFailed")


def test_the_history_quota_can_be_lowered_or_turned_off():
    definition, payload = counting_loop(30)  # 128 events

    lowered = Engine(clock=FakeClock(), max_history_events=50).start(definition, payload).wait(10)
    unlimited = Engine(clock=FakeClock(), max_history_events=None).start(*counting_loop(7_000)).wait(60)

    assert (lowered.error, len(lowered.history)) == ("States.Runtime", 50)
    assert (unlimited.status, len(unlimited.history)) == ("SUCCEEDED", 28_008)


def test_a_full_history_stops_a_concurrent_map_without_starting_tasks_it_does_not_record():
    calls = Calls()
    engine = Engine({"test:blob": calls}, max_history_events=200)
    definition = {"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "MaxConcurrency": 10, "ItemSelector": {"bytes": 1},
        "ItemProcessor": {"StartAt": "Get", "States": {"Get": {"Type": "Task", "Resource": "test:blob", "End": True}}},
        "End": True}}}

    run = engine.start(definition, list(range(100))).wait(30)

    assert (run.status, run.error, len(run.history)) == ("FAILED", "States.Runtime", 200)
    assert run.history[-1]["type"] == "ExecutionFailed"
    scheduled = sum(e["type"] == "TaskScheduled" for e in run.history)
    assert 0 < calls.count <= scheduled  # every Task that ran is in the history


def test_a_full_history_is_what_the_store_keeps(tmp_path):
    from attini_sdk.backends.local.checkpoints import SqliteCheckpointStore

    store = SqliteCheckpointStore(str(tmp_path / "state.db"))
    definition, payload = counting_loop(30)
    run = Engine(store=store, clock=FakeClock(), max_history_events=64).start(definition, payload, name="n30").wait(10)

    saved = store.load(run.execution_id)

    assert (saved.record.status, saved.record.error) == ("FAILED", "States.Runtime")
    assert [e["id"] for e in saved.events] == list(range(1, 65))
    assert Engine(store=store).execution(run.execution_id).history[-1]["type"] == "ExecutionFailed"
