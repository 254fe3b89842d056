"""Shared arrangements for step executor tests: a distribution on disk, a context, moto."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from attini_sdk.steps.base import AwsSettings, DeploymentContext, StepLog

REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch):
    """Fake credentials and a region, so nothing here can reach a real AWS account."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")


@pytest.fixture
def moto():
    """In-process moto; Lambda runs without Docker (moto echoes the payload back)."""
    from moto import mock_aws

    with mock_aws(config={"lambda": {"use_docker": False}}):
        yield


class Distribution:
    """A distribution's extracted files, written by the test."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, path: str, text: str) -> str:
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return "/" + path.lstrip("/")


@pytest.fixture
def dist(tmp_path) -> Distribution:
    (tmp_path / "dist").mkdir()
    return Distribution(tmp_path / "dist")


@pytest.fixture
def make_ctx(tmp_path, dist):
    """Build a DeploymentContext for environment 'dev', distribution 'app'."""

    def make(**overrides) -> DeploymentContext:
        values = dict(
            environment="dev",
            environment_type="test",
            distribution_name="app",
            distribution_id="sha256:" + "ab" * 32,
            distribution_version="1.0.0",
            deployment_id="dep-1",
            source_dir=dist.root,
            work_dir=tmp_path / "work",
            log_dir=tmp_path / "logs",
            aws=AwsSettings(region=REGION, change_sets=False, translate_sam=True),
        )
        values.update(overrides)
        return DeploymentContext(**values)

    return make


@pytest.fixture
def ctx(make_ctx) -> DeploymentContext:
    return make_ctx()


@pytest.fixture
def log(tmp_path) -> StepLog:
    with StepLog(tmp_path / "logs" / "step.log") as step_log:
        yield step_log


@pytest.fixture
def cancelled() -> threading.Event:
    return threading.Event()


@pytest.fixture
def guarded(cancelled) -> threading.Event:
    """A ``cancelled`` event that fires after 30 s, so a test waiting on a stack never hangs."""
    timer = threading.Timer(30, cancelled.set)
    timer.daemon = True
    timer.start()
    yield cancelled
    timer.cancel()
