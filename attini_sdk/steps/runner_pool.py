"""Runners of one deployment: their settings, a bounded pool of job slots, startup-once.

A runner (``Attini::Deploy::Runner``) runs at most ``RunnerConfiguration.MaxConcurrentJobs``
jobs at once (default 5), shared by every step of the deployment that uses it. Its
``Startup.Commands`` run once, before its first job; a marker in the deployment's work
directory remembers that (and the image they were committed to, in a container), so a resumed
deployment does not run them again::

    >>> settings = RunnerSettings.from_definition("Build", {"RunnerConfiguration": {"MaxConcurrentJobs": 2}})
    >>> settings.max_concurrent_jobs, settings.job_timeout
    (2, 3600.0)
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import attrs

from attini_sdk.home import owner_only
from attini_sdk.steps.base import StepFailed, StepLog, raise_if_cancelled

__all__ = ["RunnerSettings", "slot", "startup_marker"]

DEFAULT_MAX_JOBS = 5
DEFAULT_TIMEOUT = 3600.0
_registry_lock = threading.Lock()
_semaphores: dict[tuple, threading.BoundedSemaphore] = {}
_startup_locks: dict[tuple, threading.Lock] = {}


def _positive(value, *, name: str, runner: str, kind=float):
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number <= 0:
        raise StepFailed(
            f"runner '{runner}': {name} must be a positive number, got {value!r}",
            error="Runner.ConfigError", cause=f"invalid {name}",
            where=f"AttiniRunners.{runner}", hint=f"set {name} to a number above 0",
        )
    return number


def _text(value, *, name: str, runner: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise StepFailed(f"runner '{runner}': {name} must be a non-empty string, got {value!r}",
                         error="Runner.ConfigError", cause=f"invalid {name}", where=f"AttiniRunners.{runner}",
                         hint=f"set {name} to a text value, e.g. Image: public.ecr.aws/docker/library/node:20")
    return value.strip()


@attrs.frozen
class RunnerSettings:
    """What the local runner honours of an ``Attini::Deploy::Runner`` definition.

    ``image`` runs the commands in that image when a container engine works here
    (:mod:`attini_sdk.steps.runner_container`); a ``TaskDefinitionArn`` names an image only ECS
    knows, so its commands run on this host. CPU, memory, cluster and VPC settings describe a
    container on AWS and are ignored locally.
    """

    name: str
    max_concurrent_jobs: int = DEFAULT_MAX_JOBS
    job_timeout: float = DEFAULT_TIMEOUT
    startup_commands: tuple[str, ...] = ()
    startup_timeout: float = DEFAULT_TIMEOUT
    image: str | None = None
    task_definition: str | None = None

    @classmethod
    def from_definition(cls, name: str, definition: dict | None) -> RunnerSettings:
        definition = definition or {}
        config = definition.get("RunnerConfiguration") or {}
        startup = definition.get("Startup") or {}
        commands = startup.get("Commands") or []
        if isinstance(commands, str):
            commands = [commands]
        return cls(
            name=name,
            max_concurrent_jobs=_positive(config.get("MaxConcurrentJobs", DEFAULT_MAX_JOBS),
                                          name="MaxConcurrentJobs", runner=name, kind=int),
            job_timeout=_positive(config.get("JobTimeout", DEFAULT_TIMEOUT), name="JobTimeout", runner=name),
            startup_commands=tuple(str(c) for c in commands),
            startup_timeout=_positive(startup.get("CommandsTimeout", DEFAULT_TIMEOUT),
                                      name="Startup.CommandsTimeout", runner=name),
            image=_text(definition.get("Image"), name="Image", runner=name),
            task_definition=_text(definition.get("TaskDefinitionArn"), name="TaskDefinitionArn", runner=name),
        )


def _key(work_dir: Path, runner: str) -> tuple:
    return (str(Path(work_dir).resolve()), runner)


class slot:
    """Hold one of a runner's job slots for the duration of a ``with`` block.

    Slots are counted per (deployment work directory, runner), so every step of a deployment
    shares one pool per runner. Waiting for a slot honours cancellation.
    """

    def __init__(self, work_dir: Path, settings: RunnerSettings, *, step: str, log: StepLog,
                 cancelled: threading.Event | None):
        key = _key(work_dir, settings.name)
        with _registry_lock:
            self._semaphore = _semaphores.setdefault(key, threading.BoundedSemaphore(settings.max_concurrent_jobs))
        self._settings, self._step, self._log, self._cancelled = settings, step, log, cancelled

    def __enter__(self) -> slot:
        if self._semaphore.acquire(blocking=False):
            return self
        self._log.info(f"runner {self._settings.name} is running {self._settings.max_concurrent_jobs} "
                       "jobs; waiting for a free slot")
        while not self._semaphore.acquire(timeout=0.1):
            raise_if_cancelled(self._cancelled, self._step, f"waiting for a slot on runner {self._settings.name}")
        return self

    def __exit__(self, *exc) -> None:
        self._semaphore.release()


def startup_marker(work_dir: Path, settings: RunnerSettings) -> Path:
    """Where a deployment records that a runner's startup commands ran."""
    return Path(work_dir) / "runners" / settings.name / "startup.json"


def startup_digest(settings: RunnerSettings) -> str:
    return hashlib.sha256(json.dumps(settings.startup_commands).encode()).hexdigest()


def startup_lock(work_dir: Path, settings: RunnerSettings) -> threading.Lock:
    """One lock per (deployment, runner): the first job runs startup, the others wait for it."""
    with _registry_lock:
        return _startup_locks.setdefault(_key(work_dir, settings.name), threading.Lock())


def startup_done(work_dir: Path, settings: RunnerSettings) -> dict | None:
    """The marker of this runner's startup in this deployment (``image``/``engine`` set when it ran in a
    container and was committed), or None when its commands have not run yet."""
    marker = startup_marker(work_dir, settings)
    if not marker.is_file():
        return None
    try:
        data = json.loads(marker.read_text())
    except ValueError:
        return None
    return data if data.get("commands_sha256") == startup_digest(settings) else None


def mark_startup_done(work_dir: Path, settings: RunnerSettings, *, image: str | None = None,
                      engine: str | None = None) -> None:
    marker = startup_marker(work_dir, settings)
    temporary = marker.with_suffix(".tmp")
    with owner_only():
        marker.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps({"runner": settings.name, "commands_sha256": startup_digest(settings),
                                     "image": image, "engine": engine}))
    temporary.replace(marker)  # atomic: a crash never leaves half a marker
