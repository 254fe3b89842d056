"""Attini step executors: plain functions the engine (or the AWS runner) calls for ``attini:*`` Tasks.

Each module exposes ``execute(properties, payload, ctx, *, step, log, cancelled=None)``; Cfn
and Runner also expose ``fingerprint(properties, ctx)`` for "skip unchanged". Modules load
lazily, so importing this package stays cheap::

    >>> from attini_sdk import steps
    >>> steps.executor("attini:merge-output")([{"a": 1}, {"b": 2}], ctx=None)
    {'a': 1, 'b': 2}

ManualApproval raises :class:`~attini_sdk.steps.approval.ApprovalRequired`, which the host turns into a
paused task (the local orchestrator records the approval with the engine's task token); Import reads
``ctx.dependency_outputs``, which the orchestrator fills from the store.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from types import ModuleType

from attini_sdk.steps.base import AwsSettings, DeploymentContext, StepLog, step_log_path

__all__ = [
    "AwsSettings",
    "DeploymentContext",
    "StepLog",
    "step_log_path",
    "MODULES",
    "TYPE_NAMES",
    "type_name",
    "module",
    "executor",
    "fingerprinter",
    "handlers",
]

MODULES: dict[str, str] = {
    "attini:cfn": "attini_sdk.steps.cfn",
    "attini:runner": "attini_sdk.steps.runner",
    "attini:lambda-invoke": "attini_sdk.steps.lambda_invoke",
    "attini:merge-output": "attini_sdk.steps.merge",
    "attini:approval": "attini_sdk.steps.approval",
    "attini:import": "attini_sdk.steps.imports",
    "attini:sam": "attini_sdk.steps.sam",
    "attini:cdk": "attini_sdk.steps.cdk",
}
"""Resource URI -> module holding its executor."""

TYPE_NAMES: dict[str, str] = {
    "attini:cfn": "AttiniCfn", "attini:runner": "AttiniRunnerJob", "attini:lambda-invoke": "AttiniLambdaInvoke",
    "attini:approval": "AttiniManualApproval", "attini:import": "AttiniImport",
    "attini:merge-output": "AttiniMergeOutput", "attini:sam": "AttiniSam", "attini:cdk": "AttiniCdk",
}
"""Resource URI -> Attini's step ``Type`` (``plan/attini_types.py`` maps the other way; a test keeps them equal)."""


def type_name(state_type: str | None, resource: str | None = None) -> str:
    """The ``Type`` a plan's author writes for a state that ran: Attini's name for an Attini step, else its ASL type.

    One vocabulary for step types everywhere a deployment's steps are shown (DataFrames, ``--json``, tables,
    progress events); the resource itself is shown beside it where it says more (an AWS Task's ARN).

    >>> type_name("Task", "attini:runner"), type_name("Task", "arn:aws:states:::lambda:invoke"), type_name("Pass")
    ('AttiniRunnerJob', 'Task', 'Pass')
    """
    if resource is not None and str(resource).startswith("attini:"):
        return TYPE_NAMES.get(str(resource), str(resource))
    return "" if state_type is None else str(state_type)


def module(resource: str) -> ModuleType:
    """The module implementing ``resource`` (e.g. ``attini:cfn``); KeyError if there is none."""
    return importlib.import_module(MODULES[resource])


def executor(resource: str) -> Callable:
    """A callable ``(payload, *, ctx, step="", log=None, cancelled=None, properties=None)``.

    A convenience for tests and scripts; the orchestrator calls ``module(r).execute`` itself.
    """
    run = module(resource).execute

    @functools.wraps(run)
    def call(payload, *, ctx, step: str = "", log: StepLog | None = None, cancelled=None, properties=None):
        return run(properties or {}, payload, ctx, step=step, log=log, cancelled=cancelled)

    return call


def fingerprinter(resource: str) -> Callable | None:
    """``fingerprint(properties, ctx)`` for ``resource``, or None when it has none."""
    return getattr(module(resource), "fingerprint", None)


def handlers(ctx: DeploymentContext) -> dict[str, Callable]:
    """Task handlers for the engine, bound to one deployment: ``{resource: handler(invocation)}``.

    ``invocation`` is duck-typed on the engine's ``TaskInvocation``: ``input`` (the step's
    resolved Parameters), ``state_input``, ``state_name`` and ``cancelled``. Each call logs to
    ``StepLog.for_step(ctx, state_name)``. Failures stay :class:`attini_sdk.errors.StepFailed`;
    the orchestrator maps ``(error, cause)`` onto the engine's ``TaskFailed``::

        engine_resources.update(steps.handlers(ctx))
    """

    def bind(resource: str) -> Callable:
        def handle(invocation):
            run = module(resource).execute
            with StepLog.for_step(ctx, invocation.state_name) as log:
                return run(invocation.input or {}, invocation.state_input, ctx, step=invocation.state_name,
                           log=log, cancelled=getattr(invocation, "cancelled", None))

        handle.__name__ = f"handle_{resource.split(':', 1)[1].replace('-', '_')}"
        return handle

    return {resource: bind(resource) for resource in MODULES}
