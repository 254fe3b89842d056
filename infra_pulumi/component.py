"""``AttiniBackend``: the whole AWS backend as one Pulumi component.

    import pulumi
    from infra_pulumi.component import AttiniBackend, AttiniBackendArgs

    backend = AttiniBackend("attini", AttiniBackendArgs(
        runner_image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/attini-runner:0.1.0"))
    pulumi.export("contract", backend.contract)

Every resource is a child of the component; names derive from ``name_prefix`` (see
:mod:`infra_pulumi.naming`). The contract the SDK reads (:mod:`infra_pulumi.contract`) is both an
output of the component and the value of the SSM parameter ``/attini/backend``.
"""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pulumi
import pulumi_aws as aws

from . import contract as contract_schema
from .compute import RunnerSettings, runner_service
from .functions import INIT_DEPLOY_TIMEOUT, FunctionSettings, backend_functions, log_group
from .iam import RoleSettings, backend_roles
from .naming import Names, check_prefix, ecr_repository_arn
from .queues import deploy_events_policy, queue_with_dlq
from .scaling import runner_scaling
from .storage import artifact_bucket, deploy_notification
from .table import state_table
from .wiring import child

__all__ = ["AttiniBackend", "AttiniBackendArgs", "DEFAULT_CODE_PATH"]

DEFAULT_CODE_PATH = str(Path(__file__).resolve().parents[1] / "attini_sdk")
# The retention periods CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
# Fargate's valid (cpu, memory) pairs in MiB, by cpu units.
_FARGATE_MEMORY = {256: range(512, 2049, 512), 512: range(1024, 4097, 1024), 1024: range(2048, 8193, 1024),
                   2048: range(4096, 16385, 1024), 4096: range(8192, 30721, 1024)}


def _fail(field: str, what: str, hint: str):
    from attini_sdk.errors import ConfigError

    raise ConfigError(what, where=f"AttiniBackendArgs.{field} (pulumi config attini:{_config_key(field)})",
                      hint=hint)


def _config_key(field: str) -> str:
    """``runner_idle_ttl_seconds`` → ``runnerIdleTtlSeconds``."""
    return "".join(part.capitalize() if i else part for i, part in enumerate(field.split("_")))


def _at_least(minimum: int):
    def check(_instance, attribute, value):
        if not isinstance(value, int) or value < minimum:
            _fail(attribute.name, f"{attribute.name} must be a whole number >= {minimum}, got {value!r}",
                  f"set a whole number of at least {minimum}")
    return check


def _log_days(field: str, value: int) -> None:
    if value not in LOG_RETENTION_DAYS:
        _fail(field, f"CloudWatch Logs cannot keep logs {value!r} days",
              "use one of " + ", ".join(map(str, LOG_RETENTION_DAYS)))


@attrs.frozen
class AttiniBackendArgs:
    """Settings of one backend install; every field has a Pulumi config key (camelCase, ``attini:``)."""

    runner_image: str = ""
    name_prefix: str = attrs.field(default="attini", validator=lambda _i, _a, v: check_prefix(v))
    retention_days: int = attrs.field(default=10, validator=_at_least(0))
    retention_versions: int = attrs.field(default=10, validator=_at_least(0))
    runner_cpu: int = 1024
    runner_memory: int = 2048
    max_concurrent_jobs: int = attrs.field(default=4, validator=_at_least(1))
    runner_idle_ttl_seconds: int = attrs.field(default=900, validator=_at_least(1))
    runner_min_tasks: int = attrs.field(default=0, validator=_at_least(0))
    runner_max_tasks: int = attrs.field(default=2, validator=_at_least(1))
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    least_privilege: bool = True
    lambda_code_path: str = DEFAULT_CODE_PATH
    lambda_layer_path: str | None = None
    log_retention_days: int = attrs.field(default=30, validator=lambda _i, a, v: _log_days(a.name, v))
    table_deletion_protection: bool = True
    retain_data: bool = True
    xray_tracing: bool = False
    parameter_name: str = contract_schema.PARAMETER_NAME
    runner_policy_arns: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    state_machine_policy_arns: tuple[str, ...] = attrs.field(default=(), converter=tuple)

    def __attrs_post_init__(self):
        if self.runner_memory not in _FARGATE_MEMORY.get(self.runner_cpu, ()):
            _fail("runner_memory", f"Fargate cannot run cpu={self.runner_cpu} with memory={self.runner_memory}",
                  "use cpu 256/512/1024/2048/4096 with a memory size Fargate allows, e.g. 1024 with 2048")
        if self.subnet_ids and not self.vpc_id:
            _fail("vpc_id", "subnet_ids are set but vpc_id is not", "set vpc_id to the subnets' VPC")
        if self.runner_min_tasks > self.runner_max_tasks:
            _fail("runner_min_tasks", f"runner_min_tasks {self.runner_min_tasks} is above runner_max_tasks "
                  f"{self.runner_max_tasks}", "lower runner_min_tasks or raise runner_max_tasks")

    @classmethod
    def from_config(cls, config: pulumi.Config) -> AttiniBackendArgs:
        """The settings from Pulumi config: each field under its camelCase key, e.g. ``attini:runnerImage``."""
        values = {}
        for field in attrs.fields(cls):
            key = _config_key(field.name)
            default = field.default
            if isinstance(default, bool):
                value = config.get_bool(key)
            elif isinstance(default, int):
                value = config.get_int(key)
            elif isinstance(default, tuple):
                value = config.get_object(key)
            else:
                value = config.get(key)
            if value is not None:
                values[field.name] = value
        return cls(**values)

    def require_image(self) -> str:
        if not self.runner_image:
            _fail("runner_image", "no runner image is configured",
                  "build infra_pulumi/runner/Dockerfile, push it to ECR, then "
                  "`pulumi config set runnerImage <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`")
        return self.runner_image


class AttiniBackend(pulumi.ComponentResource):
    """The S3/SQS/DynamoDB/Lambda/Step Functions/ECS backend of attini_sdk, with its IAM and contract."""

    contract: pulumi.Output[dict]

    def __init__(self, name: str, args: AttiniBackendArgs | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("attini:backend:AttiniBackend", name, None, opts)
        args = args or AttiniBackendArgs()
        image = args.require_image()
        names = self._names(args.name_prefix)
        days = args.log_retention_days

        storage = artifact_bucket(name, self, names, retention_days=args.retention_days,
                                  retention_versions=args.retention_versions, retain=args.retain_data)
        table = state_table(name, self, names, deletion_protection=args.table_deletion_protection,
                            retain=args.retain_data)
        deploy_events = queue_with_dlq(name, self, names, "deploy-events", visibility_timeout=6 * INIT_DEPLOY_TIMEOUT)
        runner_jobs = queue_with_dlq(name, self, names, "runner-jobs",
                                     visibility_timeout=contract_schema.RUNNER_VISIBILITY_TIMEOUT)
        queue_policy = deploy_events_policy(name, self, names, deploy_events.queue)
        notification = deploy_notification(name, self, storage.bucket, deploy_events.queue, queue_policy)

        roles = backend_roles(name, self, names, RoleSettings(
            parameter_name=args.parameter_name, secrets_prefix=contract_schema.SECRETS_PREFIX,
            least_privilege=args.least_privilege, xray=args.xray_tracing,
            ecr_repository_arn=ecr_repository_arn(image), runner_policy_arns=args.runner_policy_arns,
            state_machine_policy_arns=args.state_machine_policy_arns))
        states_logs = log_group(name, self, names, "states", days)
        functions = backend_functions(
            name, self, names, FunctionSettings(code_path=args.lambda_code_path, layer_path=args.lambda_layer_path,
                                                parameter_name=args.parameter_name, log_retention_days=days,
                                                xray=args.xray_tracing),
            init_deploy_role=roles.init_deploy, finalize_role=roles.finalize, deploy_events=deploy_events.queue,
            grants=roles.grants)
        runner_logs = log_group(name, self, names, "runner", days)
        runner = runner_service(
            name, self, names, RunnerSettings(
                image=image, cpu=args.runner_cpu, memory=args.runner_memory,
                max_concurrent_jobs=args.max_concurrent_jobs, idle_ttl_seconds=args.runner_idle_ttl_seconds,
                min_tasks=args.runner_min_tasks, parameter_name=args.parameter_name, vpc_id=args.vpc_id,
                subnet_ids=args.subnet_ids),
            task_role=roles.runner, execution_role=roles.runner_execution, log_group=runner_logs, grants=roles.grants)
        runner_scaling(name, self, names, cluster=runner.cluster, service=runner.service,
                       min_tasks=args.runner_min_tasks, max_tasks=args.runner_max_tasks,
                       idle_ttl_seconds=args.runner_idle_ttl_seconds)

        self.contract = _contract(names, args, {
            "artifact_bucket": storage.bucket.bucket, "table": table.name,
            "deploy_events_queue_url": deploy_events.queue.url, "deploy_events_dlq_url": deploy_events.dlq.url,
            "runner_jobs_queue_url": runner_jobs.queue.url, "runner_jobs_dlq_url": runner_jobs.dlq.url,
            "state_machine_role_arn": roles.state_machine.arn, "state_machine_log_group_arn": states_logs.arn,
            "init_deploy_function": functions.init_deploy.name, "finalize_function": functions.finalize.name,
            "event_rule": functions.event_rule.name, "cluster": runner.cluster.name,
            "runner_task_definition": runner.task_definition.arn, "runner_service": runner.service.name,
            "runner_log_group": runner_logs.name, "deployer_policy_arn": roles.deployer_policy.arn,
            "operator_policy_arn": roles.operator_policy.arn,
        })
        # Written last: depending on the settings means the SDK never finds a half-configured backend.
        self.parameter = aws.ssm.Parameter(
            f"{name}-contract", name=args.parameter_name, type="String", tier="Standard",
            description="attini backend contract (see docs/aws.md)",
            value=self.contract.apply(lambda c: json.dumps(c, sort_keys=True)),
            opts=child(self, depends_on=[*storage.settings, notification, *roles.grants, *functions.wiring]))
        self.register_outputs({"contract": self.contract, "parameter": self.parameter.name})

    def _names(self, prefix: str) -> pulumi.Output[Names]:
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        region = aws.get_region_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        return pulumi.Output.all(identity.account_id, region.region, partition.partition).apply(
            lambda v: Names(prefix=prefix, account=v[0], region=v[1], partition=v[2]))


def _contract(names: pulumi.Output[Names], args: AttiniBackendArgs, outputs: dict) -> pulumi.Output[dict]:
    """The contract, resolved once every resource it names exists."""
    keys = list(outputs)

    def build(values: list) -> dict:
        n: Names = values[0]
        return contract_schema.build(
            **dict(zip(keys, values[1:])), region=n.region, account_id=n.account, name_prefix=n.prefix,
            state_machine_prefix=n.state_machine_prefix, retention_days=args.retention_days,
            retention_versions=args.retention_versions, max_concurrent_jobs=args.max_concurrent_jobs,
            idle_ttl_seconds=args.runner_idle_ttl_seconds, cpu=args.runner_cpu, memory=args.runner_memory)

    return pulumi.Output.all(names, *outputs.values()).apply(build)
