"""The state database: location, pragmas, schema versions and migrations, and indexed hot queries."""

from __future__ import annotations

import doctest
import importlib
import sqlite3
import stat
import subprocess
import sys

import pytest

from attini_sdk.backends.local import db
from attini_sdk.backends.local.state import SqliteStateStore
from attini_sdk.deploy import frames
from attini_sdk.errors import BackendError, ConflictError


def test_one_state_file_under_attini_home_readable_by_its_owner_only(store, home):
    assert store.path == home / "state.db"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_connections_use_wal_foreign_keys_and_a_busy_timeout(store):
    conn = store._conn()
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.execute("PRAGMA busy_timeout").fetchone() == (30_000,)
    assert conn.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL


def test_schema_version_is_recorded_and_reopening_migrates_nothing(home):
    SqliteStateStore.open(home).close()
    conn = db.connect(db.state_db_path(home))
    assert db.schema_version(conn) == db.LATEST_VERSION
    rows = conn.execute("SELECT version, description FROM schema_version").fetchall()
    assert [r[0] for r in rows] == [m[0] for m in db.MIGRATIONS]
    assert db.migrate(conn) == db.LATEST_VERSION
    assert conn.execute("SELECT count(*) FROM schema_version").fetchone() == (len(db.MIGRATIONS),)


def test_a_database_from_a_newer_attini_is_refused(home):
    path = db.state_db_path(home)
    SqliteStateStore.open(home).close()
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO schema_version VALUES (?, 'from the future', 0)", (db.LATEST_VERSION + 1,))
    raw.commit()
    raw.close()
    with pytest.raises(BackendError) as info:
        SqliteStateStore.open(home)
    assert "schema version" in str(info.value) and "upgrade attini_sdk" in info.value.hint


def test_migration_3_keeps_a_version_2_database_and_lets_artifacts_have_no_version(home):
    path = db.state_db_path(home)
    path.parent.mkdir(parents=True)
    old = sqlite3.connect(path, isolation_level=None)
    with db.transaction(old):  # the schema as attini_sdk with two migrations left it, with one deployment
        old.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                    "applied_at INTEGER NOT NULL)")
        for version, description, statements in db.MIGRATIONS[:2]:
            for statement in statements:
                old.execute(statement)
            old.execute("INSERT INTO schema_version VALUES (?, ?, 0)", (version, description))
        old.execute("INSERT INTO environments (name, type, created_at) VALUES ('dev', 'test', 0)")
        old.execute("INSERT INTO artifacts (distribution_id, distribution, version, recorded_at) "
                    "VALUES ('sha256:1', 'app', '1.0.0', 0)")
        old.execute("INSERT INTO deployments (id, environment, environment_key, distribution, revision, artifact, "
                    "status, started_at, finished_at, deployed_by) "
                    "VALUES ('d1', 'dev', 1, 'app', 1, 1, 'succeeded', 0, 1, 'me')")
        old.execute("INSERT INTO inventory VALUES ('dev', 'app', 'd1', 'd1')")
    assert [c[3] for c in old.execute("PRAGMA table_info(artifacts)") if c[1] == "version"] == [1]  # NOT NULL
    old.close()

    store = SqliteStateStore.open(home)
    versionless, lock = store.start_deployment("dev", "app", distribution_id="sha256:2", version=None)
    store.finish_deployment(versionless.id, "succeeded", lock=lock)

    conn = store._conn()
    assert db.schema_version(conn) == db.LATEST_VERSION
    assert (store.get_deployment("d1").version, store.get_deployment(versionless.id).version) == ("1.0.0", None)
    assert [c[3] for c in conn.execute("PRAGMA table_info(artifacts)") if c[1] == "version"] == [0]
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert frames.history(store, "dev")["revision"].tolist() == [2, 1]


def test_a_file_that_is_not_a_database_gives_a_clear_error(home):
    home.mkdir(parents=True)
    (home / "state.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(BackendError, match="cannot open the state database"):
        SqliteStateStore.open(home)


def test_a_failed_transaction_leaves_nothing(store):
    conn = store._conn()
    with pytest.raises(ZeroDivisionError):
        with db.transaction(conn):
            conn.execute("INSERT INTO environments (name, type, created_at) VALUES ('dev', 'test', 0)")
            1 / 0
    assert store.list_environments() == []


def test_the_schema_enforces_its_rules(store):
    conn = store._conn()
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO environments (name, type, created_at) VALUES ('x', 'staging', 0)")
    with pytest.raises(sqlite3.IntegrityError):  # foreign key: no such environment
        conn.execute("INSERT INTO environment_parameters VALUES ('ghost', 'k', '1', 0, 0)")


# -- every hot query uses an index -----------------------------------------------------------------------

_TABLES = ("deployments", "d", "c", "l", "step_runs", "s", "approvals", "a", "locks", "inventory", "i",
           "environment_parameters", "artifacts", "la", "ca", "outputs")
# full passes that are inherent to the question asked, not a missing index
_WHOLE_TABLE_OK = ("history of every environment", "retention over every distribution", "list environments")


def _plans(store, action):
    """Run ``action`` and return (sql, plan lines) for every SELECT it ran."""
    conn = store._conn()
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        action()
    finally:
        conn.set_trace_callback(None)
    out = []
    for sql in seen:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
            out.append((sql, plan))
    return out


def _unindexed(plan: list[str]) -> list[str]:
    bad = []
    for line in plan:
        words = line.split()
        if words[:1] == ["SCAN"] and words[1] in _TABLES and "USING" not in words:
            bad.append(line)
    return bad


@pytest.fixture
def busy(store, deploy):
    for env in ("dev", "acc"):
        store.create_environment(env)
        for dist in ("network", "database", "app"):
            for version in ("1.0.0", "1.1.0"):
                deploy(env, dist, version)
    d, lock = store.start_deployment("dev", "web", distribution_id="sha256:web", version="1.0.0")
    store.record_step_run(d.id, "Stack", "attini:cfn", "succeeded", fingerprint="fp", output={"a": 1})
    store.request_approval(d.id, "Approve", token="t")
    return d, lock


HOT = {
    "start a deployment (lock + revision + row)": lambda s, d, lk: s.start_deployment(
        "acc", "app", distribution_id="sha256:app-2", version="2.0.0"),
    "finish a deployment": lambda s, d, lk: s.finish_deployment(d.id, "succeeded", lock=lk),
    "history of one environment": lambda s, d, lk: frames.history(s, "dev"),
    "history of one distribution": lambda s, d, lk: frames.history(s, "dev", distribution="app", status="failed"),
    "history since": lambda s, d, lk: s.list_deployments("dev", since=d.started_at, limit=5),
    "history of every environment": lambda s, d, lk: frames.history(s),
    "inventory": lambda s, d, lk: frames.inventory(s, "dev"),
    "landscape": lambda s, d, lk: frames.landscape(s, ["dev", "acc"]),
    "steps": lambda s, d, lk: frames.steps(s, d),
    "current and latest": lambda s, d, lk: (s.current_deployment("dev", "app"), s.latest_deployment("dev", "app")),
    "successful deployments": lambda s, d, lk: s.successful_deployments("dev", "app"),
    "reusable step run": lambda s, d, lk: s.reusable_step_run("dev", "web", "Stack", "fp"),
    "pending approvals": lambda s, d, lk: s.pending_approvals("dev"),
    "mark interrupted": lambda s, d, lk: s.mark_interrupted("dev"),
    "remove environment refusal": lambda s, d, lk: pytest.raises(ConflictError, s.remove_environment, "dev"),
    "retention of one distribution": lambda s, d, lk: s.expired_artifacts("app"),
    "retention over every distribution": lambda s, d, lk: s.expired_artifacts(),
    "artifact in use": lambda s, d, lk: s.artifact_in_use("sha256:app-1.0.0"),
    "environment parameters": lambda s, d, lk: s.resolved_parameters("dev"),
    # the views the CLI prints (plain rows) and the lookups behind -e, -n, -i and --revision
    "history page as rows": lambda s, d, lk: s.history_table("dev", limit=2, arrays=False),
    "history page of one distribution as rows": lambda s, d, lk: s.history_table("dev", distribution="app",
                                                                                 limit=1, arrays=False),
    "history by status": lambda s, d, lk: s.history_table("dev", status="failed", limit=5),
    "inventory as rows": lambda s, d, lk: s.inventory_table("dev", arrays=False),
    "landscape as rows": lambda s, d, lk: s.landscape_table(["dev", "acc"], arrays=False),
    "steps as rows": lambda s, d, lk: s.steps_table(d.id, arrays=False),
    "environment counts": lambda s, d, lk: s.environment_counts(),
    "environment by name": lambda s, d, lk: s.get_environment("dev"),
    "deployment by id": lambda s, d, lk: s.get_deployment(d.id),
    "deployment by revision": lambda s, d, lk: s.find_deployment("dev", "app", 1),
    "deployments of an artifact id prefix": lambda s, d, lk: s.artifact_deployments("sha256:app", "dev", "app"),
}
# what the CLI runs on every command: not even a walk of an index over a whole table of the history
_NO_SCAN = ("history page as rows", "history page of one distribution as rows", "history by status",
            "inventory as rows", "landscape as rows", "steps as rows", "environment counts", "environment by name",
            "deployment by id", "deployment by revision", "deployments of an artifact id prefix",
            "history of one environment", "history of one distribution", "inventory", "landscape", "steps",
            "current and latest")
_HISTORY_TABLES = ("deployments", "d", "c", "l", "artifacts", "la", "ca", "step_runs", "s", "inventory", "i")


@pytest.mark.parametrize("name", list(HOT))
def test_hot_queries_use_indexes(store, busy, name):
    plans = _plans(store, lambda: HOT[name](store, *busy))
    assert plans, "the operation ran no query"
    if name in _WHOLE_TABLE_OK:
        return
    for sql, plan in plans:
        assert not _unindexed(plan), f"{name}: {sql}\n" + "\n".join(plan)


@pytest.mark.parametrize("name", _NO_SCAN)
def test_what_the_cli_reads_walks_no_history_table_whole(store, busy, name):
    for sql, plan in _plans(store, lambda: HOT[name](store, *busy)):
        scans = [line for line in plan if line.split()[:1] == ["SCAN"] and line.split()[1] in _HISTORY_TABLES]
        assert not scans, f"{name}: {sql}\n" + "\n".join(plan)


@pytest.mark.parametrize("name, expected", [
    ("history of one environment", "SEARCH d USING INDEX deployments_by_time (environment=?)"),
    ("history of one distribution", "(environment=? AND distribution=?)"),
    ("history since", "deployments_by_time (environment=? AND started_at>?)"),
    ("inventory", "SEARCH i USING PRIMARY KEY (environment=?)"),
    ("landscape", "SEARCH i USING PRIMARY KEY (environment=?)"),
    ("pending approvals", "SCAN a USING INDEX approvals_pending"),
    ("mark interrupted", "deployments_by_status (environment=? AND status=?)"),
    ("reusable step run", "step_runs_by_deployment (deployment_id=? AND step=?)"),
    ("history by status", "deployments_by_status (environment=? AND status=?)"),
    ("history page as rows", "SEARCH artifacts USING INTEGER PRIMARY KEY (rowid=?)"),
    ("history of one environment", "SEARCH artifacts USING INTEGER PRIMARY KEY (rowid=?)"),
    ("environment counts", "SEARCH i USING PRIMARY KEY (environment=?)"),
    ("deployments of an artifact id prefix", "(distribution_id>? AND distribution_id<?)"),
])
def test_the_big_queries_pick_the_narrowest_index(store, busy, name, expected):
    lines = [line for _, plan in _plans(store, lambda: HOT[name](store, *busy)) for line in plan]
    assert any(expected in line for line in lines), "\n".join(lines)


def test_history_of_every_environment_reads_in_index_order(store, busy):
    [(_, plan), *_] = [p for p in _plans(store, lambda: frames.history(store)) if "FROM deployments d" in p[0]]
    assert any("deployments_by_start" in line for line in plan), plan
    assert not any("TEMP B-TREE" in line for line in plan), plan


# -- the examples in docstrings run ------------------------------------------------------------------------

MODULES = ["attini_sdk.backends.records", "attini_sdk.backends.inputs", "attini_sdk.backends.base",
           "attini_sdk.backends.local.db", "attini_sdk.backends.local.locking",
           "attini_sdk.backends.local.artifacts", "attini_sdk.backends.local.state",
           "attini_sdk.backends.local.state_core", "attini_sdk.backends.local.state_environments",
           "attini_sdk.backends.local.state_deployments", "attini_sdk.backends.local.state_steps"]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module, home):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_processes_opening_a_new_database_at_once_migrate_it_once(tmp_path):
    code = ("import sys; from attini_sdk.backends.local.state import SqliteStateStore; "
            "SqliteStateStore.open(sys.argv[1])")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "home")], stderr=subprocess.PIPE)
             for _ in range(4)]
    for p in procs:
        assert p.wait(60) == 0, p.stderr.read()
    conn = db.connect(db.state_db_path(tmp_path / "home"))
    assert conn.execute("SELECT count(*) FROM schema_version").fetchone() == (len(db.MIGRATIONS),)
