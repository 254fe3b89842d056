"""Attini step executors: plain functions the engine (or the AWS runner) calls for ``attini:*`` Tasks.

Each module exposes ``execute(properties, payload, ctx, *, step, log, cancelled=None)``; Cfn
and Runner also expose ``fingerprint(properties, ctx)`` for "skip unchanged". Modules load
lazily, so importing this package stays cheap::

    >>> from attini_sdk import steps
    >>> steps.executor("attini:merge-output")([{"a": 1}, {"b": 2}], ctx=None)
    {'a': 1, 'b': 2}

ManualApproval and Import need the store and the engine; they are wired in by the orchestrator.
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
    "module",
    "executor",
    "fingerprinter",
]

MODULES: dict[str, str] = {
    "attini:cfn": "attini_sdk.steps.cfn",
    "attini:runner": "attini_sdk.steps.runner",
    "attini:lambda-invoke": "attini_sdk.steps.lambda_invoke",
    "attini:merge-output": "attini_sdk.steps.merge",
}
"""Resource URI -> module holding its executor."""


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
