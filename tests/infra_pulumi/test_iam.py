"""Least privilege: no wildcard action anywhere, ``Resource: "*"`` only where iam_exceptions says why."""

from __future__ import annotations

import json

import pytest

from infra_pulumi.iam_exceptions import EXCEPTIONS, by_sid

from .conftest import run_backend

ACCOUNT, REGION = "123456789012", "eu-west-1"
BUCKET_ARN = f"arn:aws:s3:::attini-artifacts-{ACCOUNT}-{REGION}"


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def wildcard_violations(documents: dict[str, dict]) -> list[str]:
    """Every Allow that grants a wildcard action, or ``"*"`` outside the documented exceptions."""
    found = []
    for where, document in documents.items():
        for statement in _listed(document["Statement"]):
            if statement["Effect"] != "Allow":
                continue  # a Deny restricts; the TLS-only bucket policy denies s3:* on purpose
            label = f"{where} [{statement.get('Sid', '?')}]"
            if "NotAction" in statement or "NotResource" in statement:
                found.append(f"{label}: NotAction/NotResource grants everything else")
            actions = _listed(statement.get("Action", []))
            found += [f"{label}: wildcard action {a!r}" for a in actions if "*" in a]
            if "*" in _listed(statement.get("Resource", [])):
                known = {e.sid: set(e.actions) for e in EXCEPTIONS}.get(statement.get("Sid"))
                if known is None or not set(actions) <= known:
                    found.append(f"{label}: Resource \"*\" for {actions} is not a documented exception")
    return found


@pytest.fixture(scope="module")
def permissive():
    """The other settings: tracing on, no least privilege, a runner image outside ECR."""
    return run_backend(xray_tracing=True, least_privilege=False, runner_image="public.ecr.aws/attini/runner:1")


def statements(program, role: str) -> dict[str, dict]:
    document = json.loads(program.one("iam/rolePolicy:RolePolicy", f"attini-{role}-policy").inputs["policy"])
    return {s["Sid"]: s for s in document["Statement"]}


def test_the_check_catches_wildcards_and_undocumented_star_resources():
    bad = {"example": {"Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"},
        {"Sid": "B", "Effect": "Allow", "Action": ["*"], "Resource": "arn:aws:s3:::b"},
        {"Sid": "C", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Sid": "TaskTokenCallbacks", "Effect": "Allow", "Action": ["states:StartExecution"], "Resource": "*"},
        {"Sid": "D", "Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b"},
        {"Sid": "E", "Effect": "Deny", "Action": "s3:*", "Resource": "*"},
    ]}}

    found = wildcard_violations(bad)

    assert [f.split(" [")[1][0] for f in found] == ["A", "B", "C", "T", "D"]


@pytest.mark.parametrize("which", ["default", "permissive"])
def test_no_policy_grants_a_wildcard_outside_the_documented_exceptions(which, program, permissive):
    chosen = program if which == "default" else permissive
    documents = chosen.policy_documents()

    assert len(documents) == 14  # 5 roles x (trust + inline), 2 managed, the bucket's, the queue's
    assert wildcard_violations(documents) == []


def test_exceptions_are_used_only_where_documented(program, permissive):
    used = {s["Sid"] for p in (program, permissive) for d in p.policy_documents().values()
            for s in _listed(d["Statement"]) if s.get("Resource") == "*"}

    assert used == {e.sid for e in EXCEPTIONS}
    assert "XRayTracing" not in {s for d in program.policy_documents().values()
                                 for s in (st.get("Sid") for st in _listed(d["Statement"]))}


def test_a_deployer_may_only_upload_under_deploy_and_read(program):
    document = json.loads(program.one("iam/policy:Policy", "attini-deployer").inputs["policy"])
    grants = {s["Sid"]: s for s in document["Statement"]}
    every_action = {a for s in grants.values() for a in s["Action"]}

    assert grants["UploadDistributions"]["Action"] == ["s3:PutObject"]
    assert grants["UploadDistributions"]["Resource"] == [f"{BUCKET_ARN}/deploy/*"]
    assert grants["ReadArtifacts"]["Action"] == ["s3:GetObject"]
    assert set(grants["ReadState"]["Action"]) == {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"}
    assert grants["ReadBackendParameter"]["Resource"] == [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/attini/backend"]
    assert not {a for a in every_action if a.startswith(("dynamodb:Put", "dynamodb:Update", "dynamodb:Delete",
                                                         "states:", "iam:", "s3:Delete"))}


def test_the_operator_adds_table_writes_and_approval_answers(program):
    document = json.loads(program.one("iam/policy:Policy", "attini-operator").inputs["policy"])
    grants = {s["Sid"]: s for s in document["Statement"]}

    assert grants["TaskTokenCallbacks"]["Action"] == ["states:SendTaskSuccess", "states:SendTaskFailure"]
    assert "dynamodb:PutItem" in grants["ManageEnvironmentsAndApprovals"]["Action"]


def test_the_state_machine_may_only_send_to_the_runner_queue(program, permissive):
    grants = statements(program, "state-machine")

    assert set(grants) == {"SendJobsToRunner", "StepFunctionsLogDelivery"}
    assert grants["SendJobsToRunner"]["Action"] == ["sqs:SendMessage"]
    assert grants["SendJobsToRunner"]["Resource"] == [f"arn:aws:sqs:{REGION}:{ACCOUNT}:attini-runner-jobs"]
    assert "XRayTracing" in statements(permissive, "state-machine")
    assert "XRayTracing" in statements(permissive, "init-deploy")  # actively traced functions write segments


def test_the_runner_is_scoped_to_prefixes_queue_parameters_and_tagged_stacks(program):
    grants = statements(program, "runner")

    assert grants["ReadArtifacts"]["Resource"] == [f"{BUCKET_ARN}/artifacts/*"]
    assert grants["PublishStepAssets"]["Resource"] == [f"{BUCKET_ARN}/assets/*"]
    assert grants["ConsumeRunnerJobs"]["Resource"] == [f"arn:aws:sqs:{REGION}:{ACCOUNT}:attini-runner-jobs"]
    assert set(grants["TaskTokenCallbacks"]["Action"]) == set(by_sid("TaskTokenCallbacks").actions)
    assert grants["ReadAttiniSecrets"]["Resource"] == [
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:/attini/secrets/*"]
    assert grants["ChangeTaggedStacks"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/AttiniResourceType": "cloudformation-stack"}}
    assert grants["CreateTaggedStacks"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/AttiniResourceType": "cloudformation-stack"}}
    assert grants["PassStackRoles"]["Resource"] == [f"arn:aws:iam::{ACCOUNT}:role/attini/*"]
    assert grants["PassStackRoles"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}


def test_step_logs_are_written_by_the_runner_and_read_by_deployers_in_the_runner_group_only(program):
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/attini/attini/runner:*"
    runner = statements(program, "runner")
    deployer = {s["Sid"]: s for s in json.loads(
        program.one("iam/policy:Policy", "attini-deployer").inputs["policy"])["Statement"]}

    assert runner["WriteStepLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert runner["WriteStepLogs"]["Resource"] == [group]
    assert set(deployer["ReadRunnerLogs"]["Action"]) == {"logs:GetLogEvents", "logs:DescribeLogStreams",
                                                         "logs:FilterLogEvents"}
    assert deployer["ReadRunnerLogs"]["Resource"] == [group]
    # the logs are not in the bucket any more: nobody gets its logs/ prefix
    assert not [s for s in [*runner.values(), *deployer.values()] if any("/logs/" in r for r in s["Resource"])]


def test_the_escape_hatch_gives_the_runner_administrator_access(program, permissive):
    def attachments(chosen):
        return [r.inputs["policyArn"] for r in chosen.all("iam/rolePolicyAttachment:RolePolicyAttachment")]

    assert attachments(program) == []
    assert attachments(permissive) == ["arn:aws:iam::aws:policy/AdministratorAccess"]


def test_init_deploy_manages_only_this_backends_state_machines(program):
    grants = statements(program, "init-deploy")
    role_arn = program.one("iam/role:Role", "attini-state-machine").state["arn"]

    assert grants["ManageStateMachines"]["Resource"] == [
        f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:attini-*"]
    assert grants["PassStateMachineRole"]["Resource"] == [role_arn]
    assert grants["ReadUploads"]["Resource"] == [f"{BUCKET_ARN}/deploy/*"]
    assert grants["StoreArtifacts"]["Resource"] == [f"{BUCKET_ARN}/artifacts/*"]


def test_finalize_reads_only_this_backends_executions(program):
    grants = statements(program, "finalize")

    assert grants["ReadExecutions"]["Resource"] == [f"arn:aws:states:{REGION}:{ACCOUNT}:execution:attini-*:*"]
    assert "states:StartExecution" not in {a for s in grants.values() for a in s["Action"]}


def test_the_runner_image_is_pulled_only_from_its_repository(program, permissive):
    grants = statements(program, "runner-execution")

    assert grants["PullRunnerImage"]["Resource"] == [f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/attini-runner"]
    assert set(statements(permissive, "runner-execution")) == {"WriteRunnerLogs"}


def test_each_role_trusts_one_service_and_lives_under_the_backend_path(program):
    trusted = {}
    for role in program.all("iam/role:Role"):
        [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        trusted[role.name] = statement["Principal"]["Service"]
        assert role.inputs["path"] == "/attini-backend/"

    assert trusted == {"attini-state-machine": "states.amazonaws.com", "attini-runner": "ecs-tasks.amazonaws.com",
                       "attini-runner-execution": "ecs-tasks.amazonaws.com",
                       "attini-init-deploy": "lambda.amazonaws.com", "attini-finalize": "lambda.amazonaws.com"}
