"""``attini configure ...``: Attini's config-editing commands, for existing projects' prePackage hooks.

They edit the files of the folder they run in, which during packaging is the temporary work copy.
"""

from pathlib import Path
from typing import Optional

import typer

from attini_sdk.cli import output

app = typer.Typer(help="Edit attini-config and stack config files (Attini-compatible; used in prePackage).",
                  no_args_is_help=True)

KEY = typer.Option(..., "--key", help="The key to set.")
VALUE = typer.Option(..., "--value", help="The value to set.")
OVERRIDE = typer.Option(False, "--override", help="Replace the value if the key is already set.")
ENV = typer.Option("default", "-e", "--environment", help="Environment section to edit (default: 'default').")
PATH = typer.Option(Path("."), "--path", help="The distribution folder or attini-config file (default: current folder).")
JSON = typer.Option(False, "--json", help="Print the result as JSON.")


def register(root: typer.Typer) -> None:
    """Attach ``attini configure`` to the root app."""
    root.add_typer(app, name="configure")


def _report(json: bool, changed: bool, what: str) -> None:
    if json:
        output.emit_json({"changed": changed, "what": what})
    else:
        output.stderr(f"{'Set' if changed else 'Kept existing'} {what}" + ("" if changed else " (use --override)"))


@app.command("set-dist-id")
def set_dist_id(
    id: Optional[str] = typer.Option(None, "--id", help="Accepted for compatibility; ignored."),
    random: bool = typer.Option(False, "--random", help="Accepted for compatibility; ignored."),
    override: bool = OVERRIDE,
    path: Path = PATH,
    json: bool = JSON,
) -> None:
    """Does nothing: distribution ids here are content digests, set at package time."""
    output.state.json = json
    if json:
        output.emit_json({"changed": False, "what": "distribution ids are content digests; set-dist-id is a no-op"})
    else:
        output.stderr("attini configure set-dist-id: nothing to do, the distribution id is the digest of the content")


def _init_deploy(section: str, key: str, value: str, environment: str, override: bool, path: Path, json: bool) -> None:
    from attini_sdk.config.edit import set_init_deploy_value

    output.state.json = json
    changed = set_init_deploy_value(path, section, key, value, environment=environment, override=override)
    _report(json, changed, f"initDeployConfig.{section}.{environment}.{key}")


@app.command("set-init-deploy-parameter")
def set_init_deploy_parameter(key: str = KEY, value: str = VALUE, environment: str = ENV,
                              override: bool = OVERRIDE, path: Path = PATH, json: bool = JSON) -> None:
    """Set a parameter of the init deploy stack in attini-config."""
    _init_deploy("parameters", key, value, environment, override, path, json)


@app.command("set-init-deploy-tag")
def set_init_deploy_tag(key: str = KEY, value: str = VALUE, environment: str = ENV,
                        override: bool = OVERRIDE, path: Path = PATH, json: bool = JSON) -> None:
    """Set a tag of the init deploy stack in attini-config."""
    _init_deploy("tags", key, value, environment, override, path, json)


def _stack(section: str, file: Path, key: str, value: str, override: bool, json: bool) -> None:
    from attini_sdk.config.edit import set_stack_config_value

    output.state.json = json
    changed = set_stack_config_value(file, section, key, value, override=override)
    _report(json, changed, f"{file}: {section}.{key}")


@app.command("set-parameter")
def set_parameter(file: Path = typer.Argument(..., help="The stack config file (AttiniCfn ConfigFile)."),
                  key: str = KEY, value: str = VALUE, override: bool = OVERRIDE, json: bool = JSON) -> None:
    """Set a parameter in an AttiniCfn stack config file."""
    _stack("parameters", file, key, value, override, json)


@app.command("set-tag")
def set_tag(file: Path = typer.Argument(..., help="The stack config file (AttiniCfn ConfigFile)."),
            key: str = KEY, value: str = VALUE, override: bool = OVERRIDE, json: bool = JSON) -> None:
    """Set a tag in an AttiniCfn stack config file."""
    _stack("tags", file, key, value, override, json)
