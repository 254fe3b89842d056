"""Differential test: the same definitions through our engine and through moto's interpreter.

Three corpora, all run inside one ``mock_aws`` per test module:

* every conformance case recorded as ``moto: agree`` (and needing no test resources): moto must
  still agree with the expectation, and our engine must end exactly the same way;
* every case recorded as ``moto: differs``: moto must still differ, so the inventory of
  disagreements in docs/engine-conformance.md stays true as moto changes;
* ``services.yaml``: optimised DynamoDB/SQS/SNS integrations and AWS SDK integrations that moto
  executes against its own mocked services; both interpreters must produce the expected output.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.asl.conformance.cases import Case, canonical, load_cases
from tests.asl.differential.check_moto import moto_agrees
from tests.asl.differential.moto_backend import REGION, MotoStepFunctions


pytestmark = pytest.mark.slow

CASES = load_cases()
AGREEING = [case for case in CASES if case.moto_verdict == "agree" and not case.resources]
DIFFERING = [case for case in CASES if case.moto_verdict == "differs" and not case.resources]
SERVICES = yaml.safe_load((Path(__file__).parent / "services.yaml").read_text(encoding="utf-8"))["cases"]
WAIT_SECONDS = 20
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/{}"


def _param(case: Case):
    marks = [pytest.mark.xfail(reason=case.xfail, strict=case.xfail_strict)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.fixture(scope="module")
def moto_sfn():
    saved = {name: os.environ.get(name) for name in ("AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(AWS_DEFAULT_REGION=REGION, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    try:
        with MotoStepFunctions() as moto_sfn:
            _create_services(moto_sfn)
            yield moto_sfn
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _create_services(moto_sfn: MotoStepFunctions) -> None:
    dynamodb = moto_sfn.boto3_client("dynamodb")
    dynamodb.create_table(
        TableName="conformance-table",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sqs = moto_sfn.boto3_client("sqs")
    for name in ("conformance-queue", "conformance-sink"):
        sqs.create_queue(QueueName=name)
    sink_arn = sqs.get_queue_attributes(
        QueueUrl=QUEUE_URL.format("conformance-sink"), AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    sns = moto_sfn.boto3_client("sns")
    topic_arn = sns.create_topic(Name="conformance-topic")["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=sink_arn, Attributes={"RawMessageDelivery": "true"})


def run_engine(definition: dict, input, name: str | None = None) -> tuple:
    """Run on our engine; the outcome as (status, output-or-error), ("REJECTED",) or ("START_REFUSED",)."""
    from attini_sdk.errors import AttiniError

    from tests.asl.conformance.conftest import make_engine
    from tests.asl.conformance.test_conformance import finish

    engine = make_engine({})
    try:
        engine.validate(definition)
    except AttiniError:
        return ("REJECTED",)
    try:
        execution = finish(engine.start(definition, input, name=name), WAIT_SECONDS)
    except AttiniError:
        return ("START_REFUSED",)
    if execution.status == "SUCCEEDED":
        return ("SUCCEEDED", canonical(execution.output))
    return (execution.status, execution.error)


def outcome_of(result) -> tuple:
    if result.status in ("REJECTED", "START_REFUSED"):
        return (result.status,)
    if result.status == "SUCCEEDED":
        return ("SUCCEEDED", canonical(result.output))
    return (result.status, result.error)


@pytest.mark.parametrize("case", [_param(case) for case in AGREEING])
def test_engine_ends_like_moto_where_moto_agrees_with_aws(case, moto_sfn):
    moto = moto_sfn.run(case.definition, case.input, name=case.execution_name)
    ours = run_engine(case.definition, case.input, name=case.execution_name)
    assert moto_agrees(case, moto), f"moto no longer agrees: {moto}"
    if case.rejected:
        assert ours in {("REJECTED",), ("FAILED", "States.Runtime")}
    else:
        assert ours == outcome_of(moto)


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in DIFFERING])
def test_moto_still_differs_where_recorded(case, moto_sfn):
    moto = moto_sfn.run(case.definition, case.input, name=case.execution_name)
    assert not moto_agrees(case, moto), f"moto now agrees with AWS here; set 'moto: agree' ({case.moto})"


@pytest.mark.parametrize("service_case", [pytest.param(case, id=case["name"]) for case in SERVICES])
def test_service_integrations_on_engine_and_moto(service_case, moto_sfn):
    definition, input = service_case["definition"], service_case.get("input", {})
    expected = (
        ("SUCCEEDED", canonical(service_case["output"]))
        if "output" in service_case
        else ("FAILED", service_case["error"])
    )
    moto = outcome_of(moto_sfn.run(definition, input))
    ours = run_engine(definition, input)
    assert (ours, moto) == (expected, expected)


def test_the_corpus_is_large_enough():
    assert len(AGREEING) + len(SERVICES) >= 40
