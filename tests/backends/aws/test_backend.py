"""Finding the backend (SSM contract), the S3 artifact store, secrets in SSM, large outputs in S3, and the
request ids that make a redelivered upload start nothing twice."""

from __future__ import annotations

import json

import boto3
import pytest

from attini_sdk.backends.aws import items
from attini_sdk.backends.aws.artifacts import object_key
from attini_sdk.backends.aws.backend import AwsBackend
from attini_sdk.backends.base import ArtifactStore, StateStore
from attini_sdk.errors import BackendError, ConfigError, ConflictError, NotFoundError, SignatureError
from tests.backends.aws.conftest import REGION

ID = "sha256:" + "ab" * 32


def test_no_contract_says_which_account_and_region_and_how_to_install(aws, home):
    with pytest.raises(ConfigError) as info:
        AwsBackend.open(region=REGION, home=home)
    assert "no Attini backend in account 123456789012 region eu-west-1" in str(info.value)
    assert "cd infra_pulumi && pulumi up" in info.value.hint


def test_a_broken_or_newer_contract_is_refused_before_use(contract, home):
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name="/attini/backend", Value=json.dumps({**contract, "table": 3}), Type="String",
                      Overwrite=True)
    with pytest.raises(BackendError, match="table should be a non-empty str"):
        AwsBackend.open(region=REGION, home=home)
    ssm.put_parameter(Name="/attini/backend", Value=json.dumps({**contract, "schema": 9}), Type="String",
                      Overwrite=True)
    with pytest.raises(BackendError, match="newer than this SDK") as info:
        AwsBackend.open(region=REGION, home=home)
    assert info.value.hint == "upgrade attini_sdk"


def test_the_backend_assembles_both_stores_from_the_contract(backend, contract):
    assert isinstance(backend.state, StateStore) and isinstance(backend.artifacts, ArtifactStore)
    assert backend.state.table == contract["table"] and backend.artifacts.bucket == contract["artifact_bucket"]
    assert AwsBackend.open(region=REGION, home=backend.home.parents[2]) is backend


def test_s3_artifacts_are_stored_once_cached_and_listed(backend, contract):
    store = backend.artifacts
    assert not store.has(ID)
    with pytest.raises(NotFoundError, match="not in bucket"):
        store.get(ID)
    path = store.put(ID, b"PK-zip-bytes")
    assert store.has(ID) and store.list() == [ID] and path.read_bytes() == b"PK-zip-bytes"
    body = boto3.client("s3", region_name=REGION).get_object(Bucket=contract["artifact_bucket"], Key=object_key(ID))
    assert body["Body"].read() == b"PK-zip-bytes"
    path.unlink()
    assert store.get(ID).read_bytes() == b"PK-zip-bytes"  # downloaded again
    assert store.delete(ID) and not store.has(ID) and not store.delete(ID)


def test_s3_keeps_every_signature_of_an_id_once_per_key_beside_the_content(backend):
    store = backend.artifacts
    store.put(ID, b"PK-zip-bytes")
    first = {"publicKey": "QUFBQQ==", "distributionId": ID, "signature": "one"}
    other = {"publicKey": "QkJCQg==", "distributionId": ID, "signature": "two"}
    key = store.add_signature(ID, first)
    assert key.startswith(f"artifacts/{ID}.sig/") and store.add_signature(ID, first) == key
    store.add_signature(ID, other)
    assert sorted(d["signature"] for d in store.signatures(ID)) == ["one", "two"]
    assert store.list() == [ID]  # signatures are not artifacts
    assert store.delete(ID) and store.signatures(ID) == []


def test_secret_parameters_live_in_ssm_and_the_table_keeps_only_their_name(backend):
    state = backend.state
    state.create_environment("dev")
    state.set_parameter("dev", "DbPassword", "hunter2", secret=True)
    state.set_parameter("dev", "LogLevel", "DEBUG")
    stored = boto3.client("ssm", region_name=REGION).get_parameter(Name="/attini/secrets/dev/DbPassword",
                                                                   WithDecryption=True)["Parameter"]
    assert stored["Type"] == "SecureString" and json.loads(stored["Value"]) == "hunter2"
    assert "hunter2" not in "".join(repr(i) for i in state.scan_items())
    assert state.get_parameter("dev", "DbPassword").value == "hunter2"
    assert state.resolved_parameters("dev") == {"DbPassword": "hunter2", "LogLevel": "DEBUG"}
    assert state.referenced_parameters("dev") == {"DbPassword": "{{attini:secret:DbPassword}}", "LogLevel": "DEBUG"}
    state.set_parameter("dev", "DbPassword", "public now")  # no longer secret: its SSM copy goes
    with pytest.raises(Exception, match="ParameterNotFound"):
        boto3.client("ssm", region_name=REGION).get_parameter(Name="/attini/secrets/dev/DbPassword")
    state.set_parameter("dev", "Token", "t0k", secret=True)
    state.remove_environment("dev")
    assert boto3.client("ssm", region_name=REGION).get_parameters_by_path(Path="/attini/secrets/")["Parameters"] == []


def test_outputs_too_large_for_an_item_go_to_s3(backend, contract):
    state = backend.state
    state.create_environment("dev")
    d, lock = state.start_deployment("dev", "app", distribution_id=ID, version="1.0.0")
    big = {"blob": "x" * (items.OUTPUTS_INLINE_LIMIT + 10)}
    state.finish_deployment(d.id, "succeeded", outputs=big, lock=lock)
    assert state.outputs(d.id) == big
    key = f"outputs/{d.id}.json"
    body = boto3.client("s3", region_name=REGION).get_object(Bucket=contract["artifact_bucket"], Key=key)["Body"]
    assert json.loads(body.read()) == big


def test_one_request_starts_one_deployment(backend):
    state = backend.state
    state.create_environment("dev")
    assert state.request_outcome("r-1") is None
    d, lock = state.start_deployment("dev", "app", distribution_id=ID, version="1.0.0", request_id="r-1")
    state.finish_deployment(d.id, "succeeded", lock=lock)
    with pytest.raises(ConflictError) as info:
        state.start_deployment("dev", "app", distribution_id=ID, version="1.0.0", request_id="r-1")
    assert info.value.deployment.id == d.id
    assert state.request_outcome("r-1").id == d.id
    assert [x.revision for x in state.list_deployments("dev")] == [1]


def test_a_refused_request_reaches_the_deployer_as_its_own_error(backend):
    state = backend.state
    assert state.reject_request("r-2", SignatureError("artifact is not signed", where="deploy/dev/app/x.zip",
                                                      hint="sign it"))
    with pytest.raises(SignatureError, match="artifact is not signed") as info:
        state.request_outcome("r-2")
    assert info.value.hint == "sign it"
    assert not state.reject_request("r-2", SignatureError("again"))


def test_history_pages_through_many_items_newest_first(backend, clock):
    state = backend.state
    state.create_environment("dev")
    from attini_sdk.backends.aws import state_tables

    for n in range(7):
        clock.advance(1)
        d, lock = state.start_deployment("dev", "app", distribution_id=f"sha256:{n}", version=f"1.0.{n}")
        state.finish_deployment(d.id, "succeeded" if n % 2 else "failed", lock=lock)
    old = state_tables.HISTORY_PAGE
    state_tables.HISTORY_PAGE = 2
    try:
        table = state.history_table("dev", arrays=False)
        assert table.data["revision"] == [7, 6, 5, 4, 3, 2, 1]
        assert state.history_table("dev", status="succeeded", limit=2, arrays=False).data["revision"] == [6, 4]
        assert state.history_table("dev", distribution="app", limit=3, arrays=False).data["revision"] == [7, 6, 5]
    finally:
        state_tables.HISTORY_PAGE = old


def test_removing_an_environment_leaves_no_item_behind(backend):
    state = backend.state
    state.create_environment("dev")
    state.create_environment("acc")
    state.set_parameter("dev", "A", 1)
    d, lock = state.start_deployment("dev", "app", distribution_id=ID, version="1.0.0")
    run = state.start_step_run(d.id, "Db", "attini:cfn", fingerprint="f")
    state.finish_step_run(run.id, "succeeded", output={"x": 1})
    state.request_approval(d.id, "Approve", "token-1")
    state.decide_approval(d.id, "Approve", "approved")
    state.finish_deployment(d.id, "succeeded", lock=lock)
    state.remove_environment("dev")
    left = [(i["PK"]["S"], i["SK"]["S"]) for i in state.scan_items()]
    assert left == [("ENV#acc", "ENV")] or sorted(left) == sorted([("ENV#acc", "ENV"), (f"ART#{ID}", "ART")])
    assert state.integrity_check() == ["ok"]
