"""The local backend in one object: state store, artifact store, orchestrator and the folders they use.

Everything lives under one home folder (``$ATTINI_HOME``, default ``~/.attini``)::

    state.db                          environments, deployments, step runs, locks + the engine's checkpoints
    artifacts/<id-hex>.zip            every artifact deployed (shared by all local environments)
    work/<deployment id>/source/      the extracted artifact a deployment runs from (runner copies beside it)
    logs/<deployment id>/<step>.log   one log per step

One :class:`LocalBackend` is shared per home folder and process (threads share it; a forked child makes its
own), so that approvals and waits in this process reach the executions it runs::

    >>> import tempfile
    >>> backend = LocalBackend.open(tempfile.mkdtemp())
    >>> backend.state.create_environment("dev").name, backend.work_dir("d1").name
    ('dev', 'd1')
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from attini_sdk.home import attini_home, private_dir

__all__ = ["LocalBackend", "close_shared"]

_SHARED: dict[tuple[int, Path], LocalBackend] = {}
_SHARED_LOCK = threading.Lock()


class LocalBackend:
    """Stores and orchestrator of the local backend under ``home``; use :meth:`open`."""

    name = "local"

    def __init__(self, home: str | os.PathLike):
        from attini_sdk.backends.local.artifacts import FileArtifactStore
        from attini_sdk.backends.local.state import SqliteStateStore

        self.home = Path(home)
        private_dir(self.home)  # everything under it is owner-only (docs/RELIABILITY.md, Secrets)
        self.state = SqliteStateStore.open(self.home)
        self.artifacts = FileArtifactStore.open(self.home)
        self._orchestrator = None
        self._guard = threading.Lock()

    @classmethod
    def open(cls, home: str | os.PathLike | None = None) -> LocalBackend:
        """The backend of ``home`` (default ``$ATTINI_HOME``, else ``~/.attini``), shared in this process."""
        path = attini_home(home).resolve()
        key = (os.getpid(), path)
        with _SHARED_LOCK:
            backend = _SHARED.get(key)
            if backend is None:
                backend = _SHARED[key] = cls(path)
            return backend

    def close(self) -> None:
        """Close this process's connections to ``state.db`` (the state store's and the engine checkpoints');
        using the backend again opens new ones."""
        with self._guard:
            orchestrator = self._orchestrator
        if orchestrator is not None:
            orchestrator.close()
        self.state.close()

    @property
    def orchestrator(self):
        """The :class:`~attini_sdk.backends.local.orchestrator.LocalOrchestrator` (created on first use)."""
        with self._guard:
            if self._orchestrator is None:
                from attini_sdk.backends.local.orchestrator import LocalOrchestrator

                self._orchestrator = LocalOrchestrator(self)
            return self._orchestrator

    def work_dir(self, deployment_id: str) -> Path:
        """``<home>/work/<deployment id>``: the extracted source and runner job copies."""
        return self.home / "work" / deployment_id

    def log_dir(self, deployment_id: str) -> Path:
        """``<home>/logs/<deployment id>``: one log file per step."""
        return self.home / "logs" / deployment_id

    def forget_files(self, deployment_id: str, *, logs: bool = False) -> None:
        """Remove a deployment's work folder (and its logs with ``logs=True``)."""
        shutil.rmtree(self.work_dir(deployment_id), ignore_errors=True)
        if logs:
            shutil.rmtree(self.log_dir(deployment_id), ignore_errors=True)

    def detect_interrupted(self, environment: str | None = None) -> list:
        """Mark deployments whose deployer died ``interrupted`` (cheap when no lock is stale); returns them."""
        state = self.state
        if not any(state.lock_stale_reason(lock) for lock in state.list_locks(environment)):
            return []
        return state.mark_interrupted(environment)

    def prune(self, distributions=None, *, dry_run: bool = False) -> list[dict]:
        """Delete stored artifacts that no environment's retention keeps (see ``backends/local/retention.py``).

        ``distributions`` limits it to those distributions (None: all). Returns one dict per artifact removed
        (or, with ``dry_run``, that would be): distribution_id, distribution, version, bytes, path.
        """
        ids: set[str] = set()
        for name in (None,) if distributions is None else distributions:
            ids.update(self.state.expired_artifacts(name))
        known = self._identities(sorted(ids))
        removed = []
        for artifact_id in sorted(ids):
            path = self.artifacts.path(artifact_id)
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue  # already gone
            if not dry_run:
                self.artifacts.delete(artifact_id)
            name, version = known.get(artifact_id, (None, None))
            removed.append({"distribution_id": artifact_id, "distribution": name, "version": version,
                            "bytes": size, "path": str(path)})
        return removed

    def _identities(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        rows = self.state._conn().execute(
            f"SELECT distribution_id, distribution, version FROM artifacts WHERE distribution_id IN ({marks})", ids)
        return {i: (d, v) for i, d, v in rows}


def close_shared() -> None:
    """Close the databases of every backend :meth:`LocalBackend.open` shared in this process (the CLI calls it
    just before its process exits; a backend used again afterwards opens new connections).

    >>> import tempfile
    >>> backend = LocalBackend.open(tempfile.mkdtemp())
    >>> close_shared()
    >>> backend.state.list_environments()
    []
    """
    with _SHARED_LOCK:
        backends = [b for (pid, _), b in _SHARED.items() if pid == os.getpid()]
    for backend in backends:
        backend.close()
