"""Test task resources for the conformance cases, written against the engine's TaskInvocation.

Each case names the resources it uses (``resources: [test:echo]``); every case gets a fresh
:class:`TaskResources`, so counters and barriers never leak between cases or xdist workers.

| resource | input | result |
|---|---|---|
| ``test:echo`` | anything | the input |
| ``test:return`` | ``{"value": v}`` | ``v`` (any JSON, ``null`` included) |
| ``test:add`` | ``{"a": x, "b": y}`` | ``x + y`` |
| ``test:fail`` | ``{"error": e, "cause": c}`` | raises ``TaskFailed(e, c)`` |
| ``test:raise`` | ``{"message": m}`` | raises a plain ``RuntimeError(m)`` (becomes ``States.TaskFailed``) |
| ``test:fail-n-times`` | ``{"key", "times", "error", "cause"?}`` | fails the first ``times`` calls per key, then returns the input with ``"calls"`` |
| ``test:fail-sequence`` | ``{"key", "errors": [..]}`` | call *k* raises ``errors[k]`` until they run out, then returns the input with ``"calls"`` |
| ``test:count`` | ``{"key"}`` | how many times it was called for that key |
| ``test:sleep`` | ``{"seconds": s}`` | takes ``s`` s of engine-clock time (or until cancelled), returns the input |
| ``test:heartbeat`` | ``{"beats": n, "interval": s}`` | heartbeats ``n`` times ``s`` s (engine clock) apart, returns ``{"beats": n}`` |
| ``test:barrier`` | ``{"key", "parties": n}`` | waits until ``n`` invocations meet (proves concurrency), returns the input |
| ``test:gauge`` | ``{"key", "hold": s, "parties"?: n}`` | counts concurrent invocations per key (meeting ``n`` at a barrier first), holds ``s`` real seconds, returns the input |
| ``test:gauge-max`` | ``{"key"}`` | the highest concurrency ``test:gauge`` saw for that key |
| ``test:callback`` | anything | answers its task token later with ``{"echo": input}`` (callback pattern) |
| ``test:blob`` | ``{"bytes": n, "key"?}`` | a string of ``n`` ``x`` characters (``n + 2`` bytes of JSON); counts calls per ``key`` |
"""

from __future__ import annotations

import collections
import threading
from typing import Any

import pytest

BARRIER_TIMEOUT = 10.0


class TaskResources:
    """The ``test:*`` handlers for one case, with their own counters."""

    def __init__(self) -> None:
        self.calls: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._barriers: dict[str, threading.Barrier] = {}
        self._active: collections.Counter[str] = collections.Counter()
        self._peak: collections.Counter[str] = collections.Counter()
        self.engine = None  # set once the engine exists; test:callback answers through it

    def mapping(self, names: tuple[str, ...]) -> dict[str, Any]:
        handlers = {
            "test:echo": self.echo,
            "test:return": self.return_value,
            "test:add": self.add,
            "test:fail": self.fail,
            "test:raise": self.raise_plain,
            "test:fail-n-times": self.fail_n_times,
            "test:fail-sequence": self.fail_sequence,
            "test:count": self.count,
            "test:sleep": self.sleep,
            "test:heartbeat": self.heartbeat,
            "test:barrier": self.barrier,
            "test:gauge": self.gauge,
            "test:gauge-max": self.gauge_max,
            "test:callback": self.callback,
            "test:blob": self.blob,
        }
        unknown = set(names) - set(handlers)
        if unknown:
            raise KeyError(f"unknown test resources {sorted(unknown)}; known: {sorted(handlers)}")
        mapping = {name: handlers[name] for name in names}
        if "test:callback" in names:
            mapping["test:callback.waitForTaskToken"] = self.callback
        return mapping

    def _tick(self, key: str) -> int:
        with self._lock:
            self.calls[key] += 1
            return self.calls[key]

    @staticmethod
    def echo(invocation) -> Any:
        return invocation.input

    @staticmethod
    def return_value(invocation) -> Any:
        return invocation.input["value"]

    @staticmethod
    def add(invocation) -> Any:
        return invocation.input["a"] + invocation.input["b"]

    @staticmethod
    def fail(invocation) -> Any:
        from attini_sdk.asl import TaskFailed

        raise TaskFailed(invocation.input["error"], invocation.input.get("cause"))

    @staticmethod
    def raise_plain(invocation) -> Any:
        raise RuntimeError(invocation.input.get("message", "boom"))

    def fail_n_times(self, invocation) -> Any:
        from attini_sdk.asl import TaskFailed

        spec = invocation.input
        calls = self._tick(spec["key"])
        if calls <= spec["times"]:
            raise TaskFailed(spec["error"], spec.get("cause", f"call {calls} of {spec['key']}"))
        return dict(spec, calls=calls)

    def fail_sequence(self, invocation) -> Any:
        from attini_sdk.asl import TaskFailed

        spec = invocation.input
        calls = self._tick(spec["key"])
        if calls <= len(spec["errors"]):
            raise TaskFailed(spec["errors"][calls - 1], f"call {calls}")
        return dict(spec, calls=calls)

    def count(self, invocation) -> Any:
        return self._tick(invocation.input["key"])

    @staticmethod
    def sleep(invocation) -> Any:
        _take_time(invocation, invocation.input["seconds"])
        return invocation.input

    @staticmethod
    def heartbeat(invocation) -> Any:
        spec = invocation.input
        for _ in range(spec["beats"]):
            if not _take_time(invocation, spec["interval"]):
                break
            invocation.heartbeat()
        return {"beats": spec["beats"]}

    def barrier(self, invocation) -> Any:
        from attini_sdk.asl import TaskFailed

        spec = invocation.input
        with self._lock:
            barrier = self._barriers.setdefault(spec["key"], threading.Barrier(spec["parties"]))
        try:
            barrier.wait(timeout=BARRIER_TIMEOUT)
        except threading.BrokenBarrierError:
            raise TaskFailed("Barrier.NotConcurrent", f"{spec['parties']} invocations never ran at once")
        return spec

    def gauge(self, invocation) -> Any:
        """Count concurrent invocations; with ``parties`` they also meet at a barrier while counted,
        so the peak is at least ``parties`` whenever the engine really runs them side by side."""
        spec = invocation.input
        key = spec["key"]
        with self._lock:
            self._active[key] += 1
            self._peak[key] = max(self._peak[key], self._active[key])
        try:
            if spec.get("parties"):
                self.barrier(invocation)
            invocation.cancelled.wait(spec.get("hold", 0.05))
        finally:
            with self._lock:
                self._active[key] -= 1
        return spec

    def gauge_max(self, invocation) -> Any:
        with self._lock:
            return self._peak[invocation.input["key"]]

    def blob(self, invocation) -> Any:
        self._tick(invocation.input.get("key", "blob"))
        return "x" * invocation.input["bytes"]

    def callback(self, invocation) -> Any:
        from attini_sdk.asl import WaitForCallback

        token, payload, engine = invocation.token, {"echo": invocation.input}, self.engine
        threading.Timer(0.05, lambda: engine.send_task_success(token, payload)).start()
        raise WaitForCallback()


def _take_time(invocation, seconds: float) -> bool:
    """Spend ``seconds`` the way the engine's clock can see (instant under FakeClock).

    Returns False when the engine cancelled the task (timeout, heartbeat timeout, stop)."""
    sleep = getattr(invocation, "sleep", None)
    if sleep is not None:
        return sleep(seconds) is not False and not invocation.cancelled.is_set()
    return not invocation.cancelled.wait(seconds)


def make_engine(resources: dict[str, Any]):
    """An Engine on a FakeClock: Wait states, retry intervals, timeouts and heartbeats take no real time."""
    from attini_sdk.asl import Engine
    from attini_sdk.asl.clock import FakeClock

    return Engine(resources=resources, clock=FakeClock())


@pytest.fixture
def task_resources() -> TaskResources:
    return TaskResources()
