"""HTML for Jupyter: compact, no JavaScript, no CDN, readable in light and dark themes.

Colours are only used for status badges (white text on a mid-tone fill reads on both themes); text and
borders inherit the notebook's colours. Every renderer catches its own failures: a display never raises.

    >>> from attini_sdk.notebook import html
    >>> html.badge("failed")
    '<span class="attini-badge" style="background:#cf222e">failed</span>'
"""

from __future__ import annotations

import html as _html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from attini_sdk.artifacts.artifact import Artifact
    from attini_sdk.artifacts.distribution import Distribution
    from attini_sdk.deploy.deployment import Deployment
    from attini_sdk.deploy.environment import Environment

__all__ = ["STATUS_COLOURS", "artifact_html", "badge", "deployment_html", "distribution_html", "environment_html",
           "frame_html", "steps_html"]

#: status -> badge fill; mid-tones that carry white text on light and dark backgrounds alike
STATUS_COLOURS = {
    "succeeded": "#1a7f37", "failed": "#cf222e", "aborted": "#cf222e", "interrupted": "#9a6700",
    "waiting_approval": "#9a6700", "running": "#0969da", "pending": "#6e7781", "skipped": "#6e7781",
    "production": "#cf222e", "test": "#6e7781", "drift": "#9a6700",
}

_STYLE = ("<style>.attini-box{font-size:12px;line-height:1.4;max-width:60em}"
          ".attini-box table.attini{border-collapse:collapse;margin:4px 0}"
          ".attini-box table.attini th,.attini-box table.attini td{padding:2px 8px;text-align:left;"
          "border-bottom:1px solid rgba(127,127,127,.3);color:inherit;background:transparent}"
          ".attini-box table.attini th{font-weight:600}"
          ".attini-badge{color:#fff;border-radius:8px;padding:0 6px;font-size:11px;white-space:nowrap}"
          ".attini-muted{opacity:.65}.attini-box code{background:rgba(127,127,127,.15);padding:0 3px}"
          "</style>")


def esc(value: Any) -> str:
    """Text for HTML; missing values (None, NaN, NaT, NA) as an empty string."""
    if value is None:
        return ""
    try:
        if value != value:  # NaN, NaT
            return ""
    except (TypeError, ValueError):
        pass
    if type(value).__name__ in ("NAType", "NaTType"):
        return ""
    if type(value).__name__ == "Timedelta":
        return f"{value.total_seconds():.1f} s"
    if type(value).__name__ == "Timestamp":
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return _html.escape(str(value))


def badge(status: Any) -> str:
    """A coloured status label."""
    text = esc(status)
    colour = STATUS_COLOURS.get(text, "#0969da")
    return f'<span class="attini-badge" style="background:{colour}">{text}</span>'


def short_id(distribution_id: Any) -> str:
    """``sha256:`` and 12 hex digits, the full id on hover."""
    text = esc(distribution_id)
    return f'<code title="{text}">{text[:19]}</code>' if text else ""


def box(*parts: str) -> str:
    """Wrap parts in the styled container."""
    return f'<div class="attini-box">{_STYLE}{"".join(parts)}</div>'


def table(rows: Iterable[Sequence[str]], header: Sequence[str]) -> str:
    """An HTML table from cells that are already HTML."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="attini"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def frame_html(frame: pd.DataFrame, columns: Sequence[str] | None = None, *, max_rows: int = 30,
               status_columns: Sequence[str] = ("status",), id_columns: Sequence[str] = ("distribution_id",)) -> str:
    """A DataFrame as a compact table: statuses as badges, ids shortened, at most ``max_rows`` rows."""
    columns = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    rows = []
    for record in frame[columns].head(max_rows).to_dict("records"):
        rows.append([badge(record[c]) if c in status_columns and esc(record[c])
                     else short_id(record[c]) if c in id_columns else esc(record[c]) for c in columns])
    more = len(frame) - max_rows
    tail = f'<div class="attini-muted">… {more} more row(s)</div>' if more > 0 else ""
    return table(rows, columns) + tail


def _pairs(items: Iterable[tuple[str, str]]) -> str:
    return table(([f"<b>{esc(k)}</b>", v] for k, v in items), ())


def _mapping(values: Any) -> str:
    return ", ".join(f"{esc(k)}={esc(v)}" for k, v in dict(values or {}).items()) or '<span class="attini-muted">-</span>'


def _dependencies(deps: Iterable[Any]) -> str:
    return ", ".join(f"{esc(d.distribution_name)} {esc(d.version)}" for d in deps) or \
        '<span class="attini-muted">none</span>'


def _safe(render):
    def wrapped(obj):
        try:
            return render(obj)
        except Exception as err:  # a display must never fail: show what went wrong instead
            return box(f'<span class="attini-muted">{esc(type(obj).__name__)} (display failed: {esc(err)})</span>')
    wrapped.__doc__ = render.__doc__
    wrapped.__name__ = render.__name__
    return wrapped


@_safe
def distribution_html(dist: Distribution) -> str:
    """A Distribution: name, version, source folder, tags, dependencies, plan."""
    plan = "none" if dist.plan is None else esc(type(dist.plan).__name__)
    if dist.plan is None and dist.config is not None:
        plan = (f"<code>{esc(dist.config.plan)}</code>" if dist.config.plan
                else "from initDeployConfig" if dist.config.init_deploy else "none")
    return box(f"<b>Distribution {esc(dist.name)}</b> {esc(dist.version or '')}",
               _pairs([("source", f"<code>{esc(dist.source)}</code>"), ("tags", _mapping(dist.tags)),
                       ("dependencies", _dependencies(dist.dependencies)), ("plan", plan)]))


@_safe
def artifact_html(artifact: Artifact) -> str:
    """An Artifact: label, id, size, signature, tags, dependencies and the plan's steps."""
    files = artifact.manifest.files
    size = sum(f.size for f in files)
    plan = artifact.plan
    steps = ""
    if plan is not None:
        from attini_sdk.plan import PlanDefinition

        frame = PlanDefinition(plan).steps
        steps = "<div><b>plan</b></div>" + frame_html(frame, ["name", "type", "depends_on", "parent"])
    return box(f"<b>Artifact {esc(artifact.label)}</b> ",
               _pairs([("distribution id", short_id(artifact.id)), ("path", f"<code>{esc(artifact.path)}</code>"),
                       ("files", f"{len(files)} ({size:,} bytes)"),
                       ("signed", "yes" if artifact.signature is not None else "no"),
                       ("tags", _mapping(artifact.tags)), ("dependencies", _dependencies(artifact.dependencies))]),
               steps)


@_safe
def environment_html(env: Environment) -> str:
    """An Environment: name, type, backend and what runs there (its inventory), pending approvals."""
    record = env.record
    inventory = env.inventory()
    waiting = env.pending_approvals()
    parts = [f"<b>Environment {esc(env.name)}</b> {badge(record.type)} "
             f'<span class="attini-muted">{esc(env.backend)} backend, {esc(env.home)}</span>']
    if len(inventory):
        parts.append(frame_html(inventory, ["distribution", "version", "distribution_id", "revision", "status",
                                            "deployed_at", "deployed_by"]))
    else:
        parts.append('<div class="attini-muted">nothing deployed yet</div>')
    if len(waiting):
        parts.append("<div><b>waiting for approval</b></div>"
                     + frame_html(waiting, ["distribution", "revision", "step", "requested_at"]))
    return box(*parts)


def steps_html(steps: pd.DataFrame) -> str:
    """The steps of a deployment, in start order."""
    return frame_html(steps, ["step", "type", "status", "attempt", "duration", "error"], max_rows=200)


@_safe
def deployment_html(deployment: Deployment) -> str:
    """A Deployment: what ran where, its status and error, and its steps."""
    head = (f"<b>{esc(deployment.distribution)}</b> {esc(deployment.version or '')} → "
            f"<b>{esc(deployment.environment)}</b>, revision {deployment.revision} {badge(deployment.status)}")
    parts = [head, _pairs([("distribution id", short_id(deployment.distribution_id)),
                           ("started", esc(deployment.started_at)), ("finished", esc(deployment.finished_at)),
                           ("by", esc(deployment.deployed_by)), ("reason", esc(deployment.reason))])]
    if deployment.error:
        parts.append(f"<div><code>{esc(deployment.error)}</code> {esc((deployment.cause or '')[:500])}</div>")
    parts.append(steps_html(deployment.steps))
    return box(*parts)
