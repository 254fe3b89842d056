"""Secrets on the AWS backend (issue 13 point 2): after a deployment that prints, returns and passes on secrets of
every shape, no form of them is anywhere in the emulated account but their SSM SecureStrings.

The same four secrets as the local test (``tests/deploy/test_secrets_everywhere.py``) are set through
``Environment.aws(...).parameters``; a runner step prints them and returns them, a second step receives them
from the first's output and checks it got the real values, and a third deployment fails after printing them.
Then every object of every bucket, every item of every table, every execution's input, output and history,
every message still in a queue, every log event and every SSM parameter outside ``/attini/secrets/`` is read:
zero hits. The deployer's ``$ATTINI_HOME`` and everything the SDK shows are read too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import attini_sdk as at
from tests.backends.aws.e2e.conftest import REGION
from tests.deploy.test_secrets_everywhere import FAILS, PRINTS, SECRETS, file_leaks, leaks


def _pages(client, operation: str, key: str, **kwargs):
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def account_texts(backend) -> dict[str, str]:
    """``where: text`` for everything the emulated account holds that a person with read access could see."""
    found: dict[str, str] = {}
    s3 = backend.client("s3")
    for bucket in s3.list_buckets()["Buckets"]:
        for item in _pages(s3, "list_object_versions", "Versions", Bucket=bucket["Name"]):
            body = s3.get_object(Bucket=bucket["Name"], Key=item["Key"], VersionId=item["VersionId"])
            found[f"s3://{bucket['Name']}/{item['Key']}?{item['VersionId']}"] = \
                body["Body"].read().decode("latin-1") + json.dumps(body.get("Metadata", {}))
    dynamo = backend.client("dynamodb")
    for table in dynamo.list_tables()["TableNames"]:
        found[f"dynamodb:{table}"] = json.dumps(list(_pages(dynamo, "scan", "Items", TableName=table)))
    sfn = backend.client("stepfunctions")
    for machine in _pages(sfn, "list_state_machines", "stateMachines"):
        arn = machine["stateMachineArn"]
        found[f"states:{arn}"] = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
        for execution in _pages(sfn, "list_executions", "executions", stateMachineArn=arn):
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            history = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)
            found[f"states:{execution['executionArn']}"] = json.dumps([described, history["events"]], default=str)
    sqs = backend.client("sqs")
    for url in sqs.list_queues().get("QueueUrls", []):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        found[f"sqs:{url}"] = json.dumps(messages.get("Messages", []))
    logs = backend.client("logs")
    for group in _pages(logs, "describe_log_groups", "logGroups"):
        events = list(_pages(logs, "filter_log_events", "events", logGroupName=group["logGroupName"]))
        found[f"logs:{group['logGroupName']}"] = json.dumps(events)
    ssm = backend.client("ssm")
    for parameter in _pages(ssm, "describe_parameters", "Parameters"):
        if not parameter["Name"].startswith("/attini/secrets/"):
            value = ssm.get_parameter(Name=parameter["Name"], WithDecryption=True)["Parameter"]["Value"]
            found[f"ssm:{parameter['Name']}"] = value
    return found


def test_no_form_of_a_secret_is_in_the_account_but_its_securestring(backend, env, project, tmp_path):
    aws_env = at.Environment.aws(env, endpoint_url=backend.endpoint, region=REGION)
    for key, value in SECRETS.items():
        aws_env.parameters.set(key, value, secret=True)

    good = aws_env.deploy(project("app").package(PRINTS))
    bad = aws_env.deploy(project("app", "2.0.0").package(FAILS, version="2.0.0"))

    assert good.status == "succeeded", (good.record.error, good.record.cause)
    assert good.outputs["output"]["Check"] == {"same": True}  # the steps got the real values
    assert bad.status == "failed"
    stored = backend.client("ssm").get_parameter(Name=f"/attini/secrets/{env}/Plain", WithDecryption=True)
    assert SECRETS["Plain"] in stored["Parameter"]["Value"]  # the one place a secret may be

    shown = []
    for deployment in (good, bad):
        shown += [deployment.steps.to_json(date_format="iso"), json.dumps(deployment.outputs),
                  json.dumps(deployment.summary(), default=str), repr(deployment),
                  str(deployment.record.cause), *(deployment.logs(step) for step in set(deployment.steps["step"]))]
    shown += [aws_env.history().to_json(date_format="iso"), aws_env.inventory().to_json(date_format="iso"),
              aws_env.parameters.frame().to_json(), repr(aws_env.parameters)]
    assert leaks("\n".join(shown)) == []

    texts = account_texts(backend)
    assert any(where.startswith("states:") for where in texts)  # the histories were read, not skipped
    assert any(where.startswith("dynamodb:") for where in texts)
    assert {where: hits for where, text in texts.items() if (hits := leaks(text))} == {}
    assert file_leaks(Path(os.environ["ATTINI_HOME"])) == []  # the deployer's cache of artifacts and logs
