"""One execution of a state machine: the handle :meth:`Engine.start` returns.

    >>> from attini_sdk.asl import Engine
    >>> run = Engine().start({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}, {"x": 1}).wait()
    >>> run.status, run.output
    ('SUCCEEDED', {'x': 1})
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from typing import Any

import attrs

from attini_sdk.asl.failures import RUNTIME, TIMEOUT, Failure
from attini_sdk.asl.history import History, history_frame, public_events
from attini_sdk.asl.runtime import Aborted, CancelScope, Run, iso
from attini_sdk.asl.scope import Variables

__all__ = ["Execution", "TERMINAL"]

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
BATCH_TRANSITIONS = 256
BATCH_SECONDS = 0.1


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Execution:
    """A running or finished execution.

    ``status`` is "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT" or "ABORTED";
    ``paused`` is True while it runs but only waits on task tokens (see
    ``pending_tokens``). ``output`` is the parsed JSON output, ``error`` and
    ``cause`` say why it failed, ``history`` lists GetExecutionHistory-shaped
    events and ``history_frame()`` gives them as a DataFrame.
    """

    def __init__(self, engine, execution_id: str, name: str, machine, input_value: Any, started_at: float,
                 history: History):
        self.engine = engine
        self.execution_id = execution_id
        self.name = name
        self.machine = machine
        self.input = input_value
        self.started_at = started_at
        self.status = "RUNNING"
        self.output: Any = None
        self.error: str | None = None
        self.cause: str | None = None
        self.stopped_at: float | None = None
        self.recorder = history
        self.clock = engine.clock
        self.store = engine.store
        self.registry = engine.registry
        self.max_payload = engine.max_payload_bytes
        history.set_limit(engine.max_history_events, self._history_full)
        self.max_workers = engine.max_workers
        self.region = engine.region
        self.saved_frames: dict = {}
        self.cancel = CancelScope()
        self.deadline = started_at + machine.timeout_seconds if machine.timeout_seconds else None
        self._paused = 0
        self._checkpoint_lock = threading.Lock()
        self._pending_frames: dict = {}
        self._unflushed = 0
        self._last_flush = time.monotonic()
        self._active = 0
        self._tokens: set[str] = set()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._abort = (None, None)
        #: set by :meth:`halt`: the execution stopped in this process without ending (resumable elsewhere)
        self.halted = False
        self.context_execution = {
            "Id": execution_id, "Input": input_value, "Name": name, "RoleArn": engine.role_arn,
            "StartTime": iso(started_at), "RedriveCount": 0,
        }
        self.context_machine = {"Id": engine.state_machine_arn, "Name": engine.state_machine_arn.rsplit(":", 1)[-1]}

    def __repr__(self) -> str:
        return f"<Execution {self.name} {self.status}{' paused' if self.paused else ''}>"

    # -- public -----------------------------------------------------------------------------
    @property
    def history(self) -> list[dict]:
        """The events so far, oldest first (copies, timestamps as aware datetimes)."""
        return public_events(self.recorder.events)

    def history_frame(self):
        """The history as a pandas DataFrame (one row per event)."""
        return history_frame(self.history)

    @property
    def paused(self) -> bool:
        """True while running and every active branch waits on a task token."""
        return self.status == "RUNNING" and self._paused > 0 and self._paused >= self._active

    @property
    def pending_tokens(self) -> list[str]:
        """Task tokens this execution waits on (answer them with ``engine.send_task_success``)."""
        return sorted(self._tokens)

    def wait(self, timeout: float | None = None) -> "Execution":
        """Block until the execution ends or pauses on task tokens, or ``timeout`` seconds pass.

        Returns the execution itself; check ``status`` (still "RUNNING" after a timeout).
        """
        with self._changed:
            self._changed.wait_for(lambda: self.status in TERMINAL or self.paused or self.halted, timeout)
        return self

    def halt(self, timeout: float | None = None) -> bool:
        """Stop running this execution in this process *without ending it* (Ctrl-C, a deployer shutting down).

        Nothing new is dispatched; running tasks see ``cancelled`` set and are waited for: a task that still
        returns a result is recorded as finished (its state exits and the next state is checkpointed), one
        that gives up is not recorded at all. No Aborted/Failed event is written: the stored execution stays
        RUNNING at its last checkpoint, and :meth:`Engine.resume` (here or in another process) continues it,
        running the interrupted tasks again. Returns True once the execution's thread ended (False if
        ``timeout`` passed first).

            >>> from attini_sdk.asl import Engine
            >>> engine = Engine()
            >>> run = engine.start({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}})
            >>> run.halt(10), run.status
            (True, 'RUNNING')
            >>> engine.store.load(run.execution_id).record.status
            'RUNNING'
        """
        if self.status in TERMINAL:
            return True
        self.cancel.cancel("halt")
        with self._changed:
            self._changed.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def stop(self, error: str | None = None, cause: str | None = None) -> "Execution":
        """Abort the execution (like StopExecution); running tasks see ``cancelled`` set."""
        self._abort = (error, cause)
        self.cancel.cancel("stopped")
        with self._changed:
            self._changed.notify_all()
        return self

    # -- engine side ------------------------------------------------------------------------
    def set_paused(self, delta: int) -> None:
        with self._changed:
            self._paused += delta
            self._changed.notify_all()

    def set_active(self, delta: int) -> None:
        with self._changed:
            self._active += delta
            self._changed.notify_all()

    def track_token(self, token: str, active: bool) -> None:
        with self._changed:
            (self._tokens.add if active else self._tokens.discard)(token)

    def checkpoint(self, frame, durable: bool) -> None:
        """Hand a frame to the store: at once when ``durable``, else batched (at most
        ``BATCH_TRANSITIONS`` transitions or ``BATCH_SECONDS`` of pure states)."""
        with self._checkpoint_lock:
            pending = self._pending_frames
            if frame.variables is None and frame.key in pending and pending[frame.key].variables is not None:
                frame = attrs.evolve(frame, variables=pending[frame.key].variables)
            pending[frame.key] = frame
            self._unflushed += 1
            if not durable and self._unflushed < BATCH_TRANSITIONS and \
                    time.monotonic() - self._last_flush < BATCH_SECONDS:
                return
            self._flush_locked()

    def flush(self) -> None:
        """Write every batched frame and event now."""
        with self._checkpoint_lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        frames = list(self._pending_frames.values())
        self._pending_frames = {}
        self._unflushed = 0
        self._last_flush = time.monotonic()
        self.store.checkpoint(self.execution_id, frames, self.recorder.take_pending())

    def time_out(self) -> None:
        self.cancel.cancel("timeout")

    def _history_full(self) -> None:
        # Every run stops at its next step; the root then records ExecutionFailed as the last event.
        self.cancel.cancel("history")

    def launch(self, saved_root=None) -> None:
        self._thread = threading.Thread(target=self._run, args=(saved_root,), daemon=True,
                                        name=f"execution-{self.name}")
        self._thread.start()

    def _run(self, saved_root) -> None:
        root = Run(self, "", self.machine, Variables(), self.cancel, self.recorder.last_id)
        try:
            self._outcome(root, saved_root)
        finally:
            if self.status not in TERMINAL and not self.halted:  # the store itself failed: still end the handle
                with self._changed:
                    self.status, self.error = "FAILED", RUNTIME
                    self.cause = self.cause or "the engine could not record the end of the execution"
                    self._changed.notify_all()
                self.engine._forget(self)

    def _outcome(self, root: Run, saved_root) -> None:
        try:
            output, out_json = root.start(self.input, saved_root)
        except Failure as failure:
            details = {k: v for k, v in (("error", failure.error), ("cause", failure.cause)) if v is not None}
            root.emit("ExecutionFailed", details)
            self._finish("FAILED", None, failure.error, failure.cause)
        except Aborted as aborted:
            if aborted.reason == "halt":
                self._halted()
            elif aborted.reason == "timeout":
                cause = f"the execution ran longer than TimeoutSeconds ({self.machine.timeout_seconds} s)"
                root.emit("ExecutionTimedOut", {"error": TIMEOUT, "cause": cause})
                self._finish("TIMED_OUT", None, TIMEOUT, cause)
            elif aborted.reason == "history":
                cause = (f"the execution history reached its quota of {self.recorder.limit:,} events; "
                         "move long loops and large Maps into child executions")
                root.emit("ExecutionFailed", {"error": RUNTIME, "cause": cause})
                self._finish("FAILED", None, RUNTIME, cause)
            else:
                error, cause = self._abort
                root.emit("ExecutionAborted", {"error": error or "", "cause": cause or ""})
                self._finish("ABORTED", None, error, cause)
        except Exception as err:  # an engine bug must still end the execution, visibly
            cause = "".join(traceback.format_exception(err))[-2000:]
            root.emit("ExecutionFailed", {"error": RUNTIME, "cause": cause})
            self._finish("FAILED", None, RUNTIME, cause)
        else:
            root.emit("ExecutionSucceeded", {"output": out_json, "outputDetails": {"truncated": False}})
            self._finish("SUCCEEDED", output, None, None, out_json)

    def _halted(self) -> None:
        """Leave the stored execution RUNNING at its last checkpoint (what finished is flushed first)."""
        try:
            self.flush()
        finally:
            with self._changed:
                self.halted = True
                self._changed.notify_all()
            self.engine._forget(self)

    def _finish(self, status, output, error, cause, out_json=None) -> None:
        stopped = self.clock.now()
        try:
            with self._checkpoint_lock:
                if self._pending_frames:
                    self._flush_locked()
            self.store.finish(self.execution_id, status, out_json, error, cause, stopped, self.recorder.take_pending())
        finally:
            with self._changed:
                self.output, self.error, self.cause, self.stopped_at = output, error, cause, stopped
                self.status = status
                self._changed.notify_all()
            self.engine._forget(self)
