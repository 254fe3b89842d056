"""Ctrl-C during `attini deploy run`: one line, exit 1, no job left, resume without unlock, no step run twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from attini_sdk.steps.processes import ProcessIdentity, is_alive


def _until(condition, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_ctrl_c_stops_the_job_records_interrupted_and_resume_continues_without_unlock(attini, dists, tmp_path):
    attini("environment", "create", "dev", "--env-type", "test")
    effects, pidfile, again = tmp_path / "effects", tmp_path / "job.pid", tmp_path / "again"
    folder = dists("slow", "1.0.0", commands=[
        f"echo $$ > {pidfile}",
        f"[ -f {again} ] || sleep 30",
        f"echo work >> {effects}",
    ])
    # a terminal sends SIGINT to the foreground process group: here, the deployer's own group
    proc = subprocess.Popen([sys.executable, "-m", "attini_sdk", "deploy", "run", str(folder), "-e", "dev"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    _until(lambda: pidfile.exists() and pidfile.read_text().strip(), "the job runs")
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    job = int(pidfile.read_text())

    assert proc.returncode == 1, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == ["Interrupted: slow 1.0.0 revision 1 in 'dev' was interrupted; the steps that finished are kept "
                     "(continue it with: attini deploy resume -n slow -e dev)"]
    assert "Traceback" not in out + err
    assert not is_alive(ProcessIdentity(job))
    assert not effects.exists()  # the job was stopped before its side effect
    history = attini("deploy", "history", "-n", "slow", "--json").json()
    assert [(d["revision"], d["status"]) for d in history] == [(1, "interrupted")]

    again.touch()
    resumed = attini("deploy", "resume", "-n", "slow", "--json")  # no unlock first

    assert resumed.code == 0, resumed.err
    assert (resumed.json()["revision"], resumed.json()["status"]) == (1, "succeeded")
    assert effects.read_text().split() == ["work"]  # once: the killed run never got there
