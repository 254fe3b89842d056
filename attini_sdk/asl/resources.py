"""Task resources: what a Task's ``Resource`` runs, and what a handler receives.

A handler is ``handler(invocation: TaskInvocation) -> result``. The registry
finds it by exact ``Resource`` first, then by the longest registered prefix
(``attini:``, ``arn:aws:states:::aws-sdk:``); the ``.sync`` and
``.waitForTaskToken`` suffixes are matched without being part of the name::

    >>> registry = Registry({"test:echo": lambda inv: inv.input, "attini:": lambda inv: "step"})
    >>> registry.find("attini:cfn")("ignored")
    'step'
    >>> registry.find("test:echo.waitForTaskToken") is registry.find("test:echo")
    True

The AWS integrations (``arn:aws:states:::aws-sdk:*``, Lambda, DynamoDB, SQS,
SNS) are registered by default and load boto3 only when first used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from attini_sdk.asl.failures import RUNTIME, Failure, TaskFailed, WaitForCallback

__all__ = ["TaskInvocation", "TaskFailed", "WaitForCallback", "Registry", "Handler", "split_pattern"]

Handler = Callable[["TaskInvocation"], Any]

SUFFIXES = (".waitForTaskToken", ".sync:2", ".sync")


def split_pattern(resource: str) -> tuple[str, str]:
    """Split a Resource into (base, integration pattern).

    >>> split_pattern("arn:aws:states:::sqs:sendMessage.waitForTaskToken")
    ('arn:aws:states:::sqs:sendMessage', 'waitForTaskToken')
    >>> split_pattern("attini:cfn")
    ('attini:cfn', 'request-response')
    """
    for suffix in SUFFIXES:
        if resource.endswith(suffix):
            return resource[: -len(suffix)], suffix[1:].split(":")[0]
    return resource, "request-response"


def _never(seconds: float) -> bool:
    return True


@attrs.frozen
class TaskInvocation:
    """Everything a handler gets for one attempt of one Task state.

    ``input`` is the effective input (after InputPath/Parameters or Arguments);
    ``state_input`` the state's input after InputPath (the whole payload for
    Attini steps). ``token`` is this attempt's task token (answer it with
    ``engine.send_task_success``); ``attempt`` counts retries from 0;
    ``cancelled`` is set when the state times out or the execution stops.

    >>> inv = TaskInvocation(resource="test:echo", input={"a": 1})
    >>> inv.input, inv.attempt, inv.cancelled.is_set()
    ({'a': 1}, 0, False)
    """

    resource: str
    input: Any = None
    state_input: Any = None
    state_name: str = ""
    execution_id: str = ""
    token: str | None = None
    attempt: int = 0
    cancelled: threading.Event = attrs.field(factory=threading.Event)
    timeout_seconds: float | None = None
    heartbeat_seconds: float | None = None
    on_heartbeat: Callable[[], None] = attrs.field(default=lambda: None, repr=False)
    sleeper: Callable[[float], bool] = attrs.field(default=_never, repr=False)
    on_submitted: Callable[[Any], None] = attrs.field(default=lambda output: None, repr=False)
    #: where in the execution this attempt runs (branch key, step counter, retry count): the same after a
    #: resume, different for every other Task run; lets a host recognise a task it already finished
    position: str = ""

    def heartbeat(self) -> None:
        """Tell the engine this task is alive (resets the HeartbeatSeconds timer)."""
        self.on_heartbeat()

    def submitted(self, output: Any) -> None:
        """Record that the work was handed over (a ``TaskSubmitted`` event with the start call's
        ``output``); for handlers that then wait for a job, as ``.sync`` integrations do."""
        self.on_submitted(output)

    def sleep(self, seconds: float) -> bool:
        """Take ``seconds`` on the engine's clock (instant under a FakeClock); False if cancelled."""
        return self.sleeper(seconds)


class Registry:
    """Maps Resource strings to handlers: exact match, then the longest registered prefix."""

    def __init__(self, handlers: Mapping[str, Handler] | None = None, *, aws: bool = True):
        self._exact: dict[str, Handler] = {}
        self._prefixes: list[tuple[str, Handler]] = []
        if aws:
            from attini_sdk.asl.integrations import default_handlers

            for name, handler in default_handlers().items():
                self.register(name, handler)
        for name, handler in (handlers or {}).items():
            self.register(name, handler)

    def register(self, resource: str, handler: Handler) -> None:
        """Add (or replace) a handler; a name ending in ``:`` or ``/`` is also a prefix."""
        if not callable(handler):
            raise TypeError(f"the handler for {resource!r} must be callable")
        self._exact[resource] = handler
        if resource.endswith((":", "/")):
            self._prefixes = [(p, h) for p, h in self._prefixes if p != resource]
            self._prefixes.append((resource, handler))
            self._prefixes.sort(key=lambda item: len(item[0]), reverse=True)

    def find(self, resource: str) -> Handler:
        """The handler for ``resource``; raises Failure(States.Runtime) when none fits."""
        base, _ = split_pattern(resource)
        handler = self._exact.get(base) or self._exact.get(resource)
        if handler is not None:
            return handler
        for prefix, handler in self._prefixes:
            if base.startswith(prefix):
                return handler
        raise Failure(RUNTIME, f"no handler is registered for Resource '{resource}'; "
                               "pass it in Engine(resources={...})")
