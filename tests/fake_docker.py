"""A stand-in ``docker`` for tests: records every call and runs ``docker run``'s command on this machine.

No Docker engine exists here (and tests must never use one), so the container path of runners is tested
with this script on ``PATH``. It understands what the runner uses: ``info``, ``run`` (``--rm``, ``--init``,
``--name``, ``-v``, ``-w``, ``-e``, ``--network``), ``commit``, ``rm``, ``rmi`` and ``image inspect``. A
``run`` executes its command with the ``-w`` folder as working directory and *only* the ``-e`` variables
(plus ``PATH``), as a container would see them; values come from the client's environment as docker does::

    docker = FakeDocker.install(tmp_path / "bin")          # then put tmp_path / "bin" first on PATH
    docker.calls()                                          # [["info"], ["run", "--rm", ...], ...]
    docker.runs()                                           # the ``run`` calls, parsed
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import attrs

SCRIPT = r'''#!{python}
import json, os, subprocess, sys

LOG, STATE, ENGINE_UP = {log!r}, {state!r}, {engine_up!r}
args = sys.argv[1:]
with open(LOG, "a") as log:
    log.write(json.dumps(args) + "\n")
images = set(json.load(open(STATE))) if os.path.exists(STATE) else set()
if not ENGINE_UP:
    print("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
          file=sys.stderr)
    sys.exit(1)
if args[:1] == ["info"]:
    print("Server Version: stand-in")
    sys.exit(0)
if args[:1] == ["commit"]:
    images.add(args[2])
    json.dump(sorted(images), open(STATE, "w"))
    print("sha256:" + "0" * 64)
    sys.exit(0)
if args[:2] == ["image", "inspect"]:
    sys.exit(0 if args[2] in images else 1)
if args[:1] in (["rm"], ["rmi"]):
    sys.exit(0)
if args[:1] == ["run"]:
    valued = {{"--name", "-v", "-w", "-e", "--network", "--user"}}
    env, cwd, i = {{"PATH": os.environ.get("PATH", "/usr/bin:/bin")}}, None, 1
    while args[i].startswith("-"):
        flag = args[i]
        if flag in valued:
            value = args[i + 1]
            i += 2
            if flag == "-w":
                cwd = value
            elif flag == "-e":
                name, sep, given = value.partition("=")
                if sep:
                    env[name] = given
                elif name in os.environ:
                    env[name] = os.environ[name]
        else:
            i += 1
    command = args[i + 1:]
    sys.exit(subprocess.run(command, cwd=cwd, env=env).returncode)
print("stand-in docker: unsupported call " + " ".join(args), file=sys.stderr)
sys.exit(2)
'''


@attrs.frozen
class Run:
    """One ``docker run`` call, parsed."""

    options: list[tuple[str, str | None]]
    image: str
    command: list[str]

    def values(self, flag: str) -> list[str]:
        return [value for name, value in self.options if name == flag]

    def has(self, flag: str) -> bool:
        return any(name == flag for name, _ in self.options)


@attrs.frozen
class FakeDocker:
    """The installed stand-in: where it is and what it was asked."""

    path: Path
    log: Path

    @classmethod
    def install(cls, folder: Path, *, engine_up: bool = True, name: str = "docker") -> FakeDocker:
        folder.mkdir(parents=True, exist_ok=True)
        log, state = folder / f"{name}-calls.jsonl", folder / f"{name}-images.json"
        path = folder / name
        path.write_text(SCRIPT.format(python=sys.executable, log=str(log), state=str(state), engine_up=engine_up))
        path.chmod(0o755)
        return cls(path, log)

    def calls(self) -> list[list[str]]:
        if not self.log.is_file():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def runs(self) -> list[Run]:
        out = []
        for args in self.calls():
            if args[:1] != ["run"]:
                continue
            options, i = [], 1
            while args[i].startswith("-"):
                if args[i] in ("--name", "-v", "-w", "-e", "--network", "--user"):
                    options.append((args[i], args[i + 1]))
                    i += 2
                else:
                    options.append((args[i], None))
                    i += 1
            out.append(Run(options, args[i], args[i + 1:]))
        return out
