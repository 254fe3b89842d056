"""``python -m infra_pulumi.emulate`` installs a working backend into a moto server.

The moto server runs in this process and moto's state is global to it, so everything the tests
look at is installed *and* read back inside one fixture: tests of other folders that reset moto
between tests cannot slip in between.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote_plus

import boto3
import pytest

pytestmark = pytest.mark.slow  # moto loads each service's backend on first use: about 10 s in all

REGION = "eu-west-1"
ROOT = Path(__file__).resolve().parents[2]


def client(service: str, endpoint: str):
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def deploy_events_after_upload(endpoint: str, contract: dict) -> list[dict]:
    """Upload a distribution under deploy/ and one elsewhere; return the S3 events deploy-events got."""
    s3, sqs = client("s3", endpoint), client("sqs", endpoint)
    s3.put_object(Bucket=contract["artifact_bucket"], Key="deploy/dev/app/sha256-abc.zip", Body=b"zip")
    s3.put_object(Bucket=contract["artifact_bucket"], Key="outputs/dev/app/output.json", Body=b"{}")
    bodies = []
    while True:
        got = sqs.receive_message(QueueUrl=contract["deploy_events_queue_url"], MaxNumberOfMessages=10,
                                  WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return [b for b in bodies if "Records" in b]  # S3 also sends an s3:TestEvent when configured
        bodies += [json.loads(m["Body"]) for m in got]


def tls_only_answer(s3) -> str:
    """How moto answers a put over plain http once a bucket has the TLS-only policy (it accepts it before)."""
    from botocore.exceptions import ClientError

    from infra_pulumi import policies
    from infra_pulumi.naming import Names

    names = Names("scratch", "123456789012", REGION)
    s3.create_bucket(Bucket=names.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=names.bucket, Key="before", Body=b"1")
    s3.put_bucket_policy(Bucket=names.bucket, Policy=json.dumps(policies.bucket_policy(names)))
    try:
        s3.put_object(Bucket=names.bucket, Key="after", Body=b"1")
        return "accepted"
    except ClientError as exc:
        return exc.response["Error"]["Code"]


def snapshot(endpoint: str, contract: dict) -> dict:
    """What exists in the endpoint, read with plain boto3."""
    s3, sqs, ddb = client("s3", endpoint), client("sqs", endpoint), client("dynamodb", endpoint)
    iam, events, ecs = client("iam", endpoint), client("events", endpoint), client("ecs", endpoint)
    bucket = contract["artifact_bucket"]
    queues = {key: sqs.get_queue_attributes(QueueUrl=contract[key], AttributeNames=["All"])["Attributes"]
              for key in ("deploy_events_queue_url", "deploy_events_dlq_url", "runner_jobs_queue_url",
                          "runner_jobs_dlq_url")}
    role_name = contract["state_machine_role_arn"].rsplit("/", 1)[-1]
    return {
        "versioning": s3.get_bucket_versioning(Bucket=bucket).get("Status"),
        "encryption": s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"],
        "public_access": s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
        "tls_answer": tls_only_answer(s3),
        "notification": s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations", []),
        "events": deploy_events_after_upload(endpoint, contract),
        "queues": queues,
        "table": ddb.describe_table(TableName=contract["table"])["Table"],
        "pitr": ddb.describe_continuous_backups(TableName=contract["table"])["ContinuousBackupsDescription"],
        "role": iam.get_role(RoleName=role_name)["Role"],
        "role_policy": iam.get_role_policy(RoleName=role_name, PolicyName="state-machine")["PolicyDocument"],
        "rule": events.describe_rule(Name=contract["event_rule"]),
        "targets": events.list_targets_by_rule(Rule=contract["event_rule"])["Targets"],
        "services": ecs.describe_services(cluster=contract["cluster"],
                                          services=[contract["runner_service"]])["services"],
        "parameter": json.loads(client("ssm", endpoint).get_parameter(Name="/attini/backend")["Parameter"]["Value"]),
        "functions": sorted(f["FunctionName"] for f in client("lambda", endpoint).list_functions()["Functions"]
                            if f["FunctionName"].startswith("attini-")),
    }


@pytest.fixture(scope="module")
def emulated():
    from moto.server import ThreadedMotoServer

    from infra_pulumi.emulate import install

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        err = io.StringIO()
        first = install(endpoint, region=REGION, err=err)
        state = snapshot(endpoint, first.contract)
        again = subprocess.run([sys.executable, "-m", "infra_pulumi.emulate", "--endpoint-url", endpoint,
                                "--region", REGION], cwd=ROOT, capture_output=True, text=True, timeout=300)
        tables = client("dynamodb", endpoint).list_tables()["TableNames"]
        buckets = [b["Name"] for b in client("s3", endpoint).list_buckets()["Buckets"]]
        yield {"first": first, "cli": again, "state": state, "stderr": err.getvalue(),
               "tables": tables, "buckets": buckets}
    finally:
        server.stop()


def test_the_install_creates_every_resource_and_prints_the_contract(emulated):
    first = emulated["first"]

    # Everything but the TLS-only bucket policy, which would lock a plain-http endpoint out.
    assert first.skipped == ("aws:s3/bucketPolicy:BucketPolicy attini-artifacts-tls-only",)
    assert len(first.created) >= 40
    assert ("skip aws:s3/bucketPolicy:BucketPolicy attini-artifacts-tls-only: the endpoint speaks plain http"
            in emulated["stderr"])
    assert "event source mapping deploy-events -> init-deploy created disabled" in emulated["stderr"]
    assert emulated["state"]["parameter"] == first.contract


def test_the_bucket_is_versioned_encrypted_private_and_notifies_deploy_events(emulated):
    state, contract = emulated["state"], emulated["first"].contract
    [notification] = state["notification"]

    assert state["versioning"] == "Enabled"
    assert state["encryption"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert all(state["public_access"].values()) and len(state["public_access"]) == 4
    assert state["tls_answer"] == "403"  # the policy the emulator skips does refuse plain http
    assert notification["QueueArn"] == state["queues"]["deploy_events_queue_url"]["QueueArn"]
    assert notification["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "deploy/"}]
    # Wired for real: an upload under deploy/ reaches the queue, other prefixes do not.
    [event] = state["events"]
    # S3 URL-encodes keys in event records (AWS does too).
    assert unquote_plus(event["Records"][0]["s3"]["object"]["key"]) == "deploy/dev/app/sha256-abc.zip"
    assert event["Records"][0]["s3"]["bucket"]["name"] == contract["artifact_bucket"]


def test_the_queues_dead_letter_into_their_dlqs(emulated):
    queues = emulated["state"]["queues"]

    for name in ("deploy_events", "runner_jobs"):
        redrive = json.loads(queues[f"{name}_queue_url"]["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == queues[f"{name}_dlq_url"]["QueueArn"]
        assert int(redrive["maxReceiveCount"]) == 5
        assert queues[f"{name}_queue_url"]["SqsManagedSseEnabled"] == "true"
    assert queues["runner_jobs_queue_url"]["VisibilityTimeout"] == "300"


def test_the_table_has_its_indexes_and_point_in_time_recovery(emulated):
    table, pitr = emulated["state"]["table"], emulated["state"]["pitr"]

    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"GSI1", "GSI2"}
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["PK", "SK"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_the_state_machine_role_the_rule_and_the_runner_service_exist(emulated):
    state, contract = emulated["state"], emulated["first"].contract
    [service] = state["services"]
    [target] = state["targets"]

    assert state["role"]["Arn"] == contract["state_machine_role_arn"]
    assert state["role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "states.amazonaws.com"}
    assert {s["Sid"] for s in state["role_policy"]["Statement"]} == {"SendJobsToRunner", "StepFunctionsLogDelivery"}
    assert json.loads(state["rule"]["EventPattern"])["source"] == ["aws.states"]
    assert target["Arn"].endswith(f":function:{contract['finalize_function']}")
    assert service["desiredCount"] == 0 and service["taskDefinition"] == contract["runner_task_definition"]
    assert state["functions"] == sorted([contract["init_deploy_function"], contract["finalize_function"]])


def test_installing_again_from_the_command_line_reuses_what_exists(emulated):
    first, cli = emulated["first"], emulated["cli"]

    assert cli.returncode == 0, cli.stderr
    assert "1 skipped" in cli.stderr
    assert json.loads(cli.stdout) == first.contract
    # moto's state is global to the test process: look only at this backend's names.
    assert [t for t in emulated["tables"] if t.startswith("attini-")] == [first.contract["table"]]
    assert [b for b in emulated["buckets"] if b.startswith("attini-")] == [first.contract["artifact_bucket"]]


def test_an_unreachable_endpoint_is_a_clear_error(capsys):
    from infra_pulumi.emulate import main

    code = main(["--endpoint-url", "http://127.0.0.1:9"])
    printed = capsys.readouterr()

    assert code == 2 and printed.out == ""
    assert "cannot reach an AWS endpoint at http://127.0.0.1:9" in printed.err
    assert "moto_server" in printed.err and "Traceback" not in printed.err
