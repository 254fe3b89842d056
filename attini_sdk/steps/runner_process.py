"""Run one shell script as a job: live output to the step log, a deadline, cancellation.

The script runs under ``bash -eo pipefail`` in its own process group, led by a job guard
(:mod:`attini_sdk.steps.job_guard`), so a timeout or a cancellation stops everything it started, not
only bash, and the job dies with the deployer if the deployer dies first. ``on_job`` hears of the job
(``"started"`` with its :class:`~attini_sdk.steps.processes.ProcessIdentity`, then ``"ended"``) so that
the deployer can record it. ``launcher`` runs that bash somewhere else
(a container: ``docker run … IMAGE``); ``on_stop`` then also stops what the process group cannot reach::

    >>> import tempfile, pathlib
    >>> from attini_sdk.steps import job_guard
from attini_sdk.steps.base import StepLog
from attini_sdk.steps.processes import ProcessIdentity, identity
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> run_script("echo hello", cwd=d, env={"PATH": "/usr/bin:/bin"}, log=StepLog(d / "s.log"),
    ...            timeout=10, cancelled=None).exit_code
    0
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from attini_sdk.home import owner_only
from attini_sdk.steps import job_guard
from attini_sdk.steps.base import StepLog
from attini_sdk.steps.processes import ProcessIdentity, identity

__all__ = ["JobOutcome", "run_script", "KILL_GRACE_SECONDS"]

KILL_GRACE_SECONDS = 5.0
_POLL_SECONDS = 0.05


@attrs.frozen
class JobOutcome:
    """How a script ended: exit code, or stopped by its deadline or by cancellation.

    >>> JobOutcome(exit_code=0, tail=()).succeeded
    True
    """

    exit_code: int | None
    tail: tuple[str, ...]
    timed_out: bool = False
    cancelled: bool = False

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and not (self.timed_out or self.cancelled)


def _pump(stream, log: StepLog, tail: list[str]) -> None:
    """Copy the job's output to the log line by line, as it arrives."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        log.write(line)
        tail.append(line)
        del tail[:-50]
    stream.close()


def _stop_group(process: subprocess.Popen) -> None:
    """SIGTERM the job's process group, then SIGKILL whatever outlives the grace period."""
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_SECONDS), (signal.SIGKILL, KILL_GRACE_SECONDS)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_script(script: str, *, cwd: Path, env: dict[str, str], log: StepLog, timeout: float,
               cancelled: threading.Event | None, launcher: Sequence[str] = (),
               on_stop: Callable[[], None] | None = None,
               on_job: Callable[[str, ProcessIdentity], None] | None = None) -> JobOutcome:
    """Run ``script`` with ``bash -eo pipefail``; stdout and stderr interleave into ``log``.

    The script file is written next to ``cwd`` (in its parent folder); ``launcher`` is put before the
    ``bash`` command line, and ``on_stop`` is called after a timeout or a cancellation stopped it.
    """
    script_file = Path(cwd).parent / f"script-{os.getpid()}-{threading.get_ident()}.sh"
    with owner_only():
        script_file.write_text(script)
    watch, lifeline = os.pipe()  # the guard reads `watch`; only this process holds `lifeline`
    try:
        process = subprocess.Popen(
            job_guard.guard_command(watch, [*launcher, "bash", "-eo", "pipefail", str(script_file)],
                                    grace=KILL_GRACE_SECONDS),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=(watch,),
            preexec_fn=job_guard.parent_death_signal(),
        )
    except BaseException:
        os.close(lifeline)
        raise
    finally:
        os.close(watch)
    try:
        return _follow(process, script_file, log=log, timeout=timeout, cancelled=cancelled, on_stop=on_stop,
                       on_job=on_job)
    finally:
        os.close(lifeline)  # the job ended (or is being stopped): the guard needs no lifeline any more


def _follow(process: subprocess.Popen, script_file: Path, *, log: StepLog, timeout: float,
            cancelled: threading.Event | None, on_stop, on_job) -> JobOutcome:
    job = identity(process.pid, pgid=process.pid)
    if on_job is not None:
        try:
            on_job("started", job)
        except BaseException:
            _stop_group(process)
            raise
    tail: list[str] = []
    pump = threading.Thread(target=_pump, args=(process.stdout, log, tail), daemon=True)
    pump.start()
    deadline = time.monotonic() + timeout
    timed_out = was_cancelled = False
    while process.poll() is None:
        if cancelled is not None and cancelled.is_set():
            was_cancelled = True
        elif time.monotonic() >= deadline:
            timed_out = True
        if timed_out or was_cancelled:
            _stop_group(process)
            if on_stop is not None:
                on_stop()
            break
        try:
            process.wait(timeout=_POLL_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    # A background child that left the process group may hold the pipe open: do not wait forever.
    pump.join(timeout=KILL_GRACE_SECONDS)
    script_file.unlink(missing_ok=True)
    if on_job is not None:
        on_job("ended", job)
    return JobOutcome(exit_code=process.returncode, tail=tuple(tail), timed_out=timed_out,
                      cancelled=was_cancelled)
