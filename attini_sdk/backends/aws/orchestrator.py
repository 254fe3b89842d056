"""The AWS orchestrator: deployments run as Step Functions executions of the lowered plan.

:class:`SfnOrchestrator` keeps the :class:`~attini_sdk.backends.base.Orchestrator` protocol:

- ``launch`` lowers the plan (:mod:`.lowering`), creates the state machine ``<prefix><env>-<distribution>``
  or updates it when the lowered definition changed, and starts an execution named after the deployment id,
  so a crash between starting and recording it is harmless (starting again finds the same execution);
- ``answer`` records a ManualApproval decision and answers the token the runner stored with it;
- ``resume`` finishes a deployment whose execution ended without being finalized (a lost EventBridge event);
- ``wait`` polls the table until the deployment finished or waits for an approval;
- ``steps_table`` reads the step runs the runner recorded;
- ``step_log`` reads a step's log from CloudWatch Logs, where the runner wrote it (:mod:`.step_logs`).

It runs inside init-deploy (launch), on an operator's machine (answer, wait) and in finalize (resume)::

    orchestrator = SfnOrchestrator(session, state, contract)
    record = orchestrator.launch(record, lock, artifact, inputs, RunOptions(), wait=False)
    orchestrator.answer(record.id, "ApproveRelease", "approved", "ship it", RunOptions(), wait=False)
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

import attrs

from attini_sdk.backends.aws.lowering import (HEARTBEAT_SECONDS, execution_name, lower, lowered_digest,
                                              state_machine_name)
from attini_sdk.backends.records import DeploymentRecord, Lock, redact_values
from attini_sdk.errors import AttiniError, BackendError, DeploymentError

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.artifacts.artifact import Artifact
    from attini_sdk.backends.inputs import DeploymentInputs

__all__ = ["SfnOrchestrator", "EXECUTION_STATUS", "referenced_inputs"]

log = logging.getLogger("attini.aws")
EXECUTION_STATUS = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "failed", "ABORTED": "aborted"}
"""Step Functions execution status → deployment status."""
DIGEST_TAG = "attini:definition-digest"
_POLL_SECONDS = 0.5


def referenced_inputs(inputs: DeploymentInputs) -> DeploymentInputs:
    """``inputs`` with every secret parameter replaced by its reference, for the execution input.

    >>> from attini_sdk.backends.inputs import DeploymentInputs
    >>> from attini_sdk.backends.records import EnvironmentRecord
    >>> env = EnvironmentRecord("dev", "test", None)
    >>> inputs = DeploymentInputs(env, "app", "sha256:1", None, parameters={"Pw": "hunter2", "Size": 2},
    ...                           secret_keys=frozenset({"Pw"}))
    >>> referenced_inputs(inputs).parameters
    {'Pw': '{{attini:secret:Pw}}', 'Size': 2}
    """
    from attini_sdk.backends.aws.state_environments import secret_reference

    params = {k: (secret_reference(k) if k in inputs.secret_keys else v) for k, v in inputs.parameters.items()}
    return attrs.evolve(inputs, parameters=params)


class SfnOrchestrator:
    """Runs the deployments of one AWS backend on Step Functions.

    ``SfnOrchestrator(backend)`` (an :class:`~attini_sdk.backends.aws.backend.AwsBackend`), or
    ``SfnOrchestrator(session, state, contract)`` where there is no backend object (the Lambda handlers).
    """

    def __init__(self, session_or_backend, state=None, contract: dict | None = None, *,
                 poll_seconds: float = _POLL_SECONDS):
        if state is None:
            backend = session_or_backend
            session_or_backend, state, contract = backend.session, backend.state, backend.contract
        self.session = session_or_backend
        self.state = state
        self.contract = contract
        self.poll_seconds = poll_seconds

    # -- starting -------------------------------------------------------------------------------------------

    def launch(self, deployment: DeploymentRecord, lock: Lock, artifact: Artifact, inputs: DeploymentInputs,
               options: Any = None, *, wait: bool = True) -> DeploymentRecord:
        """Start the lowered plan of a just-recorded ``deployment`` (its lock taken); returns it ``running``.

        The lock is parked: the execution holds it until finalize releases it. A failure before the execution
        starts finishes the deployment as failed (releasing the lock) and is raised.
        """
        from attini_sdk.backends.inputs import build_payload

        try:
            if not artifact.plan:
                raise DeploymentError(f"{artifact.label} has no deployment plan", where=str(artifact.path),
                                      hint="add a plan (initDeployConfig.template or plan: in attini-config) "
                                           "and package again")
            machine_arn = self.ensure_state_machine(deployment.environment, deployment.distribution, artifact.plan)
            payload = build_payload(referenced_inputs(inputs), deployment)
            execution_arn = self._start_execution(machine_arn, deployment.id, payload)
            lock = self.state.park_lock(lock)
            record = self._set_running(deployment.id, execution_arn)
        except BaseException as exc:
            self._fail_before_start(deployment, lock, exc, inputs.secret_values)
            raise
        if wait:
            self.wait(record.id)
            record = self.state.get_deployment(record.id)
        return record

    def state_machine_arn(self, name: str) -> str:
        region = self.contract.get("region") or self.session.region
        return f"arn:aws:states:{region}:{self.contract['account_id']}:stateMachine:{name}"

    def ensure_state_machine(self, environment: str, distribution: str, plan: dict) -> str:
        """Create the (environment, distribution) state machine, or update it when its definition changed."""
        runner = self.contract.get("runner") or {}
        heartbeat = int(runner.get("visibility_timeout_seconds", 300)) + int(runner.get("heartbeat_seconds", 60))
        # an emulator (moto) misses answers faster than its heartbeat setup: no HeartbeatSeconds there
        emulated = bool(getattr(self.session, "endpoint_url", None))
        lowered = lower(plan, queue_url=self.contract["runner_jobs_queue_url"],
                        heartbeat_seconds=None if emulated else max(heartbeat, HEARTBEAT_SECONDS))
        definition = json.dumps(lowered, sort_keys=True)
        name = state_machine_name(self.contract.get("state_machine_prefix", "attini-"), environment, distribution)
        sfn = self.session.client("stepfunctions")
        arn = self.state_machine_arn(name)
        try:
            current = sfn.describe_state_machine(stateMachineArn=arn)
        except sfn.exceptions.StateMachineDoesNotExist:
            current = None
        if current is None:
            return sfn.create_state_machine(
                name=name, definition=definition, roleArn=self.contract["state_machine_role_arn"],
                tags=[{"key": DIGEST_TAG, "value": lowered_digest(lowered)},
                      {"key": "attini:environment", "value": environment},
                      {"key": "attini:distribution", "value": distribution}])["stateMachineArn"]
        if json.loads(current["definition"]) != lowered:
            sfn.update_state_machine(stateMachineArn=arn, definition=definition)
            log.info("updated state machine %s", name)
        return arn

    def _start_execution(self, machine_arn: str, deployment_id: str, payload: dict) -> str:
        sfn = self.session.client("stepfunctions")
        name = execution_name(deployment_id)
        try:
            return sfn.start_execution(stateMachineArn=machine_arn, name=name,
                                       input=json.dumps(payload, default=str))["executionArn"]
        except sfn.exceptions.ExecutionAlreadyExists:  # started before a crash: the same execution
            return machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"

    def _set_running(self, deployment_id: str, execution_arn: str) -> DeploymentRecord:
        try:
            return self.state.set_deployment_status(deployment_id, "running", execution_id=execution_arn,
                                                    execution_arn=execution_arn)
        except TypeError:  # a state store without execution ARNs (SQLite, in tests)
            return self.state.set_deployment_status(deployment_id, "running", execution_id=execution_arn)

    def _fail_before_start(self, deployment: DeploymentRecord, lock: Lock, exc: BaseException, secrets) -> None:
        error = type(exc).__name__ if isinstance(exc, AttiniError) else "Deployment.StartFailed"
        try:
            self.state.finish_deployment(deployment.id, "failed", error=error,
                                         cause=redact_values(str(exc), list(secrets)), lock=lock)
        except AttiniError:
            pass  # already finished by someone else

    # -- approvals ------------------------------------------------------------------------------------------

    def answer(self, deployment_id: str, step: str, decision: str, message: str | None, options: Any = None, *,
               wait: bool = True) -> DeploymentRecord:
        """Approve or abort ``step`` of a waiting deployment: record it, then answer its execution's token."""
        from attini_sdk.steps import approval as approvals

        approval = self.state.decide_approval(deployment_id, step, decision, message)
        sfn = self.session.client("stepfunctions")
        record = self.state.get_deployment(deployment_id)
        if record.status == "waiting_approval" and not self._others_pending(deployment_id):
            record = self.state.set_deployment_status(deployment_id, "running")
        self._finish_approval_run(deployment_id, step, approval)
        try:
            if decision == "approved":
                sfn.send_task_success(taskToken=approval.token, output=json.dumps(approvals.approved(message)))
            else:
                failure = approvals.aborted(step, message)
                sfn.send_task_failure(taskToken=approval.token, error=failure.error, cause=failure.cause or "")
        except (sfn.exceptions.InvalidToken, sfn.exceptions.TaskTimedOut, sfn.exceptions.TaskDoesNotExist) as exc:
            raise BackendError(f"step '{step}' of deployment {deployment_id} can no longer be answered: the "
                               f"execution moved on ({type(exc).__name__})", where=f"deployment {deployment_id}",
                               hint="see how it ended with `attini deploy describe`") from exc
        if wait:
            from attini_sdk.backends.aws.submit import follow

            return follow(self.state, self.state.get_deployment(deployment_id),
                          getattr(options, "progress", None), poll=self.poll_seconds)
        return self.state.get_deployment(deployment_id)

    def _approvals(self, deployment_id: str) -> list:
        """The approvals of a deployment still waiting (what ``Deployment.pending_approvals`` lists)."""
        d = self.state.get_deployment(deployment_id)
        return [a for a in self.state.pending_approvals(d.environment) if a.deployment_id == deployment_id]

    def _others_pending(self, deployment_id: str) -> bool:
        return any(a.pending for a in self.state.pending_approvals() if a.deployment_id == deployment_id)

    def _finish_approval_run(self, deployment_id: str, step: str, approval) -> None:
        from attini_sdk.steps import approval as approvals

        for run in self.state.step_runs(deployment_id):
            if run.step == step and run.status == "running":
                if approval.decision == "approved":
                    self.state.finish_step_run(run.id, "succeeded", output=approvals.approved(approval.message))
                else:
                    failure = approvals.aborted(step, approval.message)
                    self.state.finish_step_run(run.id, "aborted", error=failure.error, cause=failure.cause)

    # -- after the fact -------------------------------------------------------------------------------------

    def resume(self, deployment_id: str, options: Any = None, *, wait: bool = True) -> DeploymentRecord:
        """A deployment whose execution ended but was never finalized gets finalized now; a running one is left
        to run (Step Functions drives it, not this process)."""
        from attini_sdk.backends.aws.handlers.finalize import finalize_execution

        record = self.state.get_deployment(deployment_id)
        if record.finished or not record.execution_id:
            return record
        described = self.session.client("stepfunctions").describe_execution(executionArn=record.execution_id)
        if described["status"] != "RUNNING":
            return finalize_execution(self.state, self.session, record.execution_id, described=described)
        if wait:
            self.wait(deployment_id)
        return self.state.get_deployment(deployment_id)

    def wait(self, deployment_id: str, timeout: float | None = None) -> bool:
        """Poll the table until the deployment finished or waits for an approval; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self.state.get_deployment(deployment_id)
            if record.status not in ("pending", "running"):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(self.poll_seconds)

    def steps_table(self, record: DeploymentRecord, secret_values: Any = (), *, arrays: bool = True):
        """The step runs the runner recorded, in the order they started."""
        return self.state.steps_table(record.id, arrays=arrays)

    def step_log(self, record: DeploymentRecord, step: str) -> str | None:
        """Every attempt's stream of ``step`` in the runner's log group, joined; None when there is none."""
        from attini_sdk.backends.aws.step_logs import read_step_log

        return read_step_log(self.session, self.contract.get("runner_log_group"), record.id, step)
