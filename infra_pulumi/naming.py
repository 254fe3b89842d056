"""Every name and ARN of one backend, derived from the name prefix, the account and the region.

Names are deterministic so that policies can be written before the resources exist (no circular
dependency between a role and the queue it may read), and so that `pulumi up` is repeatable.

    >>> n = Names(prefix="attini", account="123456789012", region="eu-west-1")
    >>> n.bucket
    'attini-artifacts-123456789012-eu-west-1'
    >>> n.queue_arn(n.runner_jobs)
    'arn:aws:sqs:eu-west-1:123456789012:attini-runner-jobs'
    >>> n.state_machine_arn_prefix
    'arn:aws:states:eu-west-1:123456789012:stateMachine:attini-'
"""

from __future__ import annotations

import re

import attrs

__all__ = ["Names", "check_prefix", "ecr_repository_arn"]

# Lower case because the prefix ends up in an S3 bucket name; 20 characters keep every derived name
# (bucket: prefix + "-artifacts-" + 12 + "-" + region ≤ 63) inside AWS limits.
_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")
_ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)")

# Roles the backend creates live under their own path, apart from /attini/ (where users put the stack
# and execution roles the runner may pass), so the runner can never pass a backend role on.
BACKEND_ROLE_PATH = "/attini-backend/"
USER_ROLE_PATH = "/attini/"


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` if it can name every resource, else raise ``ConfigError`` saying why.

    >>> check_prefix("Attini")
    Traceback (most recent call last):
    attini_sdk.errors.ConfigError: AttiniBackendArgs.name_prefix (pulumi config attini:namePrefix): \
name_prefix 'Attini' must be 3-20 characters of a-z, 0-9 and '-', starting with a letter
      hint: it names the bucket, the table and the queues: e.g. 'attini' or 'attini-test'
    """
    if not _PREFIX.match(prefix):
        from attini_sdk.errors import ConfigError

        raise ConfigError(f"name_prefix {prefix!r} must be 3-20 characters of a-z, 0-9 and '-', "
                          "starting with a letter",
                          where="AttiniBackendArgs.name_prefix (pulumi config attini:namePrefix)",
                          hint="it names the bucket, the table and the queues: e.g. 'attini' or 'attini-test'")
    return prefix


def ecr_repository_arn(image: str, partition: str = "aws") -> str | None:
    """The ECR repository an image URI points at, or None for an image from another registry.

    >>> ecr_repository_arn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/attini-runner:1.0")
    'arn:aws:ecr:eu-west-1:123456789012:repository/attini-runner'
    >>> ecr_repository_arn("public.ecr.aws/docker/library/python:3.11") is None
    True
    """
    found = _ECR_IMAGE.match(image)
    if not found:
        return None
    account, region, repository = found.groups()
    return f"arn:{partition}:ecr:{region}:{account}:repository/{repository}"


@attrs.frozen
class Names:
    """Names and ARNs of one backend (``prefix``) in one ``account`` and ``region``."""

    prefix: str = attrs.field(validator=lambda _i, _a, v: check_prefix(v))
    account: str
    region: str
    partition: str = "aws"

    # --- plain names -------------------------------------------------------------------------
    @property
    def bucket(self) -> str:
        return f"{self.prefix}-artifacts-{self.account}-{self.region}"

    @property
    def table(self) -> str:
        return f"{self.prefix}-state"

    @property
    def deploy_events(self) -> str:
        return f"{self.prefix}-deploy-events"

    @property
    def runner_jobs(self) -> str:
        return f"{self.prefix}-runner-jobs"

    @property
    def init_deploy(self) -> str:
        return f"{self.prefix}-init-deploy"

    @property
    def finalize(self) -> str:
        return f"{self.prefix}-finalize"

    @property
    def cluster(self) -> str:
        return self.prefix

    @property
    def runner(self) -> str:
        return f"{self.prefix}-runner"

    @property
    def event_rule(self) -> str:
        return f"{self.prefix}-execution-status"

    @property
    def state_machine_prefix(self) -> str:
        """Every state machine of this backend is named ``<prefix>-<environment>-<distribution>``."""
        return f"{self.prefix}-"

    def role(self, purpose: str) -> str:
        """IAM names are global to the account: the region keeps two installs apart."""
        return f"{self.prefix}-{purpose}-{self.region}"

    def log_group(self, purpose: str) -> str:
        if purpose in ("init-deploy", "finalize"):
            return f"/aws/lambda/{self.prefix}-{purpose}"
        if purpose == "states":  # the /aws/vendedlogs/ prefix keeps the logs resource policy small
            return f"/aws/vendedlogs/states/{self.prefix}"
        return f"/attini/{self.prefix}/{purpose}"

    # --- ARNs --------------------------------------------------------------------------------
    def _arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return ":".join(["arn", self.partition, service, self.region if region else "",
                         self.account if account else "", resource])

    @property
    def bucket_arn(self) -> str:
        return self._arn("s3", self.bucket, region=False, account=False)

    def objects_arn(self, prefix: str) -> str:
        """Objects under ``prefix`` (e.g. ``deploy/``) of the artifact bucket."""
        return f"{self.bucket_arn}/{prefix}*"

    @property
    def table_arn(self) -> str:
        return self._arn("dynamodb", f"table/{self.table}")

    @property
    def table_indexes_arn(self) -> str:
        return f"{self.table_arn}/index/*"

    def queue_arn(self, name: str) -> str:
        return self._arn("sqs", name)

    def function_arn(self, name: str) -> str:
        return self._arn("lambda", f"function:{name}")

    def log_group_arn(self, purpose: str) -> str:
        """The ARN IAM wants for writing streams: the group's ARN followed by ``:*``."""
        return self._arn("logs", f"log-group:{self.log_group(purpose)}:*")

    @property
    def state_machine_arn_prefix(self) -> str:
        return self._arn("states", f"stateMachine:{self.state_machine_prefix}")

    @property
    def state_machines_arn(self) -> str:
        return self.state_machine_arn_prefix + "*"

    @property
    def executions_arn(self) -> str:
        return self._arn("states", f"execution:{self.state_machine_prefix}*:*")

    def role_arn(self, purpose: str) -> str:
        return self._arn("iam", f"role{BACKEND_ROLE_PATH}{self.role(purpose)}", region=False)

    @property
    def user_roles_arn(self) -> str:
        """Roles users create for CloudFormation (StackRoleArn) in this account."""
        return self._arn("iam", f"role{USER_ROLE_PATH}*", region=False)

    @property
    def execution_roles_arn(self) -> str:
        """ExecutionRoleArn targets in any account (cross-account deploys), same path rule."""
        return f"arn:{self.partition}:iam::*:role{USER_ROLE_PATH}*"

    def parameters_arn(self, path: str) -> str:
        """SSM parameters named ``path`` (``/attini/*`` style, leading slash kept by SSM's ARN form)."""
        return self._arn("ssm", f"parameter{path}")

    def secrets_arn(self, prefix: str) -> str:
        return self._arn("secretsmanager", f"secret:{prefix}*")

    @property
    def stacks_arn(self) -> str:
        return self._arn("cloudformation", "stack/*")

    @property
    def sam_transform_arn(self) -> str:
        """SAM templates need CreateChangeSet on AWS's transform, whose ARN has ``aws`` as account."""
        return f"arn:{self.partition}:cloudformation:{self.region}:aws:transform/Serverless-2016-10-31"
