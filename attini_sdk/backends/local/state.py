"""The local state store: environments, deployments, step runs, outputs, approvals and locks in SQLite.

Every operation is one transaction, so a crash never leaves half a change. Starting a deployment takes the
(environment, distribution) lock, allocates revision n+1 and records the deployment atomically::

    >>> import tempfile
    >>> store = SqliteStateStore.open(tempfile.mkdtemp())
    >>> _ = store.create_environment("dev")
    >>> deployment, lock = store.start_deployment("dev", "app", distribution_id="sha256:ab", version="1.0.0")
    >>> deployment.revision, deployment.status
    (1, 'running')
    >>> store.finish_deployment(deployment.id, "succeeded", outputs={"Url": "https://x"}, lock=lock).status
    'succeeded'
    >>> store.current_deployment("dev", "app").revision
    1

One store object may be shared by threads (each thread gets its own connection), and several processes may
open the same file: SQLite's write lock serialises writers and the busy timeout queues them. The parts of
the store live one per module: environments (``state_environments``), deployments (``state_deployments``),
locks (``state_locks``), step runs and approvals (``state_steps``), runner job processes (``state_jobs``).
"""

from __future__ import annotations

import os

from attini_sdk.backends.local import db
from attini_sdk.backends.local.state_core import whoami
from attini_sdk.backends.local.state_deployments import DeploymentOps
from attini_sdk.backends.local.state_environments import EnvironmentOps
from attini_sdk.backends.local.state_jobs import JobOps
from attini_sdk.backends.local.state_locks import LockOps
from attini_sdk.backends.local.state_steps import StepOps

__all__ = ["SqliteStateStore", "whoami"]


class SqliteStateStore(EnvironmentOps, DeploymentOps, LockOps, StepOps, JobOps):
    """The :class:`~attini_sdk.backends.base.StateStore` of the local backend, in ``<home>/state.db``.

    ``SqliteStateStore(path, clock=time.time, timeout=30.0)``: ``clock`` returns Unix seconds (tests pass
    their own to move time); ``timeout`` is how long a writer queues behind others before failing.

    >>> import tempfile
    >>> store = SqliteStateStore.open(tempfile.mkdtemp())
    >>> store.create_environment("prod", "production").is_production
    True
    """

    @classmethod
    def open(cls, home: str | os.PathLike | None = None, **kwargs) -> SqliteStateStore:
        """The store in ``home`` (default ``$ATTINI_HOME``, else ``~/.attini``)."""
        return cls(db.state_db_path(home), **kwargs)

    def integrity_check(self) -> list[str]:
        """SQLite's ``PRAGMA integrity_check`` plus a foreign key check: ``['ok']`` when all is well."""
        conn = self._conn()
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        return result + [f"foreign key broken: {row}" for row in broken]
