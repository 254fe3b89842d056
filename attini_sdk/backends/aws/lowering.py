"""Lowering: a compiled plan (ASL with ``attini:*`` Tasks) → ASL that AWS Step Functions runs.

Every Attini step becomes a callback Task that sends one job to the runner queue and waits for its token;
plain ASL passes through unchanged (nested in Parallel branches and Map processors too)::

    >>> plan = {"StartAt": "Deploy", "States": {"Deploy": {
    ...     "Type": "Task", "Resource": "attini:runner", "Parameters": {"Commands": ["echo hi"]},
    ...     "ResultPath": "$.output.Deploy", "End": True}}}
    >>> lowered = lower(plan, queue_url="https://sqs.eu-west-1.amazonaws.com/1/attini-runner-jobs")
    >>> state = lowered["States"]["Deploy"]
    >>> state["Resource"]
    'arn:aws:states:::sqs:sendMessage.waitForTaskToken'
    >>> sorted(state["Parameters"]["MessageBody"])
    ['attempt.$', 'execution.$', 'job', 'payload.$', 'properties', 'step', 'token.$', 'type']
    >>> state["HeartbeatSeconds"], state["ResultPath"]
    (360, '$.output.Deploy')

The job message (:func:`job_message` reads it back) carries the step's name, its ``attini:`` resource, its
properties (Step Functions resolves their ``.$`` references, as the local engine resolves ``Parameters``),
the state's input as ``payload``, the task token, the retry count and the execution ARN (whose name is the
deployment id). ManualApproval is lowered the same way: the runner records the approval with the token and
does not answer it; ``attini deploy continue`` does, through the state store.

Two adaptations, both harmless on AWS:

- **Explicit ``TimeoutSeconds``** on every lowered Task (the step's own, else a year): an approval may wait
  for days, and emulators (moto) give a Task without one a 60 s timeout.
- **Retry moves to a one-branch Parallel** around the Task (``retry_wrapper=True``, the default). Step
  Functions gives each retry attempt a new task token; moto reuses the first attempt's token, which it has
  already closed, so a retried job could never be answered there. A Parallel re-enters its branch on every
  attempt, so every attempt gets a fresh token on both. The wrapper keeps the step's ``Retry`` and
  ``Catch``, takes the Task's input and passes its output on (``OutputPath: $[0]``), so the plan behaves the
  same. Error names travel unchanged from a failed branch to its Parallel.

Heartbeats: the runner sends one every ``heartbeat_seconds`` (60) while a job runs, so a lowered step gets
``HeartbeatSeconds`` 360 (the runner's visibility timeout, 300 s, plus a minute: a job whose runner died is
picked up again before Step Functions gives up on it). Approvals get none: nobody heartbeats a person.
On an emulator the orchestrator lowers with ``heartbeat_seconds=None``: moto 5.2 starts listening for
heartbeats only after it sent the job, so an answer that comes back faster than that is missed, and the step
then hangs until its heartbeat times out; without ``HeartbeatSeconds`` moto waits for the answer itself,
which it never misses.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from typing import Any

from attini_sdk.errors import PlanError

__all__ = ["CALLBACK_RESOURCE", "HEARTBEAT_SECONDS", "TIMEOUT_SECONDS", "lower", "lowered_digest",
           "state_machine_name", "execution_name", "job_message", "JobMessage", "attini_steps"]

CALLBACK_RESOURCE = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
HEARTBEAT_SECONDS = 360
"""``HeartbeatSeconds`` of a lowered job (the runner heartbeats every 60 s; its messages stay hidden 300 s)."""
TIMEOUT_SECONDS = 31_536_000
"""``TimeoutSeconds`` of a lowered step without one: a year, the longest a standard execution may run."""
APPROVAL = "attini:approval"
_WRAPPER_SUFFIX = "-Attempts"
# fields that stay on the lowered Task; Parameters go into the job, Retry/Catch may move to the wrapper
_KEPT = ("Comment", "InputPath", "ResultSelector", "ResultPath", "OutputPath", "Next", "End", "TimeoutSeconds",
         "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Assign", "Output", "QueryLanguage")


def lower(definition: dict, *, queue_url: str, retry_wrapper: bool = True,
          heartbeat_seconds: int | None = HEARTBEAT_SECONDS) -> dict:
    """The Step Functions definition of ``definition`` (not modified) sending its jobs to ``queue_url``.

    ``heartbeat_seconds=None`` leaves ``HeartbeatSeconds`` out (the orchestrator does so on an emulator, see
    the module's docstring).

    Raises :class:`~attini_sdk.errors.PlanError` for what Step Functions cannot run (an Attini step with
    JSONata ``Arguments``, a state machine without ``States``).

    >>> lower({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, queue_url="q")
    {'StartAt': 'P', 'States': {'P': {'Type': 'Pass', 'End': True}}}
    """
    if not isinstance(definition, dict) or not isinstance(definition.get("States"), dict):
        raise PlanError("the plan has no States to lower", where="the deployment plan",
                        hint="package the distribution again; its attini_data/plan.json is not a state machine")
    top_language = definition.get("QueryLanguage", "JSONPath")
    lowered = _lower_machine(copy.deepcopy(definition), queue_url, retry_wrapper, heartbeat_seconds, top_language)
    lowered.pop("AttiniRunners", None)  # runner definitions travel in the artifact, not in the state machine
    return lowered


def _lower_machine(machine: dict, queue_url: str, wrap: bool, heartbeat: int, language: str) -> dict:
    language = machine.get("QueryLanguage", language)
    states: dict = {}
    for name, state in machine["States"].items():
        state_language = state.get("QueryLanguage", language)
        if state.get("Type") == "Parallel":
            state["Branches"] = [_lower_machine(b, queue_url, wrap, heartbeat, state_language)
                                 for b in state.get("Branches", [])]
        elif state.get("Type") == "Map":
            for key in ("ItemProcessor", "Iterator"):
                if isinstance(state.get(key), dict):
                    state[key] = _lower_machine(state[key], queue_url, wrap, heartbeat, state_language)
        if _is_attini(state):
            if state_language == "JSONata":
                raise PlanError(f"step '{name}' is an Attini step in a JSONata state; the AWS backend lowers Attini "
                                "steps in JSONPath states only", where=f"state '{name}'",
                                hint="set QueryLanguage: JSONPath on this state (Parameters instead of Arguments)")
            states.update(_lower_task(name, state, queue_url, wrap, heartbeat))
        else:
            states[name] = state
    machine["States"] = states
    return machine


def _is_attini(state: dict) -> bool:
    return state.get("Type") == "Task" and str(state.get("Resource", "")).startswith("attini:")


def _lower_task(name: str, state: dict, queue_url: str, wrap: bool, heartbeat: int) -> dict[str, dict]:
    resource = state["Resource"]
    body: dict[str, Any] = {"job": 1, "step": name, "type": resource}
    # No Parameters: the executor gets the state input as its input (MergeOutput, a bare ManualApproval)
    body["properties"] = state["Parameters"] if "Parameters" in state else None
    body.update({"payload.$": "$", "token.$": "$$.Task.Token", "attempt.$": "$$.State.RetryCount",
                 "execution.$": "$$.Execution.Id"})
    task = {"Type": "Task", "Resource": CALLBACK_RESOURCE, "Parameters": {"QueueUrl": queue_url, "MessageBody": body}}
    task.update({k: state[k] for k in _KEPT if k in state})
    if "TimeoutSeconds" not in task and "TimeoutSecondsPath" not in task:
        task["TimeoutSeconds"] = TIMEOUT_SECONDS
    if resource == APPROVAL:
        task.pop("HeartbeatSeconds", None)
        task.pop("HeartbeatSecondsPath", None)
    elif heartbeat and "HeartbeatSeconds" not in task and "HeartbeatSecondsPath" not in task:
        task["HeartbeatSeconds"] = heartbeat
    if isinstance(task.get("TimeoutSeconds"), int) and isinstance(task.get("HeartbeatSeconds"), int):
        if task["HeartbeatSeconds"] >= task["TimeoutSeconds"]:
            task.pop("HeartbeatSeconds")  # a step with a short timeout: its timeout watches it
    retry, catch = state.get("Retry"), state.get("Catch")
    if not (wrap and retry):
        if retry:
            task["Retry"] = retry
        if catch:
            task["Catch"] = catch
        return {name: _order(task)}
    # The wrapper takes Retry/Catch and Next/End; InputPath, ResultPath and OutputPath stay on the Task inside
    # (ResultPath merges into the state's raw input, which the branch receives unchanged).
    outer: dict[str, Any] = {"Type": "Parallel"}
    if "Comment" in state:
        outer["Comment"] = state["Comment"]
    for key in ("Next", "End"):
        task.pop(key, None)
        if key in state:
            outer[key] = state[key]
    task["End"] = True
    # the wrapper keeps the step's name (``Next`` pointers stay valid); state names are unique in a whole
    # state machine, so the Task inside gets a suffix (the job message still names the step)
    inner = f"{name}{_WRAPPER_SUFFIX}"
    outer["Branches"] = [{"StartAt": inner, "States": {inner: _order(task)}}]
    outer["OutputPath"] = "$[0]"
    outer["Retry"] = retry
    if catch:
        outer["Catch"] = catch
    return {name: outer}


def _order(state: dict) -> dict:
    first = ("Type", "Comment", "Resource", "Parameters")
    return {**{k: state[k] for k in first if k in state}, **{k: v for k, v in state.items() if k not in first}}


def attini_steps(definition: dict) -> dict[str, str]:
    """``{state name: attini resource}`` of every Attini step, nested ones included.

    >>> attini_steps({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "attini:cfn", "End": True}}})
    {'A': 'attini:cfn'}
    """
    found: dict[str, str] = {}
    for name, state in definition.get("States", {}).items():
        if _is_attini(state):
            found[name] = state["Resource"]
        for branch in state.get("Branches", []) or []:
            found.update(attini_steps(branch))
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                found.update(attini_steps(state[key]))
    return found


def lowered_digest(lowered: dict) -> str:
    """A digest of a lowered definition, stored as a tag so an unchanged state machine is not updated.

    >>> lowered_digest({"StartAt": "P"}) == lowered_digest({"StartAt": "P"})
    True
    """
    text = json.dumps(lowered, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def state_machine_name(prefix: str, environment: str, distribution: str) -> str:
    """``<prefix><env>-<distribution>``, made of the characters Step Functions allows (80 at most).

    The prefix is kept whole: the IAM scope of init-deploy and the finalize rule depend on it.

    >>> state_machine_name("attini-", "dev", "network")
    'attini-dev-network'
    >>> state_machine_name("attini-", "dev", "my.app")
    'attini-dev-my_app'
    """
    rest = _NAME_UNSAFE.sub("_", f"{environment}-{distribution}")
    name = prefix + rest
    if len(name) > 80:
        digest = hashlib.sha256(rest.encode()).hexdigest()[:8]
        name = prefix + rest[: 80 - len(prefix) - 9] + "-" + digest
    return name


def execution_name(deployment_id: str) -> str:
    """The execution's name: the deployment id itself (so starting twice is refused, never doubled).

    >>> execution_name("01HZX3-dev-app")
    '01HZX3-dev-app'
    """
    name = _NAME_UNSAFE.sub("_", deployment_id)
    return name[:80]


class JobMessage(dict):
    """A job read from ``runner-jobs`` (a dict with attribute access for the fields the runner uses)."""

    @property
    def step(self) -> str:
        return self["step"]

    @property
    def resource(self) -> str:
        return self["type"]

    @property
    def token(self) -> str:
        return self["token"]

    @property
    def execution_arn(self) -> str:
        return self["execution"]

    @property
    def execution_name(self) -> str:
        return str(self["execution"]).rsplit(":", 1)[-1]

    @property
    def attempt(self) -> int:
        return int(self.get("attempt") or 0)

    @property
    def has_properties(self) -> bool:
        return self.get("properties") is not None


def job_message(body: str | bytes | dict) -> JobMessage:
    """Parse one runner-jobs message body; ``ValueError`` when it is not a job.

    >>> job_message('{"job": 1, "step": "A", "type": "attini:runner", "token": "t", "execution": "arn:x:dep1",'
    ...             ' "payload": {}, "properties": null}').execution_name
    'dep1'
    """
    data = json.loads(body) if isinstance(body, (str, bytes)) else dict(body)
    missing = [k for k in ("step", "type", "token", "execution") if k not in data]
    if data.get("job") != 1 or missing:
        raise ValueError(f"not an Attini job message (missing {', '.join(missing) or 'job: 1'})")
    return JobMessage(data)
