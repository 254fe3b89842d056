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


_registered: dict[str, tuple[list, list]] = {}  # module -> the (commands, groups) it added to the root


def _register(modules: tuple[str, ...] | None = None) -> None:
    """Attach the command modules (default: every one), each once per process; each exposes ``register(app)``.

    main() may run many times in one process (tests, the demo), each time with the modules its command needs;
    the root's lists stay in :data:`~attini_sdk.cli.commands.MODULES` order whatever came first.
    """
    import importlib

    from attini_sdk.cli import commands

    added = False
    for name in commands.MODULES if modules is None else modules:
        if name in _registered:
            continue
        before = len(app.registered_commands), len(app.registered_groups)
        importlib.import_module(f"attini_sdk.cli.{name}").register(app)
        _registered[name] = (app.registered_commands[before[0]:], app.registered_groups[before[1]:])
        added = True
    if added:
        done = [_registered[name] for name in commands.MODULES if name in _registered]
        app.registered_commands = [info for infos, _ in done for info in infos]
        app.registered_groups = [info for _, infos in done for info in infos]


def _command_name(info) -> str | None:
    """The name a registered command or group answers to (typer's rule: the function's name, ``_`` as ``-``)."""
    if getattr(info, "typer_instance", None) is not None:  # a group (add_typer)
        return info.name if isinstance(info.name, str) else None
    if isinstance(info.name, str):
        return info.name
    return info.callback.__name__.lower().replace("_", "-") if info.callback else None


def _hollow(info):
    """A group as the root's help and errors see it: its name, help and settings, none of its commands."""
    import copy

    inner = copy.copy(info.typer_instance)
    inner.registered_commands, inner.registered_groups = [], []
    hollow = copy.copy(info)
    hollow.typer_instance = inner
    return hollow


def _tree(args: list[str]) -> typer.Typer:
    """The part of the command tree ``args`` can reach, so a command builds only its own branch.

    ``attini deploy run X`` needs ``deploy`` alone; ``attini --help``, ``attini`` and an unknown command need
    every top-level name and its help, none of the commands inside the groups. typer builds the click tree
    for every call, reading every parameter of every function it reaches: the whole tree is most of the CLI's
    fixed cost after imports. The app itself is left whole (``docs/cli.md`` and tests read it).
    """
    import copy

    from attini_sdk.cli.commands import command_token

    chosen = command_token(args)
    names = [(_command_name(i), i) for i in (*app.registered_commands, *app.registered_groups)]
    known = {name for name, _ in names}
    tree = copy.copy(app)
    if chosen in known:
        tree.registered_commands = [i for i in app.registered_commands if _command_name(i) == chosen]
        tree.registered_groups = [i for i in app.registered_groups if _command_name(i) == chosen]
    else:
        tree.registered_groups = [_hollow(i) for i in app.registered_groups]
    return tree


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


from attini_sdk.cli.commands import ROOT_VALUED as _GLOBAL_VALUED  # noqa: E402  (one list for both)


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
    exits 2 with a short note (the traceback with ``--debug``). Without ``argv`` (the ``attini`` script,
    ``python -m attini_sdk``) the process ends after this call, which it prepares for (:func:`_before_exit`).
    """
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    finally:
        if argv is None:
            _before_exit()


def _before_exit() -> None:
    """The process exits next: close the local state databases now (SQLite checkpoints its WAL into
    ``state.db`` as it does whenever the last connection closes), then freeze the heap (:func:`gc.freeze`), so
    that the interpreter's exit does not walk every object the CLI loaded in a last garbage collection (about
    a third of a no-op redeploy's wall time after its work was done). Called only when nothing runs after it.
    """
    import gc
    import threading

    backend = sys.modules.get("attini_sdk.backends.local.backend")  # loaded: this call opened a local backend
    others = [t for t in threading.enumerate() if not t.daemon and t is not threading.current_thread()]
    if backend is not None and not others:  # a thread the interpreter still waits for may use them
        try:
            backend.close_shared()
        except Exception:  # noqa: BLE001 - the command's outcome is decided; the exit closes them anyway
            if output.state.debug:
                traceback.print_exc()
    gc.freeze()


def _main(args: list[str]) -> int:
    from attini_sdk.cli.commands import modules_for

    args = _debug_first(args)
    _register(modules_for(args))
    output.state.debug = "--debug" in args or os.environ.get("ATTINI_DEBUG", "") not in ("", "0")
    try:
        code = _tree(args)(args=args, prog_name="attini", standalone_mode=False)
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
