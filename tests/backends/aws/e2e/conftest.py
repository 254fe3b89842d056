"""A moto server with the backend installed by ``infra_pulumi.emulate`` and the emulation running.

One ``ThreadedMotoServer`` per run of this package in a test process, reset once; Step Functions execution is
switched on, the backend installed (the same Pulumi program as ``pulumi up``, under mocks that create every
resource in the server) and :class:`~attini_sdk.backends.aws.emulate.Emulator` (init-deploy, finalize, the runner)
runs in a thread. Package scope: the server, the backend and the emulator's threads end with the package's last
test, so nothing keeps polling (or formatting tracebacks) while other tests of the process run.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
import uuid

import pytest
import requests

REGION = "eu-west-1"


@pytest.fixture(scope="package")
def moto_server():
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # moto's Step Functions interpreter calls SQS (the job queue) at localhost:$MOTO_PORT
    saved = os.environ.get("MOTO_PORT")
    os.environ["MOTO_PORT"] = str(port)
    yield f"http://{host}:{port}"
    server.stop()
    if saved is None:
        os.environ.pop("MOTO_PORT", None)
    else:
        os.environ["MOTO_PORT"] = saved


class Backend:
    """The installed backend as a test sees it: contract, session, state store, and a deployer's upload."""

    def __init__(self, endpoint: str, contract: dict):
        from attini_sdk.backends.aws.session import AwsSession
        from attini_sdk.backends.aws.state import DynamoStateStore

        self.endpoint = endpoint
        self.contract = contract
        self.session = AwsSession(region=REGION, endpoint_url=endpoint)
        self.state = DynamoStateStore.from_contract(self.session, contract)
        self.bucket = contract["artifact_bucket"]

    def client(self, service: str):
        return self.session.client(service)

    def upload(self, env: str, artifact, *, request: dict | None = None) -> str:
        """What the SDK's submit does: put the zip under deploy/ with the request in its metadata."""
        request = {"request_id": uuid.uuid4().hex, "deployed_by": "tests", **(request or {})}
        self.client("s3").put_object(Bucket=self.bucket, Key=f"deploy/{env}/{artifact.name}/{artifact.id}.zip",
                                     Body=artifact.path.read_bytes(),
                                     Metadata={"attini-request": json.dumps(request)})
        return request["request_id"]

    def deployment(self, request_id: str, *, seconds: float = 60):
        """The deployment a request started, once it has one (raises the error of a refused request)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.state.request_outcome(request_id)
            if found is not None:
                return found
            time.sleep(0.1)
        raise AssertionError(f"request {request_id} has no outcome after {seconds} s")

    def wait(self, deployment_id: str, *, until=("succeeded", "failed", "aborted"), seconds: float = 90):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            record = self.state.get_deployment(deployment_id)
            if record.status in until:
                return record
            time.sleep(0.1)
        raise AssertionError(f"deployment {deployment_id} is still {record.status}")


_ENV_VARS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
             "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": "/nonexistent/aws-config",
             "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/creds"}


@pytest.fixture(scope="package")
def backend(moto_server, tmp_path_factory):
    """The backend, installed once per test process (each test deploys into environments of its own)."""
    from infra_pulumi.emulate import install

    from attini_sdk.backends.aws.emulate import enable_execution

    saved = {name: os.environ.get(name) for name in [*_ENV_VARS, "AWS_ENDPOINT_URL", "AWS_PROFILE", "ATTINI_HOME"]}
    os.environ.update(_ENV_VARS, AWS_ENDPOINT_URL=moto_server,
                      ATTINI_HOME=str(tmp_path_factory.mktemp("attini-home")))
    os.environ.pop("AWS_PROFILE", None)
    try:
        requests.post(f"{moto_server}/moto-api/reset", timeout=30)
        enable_execution(moto_server)
        contract = install(moto_server, region=REGION, err=io.StringIO()).contract
        yield Backend(moto_server, contract)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="package")
def emulator(backend, tmp_path_factory):
    from attini_sdk.backends.aws.emulate import Emulator

    # the runner as ECS runs it: `python -m attini_sdk.runner`, started while jobs wait, exiting when idle
    emulator = Emulator(backend.endpoint, region=REGION, runner="subprocess", runner_idle_ttl=20,
                        cache_dir=tmp_path_factory.mktemp("runner"))
    emulator.start()
    yield emulator
    emulator.stop()


_COUNT = iter(range(1, 10_000))


@pytest.fixture
def env(backend, emulator) -> str:
    """A fresh environment for this test (``e<n>``) in the shared backend."""
    name = f"e{next(_COUNT)}"
    backend.state.create_environment(name)
    return name


@pytest.fixture
def project(tmp_path):
    """``project(name, version="1.0.0")``: a distribution folder to write files into and package."""
    from tests.deploy.conftest import Project

    def make(name: str, version: str = "1.0.0"):
        return Project(tmp_path / "projects", name, version)

    return make
