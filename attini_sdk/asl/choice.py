"""Choice rules (spec section "Choice State"): comparisons, ``Is*`` tests and And/Or/Not.

Each rule is compiled once into a predicate over a :class:`~attini_sdk.asl.scope.Scope`::

    >>> from attini_sdk.asl.scope import Scope
    >>> rule = compile_rule({"And": [{"Variable": "$.n", "NumericGreaterThan": 1},
    ...                              {"Variable": "$.s", "StringMatches": "log-*.txt"}]}, "Pick")
    >>> rule(Scope({"n": 2, "s": "log-1.txt"}, None, dict))
    True

A comparison whose ``Variable`` (or ``*Path`` operand) selects nothing fails the
execution with ``States.Runtime`` ("Invalid path '$.x': The choice state's condition
path references an invalid value."), as Step Functions does; a value of the wrong
type simply does not match. A type test (``IsNull``, ``IsString``...) on a missing
variable is a value *not* of that type (``IsNull: false`` matches), as moto does.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Callable

from attini_sdk.asl.failures import DefinitionError, PathSyntaxError, StateRuntimeError
from attini_sdk.asl.paths import Path, PathMissing, parse_path
from attini_sdk.asl.scope import Scope

__all__ = ["compile_rule", "parse_timestamp", "COMPARISONS"]

Predicate = Callable[[Scope], bool]

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (uppercase ``T`` and ``Z``) as an aware datetime, else None.

    >>> parse_timestamp("2026-01-02T03:04:05Z").year, parse_timestamp("2026-01-02 03:04:05")
    (2026, None)
    """
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    if "." in text:  # Python wants at most 6 fraction digits
        head, rest = text.split(".", 1)
        digits = re.match(r"\d+", rest).group(0)
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _string(op):
    return lambda a, b: isinstance(a, str) and isinstance(b, str) and op(a, b)


def _numeric(op):
    return lambda a, b: _is_number(a) and _is_number(b) and op(a, b)


def _timestamp(op):
    def compare(a, b):
        ta, tb = parse_timestamp(a), parse_timestamp(b)
        return ta is not None and tb is not None and op(ta, tb)
    return compare


def _boolean(a, b):
    return isinstance(a, bool) and isinstance(b, bool) and a == b


_EQ, _LT, _GT = (lambda a, b: a == b), (lambda a, b: a < b), (lambda a, b: a > b)
_LE, _GE = (lambda a, b: a <= b), (lambda a, b: a >= b)

# operator -> (comparison, type the literal operand must have)
COMPARISONS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "StringEquals": (_string(_EQ), "string"),
    "StringLessThan": (_string(_LT), "string"),
    "StringGreaterThan": (_string(_GT), "string"),
    "StringLessThanEquals": (_string(_LE), "string"),
    "StringGreaterThanEquals": (_string(_GE), "string"),
    "NumericEquals": (_numeric(_EQ), "number"),
    "NumericLessThan": (_numeric(_LT), "number"),
    "NumericGreaterThan": (_numeric(_GT), "number"),
    "NumericLessThanEquals": (_numeric(_LE), "number"),
    "NumericGreaterThanEquals": (_numeric(_GE), "number"),
    "BooleanEquals": (_boolean, "boolean"),
    "TimestampEquals": (_timestamp(_EQ), "timestamp"),
    "TimestampLessThan": (_timestamp(_LT), "timestamp"),
    "TimestampGreaterThan": (_timestamp(_GT), "timestamp"),
    "TimestampLessThanEquals": (_timestamp(_LE), "timestamp"),
    "TimestampGreaterThanEquals": (_timestamp(_GE), "timestamp"),
}

_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": _is_number,
    "IsString": lambda v: isinstance(v, str),
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": lambda v: parse_timestamp(v) is not None,
}

_LITERAL_TYPES = {
    "string": lambda v: isinstance(v, str),
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "timestamp": lambda v: parse_timestamp(v) is not None,
}


def compile_rule(rule: Any, state: str, where: str = "Choices") -> Predicate:
    """Compile one (possibly nested) JSONPath choice rule into a predicate."""
    if not isinstance(rule, dict):
        raise DefinitionError("a choice rule must be an object", where=f"state {state!r}, field {where!r}",
                              hint='write {"Variable": "$.x", "StringEquals": "y", "Next": "..."}')
    for combinator in ("And", "Or"):
        if combinator in rule:
            parts = rule[combinator]
            if not isinstance(parts, list) or not parts:
                raise DefinitionError(f"{combinator} needs a non-empty list of rules",
                                      where=f"state {state!r}, field {where!r}")
            preds = tuple(compile_rule(p, state, f"{where}.{combinator}[{i}]") for i, p in enumerate(parts))
            if combinator == "And":
                return lambda scope: all(p(scope) for p in preds)
            return lambda scope: any(p(scope) for p in preds)
    if "Not" in rule:
        inner = compile_rule(rule["Not"], state, f"{where}.Not")
        return lambda scope: not inner(scope)
    return _compile_comparison(rule, state, where)


def _path(text: Any, state: str, where: str) -> Path:
    try:
        return parse_path(text)
    except PathSyntaxError as err:
        raise DefinitionError(err.what, where=f"state {state!r}, field {where!r}", hint=err.hint) from None


def _compile_comparison(rule: dict, state: str, where: str) -> Predicate:
    if "Variable" not in rule:
        raise DefinitionError("a choice rule needs Variable (or And/Or/Not)", where=f"state {state!r}, field {where!r}",
                              hint='add "Variable": "$.field"')
    variable = _path(rule["Variable"], state, f"{where}.Variable")
    operators = [k for k in rule if k in COMPARISONS or k in _TYPE_TESTS or k == "IsPresent" or k == "StringMatches"
                 or (k.endswith("Path") and k[:-4] in COMPARISONS)]
    if len(operators) != 1:
        raise DefinitionError(f"a choice rule needs exactly one comparison operator, found {operators or 'none'}",
                              where=f"state {state!r}, field {where!r}", hint="e.g. StringEquals, NumericGreaterThanPath, IsPresent")
    op = operators[0]
    operand = rule[op]
    if op == "IsPresent":
        expect = _bool_operand(op, operand, state, where)
        return lambda scope: variable_exists(scope, variable) is expect
    if op in _TYPE_TESTS:
        expect = _bool_operand(op, operand, state, where)
        test = _TYPE_TESTS[op]
        def type_test(scope):
            try:
                value = scope.resolve(variable)
            except PathMissing:
                return expect is False
            return test(value) is expect
        return type_test
    if op == "StringMatches":
        if not isinstance(operand, str):
            raise DefinitionError("StringMatches needs a string pattern", where=f"state {state!r}, field {where!r}")
        pattern = wildcard_regex(operand)
        return lambda scope: _matches(pattern, _value(scope, variable))
    if op.endswith("Path") and op not in COMPARISONS:
        compare = COMPARISONS[op[:-4]][0]
        other = _path(operand, state, f"{where}.{op}")
        return lambda scope: compare(_value(scope, variable), _value(scope, other))
    compare, kind = COMPARISONS[op]
    if not _LITERAL_TYPES[kind](operand):
        raise DefinitionError(f"{op} needs a {kind} operand, got {operand!r}", where=f"state {state!r}, field {where!r}")
    return lambda scope: compare(_value(scope, variable), operand)


def _bool_operand(op, operand, state, where) -> bool:
    if not isinstance(operand, bool):
        raise DefinitionError(f"{op} needs true or false, got {operand!r}", where=f"state {state!r}, field {where!r}")
    return operand


def variable_exists(scope: Scope, path: Path) -> bool:
    """True when ``path`` selects a value in ``scope``."""
    try:
        scope.resolve(path)
    except PathMissing:
        return False
    return True


def _value(scope: Scope, path: Path):
    try:
        return scope.resolve(path)
    except PathMissing:
        raise StateRuntimeError(f"Invalid path '{path.text}': The choice state's condition path references "
                                "an invalid value.") from None


def _matches(pattern: re.Pattern, value) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def wildcard_regex(pattern: str) -> re.Pattern:
    r"""Compile a StringMatches pattern: ``*`` matches anything, ``\*`` and ``\\`` are literal.

    >>> bool(wildcard_regex(r"a\*b*").fullmatch("a*bcd")), bool(wildcard_regex(r"a\*b").fullmatch("axb"))
    (True, False)
    """
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.S)
