"""The AWS backend in one object: contract, state store (DynamoDB), artifact store (S3) and orchestrator.

:meth:`AwsBackend.open` finds the backend through SSM ``/attini/backend`` and is shared per process and
(profile, region, endpoint)::

    backend = AwsBackend.open(region="eu-west-1")                 # a real account
    backend = AwsBackend.open(endpoint_url="http://127.0.0.1:5000")  # a moto server with the emulated install

The orchestrator is :class:`attini_sdk.backends.aws.orchestrator.SfnOrchestrator` (Step Functions). Until
that module is installed, a stand-in reads progress from the table and says clearly that executions cannot
be started from here.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from attini_sdk.backends.aws.session import AwsSession
from attini_sdk.errors import BackendError
from attini_sdk.home import attini_home

__all__ = ["AwsBackend"]

_SHARED: dict[tuple, AwsBackend] = {}
_SHARED_LOCK = threading.Lock()


class AwsBackend:
    """Stores and orchestrator of one installed AWS backend; use :meth:`open`."""

    name = "aws"
    #: deploys go through an upload (:mod:`attini_sdk.backends.aws.submit`), not an in-process launch
    remote = True

    def __init__(self, session: AwsSession, contract: dict, *, home: str | os.PathLike | None = None):
        from attini_sdk.backends.aws.artifacts import S3ArtifactStore
        from attini_sdk.backends.aws.state import DynamoStateStore

        self.session = session
        self.contract = contract
        #: the ATTINI_HOME this backend was opened with (where remembered environments are listed)
        self.home_root = attini_home(home)
        self.home = self.home_root / "cache" / "aws" / contract["artifact_bucket"]
        self.state = DynamoStateStore.from_contract(session, contract)
        self.artifacts = S3ArtifactStore(session, contract["artifact_bucket"], self.home)
        self._orchestrator = None
        self._guard = threading.Lock()

    @classmethod
    def open(cls, *, profile: str | None = None, region: str | None = None, endpoint_url: str | None = None,
             home: str | os.PathLike | None = None) -> AwsBackend:
        """The backend of this account and region (found in SSM), shared in this process."""
        from attini_sdk.backends.aws.discovery import discover

        session = AwsSession(profile=profile, region=region, endpoint_url=endpoint_url)
        key = (os.getpid(), session.profile, session.region, session.endpoint_url, str(attini_home(home)))
        with _SHARED_LOCK:
            backend = _SHARED.get(key)
        if backend is None:
            backend = cls(session, discover(session), home=home)
            with _SHARED_LOCK:
                backend = _SHARED.setdefault(key, backend)
        return backend

    def describe(self) -> str:
        """Which backend, for messages: ``AWS account A region R (bucket B)``."""
        where = f" at {self.session.endpoint_url}" if self.session.endpoint_url else ""
        return f"AWS account {self.contract['account_id']} region {self.contract['region']}{where}"

    @property
    def orchestrator(self):
        """Step Functions orchestration (``backends/aws/orchestrator.py``), created on first use."""
        with self._guard:
            if self._orchestrator is None:
                try:
                    from attini_sdk.backends.aws.orchestrator import SfnOrchestrator
                except ImportError:
                    self._orchestrator = TableOrchestrator(self)
                else:
                    self._orchestrator = SfnOrchestrator(self)
            return self._orchestrator

    # -- the local side: a cache of artifacts and logs this machine read ----------------------------------

    def work_dir(self, deployment_id: str) -> Path:
        return self.home / "work" / deployment_id

    def log_dir(self, deployment_id: str) -> Path:
        return self.home / "logs" / deployment_id

    def forget_files(self, deployment_id: str, *, logs: bool = False) -> None:
        shutil.rmtree(self.work_dir(deployment_id), ignore_errors=True)
        if logs:
            shutil.rmtree(self.log_dir(deployment_id), ignore_errors=True)

    def detect_interrupted(self, environment: str | None = None) -> list:
        """Nothing to detect from a deployer's machine: deployments run in the account, and finalize records
        how executions end (a deployment whose execution died is found there, not here)."""
        return []

    def prune(self, distributions=None, *, dry_run: bool = False) -> list[dict]:
        """Delete stored artifacts no environment's retention keeps (needs the operator policy)."""
        ids: set[str] = set()
        for name in (None,) if distributions is None else distributions:
            ids.update(self.state.expired_artifacts(name))
        known = self.state.artifact_identities(sorted(ids)) if ids else {}
        removed = []
        for artifact_id in sorted(ids):
            size = self.artifacts.size(artifact_id)
            if size is None:
                continue  # already gone
            if not dry_run:
                self.artifacts.delete(artifact_id)
            name, version = known.get(artifact_id, (None, None))
            removed.append({"distribution_id": artifact_id, "distribution": name, "version": version, "bytes": size,
                            "path": f"s3://{self.contract['artifact_bucket']}/artifacts/{artifact_id}.zip"})
        return removed


class TableOrchestrator:
    """What a deployer can do without the Step Functions orchestrator: read steps and wait, from the table."""

    def __init__(self, backend: AwsBackend):
        self.backend = backend
        self.state = backend.state

    def _missing(self, action: str) -> BackendError:
        return BackendError(f"cannot {action}: this attini_sdk has no Step Functions orchestrator "
                            "(attini_sdk/backends/aws/orchestrator.py)", where=self.backend.describe(),
                            hint="upgrade attini_sdk to a version with the AWS orchestrator")

    def launch(self, deployment, lock, artifact, inputs, options, *, wait: bool = True):
        raise self._missing("start an execution")

    def answer(self, deployment_id, step, decision, message, options, *, wait: bool = True):
        raise self._missing("answer an approval")

    def resume(self, deployment_id, options, *, wait: bool = True):
        raise self._missing("resume a deployment")

    def wait(self, deployment_id: str, timeout: float | None = None) -> bool:
        from attini_sdk.backends.aws.submit import follow

        record = follow(self.state, self.state.get_deployment(deployment_id), timeout=timeout)
        return record.status not in ("pending", "running")

    def steps_table(self, record, secret_values=(), *, arrays: bool = True):
        return self.state.steps_table(record.id, arrays=arrays)

    def step_log(self, record, step: str):
        from attini_sdk.backends.aws.step_logs import read_step_log

        return read_step_log(self.backend.session, self.backend.contract.get("runner_log_group"), record.id, step)

    def _approvals(self, deployment_id: str) -> list:
        d = self.state.get_deployment(deployment_id)
        return [a for a in self.state.pending_approvals(d.environment) if a.deployment_id == deployment_id]
