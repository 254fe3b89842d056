"""The live step view: plain lines when stdout is not a terminal, a redrawn table when it is."""

from __future__ import annotations

import threading

from rich.console import Console

from attini_sdk.cli.progress import StepProgress


def test_without_a_terminal_each_event_is_one_plain_line(capsys):
    with StepProgress("app 1.0.0 → dev", live=False) as view:
        view({"event": "step_started", "step": "Greet", "type": "attini:runner", "attempt": 0})
        view({"event": "step_succeeded", "step": "Greet", "type": "attini:runner", "duration": 1.25})
        view({"event": "step_started", "step": "Check", "type": "attini:runner"})
        view({"event": "step_failed", "step": "Check", "type": "attini:runner", "error": "States.TaskFailed",
              "cause": "exit code 3"})

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "app 1.0.0 → dev"
    assert lines[1].endswith("Greet (AttiniRunnerJob) started")
    assert lines[2].endswith("Greet (AttiniRunnerJob) succeeded in 1.2s")
    assert "Check (AttiniRunnerJob) failed in" in lines[4] and lines[4].endswith("- States.TaskFailed: exit code 3")
    assert "\x1b[" not in "".join(lines)  # no terminal escapes in logs


def test_the_title_waits_for_the_first_step_so_a_refused_deployment_prints_none(capsys):
    with StepProgress("app 1.0.0 → dev", live=False):
        pass  # refused before any step: a dependency, a lock, a signature

    assert capsys.readouterr().out == ""


def test_a_skipped_step_shows_as_skipped(capsys):
    view = StepProgress("network 1.0.0 → dev", live=False)
    view({"event": "step_skipped", "step": "Network", "type": "attini:cfn", "duration": 0.0})

    assert capsys.readouterr().out.rstrip().endswith("Network (AttiniCfn) skipped in 0.0s")
    assert view.lines["Network"].status == "skipped"


def test_events_from_parallel_branches_are_all_kept(capsys):
    view = StepProgress("big → dev", live=False)

    def branch(i: int) -> None:
        view({"event": "step_started", "step": f"Stack{i}", "type": "attini:cfn"})
        view({"event": "step_succeeded", "step": f"Stack{i}", "type": "attini:cfn"})

    threads = [threading.Thread(target=branch, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert {line.status for line in view.lines.values()} == {"succeeded"}
    assert len(view.lines) == 20
    assert capsys.readouterr().out.count("succeeded in") == 20


def test_the_terminal_view_is_a_table_of_steps_with_status_and_time():
    view = StepProgress("app 1.0.0 → dev", live=False)
    view({"event": "step_started", "step": "Greet", "type": "attini:runner"})
    view({"event": "step_succeeded", "step": "Greet", "duration": 3.0})
    view({"event": "step_started", "step": "Approve", "type": "attini:approval"})
    view({"event": "approval_waiting", "step": "Approve", "type": "attini:approval"})
    console = Console(record=True, width=100, force_terminal=True)

    console.print(view._render())
    text = console.export_text()

    assert "app 1.0.0 → dev" in text
    assert "Greet" in text and "AttiniRunnerJob" in text and "succeeded" in text and "3.0s" in text
    assert "Approve" in text and "AttiniManualApproval" in text and "waiting_approval" in text


def test_a_step_that_runs_again_starts_a_fresh_line(capsys):
    view = StepProgress("app → dev", live=False)
    view({"event": "step_started", "step": "Check"})
    view({"event": "step_failed", "step": "Check", "duration": 1.0})
    view({"event": "step_started", "step": "Check"})  # a Retry

    assert view.lines["Check"].status == "running" and view.lines["Check"].duration is None


def test_an_approval_pause_and_decision_show_as_such(capsys):
    view = StepProgress("app → prod", live=False)
    view({"event": "step_started", "step": "Approve", "type": "attini:approval"})
    view({"event": "approval_waiting", "step": "Approve", "type": "attini:approval"})
    view({"event": "approval_decided", "step": "Approve", "type": "attini:approval", "decision": "aborted"})

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "app → prod"
    assert lines[2].endswith("Approve (AttiniManualApproval) waiting for approval")
    assert "Approve (AttiniManualApproval) aborted in" in lines[3]
