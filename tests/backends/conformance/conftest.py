"""The state store protocol, run against BOTH stores: SQLite (local) and DynamoDB (AWS, on moto).

Every test in this folder takes the ``store`` fixture, which is parametrized: each test runs once per store.
The behaviour tests of ``tests/backends/`` that speak only the protocol are collected here again (see
``test_protocol.py``), so the two stores keep one contract.
"""

from __future__ import annotations

import pytest

from attini_sdk.backends.local.state import SqliteStateStore
from tests.backends.conftest import Clock

STORES = ("sqlite", "dynamo")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTINI_HOME", str(tmp_path / "attini-home"))
    return tmp_path / "attini-home"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def aws(monkeypatch):
    """An in-process moto account (no network), with fake credentials."""
    from moto import mock_aws

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "eu-west-1"), ("AWS_REGION", "eu-west-1")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


def dynamo_store(clock, bucket: str = "attini-artifacts"):
    from attini_sdk.backends.aws.session import AwsSession
    from attini_sdk.backends.aws.state import DynamoStateStore

    session = AwsSession(region="eu-west-1")
    session.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return DynamoStateStore.create(session, "attini-state", bucket=bucket, clock=clock)


@pytest.fixture(params=STORES)
def store(request, home, clock):
    if request.param == "sqlite":
        with SqliteStateStore.open(home, clock=clock) as s:
            yield s
    else:
        request.getfixturevalue("aws")
        yield dynamo_store(clock)


@pytest.fixture
def deploy(store):
    """Run one whole deployment the way the deploy flow does: start (takes the lock), finish (releases it)."""

    def run(env, dist, version="1.0.0", status="succeeded", *, distribution_id=None, **kwargs):
        d, lock = store.start_deployment(env, dist, distribution_id=distribution_id or f"sha256:{dist}-{version}",
                                         version=version, **kwargs)
        return store.finish_deployment(d.id, status, lock=lock,
                                       error="States.TaskFailed" if status == "failed" else None)

    return run


def raw_text(store) -> str:
    """Everything the store keeps, as text: to check that no secret value was written anywhere."""
    if isinstance(store, SqliteStateStore):
        return "\n".join(store._conn().iterdump())
    return "\n".join(repr(item) for item in store.scan_items())


def hand_lock_to(store, lock, pid):
    """As if another process on this host had taken ``lock``: rewrite its pid where the store keeps it."""
    if isinstance(store, SqliteStateStore):
        store._conn().execute("UPDATE locks SET pid = ? WHERE owner = ?", (pid, lock.owner))
        return
    from attini_sdk.backends.aws import items

    store._update(items.lock_key(lock.environment, lock.distribution), "SET #pid = :pid", {":pid": pid},
                  names={"#pid": "pid"})


@pytest.fixture(autouse=True)
def store_neutral_lock_handover(monkeypatch):
    """The lock tests of tests/backends hand a lock to a dead pid through SQL; here through either store."""
    import tests.backends.test_locks as lock_tests

    monkeypatch.setattr(lock_tests, "_hand_lock_to", hand_lock_to)
