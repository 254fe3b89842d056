"""Fixtures for the hostile-input tests: a private $ATTINI_HOME and a test environment."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def home(tmp_path_factory, monkeypatch) -> Path:
    path = tmp_path_factory.mktemp("attini-home")
    monkeypatch.setenv("ATTINI_HOME", str(path))
    monkeypatch.delenv("ATTINI_DEBUG", raising=False)
    return path
