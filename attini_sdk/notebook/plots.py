"""Pictures with matplotlib: a deployment's timeline, the landscape heatmap, an environment's history.

Each function returns a :class:`matplotlib.figure.Figure` (made without pyplot, so nothing is shown twice
and nothing depends on a GUI backend); Jupyter shows it as a PNG, ``fig.savefig("x.png")`` writes it, and
the CLI offers the same pictures as ``--plot FILE.png``::

    >>> fig = deployment.timeline()                          # doctest: +SKIP
    >>> fig = at.landscape_plot(["dev", "acc", "prod"])      # doctest: +SKIP
    >>> fig = at.Environment.local("acc").history_plot()     # doctest: +SKIP
    >>> fig.savefig("landscape.png")                         # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from attini_sdk.notebook.html import STATUS_COLOURS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from attini_sdk.deploy.deployment import Deployment
    from attini_sdk.deploy.environment import Environment

__all__ = ["history_figure", "history_plot", "landscape_figure", "landscape_plot", "timeline", "timeline_figure"]

_MISSING = "#8c959f"


def _new_figure(width: float, height: float) -> Figure:
    """A Figure outside pyplot; in a Jupyter kernel, make sure IPython shows it as a PNG."""
    from matplotlib.figure import Figure

    if "ipykernel" in sys.modules:
        _register_png_formatter(Figure)
    return Figure(figsize=(width, height), layout="constrained")


def _register_png_formatter(figure_type: type) -> None:
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import print_figure
    except ImportError:  # pragma: no cover - ipykernel always brings IPython
        return
    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    if figure_type not in formatter.type_printers:
        formatter.for_type(figure_type, lambda fig: print_figure(fig, "png", bbox_inches="tight"))


# -- timeline --------------------------------------------------------------------------------------------


def timeline(deployment: Deployment) -> Figure:
    """A Gantt chart of ``deployment``'s step runs, one row per step, bars coloured by status.

    Steps of parallel branches overlap in time, each on its own row; a retried step has one bar per attempt;
    a step still running ends at the time of drawing.
    """
    title = (f"{deployment.distribution} {deployment.version or ''} → {deployment.environment}, "
             f"revision {deployment.revision} ({deployment.status})")
    return timeline_figure(deployment.steps, title=title)


def timeline_figure(steps: pd.DataFrame, *, title: str = "") -> Figure:
    """The timeline of a steps DataFrame (columns step, status, started_at, finished_at): seconds since the
    first step started on the x axis, one row per step in the order they started."""
    from matplotlib.patches import Patch

    runs = steps[steps["started_at"].notna()]
    order: list[str] = []
    for name in runs.sort_values("started_at", kind="stable")["step"]:
        if name not in order:
            order.append(name)
    fig = _new_figure(9, 0.38 * max(len(order), 1) + 1.4)
    ax = fig.add_subplot()
    now = datetime.now(timezone.utc)
    origin = runs["started_at"].min() if len(runs) else None
    seen: dict[str, str] = {}
    for run in runs.to_dict("records"):
        start = (run["started_at"] - origin).total_seconds()
        end_time = now if _missing(run["finished_at"]) else run["finished_at"].to_pydatetime()
        end = (end_time - origin.to_pydatetime()).total_seconds()
        status = str(run["status"])
        colour = STATUS_COLOURS.get(status, "#0969da")
        seen[status] = colour
        row = len(order) - 1 - order.index(run["step"])
        ax.barh(row, max(end - start, 0.02), left=start, height=0.6, color=colour, edgecolor="none")
    ax.set_yticks(range(len(order)), list(reversed(order)))
    started = f" (started {origin:%Y-%m-%d %H:%M:%S} UTC)" if origin is not None else ""
    ax.set_xlabel("seconds since the first step started" + started)
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    if seen:
        ax.legend(handles=[Patch(color=c, label=s) for s, c in seen.items()], loc="lower right", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no step has started", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(title, fontsize=10)
    return fig


def _missing(value: Any) -> bool:
    return value is None or value != value or type(value).__name__ == "NaTType"


# -- landscape ------------------------------------------------------------------------------------------


def landscape_plot(envs: Iterable[Any] | None = None, home: str | os.PathLike | None = None) -> Figure:
    """A heatmap distribution × environment: the colour says how many versions a cell is behind the newest
    deployed anywhere (0: newest), grey where the distribution is not deployed; each cell shows its version.

    ``envs``: names or :class:`~attini_sdk.deploy.environment.Environment` objects, in the order to show
    (default: every local environment).

        >>> at.landscape_plot(["dev", "acc", "prod"]).savefig("landscape.png")     # doctest: +SKIP
    """
    from attini_sdk.deploy.environment import landscape

    frame = landscape(envs, home=home)
    names = [c for c in frame.columns if c not in ("distribution", "newest", "drift", "behind")]
    return landscape_figure(frame, names)


def versions_behind(frame: pd.DataFrame, names: list[str]) -> list[list[float]]:
    """For each row and environment: how many distinct versions (deployed anywhere) lie between the cell's and
    the newest; NaN where nothing is deployed."""
    from attini_sdk.deploy.frames import version_key

    out = []
    for record in frame.to_dict("records"):
        cells = [None if _missing(record[n]) else str(record[n]) for n in names]
        ladder = sorted({c for c in cells if c is not None} | {str(record["newest"])}, key=version_key, reverse=True)
        newest = ladder.index(str(record["newest"]))
        out.append([float("nan") if c is None else float(max(ladder.index(c) - newest, 0)) for c in cells])
    return out


def landscape_figure(frame: pd.DataFrame, names: list[str]) -> Figure:
    """The heatmap of a landscape DataFrame (``at.landscape(...)``) over the environment columns ``names``."""
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap

    behind = np.array(versions_behind(frame, names), dtype=float).reshape(len(frame), len(names))
    fig = _new_figure(1.6 * max(len(names), 1) + 2.4, 0.55 * max(len(frame), 1) + 1.4)
    ax = fig.add_subplot()
    # at least 2: one version behind is amber, not the red of the worst
    worst = max(np.nanmax(behind) if np.isfinite(behind).any() else 0, 2)
    cmap = LinearSegmentedColormap.from_list("behind", ["#2da44e", "#d4a72c", "#cf222e"]).with_extremes(bad=_MISSING)
    image = ax.imshow(np.ma.masked_invalid(behind), cmap=cmap, vmin=0, vmax=worst, aspect="auto")
    for i, record in enumerate(frame.to_dict("records")):
        for j, name in enumerate(names):
            text = "—" if _missing(record[name]) else str(record[name])
            ax.text(j, i, text, ha="center", va="center", color="white", fontsize=9, fontweight="bold")
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(frame)), list(frame["distribution"]))
    ax.xaxis.tick_top()
    colorbar = fig.colorbar(image, ax=ax, fraction=0.05)
    colorbar.set_label("versions behind the newest")
    colorbar.set_ticks(range(int(worst) + 1))
    ax.set_title("landscape: version per environment (grey: not deployed)", fontsize=10, pad=24)
    return fig


# -- history --------------------------------------------------------------------------------------------

#: marker kinds of the history plot: (label, marker, colour)
HISTORY_MARKERS = {
    "succeeded": ("succeeded", "o", STATUS_COLOURS["succeeded"]),
    "failed": ("failed / aborted", "X", STATUS_COLOURS["failed"]),
    "rollback": ("rollback", "D", "#8250df"),
    "other": ("running / waiting / interrupted", "s", STATUS_COLOURS["waiting_approval"]),
}


def history_kind(status: str, reason: Any) -> str:
    """Which marker a deployment gets: rollback (by its reason), succeeded, failed, or other."""
    if isinstance(reason, str) and reason.startswith("Rollback"):
        return "rollback"
    if status == "succeeded":
        return "succeeded"
    return "failed" if status in ("failed", "aborted") else "other"


def history_plot(env: Environment, distribution: str | None = None) -> Figure:
    """Deployments of ``env`` over time, one row per distribution: successes, failures and rollbacks marked,
    each annotated with its version.

        >>> at.Environment.local("acc").history_plot().savefig("history.png")     # doctest: +SKIP
    """
    return history_figure(env.history(distribution=distribution), title=f"deployments in {env.name}")


def history_figure(history: pd.DataFrame, *, title: str = "") -> Figure:
    """The picture of a history DataFrame (columns distribution, started_at, status, reason, version)."""
    from matplotlib.dates import DateFormatter

    frame = history[history["started_at"].notna()]
    names = sorted({str(d) for d in frame["distribution"]})
    fig = _new_figure(9, 0.5 * max(len(names), 1) + 1.6)
    ax = fig.add_subplot()
    records = frame.to_dict("records")
    for kind, (label, marker, colour) in HISTORY_MARKERS.items():
        mine = [r for r in records if history_kind(str(r["status"]), r["reason"]) == kind]
        if not mine:
            continue
        xs = [r["started_at"].to_pydatetime() for r in mine]
        ys = [names.index(str(r["distribution"])) for r in mine]
        ax.scatter(xs, ys, marker=marker, s=70, color=colour, label=label, zorder=3)
        for x, y, r in zip(xs, ys, mine):
            version = "" if _missing(r["version"]) else str(r["version"])
            ax.annotate(version, (x, y), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=7)
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(-0.6, max(len(names), 1) - 0.4)
    ax.xaxis.set_major_formatter(DateFormatter("%m-%d %H:%M:%S"))
    ax.set_xlabel("started (UTC)")
    ax.grid(axis="x", alpha=0.3)
    if records:
        ax.legend(loc="upper left", fontsize=8, bbox_to_anchor=(1.01, 1))
    else:
        ax.text(0.5, 0.5, "no deployments", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(title, fontsize=10)
    return fig
