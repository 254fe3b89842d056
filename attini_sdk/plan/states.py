"""Plain Amazon States Language states for Python plans.

They pass through to the compiled plan unchanged, except that a result (of a
``Task``, ``Map`` or a ``Pass`` with a ``result``) lands at ``$.output.<Name>``
by default so that later steps can reference it::

    >>> Task("Backup", resource="arn:aws:states:::aws-sdk:dynamodb:createBackup",
    ...      parameters={"TableName": "app", "BackupName": "pre-migrate"}).state()["ResultPath"]
    '$.output.Backup'
    >>> Wait("Settle", seconds=30).state()
    {'Type': 'Wait', 'Seconds': 30}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import attrs

from attini_sdk.errors import PlanError, Problem
from attini_sdk.plan import properties as props
from attini_sdk.plan.paths import step_output_path
from attini_sdk.plan.refs import Condition, Expr, Reference
from attini_sdk.plan.steps import DEFAULT_RESULT, Guarded, Step, adopt

__all__ = ["Pass", "Task", "Wait", "Succeed", "Fail", "Choice", "Parallel", "Map"]


def _result_path(step: Step, result_path: Any) -> str | None:
    return step_output_path(step.name) if result_path == DEFAULT_RESULT else result_path


def _seq(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, Step):
        return (value,)
    return tuple(value)


def _template(step: Step, value: Any, asl: str) -> Any:
    return props.template(value, state=step.name, field=asl)


@attrs.frozen(eq=False, kw_only=True)
class Pass(Step):
    """Pass its input on, optionally with a fixed ``result`` or built ``parameters``.

    >>> Pass("Defaults", result={"replicas": 2}).state()
    {'Type': 'Pass', 'Result': {'replicas': 2}, 'ResultPath': '$.output.Defaults'}
    """

    type_name: ClassVar[str] = "Pass"

    result: Any = None
    parameters: dict | None = None
    result_path: str | None = DEFAULT_RESULT
    input_path: str | None = "$"
    output_path: str | None = "$"

    def _problems(self) -> Iterable[Problem]:
        yield from super()._problems()
        if self.result is not None and self.parameters is not None:
            yield Problem("give result= or parameters=, not both", state=self.name, field="Result")
        if isinstance(self.result, (Reference, Expr)):
            yield Problem("result= is a fixed value; use parameters= for references", state=self.name, field="Result")

    def _transforms(self) -> bool:
        return self.result is not None or self.parameters is not None

    def result_location(self) -> str | None:
        return _result_path(self, self.result_path) if self._transforms() else None

    def state(self) -> dict:
        state: dict = {"Type": "Pass"}
        if self.input_path != "$":
            state["InputPath"] = self.input_path
        if self.parameters is not None:
            state["Parameters"] = _template(self, self.parameters, "Parameters")
        if self.result is not None:
            state["Result"] = _template(self, self.result, "Result")
        if self._transforms() and self.result_path != "$":
            state["ResultPath"] = _result_path(self, self.result_path)
        if self.output_path != "$":
            state["OutputPath"] = self.output_path
        return self._common(state)


@attrs.frozen(eq=False, kw_only=True)
class Task(Guarded):
    """Call any ``Resource`` (an AWS ARN, ``arn:aws:states:::aws-sdk:...``).

    >>> Task("Notify", resource="arn:aws:states:::sns:publish",
    ...      parameters={"TopicArn": "arn:aws:sns:eu-west-1:1:x", "Message": "done"}).state()["Resource"]
    'arn:aws:states:::sns:publish'
    """

    type_name: ClassVar[str] = "Task"

    resource: str | None = None
    parameters: dict | None = None
    result_selector: dict | None = None
    result_path: str | None = DEFAULT_RESULT
    input_path: str | None = "$"
    output_path: str | None = "$"
    heartbeat_seconds: int | None = None

    def _problems(self) -> Iterable[Problem]:
        yield from super()._problems()
        if not isinstance(self.resource, str) or not self.resource:
            yield Problem("resource= (an ARN or URI) is required", state=self.name, field="Resource")

    def result_location(self) -> str | None:
        return _result_path(self, self.result_path)

    def state(self) -> dict:
        state: dict = {"Type": "Task", "Resource": self.resource}
        if self.input_path != "$":
            state["InputPath"] = self.input_path
        if self.parameters is not None:
            state["Parameters"] = _template(self, self.parameters, "Parameters")
        if self.result_selector is not None:
            state["ResultSelector"] = _template(self, self.result_selector, "ResultSelector")
        if self.result_path != "$":
            state["ResultPath"] = _result_path(self, self.result_path)
        if self.output_path != "$":
            state["OutputPath"] = self.output_path
        if self.heartbeat_seconds is not None:
            state["HeartbeatSeconds"] = self.heartbeat_seconds
        return self._guards(state)


@attrs.frozen(eq=False, kw_only=True)
class Wait(Step):
    """Wait ``seconds`` or until ``timestamp`` (either may be a reference).

    >>> from attini_sdk.plan import env
    >>> Wait("Hold", seconds=env.param("hold")).state()
    {'Type': 'Wait', 'SecondsPath': '$.parameters.hold'}
    """

    type_name: ClassVar[str] = "Wait"

    seconds: int | Reference | None = None
    timestamp: str | Reference | None = None

    def _problems(self) -> Iterable[Problem]:
        yield from super()._problems()
        if (self.seconds is None) == (self.timestamp is None):
            yield Problem("give exactly one of seconds= or timestamp=", state=self.name, field="Seconds")
        s = self.seconds
        if s is not None and not isinstance(s, Reference) and (isinstance(s, bool) or not isinstance(s, int) or s < 0):
            yield Problem(f"seconds= must be a non-negative integer, got {s!r}", state=self.name, field="Seconds")

    def result_location(self) -> str | None:
        return None

    def state(self) -> dict:
        state: dict = {"Type": "Wait"}
        for key, value in (("Seconds", self.seconds), ("Timestamp", self.timestamp)):
            if isinstance(value, Reference):
                state[f"{key}Path"] = value.path
            elif value is not None:
                state[key] = value
        return self._common(state)


@attrs.frozen(eq=False, kw_only=True)
class Succeed(Step):
    """End the plan (or the branch) successfully. Nothing may run after it.

    >>> Succeed("Done").state()
    {'Type': 'Succeed'}
    """

    type_name: ClassVar[str] = "Succeed"
    terminal: ClassVar[bool] = True

    def result_location(self) -> str | None:
        return None

    def state(self) -> dict:
        return self._common({"Type": "Succeed"})


@attrs.frozen(eq=False, kw_only=True)
class Fail(Step):
    """Stop the plan with an ``error`` and ``cause``. Nothing may run after it.

    >>> Fail("Refuse", error="NotAllowed", cause="production is frozen").state()["Error"]
    'NotAllowed'
    """

    type_name: ClassVar[str] = "Fail"
    terminal: ClassVar[bool] = True

    error: str | None = None
    cause: str | None = None

    def result_location(self) -> str | None:
        return None

    def state(self) -> dict:
        state: dict = {"Type": "Fail"}
        if self.error is not None:
            state["Error"] = self.error
        if self.cause is not None:
            state["Cause"] = self.cause
        return self._common(state)


@attrs.frozen(eq=False, kw_only=True)
class Choice(Step):
    """Run ``is_true`` or ``is_false`` (each a list of steps run in order), then carry on.

    This is Attini's simple-syntax Choice (``Condition``, ``IsTrue``, ``IsFalse``).

    >>> from attini_sdk.plan import ManualApproval, env
    >>> gate = Choice("IsProduction", condition=env.type.equals("production"),
    ...               is_true=[ManualApproval("Approve")])
    >>> gate.state()["Choices"][0]["StringEquals"]
    'production'
    """

    type_name: ClassVar[str] = "Choice"

    condition: Condition | dict | None = None
    is_true: tuple[Step, ...] = attrs.field(default=(), converter=_seq)
    is_false: tuple[Step, ...] = attrs.field(default=(), converter=_seq)

    def _problems(self) -> Iterable[Problem]:
        yield from super()._problems()
        if not isinstance(self.condition, (Condition, dict)):
            yield Problem("condition= is required: e.g. env.type.equals('production')", state=self.name,
                          field="Condition")
        if not self.is_true and not self.is_false:
            yield Problem("give is_true= or is_false= (a list of steps)", state=self.name, field="IsTrue")
        yield from adopt(self, self.is_true, "IsTrue")
        yield from adopt(self, self.is_false, "IsFalse")

    def rule(self) -> dict:
        """The ASL choice rule (without ``Next``)."""
        return dict(self.condition.rule if isinstance(self.condition, Condition) else self.condition)

    def places(self) -> list[tuple[str, list[Step]]]:
        return [(f"in is_true of Choice '{self.name}'", list(self.is_true)),
                (f"in is_false of Choice '{self.name}'", list(self.is_false))]

    def own_values(self) -> list[Any]:
        return [self.condition]

    def result_location(self) -> str | None:
        return None

    def state(self) -> dict:
        return self._common({"Type": "Choice", "Choices": [self.rule()]})


@attrs.frozen(eq=False, kw_only=True)
class Parallel(Guarded):
    """Run ``branches`` (lists of steps) side by side, then merge their payloads.

    A ``<Name>-Merge`` MergeOutput follows automatically (``merge=False`` to
    leave the array of payloads as is; ``<Name>-Merge-2`` if a step of the
    plan already has that name). Independent steps of a plan already run
    in parallel; use this to group them explicitly.

    >>> from attini_sdk.plan import Cfn
    >>> p = Parallel("Stacks", branches=[[Cfn("A", stack_name="a", template="/a.yaml")],
    ...                                  [Cfn("B", stack_name="b", template="/b.yaml")]])
    >>> p.merge_name
    'Stacks-Merge'
    """

    type_name: ClassVar[str] = "Parallel"

    branches: tuple[tuple[Step, ...], ...] = attrs.field(default=(), converter=lambda bs: tuple(_seq(b) for b in bs))
    merge: bool = True

    def _problems(self) -> Iterable[Problem]:
        yield from super()._problems()
        if not self.branches or not all(self.branches):
            yield Problem("branches= must be a non-empty list of non-empty step lists", state=self.name,
                          field="Branches")
        for branch in self.branches:
            yield from adopt(self, branch, "Branches")

    @property
    def merge_name(self) -> str:
        return f"{self.name}-Merge"

    def places(self) -> list[tuple[str, list[Step]]]:
        branches = [(f"in branch {i + 1} of Parallel '{self.name}'", list(b)) for i, b in enumerate(self.branches)]
        return branches + self.handlers()

    def own_values(self) -> list[Any]:
        return [self.timeout_seconds]

    def result_location(self) -> str | None:
        return None

    def output(self, key: str | None = None):
        raise PlanError([Problem("a Parallel has no output of its own", state=self.name)],
                        hint="reference the steps inside its branches: their outputs are merged into $.output")

    def state(self) -> dict:
        return self._guards({"Type": "Parallel"})


@attrs.frozen(eq=False, kw_only=True)
class Map(Guarded):
    """Run ``iterator`` (a list of steps) once per item of ``items_path``.

    Each iteration's input is the item (or ``item_selector``); the array of
    results lands at ``$.output.<Name>``.

    >>> from attini_sdk.plan import env
    >>> m = Map("PerRegion", items_path=env.param("regions"), iterator=[Pass("Noop")])
    >>> m.state()["ItemsPath"]
    '$.parameters.regions'
    """

    type_name: ClassVar[str] = "Map"

    items_path: str | Reference | None = None
    iterator: tuple[Step, ...] = attrs.field(default=(), converter=_seq)
    item_selector: dict | None = None
    max_concurrency: int | None = None
    result_path: str | None = DEFAULT_RESULT

    def _problems(self) -> Iterable[Problem]:
        yield from super()._problems()
        if not self.iterator:
            yield Problem("iterator= must be a non-empty list of steps", state=self.name, field="ItemProcessor")
        yield from adopt(self, self.iterator, "ItemProcessor")
        m = self.max_concurrency
        if m is not None and (isinstance(m, bool) or not isinstance(m, int) or m < 0):
            yield Problem(f"max_concurrency= must be a non-negative integer, got {m!r}", state=self.name,
                          field="MaxConcurrency")

    def places(self) -> list[tuple[str, list[Step]]]:
        return [(f"in the iterator of Map '{self.name}'", list(self.iterator))] + self.handlers()

    def own_values(self) -> list[Any]:
        return [self.items_path, self.item_selector, self.timeout_seconds]

    def result_location(self) -> str | None:
        return _result_path(self, self.result_path)

    def state(self) -> dict:
        state: dict = {"Type": "Map"}
        if self.items_path is not None:
            state["ItemsPath"] = self.items_path.path if isinstance(self.items_path, Reference) else self.items_path
        if self.item_selector is not None:
            state["ItemSelector"] = _template(self, self.item_selector, "ItemSelector")
        if self.max_concurrency is not None:
            state["MaxConcurrency"] = self.max_concurrency
        if self.result_path != "$":
            state["ResultPath"] = _result_path(self, self.result_path)
        return self._guards(state)
