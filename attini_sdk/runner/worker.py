"""The runner worker: long-poll ``runner-jobs``, run up to N jobs at once, heartbeat, answer the task token.

One job is one ``attini:*`` step of a lowered plan (its message: :func:`~attini_sdk.backends.aws.lowering.job_message`).
For each, the worker

1. finds the deployment (the execution's name is the deployment id) in the state store;
2. gets the artifact from ``artifacts/<id>.zip`` once per distribution id, verified and extracted into
   ``<cache>/dist/<id>`` (kept while the worker lives);
3. resolves the deployment's inputs as the local backend does (variables, parameters with secrets read at
   the moment of use, dependency outputs, runner definitions), once per deployment;
4. runs the step through :class:`~attini_sdk.backends.local.step_recorder.StepRecorder`, the code the local
   backend runs it with (skip unchanged, a step run per attempt, redacted logs and outputs);
5. answers: ``SendTaskSuccess`` with the result, ``SendTaskFailure`` with the error and cause; a
   ManualApproval is recorded with its token and *not* answered (``attini deploy continue`` does that);
6. while the step runs, every ``heartbeat_seconds`` sends ``SendTaskHeartbeat`` and keeps the message hidden
   for another ``visibility_timeout_seconds``; deletes the message once answered.

Sam and Cdk steps publish code, assets and templates to this backend's bucket under ``assets/`` (see
:mod:`attini_sdk.steps.asset_store`).
While the step runs, its log goes to CloudWatch Logs every ``log_seconds`` and once more when it ends: the stream
``<deployment id>/<step>/<attempt>`` of the contract's ``runner_log_group``
(:class:`~attini_sdk.runner.log_shipper.LogShipper`); ``Deployment.logs(step)`` reads it back.

    >>> RunnerSettings().max_jobs, RunnerSettings().idle_ttl_seconds
    (4, 900.0)
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import attrs

from attini_sdk.backends.aws.lowering import JobMessage, job_message
from attini_sdk.errors import AttiniError

__all__ = ["RunnerSettings", "RunnerWorker", "JobOutcome"]

log = logging.getLogger("attini.runner")
_CAUSE_LIMIT = 32_000  # SendTaskFailure takes 32,768 characters of cause


@attrs.frozen
class RunnerSettings:
    """How one worker runs: jobs at once, idle time-to-live, heartbeat and visibility (the contract's ``runner``)."""

    max_jobs: int = 4
    idle_ttl_seconds: float = 900.0
    heartbeat_seconds: float = 60.0
    visibility_timeout_seconds: int = 300
    wait_time_seconds: int = 20
    log_seconds: float = 5.0

    @classmethod
    def from_contract(cls, contract: dict, **overrides: Any) -> RunnerSettings:
        runner = dict(contract.get("runner") or {})
        values = {"max_jobs": runner.get("max_concurrent_jobs", 4),
                  "idle_ttl_seconds": runner.get("idle_ttl_seconds", 900),
                  "heartbeat_seconds": runner.get("heartbeat_seconds", 60),
                  "visibility_timeout_seconds": runner.get("visibility_timeout_seconds", 300)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@attrs.frozen
class JobOutcome:
    """What the worker did with one job: ``succeeded``, ``failed``, ``waiting`` (an approval), ``dropped`` (not
    a job) or ``error`` (not answered; the message returns to the queue)."""

    step: str
    deployment_id: str
    outcome: str
    error: str | None = None


class _Prepared:
    """One deployment as the worker runs its steps: record, context, secrets (kept for the worker's life).

    ``secrets`` maps each secret parameter's reference (``{{attini:secret:KEY}}``, the only form in which a
    secret travels through Step Functions and SQS) to its value, read from SSM when the deployment's first
    job arrives.
    """

    def __init__(self, deployment, ctx, secret_values, secrets: dict[str, Any], rerun_unchanged: bool = False):
        self.deployment = deployment
        self.ctx = ctx
        self.secret_values = secret_values
        self.secrets = secrets
        self.rerun_unchanged = rerun_unchanged

    def resolve(self, value: Any) -> Any:
        """``value`` with every secret reference replaced by the secret (what the step executor needs).

        >>> p = _Prepared(None, None, (), {"{{attini:secret:Pw}}": "hunter2"})
        >>> p.resolve({"Parameters": {"Pw": "{{attini:secret:Pw}}", "Url": "db://u:{{attini:secret:Pw}}@h"}})
        {'Parameters': {'Pw': 'hunter2', 'Url': 'db://u:hunter2@h'}}
        """
        if not self.secrets:
            return value
        return _walk(value, self._resolve_text)

    def protect(self, value: Any) -> Any:
        """``value`` with every secret (as text) replaced by its reference: what goes back to Step Functions.

        >>> p = _Prepared(None, None, (), {"{{attini:secret:Pw}}": "hunter2"})
        >>> p.protect({"log": "connected with hunter2"})
        {'log': 'connected with {{attini:secret:Pw}}'}
        """
        if not self.secrets:
            return value
        return _walk(value, self._protect_text)

    def _resolve_text(self, text: str) -> Any:
        if text in self.secrets:
            return self.secrets[text]
        for reference, secret in self.secrets.items():
            if reference in text:
                text = text.replace(reference, secret if isinstance(secret, str) else json.dumps(secret))
        return text

    def _protect_text(self, text: str) -> str:
        for reference, secret in self.secrets.items():
            secret_text = secret if isinstance(secret, str) else json.dumps(secret)
            if secret_text and secret_text in text:
                text = text.replace(secret_text, reference)
        return text


def _walk(value: Any, on_text) -> Any:
    if isinstance(value, str):
        return on_text(value)
    if isinstance(value, dict):
        return {k: _walk(v, on_text) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, on_text) for v in value]
    return value


class RunnerWorker:
    """Runs jobs from ``runner-jobs`` against one backend (``contract``) with a state store."""

    def __init__(self, session, state, contract: dict, *, cache_dir: str | Path,
                 settings: RunnerSettings | None = None, aws=None):
        self.session = session
        self.state = state
        self.contract = contract
        self.cache_dir = Path(cache_dir)
        self.settings = settings or RunnerSettings.from_contract(contract)
        self.queue_url = contract["runner_jobs_queue_url"]
        self.bucket = contract["artifact_bucket"]
        self._aws = aws
        self._prepared: dict[str, _Prepared] = {}
        self._sources: dict[str, Path] = {}
        self._guard = threading.Lock()
        self._source_guard = threading.Lock()
        self.outcomes: list[JobOutcome] = []

    # -- the loop -----------------------------------------------------------------------------------------

    def run(self, *, stop: threading.Event | None = None) -> int:
        """Poll and run jobs until idle for ``idle_ttl_seconds`` (or ``stop`` is set); returns jobs handled."""
        stop = stop or threading.Event()
        handled = 0
        idle_since = time.monotonic()
        running: set[Future] = set()
        with ThreadPoolExecutor(max_workers=self.settings.max_jobs, thread_name_prefix="job") as pool:
            while not stop.is_set():
                running = {f for f in running if not f.done()}
                free = self.settings.max_jobs - len(running)
                if free <= 0:
                    time.sleep(0.05)
                    continue
                wait = 0 if running else min(self.settings.wait_time_seconds,
                                             max(1, int(self.settings.idle_ttl_seconds)))
                messages = self._receive(free, wait)
                for message in messages:
                    running.add(pool.submit(self.handle_message, message))
                    handled += 1
                if messages or running:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since >= self.settings.idle_ttl_seconds:
                    log.info("idle for %.0f s: exiting", self.settings.idle_ttl_seconds)
                    break
                if not messages and running:
                    time.sleep(0.05)
        return handled

    def poll_once(self, wait_seconds: int = 0) -> list[JobOutcome]:
        """Receive what is waiting (up to ``max_jobs``) and run it to the end; for tests and one-shot use."""
        messages = self._receive(self.settings.max_jobs, wait_seconds)
        if not messages:
            return []
        with ThreadPoolExecutor(max_workers=self.settings.max_jobs, thread_name_prefix="job") as pool:
            return list(pool.map(self.handle_message, messages))

    def _receive(self, count: int, wait: int) -> list[dict]:
        sqs = self.session.client("sqs")
        response = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=max(1, min(10, count)),
                                       WaitTimeSeconds=wait,
                                       VisibilityTimeout=int(self.settings.visibility_timeout_seconds))
        return response.get("Messages", [])

    # -- one job --------------------------------------------------------------------------------------------

    def handle_message(self, message: dict) -> JobOutcome:
        """Run the job of one SQS message and answer it; the message is deleted once answered."""
        try:
            job = job_message(message["Body"])
        except ValueError as exc:
            log.error("dropping a message that is not a job: %s", exc)
            self._delete(message)
            return self._note(JobOutcome("", "", "dropped", str(exc)))
        keeper = _Heartbeat(self, job, message)
        try:
            with keeper:
                outcome = self._run(job)
        except Exception as exc:  # the store or AWS failed us: the message comes back for another try
            log.exception("job %s of %s failed before it was answered", job.step, job.execution_name)
            return self._note(JobOutcome(job.step, job.execution_name, "error", type(exc).__name__))
        self._delete(message)
        return self._note(outcome)

    def _note(self, outcome: JobOutcome) -> JobOutcome:
        with self._guard:
            self.outcomes.append(outcome)
        return outcome

    def _run(self, job: JobMessage) -> JobOutcome:
        from attini_sdk.asl.failures import TaskFailed, WaitForCallback
        from attini_sdk.backends.local.step_recorder import RunOptions, StepRecorder

        from attini_sdk import steps

        deployment_id = job.execution_name
        if job.resource not in steps.MODULES:
            self._answer_failure(job, "Attini.UnsupportedStep",
                                 f"step '{job.step}' uses {job.resource}, which this runner cannot run yet")
            return JobOutcome(job.step, deployment_id, "failed", "Attini.UnsupportedStep")
        try:
            prepared = self._prepare(deployment_id)
        except Exception as exc:  # no deployment, no artifact, a bad signature: the step fails, the plan decides
            error = type(exc).__name__ if isinstance(exc, AttiniError) else "Runner.PrepareFailed"
            self._answer_failure(job, error, str(exc))
            return JobOutcome(job.step, deployment_id, "failed", error)
        recorder = StepRecorder(self.state, prepared.deployment, prepared.ctx,
                                RunOptions(rerun_unchanged=prepared.rerun_unchanged), prepared.secret_values)
        payload = prepared.resolve(job.get("payload"))
        invocation = SimpleNamespace(state_name=job.step, resource=job.resource, state_input=payload,
                                     input=prepared.resolve(job["properties"]) if job.has_properties else payload,
                                     attempt=job.attempt, token=job.token, cancelled=threading.Event())
        shipper = self._ship_log(prepared, job)
        try:
            result = recorder.run(job.resource, invocation)
        except WaitForCallback:
            self._waiting(deployment_id)
            return JobOutcome(job.step, deployment_id, "waiting")
        except TaskFailed as failed:
            self._answer_failure(job, failed.error, prepared.protect(failed.cause))
            return JobOutcome(job.step, deployment_id, "failed", failed.error)
        except Exception as exc:  # the recorder recorded it as failed; Step Functions must hear it too
            log.exception("step %s of %s raised", job.step, job.execution_name)
            self._answer_failure(job, "Attini.StepCrashed", prepared.protect(f"{type(exc).__name__}: {exc}"))
            return JobOutcome(job.step, deployment_id, "failed", "Attini.StepCrashed")
        finally:
            shipper.close()
        self._answer(job, "success", output=json.dumps(prepared.protect(result), default=str))
        return JobOutcome(job.step, deployment_id, "succeeded")

    def _waiting(self, deployment_id: str) -> None:
        try:
            record = self.state.get_deployment(deployment_id)
            if record.status in ("pending", "running"):
                self.state.set_deployment_status(deployment_id, "waiting_approval")
        except AttiniError:
            pass

    def _answer_failure(self, job: JobMessage, error: str | None, cause: str | None) -> None:
        # names in the States. namespace are the service's own; a task may not report them (moto refuses them
        # outright), so a step's States.TaskFailed travels as Attini.TaskFailed (Catch it, or States.ALL)
        error = error or "States.TaskFailed"
        if error.startswith("States."):
            error = "Attini." + error[len("States."):]
        self._answer(job, "failure", error=error[:256], cause=(cause or "")[:_CAUSE_LIMIT])

    def _answer(self, job: JobMessage, kind: str, **fields: Any) -> None:
        sfn = self.session.client("stepfunctions")
        try:
            if kind == "success":
                sfn.send_task_success(taskToken=job.token, **fields)
            else:
                sfn.send_task_failure(taskToken=job.token, **fields)
        except Exception as exc:  # the execution moved on (timed out, aborted): nothing is waiting for us
            log.warning("step %s of %s: Step Functions refused the answer (%s)", job.step, job.execution_name, exc)

    def _delete(self, message: dict) -> None:
        try:
            self.session.client("sqs").delete_message(QueueUrl=self.queue_url,
                                                      ReceiptHandle=message["ReceiptHandle"])
        except Exception as exc:  # it becomes visible again; the token is answered, so the rerun is refused
            log.warning("could not delete a job message: %s", exc)

    # -- what a deployment's steps need ---------------------------------------------------------------------

    def _prepare(self, deployment_id: str) -> _Prepared:
        with self._guard:
            found = self._prepared.get(deployment_id)
        if found is not None:
            return found
        from attini_sdk.artifacts.artifact import Artifact
        from attini_sdk.backends.inputs import resolve_inputs
        from attini_sdk.steps.base import DeploymentContext

        deployment = self.state.get_deployment(deployment_id)
        environment = self.state.get_environment(deployment.environment)
        zip_path = self._artifact_zip(deployment.distribution_id)
        artifact = Artifact.open(zip_path, expected_id=deployment.distribution_id,
                                 trusted_keys=environment.trusted_keys or None,
                                 require_signature=environment.require_signature)
        source = self._source(artifact)
        given = {k: v for k, v in dict(deployment.parameters or {}).items() if v != "***"}
        inputs = resolve_inputs(self.state, environment, artifact, given, check=False)
        work = self.cache_dir / "work" / _safe(deployment_id)
        ctx = DeploymentContext(
            environment=deployment.environment, environment_type=environment.type,
            distribution_name=deployment.distribution, distribution_id=deployment.distribution_id,
            distribution_version=deployment.version or "", deployment_id=deployment.id, source_dir=source,
            work_dir=work, log_dir=work / "logs", variables=dict(inputs.variables),
            parameters=dict(inputs.parameters), dependency_outputs=inputs.dependency_outputs(),
            runners=dict(inputs.runners), aws=self._aws, asset_bucket=self.bucket)
        from attini_sdk.backends.aws.state_environments import secret_reference

        secrets = {secret_reference(k): inputs.parameters[k] for k in inputs.secret_keys if k in inputs.parameters}
        prepared = _Prepared(deployment, ctx, inputs.secret_values, secrets,
                             rerun_unchanged=bool(self._run_options(deployment.id).get("rerun_unchanged")))
        with self._guard:
            self._prepared.setdefault(deployment_id, prepared)
            return self._prepared[deployment_id]

    def _run_options(self, deployment_id: str) -> dict:
        """The deployment's run options init-deploy left (``artifacts/runs/<id>.json``); none: the defaults."""
        try:
            body = self.session.client("s3").get_object(Bucket=self.bucket, Key=f"artifacts/runs/{deployment_id}.json")
            return json.loads(body["Body"].read())
        except Exception:
            return {}

    def _artifact_zip(self, distribution_id: str) -> Path:
        path = self.cache_dir / "zips" / f"{_safe(distribution_id)}.zip"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{threading.get_ident()}.part")
            self.session.client("s3").download_file(self.bucket, f"artifacts/{distribution_id}.zip", str(partial))
            partial.replace(path)
        return path

    def _source(self, artifact) -> Path:
        with self._source_guard:
            found = self._sources.get(artifact.id)
            if found is not None:
                return found
            target = self.cache_dir / "dist" / _safe(artifact.id)
            if not target.is_dir() or not any(target.iterdir()):
                artifact.extract(target)
            self._sources[artifact.id] = target
            return target

    def _ship_log(self, prepared: _Prepared, job: JobMessage):
        """Start sending the step's log to its CloudWatch stream (what this attempt appends to the file)."""
        from attini_sdk.backends.aws.step_logs import stream_name
        from attini_sdk.runner.log_shipper import LogShipper
        from attini_sdk.steps.base import step_log_path

        group = self.contract.get("runner_log_group")
        client = self.session.client("logs") if group else None
        return LogShipper(client, group, stream_name(prepared.deployment.id, job.step, job.attempt + 1),
                          step_log_path(prepared.ctx.log_dir, job.step), interval=self.settings.log_seconds,
                          secret_values=prepared.secret_values).start()


class _Heartbeat:
    """While a job runs: SendTaskHeartbeat and a longer message visibility every ``heartbeat_seconds``."""

    def __init__(self, worker: RunnerWorker, job: JobMessage, message: dict):
        self.worker, self.job, self.message = worker, job, message
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{job.step}")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join()

    def _beat(self) -> None:
        settings = self.worker.settings
        while not self.stopped.wait(settings.heartbeat_seconds):
            try:
                if self.job.resource != "attini:approval":
                    self.worker.session.client("stepfunctions").send_task_heartbeat(taskToken=self.job.token)
                self.worker.session.client("sqs").change_message_visibility(
                    QueueUrl=self.worker.queue_url, ReceiptHandle=self.message["ReceiptHandle"],
                    VisibilityTimeout=int(settings.visibility_timeout_seconds))
            except Exception as exc:
                log.warning("heartbeat for %s failed: %s", self.job.step, exc)


def _safe(text: str) -> str:
    return text.replace(":", "-").replace("/", "_")
