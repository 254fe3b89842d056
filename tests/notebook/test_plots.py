"""Pictures: each function returns a Figure with one bar per step run, one cell per (distribution, environment)
and one marker per deployment."""

from __future__ import annotations

import math

import attini_sdk as at
from attini_sdk.notebook import plots


def markers(ax) -> dict[str, int]:
    """legend label -> number of points drawn with it."""
    return {c.get_label(): len(c.get_offsets()) for c in ax.collections}


def test_the_timeline_has_a_bar_per_step_run_coloured_by_status(envs, src):
    deployment = envs["dev"].deploy(src("hello", "1.0.0", broken=True))
    steps = deployment.steps

    fig = deployment.timeline()

    ax = fig.axes[0]
    assert len(ax.patches) == int(steps["started_at"].notna().sum())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Check", "Greet"]  # first started on top
    colours = {p.get_facecolor()[:3] for p in ax.patches}
    assert len(colours) == 2  # Greet succeeded, Check failed
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"succeeded", "failed"}
    assert "revision 1 (failed)" in ax.get_title()


def test_parallel_branches_get_their_own_rows(envs, tmp_path):
    from attini_sdk.plan import Plan, Runner

    plan = Plan(Runner("Left", commands=["sleep 0.2"]), Runner("Right", commands=["sleep 0.2"]))
    folder = tmp_path / "par"
    folder.mkdir()
    deployment = envs["dev"].deploy(at.Distribution(folder, name="par", version="1.0.0", plan=plan))
    steps = deployment.steps

    ax = deployment.timeline().axes[0]

    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert {"Left", "Right"} <= set(rows) and len(rows) == len(set(steps["step"]))
    left, right = (steps[steps["step"] == name].iloc[0] for name in ("Left", "Right"))
    assert left["started_at"] < right["finished_at"] and right["started_at"] < left["finished_at"]  # overlap


def test_the_landscape_heatmap_has_a_cell_per_distribution_and_environment(landscape):
    fig = at.landscape_plot(["dev", "acc", "prod"], home=landscape["dev"].home)

    ax = fig.axes[0]
    cells = ax.images[0].get_array()
    assert cells.shape == (2, 3)  # gate, hello x dev, acc, prod
    assert [t.get_text() for t in ax.texts] == ["1.0.0", "1.0.0", "—", "1.1.0", "1.0.0", "—"]
    # hello: dev runs the newest (0 behind), acc one version behind, prod has none (masked, grey)
    assert cells[1, 0] == 0 and cells[1, 1] == 1 and cells.mask[1, 2]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["dev", "acc", "prod"]


def test_versions_behind_counts_distinct_versions_between():
    import pandas as pd

    frame = pd.DataFrame([{"distribution": "app", "a": "2.0.0", "b": "1.5.0", "c": "1.0.0", "d": None,
                           "newest": "2.0.0"}])

    [row] = plots.versions_behind(frame, ["a", "b", "c", "d"])

    assert row[:3] == [0.0, 1.0, 2.0] and math.isnan(row[3])


def test_the_history_plot_marks_each_deployment_failures_and_rollbacks(landscape):
    dev = landscape["dev"]
    history = dev.history()

    fig = dev.history_plot()

    counts = markers(fig.axes[0])
    assert sum(counts.values()) == len(history) == 5
    assert counts == {"succeeded": 3, "failed / aborted": 1, "rollback": 1}
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["gate", "hello"]


def test_a_figure_of_nothing_says_so(envs):
    fig = envs["prod"].history_plot()

    assert fig.axes[0].texts[0].get_text() == "no deployments"
