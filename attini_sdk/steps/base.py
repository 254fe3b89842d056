"""What every step executor gets: the deployment it runs in, AWS settings, a live step log.

Step executors are plain functions bound to one deployment by a :class:`DeploymentContext`.
They never import the engine or a store, so the local engine and the AWS runner call the
very same code::

    >>> ctx = DeploymentContext(environment="dev", distribution_name="app",
    ...                         source_dir=Path("/tmp/app"), work_dir=Path("/tmp/work"),
    ...                         log_dir=Path("/tmp/logs"), aws=AwsSettings(region="eu-west-1"))
    >>> ctx.aws.region
    'eu-west-1'

An executor has the signature ``execute(properties, payload, ctx, *, step, log, cancelled=None)``
and fails by raising :class:`attini_sdk.errors.StepFailed` with an ASL error name.
"""

from __future__ import annotations

import collections
import functools
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from attini_sdk.home import owner_only

from attini_sdk.errors import StepFailed

if TYPE_CHECKING:  # pragma: no cover
    import boto3

__all__ = [
    "AwsSettings",
    "DeploymentContext",
    "StepLog",
    "StepFailed",
    "CANCELLED",
    "step_log_path",
    "raise_if_cancelled",
]

CANCELLED = "StepCancelled"
"""ASL error name every executor raises when its ``cancelled`` event is set."""

DEFAULT_RUNNER = "AttiniDefaultRunner"


_LOADER_LOCK = threading.Lock()
_loader = None


def _botocore_session(profile: str | None):
    """A fresh botocore session that shares one loader of AWS's service models.

    A new session reads credentials and configuration as boto3 always does; sharing the
    (read-only) model loader makes it cost ~15 ms instead of ~100 ms.
    """
    global _loader
    import botocore.loaders
    import botocore.session

    with _LOADER_LOCK:
        if _loader is None:
            _loader = botocore.loaders.create_loader()
    core = botocore.session.Session(profile=profile)
    core.register_component("data_loader", _loader)
    return core


def _shared_config_file() -> Path:
    """The AWS shared config file botocore reads profiles from."""
    return Path(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()


@attrs.frozen
class AwsSettings:
    """Where AWS calls go: region, endpoint and profile, as boto3 would pick them.

    ``endpoint_url`` set means an emulator (moto, LocalStack): then SAM templates are
    translated client-side and stacks are deployed with CreateStack/UpdateStack, unless
    ``translate_sam`` / ``change_sets`` say otherwise.

    >>> AwsSettings(region="eu-west-1", endpoint_url="http://127.0.0.1:5000").emulated
    True
    >>> AwsSettings(region="eu-west-1").use_change_sets
    True
    """

    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    translate_sam: bool | None = None
    change_sets: bool | None = None

    @classmethod
    def from_environment(cls) -> AwsSettings:
        """Read region, endpoint and profile from the standard boto3 configuration.

        ``AWS_PROFILE``, ``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL`` and the
        ``region``/``endpoint_url`` keys of the profile in ``~/.aws/config``.

        >>> settings = AwsSettings.from_environment()   # AWS_REGION=eu-north-1 ...
        >>> settings.region                              # doctest: +SKIP
        'eu-north-1'
        """
        profile = os.environ.get("AWS_PROFILE") or None
        region, endpoint = os.environ.get("AWS_DEFAULT_REGION") or None, os.environ.get("AWS_ENDPOINT_URL") or None
        if (region and endpoint) or (profile is None and not _shared_config_file().is_file()):
            # the environment variables decide (they come before any profile), or nothing else could: the same
            # answer botocore gives, without loading it (~0.2 s)
            return cls(region=region, endpoint_url=endpoint, profile=profile)
        core = _botocore_session(profile)
        try:
            region = core.get_config_variable("region")
            scoped = core.get_scoped_config()
        except Exception:  # an unknown profile: the first AWS call will say so plainly
            region, scoped = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION"), {}
        return cls(region=region, endpoint_url=endpoint or scoped.get("endpoint_url"), profile=profile)

    @property
    def emulated(self) -> bool:
        """True when calls go to a custom endpoint (an emulator) rather than AWS."""
        return bool(self.endpoint_url)

    @property
    def use_change_sets(self) -> bool:
        """Deploy stacks through change sets (AWS) or CreateStack/UpdateStack (emulators)."""
        return (not self.emulated) if self.change_sets is None else self.change_sets

    @property
    def sam_client_side(self) -> bool:
        """Translate ``AWS::Serverless`` templates here instead of by CloudFormation."""
        return self.emulated if self.translate_sam is None else self.translate_sam

    def session(self, credentials: dict | None = None, region: str | None = None) -> boto3.session.Session:
        """A fresh boto3 session for these settings, optionally with temporary credentials or another region.

        >>> AwsSettings(region="eu-west-1").session(region="us-east-1").region_name
        'us-east-1'
        """
        import boto3

        region = region or self.region
        core = _botocore_session(None if credentials else self.profile)
        if credentials:
            return boto3.session.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials.get("SessionToken"),
                region_name=region,
                botocore_session=core,
            )
        return boto3.session.Session(region_name=region, botocore_session=core)

    def client(self, service: str, *, region: str | None = None, session=None):
        """A boto3 client for ``service`` honouring the endpoint and an optional region override.

        >>> AwsSettings(region="eu-west-1").client("ssm").meta.region_name
        'eu-west-1'
        """
        session = session or self.session(region=region)
        return session.client(service, region_name=region or session.region_name or self.region,
                              endpoint_url=self.endpoint_url)

    def environment_variables(self) -> dict[str, str]:
        """The same settings as environment variables, for subprocesses (runner jobs)."""
        env = {}
        if self.region:
            env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = self.region
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        if self.profile:
            env["AWS_PROFILE"] = self.profile
        return env


@attrs.frozen
class DeploymentContext:
    """One deployment as step executors see it. Built by the orchestrator, never by a step.

    ``source_dir`` is the extracted artifact (read-only); ``work_dir`` is scratch space that
    survives a resume of the same deployment; ``log_dir`` holds one log per step.
    ``variables`` are ``initDeployConfig.variables`` for this environment, ``runners`` the
    plan's ``AttiniRunners`` definitions. ``conceal`` turns a value that holds resolved secrets back into
    what may be kept on disk (secret references): a step that keeps a file for inspection writes that.

    >>> ctx = DeploymentContext(environment="dev", distribution_name="app",
    ...                         source_dir=Path("src"), work_dir=Path("w"), log_dir=Path("l"),
    ...                         aws=AwsSettings(region="eu-west-1"))
    >>> ctx.environment_type
    'test'
    """

    environment: str
    distribution_name: str
    source_dir: Path = attrs.field(converter=Path)
    work_dir: Path = attrs.field(converter=Path)
    log_dir: Path = attrs.field(converter=Path)
    environment_type: str = "test"
    distribution_id: str = ""
    distribution_version: str = ""
    deployment_id: str = ""
    variables: dict = attrs.field(factory=dict)
    parameters: dict = attrs.field(factory=dict)
    dependency_outputs: dict = attrs.field(factory=dict)
    runners: dict = attrs.field(factory=dict)
    default_runner: str = DEFAULT_RUNNER
    conceal: Callable[[Any], Any] = attrs.field(default=lambda value: value, eq=False, repr=False)
    #: the AWS settings the host gives (``aws=``); None: :attr:`aws` reads them from the environment
    aws_settings: AwsSettings | None = attrs.field(default=None, alias="aws")
    #: the bucket the Sam and Cdk steps publish code, assets and templates to (under ``assets/``): the AWS
    #: backend's own bucket; None: Attini's ``attini-artifact-store-<region>-<account>`` (see ``asset_store``)
    asset_bucket: str | None = None
    #: ``job_monitor(step, "started"|"ended", ProcessIdentity)``: told of every runner job process, so the
    #: host can record it (and never start a step again while its earlier job may live); None: not told
    job_monitor: Callable | None = attrs.field(default=None, repr=False, eq=False)

    @functools.cached_property
    def aws(self) -> AwsSettings:
        """Where this deployment's AWS calls go: the settings given, else the standard configuration, read
        when a step first asks (a plan that never calls AWS never loads botocore)."""
        return self.aws_settings if self.aws_settings is not None else AwsSettings.from_environment()


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def step_log_path(log_dir: Path, step: str) -> Path:
    """The log file of a step: its name made filesystem-safe.

    >>> step_log_path(Path("logs"), "Deploy Lambda/Stack").name
    'Deploy_Lambda_Stack.log'
    """
    return Path(log_dir) / f"{_UNSAFE.sub('_', step).strip('._-') or 'step'}.log"


class StepLog:
    """A step's log file, appended to line by line as things happen; safe across threads.

    >>> import tempfile
    >>> log = StepLog(Path(tempfile.mkdtemp()) / "Deploy.log")
    >>> log.write("creating stack")
    >>> log.tail(1)
    ['creating stack']
    """

    def __init__(self, path: Path, *, keep: int = 200, on_notice: Callable[[str], None] | None = None):
        self.path = Path(path)
        self.on_notice = on_notice
        self._lock = threading.Lock()
        self._tail: collections.deque[str] = collections.deque(maxlen=keep)
        with owner_only():  # a log may hold what a job printed: its owner's only
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8", buffering=1)

    @classmethod
    def for_step(cls, ctx: DeploymentContext, step: str) -> StepLog:
        """Open (append to) the log of ``step`` in ``ctx.log_dir``."""
        return cls(step_log_path(ctx.log_dir, step))

    def write(self, line: str) -> None:
        """Append one line (or several, if it contains newlines) and flush it."""
        with self._lock:
            for part in str(line).splitlines() or [""]:
                self._tail.append(part)
                self._file.write(part + "\n")
            self._file.flush()

    def info(self, message: str) -> None:
        """A line from the executor itself, marked so users tell it from job output."""
        self.write(f"[attini] {message}")

    def notice(self, message: str) -> None:
        """A line the person deploying should see while it runs: logged like :meth:`info`, and handed to
        ``on_notice`` (the orchestrator shows it as a ``notice`` progress event)."""
        self.info(message)
        if self.on_notice is not None:
            self.on_notice(message)

    def tail(self, n: int = 20) -> list[str]:
        """The last ``n`` lines written through this object."""
        with self._lock:
            return list(self._tail)[-n:]

    def close(self) -> None:
        """Close the file; further writes fail."""
        with self._lock:
            self._file.close()

    def __enter__(self) -> StepLog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def raise_if_cancelled(cancelled: threading.Event | None, step: str, doing: str) -> None:
    """Raise ``StepFailed(error="StepCancelled")`` when the engine cancelled the step.

    >>> raise_if_cancelled(None, "Deploy", "waiting")  # no event: never cancelled
    """
    if cancelled is not None and cancelled.is_set():
        raise StepFailed(
            f"step '{step}' was cancelled while {doing}",
            step=step,
            error=CANCELLED,
            cause=f"cancelled while {doing}",
            hint="the state timed out or the deployment was stopped; run the deployment again to continue",
        )
