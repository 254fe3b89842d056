"""Step executors as engine task handlers that record every run: skip unchanged, approvals, redacted logs.

The orchestrator registers :meth:`StepRecorder.handlers` with the deployment's engine. For each ``attini:*``
Task the handler

1. decides whether the step may be skipped: Cfn steps by default, Runner steps when they set
   ``SkipUnchanged: true``, never with ``rerun_unchanged=True``. A step whose fingerprint equals its last successful
   run in this environment is recorded ``skipped`` and returns that run's output;
2. otherwise records the run (``running``), calls the executor with a log that redacts secrets, and records
   how it ended (output redacted by the store, error and cause redacted here);
3. turns a ManualApproval's :class:`~attini_sdk.steps.approval.ApprovalRequired` into a pause: the approval is
   recorded with the engine's task token and the engine is told to wait (``WaitForCallback``). A decision
   (a person's, or the deploy call's ``approve=True``/callable, made here at once) is delivered by the
   orchestrator through ``engine.send_task_success/failure``.

Progress events (dicts) go to ``options.progress``: ``step_started``, ``step_succeeded``, ``step_failed``,
``step_skipped``, ``approval_waiting``, ``approval_decided``, and ``notice`` (a ``message`` a step wants the
person deploying to see, e.g. that a runner's image cannot be used here; see ``docs/environments.md``).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Collection
from datetime import datetime, timezone
from typing import Any

import attrs

from attini_sdk import steps
from attini_sdk.asl.failures import Failure, TaskFailed, WaitForCallback
from attini_sdk.backends import secret_refs
from attini_sdk.backends.local.pause_points import pause_point
from attini_sdk.backends.records import DeploymentRecord
from attini_sdk.backends.redaction import Redactor
from attini_sdk.errors import StepFailed
from attini_sdk.steps.approval import ApprovalRequired
from attini_sdk.steps.base import DeploymentContext, StepLog, step_log_path

__all__ = ["RunOptions", "StepRecorder", "RedactingLog", "SKIP_UNCHANGED", "skippable"]

SKIP_UNCHANGED = "SkipUnchanged"
"""The step property that turns skip unchanged on (Runner) or off (Cfn); removed before the executor runs."""


@attrs.define
class RunOptions:
    """How one call runs a deployment: ``rerun_unchanged`` (never skip), the approval policy, a progress callback.

    ``approve``: None pauses at each ManualApproval; True approves every one; a callable
    ``approve(step) -> bool`` approves (True) or aborts (False) each.

    >>> RunOptions(approve=True).decide("Approve")
    True
    """

    rerun_unchanged: bool = False
    approve: bool | Callable[[str], bool] | None = None
    progress: Callable[[dict], None] | None = None

    def decide(self, step: str) -> bool | None:
        """True/False to answer ``step`` at once, None to pause for a person."""
        if self.approve is None or self.approve is False:
            return None if self.approve is None else False
        if self.approve is True:
            return True
        return bool(self.approve(step))


def skippable(resource: str, properties: Any) -> bool:
    """Whether a step may be skipped when unchanged: Cfn, Sam and Cdk unless ``SkipUnchanged: false`` (never a
    Cdk diff), Runner only with ``SkipUnchanged: true``.

    >>> skippable("attini:cfn", {}), skippable("attini:runner", {}), skippable("attini:runner", {"SkipUnchanged": True})
    (True, False, True)
    """
    flag = properties.get(SKIP_UNCHANGED) if isinstance(properties, dict) else None
    if resource in ("attini:cfn", "attini:sam"):
        return flag is not False
    if resource == "attini:cdk":  # a diff must look at the stacks every time
        return flag is not False and not properties.get("DiffOnly")
    if resource == "attini:runner":
        return flag is True
    return False


class RedactingLog(StepLog):
    """A step log that writes every occurrence of a secret value as ``***``.

    >>> import tempfile, pathlib
    >>> log = RedactingLog(pathlib.Path(tempfile.mkdtemp()) / "s.log", ["hunter2"])
    >>> log.write("password=hunter2")
    >>> log.path.read_text()
    'password=***\\n'
    """

    def __init__(self, path, secret_values: Collection[str] = (), **kwargs):
        self._redactor = secret_values if isinstance(secret_values, Redactor) else Redactor(secret_values)
        super().__init__(path, **kwargs)

    def write(self, line: str) -> None:
        # the whole block at once: a multi-line secret written in one call is found across its lines
        super().write(self._redactor.text(str(line)))

    def notice(self, message: str) -> None:
        super().notice(self._redactor.text(str(message)))


class StepRecorder:
    """Engine handlers for one deployment's ``attini:*`` steps, recording each run in the state store."""

    def __init__(self, state, deployment: DeploymentRecord, ctx: DeploymentContext, options: RunOptions,
                 secret_values: Collection[str] = ()):
        self.state = state
        self.deployment = deployment
        self.ctx = attrs.evolve(ctx, conceal=self.conceal)
        self.options = options
        self.secret_values = tuple(secret_values)
        self.redactor = Redactor(self.secret_values)
        self._warned = threading.Event()
        #: set when this process stops the deployment without ending it (Ctrl-C): a step that gives up
        #: then is recorded ``interrupted`` (it runs again on resume), not failed
        self.halting = threading.Event()

    def handlers(self) -> dict[str, Callable]:
        """``{resource: handler}`` for every step executor, plus ``attini:`` for step types not supported here."""
        from attini_sdk.asl.integrations import default_handlers

        bound = {name: self.wrap_integration(handler) for name, handler in default_handlers().items()}
        bound.update({resource: self._bind(resource) for resource in steps.MODULES})
        bound["attini:"] = self._unsupported
        return bound

    def _bind(self, resource: str) -> Callable:
        def handle(invocation):
            return self.run(resource, invocation)

        handle.__name__ = f"record_{resource.split(':', 1)[1].replace('-', '_')}"
        return handle

    def _unsupported(self, invocation):
        raise TaskFailed("Attini.UnsupportedStep", f"step '{invocation.state_name}' uses {invocation.resource}, "
                                                   "which the local backend cannot run yet")

    # -- one step --------------------------------------------------------------------------------------

    def run(self, resource: str, invocation) -> Any:
        """Run (or skip) one step for the engine; raises ``TaskFailed`` or ``WaitForCallback``."""
        step = invocation.state_name
        # no Parameters: the engine hands the state input as the input (MergeOutput, a bare ManualApproval)
        properties = {} if invocation.input is invocation.state_input else invocation.input
        secrets = self.secrets()
        # secrets travel as references; the executor gets their values now, at the moment of use
        try:
            properties = secret_refs.resolve(properties, secrets, step=step)
            state_input = secret_refs.resolve(invocation.state_input, secrets, step=step)
        except secret_refs.MissingSecret as missing:
            raise TaskFailed(missing.error, missing.cause) from None
        may_skip = skippable(resource, properties)
        if isinstance(properties, dict):
            properties = {k: v for k, v in properties.items() if k != SKIP_UNCHANGED}
        fingerprint = None
        if may_skip and not self.options.rerun_unchanged:
            fingerprint, reused = self._reusable(resource, properties, step, invocation, secrets)
            if reused is not None:
                return reused
        log_path = step_log_path(self.ctx.log_dir, step)
        position = getattr(invocation, "position", "") or None
        if position is not None:
            finished = self._finished_before(step, resource, position, log_path)
            if finished is not None:
                return finished.output
        attempt = invocation.attempt + 1  # the engine counts retries; people count attempts from 1
        run = self.state.start_step_run(self.deployment.id, step, resource, attempt=attempt,
                                        fingerprint=fingerprint, log_path=str(log_path), position=position)
        self.emit("step_started", step, resource, attempt=attempt)
        try:
            def notice(message: str) -> None:
                self.emit("notice", step, resource, message=message)

            with RedactingLog(log_path, self.redactor, on_notice=notice) as log:
                result = steps.module(resource).execute(properties, state_input, self.ctx, step=step,
                                                        log=log, cancelled=invocation.cancelled)
        except ApprovalRequired as wait:
            return self._approval(run, step, wait.message, invocation)
        except StepFailed as failed:
            if self.halting.is_set():
                self._interrupted(run, step, resource)
            else:
                self._failed(run, step, resource, failed.error or "States.TaskFailed", failed.cause or failed.what)
            raise TaskFailed(failed.error or "States.TaskFailed", self._clean(failed.cause or failed.what)) from None
        except Exception as exc:
            if self.halting.is_set():
                self._interrupted(run, step, resource)
                raise
            cause = f"{type(exc).__name__}: {exc}"
            self._failed(run, step, resource, "States.TaskFailed", cause)
            # what the engine records (events, checkpoints) is redacted too, not the raw exception's text
            raise TaskFailed("States.TaskFailed", self._clean(cause)) from None
        result = self.to_refs(result, secrets)
        self.state.finish_step_run(run.id, "succeeded", output=result, secret_values=self.secret_values)
        pause_point("step-finished")
        self.emit("step_succeeded", step, resource)
        return result

    def _finished_before(self, step: str, resource: str, position: str, log_path):
        """A run of this very Task that succeeded before its deployer died, the engine not told yet."""
        finished = self.state.finished_at_position(self.deployment.id, step, position)
        if finished is None:
            return None
        with RedactingLog(log_path, self.redactor) as log:
            log.info("this step finished before its deployer stopped: its recorded output is used, "
                     "the step does not run again")
        self.emit("step_succeeded", step, resource)
        return finished

    def _interrupted(self, run, step: str, resource: str) -> None:
        self.state.finish_step_run(run.id, "interrupted", error="Interrupted",
                                   cause="the deployment was interrupted while the step ran; it runs again on resume")
        self.emit("step_interrupted", step, resource)

    # -- secrets -----------------------------------------------------------------------------------------

    def secrets(self) -> dict[str, Any]:
        """``{key: value}`` of the environment's secret parameters, read now (never keep or show these)."""
        env = self.deployment.environment
        keys = {p.key for p in self.state.parameters(env) if p.secret}
        if not keys:
            return {}
        return {k: v for k, v in self.state.resolved_parameters(env).items() if k in keys}

    def to_refs(self, result: Any, secrets: dict[str, Any]) -> Any:
        """What the engine may keep of a step's result: secret values as references, other forms redacted."""
        if not secrets and not self.secret_values:
            return result
        return Redactor([*secrets.values(), *self.secret_values], refs=False).value(
            secret_refs.to_refs(result, secrets))

    def conceal(self, value: Any) -> Any:
        """``value`` (text or JSON-like) as a step may keep it on disk: secrets as references or ``***``."""
        return self.to_refs(value, self.secrets())

    def wrap_integration(self, handler: Callable) -> Callable:
        """An engine integration (aws-sdk, Lambda, SQS, ...) that gets secret values and returns references."""
        def handle(invocation):
            secrets = self.secrets()
            try:
                resolved = attrs.evolve(invocation, input=secret_refs.resolve(invocation.input, secrets,
                                                                              step=invocation.state_name))
            except secret_refs.MissingSecret as missing:
                raise TaskFailed(missing.error, missing.cause) from None
            try:
                return self.to_refs(handler(resolved), secrets)
            except Failure as failed:  # a service's error message may quote the request: keep no value in it
                failed.cause = self.to_refs(failed.cause, secrets)
                failed.args = (f"{failed.error}: {failed.cause}",)
                raise

        handle.__name__ = getattr(handler, "__name__", "integration")
        return handle

    def _reusable(self, resource: str, properties: dict, step: str, invocation,
                  secrets: dict[str, Any]) -> tuple[str | None, Any]:
        """(fingerprint, reused output or None). A fingerprint that cannot be computed means: run the step.

        ``secrets`` are the values :meth:`run` read for this step (read once a step, not once a use)."""
        try:
            # with the secret values: a changed secret changes the fingerprint (it is a digest, never stored clear)
            parameters = secret_refs.resolve(self.ctx.parameters, secrets, step=step)
            ctx = self.ctx if parameters == self.ctx.parameters else attrs.evolve(self.ctx, parameters=parameters)
            fingerprint = steps.fingerprinter(resource)(properties, ctx, step=step)
        except StepFailed:  # MissingSecret too
            return None, None  # the executor reports the same problem, with its log
        previous = self.state.reusable_step_run(self.deployment.environment, self.deployment.distribution, step,
                                                fingerprint)
        if previous is None:
            return fingerprint, None
        self.state.record_step_run(self.deployment.id, step, resource, "skipped", attempt=invocation.attempt + 1,
                                   fingerprint=fingerprint, output=previous.output,
                                   secret_values=self.secret_values)
        with RedactingLog(step_log_path(self.ctx.log_dir, step), self.redactor) as log:
            log.info(f"unchanged since deployment {previous.deployment_id}: skipped, its output reused")
        self.emit("step_skipped", step, resource, reused_from=previous.deployment_id)
        return fingerprint, previous.output

    def _failed(self, run, step: str, resource: str, error: str, cause: str) -> None:
        cause = self._clean(cause)
        self.state.finish_step_run(run.id, "failed", error=error, cause=cause, secret_values=self.secret_values)
        self.emit("step_failed", step, resource, error=error, cause=cause)

    def _clean(self, text: str | None) -> str | None:
        return None if text is None else self.redactor.text(text)

    # -- approvals ---------------------------------------------------------------------------------------

    def _approval(self, run, step: str, message: str | None, invocation) -> Any:
        """Pause on the task token; a decision comes back through ``engine.send_task_success/failure``.

        The deploy call's ``approve=`` policy decides here and the orchestrator's driver answers the token at
        once, exactly as ``deployment.approve`` does. A step decided before a crash (run again on resume, with
        a new token) is answered directly.
        """
        from attini_sdk.steps import approval as approvals

        d = self.deployment
        existing = self.state.get_approval(d.id, step)
        if existing is None or existing.pending:
            self.state.request_approval(d.id, step, invocation.token)
            answer = self.options.decide(step)
            if answer is None:
                self.emit("approval_waiting", step, "attini:approval", message=message)
                raise WaitForCallback()
            decided = self.state.decide_approval(d.id, step, "approved" if answer else "aborted",
                                                 "answered by the deploy call")
            self.state.set_deployment_status(d.id, "running")
            self._finish_approval(run, step, decided)
            raise WaitForCallback()  # the driver delivers the decision through the engine
        self._finish_approval(run, step, existing)
        if existing.decision == "approved":
            return approvals.approved(existing.message)
        failure = approvals.aborted(step, existing.message)
        raise TaskFailed(failure.error, self._clean(failure.cause))

    def _finish_approval(self, run, step: str, approval) -> None:
        from attini_sdk.steps import approval as approvals

        if approval.decision == "approved":
            self.state.finish_step_run(run.id, "succeeded", output=approvals.approved(approval.message),
                                       secret_values=self.secret_values)
        else:
            failure = approvals.aborted(step, approval.message)
            self.state.finish_step_run(run.id, "aborted", error=failure.error, cause=self._clean(failure.cause))
        self.emit("approval_decided", step, "attini:approval", decision=approval.decision)

    # -- progress ----------------------------------------------------------------------------------------

    def emit(self, event: str, step: str | None = None, resource: str | None = None, **details: Any) -> None:
        """Send one progress event; a failing callback is reported once and never stops the deployment."""
        emit_progress(self.options, self.deployment, event, step=step, type=resource and steps.type_name("Task", resource),
                      resource=resource, warned=self._warned, **details)


def emit_progress(options: RunOptions, deployment: DeploymentRecord, event: str, *, warned: threading.Event,
                  **details: Any) -> None:
    """Call ``options.progress`` with ``{"event", "environment", "distribution", "deployment_id", "revision",
    "time", ...details}`` (None details left out)."""
    if options.progress is None:
        return
    message = {"event": event, "environment": deployment.environment, "distribution": deployment.distribution,
               "deployment_id": deployment.id, "revision": deployment.revision, "time": datetime.now(timezone.utc)}
    message.update({k: v for k, v in details.items() if v is not None})
    try:
        options.progress(message)
    except Exception as exc:  # a display problem must not fail a deployment
        if not warned.is_set():
            warned.set()
            warnings.warn(f"the progress callback failed ({type(exc).__name__}: {exc}); the deployment goes on",
                          RuntimeWarning, stacklevel=2)
