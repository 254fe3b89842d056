"""Time, injectable: the engine reads the time and sleeps only through a clock.

:class:`RealClock` is wall time. :class:`FakeClock` makes Wait states, retry
intervals, timeouts and heartbeats instant and deterministic: sleeping moves
its time forward at once::

    >>> clock = FakeClock(start=0.0)
    >>> import threading
    >>> clock.sleep(3600, threading.Event())
    True
    >>> clock.now()
    3600.0

Use it as ``Engine(resources, clock=FakeClock())``. Task handlers that want to
take time in a way timeouts and heartbeats can see call ``invocation.sleep(s)``.
"""

from __future__ import annotations

import threading
import time

__all__ = ["Clock", "RealClock", "FakeClock"]


class Clock:
    """The protocol: ``now()`` in epoch seconds; ``sleep(seconds, cancel)`` returns False
    when ``cancel`` was set before the time was up; ``is_fake`` tells the engine whether
    timeouts are judged only by the clock (fake) or also by waiting in real time."""

    is_fake = False

    def now(self) -> float:  # pragma: no cover - protocol
        raise NotImplementedError

    def sleep(self, seconds: float, cancel: threading.Event) -> bool:  # pragma: no cover - protocol
        raise NotImplementedError


class RealClock(Clock):
    """Wall-clock time; sleeping waits on the cancel event.

    >>> RealClock().sleep(0, threading.Event())
    True
    """

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float, cancel: threading.Event) -> bool:
        if seconds <= 0:
            return not cancel.is_set()
        return not cancel.wait(seconds)


class FakeClock(Clock):
    """Virtual time for tests: ``sleep`` advances it instantly (shared by all threads).

    >>> c = FakeClock(start=100.0); c.advance(5); c.now()
    105.0
    """

    is_fake = True

    def __init__(self, start: float = 1_767_225_600.0):  # 2026-01-01T00:00:00Z
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        with self._lock:
            self._now += max(0.0, float(seconds))

    def sleep(self, seconds: float, cancel: threading.Event) -> bool:
        if cancel.is_set():
            return False
        self.advance(seconds)
        return True
