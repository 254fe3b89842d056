"""Plumbing shared by the parts of the SQLite state store: connections, time, row <-> record conversion.

The store is one class (:class:`attini_sdk.backends.local.state.SqliteStateStore`) assembled from a few
parts, one module each (environments, deployments, locks, step runs); this module is what they share.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from attini_sdk.backends.local import db, locking
from attini_sdk.backends.local.secret_box import PREFIX, SecretBox
from attini_sdk.backends.records import DeploymentRecord, Lock
from attini_sdk.errors import ConfigError, ConflictError, LockError, NotFoundError

__all__ = ["StoreCore", "whoami"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
#: the columns of a deployment joined with its artifact (``d``, ``a``), in DeploymentRecord field order
DEPLOYMENT_FIELDS = (
    "d.id, d.environment, d.distribution, d.revision, a.distribution_id, a.version, d.status, d.started_at, "
    "d.finished_at, d.deployed_by, d.reason, d.error, d.cause, d.execution_id, d.tags, d.parameters"
)
ARTIFACT_JOIN = "JOIN artifacts a ON a.key = d.artifact"
SELECT_DEPLOYMENT = f"SELECT {DEPLOYMENT_FIELDS} FROM deployments d {ARTIFACT_JOIN}"
ENV_COLUMNS = "name, type, created_at, require_signature, trusted_keys, keep_versions, keep_days"
# the status changes a deployment may make; final statuses change no more
_TRANSITIONS = {
    "pending": {"running", "failed", "aborted", "interrupted"},
    "running": {"waiting_approval", "succeeded", "failed", "aborted", "interrupted"},
    "waiting_approval": {"running", "succeeded", "failed", "aborted", "interrupted"},
    "interrupted": {"running", "failed", "aborted"},
}


def whoami() -> str:
    """``user@host``, recorded as ``deployed_by``.

    >>> "@" in whoami()
    True
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"{user}@{locking.this_host()}"


def to_datetime(us: int | None) -> datetime | None:
    """Stored microseconds -> aware UTC datetime."""
    return None if us is None else datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc)


def to_us(value: datetime | float | None) -> int | None:
    """An aware datetime or Unix seconds -> stored microseconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ConfigError(f"time {value.isoformat()} has no timezone",
                              hint="give the datetime a timezone, e.g. tzinfo=timezone.utc",
                              cli_hint="give the time with its timezone, e.g. 2026-01-31T12:00:00+00:00")
        return (value - _EPOCH) // timedelta(microseconds=1)  # exact, no float rounding
    return round(value * 1_000_000)


def to_json(value: Any) -> str:
    """Compact, key-sorted JSON as stored in TEXT columns."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def check_name(kind: str, name: str) -> None:
    """Environment and distribution names: 1-128 of letters, digits, '-', '_', '.'."""
    if not isinstance(name, str) or not name or len(name) > 128 or not set(name) <= _NAME_CHARS \
            or not name[0].isalnum():
        raise ConfigError(f"{kind} name {name!r} is not valid", where=f"{kind} '{name}'",
                          hint="use 1-128 letters, digits, '-', '_' or '.', starting with a letter or digit")


def deployment_from_row(row: tuple) -> DeploymentRecord:
    """A row selected with :data:`SELECT_DEPLOYMENT` -> record."""
    (i, env, dist, rev, dist_id, version, status, started, finished, by, reason, error, cause, execution,
     tags, params) = row
    return DeploymentRecord(i, env, dist, rev, dist_id, version, status, to_datetime(started),
                            to_datetime(finished), by, reason, error, cause, execution, json.loads(tags),
                            json.loads(params))


class StoreCore:
    """Connections (one per thread and process), the clock, and lookups every part of the store needs."""

    def __init__(self, path: str | os.PathLike, *, clock: Callable[[], float] = time.time,
                 timeout: float = 30.0):
        self.path = Path(path)
        self.timeout = timeout
        self._clock = clock
        self._local = threading.local()
        self._connections: list[tuple[int, threading.Thread, sqlite3.Connection]] = []
        self._guard = threading.Lock()
        self._box = SecretBox(self.path.parent)
        self._seal_plain_secrets(self._conn())  # create and migrate now, so errors surface at open

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (a forked child opens its own: connections never cross processes)."""
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        conn = db.connect(self.path, timeout=self.timeout)
        self._local.held = (os.getpid(), conn)
        with self._guard:
            self._reap()
            self._connections.append((os.getpid(), threading.current_thread(), conn))
        return conn

    def _reap(self) -> None:
        """Close the connections of threads that have ended; forget (never touch) a parent process's."""
        keep = []
        for pid, thread, conn in self._connections:
            if pid != os.getpid():
                continue
            if thread.is_alive():
                keep.append((pid, thread, conn))
            else:
                conn.close()
        self._connections = keep

    def _now(self) -> int:
        return round(self._clock() * 1_000_000)

    def close(self) -> None:
        """Close every connection this store opened in this process."""
        with self._guard:
            for pid, _, conn in self._connections:
                if pid == os.getpid():
                    conn.close()
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- shared lookups -------------------------------------------------------------------------------

    @staticmethod
    def _environment_row(conn: sqlite3.Connection, name: str) -> tuple | None:
        return conn.execute(f"SELECT {ENV_COLUMNS} FROM environments WHERE name = ?", (name,)).fetchone()

    def _require_environment(self, conn: sqlite3.Connection, name: str) -> tuple:
        row = self._environment_row(conn, name)
        if row is None:
            names = [n for (n,) in conn.execute("SELECT name FROM environments ORDER BY name")]
            known = f"existing: {', '.join(names)}" if names else "there are none yet"
            raise NotFoundError(f"environment '{name}' does not exist ({known})",
                                where=f"ATTINI_HOME {self.path.parent}",
                                hint=f"create it: at.Environment.create('{name}', type='test') (or type='production')",
                                cli_hint=f"create it: attini environment create {name} --env-type test|production")
        return row

    @staticmethod
    def _deployment(conn: sqlite3.Connection, deployment_id: str) -> DeploymentRecord:
        row = conn.execute(f"{SELECT_DEPLOYMENT} WHERE d.id = ?", (deployment_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"deployment {deployment_id} does not exist", where=f"deployment {deployment_id}",
                                hint="list deployments with `attini deploy history -e ENV`")
        return deployment_from_row(row)

    @staticmethod
    def _check_transition(d: DeploymentRecord, status: str) -> None:
        if status not in _TRANSITIONS.get(d.status, ()):
            raise ConflictError(
                f"deployment {d.distribution} revision {d.revision} is '{d.status}' and cannot become '{status}'",
                where=f"environment '{d.environment}', deployment {d.id}",
                hint="finished deployments never change; start a new deployment instead")

    def _secrets(self, conn: sqlite3.Connection, environment: str) -> tuple[set[str], list[str]]:
        """(secret keys, secret values as text) of an environment, for redaction at the source."""
        rows = conn.execute("SELECT key, value FROM environment_parameters WHERE environment = ? AND secret = 1",
                            (environment,)).fetchall()
        values = [self._parameter_value(environment, k, v) for k, v in rows]
        return {k for k, _ in rows}, [v if isinstance(v, str) else json.dumps(v) for v in values]

    # -- parameter values at rest ---------------------------------------------------------------------

    def _stored_value(self, environment: str, key: str, value: Any, secret: bool) -> str:
        """The column text of a parameter: JSON, sealed (AES-256-GCM) when it is secret."""
        text = json.dumps(value)
        return self._box.seal(text, f"{environment}/{key}") if secret else text

    def _parameter_value(self, environment: str, key: str, stored: str) -> Any:
        """A parameter's value from its column text (opening a sealed one)."""
        if SecretBox.sealed(stored):
            stored = self._box.open(stored, f"{environment}/{key}")
        return json.loads(stored)

    def _seal_plain_secrets(self, conn: sqlite3.Connection) -> None:
        """Seal secret values a version before encryption at rest stored in clear; scrub their old pages."""
        rows = conn.execute("SELECT environment, key, value FROM environment_parameters WHERE secret = 1 "
                            "AND substr(value, 1, ?) != ?", (len(PREFIX), PREFIX)).fetchall()
        if not rows:
            return
        with db.transaction(conn):
            for environment, key, value in rows:
                conn.execute("UPDATE environment_parameters SET value = ? WHERE environment = ? AND key = ?",
                             (self._box.seal(value, f"{environment}/{key}"), environment, key))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the old pages leave the write-ahead log too

    # -- lock rows ------------------------------------------------------------------------------------

    @staticmethod
    def _lock_row(conn: sqlite3.Connection, environment: str, distribution: str) -> Lock | None:
        row = conn.execute(f"SELECT {locking.LOCK_COLUMNS} FROM locks WHERE environment = ? AND distribution = ?",
                           (environment, distribution)).fetchone()
        return None if row is None else locking.lock_from_row(row)

    def _insert_lock(self, conn: sqlite3.Connection, environment: str, distribution: str, deployment_id: str,
                     ttl: float) -> Lock:
        now = self._now()
        row = (environment, distribution, os.urandom(8).hex(), os.getpid(), locking.this_host(), now, now,
               now + int(ttl * 1_000_000), deployment_id)
        conn.execute(f"INSERT INTO locks ({locking.LOCK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        return locking.lock_from_row(row)

    @staticmethod
    def _delete_lock(conn: sqlite3.Connection, lock: Lock) -> bool:
        return bool(conn.execute("DELETE FROM locks WHERE environment = ? AND distribution = ? AND owner = ?",
                                 (lock.environment, lock.distribution, lock.owner)).rowcount)

    @staticmethod
    def _with_lock_wait(wait_for_lock: float, attempt: Callable[[], Any]) -> Any:
        """Retry ``attempt`` while it raises :class:`LockError`, for up to ``wait_for_lock`` seconds."""
        deadline = time.monotonic() + max(wait_for_lock, 0.0)
        pause = 0.02
        while True:
            try:
                return attempt()
            except LockError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                time.sleep(min(pause, left))
                pause = min(pause * 2, 0.5)
