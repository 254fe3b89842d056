"""Ship a running step's log file to CloudWatch Logs, so that it can be read (and tailed) from anywhere.

The step recorder writes the log file (secrets already written as ``***``); a :class:`LogShipper` reads what
was appended since the job started, every ``interval`` seconds while the step runs and once more when it ends,
and puts it into the stream :func:`~attini_sdk.backends.aws.step_logs.stream_name` of the runner's log group.
Only whole lines are sent while the step runs; the final flush sends the rest. Lines pass the secret redactor
once more on the way out: nothing that looks like a secret value leaves the runner.

A failure to ship never fails the step (the log is a convenience; the step's outcome is what matters): events
that could not be put are tried again at the next flush, and a missing log group turns shipping off::

    shipper = LogShipper(session.client("logs"), group, "d-1/Migrate/1", log_path, interval=5)
    shipper.start()
    ...                      # the step runs and writes its log
    shipper.close()          # the last lines, then stop
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection
from pathlib import Path

from attini_sdk.backends.aws.session import client_error_code
from attini_sdk.backends.aws.step_logs import batches, events
from attini_sdk.backends.redaction import Redactor

__all__ = ["LogShipper"]

log = logging.getLogger("attini.runner")


class LogShipper:
    """Sends the lines appended to ``path`` (from its size when created) to one CloudWatch Logs stream."""

    def __init__(self, client, group: str | None, stream: str, path: str | Path, *, interval: float = 5.0,
                 secret_values: Collection[str] = ()):
        self.client, self.group, self.stream, self.path = client, group, stream, Path(path)
        self.interval = interval
        self._redactor = Redactor(secret_values)
        self._offset = self.path.stat().st_size if self.path.is_file() else 0  # earlier attempts stay out
        self._pending: list[dict] = []
        self._created = False
        self._last_timestamp = 0
        self._guard = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name=f"log-{stream}")
        #: events put into the stream so far
        self.sent = 0

    def start(self) -> LogShipper:
        """Ship every ``interval`` seconds until :meth:`close`; a shipper without a group does nothing."""
        if self.group:
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop the periodic flushes and send everything the file holds now, partial last line included."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()
        if self.group:
            self.flush(final=True)

    def _loop(self) -> None:
        while not self._stopped.wait(self.interval):
            self.flush()

    def flush(self, *, final: bool = False) -> None:
        """Read what was appended and put it (and anything an earlier flush could not put) into the stream."""
        with self._guard:
            if not self.group:
                return
            self._pending.extend(self._new_events(final))
            try:
                self._send()
            except Exception as exc:  # never the step's problem: keep the events for the next flush
                missing = client_error_code(exc) == "ResourceNotFoundException"
                if missing and not self._created:  # creating the stream: the group itself is missing
                    log.warning("log group %s does not exist: the log of %s is not shipped", self.group, self.stream)
                    self.group, self._pending = None, []
                    return
                self._created = self._created and not missing  # a stream deleted meanwhile is created again
                log.warning("could not ship the log of %s: %s", self.stream, exc)

    def _new_events(self, final: bool) -> list[dict]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        if not final:
            data = data[:data.rfind(b"\n") + 1]  # whole lines only while the step may still be writing
        if not data:
            return []
        self._offset += len(data)
        lines = data.decode("utf-8", errors="replace").splitlines(keepends=True)
        # CloudWatch wants the events of one call in time order: never earlier than what went before
        self._last_timestamp = max(self._last_timestamp, int(time.time() * 1000))
        return events([self._redactor.text(line) for line in lines], timestamp=self._last_timestamp)

    def _send(self) -> None:
        if not self._pending:
            return
        if not self._created:
            try:
                self.client.create_log_stream(logGroupName=self.group, logStreamName=self.stream)
            except Exception as exc:
                if client_error_code(exc) != "ResourceAlreadyExistsException":  # a redelivered job: append
                    raise
            self._created = True
        for batch in list(batches(self._pending)):
            self.client.put_log_events(logGroupName=self.group, logStreamName=self.stream, logEvents=batch)
            del self._pending[:len(batch)]
            self.sent += len(batch)
