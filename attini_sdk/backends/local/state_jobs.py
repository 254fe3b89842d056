"""Runner job processes in the local state store: recorded when they start, closed when they end.

A deployer records each job it starts (pid, process group, start time in clock ticks, host). Whoever
continues the deployment later asks :meth:`JobOps.live_jobs`: a job recorded on this host whose process
still runs (same pid *and* start time) may still be doing its step's work, and the step must not start
again until it is gone::

    >>> import tempfile, os
    >>> from attini_sdk.backends.local.state import SqliteStateStore
    >>> from attini_sdk.steps.processes import identity
    >>> store = SqliteStateStore.open(tempfile.mkdtemp())
    >>> _ = store.create_environment("dev")
    >>> d, _ = store.start_deployment("dev", "app", distribution_id="sha256:1", version="1.0.0")
    >>> job = store.record_job(d.id, "Build", identity(os.getpid()))
    >>> [j.pid for j in store.live_jobs(d.id)] == [os.getpid()]
    True
    >>> store.end_job(job.id); store.live_jobs(d.id)
    []
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from attini_sdk.backends.local import db, locking
from attini_sdk.backends.local.state_core import StoreCore

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.steps.processes import ProcessIdentity

__all__ = ["JobOps", "JobRecord"]


@attrs.frozen
class JobRecord:
    """A runner job process a deployer started for one step."""

    id: int
    deployment_id: str
    step: str
    pid: int
    pgid: int | None
    start_ticks: int | None
    host: str

    @property
    def process(self) -> ProcessIdentity:
        from attini_sdk.steps.processes import ProcessIdentity  # a store that never ran a job never loads it

        return ProcessIdentity(self.pid, self.start_ticks, self.pgid)


_COLUMNS = "id, deployment_id, step, pid, pgid, start_ticks, host"


class JobOps(StoreCore):
    """Record runner job processes and find those that may still run."""

    def record_job(self, deployment_id: str, step: str, process: ProcessIdentity) -> JobRecord:
        """Record that a job process started for ``step``."""
        conn = self._conn()
        with db.transaction(conn):
            cursor = conn.execute(
                "INSERT INTO jobs (deployment_id, step, pid, pgid, start_ticks, host, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (deployment_id, step, process.pid, process.pgid, process.start_ticks, locking.this_host(),
                 self._now()))
            row = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return JobRecord(*row)

    def end_job(self, job_id: int) -> None:
        """Record that a job process ended."""
        conn = self._conn()
        with db.transaction(conn):
            conn.execute("UPDATE jobs SET ended_at = ? WHERE id = ? AND ended_at IS NULL", (self._now(), job_id))

    def open_jobs(self, deployment_id: str) -> list[JobRecord]:
        """Jobs of a deployment not recorded as ended (their deployer may have died while they ran)."""
        rows = self._conn().execute(f"SELECT {_COLUMNS} FROM jobs WHERE deployment_id = ? AND ended_at IS NULL "
                                    "ORDER BY id", (deployment_id,)).fetchall()
        return [JobRecord(*row) for row in rows]

    def live_jobs(self, deployment_id: str) -> list[JobRecord]:
        """Open jobs of a deployment whose process still runs on this host; those found gone are closed.

        A job recorded on another host cannot be checked from here and counts as live.
        """
        from attini_sdk.steps.processes import is_alive

        live, gone = [], []
        here = locking.this_host()
        for job in self.open_jobs(deployment_id):
            if job.host == here and not is_alive(job.process):
                gone.append(job.id)
            else:
                live.append(job)
        for job_id in gone:
            self.end_job(job_id)
        return live
