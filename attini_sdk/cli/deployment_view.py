"""How a deployment reads on the command line: a summary, its steps, its JSON, its exit code.

A deployment that failed (or was aborted, even on purpose with ``deploy continue --abort``, or was
interrupted) ends the command with exit code 1 and one message naming the step, its error and what to do
next; with ``--json`` the deployment itself is printed instead (``status`` says what happened) and the
exit code is the same.
"""

from __future__ import annotations

from typing import Any

import typer

from attini_sdk.cli import output, tables
from attini_sdk.errors import DeploymentError, StepFailed

__all__ = ["as_json", "print_summary", "print_steps", "finish", "failed_step", "STEPS"]

STEPS = tables.Layout(("step", "type", "status", "attempt", "duration", "error"),
                      rank=("step", "status", "type", "duration", "attempt"), below=("error", "cause"))


def as_json(deployment, *, steps: bool = True, outputs: bool = False) -> dict[str, Any]:
    """The deployment as JSON: :meth:`Deployment.summary` (the history columns, ``deployment_id`` first, plus
    ``cause``, ``parameters`` and ``tags``), its ``duration`` in seconds, its steps and its outputs."""
    from attini_sdk.deploy import rows

    data = {key: tables.value(item) for key, item in deployment.summary().items()}
    started, finished = deployment.started_at, deployment.finished_at
    data["duration"] = (finished - started).total_seconds() if started and finished else None
    if steps:
        data["steps"] = tables.records(rows.steps(deployment))
    if outputs:
        data["outputs"] = tables.value(deployment.outputs)
    return data


def failed_step(deployment) -> dict | None:
    """The newest failed step run of ``deployment`` (as a dict), if any."""
    from attini_sdk.deploy import rows

    failed = [run for run in rows.steps(deployment) if run["status"] == "failed"]
    return tables.records(failed[-1:])[0] if failed else None


def print_summary(deployment) -> None:
    """One line: what was deployed where, which revision, and how it ended."""
    status = str(deployment.status)
    style = tables.STATUS_STYLES.get(status, "")
    started, finished = deployment.started_at, deployment.finished_at
    took = f" in {tables.seconds((finished - started).total_seconds())}" if started and finished else ""
    reason = f" ({deployment.reason})" if getattr(deployment, "reason", None) else ""
    output.print_parts((str(deployment.distribution), "bold"),
                       f"{tables.version_suffix(deployment.version)} → {deployment.environment}: revision "
                       f"{deployment.revision}{reason} ", (status, style or None),
                       f"{took}\n  id {deployment.distribution_id}")


def print_steps(deployment, *, wide: bool = False) -> None:
    """The deployment's step runs as a table, in the order they ran."""
    from attini_sdk.deploy import rows

    tables.print_rows(rows.steps(deployment), STEPS, empty="No steps ran.", wide=wide)


def _next_steps(deployment) -> str:
    where = f"-n {deployment.distribution} -e {deployment.environment}"
    return f"see the log: attini deploy logs {where} --step-name STEP; go back: attini deploy rollback {where}"


def finish(deployment, *, json: bool) -> None:
    """End the command as the deployment ended: exit 0 if it succeeded (or is paused), 1 otherwise."""
    status = str(deployment.status)
    ok = status in ("succeeded", "waiting_approval", "running", "pending")
    if json:
        output.emit_json(as_json(deployment, outputs=status == "succeeded"))
        if not ok:
            raise typer.Exit(1)
        return
    print_summary(deployment)
    if status == "waiting_approval":
        _print_waiting(deployment)
    if ok:
        return
    step = failed_step(deployment)
    where = f"environment {deployment.environment}, {deployment.distribution} revision {deployment.revision}"
    if step is not None:
        cause = _indent(step.get("cause") or deployment.cause)
        raise StepFailed(f"{deployment.label} failed at step '{step['step']}': "
                         f"{step.get('error') or deployment.error}{cause}",
                         step=step["step"], error=step.get("error"), cause=step.get("cause"), where=where,
                         hint=_next_steps(deployment).replace("STEP", str(step["step"])))
    detail = ": ".join(str(x) for x in (deployment.error, deployment.cause) if x) or "no detail recorded"
    hint = {"interrupted": f"continue it: attini deploy resume -n {deployment.distribution} "
                           f"-e {deployment.environment}",
            "aborted": f"the steps after it did not run; what runs now: attini inventory -e {deployment.environment}"
            }.get(status) or _next_steps(deployment)
    raise DeploymentError(f"{deployment.label} {status}: {detail}", where=where,
                          hint=hint)


def _indent(cause: str | None) -> str:
    """A cause (often several lines of a script's output) under the message, indented."""
    if not cause:
        return ""
    lines = str(cause).strip().splitlines()
    return ":\n" + "\n".join(f"    {line}" for line in lines[-20:])


def _print_waiting(deployment) -> None:
    from attini_sdk.deploy import rows

    waiting = [r for r in rows.steps(deployment) if r["status"] in ("running", "waiting_approval", "pending")]
    step = str(waiting[-1]["step"]) if waiting else "STEP"
    where = f"-n {deployment.distribution} -e {deployment.environment}"
    output.console().print(
        f"Waiting for approval at step [bold]{step}[/bold]. Approve: attini deploy continue {where} "
        f"--step-name {step} [-m MESSAGE]; reject: add --abort.")
