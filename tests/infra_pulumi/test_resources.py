"""Every resource of the backend exists with its security settings, as `pulumi up` would create it."""

from __future__ import annotations

import json

ACCOUNT, REGION = "123456789012", "eu-west-1"
BUCKET = f"attini-artifacts-{ACCOUNT}-{REGION}"


def test_every_resource_is_a_child_of_the_component(program):
    aws = [urn for urn in program.urns if "aws:" in urn]

    assert len(aws) == len([r for r in program.resources if r.typ.startswith("aws:")]) >= 40
    # A child's URN carries its parent's type before its own: attini:backend:AttiniBackend$aws:...
    assert all("::attini:backend:AttiniBackend$aws:" in urn for urn in aws), aws


def test_the_artifact_bucket_is_versioned_encrypted_private_and_tls_only(program):
    bucket = program.one("s3/bucket:Bucket", "attini-artifacts")
    versioning = program.one("s3/bucketVersioning:BucketVersioning", "attini-artifacts-versioning")
    encryption = program.one("s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                             "attini-artifacts-encryption")
    block = program.one("s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "attini-artifacts-public-access")
    policy = json.loads(program.one("s3/bucketPolicy:BucketPolicy", "attini-artifacts-tls-only").inputs["policy"])

    assert bucket.inputs["bucket"] == BUCKET
    assert bucket.inputs["forceDestroy"] is False  # retained data by default
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    assert all(block.inputs[key] is True for key in
               ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    [deny] = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(deny["Resource"]) == {f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"}


def test_the_lifecycle_only_expires_noncurrent_versions(program):
    rules = program.one("s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                        "attini-artifacts-lifecycle").inputs["rules"]
    by_id = {rule["id"]: rule for rule in rules}

    assert by_id["deploy-noncurrent"]["filter"] == {"prefix": "deploy/"}
    assert by_id["deploy-noncurrent"]["noncurrentVersionExpiration"] == {"noncurrentDays": 10,
                                                                         "newerNoncurrentVersions": 10}
    assert by_id["artifacts-noncurrent"]["filter"] == {"prefix": "artifacts/"}
    # No rule may expire a current version: only delete markers with nothing behind them go.
    for rule in rules:
        assert set(rule.get("expiration", {})) <= {"expiredObjectDeleteMarker"}
        assert "transitions" not in rule


def test_uploads_under_deploy_notify_the_deploy_events_queue(program):
    notification = program.one("s3/bucketNotification:BucketNotification", "attini-deploy-notification")
    queue_policy = json.loads(
        program.one("sqs/queuePolicy:QueuePolicy", "attini-deploy-events-policy").inputs["policy"])

    [target] = notification.inputs["queues"]
    assert target == {"id": "deploy-events", "queueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:attini-deploy-events",
                      "events": ["s3:ObjectCreated:*"], "filterPrefix": "deploy/"}
    [allow] = queue_policy["Statement"]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"]["ArnEquals"] == {"aws:SourceArn": f"arn:aws:s3:::{BUCKET}"}


def test_both_queues_are_encrypted_and_dead_letter_after_five_receives(program):
    for name in ("deploy-events", "runner-jobs"):
        queue = program.one("sqs/queue:Queue", f"attini-{name}")
        dlq = program.one("sqs/queue:Queue", f"attini-{name}-dlq")
        redrive = json.loads(queue.inputs["redrivePolicy"])

        assert queue.inputs["sqsManagedSseEnabled"] is True and dlq.inputs["sqsManagedSseEnabled"] is True
        assert redrive == {"deadLetterTargetArn": dlq.state["arn"], "maxReceiveCount": 5}
        assert dlq.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
        assert json.loads(dlq.inputs["redriveAllowPolicy"])["sourceQueueArns"] == [queue.state["arn"]]


def test_queue_visibility_suits_the_lambda_and_the_runner_heartbeat(program):
    deploy_events = program.one("sqs/queue:Queue", "attini-deploy-events")
    runner_jobs = program.one("sqs/queue:Queue", "attini-runner-jobs")
    init_deploy = program.one("lambda/function:Function", "attini-init-deploy")

    assert deploy_events.inputs["visibilityTimeoutSeconds"] == 6 * init_deploy.inputs["timeout"]
    assert runner_jobs.inputs["visibilityTimeoutSeconds"] == 5 * program.contract["runner"]["heartbeat_seconds"]


def test_the_table_has_keys_indexes_pitr_sse_and_ttl(program):
    table = program.one("dynamodb/table:Table", "attini-state").inputs

    assert (table["hashKey"], table["rangeKey"], table["billingMode"]) == ("PK", "SK", "PAY_PER_REQUEST")
    assert {(g["name"], g["hashKey"], g["rangeKey"], g["projectionType"]) for g in table["globalSecondaryIndexes"]} == {
        ("GSI1", "GSI1PK", "GSI1SK", "ALL"), ("GSI2", "GSI2PK", "GSI2SK", "ALL")}
    assert {a["name"] for a in table["attributes"]} == {"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"}
    assert table["pointInTimeRecovery"] == {"enabled": True}
    assert table["serverSideEncryption"] == {"enabled": True}
    assert table["ttl"] == {"attributeName": "expires_at", "enabled": True}
    assert table["deletionProtectionEnabled"] is True


def test_init_deploy_consumes_deploy_events_one_message_at_a_time(program):
    function = program.one("lambda/function:Function", "attini-init-deploy").inputs
    mapping = program.one("lambda/eventSourceMapping:EventSourceMapping", "attini-init-deploy-source").inputs

    assert function["handler"] == "attini_sdk.backends.aws.handlers.init_deploy.handler"
    assert function["runtime"] == "python3.11"
    assert function["environment"]["variables"] == {"ATTINI_BACKEND_PARAMETER": "/attini/backend"}
    assert len(function["layers"]) == 1
    assert mapping["eventSourceArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:attini-deploy-events"
    assert mapping["batchSize"] == 1 and mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]


def test_finalize_runs_on_the_end_of_this_backends_executions_only(program):
    function = program.one("lambda/function:Function", "attini-finalize").inputs
    rule = program.one("cloudwatch/eventRule:EventRule", "attini-execution-status")
    target = program.one("cloudwatch/eventTarget:EventTarget", "attini-execution-status-target").inputs
    permission = program.one("lambda/permission:Permission", "attini-finalize-from-events").inputs
    pattern = json.loads(rule.inputs["eventPattern"])

    assert function["handler"] == "attini_sdk.backends.aws.handlers.finalize.handler"
    assert pattern["source"] == ["aws.states"]
    assert pattern["detail-type"] == ["Step Functions Execution Status Change"]
    assert sorted(pattern["detail"]["status"]) == ["ABORTED", "FAILED", "SUCCEEDED", "TIMED_OUT"]
    assert pattern["detail"]["stateMachineArn"] == [
        {"prefix": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:attini-"}]
    assert target["arn"].endswith(":function:attini-finalize")
    assert permission["principal"] == "events.amazonaws.com" and permission["sourceArn"] == rule.state["arn"]


def test_the_lambda_code_is_the_sdk_folder(program):
    from pathlib import Path

    code = program.one("lambda/function:Function", "attini-init-deploy").inputs["code"]

    assert set(code.assets) == {"attini_sdk"}
    assert Path(code.assets["attini_sdk"].path) == Path(__file__).resolve().parents[2] / "attini_sdk"


def test_every_log_group_has_a_retention(program):
    groups = {g.inputs["name"]: g.inputs["retentionInDays"] for g in program.all("cloudwatch/logGroup:LogGroup")}

    assert groups == {"/aws/lambda/attini-init-deploy": 30, "/aws/lambda/attini-finalize": 30,
                      "/attini/attini/runner": 30, "/aws/vendedlogs/states/attini": 30}


def test_the_runner_service_starts_at_zero_tasks_on_fargate(program):
    service = program.one("ecs/service:Service", "attini-runner-service").inputs
    task = program.one("ecs/taskDefinition:TaskDefinition", "attini-runner-task").inputs
    group = program.one("ec2/securityGroup:SecurityGroup", "attini-runner-sg").inputs
    [container] = json.loads(task["containerDefinitions"])

    assert service["desiredCount"] == 0 and service["launchType"] == "FARGATE"
    assert service["networkConfiguration"]["subnets"]  # the default VPC's, looked up
    assert (task["cpu"], task["memory"], task["networkMode"]) == ("1024", "2048", "awsvpc")
    assert container["image"].endswith("attini-runner:1.0.0")
    assert {e["name"]: e["value"] for e in container["environment"]} == {
        "ATTINI_BACKEND_PARAMETER": "/attini/backend", "ATTINI_RUNNER_MAX_JOBS": "4",
        "ATTINI_RUNNER_IDLE_TTL_SECONDS": "900"}
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/attini/attini/runner"
    assert group["ingress"] == []


def test_the_runner_scales_out_on_waiting_jobs_and_in_after_the_idle_ttl(program):
    target = program.one("appautoscaling/target:Target", "attini-runner-scaling").inputs
    waiting = program.one("cloudwatch/metricAlarm:MetricAlarm", "attini-runner-jobs-waiting")
    idle = program.one("cloudwatch/metricAlarm:MetricAlarm", "attini-runner-idle")
    scale_out = program.one("appautoscaling/policy:Policy", "attini-runner-scale-out")
    scale_in = program.one("appautoscaling/policy:Policy", "attini-runner-scale-in")

    assert target["resourceId"] == "service/attini/attini-runner"
    assert (target["minCapacity"], target["maxCapacity"]) == (0, 2)
    assert waiting.inputs["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert waiting.inputs["dimensions"] == {"QueueName": "attini-runner-jobs"}
    assert waiting.inputs["alarmActions"] == [scale_out.state["arn"]]
    assert scale_out.inputs["stepScalingPolicyConfiguration"]["stepAdjustments"][0]["scalingAdjustment"] == 1
    assert idle.inputs["evaluationPeriods"] == 15  # 900 s idle TTL in one-minute periods
    assert idle.inputs["treatMissingData"] == "breaching"
    assert idle.inputs["alarmActions"] == [scale_in.state["arn"]]
    in_config = scale_in.inputs["stepScalingPolicyConfiguration"]
    assert in_config["adjustmentType"] == "ExactCapacity"
    assert in_config["stepAdjustments"][0]["scalingAdjustment"] == 0


def test_the_contract_parameter_holds_every_key_and_names_the_resources(program):
    from infra_pulumi import contract

    parameter = program.one("ssm/parameter:Parameter", "attini-contract").inputs
    value = json.loads(parameter["value"])

    assert parameter["name"] == "/attini/backend" and parameter["type"] == "String"
    assert contract.problems(value) == []
    assert value == program.contract
    assert value["artifact_bucket"] == BUCKET
    assert value["table"] == "attini-state"
    assert value["runner_jobs_queue_url"].endswith("/attini-runner-jobs")
    assert value["state_machine_role_arn"] == program.one("iam/role:Role", "attini-state-machine").state["arn"]
    assert value["retention"] == {"days": 10, "versions": 10}
    assert value["runner"]["max_concurrent_jobs"] == 4
