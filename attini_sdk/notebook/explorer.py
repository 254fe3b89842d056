"""``at.explore(envs)``: an inventory explorer for Jupyter.

Pick an environment and a distribution; see the landscape (drift highlighted), the distribution's history
there, and act: **Diff** two revisions' artifacts, **Promote** the selected revision's artifact (by id) to
another environment, **Roll back** to the last good revision. Promote and roll back ask first: a Confirm
button for a test environment, the environment's name typed for a production one (the CLI's rule for
changing production). A started deployment is followed by the live widget of
:class:`~attini_sdk.notebook.live.DeploymentWatcher` below the buttons.

    >>> import attini_sdk as at
    >>> explorer = at.explore(["dev", "acc", "prod"])      # doctest: +SKIP
    >>> explorer                                           # shows the widget  # doctest: +SKIP

Everything goes through the public Environment/Deployment API, so it works on every backend.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from attini_sdk.notebook import html

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.deploy.deployment import Deployment
    from attini_sdk.deploy.environment import Environment

__all__ = ["Explorer", "explore"]

#: the explorer shows (and offers to diff or promote) this many of the newest deployments of a distribution
HISTORY_ROWS = 50
_DRIFT = "rgba(212,167,44,.35)"
_MISSING = "rgba(127,127,127,.18)"


def explore(envs: Iterable[Any] | None = None, home: str | os.PathLike | None = None) -> Explorer:
    """The inventory explorer over ``envs`` (names or Environment objects; default: every local environment).

    >>> at.explore(["dev", "acc", "prod"])     # doctest: +SKIP
    """
    return Explorer(envs, home=home)


def _environments(envs: Iterable[Any] | None, home) -> list[Environment]:
    from attini_sdk.deploy.environment import Environment, list_environments

    if envs is None:
        envs = list(list_environments(home)["name"])
    found = []
    for env in envs:
        found.append(env if isinstance(env, Environment) else Environment.existing(str(env), home=home))
    return found


class Explorer(widgets.VBox):
    """The widget of :func:`explore`. Its parts are attributes, so code (and tests) can drive it:
    ``env_picker``, ``dist_picker``, ``revision_picker``, ``compare_picker``, ``target_picker``, the buttons
    ``diff_button``, ``promote_button``, ``rollback_button``, ``confirm_button``, ``cancel_button``, the
    ``confirm_name`` text field, and ``last_deployment`` (the Deployment the last action started)."""

    def __init__(self, envs: Iterable[Any] | None = None, *, home: str | os.PathLike | None = None):
        self.environments = {env.name: env for env in _environments(envs, home)}
        names = list(self.environments)
        self.last_deployment: Deployment | None = None
        self._pending: tuple[str, Environment, Callable[[], Deployment]] | None = None
        self.env_picker = widgets.Dropdown(description="environment", options=names)
        self.dist_picker = widgets.Dropdown(description="distribution", options=[])
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.landscape_view = widgets.HTML()
        self.history_view = widgets.HTML()
        self.revision_picker = widgets.Dropdown(description="revision", options=[])
        self.compare_picker = widgets.Dropdown(description="compare with", options=[])
        self.diff_button = widgets.Button(description="Diff", icon="columns")
        self.target_picker = widgets.Dropdown(description="promote to", options=[])
        self.promote_button = widgets.Button(description="Promote", button_style="primary", icon="arrow-right")
        self.rollback_button = widgets.Button(description="Roll back", button_style="warning", icon="undo")
        self.question = widgets.HTML()
        self.confirm_name = widgets.Text(placeholder="type the environment's name")
        self.confirm_button = widgets.Button(description="Confirm", button_style="danger")
        self.cancel_button = widgets.Button(description="Cancel")
        self.confirm_box = widgets.VBox([self.question, widgets.HBox([self.confirm_name, self.confirm_button,
                                                                      self.cancel_button])])
        self.notice = widgets.HTML()
        self.result = widgets.VBox([])
        super().__init__([
            widgets.HBox([self.env_picker, self.dist_picker, self.refresh_button]),
            widgets.HTML("<b>landscape</b> (amber: not the newest artifact, grey: not deployed)"),
            self.landscape_view,
            self.history_view,
            widgets.HBox([self.revision_picker, self.compare_picker, self.diff_button]),
            widgets.HBox([self.target_picker, self.promote_button, self.rollback_button]),
            self.confirm_box, self.notice, self.result])
        self.env_picker.observe(lambda _: self._environment_changed(), names="value")
        self.dist_picker.observe(lambda _: self._distribution_changed(), names="value")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.diff_button.on_click(lambda _: self.diff())
        self.promote_button.on_click(lambda _: self.ask_promote())
        self.rollback_button.on_click(lambda _: self.ask_rollback())
        self.confirm_button.on_click(lambda _: self.confirm())
        self.cancel_button.on_click(lambda _: self.cancel())
        self.cancel()
        self.refresh()

    # -- what is selected -----------------------------------------------------------------------------------

    @property
    def environment(self) -> Environment | None:
        return self.environments.get(self.env_picker.value)

    @property
    def distribution(self) -> str | None:
        return self.dist_picker.value

    def refresh(self) -> None:
        """Read the store again: landscape, pickers, history."""
        from attini_sdk.deploy.environment import landscape

        envs = list(self.environments.values())
        frame = landscape(envs, home=envs[0].home if envs else None)
        self.landscape_view.value = html.box(_landscape_table(frame, list(self.environments)))
        self._landscape = frame
        self._environment_changed()

    def _environment_changed(self) -> None:
        env = self.environment
        names = sorted(set(env.inventory()["distribution"].astype(str))) if env is not None else []
        keep = self.dist_picker.value
        self.dist_picker.options = names
        self.dist_picker.value = keep if keep in names else (names[0] if names else None)
        keep = self.target_picker.value
        targets = [n for n in self.environments if n != self.env_picker.value]
        self.target_picker.options = targets
        self.target_picker.value = keep if keep in targets else (targets[0] if targets else None)
        self._distribution_changed()

    def _distribution_changed(self) -> None:
        env, name = self.environment, self.distribution
        if env is None or not name:
            self.history_view.value = html.box('<span class="attini-muted">nothing deployed here</span>')
            self.revision_picker.options = self.compare_picker.options = []
            return
        history = env.history(distribution=name, limit=HISTORY_ROWS)
        self.history_view.value = html.box(
            f"<b>history of {html.esc(name)} in {html.esc(env.name)}</b>",
            html.frame_html(history, ["revision", "version", "distribution_id", "status", "started_at",
                                      "duration", "reason", "error"]))
        choices = [(f"{r['revision']}: {html.esc(r['version']) or r['distribution_id'][:19]} ({r['status']})",
                    int(r["revision"])) for r in history.to_dict("records")]
        self.revision_picker.options = choices
        self.compare_picker.options = choices[1:] + choices[:1]
        if choices:  # the newest revision, compared with the one before it
            self.revision_picker.value = choices[0][1]
            self.compare_picker.value = (choices[1:] + choices[:1])[0][1]

    # -- diff -----------------------------------------------------------------------------------------------

    def diff(self):
        """Show what changed from the ``compare_picker`` revision's artifact to the ``revision_picker`` one's;
        returns the diff DataFrame."""
        env, name = self.environment, self.distribution
        if env is None or self.revision_picker.value is None or self.compare_picker.value is None:
            self.notice.value = "pick a distribution and two revisions first"
            return None
        try:
            old = env.deployment(int(self.compare_picker.value), name).artifact
            new = env.deployment(int(self.revision_picker.value), name).artifact
            frame = old.diff(new)
        except Exception as err:  # e.g. an artifact retention removed: say so in the widget
            self.notice.value = f"<b>cannot diff:</b> {html.esc(err)}"
            return None
        title = (f"<b>{html.esc(name)}: revision {self.compare_picker.value} → {self.revision_picker.value}</b> "
                 f"({len(frame)} change(s))")
        self.result.children = [widgets.HTML(html.box(title, html.frame_html(
            frame, ["kind", "name", "change", "old", "new"], max_rows=100, status_columns=())))]
        self.notice.value = ""
        return frame

    # -- changes, confirmed first ---------------------------------------------------------------------------

    def ask_promote(self) -> None:
        """Ask to deploy the selected revision's artifact to the ``target_picker`` environment."""
        env, name, revision = self.environment, self.distribution, self.revision_picker.value
        target = self.environments.get(self.target_picker.value)
        if env is None or not name or revision is None or target is None:
            self.notice.value = "pick a distribution, a revision and the environment to promote to"
            return
        source = env.deployment(int(revision), name)
        what = (f"deploy <b>{html.esc(source.label)}</b> ({html.short_id(source.distribution_id)}), revision "
                f"{revision} of {html.esc(env.name)}, to <b>{html.esc(target.name)}</b>")
        self._ask(what, target, lambda: target.deploy(source.distribution_id, wait=False,
                                                      reason=f"Promoted from {env.name} revision {revision}"))

    def ask_rollback(self) -> None:
        """Ask to roll the selected distribution back to its last good revision in the selected environment."""
        env, name = self.environment, self.distribution
        if env is None or not name:
            self.notice.value = "pick a distribution first"
            return
        what = f"roll <b>{html.esc(name)}</b> back to its last good revision in <b>{html.esc(env.name)}</b>"
        self._ask(what, env, lambda: env.rollback(name, wait=False))

    def _ask(self, what: str, target: Environment, action: Callable[[], Deployment]) -> None:
        production = target.is_production
        self._pending = (what, target, action)
        self.question.value = html.box(
            f"About to {what}. " + (f"{html.badge('production')} type <b>{html.esc(target.name)}</b> to confirm."
                                    if production else "Confirm?"))
        self.confirm_name.value = ""
        self.confirm_name.layout.display = "flex" if production else "none"
        self.confirm_box.layout.display = "flex"
        self.notice.value = ""

    def confirm(self) -> Deployment | None:
        """Run the change asked about (for production only when its name was typed); returns its Deployment."""
        if self._pending is None:
            return None
        what, target, action = self._pending
        if target.is_production and self.confirm_name.value.strip() != target.name:
            self.notice.value = (f"'{html.esc(target.name)}' is a production environment: type its name to "
                                 "confirm, or Cancel")
            return None
        self.cancel()
        try:
            deployment = action()
        except Exception as err:  # an AttiniError says what, where and what to do: show all of it
            self.notice.value = f"<b>refused:</b> {html.esc(err)}"
            return None
        from attini_sdk.notebook.live import DeploymentWatcher

        self.last_deployment = deployment
        self.notice.value = f"started: {html.esc(repr(deployment))}"
        self.result.children = [DeploymentWatcher(deployment)]
        return deployment

    def cancel(self) -> None:
        """Forget the change asked about."""
        self._pending = None
        self.confirm_box.layout.display = "none"


def _landscape_table(frame, names: list[str]) -> str:
    """The landscape with each cell that is not the newest artifact shaded (drift), missing ones grey."""
    rows = []
    for record in frame.to_dict("records"):
        behind = set(record["behind"] or [])
        cells = [f"<b>{html.esc(record['distribution'])}</b>"]
        for name in names:
            text = html.esc(record.get(name))
            colour = _MISSING if not text else _DRIFT if name in behind else ""
            style = f' style="background:{colour}"' if colour else ""
            cells.append(f"<span{style}>{text or '—'}</span>")
        cells.append(html.esc(record["newest"]))
        cells.append(html.badge("drift") if record["drift"] else "")
        rows.append(cells)
    return html.table(rows, ["distribution", *names, "newest", "drift"])
