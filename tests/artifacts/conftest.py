"""Fixtures for artifact tests: a private ATTINI_HOME and a small distribution folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.trees import network_project


@pytest.fixture(autouse=True)
def attini_home(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own $ATTINI_HOME, so caches never leak between tests."""
    home = tmp_path_factory.mktemp("attini-home")
    monkeypatch.setenv("ATTINI_HOME", str(home))
    return home


@pytest.fixture
def project(tmp_path) -> Path:
    """The small ``network`` distribution folder of :func:`tests.trees.network_project`."""
    return network_project(tmp_path)
