"""Create the component's resources in an AWS-compatible endpoint (a moto server) with boto3.

One function per Pulumi resource type (:mod:`~infra_pulumi.emulated_storage` for S3, SQS, DynamoDB and
IAM; :mod:`~infra_pulumi.emulated_compute` for the rest), looked up by type in :func:`creators`. Each
takes the inputs the program registered (Pulumi's wire form: camelCase keys, numbers as floats) and
returns the attributes the real provider would report (ARN, queue URL, revision, …). Every function
reuses what already exists, so installing twice against one endpoint changes nothing.

What the endpoint cannot do raises :class:`Unsupported`; the emulator reports it and carries on.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from functools import cache
from typing import Any

__all__ = ["EmulatedCloud", "Unsupported", "creators", "to_api", "code_placeholder", "error_code"]


class Unsupported(Exception):
    """The endpoint does not implement what a resource needs."""


def to_api(value: Any, renames: dict[str, str] | None = None) -> Any:
    """Pulumi's wire form → the AWS API's: PascalCase keys, whole floats as ints.

    >>> to_api({"noncurrentVersionExpiration": {"noncurrentDays": 10.0}, "id": "x"}, {"id": "ID"})
    {'NoncurrentVersionExpiration': {'NoncurrentDays': 10}, 'ID': 'x'}
    """
    renames = renames or {}
    if isinstance(value, dict):
        return {renames.get(k, k[:1].upper() + k[1:]): to_api(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [to_api(v, renames) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def code_placeholder(name: str) -> bytes:
    """A tiny package standing in for the Lambda code: moto stores functions but runs none."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("EMULATED.txt", f"{name}: created by infra_pulumi.emulate; the code runs in "
                                         "python -m attini_sdk.backends.aws.emulate\n")
    return buffer.getvalue()


def error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


class EmulatedCloud:
    """boto3 clients on one endpoint and region, and a creator per resource type."""

    def __init__(self, endpoint_url: str, region: str):
        import boto3

        # Fixed dummy credentials: an emulated install must never pick up (or leak) real ones.
        self._session = boto3.session.Session(aws_access_key_id="emulator", aws_secret_access_key="emulator",
                                              region_name=region)
        self.endpoint_url = endpoint_url
        self.region = region
        self._clients: dict[str, Any] = {}
        self.notes: list[str] = []

    def client(self, service: str):
        if service not in self._clients:
            from botocore.config import Config

            # A local endpoint answers at once or not at all: retry little, so a wrong URL fails fast.
            config = Config(connect_timeout=5, retries={"mode": "standard", "max_attempts": 2})
            self._clients[service] = self._session.client(service, endpoint_url=self.endpoint_url, config=config)
        return self._clients[service]

    def account(self) -> str:
        return self.client("sts").get_caller_identity()["Account"]

    def create(self, typ: str, inputs: dict) -> dict:
        creator = creators().get(typ)
        if creator is None:
            raise Unsupported("the emulator has no creator for this type")
        return creator(self, inputs) or {}

    # --- data sources --------------------------------------------------------------------------
    def default_vpc(self) -> dict:
        vpcs = self.client("ec2").describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
        if not vpcs:
            raise Unsupported("the endpoint has no default VPC")
        return {"id": vpcs[0]["VpcId"], "default": True, "cidrBlock": vpcs[0]["CidrBlock"]}

    def subnets(self, filters: list[dict]) -> dict:
        api_filters = [{"Name": f["name"], "Values": list(f["values"])} for f in filters or []]
        found = self.client("ec2").describe_subnets(Filters=api_filters)["Subnets"]
        return {"id": self.region, "ids": sorted(s["SubnetId"] for s in found), "filters": filters}


@cache
def creators() -> dict[str, Callable[[EmulatedCloud, dict], dict | None]]:
    """Pulumi resource type → the function that creates it in the endpoint."""
    from . import emulated_compute, emulated_storage

    return {**emulated_storage.CREATORS, **emulated_compute.CREATORS}
