"""The Cfn step deploys stacks on moto and returns what a plan reads from $.output.<Step>."""

from __future__ import annotations

import threading

import attrs
import boto3
import pytest

from attini_sdk.errors import StepFailed
from attini_sdk.steps import cfn
from attini_sdk.steps.base import AwsSettings

from .cfn_fixtures import (
    CUSTOM_RESOURCE_TEMPLATE,
    QUEUE_TEMPLATE,
    cloudformation,
    create_slow_function,
    moto_stack,
    note,
    stack,
)
from .conftest import REGION

pytestmark = pytest.mark.usefixtures("moto")


def deploy(ctx, log, step="Queue", cancelled=None, **properties):
    return cfn.execute(properties, {}, ctx, step=step, log=log, cancelled=cancelled)


def parameters_of(name, region=REGION):
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack(name, region).get("Parameters", [])}


def test_a_new_stack_is_created_and_its_outputs_are_the_result(dist, ctx, log):
    template = dist.write("/cfn/queue.yaml", QUEUE_TEMPLATE)

    result = deploy(ctx, log, StackName="dev-queue", Template=template,
                    Parameters={"QueueName": "jobs", "Unused": "x"})

    assert result["QueueUrl"].endswith("/dev-jobs")
    assert result["QueueArn"] == f"arn:aws:sqs:{REGION}:123456789012:dev-jobs"
    created = stack("dev-queue")
    assert created["StackStatus"] == "CREATE_COMPLETE"
    # only declared parameters reach CloudFormation; the environment comes from the framework
    assert parameters_of("dev-queue") == {"QueueName": "jobs", "AttiniEnvironmentName": "dev",
                                          "Message": "hello", "Retention": "345600"}
    assert {t["Key"]: t["Value"] for t in created["Tags"]} == {
        "AttiniDistributionName": "app", "AttiniEnvironmentName": "dev",
        "AttiniResourceType": "cloudformation-stack"}
    text = log.path.read_text()
    assert "not passing parameters the template does not declare: Unused" in text
    assert "stack dev-queue: CREATE_COMPLETE" in text


def test_output_path_nests_the_outputs(dist, ctx, log):
    template = dist.write("/queue.yaml", QUEUE_TEMPLATE)

    result = deploy(ctx, log, StackName="q", Template=template, Parameters={"QueueName": "a"},
                    OutputPath="queue")

    assert set(result) == {"queue"}
    assert set(result["queue"]) == {"QueueUrl", "QueueArn", "NoteName"}


def test_a_redeploy_without_changes_succeeds_with_the_current_outputs(dist, ctx, log):
    template = dist.write("/queue.yaml", QUEUE_TEMPLATE)
    first = deploy(ctx, log, StackName="q", Template=template, Parameters={"QueueName": "a"})

    again = deploy(ctx, log, StackName="q", Template=template, Parameters={"QueueName": "a"})

    assert again == first
    assert "stack q has no changes" in log.path.read_text()


def test_an_update_changes_the_stack(dist, ctx, log):
    template = dist.write("/queue.yaml", QUEUE_TEMPLATE)
    deploy(ctx, log, StackName="q", Template=template, Parameters={"QueueName": "a"})

    result = deploy(ctx, log, StackName="q", Template=template, Parameters={"QueueName": "a", "Message": "bye"})

    assert result["NoteName"] == "/dev/a/note"
    assert note("/dev/a/note") == "bye"
    assert stack("q")["StackStatus"] == "UPDATE_COMPLETE"


def test_change_sets_create_then_update_then_report_no_changes(dist, make_ctx, log):
    ctx = make_ctx(aws=AwsSettings(region=REGION, change_sets=True))
    template = dist.write("/queue.yaml", QUEUE_TEMPLATE)

    deploy(ctx, log, StackName="q", Template=template, Parameters={"QueueName": "a"})
    assert stack("q")["StackStatus"] == "CREATE_COMPLETE"
    assert note("/dev/a/note") == "hello"

    deploy(ctx, log, StackName="q", Template=template, Parameters={"QueueName": "a", "Message": "bye"})
    assert stack("q")["StackStatus"] == "UPDATE_COMPLETE"
    assert note("/dev/a/note") == "bye"

    deploy(ctx, log, StackName="q", Template=template, Parameters={"QueueName": "a", "Message": "bye"})
    text = log.path.read_text()
    assert "change set attini-" in text and "Add Queue (AWS::SQS::Queue)" in text
    assert "stack q has no changes" in text


def test_framework_parameters_are_added_only_when_declared(dist, ctx, log):
    template = dist.write("/t.yaml", """\
Parameters:
  AttiniDistributionName: {Type: String}
  AttiniDistributionId: {Type: String}
  AttiniRandomString: {Type: String}
Resources:
  P:
    Type: AWS::SSM::Parameter
    Properties: {Name: /fw/id, Type: String, Value: !Ref AttiniDistributionId}
""")

    deploy(ctx, log, StackName="fw", Template=template, Parameters={"AttiniDistributionName": "mine"})

    params = parameters_of("fw")
    assert set(params) == {"AttiniDistributionName", "AttiniDistributionId", "AttiniRandomString"}
    assert params["AttiniDistributionName"] == "app"  # the framework's value wins
    assert params["AttiniDistributionId"] == ctx.distribution_id
    assert len(params["AttiniRandomString"]) == 32


def test_config_file_chain_and_variables_configure_the_stack(dist, make_ctx, log):
    ctx = make_ctx(variables={"team": "core", "retention": "60"})
    dist.write("/config/base.yaml", "tags:\n  Team: ${team}\nparameters:\n  Retention: ${retention}\n")
    dist.write("/config/queue.yaml", "extends: /config/base.yaml\nstackName: ${env}-queue\n"
                                     "template: /queue.yaml\nparameters:\n  QueueName: ${name}\n")
    dist.write("/queue.yaml", QUEUE_TEMPLATE)

    deploy(ctx, log, ConfigFile="/config/queue.yaml", Variables={"env": "dev", "name": "orders"})

    assert parameters_of("dev-queue")["QueueName"] == "orders"
    assert parameters_of("dev-queue")["Retention"] == "60"
    assert {"Key": "Team", "Value": "core"} in stack("dev-queue")["Tags"]


def test_values_can_come_from_ssm_with_a_default(dist, ctx, log):
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name="/shared/queue-name", Value="from-ssm", Type="SecureString")
    dist.write("/queue.yaml", QUEUE_TEMPLATE)
    dist.write("/q.yaml", """\
parameters:
  QueueName: {value: /shared/queue-name, type: ssm-parameter}
  Retention: {value: /shared/missing, type: ssm-parameter, default: 120}
""")

    deploy(ctx, log, StackName="q", Template="/queue.yaml", ConfigFile="/q.yaml")

    assert parameters_of("q")["QueueName"] == "from-ssm"
    assert parameters_of("q")["Retention"] == "120"
    assert "from-ssm" not in log.path.read_text()


def test_a_missing_ssm_value_without_default_fails_naming_it(dist, ctx, log):
    dist.write("/queue.yaml", QUEUE_TEMPLATE)

    with pytest.raises(StepFailed) as failed:
        deploy(ctx, log, StackName="q", Template="/queue.yaml",
               Parameters={"QueueName": {"value": "/nope", "type": "ssm-parameter"}})

    assert failed.value.error == "Cfn.ConfigError"
    assert "SSM parameter '/nope'" in str(failed.value)
    assert cloudformation().list_stacks()["StackSummaries"] == []


def test_fallback_keeps_the_value_already_on_the_stack(dist, ctx, log):
    dist.write("/queue.yaml", QUEUE_TEMPLATE)
    fallback = {"value": "second", "fallback": True}
    deploy(ctx, log, StackName="q", Template="/queue.yaml", Parameters={"QueueName": "first"})

    deploy(ctx, log, StackName="q", Template="/queue.yaml", Parameters={"QueueName": fallback, "Retention": 60})

    assert parameters_of("q") == {"QueueName": "first", "Retention": "60", "Message": "hello",
                                  "AttiniEnvironmentName": "dev"}


def test_fallback_on_a_new_stack_uses_the_value(dist, ctx, log):
    dist.write("/queue.yaml", QUEUE_TEMPLATE)

    deploy(ctx, log, StackName="q", Template="/queue.yaml",
           Parameters={"QueueName": {"value": "given", "fallback": True}})

    assert parameters_of("q")["QueueName"] == "given"


def test_stack_role_is_passed_as_the_cloudformation_service_role(dist, ctx, log):
    dist.write("/queue.yaml", QUEUE_TEMPLATE)
    role = "arn:aws:iam::123456789012:role/cfn-service"

    deploy(ctx, log, StackName="q", Template="/queue.yaml", Parameters={"QueueName": "a"}, StackRoleArn=role)

    assert stack("q")["RoleARN"] == role


def test_region_property_deploys_to_another_region(dist, ctx, log):
    dist.write("/queue.yaml", QUEUE_TEMPLATE)

    result = deploy(ctx, log, StackName="q", Template="/queue.yaml", Parameters={"QueueName": "a"},
                    Region="us-east-2")

    assert result["QueueArn"].startswith("arn:aws:sqs:us-east-2:")
    assert cloudformation().list_stacks()["StackSummaries"] == []


def test_execution_role_deploys_into_the_roles_account(dist, ctx, log):
    dist.write("/queue.yaml", QUEUE_TEMPLATE)

    result = deploy(ctx, log, StackName="q", Template="/queue.yaml", Parameters={"QueueName": "a"},
                    ExecutionRoleArn="arn:aws:iam::111122223333:role/attini-deployer")

    assert result["QueueArn"] == f"arn:aws:sqs:{REGION}:111122223333:dev-a"
    assert moto_stack("q", account="111122223333").status == "CREATE_COMPLETE"
    assert cloudformation().list_stacks()["StackSummaries"] == []  # nothing in our own account


def test_termination_protection_is_enabled_on_create(dist, ctx, log):
    # moto does not implement UpdateTerminationProtection, so turning it off again
    # (what an unset property does, as in Attini) is not testable here.
    dist.write("/queue.yaml", QUEUE_TEMPLATE)

    deploy(ctx, log, StackName="q", Template="/queue.yaml", Parameters={"QueueName": "a"},
           EnableTerminationProtection=True)

    assert stack("q")["EnableTerminationProtection"] is True


def test_delete_removes_the_stack_and_returns_nothing(dist, ctx, log):
    dist.write("/queue.yaml", QUEUE_TEMPLATE)
    deploy(ctx, log, StackName="q", Template="/queue.yaml", Parameters={"QueueName": "a"})

    assert deploy(ctx, log, StackName="q", Action="Delete") == {}
    assert cloudformation().list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"] == []
    assert deploy(ctx, log, StackName="q", Action="Delete") == {}  # already gone: still fine
    assert "stack q does not exist; nothing to delete" in log.path.read_text()


def test_a_stack_in_rollback_complete_is_deleted_and_created_again(dist, ctx, log):
    dist.write("/queue.yaml", QUEUE_TEMPLATE)
    deploy(ctx, log, StackName="q", Template="/queue.yaml", Parameters={"QueueName": "a"})
    old_id = stack("q")["StackId"]
    moto_stack("q").status = "ROLLBACK_COMPLETE"  # what a failed first create leaves behind

    result = deploy(ctx, log, StackName="q", Template="/queue.yaml", Parameters={"QueueName": "a"})

    assert stack("q")["StackId"] != old_id
    assert stack("q")["StackStatus"] == "CREATE_COMPLETE"
    assert result["QueueUrl"].endswith("/dev-a")
    assert "is in ROLLBACK_COMPLETE: deleting it to create it again" in log.path.read_text()


def test_a_stack_that_fails_reports_the_resource_reasons(dist, ctx, log, guarded):
    create_slow_function()
    dist.write("/slow.yaml", CUSTOM_RESOURCE_TEMPLATE)

    def fail_like_cloudformation():
        record = _wait_for_moto_stack("slow")
        record._add_stack_event("CREATE_FAILED", resource_status_reason="Received FAILED from Slow: no capacity")
        record.status = "ROLLBACK_COMPLETE"

    threading.Thread(target=fail_like_cloudformation, daemon=True).start()
    with pytest.raises(StepFailed) as failed:
        deploy(ctx, log, StackName="slow", Template="/slow.yaml", cancelled=guarded)

    assert failed.value.error == "Cfn.StackFailed"
    assert "ended in ROLLBACK_COMPLETE" in str(failed.value)
    assert "no capacity" in failed.value.cause


def test_waiting_polls_until_the_stack_settles(dist, ctx, log, guarded):
    create_slow_function()
    dist.write("/slow.yaml", CUSTOM_RESOURCE_TEMPLATE)

    def answer_like_the_custom_resource():
        record = _wait_for_moto_stack("slow")
        record.get_custom_resource("Waiting").set_data({"Answer": "42"})
        record.verify_readiness()

    threading.Thread(target=answer_like_the_custom_resource, daemon=True).start()
    result = deploy(ctx, log, StackName="slow", Template="/slow.yaml", cancelled=guarded)

    assert result == {"Answer": "42"}
    text = log.path.read_text()
    assert text.index("stack slow: CREATE_IN_PROGRESS") < text.index("stack slow: CREATE_COMPLETE")


def test_waiting_stops_when_the_step_is_cancelled(dist, ctx, log, cancelled):
    create_slow_function()
    dist.write("/slow.yaml", CUSTOM_RESOURCE_TEMPLATE)
    threading.Timer(0.3, cancelled.set).start()

    with pytest.raises(StepFailed) as failed:
        deploy(ctx, log, StackName="slow", Template="/slow.yaml", cancelled=cancelled)

    assert failed.value.error == "StepCancelled"
    assert moto_stack("slow").status == "CREATE_IN_PROGRESS"


@pytest.mark.parametrize("location", [
    "s3://templates/cfn/queue.yaml",
    f"https://templates.s3.{REGION}.amazonaws.com/cfn/queue.yaml",
    f"https://s3.{REGION}.amazonaws.com/templates/cfn/queue.yaml",
])
def test_a_template_in_s3_is_deployed(ctx, log, location):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="templates", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="templates", Key="cfn/queue.yaml", Body=QUEUE_TEMPLATE.encode())

    result = deploy(ctx, log, StackName="q", Template=location, Parameters={"QueueName": "s"})

    assert result["QueueUrl"].endswith("/dev-s")


def test_a_template_too_large_to_send_inline_is_an_error_with_a_way_out(dist, ctx, log):
    dist.write("/big.yaml", QUEUE_TEMPLATE + "#" + "x" * 60_000 + "\n")

    with pytest.raises(StepFailed) as failed:
        deploy(ctx, log, StackName="q", Template="/big.yaml", Parameters={"QueueName": "s"})

    assert failed.value.error == "Cfn.TemplateError"
    assert "over CloudFormation's 51200-byte limit" in str(failed.value)
    assert "s3://" in failed.value.hint


def test_a_template_error_names_the_stack_and_cloudformations_reason(dist, ctx, log):
    dist.write("/bad.yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
                            "      Runtime: python3.12\n      Handler: x.h\n"
                            "      Role: arn:aws:iam::123456789012:role/r\n"
                            "      Code: {S3Bucket: no-such-bucket, S3Key: k.zip}\n")

    with pytest.raises(StepFailed) as failed:
        deploy(ctx, log, StackName="bad", Template="/bad.yaml")

    assert failed.value.error == "Cfn.ApiError"
    assert "stack bad" in str(failed.value)
    assert "NoSuchBucket" in str(failed.value)


def _wait_for_moto_stack(name):
    import time

    for _ in range(200):
        try:
            record = moto_stack(name)
        except Exception:
            time.sleep(0.02)
            continue
        if record.status == "CREATE_IN_PROGRESS":
            time.sleep(0.2)  # let the step see the stack in progress first
            return record
        time.sleep(0.02)
    raise AssertionError(f"stack {name} never appeared")


def test_failure_reasons_come_from_the_latest_operation_only(dist, ctx, log):
    from moto.cloudformation.models import Event

    from attini_sdk.steps.cfn_stack import failure_reasons

    dist.write("/queue.yaml", QUEUE_TEMPLATE)
    deploy(ctx, log, StackName="q", Template="/queue.yaml", Parameters={"QueueName": "a"})
    record = moto_stack("q")

    def resource_event(logical_id, kind, status, reason):
        record.events.append(Event(record.stack_id, "q", logical_id, "phys", kind, status, reason, None))

    record._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
    resource_event("Queue", "AWS::SQS::Queue", "UPDATE_FAILED", "an older failure")
    record._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    record._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
    resource_event("Nested", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", None)
    resource_event("Nested", "AWS::CloudFormation::Stack", "UPDATE_FAILED", "Embedded stack failed")
    resource_event("Note", "AWS::SSM::Parameter", "UPDATE_FAILED", "ParameterAlreadyExists")
    record._add_stack_event("UPDATE_ROLLBACK_COMPLETE")

    assert failure_reasons(cloudformation(), record.stack_id) == [
        "Nested (AWS::CloudFormation::Stack): Embedded stack failed",
        "Note (AWS::SSM::Parameter): ParameterAlreadyExists",
    ]


@attrs.frozen
class RecordingAwsSettings(AwsSettings):
    """AwsSettings whose clients note every CloudFormation call's parameters (moto ignores some)."""

    calls: list = attrs.field(factory=list, eq=False)

    def client(self, service, *, region=None, session=None):
        client = super().client(service, region=region, session=session)
        client.meta.events.register(
            "provide-client-params.cloudformation",
            lambda params, model, **kw: self.calls.append((model.name, dict(params))))
        return client


@pytest.mark.parametrize("change_sets, operation, key", [
    (False, "CreateStack", "OnFailure"),
    (True, "CreateChangeSet", "OnStackFailure"),
])
def test_on_failure_capabilities_and_role_reach_cloudformation(dist, make_ctx, log, change_sets, operation, key):
    settings = RecordingAwsSettings(region=REGION, change_sets=change_sets)
    dist.write("/queue.yaml", QUEUE_TEMPLATE)

    deploy(make_ctx(aws=settings), log, StackName="q", Template="/queue.yaml", Parameters={"QueueName": "a"},
           OnFailure="DELETE", StackRoleArn="arn:aws:iam::123456789012:role/cfn")

    (params,) = [p for name, p in settings.calls if name == operation]
    assert params[key] == "DELETE"
    assert params["RoleARN"] == "arn:aws:iam::123456789012:role/cfn"
    assert params["Capabilities"] == ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
