"""SQLite checkpoints for the local ASL engine (the engine's ``CheckpointStore`` protocol).

Three tables, created if missing (the local backend's migrations can adopt the DDL as is):

* ``asl_executions``: one row per execution (definition, input, status, output, error).
* ``asl_frames``: one row per running branch (``key``): next state, its input, this scope's
  variables, retry counters, the task token it is paused on. Each transition is **one
  UPSERT of one small row plus one INSERT of the new events, in one transaction**.
* ``asl_events``: history events in batches, one JSON array per checkpoint; each event a compact
  row ``[id, previous, timestamp, type, name, input-or-output]`` for a state's entered/exited
  event, ``[id, previous, timestamp, type, details]`` for the others.

WAL mode with ``synchronous=NORMAL``: a committed checkpoint survives the process being
killed (``kill -9``); only an OS crash or power loss can lose the last few.

    >>> import tempfile, os
    >>> from attini_sdk.asl import Engine
    >>> store = SqliteCheckpointStore(os.path.join(tempfile.mkdtemp(), "state.db"))
    >>> run = Engine(store=store).start({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}, 1).wait()
    >>> store.load(run.execution_id).record.status
    'SUCCEEDED'
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from attini_sdk.asl.store import ExecutionRecord, Frame, SavedExecution

__all__ = ["SqliteCheckpointStore", "SCHEMA"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS asl_executions (
    execution_id TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    definition   TEXT NOT NULL,
    input        TEXT NOT NULL,
    started_at   REAL NOT NULL,
    status       TEXT NOT NULL,
    output       TEXT,
    error        TEXT,
    cause        TEXT,
    stopped_at   REAL
);
CREATE TABLE IF NOT EXISTS asl_frames (
    execution_id TEXT NOT NULL,
    key          TEXT NOT NULL,
    state        TEXT,
    input        TEXT NOT NULL,
    step         INTEGER NOT NULL,
    status       TEXT NOT NULL,
    variables    TEXT,
    retries      TEXT,
    token        TEXT,
    error        TEXT,
    cause        TEXT,
    callback     TEXT,
    PRIMARY KEY (execution_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS asl_frames_token ON asl_frames (token) WHERE token IS NOT NULL;
CREATE TABLE IF NOT EXISTS asl_events (
    execution_id TEXT NOT NULL,
    first_id     INTEGER NOT NULL,
    events       TEXT NOT NULL,
    PRIMARY KEY (execution_id, first_id)
) WITHOUT ROWID;
"""

_UPSERT_FRAME = """
INSERT INTO asl_frames (execution_id, key, state, input, step, status, variables, retries, token, error, cause,
                        callback)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
ON CONFLICT (execution_id, key) DO UPDATE SET
    state = excluded.state, input = excluded.input, step = excluded.step, status = excluded.status,
    variables = COALESCE(excluded.variables, asl_frames.variables), retries = excluded.retries,
    token = excluded.token, error = excluded.error, cause = excluded.cause, callback = NULL
"""

_INSERT_EVENTS = "INSERT OR REPLACE INTO asl_events (execution_id, first_id, events) VALUES (?, ?, ?)"

_DATA_FIELD = {"stateEnteredEventDetails": "input", "stateExitedEventDetails": "output"}


def _encode_events(events: Sequence[dict]) -> str:
    rows = []
    for event in events:
        event_type = event["type"]
        key = "stateEnteredEventDetails" if event_type.endswith("StateEntered") else \
            "stateExitedEventDetails" if event_type.endswith("StateExited") else None
        head = [event["id"], event["previousEventId"], event["timestamp"], event_type]
        details = event.get(key) if key else next((v for k, v in event.items() if k.endswith("EventDetails")), None)
        if key is not None and details is not None and len(details) == 3:
            head += [details["name"], details[_DATA_FIELD[key]]]
        else:
            head.append(details)
        rows.append(head)
    return json.dumps(rows, separators=(",", ":"), default=str)


def _decode_events(text: str) -> list[dict]:
    from attini_sdk.asl.history import details_key

    events = []
    for row in json.loads(text):
        event = {"id": row[0], "previousEventId": row[1], "timestamp": row[2], "type": row[3]}
        key = details_key(row[3])
        if len(row) == 6:
            field = _DATA_FIELD[key]
            event[key] = {"name": row[4], field: row[5], f"{field}Details": {"truncated": False}}
        elif row[4] is not None:
            event[key] = row[4]
        events.append(event)
    return events


class SqliteCheckpointStore:
    """A :class:`~attini_sdk.asl.store.CheckpointStore` in one SQLite file (or a given connection).

    Thread-safe: one connection, one lock, one transaction per call.
    """

    def __init__(self, database: str | Path | sqlite3.Connection):
        if isinstance(database, sqlite3.Connection):
            self._db = database
        else:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(database), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def _transaction(self, work) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                work(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def create(self, record: ExecutionRecord) -> None:
        self._transaction(lambda db: db.execute(
            "INSERT INTO asl_executions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (record.execution_id, record.name, record.definition, record.input, record.started_at, record.status,
             record.output, record.error, record.cause, record.stopped_at)))

    def checkpoint(self, execution_id: str, frames: Sequence[Frame], events: Sequence[dict]) -> None:
        def work(db):
            for f in frames:
                db.execute(_UPSERT_FRAME, (execution_id, f.key, f.state, f.input, f.step, f.status, f.variables,
                                           f.retries, f.token, f.error, f.cause))
            if events:
                db.execute(_INSERT_EVENTS, (execution_id, events[0]["id"], _encode_events(events)))
        self._transaction(work)

    def finish(self, execution_id, status, output, error, cause, stopped_at, events) -> None:
        def work(db):
            db.execute("UPDATE asl_executions SET status = ?, output = ?, error = ?, cause = ?, stopped_at = ? "
                       "WHERE execution_id = ?", (status, output, error, cause, stopped_at, execution_id))
            if events:
                db.execute(_INSERT_EVENTS, (execution_id, events[0]["id"], _encode_events(events)))
        self._transaction(work)

    def definition(self, execution_id: str) -> str | None:
        """The definition (JSON text) an execution runs, without its history; None if there is no such execution."""
        with self._lock:
            row = self._db.execute("SELECT definition FROM asl_executions WHERE execution_id = ?",
                                   (execution_id,)).fetchone()
        return None if row is None else row[0]

    def load(self, execution_id: str) -> SavedExecution | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM asl_executions WHERE execution_id = ?", (execution_id,)).fetchone()
            if row is None:
                return None
            frames = self._db.execute(
                "SELECT key, state, input, step, status, variables, retries, token, error, cause, callback "
                "FROM asl_frames WHERE execution_id = ?", (execution_id,)).fetchall()
            batches = self._db.execute("SELECT events FROM asl_events WHERE execution_id = ? ORDER BY first_id",
                                       (execution_id,)).fetchall()
        by_id: dict[int, dict] = {}
        for (text,) in batches:  # a batch written again after a crash may repeat ids: the last one wins
            for event in _decode_events(text):
                by_id[event["id"]] = event
        return SavedExecution(ExecutionRecord(*row), {f[0]: Frame(*f) for f in frames},
                              [by_id[i] for i in sorted(by_id)])

    def find_token(self, token: str) -> tuple[str, str] | None:
        with self._lock:
            row = self._db.execute("SELECT execution_id, key FROM asl_frames WHERE token = ?", (token,)).fetchone()
        return (row[0], row[1]) if row else None

    def record_callback(self, execution_id: str, key: str, token: str, outcome: str) -> None:
        self._transaction(lambda db: db.execute(
            "UPDATE asl_frames SET callback = ? WHERE execution_id = ? AND key = ? AND token = ?",
            (outcome, execution_id, key, token)))

    def executions(self) -> list[ExecutionRecord]:
        """Every execution record, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM asl_executions ORDER BY started_at").fetchall()
        return [ExecutionRecord(*row) for row in rows]
