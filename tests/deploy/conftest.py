"""Arrangements for deploy tests: a moto server standing in for AWS, a private ATTINI_HOME, example artifacts.

One ``ThreadedMotoServer`` per test process, reset before every test; ``AWS_ENDPOINT_URL`` points at it, so
deployments (and subprocesses that deploy) reach it through the standard AWS configuration only.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
import requests

import attini_sdk as at

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "platform"
REGION = "eu-west-1"


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def reset_moto(endpoint: str) -> dict:
    """Forget every AWS resource; Lambda answers without Docker (it echoes the payload).

    Returns moto's config as it was: the server runs in this process and shares moto's global config with
    in-process ``mock_aws`` tests, so the ``aws`` fixture puts it back afterwards.
    """
    before = requests.get(f"{endpoint}/moto-api/config", timeout=30).json()
    requests.post(f"{endpoint}/moto-api/reset", timeout=30)
    requests.post(f"{endpoint}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=30)
    return before


@pytest.fixture
def aws(moto_endpoint, monkeypatch):
    """Fake credentials, a region and the moto server as the endpoint; nothing here reaches AWS."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    values = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
              "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": moto_endpoint,
              "AWS_CONFIG_FILE": "/nonexistent/aws-config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/creds"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    before = reset_moto(moto_endpoint)
    yield moto_endpoint
    requests.post(f"{moto_endpoint}/moto-api/config", json={"lambda": before.get("lambda", {"use_docker": True})},
                  timeout=30)


@pytest.fixture
def home(tmp_path, monkeypatch, aws):
    """A private ATTINI_HOME for the test (and the processes it starts)."""
    path = tmp_path / "attini-home"
    monkeypatch.setenv("ATTINI_HOME", str(path))
    return path


@pytest.fixture(scope="session")
def platform(tmp_path_factory) -> dict[str, at.Artifact]:
    """The three example distributions (network, database, app), packaged once."""
    out = tmp_path_factory.mktemp("platform")
    return {name: at.Distribution.from_path(EXAMPLES / name).package(out / name)
            for name in ("network", "database", "app")}


def example_env(name: str, home: Path, *, type: str = "test") -> at.Environment:
    """An environment ready for the examples: the database's SQLite file inside the test's folder."""
    env = at.Environment.create(name, type=type, home=home)
    env.parameters["DatabasePath"] = str(home / "sqlite" / name / "items.db")
    return env


@pytest.fixture
def dev(home) -> at.Environment:
    return example_env("dev", home)


def cloudformation():
    import boto3

    return boto3.client("cloudformation", region_name=REGION, endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def stack_status(name: str) -> str | None:
    try:
        return cloudformation().describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except Exception as exc:  # moto: "Stack with id x does not exist"
        if "does not exist" in str(exc):
            return None
        raise


class Project:
    """A small distribution written by a test: files, a raw ASL plan, dependencies."""

    def __init__(self, root: Path, name: str, version: str = "1.0.0"):
        self.root = root / f"{name}-src"
        self.root.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.version = version
        self.dependencies: list[dict] = []
        self.init_deploy: dict = {}

    def write(self, path: str, text: str) -> Project:
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return self

    def package(self, plan: dict, version: str | None = None, out: Path | None = None) -> at.Artifact:
        import yaml

        config = {"distributionName": self.name, "version": version or self.version}
        if self.dependencies:
            config["dependencies"] = self.dependencies
        if self.init_deploy:
            config["initDeployConfig"] = self.init_deploy
        self.write("attini-config.yaml", yaml.safe_dump(config))
        import attrs

        dist = attrs.evolve(at.Distribution.from_path(self.root, version=version or self.version), plan=plan)
        return dist.package(out or (self.root.parent / "dist" / f"{self.name}-{version or self.version}"))


@pytest.fixture
def project(tmp_path):
    def make(name: str, version: str = "1.0.0") -> Project:
        return Project(tmp_path / "projects", name, version)

    return make


def one_step(name: str, state: dict) -> dict:
    """A plan of one state."""
    return {"StartAt": name, "States": {name: {**state, "End": True}}}


QUEUE_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  AttiniEnvironmentName: {Type: String}
  QueueName: {Type: String}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AttiniEnvironmentName}-${QueueName}"
Outputs:
  QueueUrl: {Value: !Ref Queue}
"""


def cfn_step(step: str, queue: str, template: str = "/queue.yaml", *, stack: str | None = None, **extra) -> dict:
    """A Cfn step deploying QUEUE_TEMPLATE (or ``template``) as stack ``stack`` (default: the step name, lowercase)."""
    stack = stack or step.lower()
    return {"Type": "Task", "Resource": "attini:cfn", "ResultPath": f"$.output.{step}",
            "Parameters": {"StackName": stack, "Template": template, "Parameters": {"QueueName": queue}, **extra}}


def runner_step(step: str, commands: list[str], **extra) -> dict:
    return {"Type": "Task", "Resource": "attini:runner", "ResultPath": f"$.output.{step}",
            "Parameters": {"Commands": commands, **extra}}
