"""The local artifact store: zips by distribution id, deduplicated, written atomically."""

from __future__ import annotations

import io
import os

import pytest

from attini_sdk.backends.local.artifacts import FileArtifactStore
from attini_sdk.errors import ArtifactError, NotFoundError

APP = "sha256:" + "a" * 64
DB = "sha256:" + "d" * 64


@pytest.fixture
def artifacts(home):
    return FileArtifactStore.open()


def test_artifacts_live_under_attini_home_by_id(artifacts, home, tmp_path):
    zip_file = tmp_path / "app.zip"
    zip_file.write_bytes(b"PK app")
    path = artifacts.put(APP, zip_file)
    assert path == home / "artifacts" / ("a" * 64 + ".zip")
    assert artifacts.get(APP).read_bytes() == b"PK app"
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # owner-only, as everything under ATTINI_HOME


def test_put_accepts_bytes_paths_and_streams_and_lists_ids(artifacts, tmp_path):
    artifacts.put(DB, io.BytesIO(b"PK db"))
    artifacts.put(APP, b"PK app")
    assert artifacts.list() == [APP, DB]
    assert artifacts.has(DB) and artifacts.get(DB).read_bytes() == b"PK db"


def test_the_same_id_is_stored_once(artifacts):
    first = artifacts.put(APP, b"PK first")
    mtime = first.stat().st_mtime_ns
    second = artifacts.put(APP, b"PK second")
    assert second == first and first.read_bytes() == b"PK first" and first.stat().st_mtime_ns == mtime


def test_a_failed_write_leaves_nothing_behind(artifacts):
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            raise OSError("disk went away")

    with pytest.raises(OSError, match="disk went away"):
        artifacts.put(APP, Broken())
    assert not artifacts.has(APP)
    assert os.listdir(artifacts.root) == []


def test_delete_and_missing_artifacts(artifacts):
    artifacts.put(APP, b"PK")
    assert artifacts.delete(APP) is True
    assert artifacts.delete(APP) is False
    with pytest.raises(NotFoundError) as info:
        artifacts.get(APP)
    assert "retention" in info.value.hint
    assert FileArtifactStore.open("/nonexistent/attini").list() == []


def test_ids_are_validated(artifacts, tmp_path):
    for bad in ["abc", "sha256:XYZ", "sha256:" + "a" * 63, "../../etc/passwd"]:
        with pytest.raises(ArtifactError, match="is not a distribution id"):
            artifacts.put(bad, b"PK")
    with pytest.raises(NotFoundError, match="does not exist"):
        artifacts.put(APP, tmp_path / "missing.zip")
