"""The checkpoint store protocol, and :class:`MemoryStore`.

The engine persists an execution through five calls:

* ``create(record)`` once, when the execution starts (definition, input, name).
* ``checkpoint(execution_id, frames, events)`` after each state transition:
  the changed :class:`Frame` rows (one per running branch: where it is, its
  input, its own variables) and the history events since the last call, in
  **one transaction**.
* ``finish(execution_id, status, output, error, cause, stopped_at, events)``
  when it ends.
* ``load(execution_id)`` to resume: the record, every frame by key, all events.
* ``find_token(token)`` / ``record_callback(execution_id, key, token, outcome)``
  for task tokens answered while no process runs the execution.

``attini_sdk.backends.local.checkpoints.SqliteCheckpointStore`` implements it on
SQLite; :class:`MemoryStore` keeps it in a dict (tests, throwaway runs)::

    >>> store = MemoryStore()
    >>> store.create(ExecutionRecord("e1", "run", "{}", "null", 0.0))
    >>> store.checkpoint("e1", [Frame(key="", state="A", input="{}", step=1)], [])
    >>> store.load("e1").frames[""].state
    'A'
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

import attrs

__all__ = ["ExecutionRecord", "Frame", "SavedExecution", "CheckpointStore", "MemoryStore"]


@attrs.frozen
class ExecutionRecord:
    """One execution as stored: JSON text for definition, input and output."""

    execution_id: str
    name: str
    definition: str
    input: str
    started_at: float
    status: str = "RUNNING"
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    stopped_at: float | None = None


@attrs.frozen
class Frame:
    """Where one run (the top level ``""``, a Parallel branch or a Map iteration) is.

    ``state`` is the next state to run with ``input`` (JSON) as its raw input; when
    ``status`` is ``"succeeded"`` ``input`` holds the run's output, when ``"failed"``
    ``error``/``cause`` say why. ``variables`` is this scope's own variables as JSON
    (``None``: unchanged since the last checkpoint). ``retries`` (JSON) holds the
    retry counters of the state in flight. ``token`` is set while ``"paused"`` on a
    callback; ``callback`` (JSON) is an answer recorded while no process ran it.
    """

    key: str
    state: str | None
    input: str
    step: int = 0
    status: str = "running"
    variables: str | None = None
    retries: str | None = None
    token: str | None = None
    error: str | None = None
    cause: str | None = None
    callback: str | None = None


@attrs.frozen
class SavedExecution:
    """What ``load`` returns."""

    record: ExecutionRecord
    frames: dict
    events: list


class CheckpointStore(Protocol):
    """What the engine needs from a store (see the module docstring)."""

    def create(self, record: ExecutionRecord) -> None: ...

    def checkpoint(self, execution_id: str, frames: Sequence[Frame], events: Sequence[dict]) -> None: ...

    def finish(self, execution_id: str, status: str, output: str | None, error: str | None,
               cause: str | None, stopped_at: float, events: Sequence[dict]) -> None: ...

    def load(self, execution_id: str) -> SavedExecution | None: ...

    def find_token(self, token: str) -> tuple[str, str] | None: ...

    def record_callback(self, execution_id: str, key: str, token: str, outcome: str) -> None: ...


def merge_frame(old: Frame | None, new: Frame) -> Frame:
    """``new`` with ``variables`` carried over from ``old`` when ``new`` leaves them unchanged."""
    if new.variables is None and old is not None and old.variables is not None:
        return attrs.evolve(new, variables=old.variables)
    return new


class MemoryStore:
    """A checkpoint store in process memory (lost when the process ends).

    >>> MemoryStore().load("nope") is None
    True
    """

    def __init__(self):
        self._records: dict[str, ExecutionRecord] = {}
        self._frames: dict[str, dict[str, Frame]] = {}
        self._events: dict[str, list[dict]] = {}
        self._lock = threading.Lock()

    def create(self, record: ExecutionRecord) -> None:
        with self._lock:
            self._records[record.execution_id] = record
            self._frames[record.execution_id] = {}
            self._events[record.execution_id] = []

    def checkpoint(self, execution_id: str, frames: Sequence[Frame], events: Sequence[dict]) -> None:
        with self._lock:
            stored = self._frames[execution_id]
            for frame in frames:
                stored[frame.key] = merge_frame(stored.get(frame.key), frame)
            self._events[execution_id].extend(events)

    def finish(self, execution_id, status, output, error, cause, stopped_at, events) -> None:
        with self._lock:
            self._records[execution_id] = attrs.evolve(
                self._records[execution_id], status=status, output=output, error=error, cause=cause,
                stopped_at=stopped_at)
            self._events[execution_id].extend(events)

    def load(self, execution_id: str) -> SavedExecution | None:
        with self._lock:
            record = self._records.get(execution_id)
            if record is None:
                return None
            return SavedExecution(record, dict(self._frames[execution_id]), list(self._events[execution_id]))

    def find_token(self, token: str) -> tuple[str, str] | None:
        with self._lock:
            for execution_id, frames in self._frames.items():
                for frame in frames.values():
                    if frame.token == token:
                        return execution_id, frame.key
        return None

    def record_callback(self, execution_id: str, key: str, token: str, outcome: str) -> None:
        with self._lock:
            frame = self._frames[execution_id].get(key)
            if frame is not None and frame.token == token:
                self._frames[execution_id][key] = attrs.evolve(frame, callback=outcome)

    def executions(self) -> list[ExecutionRecord]:
        """Every execution record, oldest first."""
        with self._lock:
            return sorted(self._records.values(), key=lambda r: r.started_at)
