"""Continuing a deployment after a pause or a crash: approvals answered, interrupted deployments resumed.

Part of :class:`~attini_sdk.backends.local.orchestrator.LocalOrchestrator` (a mixin, as the state store is
assembled from parts). Whoever continues a deployment first takes its lock back (a parked lock, or its own
stale one), then answers the engine's task tokens of approvals decided in the store, then lets the engine run
on from its last checkpoint in this process::

    orchestrator.answer(deployment_id, "ApproveRelease", "approved", "ok", RunOptions())
    orchestrator.resume(deployment_id, RunOptions())            # what env.resume() calls

A run this process remembers (it paused the deployment itself) is reused only while this process still
owned the lock; once another process took the deployment over, the stored state is the truth.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from attini_sdk.backends.local.step_recorder import RunOptions
from attini_sdk.backends.records import DeploymentRecord, Lock
from attini_sdk.errors import ConflictError, DeploymentError, LockError, NotFoundError, SignatureError

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.asl import Execution
    from attini_sdk.backends.local.orchestrator import ActiveRun

__all__ = ["ContinuationOps"]

_APPROVAL = "attini:approval"


class ContinuationOps:
    """Approvals and resume for the local orchestrator (see the module docstring)."""

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
            return self.resume(deployment_id, options, wait=wait)
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

    def resume(self, deployment_id: str, options: RunOptions, *, wait: bool = True) -> DeploymentRecord:
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
            self._wait_for_jobs(record)
            self._admit_again(record)
            run = self._run_for(record, lock, options, held)
        except BaseException:
            if record.status == "waiting_approval":
                self.state.park_lock(lock)  # it still waits: keep others out, as before
            elif not self.state.get_deployment(record.id).finished:
                self.state.release(lock)
            raise
        if record.status == "interrupted":
            self._interrupt_open_runs(record.id)
            self._conceal_kept_jobs(run)
        run.deployment = self.state.set_deployment_status(record.id, "running")
        execution = run.execution if run.execution is not None and run.execution.status == "RUNNING" else None
        awaited = execution.pending_tokens if execution is not None else None
        delivered = self._deliver_decided(run, awaited if awaited is not None else
                                          [a.token for a in self._approvals(record.id)])
        if run.start_over is not None:  # recorded, never started: the plan runs from the beginning
            definition, payload = run.start_over
            run.start_over = None
            run.deployment = self.state.set_deployment_status(
                record.id, "running", execution_id=run.engine.execution_id_for(record.id))
            run.execution = run.engine.start(definition, payload, name=record.id)
        else:
            run.execution = delivered or execution or run.engine.resume(record.execution_id)
        run.emit("deployment_resumed")
        return self._go(run, wait)

    def _admit_again(self, record: DeploymentRecord) -> None:
        """The environment's signature policy, checked again: it may have changed since the deployment began."""
        from attini_sdk.backends.admission import admit

        environment = self.state.get_environment(record.environment)
        try:
            admit(self.backend.artifacts, environment, None, artifact_id=record.distribution_id)
        except SignatureError as refused:
            raise SignatureError(
                f"{record.distribution} revision {record.revision} cannot continue: {refused.what}",
                where=f"environment '{record.environment}', deployment {record.id}",
                hint="the environment's signature policy changed since it started; deploy a signed artifact "
                     "instead (the deployment stays interrupted)",
                cli_hint=f"deploy a signed artifact instead: attini deploy run SIGNED_ZIP -e {record.environment}"
                ) from None

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
            return self._start_over(record, lock, options)
        return self._rebuild(record, lock, options)

    def _start_over(self, record: DeploymentRecord, lock: Lock, options: RunOptions) -> ActiveRun:
        """A deployment recorded (artifact, inputs, revision) whose plan never started: run it from the start.

        The engine's tables decide: no execution stored under the deployment's execution id means no step ran.
        """
        from attini_sdk.artifacts.artifact import Artifact
        from attini_sdk.backends.inputs import build_payload, resolve_inputs

        artifact = Artifact.open(self.backend.artifacts.get(record.distribution_id), expected_id=record.distribution_id)
        definition = artifact.plan
        if not definition:
            self.state.finish_deployment(record.id, "failed", error="DeploymentError",
                                         cause=f"{artifact.label} has no deployment plan", lock=lock)
            raise DeploymentError(f"{artifact.label} has no deployment plan", where=str(artifact.path),
                                  hint="add a plan and package again")
        inputs = resolve_inputs(self.state, self.state.get_environment(record.environment), artifact, check=False)
        if not self._read_settings(record.id):
            self.backend.work_dir(record.id).mkdir(parents=True, exist_ok=True)
            self._write_settings(record.id, options)
        payload = build_payload(inputs, record)
        run = self._rebuild(record, lock, options, artifact=artifact, inputs=inputs, payload=payload)
        run.start_over = (definition, payload)
        return run

    def _wait_for_jobs(self, record: DeploymentRecord, timeout: float | None = None) -> None:
        """Never start a step while a job an earlier deployer started for this deployment may still run.

        Jobs die with their deployer (their guard stops them within its grace period): wait that long, then
        refuse, naming the processes.
        """
        import time

        from attini_sdk.steps.runner_process import KILL_GRACE_SECONDS

        deadline = time.monotonic() + (KILL_GRACE_SECONDS * 2 + 2 if timeout is None else timeout)
        while True:
            live = self.state.live_jobs(record.id)
            if not live:
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        names = ", ".join(f"pid {j.pid} (step '{j.step}', process group {j.pgid or j.pid}, on {j.host})"
                          for j in live)
        raise DeploymentError(
            f"{record.label} revision {record.revision} still has runner job processes of an earlier deployer "
            f"alive: {names}; its steps must not run twice", where=f"deployment {record.id}",
            hint=f"wait for them to end, or stop them (kill -TERM -{live[0].pgid or live[0].pid}), then resume again")

    def _rebuild(self, record: DeploymentRecord, lock: Lock, options: RunOptions, *, artifact=None, inputs=None,
                 payload=None) -> ActiveRun:
        from attini_sdk.artifacts.artifact import Artifact
        from attini_sdk.backends.inputs import resolve_inputs

        if artifact is None:
            artifact = Artifact.open(self.backend.artifacts.get(record.distribution_id),
                                     expected_id=record.distribution_id)
        if inputs is None:
            inputs = resolve_inputs(self.state, self.state.get_environment(record.environment), artifact, check=False)
        if payload is None:
            payload = json.loads(self.checkpoints.load(record.execution_id).record.input)
        settings = self._read_settings(record.id)
        # "force" is how run.json spelled it before the option was named rerun_unchanged
        chosen = settings.get("rerun_unchanged", settings.get("force", False))
        options = RunOptions(rerun_unchanged=options.rerun_unchanged or bool(chosen), approve=options.approve,
                             progress=options.progress)
        return self._new_run(record, lock, self._source(record.id, artifact), inputs.variables,
                             payload.get("parameters") or {}, inputs.dependency_outputs(), inputs.runners,
                             inputs.secret_values, options)

    def _conceal_kept_jobs(self, run: ActiveRun) -> None:
        """The job folders a dead deployer left behind keep no resolved secret: their input (and output)
        go back to secret references, as a failed job's kept folder does."""
        jobs = self.backend.work_dir(run.deployment.id) / "jobs"
        for path in [*jobs.glob("*/input.json"), *jobs.glob("*/output")]:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
                path.write_text(json.dumps(run.recorder.conceal(json.loads(text)), default=str)
                                if path.name == "input.json" else run.recorder.conceal(text))
            except (OSError, ValueError):
                path.unlink(missing_ok=True)  # unreadable or half written: nothing to keep

    def _interrupt_open_runs(self, deployment_id: str) -> None:
        """Step runs left 'running' by a dead deployer become 'interrupted' (waiting approvals stay open)."""
        pending = {a.step for a in self._approvals(deployment_id) if a.pending}
        for run in self.state.step_runs(deployment_id):
            if run.status == "running" and not (run.type == _APPROVAL and run.step in pending):
                self.state.finish_step_run(run.id, "interrupted", error="Interrupted",
                                           cause="its deployer stopped while the step ran")
