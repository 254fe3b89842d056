"""Deployments in the local state store: start (lock + revision + row, atomically), finish, read, retain."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from attini_sdk.backends.local import db, locking, retention, tables
from attini_sdk.backends.local.state_core import (
    ARTIFACT_JOIN,
    DEPLOYMENT_FIELDS,
    SELECT_DEPLOYMENT,
    StoreCore,
    check_name,
    deployment_from_row,
    to_json,
    to_us,
    whoami,
)
from attini_sdk.backends.records import DEPLOYMENT_STATUSES, DeploymentRecord, Lock, Table, redact_keys, redact_values
from attini_sdk.errors import ConflictError, DeploymentError, NotFoundError

__all__ = ["DeploymentOps"]


class DeploymentOps(StoreCore):
    """Start and finish deployments, read them back, pick expired artifacts, and serve history tables."""

    def start_deployment(self, environment: str, distribution: str, *, distribution_id: str, version: str | None,
                         deployed_by: str | None = None, reason: str | None = None,
                         tags: Mapping[str, str] | None = None, parameters: Mapping[str, Any] | None = None,
                         secret_keys: Collection[str] = (), execution_id: str | None = None,
                         status: str = "running", lock_ttl: float = locking.DEFAULT_LOCK_TTL,
                         wait_for_lock: float = 0.0) -> tuple[DeploymentRecord, Lock]:
        """Take the lock, allocate revision n+1 and record the deployment, in one transaction.

        Fails fast with :class:`~attini_sdk.errors.LockError` naming the holder, or retries for up to
        ``wait_for_lock`` seconds. ``parameters`` are stored redacted: ``secret_keys`` and the environment's
        secret parameters become ``***``. Returns the new deployment and the lock it holds.

        >>> import tempfile
        >>> from attini_sdk.backends.local.state import SqliteStateStore
        >>> store = SqliteStateStore.open(tempfile.mkdtemp())
        >>> _ = store.create_environment("dev")
        >>> d, lock = store.start_deployment("dev", "db", distribution_id="sha256:1", version="1.0.0",
        ...                                  parameters={"Password": "pw"}, secret_keys={"Password"})
        >>> d.revision, d.parameters, lock.deployment_id == d.id
        (1, {'Password': '***'}, True)
        """
        check_name("distribution", distribution)
        if status not in ("pending", "running"):
            raise DeploymentError(f"a deployment starts as 'pending' or 'running', not {status!r}",
                                  where=f"environment '{environment}', distribution '{distribution}'")
        row = dict(distribution_id=distribution_id, version=version, deployed_by=deployed_by or whoami(),
                   reason=reason, tags=dict(tags or {}), parameters=dict(parameters or {}),
                   secret_keys=set(secret_keys), execution_id=execution_id, status=status)
        return self._with_lock_wait(wait_for_lock, lambda: self._start(environment, distribution, lock_ttl, row))

    def _start(self, environment: str, distribution: str, ttl: float, r: dict) -> tuple[DeploymentRecord, Lock]:
        conn = self._conn()
        with db.transaction(conn):
            env_key = conn.execute("SELECT key FROM environments WHERE name = ?", (environment,)).fetchone()
            if env_key is None:
                self._require_environment(conn, environment)  # raises the NotFoundError
            held = self._lock_row(conn, environment, distribution)
            if held is not None:
                raise locking.lock_held_error(held, locking.stale_reason(held, self._now()))
            artifact = self._artifact_key(conn, r["distribution_id"], distribution, r["version"])
            revision = conn.execute(
                "SELECT COALESCE(MAX(revision), 0) + 1 FROM deployments WHERE environment = ? AND distribution = ?",
                (environment, distribution)).fetchone()[0]
            keys, values = self._secrets(conn, environment)
            params = redact_values(redact_keys(r["parameters"], keys | r["secret_keys"]), values)
            now = self._now()
            deployment_id = f"{now:014x}{os.urandom(5).hex()}"  # sorts by start time
            conn.execute(
                "INSERT INTO deployments (id, environment, environment_key, distribution, revision, artifact, status, "
                "started_at, deployed_by, reason, execution_id, tags, parameters) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (deployment_id, environment, env_key[0], distribution, revision, artifact, r["status"], now,
                 r["deployed_by"], r["reason"], r["execution_id"], to_json(r["tags"]), to_json(params)))
            conn.execute(
                "INSERT INTO inventory (environment, distribution, current_id, last_id) VALUES (?, ?, NULL, ?) "
                "ON CONFLICT (environment, distribution) DO UPDATE SET last_id = excluded.last_id",
                (environment, distribution, deployment_id))
            lock = self._insert_lock(conn, environment, distribution, deployment_id, ttl)
            return self._deployment(conn, deployment_id), lock

    def _artifact_key(self, conn: sqlite3.Connection, distribution_id: str, distribution: str,
                      version: str | None) -> int:
        row = conn.execute("SELECT key, distribution, version FROM artifacts WHERE distribution_id = ?",
                           (distribution_id,)).fetchone()
        if row is None:
            return conn.execute("INSERT INTO artifacts (distribution_id, distribution, version, recorded_at) "
                                "VALUES (?, ?, ?, ?)", (distribution_id, distribution, version, self._now())).lastrowid
        if (row[1], row[2]) != (distribution, version):
            raise ConflictError(
                f"distribution id {distribution_id} was recorded as {row[1]} {row[2] or '(no version)'}, not "
                f"{distribution} {version or '(no version)'}",
                where=f"distribution '{distribution}'",
                hint="a distribution id names one artifact; package the distribution again")
        return row[0]

    def finish_deployment(self, deployment_id: str, status: str, *, outputs: Any = None,
                          error: str | None = None, cause: str | None = None,
                          lock: Lock | None = None) -> DeploymentRecord:
        """Record the end of a deployment and its outputs, update the inventory and release its lock, atomically.

        ``status`` is succeeded, failed, aborted or interrupted; a succeeded deployment becomes the current one
        of its distribution (never replacing a newer revision). The lock this deployment holds is released
        (``lock`` may be passed for clarity; a lock another deployment took since is left alone).
        """
        if status not in ("succeeded", "failed", "aborted", "interrupted"):
            raise DeploymentError(f"a deployment finishes as succeeded, failed, aborted or interrupted, "
                                  f"not {status!r}", where=f"deployment {deployment_id}")
        conn = self._conn()
        with db.transaction(conn):
            current = self._deployment(conn, deployment_id)
            self._check_transition(current, status)
            now = self._now()
            conn.execute("UPDATE deployments SET status = ?, finished_at = ?, error = ?, cause = ? WHERE id = ?",
                         (status, now, error, cause, deployment_id))
            if outputs is not None:
                conn.execute("INSERT OR REPLACE INTO outputs (deployment_id, output, recorded_at) VALUES (?, ?, ?)",
                             (deployment_id, to_json(outputs), now))
            if status == "succeeded":
                conn.execute(
                    "UPDATE inventory SET current_id = :id WHERE environment = :env AND distribution = :dist AND "
                    "(current_id IS NULL OR (SELECT revision FROM deployments WHERE id = current_id) < :rev)",
                    {"id": current.id, "env": current.environment, "dist": current.distribution,
                     "rev": current.revision})
            # a finished deployment holds no lock; never touch a lock another deployment took since
            conn.execute("DELETE FROM locks WHERE environment = ? AND distribution = ? AND deployment_id = ?",
                         (current.environment, current.distribution, deployment_id))
            return self._deployment(conn, deployment_id)

    def set_deployment_status(self, deployment_id: str, status: str, *, error: str | None = None,
                              cause: str | None = None, execution_id: str | None = None) -> DeploymentRecord:
        """Move a deployment between unfinished statuses (running <-> waiting_approval, interrupted -> running).

        Also records the engine's ``execution_id`` once it is known.
        """
        if status not in DEPLOYMENT_STATUSES:
            raise DeploymentError(f"unknown deployment status {status!r}", where=f"deployment {deployment_id}",
                                  hint=f"use one of {', '.join(DEPLOYMENT_STATUSES)}")
        conn = self._conn()
        with db.transaction(conn):
            current = self._deployment(conn, deployment_id)
            if status != current.status:
                self._check_transition(current, status)
            conn.execute("UPDATE deployments SET status = ?, error = COALESCE(?, error), cause = COALESCE(?, cause), "
                         "execution_id = COALESCE(?, execution_id) WHERE id = ?",
                         (status, error, cause, execution_id, deployment_id))
            return self._deployment(conn, deployment_id)

    def outputs(self, deployment_id: str, *, reveal: bool = False) -> Any:
        """A deployment's recorded outputs (None if none); secrets redacted unless ``reveal`` (for Import)."""
        conn = self._conn()
        d = self._deployment(conn, deployment_id)
        row = conn.execute("SELECT output FROM outputs WHERE deployment_id = ?", (deployment_id,)).fetchone()
        if row is None:
            return None
        value = json.loads(row[0])
        return value if reveal else redact_values(value, self._secrets(conn, d.environment)[1])

    # -- reading --------------------------------------------------------------------------------------

    def get_deployment(self, deployment_id: str) -> DeploymentRecord:
        """One deployment by id; :class:`NotFoundError` if unknown."""
        return self._deployment(self._conn(), deployment_id)

    def find_deployment(self, environment: str, distribution: str, revision: int) -> DeploymentRecord:
        """A deployment by (environment, distribution, revision)."""
        row = self._conn().execute(
            f"{SELECT_DEPLOYMENT} WHERE d.environment = ? AND d.distribution = ? AND d.revision = ?",
            (environment, distribution, revision)).fetchone()
        if row is None:
            raise NotFoundError(f"'{distribution}' has no revision {revision} in environment '{environment}'",
                                where=f"environment '{environment}'",
                                hint=f"list revisions with `attini deploy history -e {environment} -n {distribution}`")
        return deployment_from_row(row)

    def current_deployment(self, environment: str, distribution: str) -> DeploymentRecord | None:
        """The last succeeded deployment of ``distribution`` in ``environment``: what runs there."""
        return self._inventory_pointer("current_id", environment, distribution)

    def latest_deployment(self, environment: str, distribution: str) -> DeploymentRecord | None:
        """The last attempted deployment, whatever its status."""
        return self._inventory_pointer("last_id", environment, distribution)

    def _inventory_pointer(self, column: str, environment: str, distribution: str) -> DeploymentRecord | None:
        row = self._conn().execute(
            f"{SELECT_DEPLOYMENT} JOIN inventory i ON d.id = i.{column} "
            "WHERE i.environment = ? AND i.distribution = ?", (environment, distribution)).fetchone()
        return None if row is None else deployment_from_row(row)

    def list_deployments(self, environment: str | None = None, *, distribution: str | None = None,
                         since: datetime | None = None, status: str | Collection[str] | None = None,
                         limit: int | None = None) -> list[DeploymentRecord]:
        """Deployments newest first, as records (the DataFrame form is :func:`attini_sdk.deploy.frames.history`)."""
        conn = self._conn()
        if environment is not None:
            self._require_environment(conn, environment)
        sql, args = tables.history_query(environment, distribution=distribution, since_us=to_us(since),
                                         statuses=_statuses(status), limit=limit, select=DEPLOYMENT_FIELDS,
                                         joins=ARTIFACT_JOIN)
        return [deployment_from_row(row) for row in conn.execute(sql, args)]

    def artifact_deployments(self, prefix: str, environment: str | None = None, distribution: str | None = None,
                             limit: int | None = None) -> list[DeploymentRecord]:
        """Deployments, newest first, of the artifacts whose distribution id starts with ``prefix`` (``sha256:``
        added when missing), optionally in one environment and of one distribution.

        The prefix is a range of the artifacts' unique index and each artifact's deployments come from
        ``deployments_by_artifact``: the cost is what matches, not the history.
        """
        low = prefix if prefix.startswith("sha256:") else f"sha256:{prefix}"
        where, args = ["a.distribution_id >= ?", "a.distribution_id < ?"], [low, low + "\U0010ffff"]
        for clause, value in (("d.environment = ?", environment), ("d.distribution = ?", distribution)):
            if value is not None:
                where.append(clause)
                args.append(value)
        sql = (f"SELECT {DEPLOYMENT_FIELDS} FROM artifacts a CROSS JOIN deployments d ON d.artifact = a.key "
               f"WHERE {' AND '.join(where)} ORDER BY d.started_at DESC LIMIT ?")
        return [deployment_from_row(row) for row in self._conn().execute(sql, [*args, -1 if limit is None else limit])]

    def successful_deployments(self, environment: str, distribution: str,
                               limit: int | None = None) -> list[DeploymentRecord]:
        """Succeeded deployments of one distribution, newest first (rollback targets, dependency checks)."""
        rows = self._conn().execute(
            f"{SELECT_DEPLOYMENT} WHERE d.environment = ? AND d.distribution = ? AND d.status = 'succeeded' "
            "ORDER BY d.revision DESC LIMIT ?", (environment, distribution, -1 if limit is None else int(limit)))
        return [deployment_from_row(row) for row in rows]

    # -- retention ------------------------------------------------------------------------------------

    def expired_artifacts(self, distribution: str | None = None) -> list[str]:
        """Distribution ids of artifacts no environment's retention rules keep (see :mod:`.retention`)."""
        return retention.expired_artifact_ids(self._conn(), self._now(), distribution)

    def artifact_in_use(self, artifact_id: str) -> bool:
        """True if any recorded deployment, in any environment, ran the artifact ``artifact_id``."""
        return self._conn().execute(
            "SELECT 1 FROM artifacts a JOIN deployments d ON d.artifact = a.key WHERE a.distribution_id = ? LIMIT 1",
            (artifact_id,)).fetchone() is not None

    # -- tables for DataFrames ------------------------------------------------------------------------

    def history_table(self, environment: str | None = None, *, distribution: str | None = None,
                      since: datetime | None = None, status: str | Collection[str] | None = None,
                      limit: int | None = None, arrays: bool = True) -> Table:
        """Deployment columns newest first (``environment=None``: every environment).

        ``arrays=False``: plain lists with the labels decoded (a page of rows for the CLI: no numpy)."""
        conn = self._conn()
        with db.transaction(conn, "DEFERRED"):  # one snapshot for the rows and the names they refer to
            if environment is not None:
                self._require_environment(conn, environment)
            return tables.history(conn, environment, distribution=distribution, since_us=to_us(since),
                                  statuses=_statuses(status), limit=limit, arrays=arrays)

    def inventory_table(self, environment: str, *, arrays: bool = True) -> Table:
        """Per distribution: current and last attempted deployment (see :func:`attini_sdk.deploy.frames.inventory`)."""
        conn = self._conn()
        with db.transaction(conn, "DEFERRED"):
            self._require_environment(conn, environment)
            return tables.inventory(conn, environment, arrays=arrays)

    def landscape_table(self, environments: Sequence[str], *, arrays: bool = True) -> Table:
        """Current deployments of every distribution in each of ``environments``."""
        conn = self._conn()
        with db.transaction(conn, "DEFERRED"):
            for name in environments:
                self._require_environment(conn, name)
            return tables.landscape(conn, list(environments), arrays=arrays)

    def steps_table(self, deployment_id: str, *, arrays: bool = True) -> Table:
        """Step runs of one deployment, in the order they started."""
        conn = self._conn()
        with db.transaction(conn, "DEFERRED"):
            self._deployment(conn, deployment_id)
            return tables.steps(conn, deployment_id, arrays=arrays)


def _statuses(status: str | Collection[str] | None) -> list[str]:
    statuses = [status] if isinstance(status, str) else list(status or [])
    unknown = [s for s in statuses if s not in DEPLOYMENT_STATUSES]
    if unknown:
        raise DeploymentError(f"unknown deployment status {unknown[0]!r}",
                              hint=f"use one of {', '.join(DEPLOYMENT_STATUSES)}")
    return statuses
