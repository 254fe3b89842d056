"""End to end on a moto server: upload → S3 event → init-deploy → Step Functions runs the lowered plan → the
runner runs Cfn and Runner steps → finalize → the table says what runs where."""

from __future__ import annotations

import json
import time

import pytest

from attini_sdk.backends.aws.orchestrator import SfnOrchestrator
from attini_sdk.errors import DependencyError
from tests.deploy.conftest import QUEUE_TEMPLATE, runner_step


def queue_step(step: str, queue: str) -> dict:
    """A Cfn step deploying one queue as stack ``<env>-<step>``."""
    return {"Type": "Task", "Resource": "attini:cfn", "ResultPath": f"$.output.{step}",
            "Parameters": {"StackName.$": f"States.Format('{{}}-{step.lower()}', $.environment)",
                           "Template": "/queue.yaml", "Parameters": {"QueueName": queue}}}


def network_plan() -> dict:
    return {"StartAt": "Queue", "States": {
        "Queue": {**queue_step("Queue", "jobs"), "Next": "Announce"},
        "Announce": {**runner_step("Announce", ['echo "{\\"url\\": \\"$QUEUE_URL\\"}" > $ATTINI_OUTPUT'],
                                   Environment={"QUEUE_URL.$": "$.output.Queue.QueueUrl"}), "End": True}}}


def network(project, version="1.0.0"):
    return project("network", version).write("queue.yaml", QUEUE_TEMPLATE).package(network_plan(), version=version)


def test_an_upload_deploys_a_stack_and_a_runner_job_and_the_inventory_shows_it(backend, env, project):
    request_id = backend.upload(env, network(project))
    record = backend.wait(backend.deployment(request_id).id)

    assert record.status == "succeeded", (record.error, record.cause)
    stacks = backend.client("cloudformation").describe_stacks(StackName=f"{env}-queue")["Stacks"]
    assert stacks[0]["StackStatus"] == "CREATE_COMPLETE"
    outputs = backend.state.outputs(record.id)
    assert outputs["output"]["Announce"]["url"].endswith(f"{env}-jobs")
    assert {r.step: r.status for r in backend.state.step_runs(record.id)} == {"Queue": "succeeded",
                                                                            "Announce": "succeeded"}
    assert backend.state.current_deployment(env, "network").id == record.id
    assert backend.state.get_lock(env, "network") is None
    inventory = backend.state.inventory_table(env)
    assert inventory is not None


def test_a_redelivered_s3_event_starts_no_second_deployment(backend, emulator, env, project):
    artifact = network(project)
    request_id = backend.upload(env, artifact)
    record = backend.wait(backend.deployment(request_id).id)

    key = f"deploy/{env}/network/{artifact.id}.zip"
    head = backend.client("s3").head_object(Bucket=backend.bucket, Key=key)
    encoded = key.replace("/", "%2F").replace(":", "%3A")  # S3 URL-encodes keys in its events
    event = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {
        "bucket": {"name": backend.bucket}, "object": {"key": encoded, "versionId": head.get("VersionId")}}}]}
    sqs = backend.client("sqs")
    sqs.send_message(QueueUrl=backend.contract["deploy_events_queue_url"], MessageBody=json.dumps(event))
    sqs.send_message(QueueUrl=backend.contract["deploy_events_queue_url"],
                     MessageBody=json.dumps({"Event": "s3:TestEvent"}))

    deadline = time.monotonic() + 20
    mine = []
    while time.monotonic() < deadline and [r.outcome for r in mine] != ["started", "repeated"]:
        mine = [r for r in emulator.handled if r.key == key]
        time.sleep(0.1)
    assert [r.outcome for r in mine] == ["started", "repeated"]
    assert [d.id for d in backend.state.list_deployments(env)] == [record.id]


def test_a_failing_step_caught_by_the_plan_and_one_that_fails_the_deployment(backend, env, project):
    caught = {"StartAt": "Break", "States": {
        "Break": {**runner_step("Break", ["echo doomed; exit 3"]), "Next": "Never",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recovered"}]},
        "Never": {"Type": "Fail", "Error": "NotHere"},
        "Recovered": {"Type": "Pass", "End": True}}}
    record = backend.wait(backend.deployment(backend.upload(env, project("app").package(caught))).id)
    assert record.status == "succeeded"
    assert backend.state.outputs(record.id)["error"]["Error"] == "ScriptExecutionError"

    uncaught = {"StartAt": "Break", "States": {"Break": {**runner_step("Break", ["echo doomed; exit 3"]),
                                                         "End": True}}}
    record = backend.wait(backend.deployment(backend.upload(env, project("app").package(uncaught, "1.0.1"))).id)
    assert (record.status, record.error, record.cause) == ("failed", "ScriptExecutionError", "doomed")
    assert backend.state.current_deployment(env, "app").version == "1.0.0"
    assert backend.state.get_lock(env, "app") is None


APPROVAL_PLAN = {"StartAt": "Approve", "States": {
    "Approve": {"Type": "Task", "Resource": "attini:approval", "Parameters": {"Message": "ship it?"},
                "ResultPath": "$.output.Approve", "Next": "Ship"},
    "Ship": {**runner_step("Ship", ["echo shipped > $ATTINI_OUTPUT"]), "End": True}}}


@pytest.mark.parametrize("decision", ["approved", "aborted"])
def test_a_manual_approval_waits_in_the_table_and_is_answered_from_the_sdk(backend, env, project, decision):
    record = backend.deployment(backend.upload(env, project("app").package(APPROVAL_PLAN)))
    record = backend.wait(record.id, until=("waiting_approval",))
    [approval] = [a for a in backend.state.pending_approvals(env)]
    assert approval.step == "Approve" and approval.token

    orchestrator = SfnOrchestrator(backend.session, backend.state, backend.contract, poll_seconds=0.1)
    orchestrator.answer(record.id, "Approve", decision, "from the tests", None, wait=False)
    record = backend.wait(record.id)

    if decision == "approved":
        assert record.status == "succeeded"
        assert backend.state.outputs(record.id)["output"] == {"Approve": {"message": "from the tests"},
                                                             "Ship": {"result": "shipped"}}
    else:
        assert (record.status, record.error) == ("aborted", "ManuallyAborted")
    runs = {r.step: r.status for r in backend.state.step_runs(record.id)}
    assert runs["Approve"] == ("succeeded" if decision == "approved" else "aborted")


def test_a_dependency_must_be_deployed_first_and_import_reads_its_outputs(backend, env, project):
    app = project("app")
    app.dependencies = [{"distributionName": "network", "version": ">=1.0.0"}]
    plan = {"StartAt": "Network", "States": {
        "Network": {"Type": "Task", "Resource": "attini:import", "ResultPath": "$.output.Network",
                    "Parameters": {"SourceType": "Distribution", "Source": {"Name": "network"},
                                   "Mapping": {"url": "$.output.Announce.url"}}, "End": True}}}
    artifact = app.package(plan)

    with pytest.raises(DependencyError) as refused:
        backend.deployment(backend.upload(env, artifact))
    assert "network" in refused.value.what and f"deploy network >=1.0.0 to {env}" in refused.value.hint

    backend.wait(backend.deployment(backend.upload(env, network(project))).id)
    record = backend.wait(backend.deployment(backend.upload(env, artifact)).id)
    assert record.status == "succeeded", (record.error, record.cause)
    assert backend.state.outputs(record.id)["output"]["Network"]["url"].endswith(f"{env}-jobs")


def test_a_rollback_request_redeploys_a_stored_artifact_as_a_new_revision(backend, env, project):
    first = network(project, "1.0.0")
    one = backend.wait(backend.deployment(backend.upload(env, first)).id)
    two = backend.wait(backend.deployment(backend.upload(env, network(project, "1.1.0"))).id)
    assert (one.status, two.status) == ("succeeded", "succeeded")

    request_id = "rollback-" + env
    body = json.dumps({"request_id": request_id, "distribution_id": first.id, "reason": "Rollback to 1"})
    backend.client("s3").put_object(Bucket=backend.bucket, Key=f"deploy/{env}/network/{first.id}.request.json",
                                    Body=body.encode())
    three = backend.wait(backend.deployment(request_id).id)

    assert (three.revision, three.version, three.reason, three.status) == (3, "1.0.0", "Rollback to 1", "succeeded")
    assert backend.state.current_deployment(env, "network").id == three.id
