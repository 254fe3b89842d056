"""The local Amazon States Language engine.

    >>> from attini_sdk.asl import Engine
    >>> definition = {"StartAt": "Hello", "States": {
    ...     "Hello": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hi {}', $.who)"}, "End": True}}}
    >>> Engine().start(definition, {"who": "ada"}).wait().output
    {'greeting': 'hi ada'}

Public names: :class:`Engine`, :class:`Execution`, :class:`TaskInvocation`,
:class:`TaskFailed`, :class:`WaitForCallback`, :class:`MemoryStore`,
:class:`FakeClock`/:class:`RealClock`, :class:`Failure`, :class:`DefinitionError`.
See ``docs/engine.md``.
"""

from attini_sdk.asl.clock import FakeClock, RealClock
from attini_sdk.asl.engine import Engine
from attini_sdk.asl.execution import Execution
from attini_sdk.asl.failures import DefinitionError, Failure, IntrinsicSyntaxError, PathSyntaxError, TaskFailed, WaitForCallback
from attini_sdk.asl.resources import Registry, TaskInvocation
from attini_sdk.asl.store import CheckpointStore, ExecutionRecord, Frame, MemoryStore

__all__ = [
    "Engine",
    "Execution",
    "TaskInvocation",
    "TaskFailed",
    "WaitForCallback",
    "MemoryStore",
    "CheckpointStore",
    "ExecutionRecord",
    "Frame",
    "FakeClock",
    "RealClock",
    "Failure",
    "DefinitionError",
    "PathSyntaxError",
    "IntrinsicSyntaxError",
    "Registry",
]
