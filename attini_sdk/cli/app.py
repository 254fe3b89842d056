"""Root of the ``attini`` CLI: global options, error handling, command registration."""

from __future__ import annotations

import os
import sys
import traceback

import typer

from attini_sdk._version import __version__
from attini_sdk.cli import output
from attini_sdk.cli.metavars import CliGroup
from attini_sdk.errors import AttiniError

app = typer.Typer(
    name="attini",
    help="Package infrastructure-as-code with its deployment plan into immutable distributions "
    "and deploy them from inside each environment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=CliGroup,  # --help names values as a CLI does (TEXT, NAME), not by Python type (<str>, <bool>)
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"attini {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(
        False, "--debug", envvar="ATTINI_DEBUG",
        help="Show full tracebacks on errors (also accepted after a command: attini deploy run X --debug)."
    ),
    backend: str = typer.Option(
        None, "--backend", envvar="ATTINI_BACKEND", metavar="local|aws",
        help="Where environments live: local ($ATTINI_HOME) or aws (the backend installed in the account). "
             "Default: the backend each environment was created on, else local."),
    endpoint_url: str = typer.Option(
        None, "--endpoint-url", envvar="AWS_ENDPOINT_URL",
        help="AWS backend: another endpoint for every AWS service (a moto server with the emulated install)."),
    region: str = typer.Option(None, "--region", envvar="AWS_REGION", help="AWS backend: the region."),
    profile: str = typer.Option(None, "--profile", envvar="AWS_PROFILE",
                                help="AWS backend: a profile from ~/.aws/config."),
) -> None:
    """Attini-compatible deployment framework (attini_sdk)."""
    output.state.debug = debug
    _choose_backend(backend, profile=profile, region=region, endpoint_url=endpoint_url)


def _choose_backend(backend: str | None, **aws: str | None) -> None:
    from attini_sdk.deploy.environment import use_backend
    from attini_sdk.errors import ConfigError

    if backend is not None and backend not in ("local", "aws"):
        raise ConfigError(f"unknown backend '{backend}'", where="option --backend (or ATTINI_BACKEND)",
                          hint="use --backend local or --backend aws")
    use_backend(backend, **aws)


_registered: list[bool] = []


def _register() -> None:
    """Attach every command group, once per process. Each module exposes ``register(app)``."""
    from attini_sdk.cli import commands

    if _registered:  # main() may run many times in one process (tests, the demo)
        return
    _registered.append(True)
    for module in commands.MODULES:
        module.register(app)


def _is_click_exception(err: Exception) -> bool:
    """Usage errors come from click, or from the copy of click that recent typer versions vendor."""
    import click

    classes = [click.exceptions.ClickException]
    try:
        from typer._click import exceptions as vendored

        classes.append(vendored.ClickException)
    except ImportError:
        pass
    return isinstance(err, tuple(classes))


_GLOBAL_VALUED = ("--backend", "--endpoint-url", "--region", "--profile")


def _debug_first(args: list[str]) -> list[str]:
    """``--debug`` and the backend options (``--backend``, ``--endpoint-url``, ``--region``, ``--profile``)
    belong to ``attini`` itself; people also type them last (``attini deploy run X --debug --backend aws``),
    so they are moved in front of the command, wherever they stand before a ``--``.

    >>> _debug_first(["deploy", "run", "x", "--debug"])
    ['--debug', 'deploy', 'run', 'x']
    >>> _debug_first(["inventory", "-e", "prod", "--backend", "aws", "--region=eu-west-1"])
    ['--backend', 'aws', '--region=eu-west-1', 'inventory', '-e', 'prod']
    """
    end = args.index("--") if "--" in args else len(args)
    front, rest = [], []
    i = 0
    while i < end:
        arg = args[i]
        if arg == "--debug" or any(arg.startswith(f"{name}=") for name in _GLOBAL_VALUED):
            front.append(arg)
        elif arg in _GLOBAL_VALUED and i + 1 < end:
            front += [arg, args[i + 1]]
            i += 1
        else:
            rest.append(arg)
        i += 1
    if "--debug" in front:
        front = ["--debug", *(a for a in front if a != "--debug")]
    return [*front, *rest, *args[end:]]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``attini`` script. Returns the process exit code.

    User errors print one clear message and exit 1; anything else is a bug and
    exits 2 with a short note (the traceback with ``--debug``).
    """
    _register()
    args = _debug_first(sys.argv[1:] if argv is None else argv)
    output.state.debug = "--debug" in args or os.environ.get("ATTINI_DEBUG", "") not in ("", "0")
    try:
        code = app(args=args, prog_name="attini", standalone_mode=False)
    except AttiniError as err:
        if output.state.debug:
            traceback.print_exc()
        output.error(err)
        return 1
    except typer.Exit as ex:
        return ex.exit_code
    except typer.Abort:
        output.stderr("Aborted.")
        return 1
    except KeyboardInterrupt:
        output.stderr("Interrupted.")
        return 130
    except Exception as err:  # click usage errors are handled below; the rest are bugs
        if _is_click_exception(err):
            err.show()
            return err.exit_code
        if output.state.debug:
            traceback.print_exc()
        else:
            output.stderr(
                f"internal error: {type(err).__name__}: {err}\n"
                "  hint: this is a bug in attini_sdk; run again with --debug for the traceback and report it"
            )
        return 2
    return code if isinstance(code, int) else 0  # click returns typer.Exit's code without standalone mode
