"""Finding the installed backend: the JSON contract in SSM ``/attini/backend`` (written by ``infra_pulumi``).

The contract names the bucket, table, queues and settings (``docs/aws.md``, "The contract"); it is checked
against the schema before anything uses it, so a half-installed or newer backend fails with a clear error
rather than a KeyError later.
"""

from __future__ import annotations

import json

from attini_sdk.backends.aws.session import AwsSession, client_error_code
from attini_sdk.errors import BackendError, ConfigError

__all__ = ["PARAMETER_NAME", "SCHEMA_VERSION", "discover", "contract_problems"]

PARAMETER_NAME = "/attini/backend"
#: the newest contract layout this SDK understands (infra_pulumi/contract.py SCHEMA_VERSION)
SCHEMA_VERSION = 1
#: the keys the SDK itself reads (the full schema lives in infra_pulumi/contract.py)
_REQUIRED = {"schema": int, "region": str, "account_id": str, "artifact_bucket": str, "table": str,
             "deploy_events_queue_url": str, "runner_jobs_queue_url": str, "state_machine_prefix": str,
             "state_machine_role_arn": str, "secrets_prefix": str, "retention": dict, "runner": dict}


def contract_problems(contract: dict) -> list[str]:
    """What is wrong with a contract: infra_pulumi's full schema check when that package is importable (a
    repository checkout), else the keys the SDK reads.

    >>> contract_problems({"schema": 1})[:1]
    ['region is missing']
    """
    if not isinstance(contract, dict):
        return ["the contract is not a JSON object"]
    if isinstance(contract.get("schema"), int) and contract["schema"] > SCHEMA_VERSION:
        return [f"schema {contract['schema']} is newer than this SDK understands ({SCHEMA_VERSION})"]
    try:
        from infra_pulumi.contract import problems
    except ImportError:
        problems = None
    if problems is not None:
        return problems(contract)
    found = []
    for key, kind in _REQUIRED.items():
        if key not in contract:
            found.append(f"{key} is missing")
        elif not isinstance(contract[key], kind):
            found.append(f"{key} should be a {kind.__name__}, got {contract[key]!r}")
    return found


def discover(session: AwsSession, parameter: str = PARAMETER_NAME) -> dict:
    """Read and check the contract; :class:`ConfigError` naming the account and region when there is none."""
    ssm = session.client("ssm")
    try:
        value = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    except Exception as exc:
        code = client_error_code(exc)
        if code == "ParameterNotFound":
            raise ConfigError(
                f"no Attini backend in account {_account(session)} region {session.region} "
                f"(SSM parameter {parameter} does not exist)", where=f"AWS {session.describe()}",
                hint="install it: cd infra_pulumi && pulumi up (or, on a moto server: python -m infra_pulumi.emulate "
                     "--endpoint-url URL); check the region and profile") from exc
        if code is None and not type(exc).__module__.startswith(("botocore", "boto3", "urllib3")):
            raise
        raise BackendError(f"cannot read SSM parameter {parameter}: {exc}", where=f"AWS {session.describe()}",
                           hint="check your AWS credentials, region and network; the deployer policy allows "
                                f"ssm:GetParameter on {parameter}") from exc
    try:
        contract = json.loads(value)
    except ValueError as exc:
        raise BackendError(f"SSM parameter {parameter} is not JSON", where=f"AWS {session.describe()}",
                           hint="reinstall the backend: cd infra_pulumi && pulumi up") from exc
    problems = contract_problems(contract)
    if problems:
        newer = any("newer than this SDK" in p for p in problems)
        raise BackendError(f"the Attini backend contract in {parameter} is not usable: {'; '.join(problems)}",
                           where=f"AWS {session.describe()}",
                           hint="upgrade attini_sdk" if newer else
                           "reinstall or upgrade the backend: cd infra_pulumi && pulumi up")
    return contract


def _account(session: AwsSession) -> str:
    try:
        return session.client("sts").get_caller_identity()["Account"]
    except Exception:  # the error is about the missing backend; an unknown account is fine
        return "(unknown)"
