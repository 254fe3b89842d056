"""Where a runner's commands run: in its ``Image`` through docker or podman, or on this host.

A runner that names an ``Image`` (Attini's ``Attini::Deploy::Runner``) runs its commands in that image
when a container engine works here (:mod:`attini_sdk.steps.container_engine`):

- its ``Startup.Commands`` run once per deployment, in a container of the image that is then committed as
  ``attini-runner-<runner>:<deployment id>``; every job of the runner starts from that image, so what
  startup installed is there (as on Attini's warm runner). The image is removed when the deployment ends;
  a runner without startup commands uses its image as it is;
- each job runs in a fresh container: ``<engine> run --rm --init --name attini-job-… -v <job folder>:<job
  folder> -w <job folder>/source -e NAME… <image> bash -eo pipefail <script>``. The job folder is mounted
  at the same path, so ``ATTINI_INPUT``, ``ATTINI_OUTPUT`` and ``ATTINI_SOURCE_DIR`` hold inside too.
  ``-e`` names the variables of the job contract, the deployment's AWS settings and credentials and the
  step's ``Environment``; their values travel in the engine client's environment, never on its command
  line. With an AWS endpoint on this machine (moto, LocalStack) the container uses the host's network.

Without an engine the commands run on this host, and the deployment says so once per runner (a
``notice`` on the step log and the progress view)::

    >>> Placement("Build", image="node:20", engine=None, reason="no container engine found").note
    'runner Build asks for image node:20; no container engine found, its commands run on this host'
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlparse

import attrs

from attini_sdk.steps.container_engine import Engine

__all__ = ["Placement", "launcher", "commit", "remove", "image_exists", "release", "announce_once"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_QUIET_SECONDS = 120.0
_announced: set[tuple[str, str]] = set()
_announced_lock = threading.Lock()


@attrs.frozen
class Placement:
    """Where one runner's commands run: ``engine`` set means in ``image``; otherwise on this host."""

    runner: str
    image: str | None = None
    engine: Engine | None = None
    reason: str = ""

    @property
    def in_container(self) -> bool:
        return self.engine is not None and self.image is not None

    @property
    def note(self) -> str | None:
        """The one line a deployment says when a runner asks for an image it cannot have here."""
        if self.image is None or self.in_container:
            return None
        return f"runner {self.runner} asks for image {self.image}; {self.reason}, its commands run on this host"

    def where(self) -> str:
        """``in image X`` or ``on this host``, for messages."""
        return f"in image {self.image}" if self.in_container else "on this host"


def _name(text: str) -> str:
    """Lower case letters, digits, '.', '_' and '-' only: what image and container names allow."""
    return re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-.") or "runner"


def startup_image(runner: str, deployment_id: str) -> str:
    """The image a runner's startup commands are committed to, for one deployment.

    >>> startup_image("Custom Runner", "0005f1c3ab")
    'attini-runner-custom-runner:0005f1c3ab'
    """
    return f"attini-runner-{_name(runner)}:{_name(deployment_id or uuid.uuid4().hex[:12])}"


def container_name(kind: str, runner: str) -> str:
    return f"attini-{kind}-{_name(runner)[:40]}-{uuid.uuid4().hex[:10]}"


def launcher(placement: Placement, image: str, *, name: str, folder: Path, workdir: Path, names: Iterable[str],
             endpoint: str | None, keep: bool = False) -> list[str]:
    """The ``<engine> run …`` words that go before ``bash -eo pipefail <script>``.

    >>> p = Placement("Build", "node:20", Engine("/usr/bin/docker", "docker"))
    >>> launcher(p, "node:20", name="j", folder=Path("/w/job"), workdir=Path("/w/job/source"),
    ...          names=["ATTINI_INPUT"], endpoint="http://127.0.0.1:5000")   # doctest: +NORMALIZE_WHITESPACE
    ['/usr/bin/docker', 'run', '--rm', '--init', '--name', 'j', '-v', '/w/job:/w/job', '-w', '/w/job/source',
     '-e', 'ATTINI_INPUT', '--network', 'host', 'node:20']
    """
    words = [placement.engine.path, "run", *([] if keep else ["--rm"]), "--init", "--name", name,
             "-v", f"{folder}:{folder}", "-w", str(workdir)]
    for variable in sorted(set(names)):
        words += ["-e", variable]
    if endpoint and urlparse(endpoint).hostname in _LOOPBACK:
        words += ["--network", "host"]  # the emulator listens on this machine's loopback
    return [*words, image]


def _engine(path: str, *args: str, timeout: float = _QUIET_SECONDS) -> subprocess.CompletedProcess:
    return subprocess.run([path, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def commit(engine: Engine, container: str, image: str) -> str | None:
    """Save a stopped container as ``image``; None when it worked, else the engine's words."""
    done = _engine(engine.path, "commit", container, image)
    return None if done.returncode == 0 else (done.stderr or done.stdout).strip()[:300] or "commit failed"


def remove(engine: Engine, container: str) -> None:
    """Remove a container, running or not (after a timeout, a cancellation or a committed startup)."""
    try:
        _engine(engine.path, "rm", "-f", container)
    except (OSError, subprocess.TimeoutExpired):
        pass  # nothing more to do: the engine itself is gone or stuck


def image_exists(engine: Engine, image: str) -> bool:
    try:
        return _engine(engine.path, "image", "inspect", image).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def release(work_dir: Path) -> None:
    """Remove the startup images a deployment committed (its ``runners/*/startup.json`` name them)."""
    for marker in Path(work_dir).glob("runners/*/startup.json"):
        try:
            data = json.loads(marker.read_text())
        except (OSError, ValueError):
            continue
        if data.get("image") and data.get("engine"):
            try:
                _engine(data["engine"], "rmi", "-f", data["image"])
            except (OSError, subprocess.TimeoutExpired):
                pass


def announce_once(work_dir: Path, runner: str) -> bool:
    """True the first time this process asks for ``runner`` in this deployment (its work folder)."""
    key = (str(Path(work_dir).resolve()), runner)
    with _announced_lock:
        if key in _announced:
            return False
        _announced.add(key)
        return True
