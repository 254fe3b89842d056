"""The deployment lock's life after it is taken: heartbeat, release, park, claim, explicit recovery.

Taking the lock happens inside :meth:`start_deployment` (lock, revision and row in one transaction).
"""

from __future__ import annotations

import sqlite3

from attini_sdk.backends.local import db, locking
from attini_sdk.backends.local.state_core import StoreCore
from attini_sdk.backends.records import DeploymentRecord, Lock
from attini_sdk.errors import ConflictError, LockError

__all__ = ["LockOps"]


class LockOps(StoreCore):
    """Heartbeat, release, park and claim locks; find stale ones; recover them only when asked."""

    def get_lock(self, environment: str, distribution: str) -> Lock | None:
        """The lock on (environment, distribution), or None when nobody deploys it."""
        return self._lock_row(self._conn(), environment, distribution)

    def list_locks(self, environment: str | None = None) -> list[Lock]:
        """Every lock held, in one environment or all."""
        sql = f"SELECT {locking.LOCK_COLUMNS} FROM locks"
        cursor = (self._conn().execute(sql + " WHERE environment = ?", (environment,)) if environment
                  else self._conn().execute(sql))
        return [locking.lock_from_row(row) for row in cursor]

    def lock_stale_reason(self, lock: Lock) -> str | None:
        """Why ``lock`` looks abandoned (expired heartbeat, dead holder on this host), or None."""
        return locking.stale_reason(lock, self._now())

    def heartbeat(self, lock: Lock, *, ttl: float = locking.DEFAULT_LOCK_TTL) -> Lock:
        """Extend ``lock`` by ``ttl`` seconds; :class:`LockError` if it is no longer ours."""
        conn = self._conn()
        with db.transaction(conn):
            now = self._now()
            changed = conn.execute(
                "UPDATE locks SET heartbeat_at = ?, expires_at = ? WHERE environment = ? AND distribution = ? "
                "AND owner = ?", (now, now + int(ttl * 1_000_000), lock.environment, lock.distribution,
                                  lock.owner)).rowcount
            if not changed:
                raise _lost(lock)
            return self._lock_row(conn, lock.environment, lock.distribution)

    def release(self, lock: Lock) -> bool:
        """Give ``lock`` up; False if it was not ours any more."""
        conn = self._conn()
        with db.transaction(conn):
            return self._delete_lock(conn, lock)

    def park_lock(self, lock: Lock) -> Lock:
        """Detach ``lock`` from this process while its deployment waits for an approval.

        A parked lock never expires and keeps other deployments of the distribution out; only its own
        deployment can take it back (:meth:`claim_lock`), e.g. from ``attini deploy continue`` in a new process.
        """
        conn = self._conn()
        with db.transaction(conn):
            changed = conn.execute(
                "UPDATE locks SET pid = NULL, host = NULL, expires_at = NULL, heartbeat_at = ? "
                "WHERE environment = ? AND distribution = ? AND owner = ?",
                (self._now(), lock.environment, lock.distribution, lock.owner)).rowcount
            if not changed:
                raise _lost(lock)
            return self._lock_row(conn, lock.environment, lock.distribution)

    def claim_lock(self, deployment_id: str, *, ttl: float = locking.DEFAULT_LOCK_TTL,
                   wait_for_lock: float = 0.0) -> Lock:
        """Take the lock for an existing, unfinished deployment (continue after approval, resume).

        Succeeds when the lock is free, parked for this deployment, or left stale by this deployment's own
        dead process. A live holder, or another deployment's lock, raises :class:`LockError`.
        """
        return self._with_lock_wait(wait_for_lock, lambda: self._claim(deployment_id, ttl))

    def _claim(self, deployment_id: str, ttl: float) -> Lock:
        conn = self._conn()
        with db.transaction(conn):
            d = self._deployment(conn, deployment_id)
            if d.finished:
                raise ConflictError(f"deployment {d.distribution} revision {d.revision} already {d.status}",
                                    where=f"environment '{d.environment}', deployment {d.id}",
                                    hint="start a new deployment instead")
            held = self._lock_row(conn, d.environment, d.distribution)
            if held is not None:
                stale = locking.stale_reason(held, self._now())
                if held.deployment_id != deployment_id or not (held.parked or stale):
                    raise locking.lock_held_error(held, stale)
                conn.execute("DELETE FROM locks WHERE environment = ? AND distribution = ?",
                             (d.environment, d.distribution))
            return self._insert_lock(conn, d.environment, d.distribution, deployment_id, ttl)

    def unlock(self, environment: str, distribution: str, *, force: bool = False) -> Lock | None:
        """Recover the lock on (environment, distribution); returns the lock removed (None if none was held).

        Without ``force`` only a stale lock goes; a live or parked one raises :class:`LockError`. The lock's
        deployment, if still in progress, is marked ``interrupted`` so that it can be resumed.
        """
        conn = self._conn()
        with db.transaction(conn):
            held = self._lock_row(conn, environment, distribution)
            if held is None:
                return None
            reason = locking.stale_reason(held, self._now())
            if reason is None and not force:
                raise locking.lock_held_error(
                    held, None, hint="its holder looks alive; pass force=True only if you are sure it is gone",
                    cli_hint="its holder looks alive; add --force only if you are sure it is gone")
            conn.execute("DELETE FROM locks WHERE environment = ? AND distribution = ?", (environment, distribution))
            if held.deployment_id:
                _interrupt(conn, held.deployment_id, reason or "its lock was removed with force")
            return held

    def mark_interrupted(self, environment: str | None = None) -> list[DeploymentRecord]:
        """Mark in-progress deployments whose deployer is gone ``interrupted``; returns them.

        Gone means: its lock is stale (expired, or its process died on this host), or a pending/running
        deployment holds no lock at all. Locks stay where they are: :meth:`unlock` removes them, and
        :meth:`claim_lock` retakes a deployment's own stale lock on resume. A deployment waiting for an
        approval on a parked lock is not interrupted.
        """
        conn = self._conn()
        with db.transaction(conn):
            sql = ("SELECT id, environment, distribution, status FROM deployments "
                   "WHERE status IN ('pending', 'running', 'waiting_approval')")
            rows = conn.execute(sql + " AND environment = ?", (environment,)).fetchall() if environment \
                else conn.execute(sql).fetchall()
            marked = []
            for deployment_id, env, dist, status in rows:
                held = self._lock_row(conn, env, dist)
                if held is not None and held.deployment_id == deployment_id:
                    why = locking.stale_reason(held, self._now())
                else:  # running without its lock was abandoned; a waiting one may have let it go on purpose
                    why = "it holds no lock" if status != "waiting_approval" else None
                if why and _interrupt(conn, deployment_id, why):
                    marked.append(deployment_id)
            return [self._deployment(conn, i) for i in marked]


def _interrupt(conn: sqlite3.Connection, deployment_id: str, why: str) -> bool:
    return bool(conn.execute(
        "UPDATE deployments SET status = 'interrupted', error = 'Interrupted', cause = ? "
        "WHERE id = ? AND status IN ('pending', 'running', 'waiting_approval')",
        (f"its deployer stopped: {why}", deployment_id)).rowcount)


def _lost(lock: Lock) -> LockError:
    return LockError(f"the lock on '{lock.distribution}' in '{lock.environment}' is no longer held by this "
                     "deployment", where=f"deployment {lock.deployment_id}",
                     hint="someone recovered it with `attini deploy unlock`; resume the deployment to take it back")
