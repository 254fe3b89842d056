"""IAM policy documents of the backend, as plain dicts built from :class:`~infra_pulumi.naming.Names`.

Pure functions, no Pulumi: :mod:`infra_pulumi.iam` turns them into resources, the tests read them,
and ``docs/aws.md`` describes them. Every ``Resource: "*"`` comes from
:mod:`infra_pulumi.iam_exceptions`.

    >>> from infra_pulumi.naming import Names
    >>> doc = deployer(Names("attini", "123456789012", "eu-west-1"), "/attini/backend")
    >>> doc["Statement"][0]["Action"], doc["Statement"][0]["Resource"]
    (['s3:PutObject'], ['arn:aws:s3:::attini-artifacts-123456789012-eu-west-1/deploy/*'])
"""

from __future__ import annotations

from .iam_exceptions import grant
from .naming import Names

__all__ = ["deployer", "operator", "state_machine", "runner", "runner_execution", "init_deploy",
           "finalize", "bucket_policy", "deploy_events_queue_policy", "trust", "document"]

VERSION = "2012-10-17"

TABLE_READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"]
TABLE_WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
               "dynamodb:ConditionCheckItem"]
QUEUE_CONSUME = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                 "sqs:GetQueueAttributes"]
LOG_WRITE = ["logs:CreateLogStream", "logs:PutLogEvents"]
# What the Cfn step executor calls (attini_sdk/steps/cfn*.py), split by how IAM can scope it.
CFN_READ = ["cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
            "cloudformation:DescribeChangeSet"]
CFN_CREATE = ["cloudformation:CreateStack", "cloudformation:CreateChangeSet"]
CFN_CHANGE = ["cloudformation:UpdateStack", "cloudformation:DeleteStack", "cloudformation:ExecuteChangeSet",
              "cloudformation:DeleteChangeSet", "cloudformation:UpdateTerminationProtection"]
# The tag the Cfn step puts on every stack it deploys (attini_sdk/steps/cfn_params.stack_tags).
STACK_TAG = ("AttiniResourceType", "cloudformation-stack")


def document(*statements: dict) -> dict:
    return {"Version": VERSION, "Statement": list(statements)}


def allow(sid: str, actions: list[str], resources: list[str], condition: dict | None = None) -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def _table(n: Names, actions: list[str], sid: str) -> dict:
    return allow(sid, actions, [n.table_arn, n.table_indexes_arn])


def _backend_parameter(n: Names, parameter_name: str) -> dict:
    return allow("ReadBackendParameter", ["ssm:GetParameter"], [n.parameters_arn(parameter_name)])


def deployer(n: Names, parameter_name: str) -> dict:
    """Upload distributions, read state, artifacts, outputs and runner logs; nothing else."""
    return document(
        allow("UploadDistributions", ["s3:PutObject"], [n.objects_arn("deploy/")]),
        allow("ReadArtifacts", ["s3:GetObject"],
              [n.objects_arn("artifacts/"), n.objects_arn("outputs/")]),
        _table(n, TABLE_READ, "ReadState"),
        _backend_parameter(n, parameter_name),
        allow("ReadRunnerLogs", ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams"],
              [n.log_group_arn("runner")]),
    )


def operator(n: Names, parameter_name: str) -> dict:
    """A deployer who may also manage environment items and answer manual approvals."""
    base = deployer(n, parameter_name)["Statement"]
    return document(*base, _table(n, TABLE_WRITE, "ManageEnvironmentsAndApprovals"),
                    grant("TaskTokenCallbacks", ["states:SendTaskSuccess", "states:SendTaskFailure"]))


def state_machine(n: Names, *, xray: bool) -> dict:
    """Send jobs (with their task token) to runner-jobs; deliver execution logs; trace if asked."""
    statements = [allow("SendJobsToRunner", ["sqs:SendMessage"], [n.queue_arn(n.runner_jobs)]),
                  grant("StepFunctionsLogDelivery")]
    if xray:
        statements.append(grant("XRayTracing"))
    return document(*statements)


def runner(n: Names, parameter_name: str, secrets_prefix: str) -> dict:
    """What the runner worker and the step executors it runs may do (see docs/aws.md, IAM model)."""
    tag_key, tag_value = STACK_TAG
    return document(
        allow("ReadArtifacts", ["s3:GetObject"], [n.objects_arn("artifacts/")]),
        allow("WriteOutputs", ["s3:GetObject", "s3:PutObject"], [n.objects_arn("outputs/")]),
        # Sam and Cdk steps publish code and templates there; CloudFormation reads them with these credentials
        allow("PublishStepAssets", ["s3:GetObject", "s3:PutObject"], [n.objects_arn("assets/")]),
        # each step's log goes to a stream of its own in the runner's group (attini_sdk/runner/log_shipper.py)
        allow("WriteStepLogs", LOG_WRITE, [n.log_group_arn("runner")]),
        _table(n, TABLE_READ + TABLE_WRITE, "ReadWriteState"),
        allow("ConsumeRunnerJobs", QUEUE_CONSUME, [n.queue_arn(n.runner_jobs)]),
        grant("TaskTokenCallbacks"),
        allow("ReadAttiniParameters", ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
              [n.parameters_arn("/attini/*"), n.parameters_arn("/attini")]),
        allow("ReadAttiniSecrets", ["secretsmanager:GetSecretValue"], [n.secrets_arn(secrets_prefix)]),
        allow("ReadStacks", CFN_READ, [n.stacks_arn]),
        allow("CreateTaggedStacks", CFN_CREATE, [n.stacks_arn],
              {"StringEquals": {f"aws:RequestTag/{tag_key}": tag_value}}),
        allow("ChangeTaggedStacks", CFN_CHANGE, [n.stacks_arn],
              {"StringEquals": {f"aws:ResourceTag/{tag_key}": tag_value}}),
        allow("UseSamTransform", ["cloudformation:CreateChangeSet"], [n.sam_transform_arn]),
        allow("PassStackRoles", ["iam:PassRole"], [n.user_roles_arn],
              {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}),
        allow("AssumeExecutionRoles", ["sts:AssumeRole"], [n.execution_roles_arn]),
    )


def runner_execution(n: Names, ecr_repository_arn: str | None) -> dict:
    """What ECS needs to start the runner task: write its log group, pull its image."""
    statements = [allow("WriteRunnerLogs", LOG_WRITE, [n.log_group_arn("runner")])]
    if ecr_repository_arn:
        statements += [grant("EcrAuthorization"),
                       allow("PullRunnerImage", ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                                 "ecr:BatchCheckLayerAvailability"], [ecr_repository_arn])]
    return document(*statements)


def _traced(doc: dict, xray: bool) -> dict:
    """``doc`` plus the X-Ray grant an actively traced Lambda function's role needs."""
    if xray:
        doc["Statement"].append(grant("XRayTracing", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]))
    return doc


def init_deploy(n: Names, parameter_name: str, *, xray: bool = False) -> dict:
    """Verify an upload, store the artifact, record the deployment, create and start its state machine."""
    return _traced(document(
        allow("WriteLogs", LOG_WRITE, [n.log_group_arn("init-deploy")]),
        allow("ReadUploads", ["s3:GetObject", "s3:GetObjectVersion"], [n.objects_arn("deploy/")]),
        # Delete is for retention: init-deploy removes artifacts no kept deployment uses (Attini does too).
        allow("StoreArtifacts", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [n.objects_arn("artifacts/")]),
        _table(n, TABLE_READ + TABLE_WRITE, "ReadWriteState"),
        allow("ConsumeDeployEvents", QUEUE_CONSUME, [n.queue_arn(n.deploy_events)]),
        allow("ManageStateMachines", ["states:CreateStateMachine", "states:UpdateStateMachine",
                                      "states:DescribeStateMachine", "states:StartExecution",
                                      "states:ListExecutions", "states:TagResource"], [n.state_machines_arn]),
        allow("PassStateMachineRole", ["iam:PassRole"], [n.role_arn("state-machine")],
              {"StringEquals": {"iam:PassedToService": "states.amazonaws.com"}}),
        _backend_parameter(n, parameter_name),
    ), xray)


def finalize(n: Names, parameter_name: str, *, xray: bool = False) -> dict:
    """Turn an execution's end into the deployment's status, outputs, inventory and lock release."""
    return _traced(document(
        allow("WriteLogs", LOG_WRITE, [n.log_group_arn("finalize")]),
        _table(n, TABLE_READ + TABLE_WRITE, "ReadWriteState"),
        allow("ReadExecutions", ["states:DescribeExecution", "states:GetExecutionHistory",
                                 "states:DescribeStateMachineForExecution"], [n.executions_arn]),
        allow("ReadStateMachines", ["states:DescribeStateMachine"], [n.state_machines_arn]),
        allow("WriteOutputs", ["s3:PutObject"], [n.objects_arn("outputs/")]),
        _backend_parameter(n, parameter_name),
    ), xray)


def bucket_policy(n: Names) -> dict:
    """Refuse every request to the artifact bucket that does not use TLS."""
    return document({
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [n.bucket_arn, f"{n.bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    })


def deploy_events_queue_policy(n: Names) -> dict:
    """Only this account's artifact bucket may send to deploy-events."""
    return document({
        "Sid": "ArtifactBucketEvents", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": n.queue_arn(n.deploy_events),
        "Condition": {"ArnEquals": {"aws:SourceArn": n.bucket_arn},
                      "StringEquals": {"aws:SourceAccount": n.account}},
    })


def trust(service: str, n: Names | None = None) -> dict:
    """Who may assume a role: one AWS service, from this account when ``n`` is given."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if n is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": n.account}}
    return document(statement)
