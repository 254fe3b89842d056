"""A handle on one deployment: its record, steps, outputs and logs; approve, abort, wait.

    >>> import attini_sdk as at
    >>> d = at.Environment.local("dev").deploy("examples/platform/network")       # doctest: +SKIP
    >>> d.status, d.revision, d.version                                            # doctest: +SKIP
    ('succeeded', 1, '1.0.0')
    >>> d.steps[["step", "type", "status"]]                                        # doctest: +SKIP
    >>> d.outputs["output"]["Network"]["VpcId"]                                    # doctest: +SKIP
    'vpc-0f3c…'

The handle reads the store: :meth:`refresh` re-reads the record; properties show the record as last read.
A deployment paused at a ManualApproval (``status == "waiting_approval"``) continues with
:meth:`approve` or :meth:`abort`, from this process or any other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attini_sdk.backends.records import DeploymentRecord, redact_values
from attini_sdk.errors import NotFoundError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from attini_sdk.deploy.environment import Environment

__all__ = ["Deployment"]


class _StepsSource:
    """What :func:`attini_sdk.deploy.frames.steps` reads: the store's step runs plus the plain states that ran."""

    def __init__(self, deployment: Deployment):
        self._deployment = deployment

    def steps_table(self, deployment_id: str):
        d = self._deployment
        return d._backend.orchestrator.steps_table(d.record, d._env._secret_values())


class Deployment:
    """One run of one artifact's plan in one environment (see :mod:`attini_sdk.deploy.deployment`).

    Get one from ``env.deploy(...)``, ``env.deployment(revision, "app")`` or ``env.rollback(...)``.
    """

    def __init__(self, environment: Environment, record: DeploymentRecord):
        self._env = environment
        self.record = record

    @property
    def _backend(self):
        return self._env._backend

    # -- what it is ---------------------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def environment(self) -> str:
        """The environment's name."""
        return self.record.environment

    @property
    def distribution(self) -> str:
        return self.record.distribution

    @property
    def revision(self) -> int:
        return self.record.revision

    @property
    def version(self) -> str | None:
        """The artifact's version; None when its attini-config has none (then ``distribution_id`` says what ran)."""
        return self.record.version

    @property
    def label(self) -> str:
        """Distribution and version for messages: ``app 1.2.0``, or ``app`` when it has no version."""
        return self.record.label

    @property
    def distribution_id(self) -> str:
        return self.record.distribution_id

    @property
    def status(self) -> str:
        """pending, running, waiting_approval, succeeded, failed, aborted or interrupted (as last read)."""
        return self.record.status

    @property
    def reason(self) -> str | None:
        return self.record.reason

    @property
    def error(self) -> str | None:
        return self.record.error

    @property
    def cause(self) -> str | None:
        return self.record.cause

    @property
    def started_at(self) -> datetime | None:
        return self.record.started_at

    @property
    def finished_at(self) -> datetime | None:
        return self.record.finished_at

    @property
    def deployed_by(self) -> str:
        return self.record.deployed_by

    @property
    def execution_id(self) -> str | None:
        return self.record.execution_id

    @property
    def parameters(self) -> dict:
        """The parameters it ran with, secrets as ``***``."""
        return dict(self.record.parameters)

    @property
    def tags(self) -> dict:
        return dict(self.record.tags)

    # -- what it did --------------------------------------------------------------------------------------

    @property
    def steps(self) -> pd.DataFrame:
        """One row per state that ran (Attini steps, skipped ones, plain ASL states), newest first.

        Columns: step_run_id, step, type, status, attempt, started_at, finished_at, duration, fingerprint,
        output (secrets redacted), log_path, error, cause.
        """
        from attini_sdk.deploy import frames

        return frames.steps(_StepsSource(self), self.id)

    @property
    def outputs(self) -> dict:
        """The final payload the plan produced (``{}`` until it succeeded); secret values as ``***``."""
        value = self._backend.state.outputs(self.id)
        return {} if value is None else value

    def logs(self, step: str) -> str:
        """The log of ``step`` (every attempt, in order); ``""`` for a state that writes none.

        The same call on both backends: the local backend reads its log files, the AWS backend the step's
        CloudWatch Logs streams (while the step runs, what it logged so far). Secrets read ``***``.

        >>> d.logs("Migrate")                               # doctest: +SKIP
        '[attini] job Migrate-3f2a on runner AttiniDefaultRunner: 1 command(s)\\napplied 001_create_items.sql\\n…'
        """
        text = self._backend.orchestrator.step_log(self.record, step)
        if text is not None:
            return redact_values(text, self._env._secret_values())
        known = set(self.steps["step"])
        if step in known or step in self._plan_states():
            return ""
        raise NotFoundError(f"{self.distribution} revision {self.revision} has no step '{step}'",
                            where=f"environment '{self.environment}', deployment {self.id}",
                            hint="steps that ran: " + (", ".join(sorted(known)) or "none"))

    def _plan_states(self) -> set[str]:
        """Every state of the plan this deployment ran (a Pass state the AWS backend keeps no run of, too)."""
        from attini_sdk.plan.definition import PlanDefinition

        try:
            plan = self.artifact.plan
        except NotFoundError:  # retention removed the artifact: only the recorded runs are known
            return set()
        return set(PlanDefinition(plan).state_names()) if plan else set()

    @property
    def artifact(self):
        """The :class:`~attini_sdk.artifacts.artifact.Artifact` this deployment ran, from the environment's store
        (verified on opening). Raises :class:`~attini_sdk.errors.NotFoundError` once retention removed it."""
        from attini_sdk.artifacts.artifact import Artifact

        path = self._backend.artifacts.get(self.distribution_id)
        return Artifact.open(path, expected_id=self.distribution_id)

    @property
    def pending_approvals(self) -> list[str]:
        """Steps waiting for a manual approval."""
        orchestrator = self._backend.orchestrator
        return [a.step for a in orchestrator._approvals(self.id) if a.pending]

    # -- acting on it -------------------------------------------------------------------------------------

    def approve(self, step: str, message: str | None = None, *, wait: bool = True,
                progress: Callable[[dict], None] | None = None) -> Deployment:
        """Approve the waiting ManualApproval ``step`` and continue the deployment in this process.

        Works from any process (the one that started it may be gone). Returns this handle, refreshed: the
        deployment finished, or waits at its next approval.
        """
        return self._answer(step, "approved", message, wait, progress)

    def abort(self, step: str, message: str | None = None, *, wait: bool = True,
              progress: Callable[[dict], None] | None = None) -> Deployment:
        """Abort at the waiting ManualApproval ``step``: it fails with ``ManuallyAborted`` (the deployment
        ends ``aborted`` unless the plan catches it)."""
        return self._answer(step, "aborted", message, wait, progress)

    def _answer(self, step, decision, message, wait, progress) -> Deployment:
        from attini_sdk.backends.local.step_recorder import RunOptions

        self.record = self._backend.orchestrator.answer(self.id, step, decision, message,
                                                        RunOptions(progress=progress), wait=wait)
        return self

    def wait(self, timeout: float | None = None) -> Deployment:
        """Block until the deployment finished or waits for an approval (or ``timeout`` seconds passed)."""
        self._backend.orchestrator.wait(self.id, timeout)
        return self.refresh()

    def refresh(self) -> Deployment:
        """Read the record again (status, error, finished_at ...)."""
        self._backend.detect_interrupted(self.environment)
        self.record = self._backend.state.get_deployment(self.id)
        return self

    # -- display ------------------------------------------------------------------------------------------

    def watch(self, interval: float = 0.5):
        """A live widget (Jupyter, ipywidgets) that follows this deployment until it ends: progress over the
        plan's steps, the steps table, the tail of the running step's log, Approve/Abort buttons when a
        ManualApproval waits. Its polling thread stops when the deployment ends.

        >>> env.deploy("examples/platform/app", wait=False).watch()        # doctest: +SKIP
        """
        from attini_sdk.notebook.live import DeploymentWatcher  # up the chain: listed in docs/internals.md

        return DeploymentWatcher(self, interval=interval)

    def timeline(self):
        """A matplotlib Figure: a Gantt chart of the step runs, coloured by status, one row per step.

        >>> deployment.timeline().savefig("timeline.png")                   # doctest: +SKIP
        """
        from attini_sdk.notebook.plots import timeline  # up the chain: listed in docs/internals.md

        return timeline(self)

    def __repr__(self) -> str:
        r = self.record
        return (f"<Deployment {r.environment}/{r.label} revision {r.revision} {r.status}"
                + (f" ({r.error})" if r.error else "") + ">")

    def summary(self) -> dict[str, Any]:
        """The record as a JSON-friendly dict (what ``attini deploy describe --json`` prints)."""
        r = self.record
        return {"deployment_id": r.id, "environment": r.environment, "distribution": r.distribution,
                "revision": r.revision, "version": r.version, "distribution_id": r.distribution_id,
                "status": r.status, "reason": r.reason, "error": r.error, "cause": r.cause,
                "started_at": r.started_at.isoformat() if r.started_at else None,
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "deployed_by": r.deployed_by, "parameters": dict(r.parameters), "tags": dict(r.tags)}

    def _repr_html_(self) -> str:
        from attini_sdk.notebook.html import deployment_html  # up the chain: listed in docs/internals.md

        return deployment_html(self)
