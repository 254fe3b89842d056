"""Where attini_sdk keeps local data: ``$ATTINI_HOME`` (default ``~/.attini``).

    >>> cache_dir("packaging") == attini_home() / "cache" / "packaging"
    True
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["attini_home", "cache_dir", "owner_only", "private_dir"]

_UMASK_LOCK = threading.Lock()
_umask_depth = 0
_umask_saved = 0


def attini_home(home: str | os.PathLike | None = None) -> Path:
    """The local data folder: ``home`` if given, else ``$ATTINI_HOME``, else ``~/.attini``. Not created here.

    >>> str(attini_home("/tmp/x"))
    '/tmp/x'
    """
    if home is not None:
        return Path(home).expanduser()
    value = os.environ.get("ATTINI_HOME")
    return Path(value).expanduser() if value else Path.home() / ".attini"


def cache_dir(name: str) -> Path:
    """``$ATTINI_HOME/cache/<name>``; things in it can be deleted at any time."""
    return attini_home() / "cache" / name


@contextmanager
def owner_only() -> Iterator[None]:
    """Files and folders created inside the block are readable by their owner only (umask 077).

    Everything attini creates under ``$ATTINI_HOME`` is made this way: state, logs, work folders, artifacts
    and runner job folders may hold secrets or what was derived from them. The umask is the process's, so
    the block is kept short (the creating call only); nested and concurrent blocks share one setting, and a
    file another thread creates meanwhile is only ever made *more* private.

    >>> import tempfile, stat
    >>> with owner_only():
    ...     path = Path(tempfile.mkdtemp()) / "f"
    ...     _ = path.write_text("x")
    >>> oct(stat.S_IMODE(path.stat().st_mode))
    '0o600'
    """
    global _umask_depth, _umask_saved
    with _UMASK_LOCK:
        if _umask_depth == 0:
            _umask_saved = os.umask(0o077)
            os.umask(_umask_saved | 0o077)
        _umask_depth += 1
    try:
        yield
    finally:
        with _UMASK_LOCK:
            _umask_depth -= 1
            if _umask_depth == 0:
                os.umask(_umask_saved)


def private_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` (and missing parents) owner-only; an existing folder is made owner-only too.

    >>> import tempfile, stat
    >>> oct(stat.S_IMODE(private_dir(Path(tempfile.mkdtemp()) / "a" / "b").stat().st_mode))
    '0o700'
    """
    path = Path(path)
    with owner_only():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path
