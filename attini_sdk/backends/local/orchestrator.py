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
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from attini_sdk.asl.execution import TERMINAL
from attini_sdk.backends.local.continuation import ContinuationOps
from attini_sdk.backends.local.step_recorder import RunOptions, StepRecorder, emit_progress
from attini_sdk.backends.records import DeploymentRecord, Lock, redact_values
from attini_sdk.errors import AttiniError, ConflictError, DeploymentError, LockError

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.artifacts.artifact import Artifact
    from attini_sdk.asl import Engine, Execution
    from attini_sdk.backends.inputs import DeploymentInputs
    from attini_sdk.backends.local.backend import LocalBackend

__all__ = ["LocalOrchestrator", "ActiveRun", "HEARTBEAT_SECONDS"]

HEARTBEAT_SECONDS = 15.0
"""How often a running deployment renews its lock (which expires 60 s after the last heartbeat)."""
_POLL_SECONDS = 0.25
_SETTLE_SECONDS = 0.05
_WATCH_SECONDS = 0.2
_STATUS = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "failed", "ABORTED": "aborted"}


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
        #: a driver follows the execution now (False while it is parked at an approval)
        self.driving = False

    def emit(self, event: str, **details: Any) -> None:
        emit_progress(self.recorder.options, self.deployment, event, warned=self.warned, **details)


def _cancelling(scope) -> bool:
    """True while a cancellation is travelling through the execution's branches (a sibling failed)."""
    return scope.event.is_set() or any(_cancelling(child) for child in list(scope.children))


def _settled(execution) -> bool:
    """A pause counts once it holds: every branch waits on a token, and no cancellation is on its way.

    The engine reports ``paused`` as soon as the last running branch stops; a branch that failed may still
    be cancelling a waiting sibling, which then ends the execution instead.
    """
    deadline = time.monotonic() + _SETTLE_SECONDS
    while time.monotonic() < deadline:
        if execution.status != "RUNNING" or not execution.paused:
            return False
        time.sleep(0.005)
    if _cancelling(execution.cancel):
        time.sleep(_SETTLE_SECONDS)
        return False
    return execution.status == "RUNNING" and execution.paused


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


class LocalOrchestrator(ContinuationOps):
    """Starts, drives, resumes and answers deployments of one :class:`LocalBackend` in this process.

    Starting and driving live here; answering approvals and resuming in :mod:`.continuation`.
    """

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
        from attini_sdk.backends.inputs import build_payload

        run = None
        try:
            definition = artifact.plan
            if not definition:
                raise DeploymentError(f"{artifact.label} has no deployment plan",
                                      where=str(artifact.path),
                                      hint="add a plan (initDeployConfig.template or plan: in attini-config) "
                                           "and package again")
            source = self._source(deployment.id, artifact)
            self._write_settings(deployment.id, options)
            payload = build_payload(inputs, deployment)
            run = self._new_run(deployment, lock, source, inputs.variables, payload["parameters"],
                                inputs.dependency_outputs(), inputs.runners, inputs.secret_values, options)
            # announced before the engine starts: its first steps report from the engine's threads at once
            run.emit("deployment_started", version=deployment.version, distribution_id=deployment.distribution_id)
            run.execution = run.engine.start(definition, payload, name=deployment.id)
            run.deployment = self.state.set_deployment_status(deployment.id, "running",
                                                              execution_id=run.execution.execution_id)
        except BaseException as exc:
            with self._lock:
                self._runs.pop(deployment.id, None)
            error, cause = self._fail_before_start(deployment, lock, exc, inputs.secret_values)
            if run is not None:
                run.emit("deployment_finished", status="failed", error=error, cause=cause)
            raise
        return self._go(run, wait)

    def _source(self, deployment_id: str, artifact: Artifact):
        from attini_sdk.home import owner_only

        source = self.backend.work_dir(deployment_id) / "source"
        if not source.is_dir() or not any(source.iterdir()):
            with owner_only():
                source.parent.mkdir(parents=True, exist_ok=True)
                artifact.extract(source, private=True)
        return source

    def _write_settings(self, deployment_id: str, options: RunOptions) -> None:
        # what a resume in another process must know and cannot read from the store
        from attini_sdk.home import owner_only

        path = self.backend.work_dir(deployment_id) / "run.json"
        with owner_only():
            path.write_text(json.dumps({"rerun_unchanged": bool(options.rerun_unchanged)}))

    def _read_settings(self, deployment_id: str) -> dict:
        try:
            return json.loads((self.backend.work_dir(deployment_id) / "run.json").read_text())
        except (OSError, ValueError):
            return {}

    def _fail_before_start(self, deployment: DeploymentRecord, lock: Lock, exc: BaseException,
                           secret_values) -> tuple[str, str]:
        """Finish a deployment whose plan could not start; returns the (error, cause) recorded."""
        error = type(exc).__name__ if isinstance(exc, AttiniError) else "Deployment.StartFailed"
        cause = redact_values(str(exc), list(secret_values))
        try:
            self.state.finish_deployment(deployment.id, "failed", error=error, cause=cause, lock=lock)
        except AttiniError:
            pass  # already finished by someone else: nothing more to record
        return error, cause

    def _new_run(self, deployment: DeploymentRecord, lock: Lock, source, variables: Mapping, parameters: Mapping,
                 dependency_outputs: Mapping, runners: Mapping, secret_values, options: RunOptions) -> ActiveRun:
        from attini_sdk.asl import Engine
        from attini_sdk.steps.base import DeploymentContext

        environment = self.state.get_environment(deployment.environment)
        ctx = DeploymentContext(
            environment=deployment.environment, environment_type=environment.type,
            distribution_name=deployment.distribution, distribution_id=deployment.distribution_id,
            distribution_version=deployment.version or "", deployment_id=deployment.id, source_dir=source,
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
        run.driving = True
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
                if execution.paused and _settled(execution):
                    break
        if execution.status in TERMINAL:
            return self._finish(run)
        return self._pause(run)

    def _pause(self, run: ActiveRun) -> DeploymentRecord:
        run.driving = False
        run.lock = self.state.park_lock(run.lock)
        record = self.state.get_deployment(run.deployment.id)
        if record.status != "waiting_approval":
            record = self.state.set_deployment_status(record.id, "waiting_approval")
        run.deployment = record
        waiting = [a.step for a in self._approvals(record.id) if a.pending]
        run.emit("deployment_waiting_approval", steps=waiting)
        run.result = record
        run.done.set()
        threading.Thread(target=self._watch_pause, args=(run,), daemon=True, name=f"paused-{record.id}").start()
        return record

    def _watch_pause(self, run: ActiveRun) -> None:
        """While this process keeps a paused execution, notice it moving on by itself (a timeout on the
        waiting Task, a sibling branch's failure reaching it) and drive it again; stand down as soon as
        anyone else drives it (an answer in this process, or another process taking the lock)."""
        execution = run.execution
        while True:
            time.sleep(_WATCH_SECONDS)
            with self._lock:
                if run.driving or self._runs.get(run.deployment.id) is not run:
                    return
            if execution.status == "RUNNING" and execution.paused:
                continue
            held = self.state.get_lock(run.deployment.environment, run.deployment.distribution)
            if held is None or held.owner != run.lock.owner:
                return  # another process took the deployment over
            try:
                run.lock = self.state.claim_lock(run.deployment.id)
            except (LockError, ConflictError):
                return
            run.deployment = self.state.set_deployment_status(run.deployment.id, "running")
            self._drive_quietly(run)  # runs on this thread, until the end or the next pause
            return

    def _finish(self, run: ActiveRun) -> DeploymentRecord:
        from attini_sdk.steps.runner_container import release

        run.driving = False
        execution = run.execution
        status = _STATUS[execution.status]
        if execution.status == "FAILED" and execution.error == "ManuallyAborted":
            status = "aborted"
        secrets = run.recorder.secret_values
        self._close_open_work(run.deployment.id)
        release(self.backend.work_dir(run.deployment.id))  # images its runners' startup commands made
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

    def _close_open_work(self, deployment_id: str) -> None:
        """An execution that ended leaves nothing open: approvals nobody answered (a sibling branch failed)
        are closed as aborted, and step runs still marked running (cancelled with their branch) end aborted."""
        for approval in self._approvals(deployment_id):
            if approval.pending:
                self.state.decide_approval(deployment_id, approval.step, "aborted",
                                           "the deployment ended before anyone answered")
        for step_run in self.state.step_runs(deployment_id):
            if step_run.status == "running":
                self.state.finish_step_run(step_run.id, "aborted", error="DeploymentEnded",
                                           cause="the deployment ended while the step was in flight")

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

    def steps_table(self, record: DeploymentRecord, secret_values=(), *, arrays: bool = True):
        """The deployment's step runs plus the plain ASL states its execution ran, in the order they started."""
        from attini_sdk.backends.local.plain_states import plain_state_runs, with_plain_states

        table = self.state.steps_table(record.id, arrays=arrays)
        saved = self.checkpoints.load(record.execution_id) if record.execution_id else None
        if saved is None:
            return table
        rows = plain_state_runs(json.loads(saved.record.definition), saved.events, saved.record.status,
                                error=saved.record.error, cause=saved.record.cause, secret_values=secret_values)
        return with_plain_states(table, rows)
