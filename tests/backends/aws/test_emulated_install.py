"""The SDK against the backend as the installer leaves it: ``infra_pulumi.emulate`` installs into a moto
server, and ``Environment.aws(endpoint_url=...)`` finds it through the real contract, writes into the table
the installer created, and an upload under ``deploy/`` reaches the deploy-events queue with its request."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from urllib.parse import unquote

import boto3
import pytest

import attini_sdk as at
from attini_sdk.backends.aws.submit import DeployRequest, request_from_object, submit

# not the e2e tests' region: moto servers in one process share one state, and the e2e session's emulator keeps
# reading *its* deploy-events queue (eu-west-1) for the rest of the session
REGION = "eu-north-1"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "platform"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed():
    from moto.server import ThreadedMotoServer

    from infra_pulumi.emulate import install

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    patch = pytest.MonkeyPatch()
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", REGION), ("AWS_REGION", REGION)):
        patch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "ATTINI_BACKEND"):
        patch.delenv(name, raising=False)
    try:
        result = install(endpoint, region=REGION, err=io.StringIO())
        yield endpoint, result.contract
    finally:
        patch.undo()
        server.stop()


def test_the_sdk_finds_and_uses_the_emulated_install(installed, tmp_path):
    endpoint, contract = installed
    dev = at.Environment.aws("dev", region=REGION, endpoint_url=endpoint, home=tmp_path)
    backend = dev._backend
    assert backend.contract == contract and backend.state.table == contract["table"]
    dev.parameters.set("DbPassword", "hunter2", secret=True)
    assert dict(dev.parameters) == {"DbPassword": "***"}
    d, lock = backend.state.start_deployment("dev", "app", distribution_id="sha256:" + "1" * 64, version="1.0.0")
    backend.state.finish_deployment(d.id, "succeeded", lock=lock)
    assert dev.inventory()[["distribution", "revision", "status"]].values.tolist() == [["app", 1, "succeeded"]]
    assert backend.state.integrity_check() == ["ok"]


def test_an_upload_reaches_deploy_events_with_its_request(installed, tmp_path):
    from attini_sdk.artifacts.distribution import Distribution

    endpoint, contract = installed
    dev = at.Environment.aws("acc", region=REGION, endpoint_url=endpoint, home=tmp_path)
    artifact = Distribution.from_path(EXAMPLES / "network").package()
    sent = submit(dev._backend, artifact, "acc", reason="try")
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
    key = f"deploy/acc/network/{artifact.id}.zip"
    keys: list[str] = []
    for _ in range(20):  # the queue may still hold events of earlier uploads: read until ours arrives
        messages = sqs.receive_message(QueueUrl=contract["deploy_events_queue_url"], MaxNumberOfMessages=10,
                                       WaitTimeSeconds=1).get("Messages", [])
        for message in messages:
            keys += [unquote(r["s3"]["object"]["key"]) for r in json.loads(message["Body"]).get("Records", [])]
        if key in keys:
            break
    assert key in keys
    head = boto3.client("s3", region_name=REGION, endpoint_url=endpoint).head_object(
        Bucket=contract["artifact_bucket"], Key=key)
    request = request_from_object(key, head["Metadata"])
    assert isinstance(request, DeployRequest) and request.request_id == sent.request_id and request.reason == "try"
