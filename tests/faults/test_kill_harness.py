"""The kill harness in its reduced form (a few seeded kills, both modes); `make soak` runs 200."""

from __future__ import annotations

import pytest

from tests.faults import kill_harness


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTINI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ATTINI_TEST_PAUSE_AT", raising=False)


def test_a_few_seeded_kills_leave_an_intact_resumable_state_and_no_step_runs_twice(tmp_path):
    summary = kill_harness.run(kills=4, seed=7, root=tmp_path / "harness")

    assert summary.kills == 4
    assert summary.problems == []
    assert (summary.integrity_failures, summary.double_runs, summary.mismatches, summary.orphans) == (0, 0, 0, 0)
    assert summary.line().startswith("kills=4 resumes=")
