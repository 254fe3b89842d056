"""A throwaway PostgreSQL server for tests: its own folder, a Unix socket only, password (SCRAM) authentication.

    with running_server() as server:            # ~1 s: initdb, then pg_ctl start
        url = server.url(server.create_database())
        server.query(url, "SELECT 1")            # '1'

It uses the server programs installed on the machine (``initdb``, ``pg_ctl``, ``postgres``; on this project's
machines Debian's postgresql package provides them); :func:`server_programs` says where, or None. PostgreSQL
refuses to run as root, so as root the server runs as the ``postgres`` (else ``nobody``) user. It listens on no
TCP port at all, so parallel test processes never collide.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

USER = "attini"
PASSWORD = "s3cret:p@ss/word"  # needs percent-encoding in a URL, as real passwords often do


def server_programs() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (PATH first, then /usr/lib/postgresql/<newest>/bin)."""
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major, reverse=True)]
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


def _major(path: str) -> int:
    version = Path(path).parent.name
    return int(version) if version.isdigit() else 0


class QueryFailed(Exception):
    """psql reported an error for a test's query (the message is psql's)."""


@dataclass(frozen=True)
class PostgresServer:
    """A running server whose socket lives in ``folder``; ``url(db)`` reaches database ``db`` as ``attini``."""

    folder: Path

    def url(self, database: str, *, password: bool = True) -> str:
        """``postgresql://attini:<password>@<socket folder>/<database>`` (libpq's URI; the host is percent-encoded)."""
        secret = f":{quote(PASSWORD, safe='')}" if password else ""
        return f"postgresql://{USER}{secret}@{quote(str(self.folder), safe='')}/{database}"

    def create_database(self) -> str:
        """A new, empty database with a unique name: one per test keeps tests independent."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.query(self.url("postgres"), f"CREATE DATABASE {name}")
        return name

    def query(self, url: str, sql: str) -> str:
        """Run ``sql`` with psql on ``url`` and return its unaligned, header-less output."""
        done = subprocess.run(["psql", "--no-psqlrc", "--quiet", "--tuples-only", "--no-align",
                               "--set=ON_ERROR_STOP=1", f"--dbname={url}", "--command", sql],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise QueryFailed(f"psql failed on {sql!r}: {done.stderr}")
        return done.stdout.strip()


@contextmanager
def running_server(programs: Path) -> Iterator[PostgresServer]:
    """Start a fresh server with the programs in ``programs``; stop it and remove its files afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="attini-pg-"))
    owner = _server_user()
    try:
        (folder / "pwfile").write_text(PASSWORD + "\n")
        if owner is not None:
            for path in (folder, folder / "pwfile"):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        _as(owner, [str(programs / "initdb"), "--pgdata", str(folder / "data"), "--username", USER,
                    "--pwfile", str(folder / "pwfile"), "--auth=scram-sha-256", "--encoding=UTF8",
                    "--locale=C", "--no-sync"], folder)
        options = (f"-c listen_addresses='' -c unix_socket_directories='{folder}' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        _as(owner, [str(programs / "pg_ctl"), "--pgdata", str(folder / "data"), "--log", str(folder / "log"),
                    "--wait", "--options", options, "start"], folder)
        yield PostgresServer(folder)
    finally:
        if (folder / "data" / "postmaster.pid").exists():
            _as(owner, [str(programs / "pg_ctl"), "--pgdata", str(folder / "data"), "--mode=immediate",
                        "--wait", "stop"], folder, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def _server_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL")


def _as(owner: pwd.struct_passwd | None, command: list[str], cwd: Path, *, check: bool = True) -> None:
    ids = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []} if owner else {}
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, **ids)
    if check and done.returncode != 0:
        log = (cwd / "log").read_text() if (cwd / "log").exists() else ""
        raise RuntimeError(f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr}{done.stdout}\n{log}")
