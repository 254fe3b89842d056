"""Step logs on the emulated AWS backend read the same as on the local backend: ``Deployment.logs`` and
``attini --backend aws deploy logs`` show what a Runner step printed; a Pass state has no log; an unknown step is
not found; a secret never reaches CloudWatch Logs."""

from __future__ import annotations

import json

import pytest

import attini_sdk as at
from attini_sdk.errors import NotFoundError
from tests.backends.aws.e2e.conftest import REGION
from tests.deploy.conftest import Project, runner_step

PLAN = {"StartAt": "Hello", "States": {
    "Hello": {**runner_step("Hello", ["echo 'hello from' $ATTINI_STEP_NAME", "echo", "echo 'password:' $PW"],
                            Environment={"PW.$": "$.parameters.DbPassword"}), "Next": "Done"},
    "Done": {"Type": "Pass", "End": True}}}
SECRET = "hunter2-e2e-s3cr3t"


@pytest.fixture
def project(tmp_path):
    return Project(tmp_path / "projects", "app", "1.0.0")


def printed(text: str) -> list[str]:
    """What the job printed: the log without the runner's own ``[attini]`` lines (job ids, where it ran)."""
    return [line for line in text.splitlines() if not line.startswith("[attini]")]


def test_a_runner_steps_log_reads_the_same_on_aws_as_on_local(backend, env, project, tmp_path):
    artifact = project.package(PLAN)
    aws_env = at.Environment.aws(env, endpoint_url=backend.endpoint, region=REGION)
    local_env = at.Environment.create("localdev", home=tmp_path / "local-home")
    for environment in (aws_env, local_env):
        environment.parameters.set("DbPassword", SECRET, secret=True)

    on_aws, on_local = aws_env.deploy(artifact), local_env.deploy(artifact)

    assert (on_aws.status, on_local.status) == ("succeeded", "succeeded"), (on_aws.record.error, on_aws.record.cause)
    assert printed(on_aws.logs("Hello")) == printed(on_local.logs("Hello")) == [
        "hello from Hello", "", "password: ***"]
    assert "[attini] job Hello-" in on_aws.logs("Hello")
    assert on_aws.logs("Done") == on_local.logs("Done") == ""
    for deployment in (on_aws, on_local):
        with pytest.raises(NotFoundError, match="has no step 'Nope'"):
            deployment.logs("Nope")
    logs = backend.client("logs")
    group = backend.contract["runner_log_group"]
    streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=f"{on_aws.id}/")["logStreams"]
    assert [s["logStreamName"] for s in streams] == [f"{on_aws.id}/Hello/1"]
    shipped = logs.get_log_events(logGroupName=group, logStreamName=streams[0]["logStreamName"],
                                  startFromHead=True)["events"]
    assert "password: ***\n" in [e["message"] for e in shipped] and SECRET not in json.dumps(shipped)


def test_attini_backend_aws_deploy_logs_prints_the_step_log(backend, env, project, capsys):
    from attini_sdk.cli import main

    aws_env = at.Environment.aws(env, endpoint_url=backend.endpoint, region=REGION)
    aws_env.parameters.set("DbPassword", SECRET, secret=True)
    deployment = aws_env.deploy(project.package(PLAN))
    assert deployment.status == "succeeded"
    capsys.readouterr()

    code = main(["--backend", "aws", "--endpoint-url", backend.endpoint, "--region", REGION,
                 "deploy", "logs", "-e", env, "-n", "app", "--json"])

    out = capsys.readouterr().out
    assert code == 0
    document = json.loads(out)
    assert document["deployment_id"] == deployment.id
    assert printed(document["logs"]["Hello"]) == ["hello from Hello", "", "password: ***"]
    assert SECRET not in out
