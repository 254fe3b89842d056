"""Running states: one :class:`Run` per branch of an execution.

The top level, each Parallel branch and each Map iteration is a Run with its
own key (``""``, ``"/Fan@3.0/1"``, ...), variables scope and cancel scope. A
Run loops over states, records ``*StateEntered``/``*StateExited`` events and
checkpoints after every transition, so a resumed execution continues from the
last completed state. Tasks are dispatched here (timeouts, heartbeats, task
tokens), and Parallel/Map children are started here (concurrency, tolerated
failures, resuming only the unfinished ones).
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from collections import deque
from datetime import datetime, timezone
from typing import Any

from attini_sdk.asl.failures import (
    EXCEED_TOLERATED_FAILURE_THRESHOLD,
    HEARTBEAT_TIMEOUT,
    RUNTIME,
    TASK_FAILED,
    TIMEOUT,
    UNCATCHABLE,
    Failure,
    StateRuntimeError,
    WaitForCallback,
)
from attini_sdk.asl.limits import check_payload, list_bytes, payload_failure
from attini_sdk.asl.resources import TaskInvocation, split_pattern
from attini_sdk.asl.scope import Scope, Variables
from attini_sdk.asl.store import Frame

__all__ = ["Run", "CancelScope", "Aborted", "iso"]

_PURE = frozenset({"Pass", "Choice"})


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def iso(seconds: float) -> str:
    """Epoch seconds as the ISO 8601 text Step Functions uses in the context object.

    >>> iso(0)
    '1970-01-01T00:00:00.000Z'
    """
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Aborted(Exception):
    """A run stopped before finishing: ``reason`` is "stopped", "timeout", "sibling", "history" or "halt"."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class CancelScope:
    """A cancel flag that cancels its children too (execution > Map/Parallel > iterations)."""

    def __init__(self, parent: "CancelScope | None" = None):
        self.event = threading.Event()
        self.reason: str | None = None
        self.children: list[CancelScope] = []
        self.parent = parent
        if parent is not None:
            parent.children.append(self)
            if parent.event.is_set():
                self.cancel(parent.reason)

    def cancel(self, reason: str) -> None:
        if self.event.is_set():
            return
        self.reason = reason
        self.event.set()
        for child in list(self.children):
            child.cancel(reason)

    def detach(self) -> None:
        if self.parent is not None:
            try:
                self.parent.children.remove(self)
            except ValueError:
                pass


class _Heartbeat:
    """Tracks heartbeats against HeartbeatSeconds on the engine clock."""

    def __init__(self, now, seconds):
        self.now = now
        self.seconds = seconds
        self.last = now()
        self.missed = False

    def beat(self) -> None:
        at = self.now()
        if self.seconds is not None and at - self.last > self.seconds:
            self.missed = True
        self.last = at

    def expired(self, at: float) -> bool:
        return self.seconds is not None and (self.missed or at - self.last > self.seconds)


class Run:
    """One branch of an execution: a machine, a position in it, a variables scope."""

    def __init__(self, execution, key: str, machine, variables: Variables, cancel: CancelScope,
                 previous_event: int = 0):
        self.ex = execution
        self.key = key
        self.machine = machine
        self.variables = variables
        self.cancel = cancel
        self.last_event = previous_event
        self.step = 0
        self.saved_version = variables.version
        self.state_name = ""
        self.entered_at = 0.0
        self.retry_count = 0
        self.input_json = "null"
        self.task_token: str | None = None
        self.map_item: dict | None = None
        self.resume: Frame | None = None

    # -- what states read -----------------------------------------------------------------
    def now(self) -> float:
        return self.ex.clock.now()

    def context_object(self) -> dict:
        ex = self.ex
        context = {
            "Execution": ex.context_execution,
            "State": {"EnteredTime": iso(self.entered_at), "Name": self.state_name, "RetryCount": self.retry_count},
            "StateMachine": ex.context_machine,
        }
        if self.task_token is not None:
            context["Task"] = {"Token": self.task_token}
        if self.map_item is not None:
            context["Map"] = {"Item": dict(self.map_item)}
        return context

    def scope(self, raw) -> Scope:
        return Scope(raw, self.variables, self.context_object)

    def bindings(self, states: dict) -> dict:
        bindings = self.variables.visible()
        bindings["states"] = states
        return bindings

    def emit(self, event_type: str, details: dict | None) -> dict:
        event = self.ex.recorder.add(event_type, details, self.last_event)
        if event is None:  # the history is full: this run goes no further
            raise Aborted(self.cancel.reason or "history")
        self.last_event = event["id"]
        return event

    # -- the loop ---------------------------------------------------------------------------
    def start(self, value: Any, saved: Frame | None = None) -> tuple[Any, str]:
        """Run from StartAt with ``value``, or continue from a saved frame."""
        self.ex.set_active(+1)
        try:
            return self._start(value, saved)
        finally:
            self.ex.set_active(-1)

    def _start(self, value: Any, saved: Frame | None) -> tuple[Any, str]:
        if saved is not None and saved.status in ("running", "paused") and saved.state is not None:
            if saved.variables:
                self.variables.values.update(json.loads(saved.variables))
            self.saved_version = self.variables.version
            self.step = saved.step
            self.resume = saved
            return self.loop(saved.state, json.loads(saved.input), saved.input)
        return self.loop(self.machine.start_at, value, None)

    def loop(self, name: str, raw: Any, raw_json: str | None) -> tuple[Any, str]:
        ex = self.ex
        states = self.machine.states
        now = ex.clock.now
        cancel = self.cancel.event
        limit = ex.max_payload
        quarter = limit // 4 if limit is not None else sys.maxsize  # this short fits even at 4 bytes a character
        while True:
            if cancel.is_set():
                raise Aborted(self.cancel.reason or "stopped")
            if ex.deadline is not None and now() >= ex.deadline:
                ex.time_out()
                raise Aborted("timeout")
            state = states.get(name)
            if state is None:
                raise Failure(RUNTIME, f"the state '{self.state_name}' moves to '{name}', which does not exist")
            if raw_json is None:  # the first state of a run: its input is not an output checked before
                raw_json = _dumps(raw)
                if len(raw_json) > quarter:
                    check_payload(raw_json, limit, f"the input of state '{name}'")
            self.state_name = name
            self.entered_at = now()
            self.input_json = raw_json
            resume = self.resume
            if resume is None or resume.status != "paused":
                self.emit(state.type_name + "StateEntered",
                          {"name": name, "input": raw_json, "inputDetails": {"truncated": False}})
            entered = self.last_event
            self.retry_count = 0
            try:
                next_name, output, assigned = state.execute(self, raw)
            except StateRuntimeError as failure:  # AWS names the state and its StateEntered event
                raise failure.locate(name, entered)
            self.resume = None
            # stopped while the state ran: its result does not count, except when halting (the execution goes
            # on elsewhere): a finished state is recorded then, so that it never runs twice
            if cancel.is_set() and self.cancel.reason != "halt":
                raise Aborted(self.cancel.reason or "stopped")
            if assigned:
                self.variables.assign(assigned)
            out_json = _dumps(output)
            if len(out_json) > quarter:  # the cheap bound first: this runs on every transition
                check_payload(out_json, limit, f"the output of state '{name}'")
            self.emit(state.type_name + "StateExited",
                      {"name": name, "output": out_json, "outputDetails": {"truncated": False}})
            self.step += 1
            if next_name is None:
                return output, out_json
            following = states.get(next_name)
            # Pass and Choice are deterministic and touch nothing outside: replaying them after a
            # crash gives the same result, so their checkpoints may be batched. Everything around
            # a side effect (Task, Wait, Parallel, Map) is made durable before going on.
            durable = state.type_name not in _PURE or following is None or following.type_name not in _PURE
            self.checkpoint(next_name, out_json, durable=durable)
            name, raw, raw_json = next_name, output, out_json

    def checkpoint(self, state: str | None, input_json: str, *, status: str = "running", token: str | None = None,
                   retries: str | None = None, error: str | None = None, cause: str | None = None,
                   durable: bool = True) -> None:
        variables = None
        if self.variables.version != self.saved_version:
            variables = _dumps(self.variables.values)
            self.saved_version = self.variables.version
        frame = Frame(self.key, state, input_json, self.step, status, variables, retries, token, error, cause)
        self.ex.checkpoint(frame, durable)

    # -- sleeping, retrying -----------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """Sleep on the engine clock, cut short by the execution deadline or a stop."""
        ex = self.ex
        if ex.deadline is not None:
            remaining = ex.deadline - ex.clock.now()
            if seconds >= remaining:
                ex.clock.sleep(max(0.0, remaining), self.cancel.event)
                if not self.cancel.event.is_set():
                    ex.time_out()
                raise Aborted(self.cancel.reason or "timeout")
        if not ex.clock.sleep(seconds, self.cancel.event):
            raise Aborted(self.cancel.reason or "stopped")

    def restored_retries(self, n: int) -> list[int]:
        resume = self.resume
        if resume is not None and resume.retries:
            counters = json.loads(resume.retries)
            if len(counters) == n:
                self.retry_count = sum(counters)
                return counters
        return [0] * n

    def before_retry(self, counters: list[int], delay: float) -> None:
        self.retry_count = sum(counters)
        self.resume = None
        self.checkpoint(self.state_name, self.input_json, retries=_dumps(counters))
        self.sleep(delay)

    # -- tasks ------------------------------------------------------------------------------
    def run_task(self, task, raw) -> tuple[Any, dict | None]:
        ex = self.ex
        resume = self.resume if self.resume is not None and self.resume.status == "paused" else None
        self.task_token = resume.token if resume is not None else uuid.uuid4().hex
        try:
            prepared = task.flow.prepare(self, raw)
            scope = self.scope(prepared.selected) if task.language == "JSONPath" else None
            timeout = task._resolve_number(self, task.timeout, "TimeoutSeconds", scope, prepared.bindings, minimum=1) \
                if task.timeout else None
            heartbeat = task._resolve_number(self, task.heartbeat, "HeartbeatSeconds", scope, prepared.bindings,
                                             minimum=1) if task.heartbeat else None
            base, pattern = split_pattern(task.resource)
            kind = _resource_kind(base)
            args_json = _dumps(prepared.args)
            check_payload(args_json, ex.max_payload, f"the input of state '{self.state_name}' after "
                                                     f"{'Parameters' if task.language == 'JSONPath' else 'Arguments'}")
            if resume is None:
                scheduled = {**kind, "region": ex.region, "parameters": args_json}
                if timeout is not None:
                    scheduled["timeoutInSeconds"] = timeout
                if heartbeat is not None:
                    scheduled["heartbeatInSeconds"] = heartbeat
                self.emit("TaskScheduled", scheduled)
                self.emit("TaskStarted", dict(kind))
            try:
                if resume is not None:
                    result = self.await_callback(self.task_token, timeout, heartbeat, self.now(), resume)
                else:
                    if self.cancel.event.is_set():  # stopped, timed out or the history is full: dispatch nothing
                        raise Aborted(self.cancel.reason or "stopped")
                    handler = ex.registry.find(task.resource)
                    invocation_input = json.loads(args_json)
                    state_input = invocation_input if prepared.selected is prepared.args else \
                        json.loads(_dumps(prepared.selected))
                    result = self.invoke(handler, task, invocation_input, state_input, timeout, heartbeat)
                result_json = _dumps(result)
                check_payload(result_json, ex.max_payload, f"the result of Resource '{task.resource}' in state "
                                                           f"'{self.state_name}'")
            except Failure as failure:
                timed_out = failure.error in (TIMEOUT, HEARTBEAT_TIMEOUT)
                self.emit("TaskTimedOut" if timed_out else "TaskFailed",
                          {**kind, "error": failure.error, "cause": failure.cause or ""})
                raise
            except (TypeError, ValueError) as err:
                self.emit("TaskFailed", {**kind, "error": RUNTIME, "cause": f"the task result is not JSON: {err}"})
                raise Failure(RUNTIME, f"the result of Resource '{task.resource}' is not JSON: {err}") from None
            self.emit("TaskSucceeded", {**kind, "output": result_json, "outputDetails": {"truncated": False}})
            return task.flow.finish(self, prepared, json.loads(result_json))
        finally:
            self.task_token = None

    def invoke(self, handler, task, args, state_input, timeout, heartbeat):
        ex = self.ex
        watched = timeout is not None or heartbeat is not None or ex.deadline is not None
        started = ex.clock.now()
        beats = _Heartbeat(ex.clock.now, heartbeat)
        cancelled = threading.Event() if watched else self.cancel.event
        invocation = TaskInvocation(
            resource=task.resource, input=args, state_input=state_input, state_name=self.state_name,
            execution_id=ex.execution_id, token=self.task_token, attempt=self.retry_count, cancelled=cancelled,
            timeout_seconds=timeout, heartbeat_seconds=heartbeat, on_heartbeat=beats.beat,
            sleeper=lambda seconds: ex.clock.sleep(seconds, cancelled), on_submitted=self._submitted,
            position=f"{self.key}#{self.step}.{self.retry_count}")
        if not watched:
            try:
                return handler(invocation)
            except WaitForCallback:
                return self.await_callback(self.task_token, timeout, heartbeat, started, None)
            except Exception as err:
                if self.cancel.event.is_set():  # the handler gave up because the execution stopped
                    raise Aborted(self.cancel.reason or "stopped") from None
                if isinstance(err, Failure):
                    raise
                raise Failure(TASK_FAILED, f"{type(err).__name__}: {err}") from None
        return self._invoke_watched(handler, invocation, timeout, heartbeat, started, beats)

    def _submitted(self, output) -> None:
        kind = _resource_kind(split_pattern(self.machine.states[self.state_name].resource)[0])
        self.emit("TaskSubmitted", {**kind, "output": _dumps(output), "outputDetails": {"truncated": False}})

    def _invoke_watched(self, handler, invocation, timeout, heartbeat, started, beats):
        ex = self.ex
        box: dict = {}
        done = threading.Event()

        def target():
            try:
                box["result"] = handler(invocation)
            except BaseException as err:  # handed back to the state's thread
                box["error"] = err
            box["finished"] = ex.clock.now()
            done.set()

        threading.Thread(target=target, daemon=True, name=f"task-{self.state_name}").start()
        while not done.is_set():
            if self._halting():  # wait for the handler: a result it still returns is recorded
                invocation.cancelled.set()
                done.wait(0.05)
                continue
            self._check_limits(invocation, timeout, started, beats)
            done.wait(0.02 if ex.clock.is_fake else self._next_limit(timeout, started, beats))
        if self._halting():
            if "error" in box:
                raise Aborted("halt")
            return box["result"]
        finished = box["finished"]
        if timeout is not None and finished - started > timeout:
            invocation.cancelled.set()
            raise Failure(TIMEOUT, f"the task ran longer than TimeoutSeconds ({timeout} s)")
        if beats.expired(finished):
            invocation.cancelled.set()
            raise Failure(HEARTBEAT_TIMEOUT, f"no heartbeat within HeartbeatSeconds ({heartbeat} s)")
        if ex.deadline is not None and finished >= ex.deadline:
            ex.time_out()
            raise Aborted("timeout")
        error = box.get("error")
        if error is None:
            return box["result"]
        if isinstance(error, WaitForCallback):
            return self.await_callback(self.task_token, timeout, heartbeat, started, None)
        if isinstance(error, Failure):
            raise error
        raise Failure(TASK_FAILED, f"{type(error).__name__}: {error}")

    def _halting(self) -> bool:
        return self.cancel.event.is_set() and self.cancel.reason == "halt"

    def _next_limit(self, timeout, started, beats) -> float:
        now = self.ex.clock.now()
        limits = [1.0]
        if timeout is not None:
            limits.append(started + timeout - now)
        if beats.seconds is not None:
            limits.append(beats.last + beats.seconds - now)
        if self.ex.deadline is not None:
            limits.append(self.ex.deadline - now)
        return max(0.001, min(limits))

    def _check_limits(self, invocation, timeout, started, beats) -> None:
        ex = self.ex
        now = ex.clock.now()
        if self.cancel.event.is_set():
            invocation.cancelled.set()
            raise Aborted(self.cancel.reason or "stopped")
        if timeout is not None and now - started > timeout:
            invocation.cancelled.set()
            raise Failure(TIMEOUT, f"the task ran longer than TimeoutSeconds ({timeout} s)")
        if beats.expired(now):
            invocation.cancelled.set()
            raise Failure(HEARTBEAT_TIMEOUT, f"no heartbeat within HeartbeatSeconds ({beats.seconds} s)")
        if ex.deadline is not None and now >= ex.deadline:
            invocation.cancelled.set()
            ex.time_out()
            raise Aborted("timeout")

    def await_callback(self, token, timeout, heartbeat, started, resume: Frame | None):
        """Pause this run until ``send_task_success/failure(token)`` answers (maybe after a restart)."""
        ex = self.ex
        waiter = ex.engine._register_token(token, ex, self.key)
        beats = _Heartbeat(ex.clock.now, heartbeat)
        waiter.on_heartbeat = beats.beat
        if resume is not None and resume.callback:
            waiter.outcome = json.loads(resume.callback)
            ex.engine._unregister_token(token)
        else:
            self.emit("TaskSubmitted", {**_resource_kind(split_pattern(self.machine.states[self.state_name].resource)[0]),
                                        "output": "{}", "outputDetails": {"truncated": False}})
            self.checkpoint(self.state_name, self.input_json, status="paused", token=token)
            waiter.hold()
            try:
                while not waiter.event.is_set():
                    self._check_limits(waiter, timeout, started, beats)
                    waiter.event.wait(0.05 if ex.clock.is_fake else self._next_limit(timeout, started, beats))
            finally:
                waiter.release()
                ex.engine._unregister_token(token)
        outcome = waiter.outcome
        if "error" in outcome:
            raise Failure(outcome["error"], outcome.get("cause"))
        return outcome.get("output")

    # -- Parallel and Map children ----------------------------------------------------------
    def run_children(self, state, pairs: list, concurrency: int, tolerance: float | None) -> list:
        ex = self.ex
        is_map = state.type_name == "Map"
        prefix = f"{self.key}/{state.name}@{self.step}.{self.retry_count}"
        total = len(pairs)
        results: list = [None] * total
        texts: list = ["null"] * total  # each result as JSON, to measure the whole list without serialising it
        scope = CancelScope(self.cancel)
        started_event = self.last_event
        lock = threading.Lock()
        outcome = {"failure": None, "failed": 0}
        pending = deque()
        for i in range(total):
            saved = ex.saved_frames.get(f"{prefix}/{i}")
            if saved is not None and saved.status == "succeeded":
                results[i] = json.loads(saved.input)
                texts[i] = saved.input
            else:
                pending.append(i)

        def failed(i: int, failure: Failure) -> None:
            # A terminal error (States.Runtime, States.DataLimitExceeded) ends the execution: no tolerance.
            untolerated = tolerance is None or failure.error in UNCATCHABLE
            with lock:
                outcome["failed"] += 1
                if outcome["failure"] is None and (untolerated or outcome["failed"] > tolerance):
                    outcome["failure"] = failure if untolerated else Failure(
                        EXCEED_TOLERATED_FAILURE_THRESHOLD,
                        f"Map state '{state.name}' exceeded the tolerated failure threshold "
                        f"({outcome['failed']} of {total} iterations failed)")
                    scope.cancel("sibling")

        def run_one(i: int) -> None:
            machine, value = pairs[i]
            key = f"{prefix}/{i}"
            saved = ex.saved_frames.get(key)
            previous = started_event
            if is_map:
                started = ex.recorder.add("MapIterationStarted", {"name": state.name, "index": i}, started_event)
                if started is None:  # the history is full: the execution is ending
                    return
                previous = started["id"]
            child = Run(ex, key, machine, Variables(parent=self.variables), scope, previous)
            try:
                output, out_json = child.start(value, saved)
            except Failure as failure:
                child.checkpoint(None, "null", status="failed", error=failure.error, cause=failure.cause)
                if is_map:
                    ex.recorder.add("MapIterationFailed", {"name": state.name, "index": i}, child.last_event)
                if tolerance is not None:
                    results[i] = failure.output()
                    texts[i] = _dumps(results[i])
                failed(i, failure)
                return
            except Aborted as aborted:
                if is_map and aborted.reason != "halt":
                    ex.recorder.add("MapIterationAborted", {"name": state.name, "index": i}, child.last_event)
                return
            child.checkpoint(None, out_json, status="succeeded")
            results[i] = output
            texts[i] = out_json
            if is_map:
                ex.recorder.add("MapIterationSucceeded", {"name": state.name, "index": i}, child.last_event)

        def worker() -> None:
            while not scope.event.is_set():
                with lock:
                    if not pending:
                        return
                    i = pending.popleft()
                run_one(i)

        limit = concurrency if concurrency > 0 else (ex.max_workers if is_map else total)
        workers = min(limit, len(pending))
        ex.set_active(-1)  # this run only waits for its children now
        try:
            if workers <= 1:
                worker()
            else:
                threads = [threading.Thread(target=worker, daemon=True, name=f"{state.name}-{n}")
                           for n in range(workers)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
        finally:
            scope.detach()
            ex.set_active(+1)
        if self.cancel.event.is_set():
            raise Aborted(self.cancel.reason or "stopped")
        if outcome["failure"] is not None:
            raise outcome["failure"]
        self._check_results(state, texts)
        return results

    def _check_results(self, state, texts: list) -> None:
        """A Parallel's or Map's results are one payload: hold them to the quota like a Task's result."""
        limit = self.ex.max_payload
        if limit is None or (sum(map(len, texts)) + len(texts) + 1) * 4 <= limit:
            return
        size = list_bytes(texts)
        if size > limit:
            many = f"{len(texts)} {'iterations' if state.type_name == 'Map' else 'branches'}"
            raise payload_failure(f"the result of {state.type_name} state '{state.name}' ({many})", size, limit)


def _resource_kind(base: str) -> dict:
    """``resourceType``/``resource`` as GetExecutionHistory shows them.

    >>> _resource_kind("arn:aws:states:::lambda:invoke"), _resource_kind("attini:cfn")
    ({'resourceType': 'lambda', 'resource': 'invoke'}, {'resourceType': 'attini', 'resource': 'cfn'})
    """
    if base.startswith("arn:aws:states:::"):
        rest = base[len("arn:aws:states:::"):]
        if rest.startswith("aws-sdk:"):
            rest = rest[len("aws-sdk:"):]
        service, _, action = rest.partition(":")
        return {"resourceType": service, "resource": action}
    kind, _, name = base.partition(":")
    return {"resourceType": kind, "resource": name or base}
