"""Execution history: events shaped like Step Functions' ``GetExecutionHistory``.

Each event is a dict ``{"id", "previousEventId", "timestamp", "type",
"<type>EventDetails": {...}}``. Inside the engine and the stores ``timestamp`` is
epoch seconds (cheap to record and to serialise); :func:`public_events` turns it
into a timezone-aware datetime, exactly the shape boto3 returns. Events are
numbered under a lock (branches and iterations record concurrently) and buffered
until the next checkpoint takes them::

    >>> h = History(clock_now=lambda: 0.0)
    >>> e = h.add("PassStateEntered", {"name": "A", "input": "{}"}, previous=0)
    >>> e["id"], e["type"], e["stateEnteredEventDetails"]["name"]
    (1, 'PassStateEntered', 'A')
    >>> [x["id"] for x in h.take_pending()]
    [1]

A Standard execution's history holds at most 25,000 events. With a limit, the
event numbered ``limit`` must be the one that ends the execution: any other
event at or past it is refused (``add`` returns ``None``) and ``on_full`` is
called once, so the execution can end with ``ExecutionFailed`` as that event::

    >>> full = []
    >>> h = History(clock_now=lambda: 0.0, limit=2, on_full=lambda: full.append(True))
    >>> h.add("ExecutionStarted", {}, 0)["id"], h.add("PassStateEntered", {"name": "A"}, 1), full
    (1, None, [True])
    >>> h.add("ExecutionFailed", {"error": "States.Runtime"}, 1)["id"]
    2
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

__all__ = ["History", "details_key", "history_frame", "public_events"]

# Events that end an execution: the only ones recorded once the history is full.
_ENDINGS = frozenset({"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"})

_SPECIAL_KEYS = {
    "TaskStateAborted": "stateExitedEventDetails",
}


def details_key(event_type: str) -> str:
    """The name of an event type's details field, as AWS spells it.

    >>> details_key("TaskStateEntered"), details_key("MapIterationStarted"), details_key("ExecutionFailed")
    ('stateEnteredEventDetails', 'mapIterationStartedEventDetails', 'executionFailedEventDetails')
    """
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    if event_type.startswith("MapIteration"):
        return "mapIteration" + event_type[len("MapIteration"):] + "EventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


class History:
    """A thread-safe, append-only list of events with a pending buffer for checkpoints."""

    def __init__(self, clock_now: Callable[[], float], events: Iterable[dict] = (), *, limit: int | None = None,
                 on_full: Callable[[], None] | None = None):
        self.events: list[dict] = list(events)
        self._pending: list[dict] = []
        self._now = clock_now
        self._lock = threading.Lock()
        self._next_id = (self.events[-1]["id"] + 1) if self.events else 1
        self.full = False
        self.set_limit(limit, on_full)

    def set_limit(self, limit: int | None, on_full: Callable[[], None] | None = None) -> None:
        """Cap the history at ``limit`` events (``None``: no cap); ``on_full`` is called once it is full."""
        self.limit = limit
        self.on_full = on_full
        self._ceiling = limit if limit is not None else sys.maxsize

    def add(self, event_type: str, details: dict | None, previous: int) -> dict | None:
        """Record one event after event ``previous`` (0: none) and return it;
        ``None`` when the history is full and the event does not end the execution."""
        stamp = self._now()
        with self._lock:
            if self._next_id >= self._ceiling and event_type not in _ENDINGS:
                first, self.full = not self.full, True
                event = None
            else:
                event = {"id": self._next_id, "previousEventId": previous, "timestamp": stamp, "type": event_type}
                if details is not None:
                    event[details_key(event_type)] = details
                self._next_id += 1
                self.events.append(event)
                self._pending.append(event)
        if event is None and first and self.on_full is not None:
            self.on_full()
        return event

    def take_pending(self) -> list[dict]:
        """The events recorded since the last call (for the next checkpoint)."""
        with self._lock:
            pending, self._pending = self._pending, []
        return pending

    @property
    def last_id(self) -> int:
        return self._next_id - 1


def public_events(events: list[dict]) -> list[dict]:
    """Copies of raw events with ``timestamp`` as an aware datetime (GetExecutionHistory's shape).

    >>> public_events([{"id": 1, "previousEventId": 0, "timestamp": 0.0, "type": "ExecutionStarted"}])[0]["timestamp"]
    datetime.datetime(1970, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    out = []
    for event in events:
        copy = dict(event)
        stamp = copy["timestamp"]
        if not isinstance(stamp, datetime):
            copy["timestamp"] = datetime.fromtimestamp(stamp, timezone.utc)
        out.append(copy)
    return out


def history_frame(events: list[dict]) -> Any:
    """Events as a pandas DataFrame: id, previous_event_id, timestamp, type, state_name,
    and the event's details (a dict) in ``details``.

    >>> h = History(clock_now=lambda: 0.0)
    >>> _ = h.add("ExecutionStarted", {"input": "{}"}, 0)
    >>> history_frame(public_events(h.events))[["id", "type"]].to_dict("records")
    [{'id': 1, 'type': 'ExecutionStarted'}]
    """
    import pandas as pd

    rows = []
    for event in events:
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), {}) or {}
        rows.append({
            "id": event["id"],
            "previous_event_id": event["previousEventId"],
            "timestamp": event["timestamp"],
            "type": event["type"],
            "state_name": details.get("name"),
            "error": details.get("error"),
            "cause": details.get("cause"),
            "details": details,
        })
    frame = pd.DataFrame(rows, columns=["id", "previous_event_id", "timestamp", "type", "state_name",
                                        "error", "cause", "details"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame
