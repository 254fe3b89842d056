"""Where attini_sdk keeps local data: ``$ATTINI_HOME`` (default ``~/.attini``).

    >>> cache_dir("packaging") == attini_home() / "cache" / "packaging"
    True
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["attini_home", "cache_dir"]


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
