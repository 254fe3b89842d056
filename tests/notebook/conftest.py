"""Arrangements for the notebook surface: a private ATTINI_HOME with dev, acc and prod, Runner-only plans.

The distributions run shell steps in real subprocesses (no AWS), so widgets and plots are tested on a real
store; the notebooks themselves (tests/notebook/test_notebooks.py) run the example platform on moto.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import attini_sdk as at
from tests.cli.conftest import write_distribution


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "attini-home"
    monkeypatch.setenv("ATTINI_HOME", str(path))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    return path


@pytest.fixture
def src(tmp_path):
    """``src("hello", "1.0.0", broken=True)``: a distribution folder (see tests/cli/conftest.py)."""
    def make(name: str, version: str, **kwargs) -> Path:
        return write_distribution(tmp_path / "src", name, version, **kwargs)

    return make


@pytest.fixture
def envs(home):
    """dev and acc (test), prod (production), all empty."""
    return {"dev": at.Environment.create("dev", home=home), "acc": at.Environment.create("acc", home=home),
            "prod": at.Environment.create("prod", type="production", home=home)}


@pytest.fixture
def landscape(envs, src):
    """hello 1.0.0 -> 1.1.0 in dev, 1.0.0 in acc, nothing in prod; gate 1.0.0 everywhere but prod; a failed
    hello 1.2.0 in dev and a rollback there. Returns the environments."""
    dev, acc = envs["dev"], envs["acc"]
    for version in ("1.0.0", "1.1.0"):
        assert dev.deploy(src("hello", version)).status == "succeeded"
    acc.deploy(dev.deployment(1, "hello"))
    assert dev.deploy(src("hello", "1.2.0", broken=True)).status == "failed"
    assert dev.rollback("hello").status == "succeeded"
    for env in (dev, acc):
        assert env.deploy(src("gate", "1.0.0"), approve=True).status == "succeeded"
    return envs
