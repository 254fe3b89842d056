"""The database the environment names, and the few things the scripts do with it, for SQLite and PostgreSQL.

    DATABASE_URL=postgresql://user:password@host:5432/items   PostgreSQL, through the psql and pg_dump clients
    DATABASE_URL=sqlite:///var/lib/items.db                    that SQLite file
    DATABASE_URL empty or unset                                the SQLite file DATABASE_PATH (default items.db)

    >>> database_from_environment({"DATABASE_PATH": "/data/items.db"}).description
    'SQLite file /data/items.db'
    >>> database_from_environment({"DATABASE_URL": "postgresql://app:pw@db:5432/items"}).description
    'PostgreSQL database postgresql://app:***@db:5432/items'

Both kinds offer ``description``, ``applied()`` (version -> checksum, creating the bookkeeping table),
``apply(migration)`` (one transaction) and ``backup(label)``. The password of a PostgreSQL URL never reaches a
command line or a message: psql and pg_dump get it in ``PGPASSWORD``.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Union
from urllib.parse import unquote, urlsplit

from migration_files import BOOKKEEPING_TABLE, Migration, MigrationError

_SELECT_APPLIED = "SELECT version, checksum FROM schema_version ORDER BY version"


@dataclass(frozen=True)
class SqliteDatabase:
    """A SQLite file, reached with Python's sqlite3 module; its folder is created on first use.

        >>> SqliteDatabase(Path("/data/items.db")).description
        'SQLite file /data/items.db'
    """

    path: Path

    @property
    def description(self) -> str:
        """What the messages call this database."""
        return f"SQLite file {self.path}"

    def applied(self) -> dict[str, str]:
        """``{version: checksum}`` of the migrations recorded in ``schema_version``."""
        try:
            with closing(self._connect()) as db:
                db.execute(BOOKKEEPING_TABLE)
                return dict(db.execute(_SELECT_APPLIED).fetchall())
        except sqlite3.Error as err:
            raise MigrationError(f"cannot read schema_version from {self.description}: {err}") from None

    def apply(self, migration: Migration) -> None:
        """Run ``migration`` and record it, both or neither."""
        with closing(self._connect()) as db:
            try:
                db.executescript(migration.transaction_script())
            except sqlite3.Error as err:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise MigrationError(_failed(migration, self.description, str(err))) from None

    def backup(self, label: str) -> Path | None:
        """A consistent copy beside the file, ``items.db.before-<label>``; None while there is no file yet."""
        if not self.path.exists():
            return None
        target = self.path.with_name(f"{self.path.name}.before-{label}")
        partial = target.with_name(target.name + ".partial")
        try:
            with closing(sqlite3.connect(self.path)) as source, closing(sqlite3.connect(partial)) as copy:
                source.backup(copy)  # SQLite's online backup: a consistent copy even while others write
        except sqlite3.Error as err:
            partial.unlink(missing_ok=True)
            raise MigrationError(f"cannot back up {self.description} to {target}: {err}") from None
        os.replace(partial, target)
        return target

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: the transaction script's own BEGIN/COMMIT are the only transaction control.
            return sqlite3.connect(self.path, isolation_level=None)
        except (OSError, sqlite3.Error) as err:
            raise MigrationError(f"cannot open {self.description}: {err}; check DatabasePath") from None


@dataclass(frozen=True)
class PostgresDatabase:
    """A PostgreSQL database, reached with the ``psql`` and ``pg_dump`` clients.

    ``url`` carries no password (it is in ``password``); dumps go to ``backup_folder``.

        >>> db = PostgresDatabase.from_url("postgresql://app:s%40cret@db/items", Path("/backups"))
        >>> db.url, db.password
        ('postgresql://app@db/items', 's@cret')
    """

    url: str
    password: str | None
    backup_folder: Path

    @classmethod
    def from_url(cls, url: str, backup_folder: Path) -> PostgresDatabase:
        """Split the password out of ``url`` (libpq's URI form, percent-encoded parts kept as they are)."""
        scheme = url.split("://", 1)[0]
        netloc = urlsplit(url).netloc
        rest = url[len(scheme) + 3 + len(netloc):]
        userinfo, at, hostport = netloc.rpartition("@")
        user, colon, password = userinfo.partition(":")
        if not (at and colon):
            return cls(url, None, backup_folder)
        netloc = f"{user}@{hostport}" if user else hostport
        return cls(f"{scheme}://{netloc}{rest}", unquote(password), backup_folder)

    @property
    def description(self) -> str:
        """What the messages call this database: its URL, with any password shown as ``***``."""
        shown = self.url
        if self.password is not None:
            scheme, _, rest = shown.partition("://")
            user, at, host = rest.partition("@")
            shown = f"{scheme}://{user}:***@{host}" if at else f"{scheme}://:***@{rest}"
        return "PostgreSQL database " + re.sub(r"(?i)(password=)[^&#]*", r"\1***", shown)

    def applied(self) -> dict[str, str]:
        """``{version: checksum}`` of the migrations recorded in ``schema_version``."""
        out = self._psql("--tuples-only", "--no-align", "--field-separator=,",
                         "--command", BOOKKEEPING_TABLE, "--command", _SELECT_APPLIED,
                         doing="read schema_version from")
        rows = (line.split(",", 1) for line in out.splitlines() if line.strip())
        return {version: checksum for version, checksum in rows}

    def apply(self, migration: Migration) -> None:
        """Run ``migration`` and record it, both or neither (psql stops at the first error; the server rolls back)."""
        try:
            self._psql("--file=-", script=migration.transaction_script(), doing=f"apply {migration.name} to")
        except _ClientFailed as failed:
            # psql numbers lines of the whole script; the migration's own start two lines further down.
            message = re.sub(r"psql:<stdin>:(\d+):", lambda m: f"line {int(m.group(1)) - 2}:", failed.stderr)
            raise MigrationError(_failed(migration, self.description, message)) from None

    def backup(self, label: str) -> Path:
        """``pg_dump --format=custom`` to ``<backup_folder>/<dbname>.before-<label>.dump`` (pg_restore reads it)."""
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", unquote(urlsplit(self.url).path.lstrip("/"))) or "postgres"
        target = self.backup_folder / f"{name}.before-{label}.dump"
        partial = target.with_name(target.name + ".partial")
        try:
            self.backup_folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise MigrationError(f"cannot create the backup folder {self.backup_folder}: {err}; "
                                 "check DatabasePath (its folder holds the dumps)") from None
        try:
            self._run("pg_dump", ["--format=custom", f"--file={partial}"], doing=f"dump to {target}")
        except MigrationError:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, target)
        return target

    def _psql(self, *args: str, script: str | None = None, doing: str) -> str:
        # Quiet "relation already exists, skipping": only warnings and errors reach the step log. (A SET, not
        # PGOPTIONS, which connection poolers such as PgBouncer refuse.)
        return self._run("psql", ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
                                  "--command=SET client_min_messages = warning", *args], script=script, doing=doing)

    def _run(self, program: str, args: list[str], *, script: str | None = None, doing: str) -> str:
        command = [program, "--no-password", f"--dbname={self.url}", *args]
        try:
            done = subprocess.run(command, input=script, env=self._environment(), capture_output=True,
                                  text=True, check=False)
        except FileNotFoundError:
            raise MigrationError(
                f"{program}, the PostgreSQL client, is not on PATH and DATABASE_URL names {self.description}; "
                "install the PostgreSQL client where the runner runs (Debian: apt-get install postgresql-client), "
                "or leave the DatabaseUrl parameter empty to use the SQLite file") from None
        if done.returncode != 0:
            raise _ClientFailed(f"{program} could not {doing} {self.description}: {done.stderr.strip()}\n"
                                "Check the DatabaseUrl parameter (host, port, database, user, password) and that "
                                "the server accepts connections from here.", done.stderr.strip())
        return done.stdout

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("PGCONNECT_TIMEOUT", "10")
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env


class _ClientFailed(MigrationError):
    def __init__(self, message: str, stderr: str):
        super().__init__(message)
        self.stderr = stderr


Database = Union[SqliteDatabase, PostgresDatabase]


def database_from_environment(environ: Mapping[str, str]) -> Database:
    """The database ``DATABASE_URL`` names, else the SQLite file ``DATABASE_PATH`` (see the module docstring)."""
    path = Path(environ.get("DATABASE_PATH") or "items.db")
    url = (environ.get("DATABASE_URL") or "").strip()
    if not url:
        return SqliteDatabase(path)
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    try:
        if scheme in ("postgresql", "postgres") and url[len(scheme):].startswith("://"):
            return PostgresDatabase.from_url(url, backup_folder=path.parent)
        if scheme == "sqlite" and url.startswith("sqlite:///"):
            return SqliteDatabase(Path(unquote(urlsplit(url).path)))
        shown = PostgresDatabase.from_url(url, path.parent).description.removeprefix("PostgreSQL database ")
    except ValueError as err:  # urlsplit: e.g. an unbalanced '[' in the host
        raise MigrationError(f"DATABASE_URL (the environment parameter DatabaseUrl) is not a valid URL ({err}); "
                             "use postgresql://user:password@host:5432/dbname") from None
    raise MigrationError(
        f"DATABASE_URL (the environment parameter DatabaseUrl) is '{shown}', which names no database these "
        "scripts know; use postgresql://user:password@host:5432/dbname or sqlite:///absolute/path.db, "
        "or leave it empty to use the SQLite file DatabasePath")


def _failed(migration: Migration, database: str, error: str) -> str:
    return (f"{migration.name} failed on {database}: {error}\n"
            f"Nothing of {migration.name} was applied (its transaction was rolled back); the migrations before it "
            "stay applied. Fix the file and deploy again.")
