"""One run of the AttiniBackend program under plain Pulumi mocks, shared by the tests of this folder.

The mocks answer like the AWS provider (``infra_pulumi.mocks.FakeCloud``) and record every registered
resource with its inputs, which is what `pulumi up` would send to AWS.
"""

from __future__ import annotations

import json

import attrs
import pytest

RUNNER_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/attini-runner:1.0.0"


@attrs.frozen
class Program:
    """What a program run registered, with lookups tests read like sentences."""

    resources: tuple
    contract: dict
    urns: tuple[str, ...]

    def all(self, typ: str) -> list:
        return [r for r in self.resources if r.typ == f"aws:{typ}"]

    def one(self, typ: str, name: str):
        found = [r for r in self.all(typ) if r.name == name]
        assert len(found) == 1, f"expected one aws:{typ} named {name}, found {[r.name for r in self.all(typ)]}"
        return found[0]

    def policy_documents(self) -> dict[str, dict]:
        """Every IAM/resource policy the program writes, by '<type> <name>'."""
        fields = {"iam/policy:Policy": "policy", "iam/rolePolicy:RolePolicy": "policy",
                  "iam/role:Role": "assumeRolePolicy", "s3/bucketPolicy:BucketPolicy": "policy",
                  "sqs/queuePolicy:QueuePolicy": "policy"}
        return {f"{typ} {r.name}": json.loads(r.inputs[field])
                for typ, field in fields.items() for r in self.all(typ)}


def run_backend(**settings) -> Program:
    from infra_pulumi import build
    from infra_pulumi.component import AttiniBackend, AttiniBackendArgs
    from infra_pulumi.mocks import RecordingMocks, run_program

    # The layer folder is only named, never built: mocks do not read archives.
    args = AttiniBackendArgs(**{"runner_image": RUNNER_IMAGE, "lambda_layer_path": str(build.layer_directory()),
                                **settings})
    mocks = RecordingMocks()
    contract = run_program(mocks, lambda: AttiniBackend("attini", args).contract)
    from pulumi.runtime.settings import get_monitor

    urns = tuple(get_monitor().get_registered_resources())
    return Program(resources=tuple(mocks.registered), contract=contract, urns=urns)


@pytest.fixture(scope="session")
def program() -> Program:
    """The backend with its default settings (least privilege)."""
    return run_backend()
