"""The deployer's side of an AWS deploy, end to end on moto: ``Environment.aws`` uploads under ``deploy/``,
a stand-in for init-deploy (here: a thread that does what the handler's contract says, nothing more) records
the deployment with the request id, and the SDK follows it from the table with the local progress events.
Also: rollback uploads a request only, the CLI reaches the same environment with --backend aws."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import boto3
import pytest

import attini_sdk as at
from attini_sdk.backends.aws.submit import REQUEST_METADATA, request_from_object
from attini_sdk.errors import DependencyError
from tests.backends.aws.conftest import REGION

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "platform"


class StandInInitDeploy:
    """Turns each upload under ``deploy/`` into a finished deployment (or a refusal), the way init-deploy
    reports to the table: ``start_deployment(request_id=...)`` or ``reject_request``."""

    def __init__(self, backend, *, refuse: bool = False):
        self.backend, self.refuse = backend, refuse
        self.seen: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)

    def run(self):
        s3 = self.backend.session.client("s3")
        bucket = self.backend.contract["artifact_bucket"]
        state = self.backend.state
        while not self.stop.wait(0.05):
            for entry in s3.list_objects_v2(Bucket=bucket, Prefix="deploy/").get("Contents", []):
                key = entry["Key"]
                if key in self.seen:
                    continue
                self.seen.append(key)
                head = s3.head_object(Bucket=bucket, Key=key)
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read() if key.endswith(".json") else None
                request = request_from_object(key, head.get("Metadata"), body)
                if self.refuse:
                    state.reject_request(request.request_id, DependencyError(
                        "network is not deployed", where=f"environment '{request.environment}'", hint="deploy it"))
                    continue
                if key.endswith(".zip"):
                    s3.copy_object(Bucket=bucket, Key=f"artifacts/{request.distribution_id}.zip",
                                   CopySource={"Bucket": bucket, "Key": key})
                d, lock = state.start_deployment(request.environment, request.distribution,
                                                 distribution_id=request.distribution_id, version=request.version,
                                                 deployed_by=request.deployed_by, reason=request.reason,
                                                 request_id=request.request_id)
                run = state.start_step_run(d.id, "Stack", "attini:cfn")
                state.finish_step_run(run.id, "succeeded", output={"VpcId": "vpc-1"})
                state.finish_deployment(d.id, "succeeded", outputs={"VpcId": "vpc-1"}, lock=lock)


def test_deploy_uploads_and_follows_the_deployment_from_the_table(backend, contract, home):
    dev = at.Environment.aws("dev", region=REGION, home=home)
    assert dev.backend == "aws" and dev.type == "test"
    events = []
    with StandInInitDeploy(backend):
        first = dev.deploy(EXAMPLES / "network", reason="first", progress=events.append)
    assert (first.status, first.revision, first.record.reason) == ("succeeded", 1, "first")
    assert [e["event"] for e in events] == ["deployment_started", "step_started", "step_succeeded",
                                            "deployment_finished"]
    assert events[1]["type"] == "AttiniCfn"
    s3 = boto3.client("s3", region_name=REGION)
    key = f"deploy/dev/network/{first.distribution_id}.zip"
    request = json.loads(s3.head_object(Bucket=contract["artifact_bucket"], Key=key)["Metadata"][REQUEST_METADATA])
    assert request["reason"] == "first" and request["environment"] == "dev"
    inventory = dev.inventory()
    assert inventory[["distribution", "revision", "status"]].values.tolist() == [["network", 1, "succeeded"]]
    assert list(dev.history()["revision"]) == [1]
    assert list(first.steps["step"]) == ["Stack"]


def test_a_stored_artifact_is_deployed_by_a_small_request(backend, contract, home):
    dev = at.Environment.aws("dev", region=REGION, home=home)
    with StandInInitDeploy(backend) as init:
        first = dev.deploy(EXAMPLES / "network")
        again = dev.deploy(first.distribution_id, reason="again")
    assert again.revision == 2 and again.status == "succeeded"
    assert init.seen[-1] == f"deploy/dev/network/{first.distribution_id}.request.json"


def test_a_refused_deploy_raises_the_backends_error(backend, home):
    dev = at.Environment.aws("dev", region=REGION, home=home)
    with StandInInitDeploy(backend, refuse=True), pytest.raises(DependencyError, match="network is not deployed"):
        dev.deploy(EXAMPLES / "network")


def test_an_aws_environment_is_remembered_and_found_by_the_cli(backend, home, capsys):
    from attini_sdk.cli import main

    at.Environment.create("prod", type="production", backend="aws", region=REGION, home=home)
    assert at.Environment.existing("prod", home=home).backend == "aws"
    assert main(["environment", "list", "--json", "--backend", "aws", "--region", REGION]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["name"], e["type"], e["backend"]) for e in listed] == [("prod", "production", "aws")]
    assert main(["--backend", "aws", "environment", "create", "qa", "--env-type", "test"]) == 0
    assert "qa" in {e.name for e in backend.state.list_environments()}
    with StandInInitDeploy(backend):
        at.Environment.existing("qa", home=home).deploy(EXAMPLES / "network")
    capsys.readouterr()
    assert main(["inventory", "-e", "qa", "--json"]) == 0  # remembered: no --backend needed
    rows = json.loads(capsys.readouterr().out)
    assert [(r["distribution"], r["revision"]) for r in rows] == [("network", 1)]
    assert main(["deploy", "history", "-e", "qa", "--json"]) == 0
    assert [r["revision"] for r in json.loads(capsys.readouterr().out)] == [1]
