"""The README's quickstart, line by line, in a fresh ATTINI_HOME against a real ``moto_server``.

The ``bash`` block under "## Quickstart" is parsed and run as written: ``attini`` lines in this process (the
CLI's own entry point, answering ``y`` when a production environment asks), the other lines as the shell
would run them, with the moto server the README starts by hand started here on a free port (``5000`` in
the README becomes that port). Every sample-output line under a command (``#  `` then the text; ``…``
stands for ids, times and paths) must be a line that command printed.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent


@attrs.frozen
class Line:
    """One command of the block and the sample output the README shows under it."""

    command: str
    sample: tuple[str, ...]


def quickstart(text: str) -> list[Line]:
    """The commands of the first ``bash`` block after "## Quickstart", each with its sample output lines."""
    section = text[text.index("## Quickstart"):]
    block = section[section.index("```bash\n") + 8:]
    block = block[:block.index("```")]
    lines: list[Line] = []
    for raw in block.splitlines():
        if raw.startswith("#  ") and lines:
            lines[-1] = attrs.evolve(lines[-1], sample=(*lines[-1].sample, raw[3:]))
        elif raw.strip() and not raw.startswith("#"):
            lines.append(Line(raw, ()))
    return lines


def _matches(sample: str, printed: list[str]) -> bool:
    pattern = ".+?".join(re.escape(part) for part in sample.split("…"))
    return any(re.fullmatch(pattern, line.rstrip()) for line in printed)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Shell:
    """Runs the block's lines the way a shell would, with the test's moto port for 5000."""

    def __init__(self, monkeypatch, capsys, tmp_path: Path):
        self.monkeypatch, self.capsys, self.tmp = monkeypatch, capsys, tmp_path
        self.port = _free_port()
        self.servers: list[subprocess.Popen] = []
        self.done: list[str] = []  # the commands run so far

    def run(self, line: Line) -> list[str]:
        text = line.command.replace("5000", str(self.port))
        words = shlex.split(text, comments=True)
        if words[:2] == ["make", "venv"]:
            assert Path(sys.prefix, "bin", "attini").exists()  # the test runs in the venv that line makes
            return []
        if words[0] == "moto_server":
            return self._start_moto(words)
        if words[0] == "export":
            for pair in words[1:]:
                key, _, value = pair.partition("=")
                self.monkeypatch.setenv(key, value)
            return []
        if words[0] == "attini":
            return self._attini(words[1:])
        done = subprocess.run(["bash", "-c", text], capture_output=True, text=True, timeout=120, cwd=ROOT,
                              env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"})
        assert done.returncode == 0, (line.command, done.stdout, done.stderr)
        return done.stdout.splitlines()

    def _start_moto(self, words: list[str]) -> list[str]:
        argv = words[:words.index(">")] if ">" in words else words[:-1]  # without the README's log redirect
        log = open(self.tmp / "moto.log", "w")  # noqa: SIM115 - lives as long as the server
        self.servers.append(subprocess.Popen([str(BIN / argv[0]), *argv[1:]], stdout=log, stderr=log))
        return []

    def _attini(self, args: list[str]) -> list[str]:
        from attini_sdk.cli import main

        self.monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # what a person answers "Continue? (Y/N)"
        self.capsys.readouterr()
        code = main(args)
        out, err = self.capsys.readouterr()
        assert code == 0, (args, out, err)
        return (out + err).splitlines()

    def stop(self) -> None:
        for server in self.servers:
            server.terminate()
            server.wait(timeout=30)


@pytest.fixture
def shell(monkeypatch, capsys, tmp_path):
    """A fresh ATTINI_HOME, the repository as the working folder, no AWS settings of the machine's own."""
    for key in [k for k in os.environ if k.startswith(("AWS_", "ATTINI_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ATTINI_HOME", str(tmp_path / "attini-home"))
    monkeypatch.chdir(ROOT)
    running = Shell(monkeypatch, capsys, tmp_path)
    yield running
    running.stop()


def _keep_the_example_database_here(tmp_path: Path) -> None:
    """The database example's SQLite file defaults to /tmp/attini-examples/<env>/: give each environment
    one of its own here, so that runs side by side (and earlier runs) do not share it."""
    import attini_sdk as at

    for name in at.list_environments()["name"]:
        at.Environment.local(str(name)).parameters["DatabasePath"] = str(tmp_path / str(name) / "items.db")


def test_the_quickstart_runs_line_by_line_and_prints_its_sample_output(shell, tmp_path):
    lines = quickstart(README.read_text())
    assert len(lines) > 15 and sum(len(line.sample) for line in lines) > 10

    missing = []
    for line in lines:
        if line.command.startswith("attini deploy run") and not any("deploy run" in d for d in shell.done):
            _keep_the_example_database_here(tmp_path)
        printed = shell.run(line)
        shell.done.append(line.command)
        missing += [f"{line.command}\n    #  {s}" for s in line.sample if not _matches(s, printed)]

    assert not missing, "README sample output that the command did not print:\n" + "\n".join(missing)


def test_sample_output_lines_belong_to_the_command_above_them():
    lines = quickstart("## Quickstart\n```bash\n# about\nattini a\n#  out a\n#  more\n\nattini b  # note\n```\n")

    assert lines == [Line("attini a", ("out a", "more")), Line("attini b  # note", ())]
    assert _matches("id   sha256:…", ["  id   sha256:ab12"]) is False  # indentation is output too
    assert _matches("  id   sha256:…", ["  id   sha256:ab12"])

