"""The local state database: where it lives, how to connect, its explicit schema and migrations.

One SQLite file, ``$ATTINI_HOME/state.db`` (default ``~/.attini/state.db``), holds every local
environment. Connections use WAL (readers never block the writer), foreign keys, a busy timeout and
``synchronous=NORMAL`` (a killed process never loses a commit; only a power cut can lose the last ones).
Every write runs in ``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing mid-transaction::

    >>> import tempfile, pathlib
    >>> conn = connect(pathlib.Path(tempfile.mkdtemp()) / "state.db")
    >>> schema_version(conn) == LATEST_VERSION
    True
    >>> with transaction(conn):
    ...     _ = conn.execute("INSERT INTO environments(name, type, created_at) VALUES ('dev', 'test', 0)")

Times are stored as INTEGER microseconds since the Unix epoch (UTC): exact, compact, and they turn into
``datetime64`` columns without parsing text. An artifact's identity (distribution id, name, version) is
stored once in ``artifacts`` and deployments point at it by integer key: a million-row history then reads
small integers instead of 71-character ids, which is most of what makes it fast.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from attini_sdk.errors import BackendError
from attini_sdk.home import attini_home, owner_only

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "state_db_path",
    "connect",
    "migrate",
    "schema_version",
    "transaction",
]

_STATUSES = "'pending','running','waiting_approval','succeeded','failed','aborted','interrupted'"
_STEP_STATUSES = "'pending','running','succeeded','failed','skipped','aborted','interrupted'"
_ACTIVE = "'pending','running','waiting_approval'"

# Each migration is (version, description, statements). Append only: never edit a shipped migration.
MIGRATIONS: list[tuple[int, str, tuple[str, ...]]] = [
    (1, "environments, deployments, step runs, outputs, approvals, locks, inventory", (
        """CREATE TABLE environments (
            key               INTEGER PRIMARY KEY,
            name              TEXT NOT NULL UNIQUE,
            type              TEXT NOT NULL CHECK (type IN ('test', 'production')),
            created_at        INTEGER NOT NULL,
            require_signature INTEGER NOT NULL DEFAULT 0 CHECK (require_signature IN (0, 1)),
            trusted_keys      TEXT NOT NULL DEFAULT '[]',
            keep_versions     INTEGER NOT NULL DEFAULT 10 CHECK (keep_versions >= 0),
            keep_days         INTEGER NOT NULL DEFAULT 10 CHECK (keep_days >= 0)
        )""",
        """CREATE TABLE environment_parameters (
            environment TEXT NOT NULL REFERENCES environments(name) ON DELETE CASCADE,
            key         TEXT NOT NULL,
            value       TEXT NOT NULL,
            secret      INTEGER NOT NULL DEFAULT 0 CHECK (secret IN (0, 1)),
            updated_at  INTEGER NOT NULL,
            PRIMARY KEY (environment, key)
        ) WITHOUT ROWID""",
        # one row per distribution id ever deployed here: the artifact's identity, stored once
        """CREATE TABLE artifacts (
            key             INTEGER PRIMARY KEY,
            distribution_id TEXT NOT NULL UNIQUE,
            distribution    TEXT NOT NULL,
            version         TEXT NOT NULL,
            recorded_at     INTEGER NOT NULL
        )""",
        f"""CREATE TABLE deployments (
            id              TEXT PRIMARY KEY,
            environment     TEXT NOT NULL REFERENCES environments(name) ON DELETE CASCADE,
            environment_key INTEGER NOT NULL,  -- environments.key: lets a history read an integer, not a name
            distribution    TEXT NOT NULL,
            revision        INTEGER NOT NULL CHECK (revision >= 1),
            artifact        INTEGER NOT NULL REFERENCES artifacts(key),
            status          TEXT NOT NULL CHECK (status IN ({_STATUSES})),
            started_at      INTEGER NOT NULL,
            finished_at     INTEGER,
            deployed_by     TEXT NOT NULL,
            reason          TEXT,
            error           TEXT,
            cause           TEXT,
            execution_id    TEXT,
            tags            TEXT NOT NULL DEFAULT '{{}}',
            parameters      TEXT NOT NULL DEFAULT '{{}}',
            UNIQUE (environment, distribution, revision)
        )""",
        # history of one environment, newest first; `since` ranges
        "CREATE INDEX deployments_by_time ON deployments (environment, started_at)",
        # history across every environment, newest first
        "CREATE INDEX deployments_by_start ON deployments (started_at)",
        # retention and "is this artifact still used anywhere"; also backs the foreign key
        "CREATE INDEX deployments_by_artifact ON deployments (artifact)",
        # running deployments: environment removal, interrupted detection (a handful of rows)
        f"CREATE INDEX deployments_active ON deployments (environment, distribution) "
        f"WHERE status IN ({_ACTIVE})",
        f"""CREATE TABLE step_runs (
            id            INTEGER PRIMARY KEY,
            deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
            step          TEXT NOT NULL,
            type          TEXT NOT NULL,
            status        TEXT NOT NULL CHECK (status IN ({_STEP_STATUSES})),
            started_at    INTEGER,
            finished_at   INTEGER,
            attempt       INTEGER NOT NULL DEFAULT 0,
            fingerprint   TEXT,
            output        TEXT,
            redacted      INTEGER NOT NULL DEFAULT 0 CHECK (redacted IN (0, 1)),
            log_path      TEXT,
            error         TEXT,
            cause         TEXT
        )""",
        "CREATE INDEX step_runs_by_deployment ON step_runs (deployment_id, step)",
        """CREATE TABLE outputs (
            deployment_id TEXT PRIMARY KEY REFERENCES deployments(id) ON DELETE CASCADE,
            output        TEXT NOT NULL,
            recorded_at   INTEGER NOT NULL
        ) WITHOUT ROWID""",
        """CREATE TABLE approvals (
            deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
            step          TEXT NOT NULL,
            token         TEXT NOT NULL,
            requested_at  INTEGER NOT NULL,
            decided_at    INTEGER,
            decision      TEXT CHECK (decision IN ('approved', 'aborted')),
            message       TEXT,
            PRIMARY KEY (deployment_id, step)
        ) WITHOUT ROWID""",
        "CREATE INDEX approvals_pending ON approvals (requested_at) WHERE decision IS NULL",
        """CREATE TABLE locks (
            environment   TEXT NOT NULL REFERENCES environments(name) ON DELETE CASCADE,
            distribution  TEXT NOT NULL,
            owner         TEXT NOT NULL,
            pid           INTEGER,
            host          TEXT,
            acquired_at   INTEGER NOT NULL,
            heartbeat_at  INTEGER NOT NULL,
            expires_at    INTEGER,
            deployment_id TEXT,
            PRIMARY KEY (environment, distribution)
        ) WITHOUT ROWID""",
        # per (environment, distribution): the current (last succeeded) and the last attempted deployment;
        # maintained in the same transactions that start and finish deployments
        """CREATE TABLE inventory (
            environment  TEXT NOT NULL REFERENCES environments(name) ON DELETE CASCADE,
            distribution TEXT NOT NULL,
            current_id   TEXT REFERENCES deployments(id) ON DELETE CASCADE,
            last_id      TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
            PRIMARY KEY (environment, distribution)
        ) WITHOUT ROWID""",
        "CREATE INDEX inventory_by_current ON inventory (current_id)",
        "CREATE INDEX inventory_by_last ON inventory (last_id)",
    )),
    # The local engine's checkpoints (attini_sdk.backends.local.checkpoints) live in the same file, so a
    # deployment's records and its execution's progress are backed up, copied and migrated together.
    # IF NOT EXISTS: a file the checkpoint store already initialised is adopted as it is.
    (2, "engine checkpoints: executions, frames (running branches), history events", (
        """CREATE TABLE IF NOT EXISTS asl_executions (
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
        )""",
        # one row per running branch (top level "", Parallel branch, Map iteration): where it is
        """CREATE TABLE IF NOT EXISTS asl_frames (
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
        ) WITHOUT ROWID""",
        # answering a task token (manual approvals) finds its execution and branch
        "CREATE INDEX IF NOT EXISTS asl_frames_token ON asl_frames (token) WHERE token IS NOT NULL",
        """CREATE TABLE IF NOT EXISTS asl_events (
            execution_id TEXT NOT NULL,
            first_id     INTEGER NOT NULL,
            events       TEXT NOT NULL,
            PRIMARY KEY (execution_id, first_id)
        ) WITHOUT ROWID""",
    )),
    # `version` is optional in attini-config (Attini's own projects have none): such an artifact is known by its
    # distribution id alone. SQLite cannot drop a NOT NULL in place, so the table is rebuilt (migrate() turns
    # foreign keys off around it and checks them before committing, SQLite's documented procedure).
    (3, "artifacts without a version", (
        """CREATE TABLE artifacts_new (
            key             INTEGER PRIMARY KEY,
            distribution_id TEXT NOT NULL UNIQUE,
            distribution    TEXT NOT NULL,
            version         TEXT,
            recorded_at     INTEGER NOT NULL
        )""",
        "INSERT INTO artifacts_new (key, distribution_id, distribution, version, recorded_at) "
        "SELECT key, distribution_id, distribution, version, recorded_at FROM artifacts",
        "DROP TABLE artifacts",
        "ALTER TABLE artifacts_new RENAME TO artifacts",
    )),
    (4, "history by status; step attempts count from 1", (
        # `attini deploy history --status failed -o 10`: the newest failures of an environment in index order,
        # however many other deployments it had (deployments_by_time would walk all of them)
        "CREATE INDEX deployments_by_status ON deployments (environment, status, started_at)",
        # attempts were stored as the engine's retry count (0 for the first attempt); people count from 1
        "UPDATE step_runs SET attempt = attempt + 1",
    )),
    (6, "runner job processes; where in the execution a step run ran", (
        # every runner job process a deployer started: resume never starts a step while its job may live
        """CREATE TABLE jobs (
            id            INTEGER PRIMARY KEY,
            deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
            step          TEXT NOT NULL,
            pid           INTEGER NOT NULL,
            pgid          INTEGER,
            start_ticks   INTEGER,
            host          TEXT NOT NULL,
            started_at    INTEGER NOT NULL,
            ended_at      INTEGER
        )""",
        "CREATE INDEX jobs_by_deployment ON jobs (deployment_id, ended_at)",
        # the engine's position of the Task a step run ran for (branch key, step counter, retry): a step that
        # finished before its deployer died is answered from its record on resume, never run again
        "ALTER TABLE step_runs ADD COLUMN position TEXT",
        "CREATE INDEX step_runs_by_position ON step_runs (deployment_id, position)",
    )),
]
LATEST_VERSION = MIGRATIONS[-1][0]


def state_db_path(home: str | os.PathLike | None = None) -> Path:
    """``<attini home>/state.db``, the one database of every local environment.

    >>> state_db_path("/tmp/x").name
    'state.db'
    """
    return attini_home(home) / "state.db"


def connect(path: str | os.PathLike, *, timeout: float = 30.0) -> sqlite3.Connection:
    """Open (creating and migrating if needed) the state database at ``path``.

    The connection is in autocommit mode: use :func:`transaction` for every write. Use it from one thread
    at a time (open one connection per thread) and never across a fork.

    >>> import tempfile, pathlib
    >>> connect(pathlib.Path(tempfile.mkdtemp()) / "state.db").execute("PRAGMA foreign_keys").fetchone()
    (1,)
    """
    path = Path(path)
    _create_private(path)
    try:
        # check_same_thread=False only so that the store can close a finished thread's connection;
        # each connection is still used by one thread at a time
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise BackendError("the state database cannot use write-ahead logging", where=str(path),
                               hint="keep ATTINI_HOME on a local disk (not a network share)")
        conn.execute("PRAGMA synchronous = NORMAL")
        # a freed page (an overwritten or deleted value) is zeroed, not left readable in the file
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise BackendError(f"cannot open the state database: {exc}", where=str(path),
                           hint="check the file is an attini state database and is writable") from exc
    if schema_version(conn) != LATEST_VERSION:  # cheap read first: only a new or old file takes the write lock
        migrate(conn, where=str(path))
    return conn


def _create_private(path: Path) -> None:
    """Create the file readable by its owner only: it holds secret environment parameters."""
    with owner_only():
        path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))


@contextmanager
def transaction(conn: sqlite3.Connection, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
    """Run the block in one transaction; ``IMMEDIATE`` takes the write lock up front (no upgrade races).

    >>> import tempfile, pathlib
    >>> conn = connect(pathlib.Path(tempfile.mkdtemp()) / "state.db")
    >>> with transaction(conn, "DEFERRED"):
    ...     conn.execute("SELECT count(*) FROM deployments").fetchone()
    (0,)
    """
    conn.execute(f"BEGIN {mode}")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection) -> int:
    """The highest migration applied to this database (0 for an empty one).

    >>> schema_version(sqlite3.connect(":memory:"))
    0
    """
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if not exists:
        return 0
    return conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, *, where: str = "state database") -> int:
    """Apply every migration newer than the database's version, all in one transaction.

    Refuses a database written by a newer attini_sdk. Returns the version reached.

    >>> migrate(sqlite3.connect(":memory:", isolation_level=None)) == LATEST_VERSION
    True
    """
    enforced = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")  # a table rebuild drops a referenced table; checked below
    try:
        _migrate(conn, where)
    finally:
        conn.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")
    return LATEST_VERSION


def _migrate(conn: sqlite3.Connection, where: str) -> None:
    with transaction(conn):
        conn.execute("""CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)""")
        current = schema_version(conn)
        if current > LATEST_VERSION:
            raise BackendError(
                f"the state database has schema version {current}, this attini_sdk knows up to "
                f"{LATEST_VERSION}", where=where, hint="upgrade attini_sdk (pip install -U attini-sdk)")
        for version, description, statements in MIGRATIONS:
            if version <= current:
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                         (version, description, int(time.time() * 1_000_000)))
        broken = conn.execute("PRAGMA foreign_key_check").fetchone()
        if broken is not None:  # raising rolls every migration back
            raise BackendError(f"migrating the state database broke a reference from table {broken[0]}",
                               where=where, hint="report this; the database was left as it was")
