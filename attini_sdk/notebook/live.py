"""The live deployment widget: progress over steps, the steps table, the running step's log, Approve/Abort.

    >>> deployment.watch()                     # doctest: +SKIP
    >>> env.deploy("examples/platform/app")    # in a notebook, shows the same widget while it runs  # doctest: +SKIP

A background thread polls the store every ``interval`` seconds (slower while the deployment waits for an
approval) and stops by itself when the deployment ends; :meth:`DeploymentWatcher.stop` ends it earlier. It
reads through the public :class:`~attini_sdk.deploy.deployment.Deployment` API only (``refresh``, ``steps``,
``logs``, ``pending_approvals``, ``approve``, ``abort``), so it works the same on every backend.
"""

from __future__ import annotations

import html as _html
import threading
from typing import TYPE_CHECKING

import ipywidgets as widgets

from attini_sdk.notebook import html

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.deploy.deployment import Deployment

__all__ = ["DeploymentWatcher", "FINAL", "plan_size"]

#: statuses after which a deployment never changes by itself
FINAL = frozenset({"succeeded", "failed", "aborted", "interrupted"})
_DONE_STEPS = ("succeeded", "skipped", "failed", "aborted")


def plan_size(deployment: Deployment) -> int | None:
    """How many states the deployment's plan has (branches included), or None when it cannot be read."""
    try:
        from attini_sdk.plan import PlanDefinition

        plan = deployment.artifact.plan
        return len(PlanDefinition(plan).state_names()) if plan else None
    except Exception:  # the artifact may be gone (retention): the bar then grows with the steps seen
        return None


class DeploymentWatcher(widgets.VBox):
    """A widget that follows one deployment until it ends (see :mod:`attini_sdk.notebook.live`).

    Attributes you can drive from code (tests do): ``approve_button``, ``abort_button``, ``step_picker``,
    ``message``; ``progress.value``/``progress.max`` count finished states over the plan's states.
    """

    def __init__(self, deployment: Deployment, *, interval: float = 0.5, waiting_interval: float = 2.0,
                 log_lines: int = 15, start: bool = True):
        self.deployment = deployment
        self.interval, self.waiting_interval, self.log_lines = interval, waiting_interval, log_lines
        self.size = plan_size(deployment)
        self.header = widgets.HTML()
        self.progress = widgets.IntProgress(min=0, max=self.size or 1, description="steps",
                                            layout=widgets.Layout(width="60%"))
        self.counter = widgets.Label()
        self.steps_view = widgets.HTML()
        self.log_view = widgets.HTML()
        self.step_picker = widgets.Dropdown(description="step", options=[])
        self.message = widgets.Text(placeholder="message (optional)")
        self.approve_button = widgets.Button(description="Approve", button_style="success", icon="check")
        self.abort_button = widgets.Button(description="Abort", button_style="danger", icon="times")
        self.approve_button.on_click(lambda _: self._answer("approve"))
        self.abort_button.on_click(lambda _: self._answer("abort"))
        self.approval = widgets.HBox([self.step_picker, self.message, self.approve_button, self.abort_button])
        self.notice = widgets.HTML()
        super().__init__([self.header, widgets.HBox([self.progress, self.counter]), self.approval, self.notice,
                          self.steps_view, self.log_view])
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.update()
        if start:
            self.start()

    # -- polling --------------------------------------------------------------------------------------------

    @property
    def polling(self) -> bool:
        """True while the background thread follows the deployment."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start following (again) unless the deployment already ended."""
        if self.polling or self.deployment.status in FINAL:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, daemon=True,
                                        name=f"attini-watch-{self.deployment.id}")
        self._thread.start()

    def stop(self) -> None:
        """Stop following; the widget keeps what it shows."""
        self._stop.set()
        self._wake.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the polling thread to end; True when it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.polling

    def _poll(self) -> None:
        while not self._stop.is_set():
            waiting = self.deployment.status == "waiting_approval"
            self._wake.wait(self.waiting_interval if waiting else self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.deployment.refresh()
                self.update()
            except Exception as err:  # the store is unreachable for a moment: say so, keep trying
                self.notice.value = f"<span class='attini-muted'>cannot read the deployment: {html.esc(err)}</span>"
            if self.deployment.status in FINAL:
                break

    # -- showing --------------------------------------------------------------------------------------------

    def update(self) -> None:
        """Show the deployment as last read (the polling thread calls this after each refresh)."""
        with self._guard:
            d = self.deployment
            steps = d.steps
            done = len({s for s, st in zip(steps["step"], steps["status"]) if str(st) in _DONE_STEPS})
            total = self.size or max(len(set(steps["step"])), 1)
            if d.status == "succeeded":
                done = total
            self.progress.max = total
            self.progress.value = min(done, total)
            self.progress.bar_style = {"succeeded": "success", "failed": "danger", "aborted": "danger",
                                       "interrupted": "warning", "waiting_approval": "warning"}.get(d.status, "info")
            self.counter.value = f"{min(done, total)}/{total}"
            error = (f" <code>{html.esc(d.error)}</code> {html.esc((d.cause or '')[:300])}" if d.error else "")
            self.header.value = html.box(f"<b>{html.esc(d.distribution)}</b> {html.esc(d.version or '')} → "
                                         f"<b>{html.esc(d.environment)}</b>, revision {d.revision} "
                                         f"{html.badge(d.status)}{error}")
            self.steps_view.value = html.box(html.steps_html(steps))
            self.log_view.value = self._log_html(steps)
            waiting = d.pending_approvals if d.status == "waiting_approval" else []
            if list(self.step_picker.options) != waiting:
                self.step_picker.options = waiting
            if waiting and self.step_picker.value not in waiting:
                self.step_picker.value = waiting[0]
            self.approval.layout.display = "flex" if waiting else "none"
            for button in (self.approve_button, self.abort_button):
                button.disabled = not waiting

    def _log_html(self, steps) -> str:
        if not len(steps):
            return ""
        running = steps[steps["status"].astype(str) == "running"]
        step = str((running if len(running) else steps)["step"].iloc[-1])
        try:
            lines = self.deployment.logs(step).splitlines()[-self.log_lines:]
        except Exception:
            return ""
        if not lines:
            return ""
        text = _html.escape("\n".join(lines))
        return (f"<div class='attini-box'><b>log of {_html.escape(step)}</b> (last {len(lines)} lines)"
                f"<pre style='max-height:16em;overflow:auto;font-size:11px;margin:2px 0'>{text}</pre></div>")

    def follow(self) -> Deployment:
        """Display this widget and block until the deployment ends or waits for an approval (what
        ``env.deploy(...)`` does in a notebook); the widget keeps following an approval it waits for."""
        from IPython.display import display

        display(self)
        self.deployment.wait()
        self.update()
        return self.deployment

    # -- answering ------------------------------------------------------------------------------------------

    def _answer(self, decision: str) -> None:
        step = self.step_picker.value
        if not step:
            return
        for button in (self.approve_button, self.abort_button):
            button.disabled = True
        message = self.message.value or None
        try:
            answer = self.deployment.approve if decision == "approve" else self.deployment.abort
            answer(step, message, wait=False)
            self.notice.value = html.esc(("approved " if decision == "approve" else "aborted ") + step)
        except Exception as err:  # e.g. someone else answered first: show it, keep following
            self.notice.value = f"<b>could not {decision} {html.esc(step)}:</b> {html.esc(err)}"
        self.deployment.refresh()
        self.update()
        self.start()
        self._wake.set()

