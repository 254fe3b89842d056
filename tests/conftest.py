"""Settings every test shares."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_container_engine(monkeypatch):
    """Never use a real docker or podman: a runner with an Image runs on this host unless a test installs the
    stand-in (``tests.fake_docker``) and says so through ATTINI_CONTAINER_ENGINE."""
    monkeypatch.setenv("ATTINI_CONTAINER_ENGINE", "none")
