"""AttiniBackendArgs: defaults, Pulumi config keys, and errors that say what to change."""

from __future__ import annotations

import pytest

from attini_sdk.errors import ConfigError
from infra_pulumi.component import AttiniBackendArgs


def test_the_defaults_are_the_documented_ones():
    args = AttiniBackendArgs()

    assert (args.name_prefix, args.retention_days, args.retention_versions) == ("attini", 10, 10)
    assert (args.runner_cpu, args.runner_memory, args.max_concurrent_jobs) == (1024, 2048, 4)
    assert (args.runner_idle_ttl_seconds, args.runner_min_tasks, args.log_retention_days) == (900, 0, 30)
    assert args.least_privilege and args.retain_data and args.table_deletion_protection
    assert args.vpc_id is None and args.subnet_ids == ()


def test_settings_come_from_pulumi_config_under_attini():
    import pulumi
    from pulumi.runtime import set_all_config

    set_all_config({"attini:runnerImage": "repo/runner:2", "attini:namePrefix": "attini-test",
                    "attini:retentionDays": "5", "attini:leastPrivilege": "false",
                    "attini:vpcId": "vpc-1", "attini:subnetIds": '["subnet-a", "subnet-b"]',
                    "attini:runnerPolicyArns": '["arn:aws:iam::123456789012:policy/deploy-lambdas"]'})
    try:
        args = AttiniBackendArgs.from_config(pulumi.Config("attini"))
    finally:
        set_all_config({})

    assert args.runner_image == "repo/runner:2" and args.name_prefix == "attini-test"
    assert args.retention_days == 5 and args.least_privilege is False
    assert args.subnet_ids == ("subnet-a", "subnet-b") and args.vpc_id == "vpc-1"
    assert args.runner_policy_arns == ("arn:aws:iam::123456789012:policy/deploy-lambdas",)
    assert args.retention_versions == 10  # unset keys keep their defaults


@pytest.mark.parametrize(("settings", "where", "what"), [
    ({"name_prefix": "Attini_Prod"}, "attini:namePrefix", "3-20 characters"),
    ({"runner_cpu": 1024, "runner_memory": 512}, "attini:runnerMemory", "Fargate cannot run"),
    ({"subnet_ids": ["subnet-1"]}, "attini:vpcId", "vpc_id is not"),
    ({"max_concurrent_jobs": 0}, "attini:maxConcurrentJobs", ">= 1"),
    ({"log_retention_days": 10}, "attini:logRetentionDays", "cannot keep logs 10 days"),
    ({"runner_min_tasks": 3, "runner_max_tasks": 2}, "attini:runnerMinTasks", "above runner_max_tasks"),
])
def test_invalid_settings_name_the_config_key(settings, where, what):
    with pytest.raises(ConfigError) as caught:
        AttiniBackendArgs(**settings)

    assert where in caught.value.where and what in caught.value.what
    assert caught.value.hint


def test_an_install_without_a_runner_image_says_how_to_build_one():
    with pytest.raises(ConfigError) as caught:
        AttiniBackendArgs().require_image()

    assert "infra_pulumi/runner/Dockerfile" in caught.value.hint
    assert "pulumi config set runnerImage" in caught.value.hint
