"""The job guard: a small supervisor between the deployer and a runner job, so that jobs die with it.

The deployer starts ``python job_guard.py FD GRACE -- bash -eo pipefail script.sh`` in a new session (the
guard leads a process group; the job and everything it starts run in that group). The guard

- runs the job and exits with its exit code (``128 + n`` when a signal ``n`` ended it);
- watches the read end ``FD`` of a pipe whose write end only the deployer holds: end of file means the
  deployer died (``kill -9``, an OOM kill, a cancelled CI job), and the guard stops the job's whole group;
- is also told by the kernel (Linux ``PR_SET_PDEATHSIG``, set before it starts) with ``SIGTERM`` when the
  thread that started it dies;
- on ``SIGTERM`` (from the deployer: a timeout, a cancellation, Ctrl-C) stops the job the same way:
  ``SIGTERM`` to the group, ``SIGKILL`` to whatever is left after ``GRACE`` seconds;
- after the job ends, stops what it left behind in the group (a background ``sleep &``): nothing a job
  started outlives it.

This file imports only the standard library and runs as a script (never ``import attini_sdk``), so a guard
costs one small interpreter. :func:`guard_command` builds its command line::

    >>> guard_command(5, ["bash", "-c", "true"], grace=2.0)[-6:]
    ['5', '2.0', '--', 'bash', '-c', 'true']
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

__all__ = ["guard_command", "parent_death_signal", "main"]

_POLL = 0.05


def guard_command(fd: int, command: list[str], *, grace: float) -> list[str]:
    """The command line that runs ``command`` under a guard watching pipe ``fd``."""
    return [sys.executable, "-I", os.path.abspath(__file__), str(fd), str(float(grace)), "--", *command]


_prctl = None


def parent_death_signal(sig: int = signal.SIGTERM):
    """A ``preexec_fn`` asking Linux to send ``sig`` to the child when the thread that forked it dies.

    libc is loaded here, in the parent (loading it between fork and exec could deadlock); elsewhere than on
    Linux the function does nothing and the pipe alone guards.

    >>> callable(parent_death_signal())
    True
    """
    global _prctl
    if _prctl is None and sys.platform.startswith("linux"):
        try:
            import ctypes

            _prctl = ctypes.CDLL(None, use_errno=True).prctl
        except Exception:  # pragma: no cover - no libc: the pipe still guards
            _prctl = False
    prctl = _prctl

    def preexec() -> None:
        if prctl:
            prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG = 1

    return preexec


class _Guard:
    def __init__(self, fd: int, grace: float, command: list[str]):
        self.fd = fd
        self.grace = grace
        self.command = command
        self.stop = threading.Event()
        self.group = os.getpgid(0)

    def watch_pipe(self) -> None:
        try:
            while os.read(self.fd, 64):
                pass
        except OSError:
            pass
        self.stop.set()  # end of file: the deployer is gone

    def on_signal(self, signum, frame) -> None:
        self.stop.set()

    def kill_group(self, child: subprocess.Popen | None) -> None:
        """SIGTERM the group (not this guard), SIGKILL it (this guard too) if anything outlives the grace."""
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            os.killpg(self.group, signal.SIGTERM)
        except OSError:
            return
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline:
            if child is not None and child.poll() is None:
                time.sleep(_POLL)
                continue
            if not self._others_alive():
                return
            time.sleep(_POLL)
        try:
            os.killpg(self.group, signal.SIGKILL)  # ends this guard as well
        except OSError:
            pass

    def _others_alive(self) -> bool:
        """True while a process other than this guard is in the group (read from /proc; without /proc: False,
        so only the job itself is waited for)."""
        me = os.getpid()
        try:
            names = os.listdir("/proc")
        except OSError:
            return False
        for name in names:
            if not name.isdigit() or int(name) == me:
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    data = f.read()
            except OSError:
                continue
            fields = data[data.rfind(b")") + 2:].split()
            if len(fields) > 2 and fields[0] != b"Z" and int(fields[2]) == self.group:
                return True
        return False

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the deployer's to handle
        signal.signal(signal.SIGHUP, self.on_signal)
        threading.Thread(target=self.watch_pipe, daemon=True).start()
        if os.getppid() == 1:  # the deployer died before the kernel could be told to signal us
            self.stop.set()
        if self.stop.is_set():
            return 143
        child = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                 preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        while True:
            if self.stop.is_set():
                self.kill_group(child)
                child.wait()
                return 143
            try:
                code = child.wait(timeout=_POLL)
                break
            except subprocess.TimeoutExpired:
                continue
        if self._others_alive():  # background leftovers of the job
            self.kill_group(None)
        return 128 - code if code < 0 else code


def main(argv: list[str]) -> int:
    """``job_guard.py FD GRACE -- COMMAND...``: run COMMAND as described in the module docstring."""
    if len(argv) < 4 or argv[2] != "--":
        sys.stderr.write("usage: job_guard.py FD GRACE -- COMMAND...\n")
        return 2
    return _Guard(int(argv[0]), float(argv[1]), argv[3:]).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
