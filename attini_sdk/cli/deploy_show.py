"""``attini deploy history|describe|output|logs``: read what deployments did.

A deployment is the latest of its distribution unless ``-i`` (distribution id or prefix),
``--revision`` or ``--deployment-id`` names another.
"""

from pathlib import Path
from typing import Optional

import typer

from attini_sdk.cli import deployment_view, output, plots, selection, tables

JSON = selection.JSON
REVISION = typer.Option(None, "--revision", "-r", min=1, help="That revision of the distribution.")
DEPLOYMENT_ID = typer.Option(None, "--deployment-id", help="That deployment (an id from 'deploy history').")
HISTORY = tables.Layout(
    ("revision", "distribution", "version", "distribution_id", "status", "started_at", "duration", "deployed_by",
     "reason", "error"),
    rank=("revision", "distribution", "version", "status", "started_at", "duration", "distribution_id", "reason",
          "deployed_by"),
    below=("error",))


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
    wide: bool = selection.WIDE,
    plot: Optional[Path] = plots.option("the deployments over time (failures and rollbacks marked)"),
) -> None:
    """List deployments in an environment, newest first."""
    from attini_sdk.deploy import rows

    output.state.json = json
    env = selection.environment(environment)
    found = rows.history(env, distribution=distribution, status=status, limit=output_limit or None)
    if plot is not None:
        plots.save(plot, lambda p: p.history_figure(
            env.history(distribution=distribution, status=status, limit=output_limit or None),
            title=f"deployments in {env.name}"))
    if json:
        output.emit_json(tables.records(found))
        return
    tables.print_rows(found, HISTORY, title=f"Deployments in {env.name}", wide=wide,
                      empty=f"No deployments in {env.name}" + (f" of {distribution}." if distribution else "."))


def describe(
    distribution: Optional[str] = selection.DISTRIBUTION,
    distribution_id: Optional[str] = selection.DISTRIBUTION_ID,
    revision: Optional[int] = REVISION,
    deployment_id: Optional[str] = DEPLOYMENT_ID,
    environment: Optional[str] = selection.ENVIRONMENT,
    json: bool = JSON,
    wide: bool = selection.WIDE,
    plot: Optional[Path] = plots.option("the timeline of the steps (a Gantt chart coloured by status)"),
) -> None:
    """Show one deployment: what, where, who, how it ended, and every step with its timing."""
    output.state.json = json
    deployment = _pick(distribution, distribution_id, revision, deployment_id, environment)
    if plot is not None:
        plots.save(plot, lambda p: p.timeline(deployment))
    if json:
        output.emit_json(deployment_view.as_json(deployment, outputs=True))
        return
    deployment_view.print_summary(deployment)
    console = output.console()
    by = getattr(deployment, "deployed_by", None)
    console.print(f"  started {tables.when(deployment.started_at)}" + (f" by {by}" if by else ""), markup=False)
    if deployment.error:
        console.print(f"  [red]{deployment.error}[/]: {deployment.cause or ''}")
    deployment_view.print_steps(deployment, wide=wide)


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
    """Print the logs a deployment's steps wrote (runner output, Cfn events, ...), and how failed steps failed."""
    from attini_sdk.deploy import rows

    output.state.json = json
    deployment = _pick(distribution, distribution_id, revision, deployment_id, environment)
    runs = rows.steps(deployment)
    steps = [step_name] if step_name else list(dict.fromkeys(r["step"] for r in runs if r["log_path"]))
    texts = {step: deployment.logs(step) for step in steps}
    failures = _failures(runs, steps)
    if json:
        output.emit_json({"deployment_id": deployment.id, "logs": texts, "failures": failures})
        return
    if not texts:
        output.console().print("No step of this deployment wrote a log.")
    for step, text in texts.items():
        if len(texts) > 1:
            print(f"==> {step} <==")
        if text.strip():
            print(text.rstrip("\n"))
        if step in failures:
            _print_failure(step, failures[step])


def _failures(runs: list[dict], steps: list[str]) -> dict[str, dict]:
    """``{step: {status, error, cause}}`` of the last run of each of ``steps`` that failed or was aborted."""
    last = {r["step"]: r for r in runs if r["step"] in steps}
    return {step: {k: run[k] for k in ("status", "error", "cause")} for step, run in last.items()
            if run["status"] in ("failed", "aborted") and (run["error"] or run["cause"])}


def _print_failure(step: str, failure: dict) -> None:
    """``Step failed: Error`` and the cause under it, indented: what the log alone does not say."""
    from rich.markup import escape

    console = output.console()
    console.print(f"[red]{escape(step)} {failure['status']}: {escape(failure['error'] or 'no error name recorded')}[/]",
                  highlight=False)
    for line in str(failure["cause"] or "").strip().splitlines():
        console.print(f"    {line}", markup=False, highlight=False)
