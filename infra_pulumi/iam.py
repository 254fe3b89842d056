"""IAM resources: the backend's roles (each with one inline policy from :mod:`infra_pulumi.policies`)
and the two managed policies people attach to themselves (deployer, operator).

With ``least_privilege=False`` the runner role also gets ``AdministratorAccess``: the escape hatch
for teams whose steps deploy anything without a ``StackRoleArn`` (see docs/aws.md, IAM model).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pulumi
import pulumi_aws as aws

from . import policies
from .naming import BACKEND_ROLE_PATH, Names
from .wiring import child, pick, to_json

__all__ = ["Roles", "backend_roles", "ADMINISTRATOR_ACCESS"]

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


@attrs.frozen
class Roles:
    state_machine: aws.iam.Role
    runner: aws.iam.Role
    runner_execution: aws.iam.Role
    init_deploy: aws.iam.Role
    finalize: aws.iam.Role
    deployer_policy: aws.iam.Policy
    operator_policy: aws.iam.Policy
    # Inline policies and attachments: a role is usable only once these exist.
    grants: tuple[pulumi.Resource, ...]


@attrs.frozen
class RoleSettings:
    parameter_name: str
    secrets_prefix: str
    least_privilege: bool
    xray: bool
    ecr_repository_arn: str | None
    runner_policy_arns: Sequence[str] = ()
    state_machine_policy_arns: Sequence[str] = ()


def backend_roles(name: str, parent: pulumi.Resource, names: pulumi.Output[Names], s: RoleSettings) -> Roles:
    maker = _RoleMaker(name, parent, names)
    state_machine = maker.role("state-machine", "states.amazonaws.com",
                               lambda n: policies.state_machine(n, xray=s.xray),
                               extra=s.state_machine_policy_arns, trust_account=True)
    runner_extra = list(s.runner_policy_arns) + ([] if s.least_privilege else [ADMINISTRATOR_ACCESS])
    runner = maker.role("runner", "ecs-tasks.amazonaws.com",
                        lambda n: policies.runner(n, s.parameter_name, s.secrets_prefix), extra=runner_extra)
    runner_execution = maker.role("runner-execution", "ecs-tasks.amazonaws.com",
                                  lambda n: policies.runner_execution(n, s.ecr_repository_arn))
    init_deploy = maker.role("init-deploy", "lambda.amazonaws.com",
                             lambda n: policies.init_deploy(n, s.parameter_name, xray=s.xray))
    finalize = maker.role("finalize", "lambda.amazonaws.com",
                          lambda n: policies.finalize(n, s.parameter_name, xray=s.xray))
    return Roles(state_machine=state_machine, runner=runner, runner_execution=runner_execution,
                 init_deploy=init_deploy, finalize=finalize,
                 deployer_policy=maker.managed("deployer", lambda n: policies.deployer(n, s.parameter_name)),
                 operator_policy=maker.managed("operator", lambda n: policies.operator(n, s.parameter_name)),
                 grants=tuple(maker.grants))


@attrs.define
class _RoleMaker:
    name: str
    parent: pulumi.Resource
    names: pulumi.Output[Names]
    grants: list = attrs.field(factory=list)

    def role(self, purpose: str, service: str, build, *, extra: Sequence[str] = (),
             trust_account: bool = False) -> aws.iam.Role:
        """A role ``<prefix>-<purpose>-<region>`` for ``service`` with its inline policy ``build(names)``."""
        role = aws.iam.Role(
            f"{self.name}-{purpose}", name=pick(self.names, lambda n: n.role(purpose)), path=BACKEND_ROLE_PATH,
            assume_role_policy=to_json(self.names, lambda n: policies.trust(service, n if trust_account else None)),
            opts=child(self.parent))
        self.grants.append(aws.iam.RolePolicy(f"{self.name}-{purpose}-policy", role=role.id, name=purpose,
                                              policy=to_json(self.names, build), opts=child(self.parent)))
        for index, arn in enumerate(extra):
            self.grants.append(aws.iam.RolePolicyAttachment(f"{self.name}-{purpose}-extra-{index}", role=role.name,
                                                            policy_arn=arn, opts=child(self.parent)))
        return role

    def managed(self, purpose: str, build) -> aws.iam.Policy:
        """A managed policy ``<prefix>-<purpose>-<region>`` for people and CI roles to attach."""
        return aws.iam.Policy(f"{self.name}-{purpose}", name=pick(self.names, lambda n: n.role(purpose)),
                              path=BACKEND_ROLE_PATH, policy=to_json(self.names, build),
                              description=f"attini backend: {purpose}", opts=child(self.parent))
