"""The database example's SQL migrations, run as its runner steps run them, on SQLite and on a real PostgreSQL.

Each test works on a copy of examples/platform/database (so it can add or change migrations) and its own
database: a SQLite file in the test's folder, or a fresh database on the throwaway server (conftest.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .postgres_server import PASSWORD, PostgresServer, QueryFailed

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "platform" / "database"


@dataclass(frozen=True)
class SqlDatabase:
    """Where the scripts are pointed (``env``) and a way to look inside (``rows``: tuples of text)."""

    kind: str
    env: dict[str, str]
    rows: Callable[[str], list[tuple[str, ...]]]


@pytest.fixture
def source(tmp_path) -> Path:
    """A copy of the example distribution, as a runner gets one."""
    return Path(shutil.copytree(EXAMPLE, tmp_path / "source", ignore=shutil.ignore_patterns("__pycache__")))


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path) -> SqlDatabase:
    path = tmp_path / "data" / "items.db"
    if request.param == "sqlite":
        def rows(sql):
            with sqlite3.connect(path) as db:
                return [tuple(str(v) for v in row) for row in db.execute(sql)]
        return SqlDatabase("sqlite", {"DATABASE_PATH": str(path), "DATABASE_URL": ""}, rows)
    return on_postgres(request.getfixturevalue("postgres"), path)


def on_postgres(server: PostgresServer, path: Path) -> SqlDatabase:
    """A fresh database on ``server``; ``path``'s folder receives the dumps (as DatabasePath's does)."""
    url = server.url(server.create_database())

    def rows(sql):
        return [tuple(line.split("|")) for line in server.query(url, sql).splitlines()]
    return SqlDatabase("postgres", {"DATABASE_PATH": str(path), "DATABASE_URL": url}, rows)


def run(script: str, source: Path, env: dict[str, str], **extra: str) -> subprocess.CompletedProcess:
    """``python3 scripts/<script>.py`` in ``source``, as the plan's runner step runs it."""
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_PATH")}
    environ.update({"ATTINI_DISTRIBUTION_VERSION": "1.2.0", **env, **extra})
    return subprocess.run([sys.executable, f"scripts/{script}.py"], cwd=source, env=environ,
                          capture_output=True, text=True, timeout=120)


def test_migrations_apply_in_order_exactly_once_and_are_recorded_with_checksums(source, database):
    first = run("migrate", source, database.env)
    again = run("migrate", source, database.env)

    assert (first.returncode, first.stdout) == (0, "002\n"), first.stderr
    assert first.stderr == "applied 001_create_items.sql\napplied 002_add_item_status.sql\n"
    assert (again.returncode, again.stdout, again.stderr) == (0, "002\n", "")  # nothing applied twice
    checksum = hashlib.sha256((source / "migrations" / "001_create_items.sql").read_bytes()).hexdigest()
    assert database.rows("SELECT version, name, checksum FROM schema_version ORDER BY version") == [
        ("001", "001_create_items.sql", checksum),
        ("002", "002_add_item_status.sql",
         hashlib.sha256((source / "migrations" / "002_add_item_status.sql").read_bytes()).hexdigest())]
    database.rows("INSERT INTO items (id, name) VALUES ('1', 'first')")
    assert database.rows("SELECT name, status FROM items") == [("first", "open")]


def test_a_failing_migration_leaves_nothing_of_itself_behind_and_runs_once_fixed(source, database):
    run("migrate", source, database.env)
    broken = source / "migrations" / "003_add_owners.sql"
    broken.write_text("CREATE TABLE owners (id TEXT PRIMARY KEY);\nINSERT INTO no_such_table VALUES ('x');\n")

    failed = run("migrate", source, database.env)

    assert failed.returncode == 2 and failed.stdout == ""
    assert "migrate: 003_add_owners.sql failed on" in failed.stderr and "no_such_table" in failed.stderr
    assert "Nothing of 003_add_owners.sql was applied (its transaction was rolled back)" in failed.stderr
    if database.kind == "postgres":
        assert "line 2: ERROR:" in failed.stderr  # the line in the migration file, not in the wrapped script
    assert database.rows("SELECT version FROM schema_version ORDER BY version") == [("001",), ("002",)]
    assert database.rows("SELECT count(*) FROM items") == [("0",)]
    with pytest.raises((QueryFailed, sqlite3.Error)):  # CREATE TABLE owners was rolled back too
        database.rows("SELECT * FROM owners")

    broken.write_text("CREATE TABLE owners (id TEXT PRIMARY KEY);\n")
    fixed = run("migrate", source, database.env)
    assert (fixed.returncode, fixed.stdout, fixed.stderr) == (0, "003\n", "applied 003_add_owners.sql\n")


def test_an_applied_migration_that_changed_stops_the_run_before_anything_changes(source, database):
    run("migrate", source, database.env)
    first = source / "migrations" / "001_create_items.sql"
    first.write_text(first.read_text() + "CREATE INDEX items_by_name ON items (name);\n")
    (source / "migrations" / "003_add_owners.sql").write_text("CREATE TABLE owners (id TEXT PRIMARY KEY);\n")

    refused = run("migrate", source, database.env)

    assert refused.returncode == 2
    assert "migrations/001_create_items.sql changed after it was applied to" in refused.stderr
    assert "put the change in a new migration with the next number" in refused.stderr
    assert database.rows("SELECT version FROM schema_version ORDER BY version") == [("001",), ("002",)]


def test_the_backup_step_copies_the_data_before_the_migrations_change_it(source, database, tmp_path):
    nothing_yet = run("backup", source, database.env)
    run("migrate", source, database.env)
    database.rows("INSERT INTO items (id, name) VALUES ('1', 'kept')")

    backup = run("backup", source, database.env)

    assert backup.returncode == 0, backup.stderr
    result = json.loads(backup.stdout)
    target = Path(result["backup"])
    if database.kind == "sqlite":
        assert json.loads(nothing_yet.stdout)["backup"] is None  # no file yet: nothing to copy
        assert target == tmp_path / "data" / "items.db.before-1.2.0"
        with sqlite3.connect(target) as copy:
            assert copy.execute("SELECT name FROM items").fetchall() == [("kept",)]
    else:
        assert nothing_yet.returncode == 0  # an empty database is dumped all the same
        assert target.parent == tmp_path / "data" and target.name.endswith(".before-1.2.0.dump")
        assert result["database"].startswith("PostgreSQL database postgresql://attini:***@")
        assert _restored_items(target, database) == "kept"


def _restored_items(dump: Path, database: SqlDatabase) -> str:
    """Restore ``dump`` into a fresh database on the same server and read the items back."""
    name = f"r_{uuid.uuid4().hex[:12]}"
    database.rows(f"CREATE DATABASE {name}")
    fresh = database.env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + name
    done = subprocess.run(["pg_restore", "--no-owner", f"--dbname={fresh}", str(dump)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = subprocess.run(["psql", "--no-psqlrc", "-At", f"--dbname={fresh}", "-c", "SELECT name FROM items"],
                         capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


def test_migrations_out_of_order_are_refused_naming_the_file(source, tmp_path):
    env = {"DATABASE_PATH": str(tmp_path / "items.db")}
    run("migrate", source, env)
    (source / "migrations" / "000_seed.sql").write_text("INSERT INTO items (id, name) VALUES ('0', 'seed');\n")

    refused = run("migrate", source, env)

    assert refused.returncode == 2
    assert "000_seed.sql not applied to SQLite file" in refused.stderr
    assert "migrations run in order; renumber it after 002" in refused.stderr


def test_after_a_rollback_to_an_older_distribution_newer_migrations_stay_applied(source, tmp_path):
    env = {"DATABASE_PATH": str(tmp_path / "items.db")}
    newer = Path(shutil.copytree(source, tmp_path / "newer"))
    (newer / "migrations" / "003_add_owners.sql").write_text("CREATE TABLE owners (id TEXT PRIMARY KEY);\n")
    run("migrate", newer, env)

    older = run("migrate", source, env)  # the 1.2.0 distribution knows 001 and 002 only

    assert (older.returncode, older.stdout) == (0, "003\n")
    assert "has migrations this distribution does not have (003); they stay applied" in older.stderr


@pytest.mark.parametrize(("name", "sql", "message"), [
    ("3_owners.sql", "SELECT 1;", "3_owners.sql: a migration is named NNN_name.sql"),
    ("003_owners.sql", "CREATE TABLE owners (id TEXT);\nCOMMIT;\n",
     "003_owners.sql: 'COMMIT' controls the transaction, which the migrate script does itself"),
    ("002_again.sql", "SELECT 1;", "002_again.sql: version 002 is taken by 002_add_item_status.sql"),
])
def test_migration_files_that_break_the_rules_are_refused_before_touching_the_database(source, tmp_path, name,
                                                                                         sql, message):
    (source / "migrations" / name).write_text(sql)

    refused = run("migrate", source, {"DATABASE_PATH": str(tmp_path / "items.db")})

    assert refused.returncode == 2 and message in refused.stderr
    assert not (tmp_path / "items.db").exists()


def test_the_password_reaches_psql_only_through_its_environment(source, postgres, tmp_path):
    database = on_postgres(postgres, tmp_path / "data" / "items.db")
    calls = tmp_path / "psql-calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    psql = bin_dir / "psql"  # writes down how it is called, then is the real psql
    psql.write_text(f'#!/bin/sh\necho "$*" | tr "\\n" " " >> {calls}\necho "PGPASSWORD=$PGPASSWORD" >> {calls}\n'
                    f'exec {shutil.which("psql")} "$@"\n')
    psql.chmod(0o755)
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"

    done = run("migrate", source, database.env, PATH=path)

    assert done.returncode == 0, done.stderr
    arguments, passwords = zip(*(line.rsplit("PGPASSWORD=", 1) for line in calls.read_text().splitlines()))
    assert len(arguments) == 3  # read schema_version, apply 001, apply 002
    assert set(passwords) == {PASSWORD} and not any(PASSWORD in a or "s3cret" in a for a in arguments)
    assert all("--dbname=postgresql://attini@" in a for a in arguments)

    wrong = run("migrate", source, {**database.env, "DATABASE_URL": database.env["DATABASE_URL"].replace(
        "s3cret", "guessed")})
    assert wrong.returncode == 2 and 'password authentication failed for user "attini"' in wrong.stderr
    assert "postgresql://attini:***@" in wrong.stderr and "guessed" not in wrong.stderr
    assert "Check the DatabaseUrl parameter (host, port, database, user, password)" in wrong.stderr


def test_a_database_url_of_another_kind_is_a_clear_error_that_hides_its_password(source):
    refused = run("migrate", source, {"DATABASE_URL": "mysql://app:hunter2@db:3306/items"})

    assert refused.returncode == 2 and "hunter2" not in refused.stderr
    assert "DATABASE_URL (the environment parameter DatabaseUrl) is 'mysql://app:***@db:3306/items'" in refused.stderr
    assert "use postgresql://user:password@host:5432/dbname" in refused.stderr


def test_without_the_postgres_client_the_error_says_what_to_install(source, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()

    refused = run("backup", source, {"DATABASE_URL": "postgresql://app@db/items"}, PATH=str(empty))

    assert refused.returncode == 2
    assert "pg_dump, the PostgreSQL client, is not on PATH" in refused.stderr
    assert "apt-get install postgresql-client" in refused.stderr


def test_a_sqlite_url_names_the_sqlite_file(source, tmp_path):
    db = tmp_path / "elsewhere" / "items.db"

    done = run("migrate", source, {"DATABASE_URL": f"sqlite://{db}", "DATABASE_PATH": str(tmp_path / "unused.db")})

    assert (done.returncode, done.stdout) == (0, "002\n") and db.exists()
    assert not (tmp_path / "unused.db").exists()


def test_the_scripts_examples_run(source):
    """The docstring examples of the scripts (standard-library doctest, run where the scripts live)."""
    scripts = sorted(p.name for p in (source / "scripts").glob("*.py"))
    done = subprocess.run([sys.executable, "-m", "doctest", *scripts], cwd=source / "scripts",
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert scripts == ["backup.py", "databases.py", "migrate.py", "migration_files.py"]


def test_a_migration_another_run_applies_meanwhile_is_skipped_not_failed(source, postgres, tmp_path):
    """Two migrators on one PostgreSQL database: the second waits on the first's bookkeeping row, then skips."""
    database = on_postgres(postgres, tmp_path / "data" / "items.db")
    run("migrate", source, database.env)
    (source / "migrations" / "003_add_owners.sql").write_text("CREATE TABLE owners (id TEXT PRIMARY KEY);\n")
    checksum = hashlib.sha256((source / "migrations" / "003_add_owners.sql").read_bytes()).hexdigest()
    other = subprocess.Popen(["psql", "--no-psqlrc", "--quiet", "-At", "--set=ON_ERROR_STOP=1",
                              f"--dbname={database.env['DATABASE_URL']}"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ours = None
    try:  # the other run is half-way through 003: its row written, not yet committed
        other.stdin.write("BEGIN;\nCREATE TABLE owners (id TEXT PRIMARY KEY);\nINSERT INTO schema_version "
                          f"(version, name, checksum) VALUES ('003', '003_add_owners.sql', '{checksum}');\n"
                          "SELECT 'ready';\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "ready"
        ours = subprocess.Popen([sys.executable, "scripts/migrate.py"], cwd=source, text=True,
                                env={**os.environ, **database.env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _wait_until_blocked(database)
        other.stdin.write("COMMIT;\n")
        other.stdin.close()
        out, err = ours.communicate(timeout=60)
    finally:
        for process in (p for p in (other, ours) if p is not None and p.poll() is None):
            process.kill()
            process.wait()

    assert (ours.returncode, out) == (0, "003\n"), err
    assert err == "skipped 003_add_owners.sql: applied meanwhile by another run\n"


def _wait_until_blocked(database: SqlDatabase, attempts: int = 600) -> None:
    """Until a session of this database waits for a lock (our migrator, on the other run's row)."""
    name = database.env["DATABASE_URL"].rsplit("/", 1)[1]
    for _ in range(attempts):
        waiting = database.rows("SELECT count(*) FROM pg_stat_activity "
                                f"WHERE datname = '{name}' AND wait_event_type = 'Lock'")
        if waiting == [("1",)]:
            return
        time.sleep(0.05)
    raise AssertionError("the migrator never waited for the other run's transaction")
