"""Runner jobs run under a guard: they die with their deployer, and nothing they start outlives them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from attini_sdk.steps.base import StepLog
from attini_sdk.steps.processes import ProcessIdentity, identity, is_alive
from attini_sdk.steps.runner_process import run_script


def _alive(pid: int) -> bool:
    return is_alive(ProcessIdentity(pid))


def _until(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


DEPLOYER = textwrap.dedent('''\
    import sys
    from pathlib import Path
    from attini_sdk.steps.base import StepLog
    from attini_sdk.steps.runner_process import run_script
    folder = Path(sys.argv[1])
    (folder / "src").mkdir(exist_ok=True)
    run_script(sys.argv[2], cwd=folder / "src", env={"PATH": "/usr/bin:/bin"}, log=StepLog(folder / "job.log"),
               timeout=600, cancelled=None)
''')


def _deployer(tmp_path: Path, script: str) -> subprocess.Popen:
    program = tmp_path / "deployer.py"
    program.write_text(DEPLOYER)
    return subprocess.Popen([sys.executable, str(program), str(tmp_path), script], start_new_session=True)


def test_a_job_dies_with_its_deployer_killed_with_sigkill_background_children_included(tmp_path):
    pids, effect = tmp_path / "pids", tmp_path / "effect"
    script = (f"sleep 300 & echo $! >> {pids}\n"
              f"echo $$ >> {pids}\n"
              f"sleep 3\necho ran >> {effect}\n")
    deployer = _deployer(tmp_path, script)
    _until(lambda: pids.exists() and len(pids.read_text().split()) == 2, "the job started")

    deployer.kill()  # kill -9: the deployer cannot clean up anything
    deployer.wait(30)
    job_pids = [int(p) for p in pids.read_text().split()]
    _until(lambda: not any(_alive(p) for p in job_pids), "the job and its background child die with the deployer")
    time.sleep(3.5)

    assert not effect.exists()  # the job never got to its side effect


def test_a_finished_job_leaves_nothing_running_in_its_group(tmp_path):
    pids = tmp_path / "pids"
    (tmp_path / "src").mkdir()
    outcome = run_script(f"sleep 300 &\necho $! > {pids}\necho done\n", cwd=tmp_path / "src",
                         env={"PATH": "/usr/bin:/bin"}, log=StepLog(tmp_path / "job.log"), timeout=60, cancelled=None)

    assert outcome.exit_code == 0 and "done" in outcome.tail
    _until(lambda: not _alive(int(pids.read_text())), "the background child is stopped with its job")


def test_the_job_reports_its_process_and_its_exit_code_passes_through(tmp_path):
    (tmp_path / "src").mkdir()
    seen = []

    outcome = run_script("exit 3\n", cwd=tmp_path / "src", env={"PATH": "/usr/bin:/bin"},
                         log=StepLog(tmp_path / "job.log"), timeout=60, cancelled=None,
                         on_job=lambda event, job: seen.append((event, job)))

    assert outcome.exit_code == 3
    assert [event for event, _ in seen] == ["started", "ended"]
    job = seen[0][1]
    assert job.pid == job.pgid and job.start_ticks is not None and not is_alive(job)


def test_a_recorded_process_is_recognised_by_pid_and_start_time():
    me = identity(os.getpid())

    assert is_alive(me)
    assert not is_alive(ProcessIdentity(me.pid, me.start_ticks + 1))  # same pid, another process
    process = subprocess.Popen(["sleep", "30"])
    recorded = identity(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not is_alive(recorded)
