"""``attini deploy run|rollback|continue|resume|unlock``: change what runs in an environment.

``run`` takes a distribution folder (packaged first), an artifact ``.zip`` or a distribution id (an
artifact already deployed somewhere here: promotion). Production environments ask "Continue? (Y/N)"
first, unless ``-f/--force`` (Attini's flag; ``-y/--yes`` is the same). ``--rerun-unchanged`` runs steps that
skip-unchanged would skip. While the plan runs, each step is shown with its status and duration.
The reading commands (history, describe, output, logs) are in :mod:`attini_sdk.cli.deploy_show`.
"""

import contextlib
from typing import Optional

import typer

from attini_sdk.cli import deployment_view, output, selection, targets
from attini_sdk.cli.confirmation import confirm
from attini_sdk.errors import ConfigError, NotFoundError

app = typer.Typer(help="Deploy distributions, follow, continue, roll back and inspect deployments.",
                  no_args_is_help=True)

JSON = selection.JSON
YES = typer.Option(False, "--force", "-f", "--yes", "-y",
                   help="Do not ask before changing a production environment (Attini's -f; -y is the same).")
NO_WAIT = typer.Option(False, "--no-wait", "--dont-follow", "-b",
                       help="Start the deployment and return without following it.")
APPROVE = typer.Option(False, "--approve", help="Approve every ManualApproval step instead of pausing there.")


def register(root: typer.Typer) -> None:
    """Attach ``attini deploy`` (alias ``d``) to the root app, with the reading commands."""
    from attini_sdk.cli import deploy_show

    deploy_show.register(app)
    root.add_typer(app, name="deploy")
    root.add_typer(app, name="d", hidden=True)


def _parameters(pairs: list[str]) -> dict[str, str]:
    parsed = {}
    for pair in pairs:
        key, sep, val = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"'{pair}' is not KEY=VALUE", where="option --param",
                              hint="write --param LogLevel=DEBUG (repeat --param for more)")
        parsed[key.strip()] = val
    return parsed


@app.command()
def run(
    target: str = typer.Argument(..., metavar="PATH|ZIP|ID",
                                 help="A distribution folder (packaged first), an artifact .zip, or a distribution "
                                      "id deployed in another environment (promotion)."),
    environment: Optional[str] = selection.ENVIRONMENT,
    yes: bool = YES,
    rerun_unchanged: bool = typer.Option(False, "--rerun-unchanged",
                                         help="Run every step, even those unchanged since their last successful "
                                              "run (no skip-unchanged)."),
    version: Optional[str] = typer.Option(None, "-v", "--distribution-version",
                                          help="The version of a folder packaged now, setting or overriding "
                                               "attini-config's (optional there)."),
    no_wait: bool = NO_WAIT,
    wait_for_lock: float = typer.Option(0, "--wait-for-lock", metavar="SECONDS", min=0,
                                        help="Wait up to SECONDS for another deployment of this distribution "
                                             "to finish instead of failing at once."),
    param: list[str] = typer.Option([], "--param", "-p", metavar="KEY=VALUE",
                                    help="A deployment parameter, over the environment's (repeatable)."),
    approve: bool = APPROVE,
    json: bool = JSON,
) -> None:
    """Deploy a distribution to an environment and follow it step by step."""
    output.state.json = json
    env = selection.environment(environment)
    parameters = _parameters(param)
    subject, change = targets.resolve(target, quiet=json, version=version)
    confirm(env, change, yes=yes)
    if no_wait:
        from attini_sdk.cli.detached import start_detached

        pairs = [a for key, val in parameters.items() for a in ("--param", f"{key}={val}")]
        args = ["--force", *(["--rerun-unchanged"] if rerun_unchanged else []), *(["--approve"] if approve else []),
                "--wait-for-lock", str(wait_for_lock), *pairs]
        _print_started(start_detached(env, subject, change.distribution, args), json=json)
        return
    view = _view(f"{change.label} → {env.name}", quiet=json)
    with view or contextlib.nullcontext():
        deployment = env.deploy(subject, parameters=parameters or None, rerun_unchanged=rerun_unchanged,
                                approve=True if approve else None, wait_for_lock=wait_for_lock, progress=view)
    _finish(deployment, json=json)


def _finish(deployment, *, json: bool) -> None:
    if not json:
        deployment_view.print_steps(deployment)
    deployment_view.finish(deployment, json=json)


def _view(title: str, *, quiet: bool):
    from attini_sdk.cli.progress import StepProgress

    return None if quiet else StepProgress.start(title)


def _print_started(deployment, *, json: bool) -> None:
    if json:
        output.emit_json(deployment_view.as_json(deployment, steps=False))
        return
    output.console().print(
        f"Started {deployment.label} in {deployment.environment}: revision "
        f"{deployment.revision}, {deployment.status}.\n  follow it: attini deploy describe "
        f"-n {deployment.distribution} -e {deployment.environment} --revision {deployment.revision}")


@app.command()
def rollback(
    distribution: Optional[str] = selection.DISTRIBUTION,
    distribution_id: Optional[str] = typer.Option(None, "-i", "--distribution-id",
                                                  help="Roll back to this distribution id (or a unique prefix)."),
    to: Optional[str] = typer.Option(None, "--to", metavar="REVISION|VERSION|ID",
                                     help="Roll back to a revision number, a version or a distribution id "
                                          "(default: the previous successful revision)."),
    environment: Optional[str] = selection.ENVIRONMENT,
    yes: bool = YES,
    skip_checks: bool = typer.Option(False, "--skip-checks",
                                     help="Roll back even to a revision that did not succeed, and even if a "
                                          "dependency's version range no longer holds."),
    no_wait: bool = NO_WAIT,
    approve: bool = APPROVE,
    json: bool = JSON,
) -> None:
    """Deploy an earlier artifact again, as a new revision ("Rollback to N")."""
    output.state.json = json
    if distribution_id is not None and to is not None:
        raise ConfigError("give either -i or --to, not both", where="attini deploy rollback",
                          hint="-i takes a distribution id; --to takes a revision, a version or an id")
    env = selection.environment(environment)
    name = selection.distribution(env, distribution)
    target = targets.rollback_target(env, name, to, distribution_id)
    change = targets.rollback_change(env, name, target)
    confirm(env, change, yes=yes, action="roll back")
    if no_wait:
        from attini_sdk.cli.detached import start_detached

        to_arg = ["--to", str(target)] if target is not None else []
        args = ["rollback", "-n", name, *to_arg, "--force", *(["--skip-checks"] if skip_checks else []),
                *(["--approve"] if approve else [])]
        _print_started(start_detached(env, None, name, args), json=json)
        return
    view = _view(f"{change.label} → {env.name} (rollback)", quiet=json)
    with view or contextlib.nullcontext():
        deployment = env.rollback(name, to=target, force=skip_checks, approve=True if approve else None,
                                  progress=view)
    _finish(deployment, json=json)


@app.command("continue")
def continue_(
    distribution: Optional[str] = selection.DISTRIBUTION,
    step_name: str = typer.Option(..., "--step-name", help="The ManualApproval step to answer."),
    message: Optional[str] = typer.Option(None, "-m", "--message", help="Why (recorded with the decision)."),
    abort: bool = typer.Option(False, "--abort", help="Reject: abort the deployment at this step."),
    environment: Optional[str] = selection.ENVIRONMENT,
    json: bool = JSON,
) -> None:
    """Approve (or with --abort reject) a deployment waiting at a ManualApproval step, and follow it.

    Exits 0 when the deployment goes on to succeed (or waits again), 1 when it fails or is aborted.
    """
    output.state.json = json
    env = selection.environment(environment)
    name = selection.distribution(env, distribution)
    pending = env.pending_approvals()
    pending = pending[pending["distribution"] == name]
    if pending.empty:
        raise NotFoundError(f"no deployment of '{name}' is waiting for approval in environment '{env.name}'",
                            where=f"environment {env.name}",
                            hint=f"see what happened: attini deploy describe -n {name} -e {env.name}")
    steps = pending[pending["step"] == step_name]
    if steps.empty:
        waiting = ", ".join(sorted(set(pending["step"])))
        raise NotFoundError(f"'{name}' is not waiting at step '{step_name}' (it waits at: {waiting})",
                            where=f"environment {env.name}, option --step-name",
                            hint=f"answer one of them: --step-name {waiting.split(', ')[0]}")
    deployment = env.deployment(str(steps.iloc[0]["deployment_id"]))
    view = _view(f"{deployment.label} → {env.name} ({'abort' if abort else 'approve'} {step_name})",
                 quiet=json)
    with view or contextlib.nullcontext():
        if abort:
            deployment.abort(step_name, message, progress=view)
        else:
            deployment.approve(step_name, message, progress=view)
    _finish(deployment.refresh(), json=json)  # aborted: the deployment ended without finishing, exit 1


@app.command()
def resume(
    distribution: Optional[str] = selection.DISTRIBUTION,
    deployment_id: Optional[str] = typer.Option(None, "--deployment-id", help="Which interrupted deployment "
                                                                              "(default: the latest)."),
    environment: Optional[str] = selection.ENVIRONMENT,
    json: bool = JSON,
) -> None:
    """Continue an interrupted deployment (its deployer died) from where it stopped."""
    output.state.json = json
    env = selection.environment(environment)
    name = selection.distribution(env, distribution)
    view = _view(f"{name} → {env.name} (resume)", quiet=json)
    with view or contextlib.nullcontext():
        deployment = env.resume(name, deployment_id, progress=view)
    _finish(deployment, json=json)


@app.command()
def unlock(
    distribution: Optional[str] = selection.DISTRIBUTION,
    environment: Optional[str] = selection.ENVIRONMENT,
    force: bool = typer.Option(False, "--force", "-f", help="Remove the lock even if its holder looks alive."),
    json: bool = JSON,
) -> None:
    """Remove the lock of a deployment whose deployer died; the deployment becomes 'interrupted'."""
    output.state.json = json
    env = selection.environment(environment)
    name = selection.distribution(env, distribution)
    lock = env.unlock(name, force=force)
    holder = None if lock is None else lock.describe()
    if json:
        output.emit_json({"environment": env.name, "distribution": name, "unlocked": lock is not None,
                          "holder": holder, "deployment_id": getattr(lock, "deployment_id", None)})
    elif lock is None:
        output.console().print(f"{name} is not locked in {env.name}; nothing to do.")
    else:
        output.console().print(f"Unlocked {name} in {env.name} (held by {holder}). Continue the deployment with: "
                               f"attini deploy resume -n {name} -e {env.name}", markup=False)
