"""The runner on ECS Fargate: a cluster, a task definition, a security group and a service at 0 tasks.

The service starts at ``runner_min_tasks`` (0 by default) and :mod:`infra_pulumi.scaling` moves it;
Pulumi ignores later changes of its desired count so `pulumi up` never undoes a scale-out.

Network: the task runs in ``subnet_ids`` of ``vpc_id`` when given (then it needs a NAT gateway or
VPC endpoints to reach AWS APIs and gets no public IP), otherwise in the default VPC's subnets with
a public IP. Its security group allows no inbound traffic at all; outbound is open because steps
run arbitrary commands (package registries, databases, other clouds).
"""

from __future__ import annotations

import json

import attrs
import pulumi
import pulumi_aws as aws

from .naming import Names
from .wiring import child, pick

__all__ = ["Runner", "RunnerSettings", "runner_service", "container_definitions", "STOP_TIMEOUT"]

STOP_TIMEOUT = 120  # Fargate's maximum: a stopping runner gets this long to hand its jobs back


@attrs.frozen
class RunnerSettings:
    image: str
    cpu: int
    memory: int
    max_concurrent_jobs: int
    idle_ttl_seconds: int
    min_tasks: int
    parameter_name: str
    vpc_id: str | None
    subnet_ids: tuple[str, ...]


@attrs.frozen
class Runner:
    cluster: aws.ecs.Cluster
    task_definition: aws.ecs.TaskDefinition
    service: aws.ecs.Service
    security_group: aws.ec2.SecurityGroup


def container_definitions(s: RunnerSettings, log_group: str, region: str) -> list[dict]:
    """The runner container: ``python -m attini_sdk.runner`` from the image, logging to ``log_group``.

    >>> s = RunnerSettings("img", 1024, 2048, 4, 900, 0, "/attini/backend", None, ())
    >>> env = container_definitions(s, "/attini/attini/runner", "eu-west-1")[0]["environment"]
    >>> [e["name"] for e in env]
    ['ATTINI_BACKEND_PARAMETER', 'ATTINI_RUNNER_MAX_JOBS', 'ATTINI_RUNNER_IDLE_TTL_SECONDS']
    """
    return [{
        "name": "runner", "image": s.image, "essential": True, "stopTimeout": STOP_TIMEOUT,
        "environment": [{"name": "ATTINI_BACKEND_PARAMETER", "value": s.parameter_name},
                        {"name": "ATTINI_RUNNER_MAX_JOBS", "value": str(s.max_concurrent_jobs)},
                        {"name": "ATTINI_RUNNER_IDLE_TTL_SECONDS", "value": str(s.idle_ttl_seconds)}],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": "runner"}},
    }]


def runner_service(name: str, parent: pulumi.Resource, names: pulumi.Output[Names], s: RunnerSettings, *,
                   task_role: aws.iam.Role, execution_role: aws.iam.Role, log_group: aws.cloudwatch.LogGroup,
                   grants: tuple[pulumi.Resource, ...]) -> Runner:
    vpc_id, subnets = _network(parent, s)
    cluster = aws.ecs.Cluster(f"{name}-cluster", name=pick(names, lambda n: n.cluster),
                              settings=[{"name": "containerInsights", "value": "disabled"}], opts=child(parent))
    group = aws.ec2.SecurityGroup(
        f"{name}-runner-sg", name=pick(names, lambda n: n.runner), vpc_id=vpc_id,
        description="attini runner: no inbound, any outbound", ingress=[],
        egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"],
                 "ipv6_cidr_blocks": ["::/0"]}], opts=child(parent))
    task = aws.ecs.TaskDefinition(
        f"{name}-runner-task", family=pick(names, lambda n: n.runner), network_mode="awsvpc",
        requires_compatibilities=["FARGATE"], cpu=str(s.cpu), memory=str(s.memory),
        runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
        task_role_arn=task_role.arn, execution_role_arn=execution_role.arn,
        container_definitions=pulumi.Output.all(log_group.name, names).apply(
            lambda v: json.dumps(container_definitions(s, v[0], v[1].region))),
        opts=child(parent, depends_on=list(grants)))
    service = aws.ecs.Service(
        f"{name}-runner-service", name=pick(names, lambda n: n.runner), cluster=cluster.arn,
        task_definition=task.arn, desired_count=s.min_tasks, launch_type="FARGATE",
        network_configuration={"subnets": subnets, "security_groups": [group.id],
                               "assign_public_ip": not s.subnet_ids},
        # Replace a task only after its successor runs; a runner stops taking jobs on SIGTERM.
        deployment_minimum_healthy_percent=100, deployment_maximum_percent=200,
        propagate_tags="SERVICE", enable_ecs_managed_tags=True, wait_for_steady_state=False,
        opts=child(parent, ignore_changes=["desiredCount"]))
    return Runner(cluster=cluster, task_definition=task, service=service, security_group=group)


def _network(parent: pulumi.Resource, s: RunnerSettings) -> tuple[pulumi.Input[str], pulumi.Input[list]]:
    """The VPC and subnets for the runner: the configured ones, else the default VPC's."""
    if s.subnet_ids:
        return s.vpc_id, list(s.subnet_ids)
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    vpc_id = s.vpc_id or aws.ec2.get_vpc_output(default=True, opts=invoke).id
    subnets = aws.ec2.get_subnets_output(filters=[{"name": "vpc-id", "values": [vpc_id]}], opts=invoke).ids
    return vpc_id, subnets
