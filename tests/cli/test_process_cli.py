"""The real ``attini`` process: pipes, a terminal (pty), exit codes, a deployer killed mid-step."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .conftest import run_subprocess


@pytest.fixture
def dev(attini):
    attini("environment", "create", "dev", "--env-type", "test")
    return "dev"


def test_a_deployment_in_a_pipe_prints_plain_progress_lines(dists, dev):
    result = run_subprocess("deploy", "run", dists("hello", "1.0.0"), "-e", "dev")

    assert result.code == 0, result.err
    assert "Greet (AttiniRunnerJob) started" in result.out and "\x1b[" not in result.out


def test_a_failed_deployment_exits_1_with_one_message_and_no_traceback(dists, dev):
    result = run_subprocess("deploy", "run", dists("hello", "1.1.0", broken=True), "-e", "dev")

    assert result.code == 1
    assert result.err.startswith("Error: ") and "failed at step 'Check'" in result.err
    assert "Traceback" not in result.err


def test_debug_shows_the_traceback(dists, dev):
    result = run_subprocess("--debug", "deploy", "run", "no/such/folder", "-e", "dev")

    assert result.code == 1 and "Traceback" in result.err and "NotFoundError" in result.err


def test_the_production_question_reads_its_answer_from_a_pipe(attini, dists):
    attini("environment", "create", "prod")  # production: Attini's default type

    result = run_subprocess("deploy", "run", dists("hello", "1.0.0"), "-e", "prod", stdin="y\n")

    assert result.code == 0, result.err
    assert "current: nothing deployed" in result.err and "Continue? (Y/N)" in result.err


def _run_in_terminal(args: list[str], answer: bytes, timeout: float = 90) -> tuple[int, str]:
    """Run ``attini ARGS`` on a pseudo-terminal; type ``answer`` when it asks; return (exit code, screen)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: attini on the terminal
        os.environ.update(TERM="xterm-256color", COLUMNS="120")
        os.execv(sys.executable, [sys.executable, "-m", "attini_sdk", *args])
    screen, answered, deadline = b"", False, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
            if not answered and b"Continue? (Y/N)" in screen:
                os.write(fd, answer)
                answered = True
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), screen.decode(errors="replace")


def test_on_a_terminal_production_asks_and_the_steps_are_drawn_live(attini, dists):
    attini("environment", "create", "prod", "--env-type", "production")

    code, screen = _run_in_terminal(["deploy", "run", str(dists("hello", "1.0.0")), "-e", "prod"], b"y\n")

    assert code == 0, screen
    assert "Continue? (Y/N)" in screen
    assert "\x1b[" in screen  # drawn with terminal control sequences, not plain lines
    assert "Greet" in screen and "Check" in screen and "succeeded" in screen
    assert "(AttiniRunnerJob) started" not in screen  # the plain-line view is for pipes only


def test_on_a_terminal_no_means_nothing_is_deployed(attini, dists):
    attini("environment", "create", "prod", "--env-type", "production")

    code, screen = _run_in_terminal(["deploy", "run", str(dists("hello", "1.0.0")), "-e", "prod"], b"n\n")

    assert code == 1 and "Cancelled: nothing was deployed." in screen
    assert attini("deploy", "history", "-e", "prod", "--json").json() == []


def test_a_deployer_killed_mid_step_is_unlocked_and_resumed(attini, dists, dev, tmp_path):
    mark = tmp_path / "started"
    folder = dists("slow", "1.0.0", commands=[
        f'if [ -f "{mark}" ]; then echo resumed > "$ATTINI_OUTPUT"; else touch "{mark}"; sleep 60; fi'])
    proc = subprocess.Popen([sys.executable, "-m", "attini_sdk", "deploy", "run", str(folder), "-e", "dev"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for(mark, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the deployer and its runner job, like a crash
        proc.wait()

    unlocked = attini("deploy", "unlock", "-n", "slow")
    interrupted = attini("deploy", "history", "-n", "slow", "--json").json()[0]
    resumed = attini("deploy", "resume", "-n", "slow", "--json")

    assert unlocked.code == 0 and "Unlocked slow in dev" in unlocked.out
    assert interrupted["status"] == "interrupted"
    assert resumed.code == 0, resumed.err
    data = resumed.json()
    assert (data["revision"], data["status"]) == (1, "succeeded")
    assert [s["output"] for s in data["steps"] if s["step"] == "Work" and s["status"] == "succeeded"] == [
        {"result": "resumed"}]


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, "the deployer ended before its step started"
        assert time.monotonic() < deadline, "the step did not start"
        time.sleep(0.05)


def _wait_until_finished(attini, name: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        row = attini("deploy", "history", "-n", name, "--json").json()[0]
        if row["status"] not in ("pending", "running"):
            return row
        assert time.monotonic() < deadline, f"{name} still {row['status']}"
        time.sleep(0.1)


def test_no_wait_hands_the_deployment_to_a_detached_process(attini, dists, dev, tmp_path):
    gate = tmp_path / "go"
    folder = dists("bg", "1.0.0", commands=[f'while [ ! -f "{gate}" ]; do sleep 0.05; done', "echo done"])

    started = attini("deploy", "run", folder, "--no-wait")
    running = attini("deploy", "history", "-n", "bg", "--json").json()[0]
    gate.touch()  # this process is done with it; the detached deployer carries on
    finished = _wait_until_finished(attini, "bg")

    assert started.code == 0, started.err
    assert "Started bg 1.0.0 in dev: revision 1" in started.out
    assert "attini deploy describe -n bg -e dev --revision 1" in started.out
    assert running["status"] in ("pending", "running")
    assert finished["status"] == "succeeded"


def test_no_wait_reports_an_error_the_detached_process_met_before_starting(attini, dists, dev):
    result = attini("deploy", "run", dists("app", "1.0.0", needs={"hello": ">=1.0.0"}), "--no-wait")

    assert result.code == 1 and "hello" in result.err and "Traceback" not in result.err


def test_a_second_deploy_of_a_running_distribution_fails_fast_or_waits_for_the_lock(attini, dists, dev, tmp_path):
    gate = tmp_path / "go"
    hold = [f'while [ ! -f "{gate}" ]; do sleep 0.05; done']
    first = attini("deploy", "run", dists("svc", "1.0.0", commands=hold), "--no-wait", "--json").json()
    second = dists("svc", "1.1.0", commands=["echo second"])

    refused = attini("deploy", "run", second, "--json")
    releaser = threading.Timer(0.5, gate.touch)  # the first deployment ends while the next one waits
    releaser.start()
    waited = attini("deploy", "run", second, "--wait-for-lock", "60", "--json")
    releaser.join()

    assert first["status"] in ("pending", "running")
    assert refused.code == 1 and refused.json()["error"] == "LockError"
    assert str(os.getpid()) not in refused.json()["what"]  # the holder is the detached deployer, not us
    assert waited.code == 0, waited.err
    assert (waited.json()["revision"], waited.json()["status"]) == (2, "succeeded")
    assert _wait_until_finished(attini, "svc")["status"] == "succeeded"
    assert [r["status"] for r in attini("deploy", "history", "-n", "svc", "--json").json()] == [
        "succeeded", "succeeded"]


def test_the_process_closes_its_databases_before_it_exits(dists, home):
    """The ``attini`` process closes ``state.db`` itself before the heap is frozen for the exit (``cli.app.
    _before_exit``): SQLite checkpoints the WAL into the database as it does when the last connection closes,
    so a finished deployment's records are in ``state.db`` itself, not only in ``state.db-wal``. (Every
    command runs in its own process here: one open in this process would keep the WAL.)"""
    import sqlite3

    assert run_subprocess("environment", "create", "dev", "--env-type", "test").code == 0
    result = run_subprocess("deploy", "run", dists("hello", "1.0.0"), "-e", "dev")

    assert result.code == 0, result.err
    wal = home / "state.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    conn = sqlite3.connect(home / "state.db")
    try:
        assert conn.execute("SELECT status FROM deployments").fetchall() == [("succeeded",)]
    finally:
        conn.close()


def test_the_cli_called_in_a_process_leaves_its_heap_alone(attini, dists, dev):
    """``main(argv)`` from Python code (tests, notebooks) keeps running afterwards: no freeze, no closing."""
    import gc

    frozen = gc.get_freeze_count()

    assert attini("deploy", "run", str(dists("hello", "1.0.0")), "-e", "dev").code == 0
    assert gc.get_freeze_count() == frozen
