"""The engine's public API, used the way a deployment orchestrator uses it."""

from __future__ import annotations

import pytest

from attini_sdk.asl import Engine, FakeClock, MemoryStore, TaskFailed, WaitForCallback
from attini_sdk.errors import ExecutionError, NotFoundError


def pass_chain(n: int) -> dict:
    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(n - 1)}
    states[f"S{n - 1}"] = {"Type": "Pass", "End": True}
    return {"StartAt": "S0", "States": states}


def test_a_plan_of_tasks_runs_to_its_output_with_one_event_pair_per_state():
    engine = Engine({"test:add": lambda inv: inv.input["a"] + inv.input["b"]}, clock=FakeClock())
    definition = {"StartAt": "Add", "States": {
        "Add": {"Type": "Task", "Resource": "test:add", "Parameters": {"a.$": "$.x", "b": 2},
                "ResultPath": "$.sum", "End": True}}}

    run = engine.start(definition, {"x": 40}, name="first").wait()

    assert (run.status, run.output) == ("SUCCEEDED", {"x": 40, "sum": 42})
    types = [e["type"] for e in run.history]
    assert types == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded",
                     "TaskStateExited", "ExecutionSucceeded"]
    assert [e["id"] for e in run.history] == list(range(1, 8))
    assert all(e["previousEventId"] == e["id"] - 1 for e in run.history)
    frame = run.history_frame()
    assert list(frame["type"])[-1] == "ExecutionSucceeded"
    assert str(frame["timestamp"].dtype).startswith("datetime64")


def test_a_failing_task_fails_the_execution_with_its_error_and_cause():
    def deploy(inv):
        raise TaskFailed("Deploy.StackRollback", "stack app-dev rolled back")
    engine = Engine({"attini:": deploy}, clock=FakeClock())

    deploy_app = {"Type": "Task", "Resource": "attini:cfn", "Parameters": {"StackName": "app", "Template": "/app.yaml"},
                  "End": True}
    run = engine.start({"StartAt": "D", "States": {"D": deploy_app}}).wait()

    assert (run.status, run.error, run.cause) == ("FAILED", "Deploy.StackRollback", "stack app-dev rolled back")
    assert run.history[-2]["taskFailedEventDetails"]["error"] == "Deploy.StackRollback"


def test_an_unexpected_exception_in_a_handler_is_a_task_failure():
    engine = Engine({"test:oops": lambda inv: 1 / 0}, clock=FakeClock())
    run = engine.start({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "test:oops", "End": True}}}).wait()
    assert run.error == "States.TaskFailed"
    assert "ZeroDivisionError" in run.cause


def test_a_wait_of_an_hour_is_instant_on_a_fake_clock():
    clock = FakeClock(start=0)
    engine = Engine(clock=clock)
    run = engine.start({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}, {}).wait(5)
    assert run.status == "SUCCEEDED"
    assert clock.now() == 3600


def test_names_are_unique_and_unknown_executions_are_reported():
    engine = Engine()
    engine.start(pass_chain(1), name="dup").wait()
    with pytest.raises(ExecutionError, match="already exists"):
        engine.start(pass_chain(1), name="dup")
    with pytest.raises(NotFoundError):
        engine.resume("arn:aws:states:local:000000000000:execution:local:nope")


def test_a_callback_task_pauses_and_resumes_when_the_token_is_answered():
    tokens = []

    def approval(inv):
        tokens.append(inv.token)
        raise WaitForCallback()
    engine = Engine({"attini:approval": approval}, clock=FakeClock())
    definition = {"StartAt": "Approve", "States": {"Approve": {"Type": "Task", "Resource": "attini:approval",
                                                               "ResultPath": "$.approval", "End": True}}}

    run = engine.start(definition, {"env": "prod"}).wait(5)
    assert (run.status, run.paused, run.pending_tokens) == ("RUNNING", True, tokens)

    engine.send_task_success(tokens[0], {"message": "ok"})

    assert run.wait(5).status == "SUCCEEDED"
    assert run.output == {"env": "prod", "approval": {"message": "ok"}}


def test_a_callback_answered_by_another_engine_on_the_same_store_resumes_there():
    store = MemoryStore()
    tokens = []

    def approval(inv):
        tokens.append(inv.token)
        raise WaitForCallback()
    first = Engine({"attini:approval": approval}, store, clock=FakeClock())
    definition = {"StartAt": "Approve", "States": {
        "Approve": {"Type": "Task", "Resource": "attini:approval", "Next": "After"},
        "After": {"Type": "Pass", "Result": "done", "End": True}}}
    paused = first.start(definition, {}).wait(5)
    assert paused.paused

    second = Engine({"attini:approval": approval}, store, clock=FakeClock())
    resumed = second.send_task_failure(tokens[0], "ManuallyAborted", "aborted by ops")

    assert resumed.wait(5).status == "FAILED"
    assert (resumed.error, resumed.cause) == ("ManuallyAborted", "aborted by ops")
    assert len(tokens) == 1  # the approval step was not asked again


def test_stop_aborts_a_running_execution():
    engine = Engine({"test:block": lambda inv: inv.cancelled.wait(10) and "cancelled"})
    run = engine.start({"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "test:block", "End": True}}})
    engine.stop(run.execution_id, "Operator", "stopped by hand")
    run.wait(10)
    assert (run.status, run.error, run.cause) == ("ABORTED", "Operator", "stopped by hand")
    assert run.history[-1]["type"] == "ExecutionAborted"


def test_validate_reports_a_next_to_a_missing_state():
    from attini_sdk.errors import PlanError

    with pytest.raises(PlanError, match="'Gone'"):
        Engine().validate({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Gone"}}})
    assert Engine().validate(pass_chain(3)).start_at == "S0"


REFUSED_AT_CREATION = [
    # (definition Step Functions refuses at CreateStateMachine, state, field, words)
    ({"QueryLanguage": "JSONata", "StartAt": "Old", "States": {
        "Old": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}},
     "Old", "QueryLanguage", "not allowed in a state machine whose QueryLanguage is JSONata"),
    ({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": "{% $states.result %}", "End": True}}},
     "P", "Output", "$states.result is not accessible"),
    ({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "test:echo", "Assign": {"e": "{% $states.errorOutput %}"}, "End": True}}},
     "T", "Assign.e", "$states.errorOutput is not accessible"),
    ({"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Deploy", "States": {"Deploy": {"Type": "Succeed"}}},
        {"StartAt": "Deploy", "States": {"Deploy": {"Type": "Succeed"}}}]}}},
     "Deploy", None, "DUPLICATE_STATE_NAME"),
]


@pytest.mark.parametrize("definition, state, field, words", REFUSED_AT_CREATION,
                         ids=["jsonpath-in-jsonata", "result-in-pass", "error-output-outside-catch", "duplicate-name"])
def test_a_raw_definition_aws_refuses_is_refused_by_start_naming_state_and_field(definition, state, field, words):
    from attini_sdk.errors import PlanError

    store = MemoryStore()
    engine = Engine({"test:echo": lambda inv: inv.input}, store, clock=FakeClock())

    with pytest.raises(PlanError) as refused:
        engine.start(definition, {}, name="refused")

    assert any(p.state == state and p.field == field and words in p.what for p in refused.value.problems), \
        refused.value.problems
    assert store.load(engine.execution_id_for("refused")) is None       # no execution exists
    with pytest.raises(PlanError):
        engine.validate(definition)
