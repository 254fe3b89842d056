"""The local orchestrator: runs deployment plans on the local ASL engine, checkpointed in ``state.db``.

One engine per deployment, whose task handlers are the step executors bound to that deployment
(:class:`~attini_sdk.backends.local.step_recorder.StepRecorder`). While a plan runs here, a thread
heartbeats the deployment's lock; when every branch waits for a manual approval the lock is *parked* and
the call returns (the process may exit); when the execution ends the deployment is finished (status,
outputs, inventory, lock release in one transaction) and retention runs::

    backend = LocalBackend.open()
    record = backend.orchestrator.launch(deployment, lock, artifact, inputs, RunOptions(), wait=True)
    backend.orchestrator.answer(record.id, "ApproveRelease", "approved", "ok", RunOptions())  # any process
    backend.orchestrator.resume(record.id, RunOptions())      # after the deploying process died

Execution ids are ``arn:aws:states:local:000000000000:execution:<env>-<distribution>:<deployment id>``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from attini_sdk.asl.execution import TERMINAL
from attini_sdk.backends.local.step_recorder import RunOptions, StepRecorder, emit_progress
from attini_sdk.errors import AttiniError, ConflictError, DeploymentError, LockError, NotFoundError
from attini_sdk.records import DeploymentRecord, Lock, redact_values

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.artifact import Artifact
    from attini_sdk.asl import Engine, Execution
    from attini_sdk.backends.local.backend import LocalBackend
    from attini_sdk.deployment_inputs import DeploymentInputs

__all__ = ["LocalOrchestrator", "ActiveRun", "HEARTBEAT_SECONDS"]

HEARTBEAT_SECONDS = 15.0
"""How often a running deployment renews its lock (which expires 60 s after the last heartbeat)."""
_POLL_SECONDS = 0.25
_STATUS = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "failed", "ABORTED": "aborted"}
_APPROVAL = "attini:approval"


class ActiveRun:
    """A deployment whose execution runs (or is paused) in this process."""

    def __init__(self, deployment: DeploymentRecord, lock: Lock, engine: Engine, recorder: StepRecorder):
        self.deployment = deployment
        self.lock = lock
        self.engine = engine
        self.recorder = recorder
        self.execution: Execution | None = None
        self.driver: threading.Thread | None = None
        self.done = threading.Event()
        self.result: DeploymentRecord | None = None
        self.failure: BaseException | None = None
        self.warned = threading.Event()

    def emit(self, event: str, **details: Any) -> None:
        emit_progress(self.recorder.options, self.deployment, event, warned=self.warned, **details)


class _LockKeeper:
    """Heartbeats a lock from a thread until stopped; calls ``on_lost`` if someone took the lock away."""

    def __init__(self, state, run: ActiveRun):
        self.state = state
        self.run = run
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{run.deployment.id}")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join()

    def _beat(self) -> None:
        while not self.stopped.wait(HEARTBEAT_SECONDS):
            try:
                self.run.lock = self.state.heartbeat(self.run.lock)
            except LockError:
                if self.run.execution is not None:
                    self.run.execution.stop("Deployment.LockLost", "the deployment's lock was removed "
                                                                   "(attini deploy unlock --force)")
                return


class LocalOrchestrator:
    """Starts, drives, resumes and answers deployments of one :class:`LocalBackend` in this process."""

    def __init__(self, backend: LocalBackend):
        self.backend = backend
        self.state = backend.state
        self._runs: dict[str, ActiveRun] = {}
        self._lock = threading.Lock()
        self._checkpoints = None

    @property
    def checkpoints(self):
        """The engine's checkpoint store: the same ``state.db`` (migration 2), one connection per process."""
        with self._lock:
            if self._checkpoints is None:
                from attini_sdk.backends.local import db
                from attini_sdk.backends.local.checkpoints import SqliteCheckpointStore

                self._checkpoints = SqliteCheckpointStore(db.connect(db.state_db_path(self.backend.home)))
            return self._checkpoints

    # -- starting -----------------------------------------------------------------------------------------

    def launch(self, deployment: DeploymentRecord, lock: Lock, artifact: Artifact, inputs: DeploymentInputs,
               options: RunOptions, *, wait: bool = True) -> DeploymentRecord:
        """Extract ``artifact``, build the payload and start the plan of a just-started ``deployment``.

        With ``wait`` the call returns when the deployment finished or waits for an approval; without, at once
        (a thread of this process drives it). A failure before the plan starts finishes the deployment as
        failed and is raised.
        """
        from attini_sdk.deployment_inputs import build_payload

        try:
            definition = artifact.plan
            if not definition:
                raise DeploymentError(f"{artifact.name} {artifact.version} has no deployment plan",
                                      where=str(artifact.path),
                                      hint="add a plan (initDeployConfig.template or plan: in attini-config) "
                                           "and package again")
            source = self._source(deployment.id, artifact)
            self._write_settings(deployment.id, options)
            payload = build_payload(inputs, deployment)
            run = self._new_run(deployment, lock, source, inputs.variables, payload["parameters"],
                                inputs.dependency_outputs(), inputs.runners, inputs.secret_values, options)
            run.execution = run.engine.start(definition, payload, name=deployment.id)
            run.deployment = self.state.set_deployment_status(deployment.id, "running",
                                                              execution_id=run.execution.execution_id)
        except BaseException as exc:
            with self._lock:
                self._runs.pop(deployment.id, None)
            self._fail_before_start(deployment, lock, exc, inputs.secret_values)
            raise
        run.emit("deployment_started", version=deployment.version, distribution_id=deployment.distribution_id)
        return self._go(run, wait)

    def _source(self, deployment_id: str, artifact: Artifact):
        source = self.backend.work_dir(deployment_id) / "source"
        if not source.is_dir() or not any(source.iterdir()):
            source.parent.mkdir(parents=True, exist_ok=True)
            artifact.extract(source)
        return source

    def _write_settings(self, deployment_id: str, options: RunOptions) -> None:
        # what a resume in another process must know and cannot read from the store
        path = self.backend.work_dir(deployment_id) / "run.json"
        path.write_text(json.dumps({"force": bool(options.force)}))

    def _read_settings(self, deployment_id: str) -> dict:
        try:
            return json.loads((self.backend.work_dir(deployment_id) / "run.json").read_text())
        except (OSError, ValueError):
            return {}

    def _fail_before_start(self, deployment: DeploymentRecord, lock: Lock, exc: BaseException,
                           secret_values) -> None:
        error = type(exc).__name__ if isinstance(exc, AttiniError) else "Deployment.StartFailed"
        cause = redact_values(str(exc), list(secret_values))
        try:
            self.state.finish_deployment(deployment.id, "failed", error=error, cause=cause, lock=lock)
        except AttiniError:
            pass  # already finished by someone else: nothing more to record

    def _new_run(self, deployment: DeploymentRecord, lock: Lock, source, variables: Mapping, parameters: Mapping,
                 dependency_outputs: Mapping, runners: Mapping, secret_values, options: RunOptions) -> ActiveRun:
        from attini_sdk.asl import Engine
        from attini_sdk.steps.base import DeploymentContext

        environment = self.state.get_environment(deployment.environment)
        ctx = DeploymentContext(
            environment=deployment.environment, environment_type=environment.type,
            distribution_name=deployment.distribution, distribution_id=deployment.distribution_id,
            distribution_version=deployment.version, deployment_id=deployment.id, source_dir=source,
            work_dir=self.backend.work_dir(deployment.id), log_dir=self.backend.log_dir(deployment.id),
            variables=dict(variables), parameters=dict(parameters), dependency_outputs=dict(dependency_outputs),
            runners=dict(runners))
        recorder = StepRecorder(self.state, deployment, ctx, options, secret_values)
        engine = Engine(recorder.handlers(), self.checkpoints,
                        state_machine_name=f"{deployment.environment}-{deployment.distribution}")
        run = ActiveRun(deployment, lock, engine, recorder)
        with self._lock:
            self._runs[deployment.id] = run
        return run

    # -- driving ------------------------------------------------------------------------------------------

    def _go(self, run: ActiveRun, wait: bool) -> DeploymentRecord:
        run.done.clear()
        run.result = run.failure = None
        if wait:
            return self._drive(run)
        # not a daemon: a script that returns early still lets its deployment finish before the process exits
        run.driver = threading.Thread(target=self._drive_quietly, args=(run,), name=f"deploy-{run.deployment.id}")
        run.driver.start()
        return self.state.get_deployment(run.deployment.id)

    def _drive_quietly(self, run: ActiveRun) -> None:
        try:
            self._drive(run)
        except BaseException as exc:  # kept for wait(); a background thread has nobody to raise to
            run.failure = exc
            run.done.set()

    def _drive(self, run: ActiveRun) -> DeploymentRecord:
        """Wait for the execution to end or pause; finish, or park the lock. Returns the deployment."""
        execution = run.execution
        with _LockKeeper(self.state, run):
            while True:
                execution.wait(_POLL_SECONDS)
                if execution.status in TERMINAL:
                    break
                if execution.pending_tokens and self._deliver_decided(run, execution.pending_tokens):
                    continue
                if execution.paused:
                    break
        if execution.status in TERMINAL:
            return self._finish(run)
        return self._pause(run)

    def _pause(self, run: ActiveRun) -> DeploymentRecord:
        run.lock = self.state.park_lock(run.lock)
        record = self.state.get_deployment(run.deployment.id)
        if record.status != "waiting_approval":
            record = self.state.set_deployment_status(record.id, "waiting_approval")
        run.deployment = record
        waiting = [a.step for a in self._approvals(record.id) if a.pending]
        run.emit("deployment_waiting_approval", steps=waiting)
        run.result = record
        run.done.set()
        return record

    def _finish(self, run: ActiveRun) -> DeploymentRecord:
        execution = run.execution
        status = _STATUS[execution.status]
        if execution.status == "FAILED" and execution.error == "ManuallyAborted":
            status = "aborted"
        secrets = run.recorder.secret_values
        record = self.state.finish_deployment(
            run.deployment.id, status, outputs=execution.output if status == "succeeded" else None,
            error=execution.error, cause=redact_values(execution.cause, list(secrets)), lock=run.lock)
        with self._lock:
            self._runs.pop(record.id, None)
        run.deployment = record
        if status == "succeeded":
            self.backend.forget_files(record.id)
            self.backend.prune(distributions=[record.distribution])
        run.emit("deployment_finished", status=status, error=record.error, cause=record.cause)
        run.result = record
        run.done.set()
        return record

    # -- approvals and resume -----------------------------------------------------------------------------

    def _approvals(self, deployment_id: str) -> list:
        steps = {r.step for r in self.state.step_runs(deployment_id) if r.type == _APPROVAL}
        found = (self.state.get_approval(deployment_id, step) for step in sorted(steps))
        return [a for a in found if a is not None]

    def _deliver_decided(self, run: ActiveRun, tokens) -> Execution | None:
        """Answer, through ``run.engine``, approvals decided in the store whose tokens the execution awaits."""
        from attini_sdk.steps import approval as approvals

        delivered = None
        waiting = set(tokens)
        for approval in self._approvals(run.deployment.id):
            if approval.pending or approval.token not in waiting:
                continue
            try:
                if approval.decision == "approved":
                    delivered = run.engine.send_task_success(approval.token, approvals.approved(approval.message))
                else:
                    failure = approvals.aborted(approval.step, approval.message)
                    delivered = run.engine.send_task_failure(approval.token, failure.error, failure.cause)
            except NotFoundError:
                continue  # answered meanwhile
        return delivered

    def answer(self, deployment_id: str, step: str, decision: str, message: str | None, options: RunOptions, *,
               wait: bool = True) -> DeploymentRecord:
        """Approve or abort a waiting ManualApproval, then continue the deployment in this process.

        If another live process is running the deployment (other branches still at work), the decision is
        recorded and that process delivers it.
        """
        record = self.state.get_deployment(deployment_id)
        if self.state.get_approval(deployment_id, step) is None:
            waiting = ", ".join(a.step for a in self._approvals(deployment_id) if a.pending) or "none"
            raise NotFoundError(f"step '{step}' of {record.distribution} revision {record.revision} does not wait "
                                f"for an approval (waiting: {waiting})", where=f"deployment {deployment_id}",
                                hint="see the waiting steps with `attini deploy describe`")
        approval = self.state.decide_approval(deployment_id, step, decision, message)
        self._finish_approval_run(deployment_id, step, approval)
        try:
            return self.continue_(deployment_id, options, wait=wait)
        except LockError:
            held = self.state.get_lock(record.environment, record.distribution)
            if held is not None and held.deployment_id == deployment_id and not self.state.lock_stale_reason(held):
                return self.state.get_deployment(deployment_id)  # its live deployer picks the answer up
            raise

    def _finish_approval_run(self, deployment_id: str, step: str, approval) -> None:
        from attini_sdk.steps import approval as approvals

        runs = [r for r in self.state.step_runs(deployment_id) if r.step == step and r.status == "running"]
        if not runs:
            return
        if approval.decision == "approved":
            self.state.finish_step_run(runs[-1].id, "succeeded", output=approvals.approved(approval.message))
        else:
            failure = approvals.aborted(step, approval.message)
            self.state.finish_step_run(runs[-1].id, "aborted", error=failure.error, cause=failure.cause)

    def continue_(self, deployment_id: str, options: RunOptions, *, wait: bool = True) -> DeploymentRecord:
        """Take a deployment's lock back and run its execution on from its last checkpoint, in this process.

        For deployments waiting for an approval (after a decision) and interrupted ones (``resume``). Decided
        approvals are delivered first. Raises :class:`LockError` while another live process holds the lock.
        """
        record = self.state.get_deployment(deployment_id)
        if record.finished:
            raise ConflictError(f"{record.distribution} revision {record.revision} already {record.status}",
                                where=f"environment '{record.environment}', deployment {record.id}",
                                hint="start a new deployment instead")
        held = self.state.get_lock(record.environment, record.distribution)
        lock = self.state.claim_lock(deployment_id)
        try:
            run = self._run_for(record, lock, options, held)
        except BaseException:
            self.state.release(lock)
            raise
        if record.status == "interrupted":
            self._interrupt_open_runs(record.id)
        run.deployment = self.state.set_deployment_status(record.id, "running")
        execution = run.execution if run.execution is not None and run.execution.status == "RUNNING" else None
        awaited = execution.pending_tokens if execution is not None else None
        delivered = self._deliver_decided(run, awaited if awaited is not None else
                                          [a.token for a in self._approvals(record.id)])
        run.execution = delivered or execution or run.engine.resume(record.execution_id)
        run.emit("deployment_resumed")
        return self._go(run, wait)

    def _run_for(self, record: DeploymentRecord, lock: Lock, options: RunOptions, held: Lock | None) -> ActiveRun:
        """The live run of this deployment in this process, or a new engine for it from the stored state.

        A live run counts only while this process still owned the lock (``held``, read before claiming it):
        once another process took the deployment over, what this process remembers is out of date.
        """
        with self._lock:
            live = self._runs.get(record.id)
            if live is not None and (held is None or held.owner != live.lock.owner):
                del self._runs[record.id]
                live = None
        if live is not None and live.execution is not None and live.execution.status == "RUNNING":
            live.lock, live.recorder.options, live.deployment = lock, options, record
            return live
        if not record.execution_id or self.checkpoints.load(record.execution_id) is None:
            self.state.finish_deployment(record.id, "failed", error="Deployment.NotStarted",
                                         cause="the deployer stopped before the plan started", lock=lock)
            raise DeploymentError(f"{record.distribution} revision {record.revision} stopped before its plan "
                                  "started; there is nothing to resume", where=f"deployment {record.id}",
                                  hint="it is now marked failed: deploy again")
        return self._rebuild(record, lock, options)

    def _rebuild(self, record: DeploymentRecord, lock: Lock, options: RunOptions) -> ActiveRun:
        from attini_sdk.artifact import Artifact
        from attini_sdk.deployment_inputs import resolve_inputs

        artifact = Artifact.open(self.backend.artifacts.get(record.distribution_id), expected_id=record.distribution_id)
        inputs = resolve_inputs(self.state, self.state.get_environment(record.environment), artifact, check=False)
        payload = json.loads(self.checkpoints.load(record.execution_id).record.input)
        settings = self._read_settings(record.id)
        options = RunOptions(force=settings.get("force", False) if not options.force else True,
                             approve=options.approve, progress=options.progress)
        return self._new_run(record, lock, self._source(record.id, artifact), inputs.variables,
                             payload.get("parameters") or {}, inputs.dependency_outputs(), inputs.runners,
                             inputs.secret_values, options)

    def _interrupt_open_runs(self, deployment_id: str) -> None:
        """Step runs left 'running' by a dead deployer become 'interrupted' (waiting approvals stay open)."""
        pending = {a.step for a in self._approvals(deployment_id) if a.pending}
        for run in self.state.step_runs(deployment_id):
            if run.status == "running" and not (run.type == _APPROVAL and run.step in pending):
                self.state.finish_step_run(run.id, "interrupted", error="Interrupted",
                                           cause="its deployer stopped while the step ran")

    # -- reading ------------------------------------------------------------------------------------------

    def wait(self, deployment_id: str, timeout: float | None = None) -> bool:
        """Wait for a deployment driven by this process to finish or pause; False on timeout.

        Deployments driven elsewhere are polled in the store.
        """
        import time

        with self._lock:
            run = self._runs.get(deployment_id)
        if run is not None and run.driver is not None:
            if not run.done.wait(timeout):
                return False
            if run.failure is not None:
                raise run.failure
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self.state.get_deployment(deployment_id)
            if record.status not in ("pending", "running"):
                return True
            if self.backend.detect_interrupted(record.environment):
                continue
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def steps_table(self, record: DeploymentRecord, secret_values=()):
        """The deployment's step runs plus the plain ASL states its execution ran, newest first."""
        from attini_sdk.backends.local.plain_states import plain_state_runs, with_plain_states

        table = self.state.steps_table(record.id)
        saved = self.checkpoints.load(record.execution_id) if record.execution_id else None
        if saved is None:
            return table
        rows = plain_state_runs(json.loads(saved.record.definition), saved.events, saved.record.status,
                                error=saved.record.error, cause=saved.record.cause, secret_values=secret_values)
        return with_plain_states(table, rows)
