"""Step runs and manual approvals in the local state store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from datetime import datetime
from typing import Any

from attini_sdk.backends.local import db
from attini_sdk.backends.local.state_core import StoreCore, to_datetime, to_json, to_us
from attini_sdk.backends.records import STEP_STATUSES, Approval, StepRun, redact_values
from attini_sdk.errors import ConflictError, DeploymentError, NotFoundError

__all__ = ["StepOps"]

_STEP_COLUMNS = ("id", "deployment_id", "step", "type", "status", "started_at", "finished_at", "attempt",
                 "fingerprint", "output", "log_path", "error", "cause")
_SELECT_STEP = f"SELECT {', '.join('s.' + c for c in _STEP_COLUMNS)} FROM step_runs s"
_SELECT_APPROVAL = ("SELECT a.deployment_id, a.step, a.token, a.requested_at, a.decided_at, a.decision, a.message "
                    "FROM approvals a")


class StepOps(StoreCore):
    """Record step runs (with redacted output), find reusable ones, and keep manual approvals."""

    def start_step_run(self, deployment_id: str, step: str, type: str, *, attempt: int = 1,
                       fingerprint: str | None = None, log_path: str | None = None,
                       position: str | None = None) -> StepRun:
        """Record that a step started running; finish it with :meth:`finish_step_run`.

        ``position`` is where in the engine's execution the step runs (see :meth:`finished_at_position`).
        """
        return self.record_step_run(deployment_id, step, type, "running", attempt=attempt,
                                    fingerprint=fingerprint, log_path=log_path, position=position)

    def record_step_run(self, deployment_id: str, step: str, type: str, status: str, *, attempt: int = 1,
                        fingerprint: str | None = None, output: Any = None, log_path: str | None = None,
                        error: str | None = None, cause: str | None = None,
                        started_at: datetime | float | None = None, finished_at: datetime | float | None = None,
                        secret_values: Collection[str] = (), position: str | None = None) -> StepRun:
        """Record a step run in one go (e.g. ``skipped`` with the output it reused); output is redacted.

        ``type`` is the step's resource (``attini:cfn``); ``attempt`` counts from 1 (a retry is attempt 2).

        >>> import tempfile
        >>> from attini_sdk.backends.local.state import SqliteStateStore
        >>> store = SqliteStateStore.open(tempfile.mkdtemp())
        >>> _ = store.create_environment("dev")
        >>> d, _ = store.start_deployment("dev", "app", distribution_id="sha256:1", version="1.0.0")
        >>> store.record_step_run(d.id, "Db", "attini:cfn", "succeeded", output={"Url": "u:pw@h"},
        ...                       secret_values=["pw"]).output
        {'Url': 'u:***@h'}
        """
        _check_step_status(status)
        conn = self._conn()
        with db.transaction(conn):
            d = self._deployment(conn, deployment_id)
            text, redacted = self._redacted(conn, d.environment, output, secret_values)
            started = to_us(started_at) if started_at is not None else self._now()
            ended = to_us(finished_at) if finished_at is not None else (None if status == "running" else started)
            cursor = conn.execute(
                "INSERT INTO step_runs (deployment_id, step, type, status, started_at, finished_at, attempt, "
                "fingerprint, output, redacted, log_path, error, cause, position) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (deployment_id, step, type, status, started, ended, attempt, fingerprint, text, redacted, log_path,
                 error, cause, position))
            # the row as written (what reading it back gives, without the query)
            return _step((cursor.lastrowid, deployment_id, step, type, status, started, ended, attempt, fingerprint,
                          text, log_path, error, cause))

    def finish_step_run(self, run_id: int, status: str, *, output: Any = None, error: str | None = None,
                        cause: str | None = None, secret_values: Collection[str] = ()) -> StepRun:
        """Record how a running step ended; ``output`` is stored with secrets redacted."""
        _check_step_status(status)
        conn = self._conn()
        with db.transaction(conn):
            run = _step_run(conn, run_id)
            environment = self._deployment(conn, run.deployment_id).environment
            text, redacted = self._redacted(conn, environment, output, secret_values)
            conn.execute("UPDATE step_runs SET status = ?, finished_at = ?, output = ?, redacted = ?, error = ?, "
                         "cause = ? WHERE id = ?", (status, self._now(), text, redacted, error, cause, run_id))
            return _step_run(conn, run_id)

    def finished_at_position(self, deployment_id: str, step: str, position: str) -> StepRun | None:
        """The succeeded run of ``step`` at the engine ``position`` in this deployment, if one was recorded
        with nothing redacted from its output: its deployer died after the step finished and before the engine
        checkpointed it, so resume answers the engine from this record instead of running the step again."""
        row = self._conn().execute(
            f"{_SELECT_STEP} WHERE s.deployment_id = ? AND s.position = ? AND s.step = ? AND s.status = 'succeeded' "
            "AND s.redacted = 0 ORDER BY s.id DESC LIMIT 1", (deployment_id, position, step)).fetchone()
        return None if row is None else _step(row)

    def _redacted(self, conn, environment: str, output: Any, extra: Collection[str]) -> tuple[str | None, int]:
        """Output as stored: JSON with the environment's secret values (and ``extra``) replaced by ``***``."""
        if output is None:
            return None, 0
        text = to_json(output)
        clean = to_json(redact_values(json.loads(text), [*self._secrets(conn, environment)[1], *extra]))
        return clean, int(clean != text)

    def step_runs(self, deployment_id: str) -> list[StepRun]:
        """Every step run of a deployment, in the order they started."""
        conn = self._conn()
        self._deployment(conn, deployment_id)
        rows = conn.execute(f"{_SELECT_STEP} WHERE s.deployment_id = ? ORDER BY s.id", (deployment_id,))
        return [_step(row) for row in rows]

    def reusable_step_run(self, environment: str, distribution: str, step: str,
                          fingerprint: str) -> StepRun | None:
        """The last successful run of ``step`` in (environment, distribution), if its fingerprint matches.

        This is "skip unchanged": only the *latest* successful (or skipped) run counts, so a stack deployed
        with A, then B, is redeployed for A. A run whose output had secrets redacted is never reused.
        """
        row = self._conn().execute(
            f"{_SELECT_STEP.replace(' FROM', ', s.redacted FROM')} JOIN deployments d ON d.id = s.deployment_id "
            "WHERE d.environment = ? AND d.distribution = ? AND s.step = ? AND s.status IN ('succeeded', 'skipped') "
            "ORDER BY d.revision DESC, s.id DESC LIMIT 1", (environment, distribution, step)).fetchone()
        if row is None or row[-1] or row[_STEP_COLUMNS.index("fingerprint")] != fingerprint:
            return None
        return _step(row[:-1])

    # -- approvals ------------------------------------------------------------------------------------

    def request_approval(self, deployment_id: str, step: str, token: str) -> Approval:
        """Record that ``step`` waits for a manual approval (answered with ``token``); the deployment
        becomes ``waiting_approval``."""
        conn = self._conn()
        with db.transaction(conn):
            d = self._deployment(conn, deployment_id)
            old = _approval_row(conn, deployment_id, step)
            if old is not None and not old.pending:
                raise ConflictError(f"step '{step}' was already {old.decision}",
                                    where=f"deployment {deployment_id}, step '{step}'")
            conn.execute("INSERT OR REPLACE INTO approvals (deployment_id, step, token, requested_at) "
                         "VALUES (?, ?, ?, ?)", (deployment_id, step, token, self._now()))
            if d.status != "waiting_approval":
                self._check_transition(d, "waiting_approval")
                conn.execute("UPDATE deployments SET status = 'waiting_approval' WHERE id = ?", (deployment_id,))
            return _approval_row(conn, deployment_id, step)

    def decide_approval(self, deployment_id: str, step: str, decision: str,
                        message: str | None = None) -> Approval:
        """Approve or abort a waiting step, once; returns the approval with the engine's task token."""
        if decision not in ("approved", "aborted"):
            raise DeploymentError(f"an approval is 'approved' or 'aborted', not {decision!r}",
                                  where=f"deployment {deployment_id}, step '{step}'")
        conn = self._conn()
        with db.transaction(conn):
            old = _approval_row(conn, deployment_id, step)
            if old is None:
                raise NotFoundError(f"step '{step}' of deployment {deployment_id} is not waiting for an approval",
                                    where=f"deployment {deployment_id}",
                                    hint="see which steps wait with `attini deploy describe`")
            if not old.pending:
                raise ConflictError(f"step '{step}' was already {old.decision} at {old.decided_at.isoformat()}",
                                    where=f"deployment {deployment_id}, step '{step}'")
            conn.execute("UPDATE approvals SET decided_at = ?, decision = ?, message = ? "
                         "WHERE deployment_id = ? AND step = ?", (self._now(), decision, message, deployment_id, step))
            return _approval_row(conn, deployment_id, step)

    def get_approval(self, deployment_id: str, step: str) -> Approval | None:
        """The approval record of one step, or None."""
        return _approval_row(self._conn(), deployment_id, step)

    def pending_approvals(self, environment: str | None = None) -> list[Approval]:
        """Approvals nobody decided yet, oldest first."""
        # CROSS JOIN keeps approvals outermost: walk the small partial index of undecided ones
        sql = f"{_SELECT_APPROVAL} CROSS JOIN deployments d ON d.id = a.deployment_id WHERE a.decision IS NULL"
        args: tuple = ()
        if environment:
            sql, args = sql + " AND d.environment = ?", (environment,)
        return [_approval(row) for row in self._conn().execute(sql + " ORDER BY a.requested_at", args)]


def _check_step_status(status: str) -> None:
    if status not in STEP_STATUSES:
        raise DeploymentError(f"unknown step status {status!r}", hint=f"use one of {', '.join(STEP_STATUSES)}")


def _step_run(conn: sqlite3.Connection, run_id: int) -> StepRun:
    row = conn.execute(f"{_SELECT_STEP} WHERE s.id = ?", (run_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"step run {run_id} does not exist", where=f"step run {run_id}")
    return _step(row)


def _step(row: tuple) -> StepRun:
    i, dep, step, type_, status, started, finished, attempt, fp, output, log, error, cause = row
    return StepRun(i, dep, step, type_, status, to_datetime(started), to_datetime(finished), attempt, fp,
                   None if output is None else json.loads(output), log, error, cause)


def _approval_row(conn: sqlite3.Connection, deployment_id: str, step: str) -> Approval | None:
    row = conn.execute(f"{_SELECT_APPROVAL} WHERE a.deployment_id = ? AND a.step = ?", (deployment_id, step)).fetchone()
    return None if row is None else _approval(row)


def _approval(row: tuple) -> Approval:
    dep, step, token, requested, decided, decision, message = row
    return Approval(dep, step, token, to_datetime(requested), to_datetime(decided), decision, message)
