"""An AWS backend in moto (in process): bucket, table and the SSM contract, as the installer leaves them."""

from __future__ import annotations

import json

import pytest

from tests.backends.conftest import Clock

REGION = "eu-west-1"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTINI_HOME", str(tmp_path / "attini-home"))
    return tmp_path / "attini-home"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def aws(monkeypatch):
    from moto import mock_aws

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", REGION), ("AWS_REGION", REGION)):
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "ATTINI_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield


def make_contract(**overrides) -> dict:
    from infra_pulumi.contract import RESOURCE_KEYS, build

    values = {key: f"attini-{key.replace('_', '-')}" for key in RESOURCE_KEYS}
    values.update(region=REGION, account_id="123456789012", artifact_bucket="attini-artifacts-test",
                  table="attini-state", state_machine_prefix="attini-")
    values.update(overrides)
    return build(**values, retention_days=10, retention_versions=10, max_concurrent_jobs=4, idle_ttl_seconds=900,
                 cpu=1024, memory=2048)


@pytest.fixture
def contract(aws):
    """Bucket + table + ``/attini/backend``: what the SDK needs of an installed backend."""
    import boto3

    from attini_sdk.backends.aws.items import table_definition

    c = make_contract()
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket=c["artifact_bucket"], CreateBucketConfiguration={"LocationConstraint": REGION})
    boto3.client("dynamodb", region_name=REGION).create_table(**table_definition(c["table"]))
    boto3.client("ssm", region_name=REGION).put_parameter(Name="/attini/backend", Value=json.dumps(c),
                                                          Type="String")
    return c


@pytest.fixture
def backend(contract, home):
    from attini_sdk.backends.aws.backend import AwsBackend

    return AwsBackend.open(region=REGION, home=home)


@pytest.fixture(autouse=True)
def no_backend_chosen():
    """The CLI's --backend is a process-wide choice: never let one test's choice reach the next."""
    from attini_sdk.deploy.environment import use_backend

    use_backend(None)
    yield
    use_backend(None)
