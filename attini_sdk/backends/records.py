"""What the state store keeps, as frozen values: environments, deployments, step runs, locks, approvals.

Records are plain values returned by a :class:`~attini_sdk.backends.base.StateStore`; services take them
and return new ones, the mutable truth lives in the store. Times are timezone-aware UTC datetimes::

    >>> from datetime import datetime, timezone
    >>> lock = Lock("dev", "app", owner="ab12", pid=4242, host="ci-1",
    ...             acquired_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> lock.describe()
    'ab12 (pid 4242 on ci-1) since 2026-01-01T00:00:00+00:00'

Nothing secret is kept in a record that listing APIs return: secret values are replaced by
:data:`REDACTED` at the source (:func:`redact_keys`, :func:`redact_values`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from attini_sdk.backends.redaction import Redactor

__all__ = [
    "ENVIRONMENT_TYPES",
    "DEPLOYMENT_STATUSES",
    "ACTIVE_STATUSES",
    "FINAL_STATUSES",
    "STEP_STATUSES",
    "APPROVAL_DECISIONS",
    "REDACTED",
    "EnvironmentRecord",
    "Parameter",
    "DeploymentRecord",
    "StepRun",
    "Lock",
    "Approval",
    "Table",
    "redact_keys",
    "redact_values",
]

ENVIRONMENT_TYPES = ("test", "production")
#: Every status a deployment can have; the order is the categorical order in DataFrames.
DEPLOYMENT_STATUSES = (
    "pending", "running", "waiting_approval", "succeeded", "failed", "aborted", "interrupted",
)
#: A deployment in one of these still holds (or is about to hold) its lock.
ACTIVE_STATUSES = ("pending", "running", "waiting_approval")
FINAL_STATUSES = ("succeeded", "failed", "aborted")
STEP_STATUSES = ("pending", "running", "succeeded", "failed", "skipped", "aborted", "interrupted")
APPROVAL_DECISIONS = ("approved", "aborted")
#: What a secret looks like wherever it is displayed or stored for display.
REDACTED = "***"  # the same as attini_sdk.backends.redaction.REDACTED


def _one_of(choices: tuple[str, ...]):
    def check(instance, attribute, value):
        if value not in choices:
            raise ValueError(f"{attribute.name} must be one of {', '.join(choices)}, got {value!r}")
    return check


@attrs.frozen
class EnvironmentRecord:
    """A named deployment target with its policies.

    >>> from datetime import datetime, timezone
    >>> EnvironmentRecord("prod", "production", datetime.now(timezone.utc)).is_production
    True
    """

    name: str
    type: str = attrs.field(validator=_one_of(ENVIRONMENT_TYPES))
    created_at: datetime
    require_signature: bool = False
    trusted_keys: tuple[str, ...] = ()
    #: keep at least this many deployments (and their artifacts) per distribution; 0 and 0 = keep all
    keep_versions: int = 10
    #: keep every deployment younger than this many days
    keep_days: int = 10

    @property
    def is_production(self) -> bool:
        return self.type == "production"


@attrs.frozen
class Parameter:
    """One environment parameter; ``display_value`` is what listings show.

    >>> Parameter("DbPassword", "hunter2", secret=True).display_value
    '***'
    """

    key: str
    value: Any
    secret: bool = False

    @property
    def display_value(self) -> Any:
        return REDACTED if self.secret else self.value


@attrs.frozen
class DeploymentRecord:
    """One run of one artifact's plan in one environment; ``revision`` counts per (environment, distribution).

    The artifact it ran is the one stored under ``distribution_id``.

    >>> d = DeploymentRecord("d1", "dev", "app", 3, "sha256:ab", "1.2.0", "running", None)
    >>> (d.active, d.finished)
    (True, False)
    """

    id: str
    environment: str
    distribution: str
    revision: int
    distribution_id: str
    #: the artifact's version; None when its attini-config has none (the distribution id identifies it)
    version: str | None
    status: str = attrs.field(validator=_one_of(DEPLOYMENT_STATUSES))
    started_at: datetime | None
    finished_at: datetime | None = None
    deployed_by: str = ""
    reason: str | None = None
    error: str | None = None
    cause: str | None = None
    execution_id: str | None = None
    tags: Mapping[str, str] = attrs.field(factory=dict)
    #: parameters as deployed, secret values already replaced by ``***``
    parameters: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def label(self) -> str:
        """Distribution and version for messages: ``app 1.2.0``, or ``app`` when it has no version."""
        return f"{self.distribution} {self.version}" if self.version else self.distribution

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


@attrs.frozen
class StepRun:
    """One execution (one attempt) of one step of a deployment.

    ``type`` is the step's resource as the engine ran it (``attini:cfn``); tables show it as Attini's type name
    (:func:`attini_sdk.steps.type_name`). ``attempt`` counts from 1.

    >>> StepRun(1, "d1", "Network", "attini:cfn", "skipped", None).reused
    True
    """

    id: int
    deployment_id: str
    step: str
    type: str
    status: str = attrs.field(validator=_one_of(STEP_STATUSES))
    started_at: datetime | None
    finished_at: datetime | None = None
    attempt: int = 1
    fingerprint: str | None = None
    #: the step's result, secrets already redacted
    output: Any = None
    log_path: str | None = None
    error: str | None = None
    cause: str | None = None

    @property
    def reused(self) -> bool:
        """True when the step was skipped because nothing changed (its output was reused)."""
        return self.status == "skipped"


@attrs.frozen
class Lock:
    """Who holds the (environment, distribution) deployment lock.

    A *parked* lock (``pid`` is None) belongs to a deployment waiting for an approval with no process
    attached; it never expires and only that deployment can claim it again.

    >>> from datetime import datetime, timezone
    >>> Lock("dev", "app", owner="x", pid=None, host=None, deployment_id="d1").parked
    True
    """

    environment: str
    distribution: str
    owner: str
    pid: int | None
    host: str | None
    acquired_at: datetime | None = None
    heartbeat_at: datetime | None = None
    expires_at: datetime | None = None
    deployment_id: str | None = None

    @property
    def parked(self) -> bool:
        return self.pid is None

    def describe(self) -> str:
        """One line for error messages: owner, pid, host and since when."""
        since = self.acquired_at.isoformat() if self.acquired_at else "an unknown time"
        if self.parked:
            return f"deployment {self.deployment_id} (waiting for approval, no process) since {since}"
        return f"{self.owner} (pid {self.pid} on {self.host}) since {since}"


@attrs.frozen
class Approval:
    """A manual approval a deployment waits for (or got).

    >>> Approval("d1", "ApproveProd", token="t-1", requested_at=None).pending
    True
    """

    deployment_id: str
    step: str
    token: str
    requested_at: datetime | None
    decided_at: datetime | None = None
    decision: str | None = attrs.field(default=None, validator=attrs.validators.optional(
        _one_of(APPROVAL_DECISIONS)))
    message: str | None = None

    @property
    def pending(self) -> bool:
        return self.decision is None


def redact_keys(mapping: Mapping[str, Any] | None, secret_keys: Collection[str]) -> dict[str, Any]:
    """Copy ``mapping`` with the values of ``secret_keys`` replaced by ``***``.

    >>> redact_keys({"Db": "pw", "Env": "dev"}, {"Db"})
    {'Db': '***', 'Env': 'dev'}
    """
    return {k: (REDACTED if k in secret_keys else v) for k, v in (mapping or {}).items()}


def redact_values(value: Any, secret_values: Collection[Any]) -> Any:
    """Replace every form of a secret value inside a JSON-like value (or text) by ``***``.

    The forms are those of :class:`attini_sdk.backends.redaction.Redactor`: the text, its JSON-escaped form,
    each line of a multi-line secret, numbers; secret references are shown as ``***`` too.

    >>> redact_values({"url": "postgres://u:hunter2@db", "n": 1}, ["hunter2"])
    {'url': 'postgres://u:***@db', 'n': 1}
    """
    return Redactor(secret_values).value(value)


@attrs.frozen
class Table:
    """Columns straight from a store query, for DataFrame builders: no per-row objects.

    ``data`` maps each column name to its values (a list, tuple or numpy array; all the same length).
    Times are INTEGER microseconds since the Unix epoch (UTC) or None. A column named in ``codes`` holds
    integer codes into the given categories (e.g. statuses), so a builder never hashes strings per row.

    >>> t = Table({"distribution": ["app", "db"], "status": [3, 4]}, codes={"status": DEPLOYMENT_STATUSES})
    >>> len(t), t.values("status")
    (2, ['succeeded', 'failed'])
    """

    data: Mapping[str, Any]
    codes: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.data)

    def __len__(self) -> int:
        return len(next(iter(self.data.values()))) if self.data else 0

    def values(self, name: str) -> list:
        """One column as a list, codes turned back into their category names."""
        column = list(self.data[name])
        if name in self.codes:
            categories = self.codes[name]
            return [None if c is None or c < 0 else categories[c] for c in column]
        return column
