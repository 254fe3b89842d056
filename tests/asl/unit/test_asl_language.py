"""Paths, intrinsic functions and choice rules, as a definition author writes them."""

from __future__ import annotations

import pytest

from attini_sdk.asl.choice import compile_rule
from attini_sdk.asl.failures import Failure, IntrinsicSyntaxError, PathSyntaxError
from attini_sdk.asl.intrinsics import SIGNATURES, parse_intrinsic
from attini_sdk.asl.paths import PathMissing, parse_path
from attini_sdk.asl.scope import Scope, Variables
from attini_sdk.errors import ExecutionError

ORDER = {"items": [{"sku": "a", "n": 1}, {"sku": "b", "n": 3}], "meta": {"weird key": True}}


@pytest.mark.parametrize("text, expected", [
    ("$", ORDER),
    ("$.items[1].sku", "b"),
    ("$.items[-1].n", 3),
    ("$['meta']['weird key']", True),
    ("$.items[*].sku", ["a", "b"]),
    ("$..sku", ["a", "b"]),
    ("$.items[0:1].n", [1]),
    ("$.items[?(@.n > 2)].sku", ["b"]),
    ("$.items[?(@.sku == 'a' || @.n == 3)].n", [1, 3]),
    ("$.items[(@.length-1)].sku", "b"),
    ("$.nothing[*]", []),
])
def test_paths_select_what_jsonpath_selects(text, expected):
    assert parse_path(text).find(ORDER) == expected


def test_a_definite_path_to_nothing_is_missing():
    with pytest.raises(PathMissing):
        parse_path("$.items[5].sku").find(ORDER)


@pytest.mark.parametrize("text", ["items", "$.", "$.a[", "$.a[?(@.x ==)]", "$..", "$.a[1:2:0]"])
def test_bad_paths_are_execution_errors_naming_the_path(text):
    with pytest.raises(PathSyntaxError) as info:
        parse_path(text)
    assert isinstance(info.value, ExecutionError)
    assert repr(text) in str(info.value)


def test_reference_paths_refuse_anything_but_names_and_indexes():
    assert parse_path("$.a.b[0]", reference=True).definite
    for text in ("$.a[*]", "$..a", "$.a[0:1]", "$.a[?(@.x)]"):
        with pytest.raises(PathSyntaxError, match="reference path"):
            parse_path(text, reference=True)


def test_variables_and_the_context_object_are_path_roots():
    scope = Scope({"x": 1}, Variables({"cfg": {"region": "eu"}}), lambda: {"Execution": {"Name": "run-1"}})
    assert scope.resolve(parse_path("$cfg.region")) == "eu"
    assert scope.resolve(parse_path("$$.Execution.Name")) == "run-1"


def evaluate(call: str, data=None):
    return parse_intrinsic(call).evaluate(Scope(data or {}, None, dict).resolve)


@pytest.mark.parametrize("call, expected", [
    ("States.Format('{} has {} items', $.name, $.n)", "cart has 2 items"),
    (r"States.Format('literal \{\} and {}', 'x')", "literal {} and x"),
    (r"States.Format('it\'s {}', $.obj)", "it's {a=1, b=[x, y]}"),
    ("States.StringToJson('{\"a\":1}')", {"a": 1}),
    ("States.JsonToString($.obj)", '{"a":1,"b":["x","y"]}'),
    ("States.Array(1, 'two', $.n, null, true)", [1, "two", 2, None, True]),
    ("States.ArrayPartition(States.ArrayRange(1, 5, 1), 2)", [[1, 2], [3, 4], [5]]),
    ("States.ArrayContains($.list, 3)", True),
    ("States.ArrayRange(1, 10, 3)", [1, 4, 7, 10]),
    ("States.ArrayRange(5, 1, 1)", []),
    ("States.ArrayRange(10, 1, -3)", [10, 7, 4, 1]),
    ("States.ArrayRange(1, 5, -1)", []),
    ("States.ArrayGetItem($.list, 1)", 2),
    ("States.ArrayLength($.list)", 3),
    ("States.ArrayUnique(States.Array(1, 1, 'a', 'a', 2))", [1, "a", 2]),
    ("States.Base64Encode('Data to encode')", "RGF0YSB0byBlbmNvZGU="),
    ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", "Data to encode"),
    ("States.Hash('input data', 'SHA-1')", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
    ("States.JsonMerge($.obj, States.StringToJson('{\"a\":2}'), false)", {"a": 2, "b": ["x", "y"]}),
    ("States.MathAdd(111, -1)", 110),
    ("States.MathAdd(1.5, 1)", 3),
    ("States.StringSplit('a,b;;c', ',;')", ["a", "b", "c"]),
    ("States.MathRandom(1, 1)", 1),
])
def test_intrinsic_functions(call, expected):
    data = {"name": "cart", "n": 2, "obj": {"a": 1, "b": ["x", "y"]}, "list": [1, 2, 3]}
    assert evaluate(call, data) == expected


def test_uuid_and_seeded_random():
    assert len(evaluate("States.UUID()")) == 36
    assert evaluate("States.MathRandom(1, 1000, 7)") == evaluate("States.MathRandom(1, 1000, 7)")


@pytest.mark.parametrize("call", [
    "States.ArrayGetItem(States.Array(1), 5)",
    "States.ArrayRange(1, 2000, 1)",
    "States.ArrayRange(1, 5, 0)",
    "States.ArrayRange(0, 1000000000000, 1)",
    "States.JsonMerge(States.Array(1), States.Array(2), false)",
    "States.Hash('x', 'SHA-3')",
    "States.Format('{} {}', 1)",
    "States.MathAdd('a', 1)",
    "States.Base64Decode('***')",
])
def test_intrinsic_failures_are_states_intrinsic_failure(call):
    with pytest.raises(Failure) as info:
        evaluate(call)
    assert info.value.error == "States.IntrinsicFailure"


@pytest.mark.parametrize("call", ["States.Nope(1)", "States.MathAdd(1)", "States.UUID(1)", "States.Format('x'",
                                  "States.Array(1 2)"])
def test_bad_intrinsic_calls_do_not_parse(call):
    with pytest.raises(IntrinsicSyntaxError):
        parse_intrinsic(call)


def test_every_intrinsic_has_a_signature():
    assert len(SIGNATURES) == 18


def choose(rule: dict, data) -> bool:
    return compile_rule(rule, "Pick")(Scope(data, None, dict))


@pytest.mark.parametrize("rule, data, expected", [
    ({"Variable": "$.s", "StringEquals": "a"}, {"s": "a"}, True),
    ({"Variable": "$.s", "StringLessThan": "b"}, {"s": "a"}, True),
    ({"Variable": "$.s", "StringEqualsPath": "$.t"}, {"s": "a", "t": "a"}, True),
    ({"Variable": "$.n", "NumericEquals": 1}, {"n": 1.0}, True),
    ({"Variable": "$.n", "NumericEquals": 1}, {"n": True}, False),
    ({"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.m"}, {"n": 2, "m": 2}, True),
    ({"Variable": "$.b", "BooleanEquals": False}, {"b": False}, True),
    ({"Variable": "$.t", "TimestampLessThan": "2026-01-01T00:00:00Z"}, {"t": "2025-12-31T23:59:59+00:00"}, True),
    ({"Variable": "$.t", "TimestampEquals": "2026-01-01T01:00:00+01:00"}, {"t": "2026-01-01T00:00:00Z"}, True),
    ({"Variable": "$.s", "StringMatches": "log-*.txt"}, {"s": "log-2026.txt"}, True),
    ({"Variable": "$.s", "StringMatches": r"a\*b"}, {"s": "a*b"}, True),
    ({"Variable": "$.s", "StringMatches": r"a\*b"}, {"s": "axb"}, False),
    ({"Variable": "$.s", "StringMatches": r"c:\\*"}, {"s": "c:\\dir"}, True),
    ({"Variable": "$.x", "IsPresent": False}, {}, True),
    ({"Variable": "$.x", "IsNull": True}, {"x": None}, True),
    ({"Variable": "$.x", "IsNull": False}, {}, True),
    ({"Variable": "$.x", "IsString": True}, {}, False),
    ({"Variable": "$.x", "IsNumeric": True}, {"x": "1"}, False),
    ({"Variable": "$.x", "IsString": True}, {"x": "1"}, True),
    ({"Variable": "$.x", "IsBoolean": True}, {"x": False}, True),
    ({"Variable": "$.x", "IsTimestamp": True}, {"x": "2026-01-01T00:00:00.123Z"}, True),
    ({"Variable": "$.x", "IsTimestamp": True}, {"x": "2026-01-01 00:00:00"}, False),
    ({"Not": {"Variable": "$.s", "StringEquals": "a"}}, {"s": "b"}, True),
    ({"And": [{"Variable": "$.n", "NumericGreaterThan": 1}, {"Variable": "$.n", "NumericLessThan": 3}]}, {"n": 2}, True),
    ({"Or": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.n", "NumericEquals": 3}]}, {"n": 2}, False),
    ({"Variable": "$.s", "StringEquals": "1"}, {"s": 1}, False),
])
def test_choice_rules(rule, data, expected):
    assert choose(rule, data) is expected


def test_a_choice_on_a_missing_variable_is_a_runtime_error():
    with pytest.raises(Failure) as info:
        choose({"Variable": "$.missing", "StringEquals": "a"}, {})
    assert info.value.error == "States.Runtime"
