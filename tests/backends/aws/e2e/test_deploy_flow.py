"""End to end on a moto server: upload → S3 event → init-deploy → Step Functions runs the lowered plan → the
runner runs Cfn and Runner steps → finalize → the table says what runs where."""

from __future__ import annotations

import json

import pytest

from tests.deploy.conftest import QUEUE_TEMPLATE, Project, cfn_step, runner_step


@pytest.fixture
def project(tmp_path):
    def make(name: str, version: str = "1.0.0") -> Project:
        return Project(tmp_path / "projects", name, version)

    return make


def network_plan() -> dict:
    return {"StartAt": "Queue", "States": {
        "Queue": {**cfn_step("Queue", "jobs"), "Next": "Announce"},
        "Announce": {**runner_step("Announce", ['echo "{\\"url\\": \\"$QUEUE_URL\\"}" > $ATTINI_OUTPUT'],
                                   Environment={"QUEUE_URL.$": "$.output.Queue.QueueUrl"}), "End": True}}}


def test_an_upload_deploys_a_stack_and_a_runner_job_and_the_inventory_shows_it(backend, emulator, project):
    backend.state.create_environment("dev")
    artifact = project("network").write("queue.yaml", QUEUE_TEMPLATE).package(network_plan())

    request_id = backend.upload("dev", artifact)
    record = backend.wait(backend.deployment(request_id).id)

    assert record.status == "succeeded", (record.error, record.cause)
    stacks = backend.client("cloudformation").describe_stacks(StackName="queue")["Stacks"]
    assert stacks[0]["StackStatus"] == "CREATE_COMPLETE"
    outputs = backend.state.outputs(record.id)
    assert outputs["output"]["Announce"]["url"].endswith("dev-jobs")
    steps = {r.step: r.status for r in backend.state.step_runs(record.id)}
    assert steps == {"Queue": "succeeded", "Announce": "succeeded"}
    inventory = backend.state.inventory_table("dev")
    assert backend.state.current_deployment("dev", "network").id == record.id
    assert backend.state.get_lock("dev", "network") is None
    assert inventory is not None


def test_a_redelivered_s3_event_starts_no_second_deployment(backend, emulator, project):
    backend.state.create_environment("dev")
    artifact = project("network").write("queue.yaml", QUEUE_TEMPLATE).package(network_plan())
    request_id = backend.upload("dev", artifact)
    record = backend.wait(backend.deployment(request_id).id)

    # the same S3 event once more, as SQS may deliver it
    sqs = backend.client("sqs")
    key = f"deploy/dev/network/{artifact.id}.zip".replace("/", "%2F").replace(":", "%3A")
    head = backend.client("s3").head_object(Bucket=backend.bucket, Key=f"deploy/dev/network/{artifact.id}.zip")
    event = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {
        "bucket": {"name": backend.bucket}, "object": {"key": key, "versionId": head.get("VersionId")}}}]}
    sqs.send_message(QueueUrl=backend.contract["deploy_events_queue_url"], MessageBody=json.dumps(event))
    sqs.send_message(QueueUrl=backend.contract["deploy_events_queue_url"],
                     MessageBody=json.dumps({"Event": "s3:TestEvent"}))

    import time
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(r.outcome == "repeated" for r in emulator.handled):
        time.sleep(0.1)
    assert [r.outcome for r in emulator.handled] == ["started", "repeated"]
    assert [d.id for d in backend.state.list_deployments("dev")] == [record.id]
