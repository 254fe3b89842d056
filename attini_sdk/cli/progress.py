"""The live view of a running deployment: one line per step with its status and duration.

On a terminal it is a rich table redrawn in place; otherwise (CI logs, pipes) each event is one plain
line, so logs stay readable, under a title line printed with the first step (a deployment refused before
any step ran shows its error alone). It is the ``progress=`` callback of ``Environment.deploy``::

    with StepProgress.start("app 0.3.0 -> dev") as view:
        env.deploy(artifact, progress=view)

Events are the deployment's dicts: ``event`` (``step_started``, ``step_succeeded``, ``step_failed``,
``step_skipped``, ``approval_waiting``, ``approval_decided`` with its ``decision``; ``notice`` with a
``message``, printed as one ``note:`` line) and ``step``; ``type`` (Attini's type name, ``AttiniCfn``; a
resource such as ``attini:cfn`` is shown the same way), ``error``, ``cause`` and
``duration`` (seconds) are shown when present. Events may come from several threads (Parallel branches run
concurrently).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import attrs

from attini_sdk.cli import output
from attini_sdk.cli.tables import STATUS_STYLES, seconds

__all__ = ["StepProgress", "StepLine", "type_name"]

_STARTED = {"started", "start", "running"}
_OPEN = ("running", "waiting_approval")  # not finished: no duration yet


def type_name(kind: object) -> str:
    """Attini's name for a step type given as its resource (``attini:runner`` -> ``AttiniRunnerJob``) or
    already as a name (events carry the name, :func:`attini_sdk.steps.type_name`); others unchanged.

    >>> type_name("attini:cfn"), type_name("AttiniCfn"), type_name("Pass")
    ('AttiniCfn', 'AttiniCfn', 'Pass')
    """
    from attini_sdk.steps import type_name as attini_name

    text = "" if kind is None else str(kind)
    return attini_name(text, text)


@attrs.define
class StepLine:
    """What the view knows about one step."""

    step: str
    type: str = ""
    status: str = "running"
    started: float = attrs.field(factory=time.monotonic)
    duration: float | None = None
    error: str = ""

    def elapsed(self) -> float:
        return self.duration if self.duration is not None else time.monotonic() - self.started


def _status(event: dict) -> str:
    raw = str(event.get("status") or event.get("event") or "").lower()
    if raw == "approval_waiting":
        return "waiting_approval"
    if raw == "approval_decided":
        return str(event.get("decision") or "approved")
    raw = raw.removeprefix("step_")
    return "running" if raw in _STARTED else raw or "running"


def _last_line(text: object) -> str:
    """One line for the view: a script's cause is its output; its last line usually says what broke."""
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


class StepProgress:
    """A ``progress`` callback that shows steps live (rich) or as plain lines (not a terminal)."""

    def __init__(self, title: str, *, live: bool):
        self.title = title
        self.lines: dict[str, StepLine] = {}
        self._lock = threading.Lock()
        self._titled = False
        self._live = None
        self._started = time.monotonic()
        if live:
            from rich.live import Live

            self._live = Live(get_renderable=self._render, console=output.console(), refresh_per_second=6,
                              transient=True, redirect_stderr=False)  # the final steps table replaces it

    @classmethod
    def start(cls, title: str) -> StepProgress:
        """A view for this terminal: live when stdout is an interactive terminal, plain lines otherwise."""
        live = sys.stdout.isatty()  # asked first: logs and pipes never load rich for the view
        if live:
            console = output.console()
            live = console.is_terminal and not console.is_dumb_terminal
        return cls(title, live=live)

    def __enter__(self) -> StepProgress:
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.stop()

    def __call__(self, event: dict[str, Any]) -> None:
        """Take one event from the deployment (any thread)."""
        if event.get("event") == "notice":
            self._notice(str(event.get("message") or ""))
            return
        step = str(event.get("step") or "")
        if not step:
            return
        status = _status(event)
        with self._lock:
            line = self.lines.get(step)
            if line is None or (status == "running" and line.status != "running"):
                line = self.lines[step] = StepLine(step, type=type_name(event.get("type")))
            line.type = type_name(event.get("type")) or line.type
            line.status = status
            if status not in _OPEN:
                given = event.get("duration")
                line.duration = float(given) if isinstance(given, (int, float)) else line.elapsed()
                line.error = ": ".join(_last_line(event[k]) for k in ("error", "cause") if event.get(k))
            if self._live is None:  # printed under the lock: lines of parallel branches never interleave
                text = self._plain(line)
                if not self._titled:
                    self._titled, text = True, f"{self.title}\n{text}"
                self._print(text)

    def _plain(self, line: StepLine) -> str:
        stamp = seconds(time.monotonic() - self._started)
        kind = f" ({line.type})" if line.type else ""
        if line.status == "running":
            return f"  [{stamp:>6}] {line.step}{kind} started"
        if line.status == "waiting_approval":
            return f"  [{stamp:>6}] {line.step}{kind} waiting for approval"
        tail = f" in {seconds(line.duration)}" if line.duration is not None else ""
        error = f" - {line.error}" if line.error else ""
        return f"  [{stamp:>6}] {line.step}{kind} {line.status}{tail}{error}"

    def _print(self, text: str) -> None:
        sys.stdout.write(f"{text}\n")  # one write per line: print() writes the newline separately
        sys.stdout.flush()

    def _notice(self, text: str) -> None:
        """A step's note for the person deploying (a runner's image not used here): one line above the view."""
        if self._live is not None:
            self._live.console.print(f"note: {text}", markup=False, highlight=False)
        else:
            self._print(f"  note: {text}")

    def _render(self):
        from rich.table import Table

        table = Table("step", "type", "status", "time", title=f"{self.title}  {seconds(time.monotonic() - self._started)}",
                      title_justify="left", box=None, padding=(0, 2))
        with self._lock:
            lines = list(self.lines.values())
        for line in lines:
            style = STATUS_STYLES.get(line.status, "")
            status = f"[{style}]{line.status}[/]" if style else line.status
            if line.status == "running":
                status = "[cyan]running…[/]"
            table.add_row(line.step, line.type, status + (f"  {line.error}" if line.error else ""),
                          seconds(line.elapsed()))
        return table
