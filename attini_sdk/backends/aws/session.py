"""boto3 clients for one account and region, optionally through another endpoint (a moto server).

boto3 is imported on first use, so importing the AWS backend costs nothing until it talks to AWS::

    >>> s = AwsSession(region="eu-west-1", endpoint_url="http://127.0.0.1:5000")
    >>> s.describe()
    'region eu-west-1 at http://127.0.0.1:5000'
"""

from __future__ import annotations

import os
import threading
from typing import Any

from attini_sdk.errors import ConfigError

__all__ = ["AwsSession", "client_error_code"]


class AwsSession:
    """Where to reach AWS: a named ``profile``, a ``region`` and an ``endpoint_url`` (all optional).

    Left out, they come from the usual places: ``AWS_PROFILE``, ``AWS_REGION``/``AWS_DEFAULT_REGION``,
    ``AWS_ENDPOINT_URL`` and the shared config files. Clients are created once per service and shared by
    threads (boto3 clients are thread-safe).
    """

    def __init__(self, *, profile: str | None = None, region: str | None = None, endpoint_url: str | None = None):
        self.profile = profile
        self.region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        self.endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        self._session = None
        self._clients: dict[str, Any] = {}
        self._guard = threading.Lock()

    def describe(self) -> str:
        """Where this session points, for error messages."""
        parts = []
        if self.profile:
            parts.append(f"profile {self.profile}")
        parts.append(f"region {self.region or '(default)'}")
        if self.endpoint_url:
            parts.append(f"at {self.endpoint_url}")
        return " ".join(parts)

    def client(self, service: str):
        """The boto3 client of ``service`` (``"dynamodb"``, ``"s3"``, ``"ssm"``, ...)."""
        with self._guard:
            found = self._clients.get(service)
            if found is None:
                found = self._clients[service] = self._boto_session().client(
                    service, endpoint_url=self.endpoint_url, region_name=self.region,
                    config=_config())
            return found

    def _boto_session(self):
        if self._session is None:
            import boto3
            import botocore.exceptions

            try:
                self._session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
            except botocore.exceptions.ProfileNotFound as exc:
                raise ConfigError(f"AWS profile {self.profile!r} is not configured", where="AWS session",
                                  hint="name a profile from ~/.aws/config, or leave profile out",
                                  cli_hint="name a profile from ~/.aws/config with --profile, or leave it out") from exc
            if self.region is None:
                self.region = self._session.region_name
            if self.region is None:
                raise ConfigError("no AWS region is set", where="AWS session",
                                  hint="pass region='eu-west-1' (or set AWS_REGION)",
                                  cli_hint="add --region eu-west-1 (or set AWS_REGION)")
        return self._session


def _config():
    from botocore.config import Config

    return Config(retries={"max_attempts": 8, "mode": "adaptive"}, max_pool_connections=32)


def client_error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (None for any other exception).

    >>> client_error_code(ValueError("x")) is None
    True
    """
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    return response.get("Error", {}).get("Code")
