"""Step logs on the AWS backend: CloudWatch Logs, one stream per step run, in the runner's log group.

The runner worker writes each run of a step to the stream ``<deployment id>/<step>/<attempt>`` of the contract's
``runner_log_group`` (:class:`~attini_sdk.runner.log_shipper.LogShipper`), while the step runs and once more
when it ends; a deployer reads a step's log back with :func:`read_step_log` (every attempt, in order).

One event is one line of the step's log file *with* its newline, so the events of a stream joined give back
the file's text exactly (an empty line is ``"\\n"``, which CloudWatch accepts; a line longer than an event may
hold is split into several events, joined again on reading)::

    >>> stream_name("d-1", "Deploy: App", 2)
    'd-1/Deploy_ App/2'
    >>> [len(b) for b in batches(events(["a\\n", "b\\n"], timestamp=1))]
    [2]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from attini_sdk.backends.aws.session import client_error_code
from attini_sdk.errors import BackendError

__all__ = ["stream_name", "stream_prefix", "events", "batches", "read_step_log", "MAX_EVENT_BYTES",
           "MAX_BATCH_BYTES", "MAX_BATCH_EVENTS"]

#: PutLogEvents limits: 10,000 events and 1,048,576 bytes per call, each event counted as its UTF-8 message
#: plus 26 bytes, and no event over 256 KiB
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_EVENT_BYTES = 262_144 - EVENT_OVERHEAD

_NOT_IN_STREAM_NAMES = re.compile(r"[:*]")  # the two characters a log stream name may not hold


def stream_prefix(deployment_id: str, step: str) -> str:
    """``<deployment id>/<step>/``: the streams of every attempt of one step start with it.

    >>> stream_prefix("d-1", "Migrate")
    'd-1/Migrate/'
    """
    return f"{_NOT_IN_STREAM_NAMES.sub('_', deployment_id)}/{_NOT_IN_STREAM_NAMES.sub('_', step)}/"


def stream_name(deployment_id: str, step: str, attempt: int) -> str:
    """The stream of one run of ``step``: ``<deployment id>/<step>/<attempt>`` (attempts count from 1)."""
    return f"{stream_prefix(deployment_id, step)}{int(attempt)}"


def _pieces(line: str, limit: int) -> Iterator[str]:
    """``line`` in pieces of at most ``limit`` UTF-8 bytes, never cutting a character in two."""
    data = line.encode("utf-8")
    while len(data) > limit:
        cut = limit
        while cut > 0 and (data[cut] & 0xC0) == 0x80:  # a continuation byte: step back to the character's start
            cut -= 1
        yield data[:cut].decode("utf-8")
        data = data[cut:]
    if data:
        yield data.decode("utf-8")


def events(lines: Iterable[str], *, timestamp: int, limit: int = MAX_EVENT_BYTES) -> list[dict]:
    """Log events for ``lines`` (each with its newline), all at ``timestamp`` (ms); long lines split.

    >>> [e["message"] for e in events(["ab\\n", "\\n", "ééé\\n"], timestamp=5, limit=4)]
    ['ab\\n', '\\n', 'éé', 'é\\n']
    """
    return [{"timestamp": int(timestamp), "message": piece} for line in lines for piece in _pieces(line, limit)]


def batches(pending: list[dict], *, max_events: int = MAX_BATCH_EVENTS,
            max_bytes: int = MAX_BATCH_BYTES) -> Iterator[list[dict]]:
    """``pending`` events cut into PutLogEvents calls that keep the count and size limits, in order.

    >>> evs = events(["x" * 10 + "\\n"] * 5, timestamp=1)
    >>> [len(b) for b in batches(evs, max_events=2)], [len(b) for b in batches(evs, max_bytes=80)]
    ([2, 2, 1], [2, 2, 1])
    """
    batch: list[dict] = []
    size = 0
    for event in pending:
        cost = len(event["message"].encode("utf-8")) + EVENT_OVERHEAD
        if batch and (len(batch) >= max_events or size + cost > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(event)
        size += cost
    if batch:
        yield batch


# -- reading -------------------------------------------------------------------------------------------------


def read_step_log(session, group: str | None, deployment_id: str, step: str) -> str | None:
    """The text of every run of ``step`` (attempt 1 first), or None when the step wrote no log.

    Raises :class:`~attini_sdk.errors.BackendError` when CloudWatch Logs cannot be read (no log group, no
    permission, no connection).
    """
    where = f"log group {group} ({session.describe()})"
    if not group:
        raise BackendError("this AWS backend names no runner log group, so step logs cannot be read",
                           where=f"the backend contract ({session.describe()})",
                           hint="update the backend (pulumi up with this attini_sdk's infra_pulumi)")
    logs = session.client("logs")
    try:
        streams = _attempt_streams(logs, group, stream_prefix(deployment_id, step))
        if not streams:
            return None
        return "".join(_stream_text(logs, group, name) for name in streams)
    except BackendError:
        raise
    except Exception as exc:
        if client_error_code(exc) is None and not type(exc).__module__.startswith(("botocore", "boto3")):
            raise
        raise _read_error(exc, where, step) from exc


def _attempt_streams(logs, group: str, prefix: str) -> list[str]:
    """The streams named ``<prefix><attempt>``, in the order of their attempts."""
    found: dict[int, str] = {}
    kwargs = {"logGroupName": group, "logStreamNamePrefix": prefix}
    while True:
        page = logs.describe_log_streams(**kwargs)
        for stream in page.get("logStreams", []):
            rest = stream["logStreamName"][len(prefix):]
            if rest.isdigit():  # "<deployment>/A/1", not "<deployment>/A/B/1" (the step "A/B")
                found[int(rest)] = stream["logStreamName"]
        if not page.get("nextToken"):
            return [found[attempt] for attempt in sorted(found)]
        kwargs["nextToken"] = page["nextToken"]


def _stream_text(logs, group: str, name: str) -> str:
    """A stream's messages from the first, page by page until the forward token stops changing."""
    parts: list[str] = []
    kwargs = {"logGroupName": group, "logStreamName": name, "startFromHead": True}
    while True:
        page = logs.get_log_events(**kwargs)
        parts.extend(event["message"] for event in page.get("events", []))
        token = page.get("nextForwardToken")
        if not token or token == kwargs.get("nextToken"):
            return "".join(parts)
        kwargs["nextToken"] = token


def _read_error(exc: BaseException, where: str, step: str) -> BackendError:
    code = client_error_code(exc)
    if code == "ResourceNotFoundException":
        return BackendError(f"cannot read the log of step '{step}': the runner's log group does not exist",
                            where=where, hint="update the backend (pulumi up) so that it creates the group")
    if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation"):
        return BackendError(f"not allowed to read the log of step '{step}'", where=where,
                            hint="use a role with the deployer policy (logs:DescribeLogStreams, logs:GetLogEvents)")
    return BackendError(f"cannot read the log of step '{step}' from CloudWatch Logs: {exc}", where=where,
                        hint="check your AWS credentials, region and endpoint")
