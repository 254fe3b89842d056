"""``attini deploy history|describe|output|logs``: read what deployments did.

A deployment is the latest of its distribution unless ``-i`` (distribution id or prefix),
``--revision`` or ``--deployment-id`` names another.
"""

from __future__ import annotations

from typing import Optional

import typer

from attini_sdk.cli import deployment_view, output, selection, tables
from attini_sdk.errors import NotFoundError

JSON = selection.JSON
REVISION = typer.Option(None, "--revision", "-r", min=1, help="That revision of the distribution.")
DEPLOYMENT_ID = typer.Option(None, "--deployment-id", help="That deployment (an id from 'deploy history').")
HISTORY_COLUMNS = ["revision", "distribution", "version", "distribution_id", "status", "started_at", "duration",
                   "deployed_by", "reason", "error"]


def register(app: typer.Typer) -> None:
    """Add the reading commands to the ``attini deploy`` group."""
    app.command()(history)
    app.command()(describe)
    app.command("output")(output_)  # output_: "output" is the output module here
    app.command()(logs)


def _pick(distribution, distribution_id, revision, deployment_id, environment):
    env = selection.environment(environment)
    if deployment_id is not None and distribution is None:
        return env.deployment(deployment_id)
    return selection.deployment(env, distribution, distribution_id=distribution_id, revision=revision,
                                deployment_id=deployment_id)


def history(
    distribution: Optional[str] = typer.Option(None, "-n", "--distribution-name",
                                               help="Only this distribution (default: all)."),
    environment: Optional[str] = selection.ENVIRONMENT,
    output_limit: int = typer.Option(10, "-o", "--output-limit", min=0,
                                     help="Show at most this many deployments, newest first (0: all)."),
    status: Optional[str] = typer.Option(None, "--status", help="Only deployments with this status "
                                                                "(succeeded, failed, running, ...)."),
    json: bool = JSON,
) -> None:
    """List deployments in an environment, newest first."""
    output.state.json = json
    env = selection.environment(environment)
    frame = env.history(distribution=distribution, status=status, limit=output_limit or None)
    if json:
        output.emit_json(tables.records(frame))
        return
    tables.print_frame(frame, HISTORY_COLUMNS, title=f"Deployments in {env.name}",
                       empty=f"No deployments in {env.name}" + (f" of {distribution}." if distribution else "."))


def describe(
    distribution: Optional[str] = selection.DISTRIBUTION,
    distribution_id: Optional[str] = selection.DISTRIBUTION_ID,
    revision: Optional[int] = REVISION,
    deployment_id: Optional[str] = DEPLOYMENT_ID,
    environment: Optional[str] = selection.ENVIRONMENT,
    json: bool = JSON,
) -> None:
    """Show one deployment: what, where, who, how it ended, and every step with its timing."""
    output.state.json = json
    deployment = _pick(distribution, distribution_id, revision, deployment_id, environment)
    if json:
        output.emit_json(deployment_view.as_json(deployment, outputs=True))
        return
    deployment_view.print_summary(deployment)
    console = output.console()
    by = getattr(deployment, "deployed_by", None)
    console.print(f"  started {tables.when(deployment.started_at)}" + (f" by {by}" if by else ""), markup=False)
    if deployment.error:
        console.print(f"  [red]{deployment.error}[/]: {deployment.cause or ''}")
    deployment_view.print_steps(deployment)


def output_(
    distribution: Optional[str] = selection.DISTRIBUTION,
    distribution_id: Optional[str] = selection.DISTRIBUTION_ID,
    revision: Optional[int] = REVISION,
    deployment_id: Optional[str] = DEPLOYMENT_ID,
    environment: Optional[str] = selection.ENVIRONMENT,
    json: bool = typer.Option(True, "--json/--no-json", hidden=True, help="Always JSON."),
) -> None:
    """Print a deployment's outputs as JSON (secrets redacted)."""
    output.state.json = True
    deployment = _pick(distribution, distribution_id, revision, deployment_id, environment)
    output.emit_json(tables.value(deployment.outputs))


def logs(
    distribution: Optional[str] = selection.DISTRIBUTION,
    step_name: Optional[str] = typer.Option(None, "--step-name", help="Only this step's log (default: every step "
                                                                      "that wrote one)."),
    distribution_id: Optional[str] = selection.DISTRIBUTION_ID,
    revision: Optional[int] = REVISION,
    deployment_id: Optional[str] = DEPLOYMENT_ID,
    environment: Optional[str] = selection.ENVIRONMENT,
    json: bool = JSON,
) -> None:
    """Print the logs a deployment's steps wrote (runner output, Cfn events, ...)."""
    output.state.json = json
    deployment = _pick(distribution, distribution_id, revision, deployment_id, environment)
    steps = [step_name] if step_name else _steps_with_logs(deployment)
    texts = {step: deployment.logs(step) for step in steps}
    if json:
        output.emit_json({"deployment_id": deployment.id, "logs": texts})
        return
    if not texts:
        output.console().print("No step of this deployment wrote a log.")
    for step, text in texts.items():
        if len(texts) > 1:
            print(f"==> {step} <==")
        print(text.rstrip("\n"))


def _steps_with_logs(deployment) -> list[str]:
    frame = deployment.steps
    if "log_path" not in frame.columns:
        raise NotFoundError("this deployment records no logs", where=f"deployment {deployment.id}",
                            hint="name a step with --step-name")
    with_logs = frame[frame["log_path"].notna()]
    if "started_at" in with_logs.columns:
        with_logs = with_logs.sort_values("started_at", kind="stable")
    return list(dict.fromkeys(str(s) for s in with_logs["step"]))
