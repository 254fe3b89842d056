"""``attini config schema|show``: the attini-config JSON Schema, and a validated config."""

from pathlib import Path
from typing import Optional

import typer

from attini_sdk.cli import output

app = typer.Typer(help="The attini-config file: its schema and its validated content.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    """Attach ``attini config`` to the root app."""
    root.add_typer(app, name="config")


@app.command()
def schema(json: bool = typer.Option(True, "--json/--no-json", hidden=True, help="Always JSON.")) -> None:
    """Print the JSON Schema of attini-config (point your editor at it)."""
    from attini_sdk.config.schema import config_schema

    output.emit_json(config_schema())


@app.command()
def show(
    path: Path = typer.Argument(Path("."), help="A distribution folder or its attini-config file."),
    environment: Optional[str] = typer.Option(None, "-e", "--environment",
                                              help="Substitute ${environment} and merge this environment's values."),
    strict: bool = typer.Option(False, "--strict", help="Treat unknown keys as errors."),
    json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Validate an attini-config and print it (resolved for one environment with -e)."""
    from attini_sdk.config.load import load_config

    output.state.json = json
    with output.show_warnings():
        config = load_config(path, environment=environment, strict=strict)
    data = config.to_data()
    if environment is not None and config.init_deploy is not None:
        init = config.init_deploy
        data["resolved"] = {"environment": environment,
                            "parameters": init.parameters.for_environment(environment),
                            "tags": init.tags.for_environment(environment),
                            "variables": init.variables.for_environment(environment)}
    if json:
        output.emit_json(data)
    else:
        import yaml

        output.console().print(yaml.safe_dump(data, sort_keys=False).rstrip())
