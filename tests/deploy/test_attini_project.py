"""An Attini project as Attini's own examples write it packages and deploys unmodified, on moto.

No ``version``, Template and ConfigFile paths without a leading '/', a ConfigFile that ``extends`` another,
an ``Attini::Deploy::Runner`` with an ``Image`` and ``Startup`` commands, the simple syntax, and
``attini deploy run -f`` to a production environment (Attini's -f: no question asked).
"""

from __future__ import annotations

import json
import os
import sys
import textwrap

import attrs
import pytest

from attini_sdk.cli import main
from attini_sdk.steps import container_engine, runner_container
from tests.fake_docker import FakeDocker

from .conftest import QUEUE_TEMPLATE, cloudformation, stack_status

IMAGE = "public.ecr.aws/amazonlinux/amazonlinux:2023"

CONFIG = """\
distributionName: queue-app
initDeployConfig:
  template: deployment-plan.yaml
  stackName: ${environment}-${distributionName}-deployment-plan
  variables:
    default:
      QueueSuffix: jobs
"""

PLAN = f"""\
AWSTemplateFormatVersion: "2010-09-09"
Transform:
  - AttiniDeploymentPlan
  - AWS::Serverless-2016-10-31

Parameters:
  AttiniEnvironmentName:
    Type: String

Resources:
  CustomRunner:
    Type: Attini::Deploy::Runner
    Properties:
      Image: {IMAGE}
      Startup:
        Commands:
          - echo "tools for $ATTINI_ENVIRONMENT_NAME" >> "{{startup_log}}"

  DeploymentPlan:
    Type: Attini::Deploy::DeploymentPlan
    Properties:
      DefaultRunner: CustomRunner
      DeploymentPlan:
        - Name: Deploy Queue
          Type: AttiniCfn
          Properties:
            StackName: !Sub ${{AttiniEnvironmentName}}-queue
            Template: cfn/queue.yaml
            ConfigFile: config/queue.yaml
        - Name: Smoke Test
          Type: AttiniRunnerJob
          Properties:
            Environment:
              QUEUE_URL.$: $.output['Deploy Queue'].QueueUrl
            Commands:
              - test -f cfn/queue.yaml
              - 'printf ''{{"queue": "%s", "version": "%s"}}'' "$QUEUE_URL" "$ATTINI_DISTRIBUTION_VERSION" > "$ATTINI_OUTPUT"'
"""


@attrs.frozen
class Shown:
    code: int
    out: str
    err: str


@pytest.fixture
def attini(capsys, monkeypatch):
    """``attini ARGS`` in this process, with nothing on stdin (a question would find no answer)."""
    import io

    def run(*args) -> Shown:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Shown(code, out, err)

    return run


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "queue-app"
    files = {
        "attini-config.yaml": CONFIG,
        "deployment-plan.yaml": PLAN.replace("{startup_log}", str(tmp_path / "startup.log")),
        "cfn/queue.yaml": QUEUE_TEMPLATE,
        "config/queue.yaml": "extends: config/base.yaml\nparameters:\n  QueueName: ${QueueSuffix}\n",
        "config/base.yaml": "tags:\n  team: platform\n",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(text))
    return root


def engine_on_path(monkeypatch, stand_in: FakeDocker) -> None:
    monkeypatch.setenv("PATH", f"{stand_in.path.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv(container_engine.ENGINE_VARIABLE)  # found by detection, as a user's docker would be


def test_an_attini_project_deploys_unmodified_to_production_with_force(attini, project, home, tmp_path,
                                                                      monkeypatch):
    docker = FakeDocker.install(tmp_path / "bin")
    engine_on_path(monkeypatch, docker)
    assert attini("environment", "create", "prod").code == 0  # production: Attini's default type

    deployed = attini("deploy", "run", project, "-e", "prod", "-f")

    assert deployed.code == 0, deployed.out + deployed.err
    assert "Continue?" not in deployed.err and "Packaged queue-app (sha256:" in deployed.out
    assert "note:" not in deployed.out  # the image is used: nothing to say
    assert "queue-app → prod: revision 1" in deployed.out and "succeeded" in deployed.out
    stack = cloudformation().describe_stacks(StackName="prod-queue")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["QueueName"] == "jobs"
    assert {"Key": "team", "Value": "platform"} in stack["Tags"]
    described = json.loads(attini("deploy", "describe", "-e", "prod", "-n", "queue-app", "--json").out)
    smoke = next(s for s in described["steps"] if s["step"] == "Smoke Test")["output"]
    assert smoke == {"queue": stack["Outputs"][0]["OutputValue"], "version": ""}
    assert described["version"] is None
    # the runner's startup ran once in its image, committed; the job ran in that image
    startup, job = docker.runs()
    committed = runner_container.startup_image("CustomRunner", described["deployment_id"])
    assert startup.image == IMAGE and job.image == committed
    assert ["commit", startup.values("--name")[0], committed] in docker.calls()
    assert ["rmi", "-f", committed] in docker.calls()  # removed when the deployment ended
    assert job.values("-w")[0].endswith("/source") and "QUEUE_URL" in job.values("-e")
    assert job.values("--network") == ["host"]  # moto listens on this machine
    assert (tmp_path / "startup.log").read_text() == "tools for prod\n"


def test_without_a_container_engine_the_host_runs_it_and_says_so_once(attini, project, home, tmp_path, monkeypatch):
    engine_on_path(monkeypatch, FakeDocker.install(tmp_path / "bin", engine_up=False))  # a client, no engine
    attini("environment", "create", "prod")

    deployed = attini("deploy", "run", project, "-e", "prod", "--force")

    assert deployed.code == 0, deployed.out + deployed.err
    notes = [line.strip() for line in deployed.out.splitlines() if line.strip().startswith("note:")]
    assert notes == [f"note: runner CustomRunner asks for image {IMAGE}; no container engine found (docker is "
                     "installed but its engine does not answer: Cannot connect to the Docker daemon at "
                     "unix:///var/run/docker.sock. Is the docker daemon running?), its commands run on this host"]
    assert stack_status("prod-queue") == "CREATE_COMPLETE"
    assert (tmp_path / "startup.log").read_text() == "tools for prod\n"


def test_without_force_production_still_asks(attini, project, home):
    attini("environment", "create", "prod")

    asked = attini("deploy", "run", project, "-e", "prod")

    assert asked.code == 1 and "Continue? (Y/N)" in asked.err and "-f (--force)" in asked.err
    assert stack_status("prod-queue") is None
