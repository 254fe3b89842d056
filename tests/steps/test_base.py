"""The executors' shared parts: the deployment context, AWS settings, the step log, the registry."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from attini_sdk import steps
from attini_sdk.errors import StepFailed
from attini_sdk.steps.base import AwsSettings, DeploymentContext, StepLog, raise_if_cancelled, step_log_path


def test_the_context_takes_its_aws_settings_from_the_standard_configuration(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")

    ctx = DeploymentContext(environment="dev", distribution_name="app", source_dir=tmp_path,
                            work_dir=tmp_path, log_dir=tmp_path)

    assert ctx.aws == AwsSettings(region="ap-southeast-2", endpoint_url="http://127.0.0.1:4566")
    assert ctx.aws.client("cloudformation").meta.endpoint_url == "http://127.0.0.1:4566"


def test_the_context_reads_the_aws_configuration_only_when_a_step_asks(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(AwsSettings, "from_environment", classmethod(lambda cls: calls.append(1) or cls("xx-1")))

    ctx = DeploymentContext(environment="dev", distribution_name="app", source_dir=tmp_path,
                            work_dir=tmp_path, log_dir=tmp_path)
    assert calls == []  # a plan of Pass, Choice and approvals never pays for botocore
    assert (ctx.aws.region, ctx.aws.region, calls) == ("xx-1", "xx-1", [1])
    given = DeploymentContext(environment="dev", distribution_name="app", source_dir=tmp_path, work_dir=tmp_path,
                              log_dir=tmp_path, aws=AwsSettings(region="eu-west-1"))
    assert given.aws.region == "eu-west-1" and calls == [1]


SHARED_CONFIG = "[default]\nregion = eu-west-3\n\n[profile dev]\nregion = us-east-2\nendpoint_url = http://dev:4566\n"


@pytest.mark.parametrize("variables, config", [
    ({}, None),
    ({"AWS_DEFAULT_REGION": "eu-north-1"}, None),
    ({"AWS_DEFAULT_REGION": "eu-north-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, None),
    ({"AWS_DEFAULT_REGION": "eu-north-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, SHARED_CONFIG),
    ({"AWS_DEFAULT_REGION": "eu-north-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_PROFILE": "dev"},
     SHARED_CONFIG),
    ({}, SHARED_CONFIG),
    ({"AWS_PROFILE": "dev"}, SHARED_CONFIG),
    ({"AWS_DEFAULT_REGION": "eu-north-1", "AWS_PROFILE": "dev"}, SHARED_CONFIG),
], ids=str)
def test_aws_settings_from_the_environment_are_what_botocore_reads(monkeypatch, tmp_path, variables, config):
    """The shortcut that skips botocore when the environment variables decide gives botocore's own answer."""
    import botocore.session

    for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    if config is not None:
        (tmp_path / "config").write_text(config)

    core = botocore.session.Session(profile=variables.get("AWS_PROFILE"))
    endpoint = variables.get("AWS_ENDPOINT_URL") or core.get_scoped_config().get("endpoint_url")
    assert AwsSettings.from_environment() == AwsSettings(region=core.get_config_variable("region"),
                                                         endpoint_url=endpoint, profile=variables.get("AWS_PROFILE"))


@pytest.mark.parametrize("settings, emulated, change_sets, sam_here", [
    (AwsSettings(region="eu-west-1"), False, True, False),
    (AwsSettings(region="eu-west-1", endpoint_url="http://localhost:5000"), True, False, True),
    (AwsSettings(endpoint_url="http://localhost:5000", change_sets=True, translate_sam=False), True, True, False),
    (AwsSettings(change_sets=False, translate_sam=True), False, False, True),
])
def test_an_endpoint_means_an_emulator_unless_settings_say_otherwise(settings, emulated, change_sets, sam_here):
    assert (settings.emulated, settings.use_change_sets, settings.sam_client_side) == (emulated, change_sets, sam_here)


def test_aws_settings_become_environment_variables_for_jobs():
    settings = AwsSettings(region="eu-north-1", endpoint_url="http://localhost:5000", profile="dev")

    assert settings.environment_variables() == {
        "AWS_REGION": "eu-north-1", "AWS_DEFAULT_REGION": "eu-north-1",
        "AWS_ENDPOINT_URL": "http://localhost:5000", "AWS_PROFILE": "dev"}


def test_the_step_log_takes_lines_from_many_threads_without_mixing_them(tmp_path):
    log = StepLog(tmp_path / "logs" / "Build.log")

    def write(n):
        for i in range(300):
            log.write(f"thread {n} line {i} " + "x" * 50)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()

    lines = (tmp_path / "logs" / "Build.log").read_text().splitlines()
    assert len(lines) == 2400
    assert all(line.endswith("x" * 50) and line.startswith("thread ") for line in lines)


def test_the_step_log_appends_so_a_retry_keeps_earlier_attempts(tmp_path, make_ctx):
    ctx = make_ctx(log_dir=tmp_path / "logs")
    with StepLog.for_step(ctx, "Deploy App") as first:
        first.info("attempt 1")
    with StepLog.for_step(ctx, "Deploy App") as second:
        second.write("two\nlines")

    assert (tmp_path / "logs" / "Deploy_App.log").read_text() == "[attini] attempt 1\ntwo\nlines\n"
    assert second.tail(1) == ["lines"]


@pytest.mark.parametrize("step, name", [
    ("Deploy", "Deploy.log"),
    ("Deploy Lambda Stack", "Deploy_Lambda_Stack.log"),
    ("../../etc/passwd", "etc_passwd.log"),
    ("", "step.log"),
])
def test_step_names_become_safe_file_names(step, name):
    assert step_log_path(Path("logs"), step) == Path("logs") / name


def test_a_cancelled_step_fails_with_step_cancelled():
    event = threading.Event()
    raise_if_cancelled(event, "Deploy", "waiting")  # not set: nothing happens
    event.set()

    with pytest.raises(StepFailed) as failed:
        raise_if_cancelled(event, "Deploy", "waiting for stack app")

    assert (failed.value.error, failed.value.step) == ("StepCancelled", "Deploy")


def test_the_registry_names_every_executor_and_its_fingerprint():
    assert set(steps.MODULES) == {"attini:cfn", "attini:runner", "attini:lambda-invoke", "attini:merge-output",
                                  "attini:approval", "attini:import", "attini:sam", "attini:cdk"}
    assert steps.fingerprinter("attini:cfn") is steps.module("attini:cfn").fingerprint
    assert steps.fingerprinter("attini:runner") is not None
    assert steps.fingerprinter("attini:lambda-invoke") is None
    assert steps.executor("attini:merge-output")([{"a": [1]}, {"a": [2]}], ctx=None) == {"a": [1, 2]}


def test_handlers_bind_every_executor_to_a_deployment_and_log_per_step(make_ctx, tmp_path):
    from types import SimpleNamespace

    ctx = make_ctx(log_dir=tmp_path / "logs")
    bound = steps.handlers(ctx)
    invocation = SimpleNamespace(input={}, state_input=[{"a": 1}, {"b": 2}], state_name="Merge Branches",
                                 cancelled=threading.Event())

    assert set(bound) == set(steps.MODULES)
    assert bound["attini:merge-output"](invocation) == {"a": 1, "b": 2}
    assert "merging 2 branch outputs" in (tmp_path / "logs" / "Merge_Branches.log").read_text()


def test_one_vocabulary_of_step_types_the_plan_api_and_the_step_tables_agree():
    from attini_sdk.plan.attini_types import BY_RESOURCE

    assert steps.TYPE_NAMES == {resource: kind.type for resource, kind in BY_RESOURCE.items()}
    assert steps.type_name("Task", "attini:merge-output") == "AttiniMergeOutput"
    assert steps.type_name("Task", "arn:aws:states:::sqs:sendMessage") == "Task"
    assert steps.type_name("Parallel") == "Parallel"
