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


def test_an_approval_answered_just_before_the_deployer_parks_is_delivered(tmp_path, monkeypatch, capsys):
    """The race the harness found: the approver records its answer, finds the lock held by the live deployer
    and leaves the answer to it; the deployer must not then park and exit without delivering it."""
    import json

    from attini_sdk.backends.local.orchestrator import LocalOrchestrator
    from attini_sdk.cli import main

    monkeypatch.setenv("ATTINI_HOME", str(tmp_path / "home"))
    src = tmp_path / "beta"
    src.mkdir()
    (src / "attini-config.yaml").write_text("distributionName: beta\nplan: plan.json\n")
    (src / "plan.json").write_text(json.dumps({"StartAt": "Approve", "States": {
        "Approve": {"Type": "AttiniManualApproval", "Next": "Done"}, "Done": {"Type": "Pass", "End": True}}}))
    original = LocalOrchestrator._pause

    def answered_in_the_window(self, run):
        for approval in self._approvals(run.deployment.id):
            if approval.pending:  # what `deploy continue` does before it finds the lock taken
                decided = self.state.decide_approval(run.deployment.id, approval.step, "approved", "late")
                self._finish_approval_run(run.deployment.id, approval.step, decided)
        return original(self, run)

    monkeypatch.setattr(LocalOrchestrator, "_pause", answered_in_the_window)
    assert main(["environment", "create", "dev", "-t", "test"]) == 0
    capsys.readouterr()
    assert main(["deploy", "run", str(src), "-e", "dev", "--yes", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded"
    assert [s["status"] for s in result["steps"]] == ["succeeded", "succeeded"]
