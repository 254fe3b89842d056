"""The (environment, distribution) deployment lock: rows, staleness and the errors users see.

A lock row names its holder (an ``owner`` token unique per acquisition, ``pid`` and ``host``), when it was
taken, its last heartbeat and when it expires. A lock is *stale* when its heartbeat expired, or when its
holder ran on this host and that process is gone. Stale locks are reported, never silently taken over::

    >>> from attini_sdk.backends.records import Lock
    >>> lock = Lock("dev", "app", owner="x", pid=2**22 + 12345, host=this_host(), expires_at=None)
    >>> stale_reason(lock, now_us=0)
    'its process (pid 4206649) is not running on this host'
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from attini_sdk.backends.records import Lock
from attini_sdk.errors import LockError

__all__ = [
    "LOCK_COLUMNS",
    "DEFAULT_LOCK_TTL",
    "this_host",
    "process_alive",
    "lock_from_row",
    "stale_reason",
    "lock_held_error",
]

#: seconds a lock lives without a heartbeat; the holder heartbeats well inside it
DEFAULT_LOCK_TTL = 60.0
LOCK_COLUMNS = ("environment, distribution, owner, pid, host, acquired_at, heartbeat_at, expires_at, "
                "deployment_id")


def this_host() -> str:
    """The name this machine records as lock holder and deployer.

    >>> isinstance(this_host(), str)
    True
    """
    if hasattr(os, "uname"):  # what gethostname() answers on POSIX, without loading the socket module
        return os.uname().nodename
    import socket

    return socket.gethostname()


def process_alive(pid: int) -> bool:
    """True if a process with ``pid`` exists on this host (a zombie counts as alive until reaped).

    >>> process_alive(os.getpid())
    True
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _dt(us: int | None) -> datetime | None:
    return None if us is None else datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc)


def lock_from_row(row: tuple) -> Lock:
    """Build a :class:`Lock` from a row selected with :data:`LOCK_COLUMNS`."""
    env, dist, owner, pid, host, acquired, beat, expires, deployment_id = row
    return Lock(env, dist, owner=owner, pid=pid, host=host, acquired_at=_dt(acquired),
                heartbeat_at=_dt(beat), expires_at=_dt(expires), deployment_id=deployment_id)


def stale_reason(lock: Lock, now_us: int) -> str | None:
    """Why ``lock`` is stale, or None when its holder may still be at work.

    Parked locks (a deployment waiting for approval with no process) never go stale.
    """
    if lock.parked:
        return None
    if lock.host == this_host() and lock.pid is not None and not process_alive(lock.pid):
        return f"its process (pid {lock.pid}) is not running on this host"
    if lock.expires_at is not None and lock.expires_at.timestamp() * 1_000_000 < now_us:
        return f"its heartbeat expired at {lock.expires_at.isoformat()}"
    return None


def lock_held_error(lock: Lock, stale: str | None, *, hint: str | None = None,
                    cli_hint: str | None = None) -> LockError:
    """The error a second deployer sees: who holds the lock, since when, and what to do (in Python's words
    and in the CLI's)."""
    where = f"environment '{lock.environment}', distribution '{lock.distribution}'"
    unlock = f"env.unlock('{lock.distribution}')"
    cli_unlock = f"attini deploy unlock -e {lock.environment} -n {lock.distribution}"
    if stale:
        err = LockError(
            f"'{lock.distribution}' is locked by a deployment that looks dead ({stale}); "
            f"held by {lock.describe()}",
            where=where,
            hint=f"recover it with {unlock} (its deployment becomes 'interrupted' and can be resumed)",
            cli_hint=f"recover it with: {cli_unlock} (its deployment becomes 'interrupted' and can be resumed)")
    else:
        err = LockError(
            f"'{lock.distribution}' is already being deployed to '{lock.environment}' by {lock.describe()}",
            where=where,
            hint=hint or f"wait for it to finish, or pass wait_for_lock=SECONDS to wait for it; if its holder "
                         f"is gone, {unlock}",
            cli_hint=cli_hint or "wait for it to finish, or add --wait-for-lock SECONDS to wait for it; if its "
                                 f"holder is gone: {cli_unlock}")
    err.lock = lock
    err.stale = stale
    return err
