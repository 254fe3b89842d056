"""The local engine: start, resume, stop executions and answer task tokens.

    >>> from attini_sdk.asl import Engine, FakeClock
    >>> engine = Engine({"test:double": lambda inv: inv.input * 2}, clock=FakeClock())
    >>> definition = {"StartAt": "Nap", "States": {
    ...     "Nap": {"Type": "Wait", "Seconds": 3600, "Next": "Double"},
    ...     "Double": {"Type": "Task", "Resource": "test:double", "End": True}}}
    >>> engine.start(definition, 21).wait().output
    42

``store`` decides where progress is checkpointed (a
:class:`~attini_sdk.asl.store.MemoryStore` by default; the local backend passes
``SqliteCheckpointStore``); after a crash, ``engine.resume(execution_id)``
continues from the last completed state.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from attini_sdk.asl.clock import Clock, RealClock
from attini_sdk.asl.execution import TERMINAL, Execution
from attini_sdk.asl.history import History
from attini_sdk.asl.limits import HISTORY_EVENTS, PAYLOAD_BYTES, oversize
from attini_sdk.asl.machine import Machine, compile_machine, load_definition
from attini_sdk.asl.resources import Registry, TaskInvocation
from attini_sdk.asl.store import ExecutionRecord, MemoryStore
from attini_sdk.errors import ExecutionError, NotFoundError

__all__ = ["Engine"]

ACCOUNT_ARN = "arn:aws:states:local:000000000000"


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class _Waiter:
    """A task token being waited on: the answer, and how to wake the waiting run."""

    def __init__(self, execution: Execution, key: str):
        self.execution = execution
        self.key = key
        self.event = threading.Event()
        self.cancelled = threading.Event()
        self.outcome: dict = {}
        self.on_heartbeat: Callable[[], None] = lambda: None
        self._held = False
        self._lock = threading.Lock()

    def hold(self) -> None:
        """The run now waits: count it as paused."""
        with self._lock:
            if not self._held and not self.event.is_set():
                self._held = True
                self.execution.set_paused(+1)

    def release(self) -> None:
        with self._lock:
            if self._held:
                self._held = False
                self.execution.set_paused(-1)

    def deliver(self, outcome: dict) -> None:
        self.outcome = outcome
        self.release()  # not paused any more, even before the run's thread wakes up
        self.event.set()


class Engine:
    """Runs Amazon States Language definitions locally.

    ``resources`` maps Task ``Resource`` strings (or prefixes ending in ``:``) to
    handlers; ``store`` checkpoints progress; ``max_workers`` bounds a Map's
    concurrent iterations when it sets no MaxConcurrency; ``clock`` makes time
    injectable (:class:`~attini_sdk.asl.clock.FakeClock` in tests).

    Step Functions' quotas hold here too: ``max_payload_bytes`` (262,144, AWS's
    256 KiB) caps every payload, failing the execution with the terminal
    ``States.DataLimitExceeded``; ``max_history_events`` (25,000) caps the event
    history, failing it with ``States.Runtime``. ``None`` turns a limit off.

    ``valid_definitions`` is a folder that remembers, by content, the definitions the plan validator
    accepted (for this version of the validator): starting one of them again skips the validator
    (a no-op redeploy starts the same plan every time). Without it every start validates.

        >>> Engine(max_payload_bytes=None, max_history_events=None).max_history_events is None
        True
    """

    def __init__(self, resources: Mapping[str, Callable[[TaskInvocation], Any]] | None = None, store=None, *,
                 max_workers: int = 40, clock: Clock | None = None, region: str = "local",
                 role_arn: str = "arn:aws:iam::000000000000:role/attini-local",
                 state_machine_name: str = "local", max_payload_bytes: int | None = PAYLOAD_BYTES,
                 max_history_events: int | None = HISTORY_EVENTS, valid_definitions: str | os.PathLike | None = None):
        self.valid_definitions = Path(valid_definitions) if valid_definitions is not None else None
        self.max_payload_bytes = _limit(max_payload_bytes, "max_payload_bytes", 1)
        self.max_history_events = _limit(max_history_events, "max_history_events", 2)
        self.registry = Registry(resources)
        self.store = store if store is not None else MemoryStore()
        self.max_workers = max(1, int(max_workers))
        self.clock = clock or RealClock()
        self.region = region
        self.role_arn = role_arn
        self.state_machine_arn = f"{ACCOUNT_ARN}:stateMachine:{state_machine_name}"
        self._execution_prefix = f"{ACCOUNT_ARN}:execution:{state_machine_name}:"
        self._live: dict[str, Execution] = {}
        self._waiters: dict[str, _Waiter] = {}
        self._lock = threading.Lock()

    # -- executions -------------------------------------------------------------------------
    def execution_id_for(self, name: str) -> str:
        """The execution id an execution started with ``name`` gets (an ARN-shaped string).

        >>> Engine().execution_id_for("deploy-7")
        'arn:aws:states:local:000000000000:execution:local:deploy-7'
        """
        return self._execution_prefix + name

    def start(self, definition: dict | str, input: Any = None, name: str | None = None) -> Execution:
        """Start an execution and return its handle at once (call ``.wait()`` for the result).

        Raises :class:`~attini_sdk.errors.PlanError` for a definition Step Functions would
        refuse at CreateStateMachine (the plan validator lists every problem),
        :class:`DefinitionError` for one that cannot run and :class:`ExecutionError` when
        ``name`` was used before.
        """
        spec = load_definition(definition)
        machine = self.validate(spec)
        name = name or uuid.uuid4().hex
        execution_id = self.execution_id_for(name)
        if self.store.load(execution_id) is not None:
            raise ExecutionError(f"an execution named {name!r} already exists", where=execution_id,
                                 hint="choose another name, or resume the existing execution")
        try:
            input_json = _dumps(input)
        except (TypeError, ValueError) as err:
            raise ExecutionError(f"the execution input is not JSON: {err}", where=execution_id) from None
        size = oversize(input_json, self.max_payload_bytes)
        if size is not None:  # Step Functions refuses such a StartExecution: no execution exists
            raise ExecutionError(
                f"the execution input is {size:,} bytes of UTF-8 JSON, over the payload quota of "
                f"{self.max_payload_bytes:,} bytes", where=execution_id,
                hint="pass a reference to large data (a file path, an S3 key) instead of the data itself")
        started = self.clock.now()
        self.store.create(ExecutionRecord(execution_id, name, _dumps(spec), input_json, started))
        history = History(self.clock.now)
        execution = Execution(self, execution_id, name, machine, json.loads(input_json), started, history)
        history.add("ExecutionStarted", {"input": input_json, "inputDetails": {"truncated": False},
                                         "roleArn": self.role_arn, "stateMachineArn": self.state_machine_arn}, 0)
        with self._lock:
            self._live[execution_id] = execution
        execution.launch()
        return execution

    def resume(self, execution_id: str) -> Execution:
        """Continue an execution from its last checkpoint (after a crash or in a new process).

        A finished execution is returned as it is; a running one in this engine too.
        """
        with self._lock:
            live = self._live.get(execution_id)
        if live is not None:
            return live
        execution = self._restore(execution_id)
        if execution.status in TERMINAL:
            return execution
        with self._lock:
            self._live[execution_id] = execution
        execution.launch(execution.saved_frames.get(""))
        return execution

    def execution(self, execution_id: str) -> Execution:
        """The execution as stored (or live), without running it."""
        with self._lock:
            live = self._live.get(execution_id)
        return live if live is not None else self._restore(execution_id)

    def _restore(self, execution_id: str) -> Execution:
        saved = self.store.load(execution_id)
        if saved is None:
            raise NotFoundError(f"no execution {execution_id!r} in this engine's store",
                                hint="check the id (execution.execution_id) and the store the engine uses")
        record = saved.record
        machine = compile_machine(record.definition)
        history = History(self.clock.now, saved.events)
        execution = Execution(self, execution_id, record.name, machine, json.loads(record.input), record.started_at,
                              history)
        execution.saved_frames = saved.frames
        if record.status in TERMINAL:
            execution.status = record.status
            execution.output = json.loads(record.output) if record.output is not None else None
            execution.error, execution.cause, execution.stopped_at = record.error, record.cause, record.stopped_at
        return execution

    def stop(self, execution_id: str, error: str | None = None, cause: str | None = None) -> Execution:
        """Abort an execution (live here, or only stored, e.g. paused in another process)."""
        with self._lock:
            live = self._live.get(execution_id)
        if live is not None:
            return live.stop(error, cause)
        execution = self._restore(execution_id)
        if execution.status not in TERMINAL:
            event = execution.recorder.add("ExecutionAborted", {"error": error or "", "cause": cause or ""},
                                           execution.recorder.last_id)
            self.store.finish(execution_id, "ABORTED", None, error, cause, self.clock.now(), [event])
            execution.status, execution.error, execution.cause = "ABORTED", error, cause
        return execution

    def validate(self, definition: dict | str) -> Machine:
        """Check a definition without running it; returns the compiled machine.

        The plan validator (:func:`attini_sdk.plan.validate.validate_definition`) is the
        judge: a :class:`~attini_sdk.errors.PlanError` lists every problem at once.
        """
        spec = load_definition(definition)
        known = None
        if self.valid_definitions is not None:
            try:
                known = _ValidDefinitions(self.valid_definitions, spec)
            except (TypeError, ValueError):  # not JSON: the validator says why
                known = None
        if known is None or not known.seen():
            from attini_sdk.errors import PlanError
            from attini_sdk.plan.validate import check_definition  # up the chain: listed in docs/internals.md

            try:
                check_definition(spec)
            except PlanError as err:
                raise PlanError(err.problems, hint="fix each listed problem: Step Functions refuses such a "
                                                   "definition at CreateStateMachine too") from None
            if known is not None:
                known.remember()
        return compile_machine(spec)

    # -- task tokens ------------------------------------------------------------------------
    def send_task_success(self, token: str, output: Any) -> Execution | None:
        """Complete the Task waiting on ``token`` with ``output`` (resuming it if stored only).

        Like SendTaskSuccess, an ``output`` over ``max_payload_bytes`` is refused
        (:class:`ExecutionError`); the Task keeps waiting.
        """
        text = _dumps(output)
        size = oversize(text, self.max_payload_bytes)
        if size is not None:
            raise ExecutionError(
                f"the task output is {size:,} bytes of UTF-8 JSON, over the payload quota of "
                f"{self.max_payload_bytes:,} bytes", where=f"task token {token[:16]}...",
                hint="send a reference to large data instead, or fail the task with send_task_failure")
        return self._answer(token, {"output": json.loads(text)})

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> Execution | None:
        """Fail the Task waiting on ``token`` with ``error``/``cause``."""
        return self._answer(token, {"error": error or "", "cause": cause or ""})

    def send_task_heartbeat(self, token: str) -> None:
        """Reset the HeartbeatSeconds timer of the Task waiting on ``token``."""
        with self._lock:
            waiter = self._waiters.get(token)
        if waiter is None:
            raise NotFoundError(f"no task waits on token {token[:16]}...", hint="the task may have finished or timed out")
        waiter.on_heartbeat()

    def _answer(self, token: str, outcome: dict) -> Execution | None:
        with self._lock:
            waiter = self._waiters.get(token)
        if waiter is not None:
            # durable first, so a crash right after this call still sees the answer
            self.store.record_callback(waiter.execution.execution_id, waiter.key, token, _dumps(outcome))
            waiter.deliver(outcome)
            return waiter.execution
        found = self.store.find_token(token)
        if found is None:
            raise NotFoundError(f"no task waits on token {token[:16]}...",
                                hint="the task may have finished, timed out, or belong to another store")
        execution_id, key = found
        self.store.record_callback(execution_id, key, token, _dumps(outcome))
        return self.resume(execution_id)

    def _register_token(self, token: str, execution: Execution, key: str) -> _Waiter:
        waiter = _Waiter(execution, key)
        with self._lock:
            self._waiters[token] = waiter
        execution.track_token(token, True)
        return waiter

    def _unregister_token(self, token: str) -> None:
        with self._lock:
            waiter = self._waiters.pop(token, None)
        if waiter is not None:
            waiter.execution.track_token(token, False)

    def _forget(self, execution: Execution) -> None:
        with self._lock:
            if self._live.get(execution.execution_id) is execution:
                del self._live[execution.execution_id]


def _limit(value: int | None, name: str, minimum: int) -> int | None:
    """A quota given to :class:`Engine`: ``None`` (off) or an integer of at least ``minimum``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ExecutionError(f"{name} must be an integer >= {minimum} or None, got {value!r}",
                             where=f"Engine({name}=...)", hint="leave it out for AWS's quota, or pass None to turn it off")
    return value


@functools.cache
def _validator_stamp() -> str:
    """What the validator's verdict depends on besides the definition: this package's version and the size and
    modification time of every module of ``asl``, ``plan`` and ``errors`` (any edit makes every verdict new)."""
    from attini_sdk._version import __version__

    root = Path(__file__).resolve().parents[1]
    parts = [__version__]
    for folder in (root / "asl", root / "plan"):
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name.endswith(".py"):
                    info = entry.stat()
                    parts.append(f"{folder.name}/{entry.name}:{info.st_size}:{info.st_mtime_ns}")
    info = (root / "errors.py").stat()
    parts.append(f"errors.py:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join(parts)


_SEEN: set[str] = set()  # keys of definitions validated in this process


class _ValidDefinitions:
    """One definition's entry in a folder of definitions the validator accepted: an empty file named by the
    sha256 of the validator's stamp and the canonical JSON of the definition. Best effort: a folder that cannot be
    read or written only means validating again."""

    def __init__(self, folder: Path, spec: dict) -> None:
        canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(f"{_validator_stamp()}\n{canonical}".encode()).hexdigest()
        self.key, self.path = digest, folder / digest

    def seen(self) -> bool:
        if self.key in _SEEN:
            return True
        if self.path.is_file():
            _SEEN.add(self.key)
            return True
        return False

    def remember(self) -> None:
        _SEEN.add(self.key)
        try:  # owner-only, like everything under $ATTINI_HOME (asl/ sits below home's owner_only())
            missing = [p for p in (self.path.parent, *self.path.parent.parents) if not p.exists()]
            for folder in reversed(missing):
                folder.mkdir(mode=0o700, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError:
            pass
