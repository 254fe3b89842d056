"""``attini environment create|list|remove`` and ``attini environment param set|list|remove``.

Environments are local (``$ATTINI_HOME``, default ``~/.attini``). As in Attini, ``create`` is idempotent
and can change an environment's type; a new environment is ``production`` unless ``--env-type test``
(production environments ask before every deploy and rollback).
"""

from __future__ import annotations

from typing import Optional

import typer

from attini_sdk.cli import output, selection, tables
from attini_sdk.errors import ConfigError

app = typer.Typer(help="Create, list and remove environments, and set their parameters.", no_args_is_help=True)
params = typer.Typer(help="Per-environment parameters (secret ones are never displayed).", no_args_is_help=True)
app.add_typer(params, name="param")

JSON = selection.JSON
_TYPES = ("test", "production")


def register(root: typer.Typer) -> None:
    """Attach ``attini environment`` (alias ``env``) to the root app."""
    root.add_typer(app, name="environment")
    root.add_typer(app, name="env", hidden=True)


ENVIRONMENTS = tables.Layout(
    ("name", "type", "backend", "created_at", "deployments", "running", "keep_versions", "keep_days",
     "require_signature"),
    rank=("name", "type", "deployments", "running", "created_at", "keep_versions", "keep_days", "require_signature",
          "backend"))
PARAMETERS = tables.Layout(("key", "value", "secret"))


def _row(name: str) -> dict:
    """One environment as ``environment list --json`` shows it."""
    from attini_sdk.deploy import rows

    return tables.records(r for r in rows.environments() if r["name"] == name)[0]


@app.command()
def create(
    name: str = typer.Argument(..., help="The environment's name, e.g. dev, acc, prod."),
    env_type: Optional[str] = typer.Option(
        None, "--env-type", "-t", metavar="test|production",
        help="'production' asks before each deploy; new environments default to production (as in Attini), "
             "existing ones keep their type."),
    keep_versions: Optional[int] = typer.Option(None, "--keep-versions", min=0,
                                                help="Retention: keep at least this many deployments' artifacts per distribution."),
    keep_days: Optional[int] = typer.Option(None, "--keep-days", min=0,
                                            help="Retention: keep every artifact deployed in the last N days."),
    require_signature: Optional[bool] = typer.Option(None, "--require-signature/--no-require-signature",
                                                     help="Refuse artifacts not signed by a trusted key."),
    trusted_key: list[str] = typer.Option([], "--trusted-key", "-k",
                                          help="A public key file (or key text) whose signatures are trusted (repeatable)."),
    json: bool = JSON,
) -> None:
    """Create an environment, or change an existing one's type and settings (idempotent)."""
    import attini_sdk as at

    output.state.json = json
    existed = name in selection.environment_names()
    if env_type is not None and env_type not in _TYPES:
        raise ConfigError(f"unknown environment type '{env_type}'", where="option --env-type",
                          hint="use --env-type test or --env-type production")
    given = {"keep_versions": keep_versions, "keep_days": keep_days, "require_signature": require_signature,
             "trusted_keys": tuple(_read_key(k) for k in trusted_key) or None}
    record = selection.environment(name).record if existed else None
    settings = {k: (v if v is not None or record is None else getattr(record, k)) for k, v in given.items()}
    settings = {k: v for k, v in settings.items() if v is not None}  # new environments: the API's defaults
    kind = env_type or (record.type if record else "production")
    from attini_sdk.deploy.environment import chosen_backend

    at.Environment.create(name, type=kind, backend=chosen_backend(), **settings)
    row = _row(name)
    if json:
        output.emit_json({**row, "created": not existed})
        return
    verb = "Updated" if existed else "Created"
    output.console().print(f"{verb} {row['type']} environment [bold]{name}[/bold] ({row['backend']}).")


def _read_key(text: str) -> str:
    """A trusted key given as a file path is read; anything else is taken as the key itself."""
    from pathlib import Path

    path = Path(text)
    return path.read_text().strip() if path.is_file() else text


@app.command("list")
def list_(json: bool = JSON, wide: bool = selection.WIDE) -> None:
    """List environments: type, deployments (and how many run), retention and signature policy."""
    from attini_sdk.deploy import rows

    output.state.json = json
    found = rows.environments()
    if json:
        output.emit_json(tables.records(found))
        return
    tables.print_rows(found, ENVIRONMENTS, wide=wide,
                      empty="No environments. Create one: attini environment create dev --env-type test")


@app.command()
def remove(
    name: str = typer.Argument(..., help="The environment to remove, with its history and parameters."),
    force: bool = typer.Option(False, "--force", "-f", help="Remove it even while deployments run."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask first (without a terminal, this is required)."),
    json: bool = JSON,
) -> None:
    """Remove an environment and its records (no cloud resources are touched, as in Attini).

    Asks first: "y" for a test environment, the environment's name typed for a production one.
    """
    from attini_sdk.cli.confirmation import confirm_removal

    output.state.json = json
    env = selection.environment(name)
    confirm_removal(env, yes=yes)
    env.remove(force=force)
    if json:
        output.emit_json({"name": name, "removed": True})
    else:
        output.console().print(f"Removed environment [bold]{name}[/bold].")


# -- parameters ----------------------------------------------------------------------------------------


def _parameter_rows(env) -> list[dict]:
    """``key, value, secret`` per parameter; secret values are shown as ``***``."""
    from attini_sdk.backends.records import REDACTED

    store = env.parameters
    rows = []
    for key in sorted(store):
        secret = bool(store.is_secret(key)) if hasattr(store, "is_secret") else False
        rows.append({"key": key, "value": REDACTED if secret else store[key], "secret": secret})
    return rows


@params.command("set")
def param_set(
    key: str = typer.Argument(..., help="The parameter's name, e.g. DbPassword."),
    value: Optional[str] = typer.Argument(None, help="Its value; left out with --secret, it is asked for "
                                                     "without echo (keeps it out of shell history)."),
    environment: Optional[str] = selection.ENVIRONMENT,
    secret: bool = typer.Option(False, "--secret", "-s", help="Never display the value (shown as ***)."),
    json: bool = JSON,
) -> None:
    """Set a parameter that deployments in this environment receive ($.parameters)."""
    output.state.json = json
    env = selection.environment(environment)
    if value is None:
        if not secret:
            raise ConfigError(f"no value given for '{key}'", where="attini environment param set",
                              hint="give the value after the key, or use --secret to be asked for it")
        value = typer.prompt(f"Value of {key}", hide_input=True, err=True)
    env.parameters.set(key, value, secret=secret)
    shown = "***" if secret else value
    if json:
        output.emit_json({"environment": env.name, "key": key, "value": shown, "secret": secret})
    else:
        output.console().print(f"{env.name}: {key} = {shown}", markup=False)


@params.command("list")
def param_list(environment: Optional[str] = selection.ENVIRONMENT, json: bool = JSON) -> None:
    """List an environment's parameters (secret values as ***)."""
    output.state.json = json
    env = selection.environment(environment)
    rows = _parameter_rows(env)
    if json:
        output.emit_json(rows)
        return
    tables.print_rows(rows, PARAMETERS, empty=f"Environment '{env.name}' has no parameters.")


@params.command("remove")
def param_remove(
    key: str = typer.Argument(..., help="The parameter to remove."),
    environment: Optional[str] = selection.ENVIRONMENT,
    json: bool = JSON,
) -> None:
    """Remove a parameter from an environment."""
    from attini_sdk.errors import NotFoundError

    output.state.json = json
    env = selection.environment(environment)
    if key not in env.parameters:
        raise NotFoundError(f"environment '{env.name}' has no parameter '{key}'", where=f"environment {env.name}",
                            hint=f"list them: attini environment param list -e {env.name}")
    del env.parameters[key]
    if json:
        output.emit_json({"environment": env.name, "key": key, "removed": True})
    else:
        output.console().print(f"{env.name}: removed {key}", markup=False)
