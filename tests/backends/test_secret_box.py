"""Secret parameters are encrypted at rest: AES-256-GCM, a key only the owner can read (issue 13 point 2)."""

from __future__ import annotations

import json
import sqlite3
import stat
import threading

import pytest

from attini_sdk.backends.local import db
from attini_sdk.backends.local.secret_box import PREFIX, SecretBox
from attini_sdk.backends.local.state import SqliteStateStore
from attini_sdk.errors import BackendError

SECRET = "pa55-w0rd-c1ear-7e3"


def _raw_files(home) -> bytes:
    return b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())


def test_a_secret_parameter_is_in_no_byte_of_the_database_and_reads_back(tmp_path):
    with SqliteStateStore.open(tmp_path) as store:
        store.create_environment("dev")
        store.set_parameter("dev", "DbPassword", SECRET, secret=True)
        store.set_parameter("dev", "Pin", 918273645501, secret=True)
        store.set_parameter("dev", "LogLevel", "DEBUG")

        assert store.resolved_parameters("dev") == {"DbPassword": SECRET, "LogLevel": "DEBUG", "Pin": 918273645501}
        assert store.get_parameter("dev", "Pin").value == 918273645501
        assert {p.key: p.value for p in store.parameters("dev")}["DbPassword"] == "***"
        raw = _raw_files(tmp_path)
        assert SECRET.encode() not in raw and b"918273645501" not in raw
        assert b"DEBUG" in raw  # plain parameters stay plain
    key = tmp_path / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32


def test_rotating_a_secret_leaves_no_trace_of_the_old_value(tmp_path):
    with SqliteStateStore.open(tmp_path) as store:
        store.create_environment("dev")
        store.set_parameter("dev", "Token", "old-token-value-1", secret=False)
        store.set_parameter("dev", "Token", SECRET, secret=True)
        store.remove_parameter("dev", "Token")
        store.set_parameter("dev", "Token", "x", secret=True)
    with SqliteStateStore.open(tmp_path) as store:
        store.integrity_check()
    conn = sqlite3.connect(tmp_path / "state.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert SECRET.encode() not in _raw_files(tmp_path)


def test_secrets_stored_in_clear_by_an_older_version_are_sealed_on_open(tmp_path):
    with SqliteStateStore.open(tmp_path) as store:
        store.create_environment("dev")
    conn = db.connect(db.state_db_path(tmp_path))
    with db.transaction(conn):  # what a version before encryption at rest wrote
        conn.execute("INSERT INTO environment_parameters (environment, key, value, secret, updated_at) "
                     "VALUES ('dev', 'Old', ?, 1, 0)", (json.dumps(SECRET),))
    conn.close()

    with SqliteStateStore.open(tmp_path) as store:
        assert store.resolved_parameters("dev") == {"Old": SECRET}
        stored = store._conn().execute("SELECT value FROM environment_parameters").fetchone()[0]
    assert stored.startswith(PREFIX)
    assert SECRET.encode() not in _raw_files(tmp_path)


def test_a_sealed_value_opens_only_for_its_own_row_and_key(tmp_path):
    box = SecretBox(tmp_path)
    sealed = box.seal('"v"', "dev/A")
    assert box.seal('"v"', "dev/A") != sealed  # a fresh nonce every time
    with pytest.raises(BackendError, match="cannot be decrypted"):
        box.open(sealed, "dev/B")
    other = SecretBox(tmp_path / "elsewhere")
    with pytest.raises(BackendError) as failed:
        other.open(sealed, "dev/A")
    assert "set the parameter again" in failed.value.hint


def test_processes_creating_the_key_at_once_agree_on_one(tmp_path):
    boxes = [SecretBox(tmp_path) for _ in range(8)]
    sealed: list[str] = []
    threads = [threading.Thread(target=lambda b=b: sealed.append(b.seal('"x"', "e/k"))) for b in boxes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {SecretBox(tmp_path).open(s, "e/k") for s in sealed} == {'"x"'}
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]
