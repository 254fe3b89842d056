"""Retry and Catch (spec section "Error Handling").

Retriers are scanned in order; the first whose ``ErrorEquals`` matches decides.
Each retrier keeps its own attempt counter across the whole execution of the
state, so errors A, B, C, B, B with ``IntervalSeconds`` 1 and ``BackoffRate`` 2
on a retrier for A+C and one for B wait 1, 1, 2, 2 s::

    >>> r = Retrier.compile({"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "BackoffRate": 2,
    ...                      "MaxAttempts": 3, "MaxDelaySeconds": 3}, "S", 0)
    >>> [r.delay(n) for n in range(3)]
    [1.0, 2.0, 3.0]

``States.ALL`` matches every error except the terminal ``States.Runtime`` and
``States.DataLimitExceeded`` (which no retrier or catcher matches, even by name),
and must stand alone in the last retrier/catcher.
"""

from __future__ import annotations

from typing import Any

from attini_sdk.asl import expressions
from attini_sdk.asl.dataflow import _ROOT, _compile_path_field, merge_at
from attini_sdk.asl.failures import ALL, TASK_FAILED, TIMEOUT, UNCATCHABLE, DefinitionError
from attini_sdk.asl.templates import compile_template

__all__ = ["Retrier", "Catcher", "matches", "compile_retriers", "compile_catchers"]


def matches(error_equals: tuple[str, ...], error: str) -> bool:
    """True when a failure named ``error`` matches an ``ErrorEquals`` list.

    Terminal errors (``States.Runtime``, ``States.DataLimitExceeded``) match nothing, not even
    their own name: they end the execution.

    >>> matches(("States.ALL",), "States.Runtime"), matches(("States.TaskFailed",), "Lambda.Unknown")
    (False, True)
    >>> matches(("States.DataLimitExceeded",), "States.DataLimitExceeded")
    False
    """
    if error is None:  # a Fail state without Error inside a branch: only States.ALL catches it
        return ALL in error_equals
    if error in UNCATCHABLE:
        return False
    if error in error_equals:
        return True
    if ALL in error_equals:
        return True
    # AWS: "States.TaskFailed acts as a wildcard that matches any known error name except States.Timeout"
    return TASK_FAILED in error_equals and error != TIMEOUT


def _check_error_equals(spec: dict, state: str, where: str, last: bool) -> tuple[str, ...]:
    errors = spec.get("ErrorEquals")
    if not isinstance(errors, list) or not errors or not all(isinstance(e, str) for e in errors):
        raise DefinitionError("ErrorEquals must be a non-empty list of error names", where=f"state {state!r}, {where}",
                              hint='e.g. "ErrorEquals": ["States.TaskFailed"]')
    if ALL in errors and (len(errors) != 1 or not last):
        raise DefinitionError("States.ALL must appear alone, in the last retrier or catcher",
                              where=f"state {state!r}, {where}", hint="move States.ALL to its own last entry")
    return tuple(errors)


class Retrier:
    """One entry of ``Retry``."""

    __slots__ = ("error_equals", "interval", "max_attempts", "backoff", "max_delay", "jitter")

    def __init__(self, error_equals, interval, max_attempts, backoff, max_delay, jitter):
        self.error_equals = error_equals
        self.interval = interval
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_delay = max_delay
        self.jitter = jitter

    @classmethod
    def compile(cls, spec: dict, state: str, index: int, last: bool = True) -> "Retrier":
        where = f"Retry[{index}]"
        errors = _check_error_equals(spec, state, where, last)
        interval = spec.get("IntervalSeconds", 1)
        attempts = spec.get("MaxAttempts", 3)
        backoff = spec.get("BackoffRate", 2.0)
        max_delay = spec.get("MaxDelaySeconds")
        jitter = spec.get("JitterStrategy", "NONE")
        if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
            raise DefinitionError("IntervalSeconds must be a positive integer", where=f"state {state!r}, {where}")
        if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 0:
            raise DefinitionError("MaxAttempts must be a non-negative integer", where=f"state {state!r}, {where}")
        if not isinstance(backoff, (int, float)) or isinstance(backoff, bool) or backoff < 1:
            raise DefinitionError("BackoffRate must be a number >= 1.0", where=f"state {state!r}, {where}")
        if max_delay is not None and (not isinstance(max_delay, int) or max_delay < 1):
            raise DefinitionError("MaxDelaySeconds must be a positive integer", where=f"state {state!r}, {where}")
        if jitter not in ("FULL", "NONE"):
            raise DefinitionError("JitterStrategy must be FULL or NONE", where=f"state {state!r}, {where}")
        return cls(errors, float(interval), attempts, float(backoff), max_delay, jitter)

    def delay(self, attempt: int, rng: Any = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based) of this retrier; ``rng`` (default: the
        :mod:`random` module, loaded when a jitter first needs it) draws the FULL jitter."""
        seconds = self.interval * self.backoff ** attempt
        if self.max_delay is not None:
            seconds = min(seconds, float(self.max_delay))
        if self.jitter == "FULL":
            if rng is None:
                import random

                rng = random
            seconds = rng.uniform(0, seconds)
        return seconds


class Catcher:
    """One entry of ``Catch``: where to go and how the error output joins the input."""

    __slots__ = ("error_equals", "next", "result_path", "assign", "assign_jsonata", "output_jsonata")

    def __init__(self, spec: dict, state: str, index: int, last: bool, language: str):
        where = f"Catch[{index}]"
        self.error_equals = _check_error_equals(spec, state, where, last)
        self.next = spec.get("Next")
        if not isinstance(self.next, str):
            raise DefinitionError("a catcher needs Next", where=f"state {state!r}, {where}", hint='add "Next": "<state>"')
        self.assign = self.assign_jsonata = self.output_jsonata = None
        if language == "JSONata":
            if "ResultPath" in spec:
                raise DefinitionError("ResultPath is a JSONPath field; use Output in a JSONata catcher",
                                      where=f"state {state!r}, {where}")
            if "Assign" in spec:
                self.assign_jsonata = expressions.compile_value(spec["Assign"], f"state '{state}' {where}.Assign")
            if "Output" in spec:
                self.output_jsonata = expressions.compile_value(spec["Output"], f"state '{state}' {where}.Output")
            self.result_path = _ROOT
        else:
            self.result_path = _compile_path_field(spec, "ResultPath", state, reference=True)
            if "Assign" in spec:
                self.assign = compile_template(spec["Assign"], f"{where}.Assign", state=state)

    def merge(self, raw, error_output: dict):
        return merge_at(self.result_path, raw, error_output, "catch")


def compile_retriers(spec: dict, state: str) -> tuple[Retrier, ...]:
    entries = spec.get("Retry", [])
    if not isinstance(entries, list):
        raise DefinitionError("Retry must be a list", where=f"state {state!r}")
    return tuple(Retrier.compile(e, state, i, i == len(entries) - 1) for i, e in enumerate(entries))


def compile_catchers(spec: dict, state: str, language: str) -> tuple[Catcher, ...]:
    entries = spec.get("Catch", [])
    if not isinstance(entries, list):
        raise DefinitionError("Catch must be a list", where=f"state {state!r}")
    return tuple(Catcher(e, state, i, i == len(entries) - 1, language) for i, e in enumerate(entries))
