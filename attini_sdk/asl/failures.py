"""Errors (spec section "Errors"): the ``States.*`` names and how failures travel.

Two families live here:

* :class:`Failure` is an *execution* failure, the thing Retry and Catch match
  on. It carries an error name and a cause, exactly as Step Functions does::

      >>> f = Failure("States.Timeout", "the task ran longer than 5 seconds")
      >>> f.error, f.cause
      ('States.Timeout', 'the task ran longer than 5 seconds')

  Task handlers raise its public subclass :class:`TaskFailed`.

* ``*SyntaxError`` / :class:`DefinitionError` are *user* errors found while
  loading a definition; they are :class:`attini_sdk.errors.ExecutionError`
  subclasses and say what, where and what to do.
"""

from __future__ import annotations

from attini_sdk.errors import ExecutionError

__all__ = [
    "ALL",
    "BRANCH_FAILED",
    "DATA_LIMIT_EXCEEDED",
    "EXCEED_TOLERATED_FAILURE_THRESHOLD",
    "HEARTBEAT_TIMEOUT",
    "INTRINSIC_FAILURE",
    "NO_CHOICE_MATCHED",
    "QUERY_EVALUATION_ERROR",
    "RESULT_PATH_MATCH_FAILURE",
    "RUNTIME",
    "TASK_FAILED",
    "TIMEOUT",
    "UNCATCHABLE",
    "DefinitionError",
    "Failure",
    "IntrinsicSyntaxError",
    "PathSyntaxError",
    "StateRuntimeError",
    "TaskFailed",
    "WaitForCallback",
]

# Appendix A of the spec, plus the names AWS added since.
ALL = "States.ALL"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
TASK_FAILED = "States.TaskFailed"
PERMISSIONS = "States.Permissions"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
# States.ParameterPathFailure is in the spec's list but Step Functions never raises it: a path that
# selects nothing is States.Runtime (see StateRuntimeError). ErrorEquals may still name it.
BRANCH_FAILED = "States.BranchFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
ITEM_READER_FAILED = "States.ItemReaderFailed"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
RUNTIME = "States.Runtime"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"

# Terminal errors: they end the execution whatever Retry/Catch say, "States.ALL" or their own name
# (the guide: States.DataLimitExceeded is "a terminal error", a States.Runtime error "isn't
# retriable, and will always cause the execution to fail").
UNCATCHABLE = frozenset({RUNTIME, DATA_LIMIT_EXCEEDED})


class Failure(Exception):
    """A state failed with a Step Functions error name and a cause.

    >>> str(Failure("MyError", "it broke"))
    'MyError: it broke'
    """

    def __init__(self, error: str | None, cause: str | None = None):
        self.error = error  # None only for a Fail state without Error
        self.cause = cause
        super().__init__(f"{error}: {cause}" if cause else str(error))

    def output(self) -> dict:
        """The error output a Catch hands on: ``{"Error": ..., "Cause": ...}``.

        >>> Failure("E", "c").output()
        {'Error': 'E', 'Cause': 'c'}
        """
        return {"Error": self.error if self.error is not None else "",
                "Cause": self.cause if self.cause is not None else ""}


class StateRuntimeError(Failure):
    """``States.Runtime`` raised while a state reads its data (a path that selects nothing).

    Step Functions opens such a cause with the state and the id of its ``StateEntered``
    event; the run executing the state knows both and calls :meth:`locate` (once: a
    failure that crosses a Map or Parallel keeps the innermost state)::

        >>> f = StateRuntimeError("Invalid path '$.x': ...")
        >>> f.locate("Check", 2).cause
        "An error occurred while executing the state 'Check' (entered at the event id #2). Invalid path '$.x': ..."
    """

    def __init__(self, cause: str):
        super().__init__(RUNTIME, cause)
        self.located = False

    def locate(self, state: str, entered_event: int) -> "StateRuntimeError":
        if not self.located:
            self.located = True
            self.cause = (f"An error occurred while executing the state '{state}' (entered at the event id "
                          f"#{entered_event}). {self.cause}")
            self.args = (f"{self.error}: {self.cause}",)
        return self


class TaskFailed(Failure):
    """Raised by a task handler to fail its Task state with a chosen error name.

    >>> def handler(invocation):
    ...     raise TaskFailed("Deploy.StackRollback", "stack app-dev rolled back")
    """


class WaitForCallback(Exception):
    """Raised by a task handler that will be answered later through the task token.

    The engine persists the execution as *paused* on ``invocation.token``; a
    later ``engine.send_task_success(token, output)`` (possibly in another
    process) completes the Task.

    >>> def approval(invocation):
    ...     print("approve with token", invocation.token)
    ...     raise WaitForCallback()
    """


class DefinitionError(ExecutionError):
    """A state machine definition cannot be loaded (bad structure or field)."""


class PathSyntaxError(ExecutionError):
    """A JSONPath or reference path does not parse."""


class IntrinsicSyntaxError(ExecutionError):
    """An intrinsic function call (``States.Format(...)``) does not parse."""
