"""Processes of runner jobs: who they are (pid + start time), whether they live, how they are stopped.

A pid alone does not name a process for long: once it ends, the kernel hands the number to the next one.
A job is therefore recorded as ``(pid, start_ticks)``, the process's start time in clock ticks since boot
(field 22 of ``/proc/<pid>/stat``); the same pid with another start time is another process::

    >>> import os
    >>> me = identity(os.getpid())
    >>> me.pid == os.getpid() and is_alive(me)
    True
    >>> is_alive(ProcessIdentity(os.getpid(), (me.start_ticks or 0) + 1)) == (me.start_ticks is None)
    True

On a system without ``/proc`` the start time is None and only the pid is compared.
"""

from __future__ import annotations

import os
import signal
import time

import attrs

__all__ = ["ProcessIdentity", "identity", "start_ticks", "is_alive", "group_alive", "kill_group",
           "wait_gone"]


@attrs.frozen
class ProcessIdentity:
    """One process: its pid and (where the system says) its start time in clock ticks since boot.

    ``pgid`` is the process group its job runs in (the job guard's pid: the guard leads a new session).
    """

    pid: int
    start_ticks: int | None = None
    pgid: int | None = None


def start_ticks(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot, or None (no such process, no /proc).

    >>> start_ticks(os.getpid()) is None or start_ticks(os.getpid()) > 0
    True
    """
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces or parentheses: split after the last ")"
    fields = data[data.rfind(b")") + 2:].split()
    try:
        return int(fields[19])  # field 22 of the whole line
    except (IndexError, ValueError):
        return None


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rfind(b")") + 2:].split()[0].decode()


def identity(pid: int, pgid: int | None = None) -> ProcessIdentity:
    """The identity of the running process ``pid`` (its start time read now)."""
    return ProcessIdentity(int(pid), start_ticks(pid), pgid)


def is_alive(process: ProcessIdentity) -> bool:
    """True if the process recorded as ``process`` still runs (same pid, same start time; zombies are dead)."""
    try:
        os.kill(process.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, another user's: the start time decides
    if _state(process.pid) == "Z":
        return False
    if process.start_ticks is None:
        return True
    now = start_ticks(process.pid)
    return now is None or now == process.start_ticks


def group_alive(pgid: int) -> bool:
    """True while any process is in process group ``pgid``."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill_group(pgid: int, sig: int = signal.SIGKILL) -> bool:
    """Send ``sig`` to process group ``pgid``; False when the group is gone."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def wait_gone(process: ProcessIdentity, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for ``process`` (and its group, when known) to end; True if gone."""
    deadline = time.monotonic() + timeout
    while True:
        if not is_alive(process):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
