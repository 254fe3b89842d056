"""Fixtures for plan tests: a private ATTINI_HOME so packaging caches never leak between tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def attini_home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("attini-home")
    monkeypatch.setenv("ATTINI_HOME", str(home))
    return home

