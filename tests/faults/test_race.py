"""The race harness, reduced: 4 processes x 8 random commands (deploy, approve, abort, rollback, read)
on one environment. The full run is ``python -m tests.faults.race_harness`` (docs/RELIABILITY.md, "Races")."""

from __future__ import annotations

from tests.faults.race_harness import run


def test_racing_deployers_approvers_rollbacks_and_readers_keep_every_invariant(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ATTINI_HOME", str(tmp_path / "home"))  # run() points ATTINI_HOME at its own home
    summary = run(workers=4, operations=8, seed=7, root=tmp_path)
    with capsys.disabled():
        print("\n" + summary.line())
    assert summary.problems == []
    assert summary.ok
    assert summary.operations == 32
    assert summary.succeeded > 0 and summary.refused > 0  # they did race: some commands lost
