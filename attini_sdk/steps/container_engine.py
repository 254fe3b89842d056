"""The container engine that runs runner images here, if any: docker or podman, when it answers.

A runner with an ``Image`` runs its startup and job commands in that image when an engine works on this
machine. Being on ``PATH`` is not enough: a ``docker`` client without a running engine is common, so the
engine is asked (``<engine> info``, a few seconds at most) once per process. ``ATTINI_CONTAINER_ENGINE``
chooses: ``none`` (always this host), ``docker``, ``podman`` or the path of an engine's command; unset,
docker is tried, then podman::

    >>> import os
    >>> os.environ["ATTINI_CONTAINER_ENGINE"] = "none"
    >>> find_engine().path is None, find_engine().reason
    (True, 'container engines are turned off (ATTINI_CONTAINER_ENGINE=none)')
    >>> del os.environ["ATTINI_CONTAINER_ENGINE"]
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

import attrs

__all__ = ["ENGINE_VARIABLE", "Engine", "find_engine", "PROBE_SECONDS"]

ENGINE_VARIABLE = "ATTINI_CONTAINER_ENGINE"
PROBE_SECONDS = 10.0
_CANDIDATES = ("docker", "podman")


@attrs.frozen
class Engine:
    """The engine found (``path`` set), or why there is none (``reason``); ``chosen``: named by the user.

    >>> Engine(None, "docker", "no container engine found").usable
    False
    """

    path: str | None
    name: str
    reason: str = ""
    chosen: bool = False

    @property
    def usable(self) -> bool:
        return self.path is not None


def find_engine() -> Engine:
    """The container engine to use, as ``ATTINI_CONTAINER_ENGINE`` and ``PATH`` say now (asked once each)."""
    return _find(os.environ.get(ENGINE_VARIABLE, "").strip(), os.environ.get("PATH", ""))


@functools.lru_cache(maxsize=8)
def _find(setting: str, search_path: str) -> Engine:
    if setting.lower() == "none":
        return Engine(None, "none", f"container engines are turned off ({ENGINE_VARIABLE}=none)", chosen=True)
    if setting:
        path = shutil.which(setting, path=search_path)
        name = os.path.basename(setting)
        if path is None:
            return Engine(None, name, f"{ENGINE_VARIABLE}={setting} is not a command found on PATH", chosen=True)
        problem = _probe(path)
        return Engine(None if problem else path, name, problem or "", chosen=True)
    clients = [(n, p) for n in _CANDIDATES if (p := shutil.which(n, path=search_path))]
    if not clients:
        return Engine(None, "none", "no container engine found (neither docker nor podman is on PATH)")
    problems = []
    for name, path in clients:
        problem = _probe(path)
        if problem is None:
            return Engine(path, name)
        problems.append(problem)
    return Engine(None, clients[0][0], "no container engine found (" + "; ".join(problems) + ")")


def _probe(path: str) -> str | None:
    """None when the engine behind the client ``path`` answers; else why not, in a few words."""
    name = os.path.basename(path)
    try:
        done = subprocess.run([path, "info"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=PROBE_SECONDS)
    except subprocess.TimeoutExpired:
        return f"{name} is installed but its engine did not answer within {PROBE_SECONDS:g} s"
    except OSError as err:
        return f"{name} cannot be started ({err.strerror})"
    if done.returncode == 0:
        return None
    said = next((line.strip() for line in (done.stderr + done.stdout).splitlines()
                 if "error" in line.lower() or "cannot" in line.lower()), "")
    return f"{name} is installed but its engine does not answer" + (f": {said[:160]}" if said else "")
