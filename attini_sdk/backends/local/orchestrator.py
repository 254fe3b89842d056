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
from attini_sdk.backends.local.pause_points import pause_point
from attini_sdk.backends.local.step_recorder import RunOptions, StepRecorder, emit_progress
from attini_sdk.backends.records import DeploymentRecord, Lock, redact_values
from attini_sdk.errors import AttiniError, ConflictError, DeploymentError, DeploymentInterrupted, LockError

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
        #: set once this process stopped the deployment (Ctrl-C); the driver then hands back the record
        self.interrupted = threading.Event()
        self.jobs: JobBook | None = None
        #: (definition, payload) when resume must start the plan from the beginning (it never started)
        self.start_over: tuple | None = None

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


class JobBook:
    """The ``job_monitor`` of a deployment's steps: records each runner job process in the state store
    (migration 6) and keeps the live ones, to kill them at once when asked (a second Ctrl-C)."""

    def __init__(self, state, deployment_id: str):
        self.state = state
        self.deployment_id = deployment_id
        self.live: dict[int, tuple] = {}
        self._lock = threading.Lock()

    def __call__(self, step: str, event: str, job) -> None:
        if event == "started":
            record = self.state.record_job(self.deployment_id, step, job)
            with self._lock:
                self.live[job.pid] = (job, record.id)
            pause_point("job-started")
            return
        with self._lock:
            entry = self.live.pop(job.pid, None)
        if entry is not None:
            self.state.end_job(entry[1])

    def kill_all(self) -> None:
        """SIGKILL every live job's process group now (its guard included)."""
        from attini_sdk.steps.processes import kill_group

        with self._lock:
            jobs = [job for job, _ in self.live.values()]
        for job in jobs:
            kill_group(job.pgid or job.pid)


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


def _interrupted_error(record: DeploymentRecord) -> DeploymentInterrupted:
    resume = f"attini deploy resume -n {record.distribution} -e {record.environment}"
    return DeploymentInterrupted(
        f"{record.label} revision {record.revision} in '{record.environment}' was interrupted; the steps that "
        f"finished are kept", deployment_id=record.id, where=f"deployment {record.id}",
        hint=f"continue it with env.resume('{record.distribution}')", cli_hint=f"continue it with: {resume}")


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

    def close(self) -> None:
        """Close the checkpoint store's connection (a later use opens a new one); kept while a deployment of
        this process is running or paused here (its engine holds the store)."""
        with self._lock:
            if self._runs:
                return
            checkpoints, self._checkpoints = self._checkpoints, None
        if checkpoints is not None:
            checkpoints.close()

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
            pause_point("deployment-recorded")
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
            # recorded before the engine starts: a deployer dying in between leaves a deployment whose resume
            # finds the execution (or, if the engine never created it, starts the plan from the beginning)
            run.deployment = self.state.set_deployment_status(
                deployment.id, "running", execution_id=run.engine.execution_id_for(deployment.id))
            pause_point("before-engine-start")
            run.execution = run.engine.start(definition, payload, name=deployment.id)
            pause_point("after-engine-start")
        except KeyboardInterrupt:
            with self._lock:
                self._runs.pop(deployment.id, None)
            if run is not None and run.execution is not None:
                return self._interrupt(run, "Ctrl-C")
            raise self._interrupt_before_start(deployment, lock) from None
        except BaseException as exc:
            with self._lock:
                self._runs.pop(deployment.id, None)
            error, cause = self._fail_before_start(deployment, lock, exc, inputs.secret_values)
            if run is not None:
                run.emit("deployment_finished", status="failed", error=error, cause=cause)
            raise
        return self._go(run, wait)

    def _source(self, deployment_id: str, artifact: Artifact):
        """The extracted artifact; extracted beside it and renamed into place, so that a deployer killed while
        extracting never leaves half a source that a resume would take for the whole."""
        import os
        import shutil

        from attini_sdk.home import owner_only

        source = self.backend.work_dir(deployment_id) / "source"
        if source.is_dir() and any(source.iterdir()):
            return source
        partial = source.with_name(f"source.partial-{os.getpid()}-{threading.get_ident()}")
        with owner_only():
            source.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(partial, ignore_errors=True)
            artifact.extract(partial, private=True)
        if source.is_dir():
            source.rmdir()  # empty (checked above)
        partial.rename(source)
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
            runners=dict(runners), job_monitor=JobBook(self.state, deployment.id))
        recorder = StepRecorder(self.state, deployment, ctx, options, secret_values)
        engine = Engine(recorder.handlers(), self.checkpoints,
                        state_machine_name=f"{deployment.environment}-{deployment.distribution}",
                        valid_definitions=self.backend.home / "cache" / "valid-definitions")  # skip re-validating
        run = ActiveRun(deployment, lock, engine, recorder)
        run.jobs = ctx.job_monitor
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
        try:
            with _LockKeeper(self.state, run):
                while True:
                    execution.wait(_POLL_SECONDS)
                    if execution.halted:  # interrupted from another thread (Deployment.wait's Ctrl-C)
                        run.interrupted.wait()
                        return self._interrupted_record(run)
                    if execution.status in TERMINAL:
                        break
                    if execution.pending_tokens and self._deliver_decided(run, execution.pending_tokens):
                        continue
                    if execution.paused and _settled(execution):
                        break
        except KeyboardInterrupt:
            return self._interrupt(run, "Ctrl-C")
        if execution.status in TERMINAL:
            return self._finish(run)
        return self._pause(run)

    # -- interrupting (Ctrl-C) --------------------------------------------------------------------------

    def interrupt(self, deployment_id: str, why: str = "Ctrl-C") -> DeploymentRecord:
        """Stop a deployment this process runs without ending it; raises :class:`DeploymentInterrupted`.

        Nothing more is dispatched; running jobs are stopped (their whole process groups) and recorded
        ``interrupted``; steps that finished stay finished; the deployment becomes ``interrupted`` and its lock
        is released, so ``resume`` (any process) continues it without ``unlock``. A second Ctrl-C while the
        jobs stop kills them at once.
        """
        with self._lock:
            run = self._runs.get(deployment_id)
        if run is None or run.execution is None:
            raise ConflictError(f"deployment {deployment_id} is not running in this process",
                                where=f"deployment {deployment_id}", hint="only the deploying process can interrupt it")
        return self._interrupt(run, why)

    def _interrupt(self, run: ActiveRun, why: str) -> DeploymentRecord:
        if run.interrupted.is_set():
            return self._interrupted_record(run)
        run.recorder.halting.set()
        try:
            run.execution.halt()  # waits for every running task: their jobs are stopped
        except KeyboardInterrupt:  # the second Ctrl-C: no more waiting
            if run.jobs is not None:
                run.jobs.kill_all()
            raise
        run.driving = False
        if run.execution.status in TERMINAL:  # it ended before it could be stopped: finish it as it ended
            return self._finish(run)
        self._interrupt_open_runs(run.deployment.id)
        record = self.state.get_deployment(run.deployment.id)
        if not record.finished and record.status != "interrupted":
            record = self.state.set_deployment_status(record.id, "interrupted", error="Interrupted",
                                                      cause=f"stopped in its deploying process ({why})")
        self.state.release(run.lock)
        with self._lock:
            self._runs.pop(record.id, None)
        run.deployment = record
        run.emit("deployment_interrupted", reason=why)
        run.interrupted.set()
        run.result = record
        run.done.set()
        raise _interrupted_error(record)

    def _interrupted_record(self, run: ActiveRun) -> DeploymentRecord:
        raise _interrupted_error(run.deployment)

    def _interrupt_before_start(self, deployment: DeploymentRecord, lock: Lock) -> DeploymentInterrupted:
        """Ctrl-C before the plan started: the deployment is kept, and resume starts it from the beginning."""
        record = self.state.get_deployment(deployment.id)
        if not record.finished and record.status != "interrupted":
            record = self.state.set_deployment_status(record.id, "interrupted", error="Interrupted",
                                                      cause="stopped in its deploying process (Ctrl-C) before "
                                                            "its plan started")
        self.state.release(lock)
        return _interrupted_error(record)

    def _pause(self, run: ActiveRun) -> DeploymentRecord:
        run.driving = False
        run.lock = self.state.park_lock(run.lock)
        record = self.state.get_deployment(run.deployment.id)
        if record.status != "waiting_approval":
            record = self.state.set_deployment_status(record.id, "waiting_approval")
        run.deployment = record
        if self._decided_meanwhile(run):
            # An approver answered after this process last looked and before it parked the lock: it found
            # the lock held by a live deployer and left the answer to it. Deliver it now (unless another
            # process already took the parked lock to do so), or the deployment would wait forever.
            try:
                return self.resume(record.id, run.recorder.options, wait=True)
            except (LockError, ConflictError):
                record = self.state.get_deployment(record.id)
                run.deployment = record
        waiting = [a.step for a in self._approvals(record.id) if a.pending]
        run.emit("deployment_waiting_approval", steps=waiting)
        run.result = record
        run.done.set()
        threading.Thread(target=self._watch_pause, args=(run,), daemon=True, name=f"paused-{record.id}").start()
        return record

    def _decided_meanwhile(self, run: ActiveRun) -> bool:
        awaited = set(run.execution.pending_tokens or ()) if run.execution is not None else set()
        return any(not a.pending and a.token in awaited for a in self._approvals(run.deployment.id))

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
        run.driving = False
        execution = run.execution
        status = _STATUS[execution.status]
        if execution.status == "FAILED" and execution.error == "ManuallyAborted":
            status = "aborted"
        secrets = run.recorder.secret_values
        self._close_open_work(run.deployment.id)
        work_dir = self.backend.work_dir(run.deployment.id)
        if (work_dir / "runners").is_dir():  # only a plan with runners loads their module
            from attini_sdk.steps.runner_container import release

            release(work_dir)  # images its runners' startup commands made
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
            try:
                if not run.done.wait(timeout):
                    return False
            except KeyboardInterrupt:
                self._interrupt(run, "Ctrl-C")
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
        from attini_sdk.backends.local.plain_states import has_plain_states, plain_state_runs, with_plain_states

        table = self.state.steps_table(record.id, arrays=arrays)
        definition = self.checkpoints.definition(record.execution_id) if record.execution_id else None
        if definition is None or not has_plain_states(json.loads(definition)):
            return table  # Attini steps only: their runs are the table, the history adds nothing
        saved = self.checkpoints.load(record.execution_id)
        if saved is None:
            return table
        rows = plain_state_runs(json.loads(saved.record.definition), saved.events, saved.record.status,
                                error=saved.record.error, cause=saved.record.cause, secret_values=secret_values)
        return with_plain_states(table, rows)

    def step_log(self, record: DeploymentRecord, step: str) -> str | None:
        """The log file of ``step`` (``<home>/logs/<deployment id>/<step>.log``; every attempt appends to it)."""
        from attini_sdk.steps.base import step_log_path

        path = step_log_path(self.backend.log_dir(record.id), step)
        if not path.is_file():
            return None
        return path.read_text(encoding="utf-8", errors="replace")
