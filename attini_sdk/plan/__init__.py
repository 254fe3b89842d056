"""Deployment plans: write them in Python, Attini YAML or raw ASL; compile, validate, look at them.

    >>> from attini_sdk.plan import Plan, Cfn, Runner, env, fmt
    >>> plan = Plan()
    >>> net = plan.add(Cfn("Network", stack_name=fmt("{}-network", env.name), template="/network.yaml"))
    >>> plan.add(Runner("Check", commands=["aws ec2 describe-vpcs --vpc-ids $VPC"],
    ...                 environment={"VPC": net.output("VpcId")})).name
    'Check'
    >>> print(plan.compile().tree())
    Network  [AttiniCfn]
    Check  [AttiniRunnerJob]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# public name -> the module that defines it, imported on first use: ``import attini_sdk.plan.validate`` (what the
# engine needs to check a definition) then loads neither the builder, the compiler nor YAML.
_LAZY: dict[str, str] = {
    "Plan": "attini_sdk.plan.builder",
    "PlanDefinition": "attini_sdk.plan.definition",
    **dict.fromkeys(("load_plan", "load_template", "plan_from_definition"), "attini_sdk.plan.loaders"),
    **dict.fromkeys(("Condition", "Expr", "Reference", "all_of", "any_of", "dependency", "deployment", "env", "fmt",
                     "intrinsic", "not_", "stack_parameter"), "attini_sdk.plan.refs"),
    **dict.fromkeys(("Choice", "Fail", "Map", "Parallel", "Pass", "Succeed", "Task", "Wait"), "attini_sdk.plan.states"),
    **dict.fromkeys(("Cdk", "Cfn", "Import", "LambdaInvoke", "ManualApproval", "MergeOutput", "Runner", "Sam", "Step"),
                    "attini_sdk.plan.steps"),
    **dict.fromkeys(("check_definition", "validate_definition"), "attini_sdk.plan.validate"),
}

__all__ = [
    "Plan",
    "PlanDefinition",
    "Step",
    "Cfn",
    "Runner",
    "LambdaInvoke",
    "ManualApproval",
    "Import",
    "MergeOutput",
    "Sam",
    "Cdk",
    "Pass",
    "Choice",
    "Wait",
    "Parallel",
    "Map",
    "Succeed",
    "Fail",
    "Task",
    "env",
    "deployment",
    "dependency",
    "stack_parameter",
    "fmt",
    "intrinsic",
    "all_of",
    "any_of",
    "not_",
    "Condition",
    "Expr",
    "Reference",
    "load_plan",
    "load_template",
    "plan_from_definition",
    "validate_definition",
    "check_definition",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'attini_sdk.plan' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.plan.builder import Plan
    from attini_sdk.plan.definition import PlanDefinition
    from attini_sdk.plan.loaders import load_plan, load_template, plan_from_definition
    from attini_sdk.plan.refs import (
        Condition, Expr, Reference, all_of, any_of, dependency, deployment, env, fmt, intrinsic, not_, stack_parameter,
    )
    from attini_sdk.plan.states import Choice, Fail, Map, Parallel, Pass, Succeed, Task, Wait
    from attini_sdk.plan.steps import Cfn, Import, LambdaInvoke, ManualApproval, MergeOutput, Runner, Step
    from attini_sdk.plan.validate import check_definition, validate_definition
