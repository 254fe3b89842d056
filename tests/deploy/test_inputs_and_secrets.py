"""What a plan receives (the payload), and secrets kept out of everything a user sees."""

from __future__ import annotations

import json

import pytest

import attini_sdk as at

from .conftest import runner_step

SECRET = "hunter2-5f1c"
ECHO_PAYLOAD = {"StartAt": "Echo", "States": {"Echo": {**runner_step("Echo", ['cp "$ATTINI_INPUT" "$ATTINI_OUTPUT"']),
                                                       "End": True}}}


def test_the_payload_has_attinis_layout_and_layered_parameters(home, project):
    env = at.Environment.local("dev")
    env.parameters["Team"] = "core"
    env.parameters["LogLevel"] = "INFO"
    network = project("network")
    env.deploy(network.package({"StartAt": "Net", "States": {"Net": {
        "Type": "Pass", "Result": {"VpcId": "vpc-9"}, "ResultPath": "$.output.Network", "End": True}}}))
    app = project("app", "2.1.0")
    app.dependencies = [{"distributionName": "network", "version": ">=1.0.0"}]
    app.init_deploy = {"parameters": {
        "default": {"LogLevel": "WARNING", "Size": "small",
                    "VpcId": {"sourceType": "Distribution", "source": {"name": "network",
                                                                      "mapping": "$.output.Network.VpcId"}}},
        "dev": {"Size": "tiny"}}}

    d = env.deploy(app.package(ECHO_PAYLOAD), parameters={"Size": "large"})

    payload = d.outputs["output"]["Echo"]
    origin = payload["deploymentOriginData"]
    assert (origin["distributionName"], origin["version"], origin["environment"], origin["environmentType"]) == (
        "app", "2.1.0", "dev", "test")
    assert (origin["distributionId"], origin["deploymentId"]) == (d.distribution_id, d.id)
    assert payload["environment"] == "dev" and payload["customData"] == {}
    # initDeployConfig default < its dev section < environment parameters < the call's parameters
    assert payload["parameters"] == {"LogLevel": "INFO", "Size": "large", "Team": "core", "VpcId": "vpc-9"}
    stack = payload["stackParameters"]
    assert (stack["AttiniEnvironmentName"], stack["AttiniDistributionName"], stack["VpcId"]) == ("dev", "app", "vpc-9")
    assert stack["AttiniDistributionId"] == d.distribution_id and len(stack["AttiniRandomString"]) == 32
    network_now = env.latest("network")
    assert payload["dependencies"] == {"network": {"distributionId": network_now.distribution_id, "version": "1.0.0",
                                                  "outputs": {"Network": {"VpcId": "vpc-9"}}}}
    assert d.parameters["Size"] == "large"


def test_import_reads_a_dependencys_outputs_and_names_a_path_that_selects_nothing(home, project):
    env = at.Environment.local("dev")
    env.deploy(project("network").package({"StartAt": "Net", "States": {"Net": {
        "Type": "Pass", "Result": {"Subnets": [{"id": "a"}, {"id": "b"}]}, "ResultPath": "$.output.Network",
        "End": True}}}))
    app = project("app")
    app.dependencies = [{"distributionName": "network", "version": "*"}]
    plan = {"StartAt": "Import", "States": {"Import": {
        "Type": "Task", "Resource": "attini:import", "ResultPath": "$.output.Import", "End": True,
        "Parameters": {"SourceType": "Distribution", "Source": {"Name": "network"},
                       "Mapping": {"Ids": "$.output.Network.Subnets[*].id", "Missing": "$.output.Nope"}}}}}

    d = env.deploy(app.package(plan))

    assert (d.status, d.error) == ("failed", "Import.PathNotFound")
    assert "Mapping.Missing: $.output.Nope selects nothing in distribution 'network'" in d.cause
    del plan["States"]["Import"]["Parameters"]["Mapping"]["Missing"]
    ok = env.deploy(app.package(plan, "1.0.1"))
    assert ok.outputs["output"]["Import"] == {"Ids": ["a", "b"]}


def test_import_from_s3_reads_a_json_document(home, project):
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="shared", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="shared", Key="net.json", Body=json.dumps({"vpc": {"id": "vpc-s3"}}).encode())
    plan = {"StartAt": "Import", "States": {"Import": {
        "Type": "Task", "Resource": "attini:import", "ResultPath": "$.output.Import", "End": True,
        "Parameters": {"SourceType": "S3", "Source": {"Bucket": "shared", "Key": "net.json"},
                       "Mapping": {"VpcId": "$.vpc.id"}}}}}

    d = at.Environment.local("dev").deploy(project("app").package(plan))

    assert d.outputs["output"]["Import"] == {"VpcId": "vpc-s3"}


def _everything_a_user_sees(env: at.Environment, d) -> str:
    seen = [d.steps.to_json(date_format="iso"), json.dumps(d.outputs), json.dumps(d.summary()), repr(d), d._repr_html_(),
            env.history().to_json(date_format="iso"), env.inventory().to_json(date_format="iso"), repr(env.parameters), json.dumps(dict(env.parameters)),
            at.list_environments().to_json(date_format="iso")]
    seen += [d.logs(step) for step in set(d.steps["step"])]
    seen += [p.read_text() for p in env._backend.log_dir(d.id).glob("*.log")]
    return "\n".join(seen)


def test_secrets_reach_the_plan_but_never_dataframes_outputs_or_logs(home, project):
    env = at.Environment.local("dev")
    env.parameters.set("DbPassword", SECRET, secret=True)
    plan = {"StartAt": "Connect", "States": {
        "Connect": {**runner_step("Connect", [
            'echo "connecting with $PW"',
            'echo "{\\"url\\": \\"db://app:$PW@db\\"}" > "$ATTINI_OUTPUT"'],
            Environment={"PW.$": "$.parameters.DbPassword"}), "Next": "Check"},
        "Check": {**runner_step("Check", [
            'test "$URL" = "db://app:$PW@db" && echo "{\\"match\\": true}" > "$ATTINI_OUTPUT"'],
            Environment={"PW.$": "$.parameters.DbPassword", "URL.$": "$.output.Connect.url"}), "End": True}}}

    d = env.deploy(project("app").package(plan))

    assert d.status == "succeeded" and d.outputs["output"]["Check"] == {"match": True}  # the plan got the real value
    assert d.outputs["output"]["Connect"] == {"url": "db://app:***@db"}
    assert "connecting with ***" in d.logs("Connect")
    assert d.parameters["DbPassword"] == "***" and env.parameters["DbPassword"] == "***"
    assert env.parameters.reveal("DbPassword") == SECRET
    assert SECRET not in _everything_a_user_sees(env, d)


def test_a_failure_cause_is_redacted_too(home, project):
    env = at.Environment.local("dev")
    env.parameters.set("Token", SECRET, secret=True)
    plan = {"StartAt": "Leak", "States": {"Leak": {**runner_step("Leak", ['echo "token=$T"', "exit 3"],
                                                                 Environment={"T.$": "$.parameters.Token"}),
                                                   "End": True}}}

    d = env.deploy(project("app").package(plan))

    assert (d.status, d.error) == ("failed", "ScriptExecutionError")
    assert "token=***" in d.cause
    assert SECRET not in _everything_a_user_sees(env, d)


def test_raise_on_failure_raises_step_failed_with_the_engines_error(home, project):
    env = at.Environment.local("dev")
    plan = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"}}}

    with pytest.raises(at.StepFailed) as failed:
        env.deploy(project("app").package(plan), raise_on_failure=True)

    assert (failed.value.error, failed.value.cause) == ("Broken", "on purpose")
    assert env.latest("app").status == "failed"
