"""State behaviour end to end: data flow, errors, Parallel, Map, JSONata and variables."""

from __future__ import annotations

from attini_sdk.asl import Engine, FakeClock, TaskFailed


def run(definition, data=None, resources=None, clock=None):
    clock = clock or FakeClock(start=0)
    execution = Engine(resources or {}, clock=clock).start(definition, data).wait(20)
    return execution


def single(state: dict) -> dict:
    return {"StartAt": "S", "States": {"S": {**state, "End": True} if state["Type"] not in ("Fail", "Succeed") else state}}


def test_the_jsonpath_pipeline_runs_in_spec_order():
    task = {"Type": "Task", "Resource": "test:echo", "InputPath": "$.in", "Parameters": {"v.$": "$.x", "k": 1},
            "ResultSelector": {"got.$": "$.v"}, "ResultPath": "$.in.result", "OutputPath": "$.in"}
    execution = run(single(task), {"in": {"x": 7}, "other": 0}, {"test:echo": lambda inv: inv.input})
    assert execution.output == {"x": 7, "result": {"got": 7}}


def test_result_path_null_keeps_the_input_and_output_path_null_gives_an_empty_object():
    assert run(single({"Type": "Pass", "Result": 1, "ResultPath": None}), {"a": 1}).output == {"a": 1}
    assert run(single({"Type": "Pass", "OutputPath": None}), {"a": 1}).output == {}


def test_a_parameters_path_to_nothing_is_neither_retried_nor_caught_by_states_all():
    clock = FakeClock(start=0)
    calls = []
    task = {"Type": "Task", "Resource": "test:echo", "Parameters": {"x.$": "$.missing"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "Next": "Caught"}
    definition = {"StartAt": "S", "States": {"S": task, "Caught": {"Type": "Succeed"}}}
    execution = run(definition, {}, {"test:echo": calls.append}, clock=clock)
    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert clock.now() == 0.0 and calls == []           # no retry waited, the handler never ran
    assert [e["type"] for e in execution.history][-2:] == ["TaskStateEntered", "ExecutionFailed"]


def test_result_path_into_a_string_is_a_result_path_match_failure():
    execution = run(single({"Type": "Pass", "Result": 1, "ResultPath": "$.a.b"}), {"a": "text"})
    assert execution.error == "States.ResultPathMatchFailure"


def test_a_parameters_path_to_nothing_fails_with_aws_runtime_error_and_cause():
    execution = run(single({"Type": "Pass", "Parameters": {"a": {"x.$": "$.b.missing"}}}), {"b": {"k": "é"}})
    assert execution.error == "States.Runtime"
    assert execution.cause == (
        "An error occurred while executing the state 'S' (entered at the event id #2). The JSONPath "
        "'$.b.missing' specified for the field 'x.$' could not be found in the input '{\"b\":{\"k\":\"é\"}}'")


def test_every_payload_template_fails_the_same_way_naming_the_input_it_read():
    echo = {"test:echo": lambda inv: {"r": 1}}
    result_selector = run(single({"Type": "Task", "Resource": "test:echo", "ResultSelector": {"v.$": "$.nope"}}),
                          {"in": 1}, echo)
    assert result_selector.cause.endswith("could not be found in the input '{\"r\":1}'")  # the task's result
    item_selector = run(single({"Type": "Map", "ItemSelector": {"v.$": "$$.Map.Item.Value.k"},
                                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}}),
                        [{"j": 1}])
    assert "The JSONPath '$$.Map.Item.Value.k' specified for the field 'v.$'" in item_selector.cause
    assert '"Map":{"Item":{"Index":0,"Value":{"j":1}}}' in item_selector.cause          # the context object
    intrinsic = run(single({"Type": "Pass", "Parameters": {"s.$": "States.Format('{}', $.gone)"}}), {})
    assert "The JSONPath '$.gone' specified for the field 's.$'" in intrinsic.cause
    assign = run(single({"Type": "Pass", "Assign": {"v.$": "$.gone"}}), {})
    for execution in (result_selector, item_selector, intrinsic, assign):
        assert (execution.status, execution.error) == ("FAILED", "States.Runtime")


def test_a_choice_on_a_missing_variable_names_the_state_and_its_entered_event():
    definition = {"StartAt": "Prep", "States": {
        "Prep": {"Type": "Pass", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ready", "BooleanEquals": True, "Next": "Done"}],
                  "Default": "Done"},
        "Done": {"Type": "Succeed"}}}
    execution = run(definition, {})
    assert (execution.error, execution.cause) == ("States.Runtime", (
        "An error occurred while executing the state 'Check' (entered at the event id #4). Invalid path "
        "'$.ready': The choice state's condition path references an invalid value."))
    present = {**definition, "States": {**definition["States"], "Check": {
        "Type": "Choice", "Choices": [{"Variable": "$.ready", "IsPresent": False, "Next": "Done"}]}}}
    assert run(present, {}).status == "SUCCEEDED"


def test_retriers_keep_their_own_counters_across_the_state():
    errors = iter(["A", "B", "C", "B", "B", "ok"])
    clock = FakeClock(start=0)

    def flaky(inv):
        error = next(errors)
        if error != "ok":
            raise TaskFailed(error, "x")
        return "done"
    task = {"Type": "Task", "Resource": "test:flaky", "Retry": [
        {"ErrorEquals": ["A", "C"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 3},
        {"ErrorEquals": ["B"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 2}],
        "Catch": [{"ErrorEquals": ["B"], "ResultPath": "$.caught", "Next": "Caught"}]}
    definition = {"StartAt": "S", "States": {"S": {**task, "End": True}, "Caught": {"Type": "Pass", "End": True}}}
    execution = run(definition, {}, {"test:flaky": flaky}, clock)
    # A waits 1, B waits 1, C waits 2, B waits 2, the third B exhausts its retrier and is caught
    assert clock.now() == 6
    assert execution.output == {"caught": {"Error": "B", "Cause": "x"}}


def test_max_delay_caps_backoff_and_states_all_does_not_catch_runtime_errors():
    clock = FakeClock(start=0)
    fail = {"test:fail": lambda inv: (_ for _ in ()).throw(TaskFailed("E", "c"))}
    task = {"Type": "Task", "Resource": "test:fail",
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 5, "BackoffRate": 10, "MaxAttempts": 3,
                       "MaxDelaySeconds": 20}]}
    assert run(single(task), {}, fail, clock).error == "E"
    assert clock.now() == 5 + 20 + 20
    missing_handler = {"StartAt": "S", "States": {"S": {"Type": "Task", "Resource": "test:gone", "End": True,
                                                        "Retry": [{"ErrorEquals": ["States.ALL"]}]}}}
    assert run(missing_handler, clock=clock).error == "States.Runtime"
    assert clock.now() == 5 + 20 + 20                  # not retried


def test_fail_takes_error_and_cause_from_paths():
    execution = run(single({"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('bad {}', $.n)"}),
                    {"e": "Custom", "n": 2})
    assert (execution.status, execution.error, execution.cause) == ("FAILED", "Custom", "bad 2")


def test_wait_until_a_timestamp_moves_the_clock_there():
    clock = FakeClock(start=0)
    execution = run(single({"Type": "Wait", "TimestampPath": "$.at"}), {"at": "1970-01-01T01:00:00Z"}, clock=clock)
    assert execution.status == "SUCCEEDED" and clock.now() == 3600


def test_parallel_runs_branches_and_a_failing_branch_fails_it_with_its_error():
    ok = {"Type": "Parallel", "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": True}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "InputPath": "$.x", "End": True}}}]}
    assert run(single(ok), {"x": 1}).output == ["a", 1]
    bad = dict(ok, Branches=ok["Branches"] + [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Broken"}}}],
               Catch=[{"ErrorEquals": ["Broken"], "Next": "Handled"}])
    definition = {"StartAt": "S", "States": {"S": {**bad, "End": True}, "Handled": {"Type": "Pass", "End": True}}}
    assert run(definition, {"x": 1}).output == {"Error": "Broken", "Cause": ""}


def test_map_items_selector_batches_and_history():
    state = {"Type": "Map", "ItemsPath": "$.list", "MaxConcurrency": 3,
             "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index", "tag.$": "$.tag"},
             "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}}
    execution = run(single(state), {"list": ["a", "b"], "tag": "t"})
    assert execution.output == [{"value": "a", "index": 0, "tag": "t"}, {"value": "b", "index": 1, "tag": "t"}]
    types = [e["type"] for e in execution.history]
    assert types.count("MapIterationStarted") == 2 and types.count("MapIterationSucceeded") == 2
    batched = {"Type": "Map", "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"job": 1}},
               "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}}
    assert run(single(batched), [1, 2, 3]).output == [{"BatchInput": {"job": 1}, "Items": [1, 2]},
                                                      {"BatchInput": {"job": 1}, "Items": [3]}]


ECHO = {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}


def test_item_batcher_groups_the_selected_items_and_reads_its_limits_from_the_input():
    state = {"Type": "Map", "ItemsPath": "$.orders", "ItemSelector": {"id.$": "$$.Map.Item.Value"},
             "ItemBatcher": {"MaxItemsPerBatchPath": "$.size", "BatchInput": {"run.$": "$.run"}},
             "ItemProcessor": ECHO}
    execution = run(single(state), {"orders": [1, 2, 3], "size": 2, "run": "r7"})
    assert execution.output == [{"BatchInput": {"run": "r7"}, "Items": [{"id": 1}, {"id": 2}]},
                                {"BatchInput": {"run": "r7"}, "Items": [{"id": 3}]}]


def test_item_batcher_limits_the_bytes_of_a_batch():
    state = {"Type": "Map", "ItemBatcher": {"MaxInputBytesPerBatchPath": "$[0].limit"}, "ItemProcessor": ECHO}
    items = [{"limit": 45, "pad": "x" * 10}, {"pad": "y" * 10}, {"pad": "z" * 10}]   # 31, 20, 20 bytes
    assert [len(batch["Items"]) for batch in run(single(state), items).output] == [1, 2]


def test_item_batcher_in_jsonata_takes_expressions():
    state = {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% $states.input.list %}",
             "ItemBatcher": {"MaxItemsPerBatch": "{% $states.input.n %}", "BatchInput": {"n": "{% $states.input.n %}"}},
             "ItemProcessor": ECHO}
    assert run(single(state), {"list": [1, 2, 3], "n": 3}).output == [{"BatchInput": {"n": 3}, "Items": [1, 2, 3]}]


def test_item_batcher_needs_a_limit_and_a_positive_one():
    import pytest

    from attini_sdk.asl import DefinitionError
    with pytest.raises(DefinitionError, match="MaxItemsPerBatch"):
        Engine({}).start(single({"Type": "Map", "ItemBatcher": {"BatchInput": {}}, "ItemProcessor": ECHO}), [])
    zero = {"Type": "Map", "ItemBatcher": {"MaxItemsPerBatchPath": "$.n"}, "ItemsPath": "$.l", "ItemProcessor": ECHO}
    execution = run(single(zero), {"n": 0, "l": [1]})
    assert execution.error == "States.Runtime" and "MaxItemsPerBatch" in execution.cause


def test_map_failure_tolerance():
    def maybe(inv):
        if inv.input % 2:
            raise TaskFailed("Odd", str(inv.input))
        return inv.input
    processor = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "test:maybe", "End": True}}}
    tolerant = {"Type": "Map", "ToleratedFailureCount": 2, "ItemProcessor": processor}
    assert run(single(tolerant), [0, 1, 2, 3], {"test:maybe": maybe}).output == [
        0, {"Error": "Odd", "Cause": "1"}, 2, {"Error": "Odd", "Cause": "3"}]
    strict = {"Type": "Map", "ToleratedFailurePercentage": 20, "ItemProcessor": processor}
    assert run(single(strict), [0, 1, 2, 3], {"test:maybe": maybe}).error == "States.ExceedToleratedFailureThreshold"
    plain = {"Type": "Map", "ItemProcessor": processor}
    assert run(single(plain), [0, 1], {"test:maybe": maybe}).error == "Odd"


def test_task_timeout_and_heartbeat_on_a_fake_clock():
    slow = {"test:slow": lambda inv: inv.sleep(30) and "done"}
    assert run(single({"Type": "Task", "Resource": "test:slow", "TimeoutSeconds": 10}), {}, slow).error == \
        "States.Timeout"

    def beating(inv):
        for _ in range(5):
            inv.sleep(4)
            inv.heartbeat()
        return "alive"
    assert run(single({"Type": "Task", "Resource": "test:beat", "HeartbeatSeconds": 5, "TimeoutSeconds": 60}), {},
               {"test:beat": beating}).output == "alive"
    lazy = {"test:lazy": lambda inv: inv.sleep(9) and "late"}
    assert run(single({"Type": "Task", "Resource": "test:lazy", "HeartbeatSeconds": 5}), {}, lazy).error == \
        "States.HeartbeatTimeout"


def test_jsonata_states_with_variables():
    definition = {"QueryLanguage": "JSONata", "StartAt": "Load", "States": {
        "Load": {"Type": "Pass", "Assign": {"total": "{% $sum($states.input.prices) %}", "seen": 0},
                 "Output": {"count": "{% $count($states.input.prices) %}"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [
            {"Condition": "{% $total > 10 %}", "Next": "Big", "Assign": {"label": "big"}}], "Default": "Small"},
        "Big": {"Type": "Task", "Resource": "test:echo",
                "Arguments": {"total": "{% $total %}", "label": "{% $label %}", "count": "{% $states.input.count %}"},
                "Output": "{% $merge([$states.result, {'hash': $hash('x', 'MD5')}]) %}", "End": True},
        "Small": {"Type": "Succeed"}}}
    execution = run(definition, {"prices": [5, 6, 7]}, {"test:echo": lambda inv: inv.input})
    assert execution.output == {"total": 18, "label": "big", "count": 3, "hash": "9dd4e461268c8034f5c8564e155c67a6"}


def test_inner_scopes_read_outer_variables_but_assign_only_their_own():
    definition = {"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"greeting": "hi"}, "Next": "Fan"},
        "Fan": {"Type": "Map", "ItemsPath": "$.list", "ItemProcessor": {"StartAt": "Use", "States": {
            "Use": {"Type": "Pass", "Parameters": {"g.$": "$greeting", "item.$": "$"}, "Assign": {"mine": "inner"},
                    "End": True}}}, "ResultPath": "$.r", "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"g.$": "$greeting", "r.$": "$.r"}, "End": True}}}
    execution = run(definition, {"list": [1, 2]})
    assert execution.output["g"] == "hi"
    assert execution.output["r"] == [{"g": "hi", "item": 1}, {"g": "hi", "item": 2}]
    assert run({**definition, "States": {**definition["States"], "After": {
        "Type": "Pass", "Parameters": {"m.$": "$mine"}, "End": True}}}, {"list": [1]}).error == \
        "States.Runtime"             # the iteration's variable ended with it


def test_an_inner_scope_may_not_assign_an_outer_variable():
    import pytest

    from attini_sdk.asl import DefinitionError
    definition = {"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"greeting": "hi"}, "Next": "Fan"},
        "Fan": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "Use", "States": {
            "Use": {"Type": "Pass", "Assign": {"greeting.$": "$.x"}, "End": True}}}]}}}
    with pytest.raises(DefinitionError, match="'greeting' is assigned here and in an enclosing scope"):
        Engine({}).start(definition, {})


def test_a_branch_defaults_to_the_state_machines_query_language_not_its_parallels():
    definition = {"StartAt": "Fan", "States": {"Fan": {
        "Type": "Parallel", "QueryLanguage": "JSONata", "Arguments": {"n": "{% $states.input.n + 1 %}"}, "End": True,
        "Branches": [{"StartAt": "Old", "States": {"Old": {"Type": "Pass", "Parameters": {"m.$": "$.n"}, "End": True}}}]}}}
    assert run(definition, {"n": 1}).output == [{"m": 2}]


def test_jsonata_errors_are_query_evaluation_errors():
    definition = {"QueryLanguage": "JSONata", "StartAt": "S", "States": {
        "S": {"Type": "Pass", "Output": "{% $states.input.a + 'x' %}", "End": True}}}
    assert run(definition, {"a": 1}).error == "States.QueryEvaluationError"


def test_execution_timeout_ends_a_long_wait():
    definition = {"StartAt": "W", "TimeoutSeconds": 5, "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}
    execution = run(definition, {})
    assert (execution.status, execution.error) == ("TIMED_OUT", "States.Timeout")
    assert execution.history[-1]["type"] == "ExecutionTimedOut"
