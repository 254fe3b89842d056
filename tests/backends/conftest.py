"""Fixtures for the local backend: a private ATTINI_HOME per test, a store in it, a clock tests can move."""

from __future__ import annotations

import time

import pytest

from attini_sdk.backends.local.state import SqliteStateStore


class Clock:
    """Unix seconds that only move when a test says so."""

    def __init__(self, start: float | None = None):
        self.now = float(int(time.time())) if start is None else start  # whole seconds: exact in floats

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTINI_HOME", str(tmp_path / "attini-home"))
    return tmp_path / "attini-home"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(home, clock):
    with SqliteStateStore.open(home, clock=clock) as s:
        yield s


@pytest.fixture
def deploy(store):
    """Run one whole deployment the way the deploy flow does: start (takes the lock), finish (releases it)."""

    def run(env, dist, version="1.0.0", status="succeeded", *, distribution_id=None, **kwargs):
        d, lock = store.start_deployment(env, dist, distribution_id=distribution_id or f"sha256:{dist}-{version}",
                                         version=version, **kwargs)
        return store.finish_deployment(d.id, status, lock=lock,
                                       error="States.TaskFailed" if status == "failed" else None)

    return run
