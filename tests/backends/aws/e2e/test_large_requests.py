"""A deploy request larger than S3 object metadata holds (2 KB) travels as ``requests/<request id>.json`` beside
the zip; init-deploy reads it there and refuses a pointer anywhere else."""

from __future__ import annotations

import json

import pytest

import attini_sdk as at
from attini_sdk.backends.aws.submit import REQUEST_METADATA, request_from_object
from tests.backends.aws.e2e.conftest import REGION
from tests.deploy.conftest import runner_step

ECHO = {"StartAt": "Echo", "States": {"Echo": {**runner_step("Echo", [
    'printf \'{"size": %s, "last": "%s"}\' "${#BIG}" "$LAST" > "$ATTINI_OUTPUT"'],
    Environment={"BIG.$": "$.parameters.Big", "LAST.$": "$.parameters.P39"}), "End": True}}}


def test_a_request_too_large_for_metadata_deploys_with_every_parameter(backend, env, project):
    parameters = {"Big": "x" * 5000, **{f"P{i}": f"value-{i}" for i in range(40)}}
    aws_env = at.Environment.aws(env, endpoint_url=backend.endpoint, region=REGION)

    deployment = aws_env.deploy(project("echo").package(ECHO), parameters=parameters)

    assert deployment.status == "succeeded", (deployment.record.error, deployment.record.cause)
    assert deployment.outputs["output"]["Echo"] == {"size": 5000, "last": "value-39"}
    listed = backend.client("s3").list_objects_v2(Bucket=backend.bucket, Prefix=f"deploy/{env}/echo/requests/")
    [stored] = listed["Contents"]
    body = json.loads(backend.client("s3").get_object(Bucket=backend.bucket, Key=stored["Key"])["Body"].read())
    assert body["parameters"] == parameters and stored["Key"].endswith(f"/{body['request_id']}.json")

    s3 = backend.client("s3")
    zip_key = f"deploy/{env}/echo/{deployment.distribution_id}.zip"
    metadata = s3.head_object(Bucket=backend.bucket, Key=zip_key)["Metadata"]
    assert len(metadata[REQUEST_METADATA]) < 200  # only the pointer rides on the zip
    read = lambda key: s3.get_object(Bucket=backend.bucket, Key=key)["Body"].read()  # noqa: E731
    request = request_from_object(zip_key, metadata, read=read)
    assert request.request_id == body["request_id"] and dict(request.parameters) == parameters
    with pytest.raises(ValueError, match="pass read="):
        request_from_object(zip_key, metadata)


def test_a_request_pointing_outside_its_upload_is_refused(backend, env, project):
    artifact = project("echo").package(ECHO)
    elsewhere = f"deploy/{env}/other/requests/r-1.json"
    backend.client("s3").put_object(Bucket=backend.bucket, Key=elsewhere,
                                    Body=json.dumps({"request_id": "r-1", "parameters": {}}).encode())

    request_id = backend.upload(env, artifact, request={"request_id": "r-1", "request_body": elsewhere})

    with pytest.raises(at.AttiniError, match="points at"):
        backend.deployment(request_id)
    assert backend.state.list_deployments(env) == []
