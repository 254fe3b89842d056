"""The root of the CLI: version, help, and how errors reach the user."""

import re
import subprocess
import sys

from attini_sdk import __version__
from attini_sdk.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "attini_sdk", *args], capture_output=True, text=True)


def test_version_prints_package_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"attini {__version__}"


def test_help_lists_usage():
    result = run("--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_unknown_command_is_a_usage_error_without_traceback():
    result = run("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "No such command" in result.stderr


def test_main_returns_exit_code_in_process(capsys):
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def _every_command() -> list[tuple[str, ...]]:
    """The root, every group and every visible command, as the words that name them."""
    from attini_sdk.cli import reference

    leaves = [path for path, _ in reference._walk(reference._root(), ())]
    return sorted({path[:n] for path in leaves for n in range(len(path) + 1)})


def test_help_names_values_as_a_command_line_does_never_by_python_type(capsys):
    seen = 0
    for path in _every_command():
        assert main([*path, "--help"]) == 0, path
        text = capsys.readouterr().out
        assert not re.search(r"<(bool|str|int|float|Path|list)\b", text), (path, text)
        seen += 1

    assert seen > 30
    main(["deploy", "run", "--help"])
    text = capsys.readouterr().out
    assert re.search(r"--environment\s+-e\s+TEXT", text) and re.search(r"--param\s+-p\s+KEY=VALUE", text)
    assert re.search(r"-y\s+Do not ask", text)  # a flag: nothing between its names and its help
    assert "PATH|ZIP|ID" in text


def test_debug_after_a_command_shows_the_traceback_as_before_it_does(attini):
    after = attini("deploy", "run", "nowhere", "--debug")
    before = attini("--debug", "deploy", "run", "nowhere")
    plain = attini("deploy", "run", "nowhere")

    for result in (after, before):
        assert result.code == 1
        assert "Traceback" in result.err and "Error: " in result.err and "No such option" not in result.err
    assert plain.code == 1 and "Traceback" not in plain.err


def test_every_top_level_name_is_mapped_to_the_modules_that_build_it():
    """A call registers only its command's modules (attini_sdk.cli.commands.COMMANDS): the map must name, for
    every top-level command and alias, the module that registers it."""
    from attini_sdk.cli import commands
    from attini_sdk.cli.app import _command_name, _register, _registered

    _register()
    built = {_command_name(info): module for module, (cmds, groups) in _registered.items()
             for info in (*cmds, *groups)}

    assert set(built) == set(commands.COMMANDS)
    assert all(module in commands.COMMANDS[name] for name, module in built.items())
    assert set(_registered) == set(commands.MODULES)


def test_help_after_a_command_lists_every_command_in_the_same_order(attini):
    """In one process the first call may register one module only; the root's help is the same afterwards."""
    first = attini("inventory", "--help")
    full = attini("--help")
    again = attini("deploy", "--help")
    after = attini("--help")

    assert first.code == full.code == again.code == after.code == 0
    assert full.out == after.out
    names = [line.split()[1] for line in full.out.splitlines()
             if line.startswith("│ ") and line[2] != " " and line.split()[1].isalpha()]
    assert names[:8] == ["inventory", "landscape", "distribution", "key", "config", "configure", "environment",
                         "deploy"]
