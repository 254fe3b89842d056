"""Attini YAML plans (ASL form and simple syntax), CloudFormation short tags, raw ASL, Python plan files."""

import json
import textwrap

import pytest

from attini_sdk.errors import PlanError
from attini_sdk.plan import load_plan, plan_from_definition
from attini_sdk.plan.cfn_yaml import load_yaml


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_every_short_tag_becomes_its_long_form():
    doc = load_yaml(textwrap.dedent("""
        a: !Sub '${AWS::Region}-x'
        b: !Ref Param
        c: !GetAtt Topic.Arn
        d: !Join [',', [x, y]]
        e: !If [IsProd, 1, 2]
        f: !Select [0, [x]]
        g: !Split [',', 'a,b']
        h: !GetAZs ''
        i: !ImportValue shared-vpc
        j: !FindInMap [M, k1, k2]
        k: !Base64 text
        l: !Equals [a, b]
        m: !And [!Condition A, !Condition B]
        n: !Or [!Condition A, !Condition B]
        o: !Not [!Condition A]
        p: !Condition IsProd
        q: !Cidr ['10.0.0.0/16', 6, 5]
    """))
    assert doc == {
        "a": {"Fn::Sub": "${AWS::Region}-x"},
        "b": {"Ref": "Param"},
        "c": {"Fn::GetAtt": ["Topic", "Arn"]},
        "d": {"Fn::Join": [",", ["x", "y"]]},
        "e": {"Fn::If": ["IsProd", 1, 2]},
        "f": {"Fn::Select": [0, ["x"]]},
        "g": {"Fn::Split": [",", "a,b"]},
        "h": {"Fn::GetAZs": ""},
        "i": {"Fn::ImportValue": "shared-vpc"},
        "j": {"Fn::FindInMap": ["M", "k1", "k2"]},
        "k": {"Fn::Base64": "text"},
        "l": {"Fn::Equals": ["a", "b"]},
        "m": {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]},
        "n": {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]},
        "o": {"Fn::Not": [{"Condition": "A"}]},
        "p": {"Condition": "IsProd"},
        "q": {"Fn::Cidr": ["10.0.0.0/16", 6, 5]},
    }


def test_timestamps_stay_text_and_bad_yaml_says_where():
    assert load_yaml("t: 2026-01-01T00:00:00Z") == {"t": "2026-01-01T00:00:00Z"}
    with pytest.raises(PlanError, match=r"not valid YAML.*line 2"):
        load_yaml("a: [1,\nb: }", file="x.yaml")


ASL_TEMPLATE = """
    AWSTemplateFormatVersion: "2010-09-09"
    Transform: [AttiniDeploymentPlan, AWS::Serverless-2016-10-31]
    Parameters:
      AttiniEnvironmentName: {Type: String}
      AttiniDistributionId: {Type: String}
      Domain: {Type: String}
    Resources:
      DbRunner:
        Type: Attini::Deploy::Runner
        Properties:
          Image: python:3.11
      Plan:
        Type: Attini::Deploy::DeploymentPlan
        Properties:
          DefaultRunner: DbRunner
          DeploymentPlan:
            StartAt: Network
            States:
              Network:
                Type: AttiniCfn
                Properties:
                  StackName: !Sub ${AttiniEnvironmentName}-vpc
                  Template: /network/vpc.yaml
                  Parameters:
                    Domain: !Ref Domain
                    DistId: !Ref AttiniDistributionId
                Retry: [{ErrorEquals: [States.ALL], MaxAttempts: 2}]
                Next: Migrate
              Migrate:
                Type: AttiniRunnerJob
                Properties:
                  Commands: [./migrate.sh]
                  Environment:
                    VPC_ID.$: $.output.Network.VpcId
                End: true
"""


def test_an_asl_form_template_compiles_attini_steps_and_keeps_sub_as_a_deploy_time_reference(tmp_path):
    path = write(tmp_path, "deployment-plan.yaml", ASL_TEMPLATE)

    plan = load_plan(path, source="deployment-plan.yaml", files=["network/vpc.yaml"])

    network = plan.definition["States"]["Network"]
    assert network["Type"] == "Task" and network["Resource"] == "attini:cfn"
    assert network["ResultPath"] == "$.output.Network"
    assert network["Parameters"]["StackName.$"] == \
        "States.Format('{}-vpc', $.stackParameters.AttiniEnvironmentName)"
    assert network["Parameters"]["Parameters"] == {"Domain.$": "$.stackParameters.Domain",
                                                   "DistId.$": "$.stackParameters.AttiniDistributionId"}
    assert network["Retry"] == [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}]
    migrate = plan.definition["States"]["Migrate"]
    assert migrate["Parameters"]["Runner"] == "DbRunner"
    assert plan.definition["AttiniRunners"] == {"DbRunner": {"Image": "python:3.11"}}
    assert plan.source == "deployment-plan.yaml"


SIMPLE_TEMPLATE = """
    Parameters:
      AttiniEnvironmentName: {Type: String}
    Resources:
      Plan:
        Type: Attini::Deploy::DeploymentPlan
        Properties:
          PayloadDefaults:
            output: {Seed: {Value: 1}}
          DeploymentPlan:
            - Name: Stacks
              Type: Parallel
              Branches:
                - - Name: Api
                    Type: AttiniCfn
                    Properties: {StackName: api, Template: /api.yaml}
                - - Name: Web
                    Type: AttiniCfn
                    Properties: {StackName: web, Template: /web.yaml}
            - Name: IsProduction
              Type: Choice
              Condition:
                Variable: $.deploymentOriginData.environmentType
                StringEquals: production
              IsTrue:
                - Name: Approve
                  Type: AttiniManualApproval
              IsFalse: []
            - Name: Smoke
              Type: AttiniLambdaInvoke
              Properties:
                FunctionName: !Sub ${AttiniEnvironmentName}-smoke
"""


def test_simple_syntax_runs_in_order_with_implicit_merge_and_choice(tmp_path):
    plan = load_plan(write(tmp_path, "plan.yaml", SIMPLE_TEMPLATE))
    s = plan.definition["States"]

    assert plan.definition["StartAt"] == "AttiniPayloadDefaults"
    assert s["AttiniPayloadDefaults"] == {"Type": "Pass", "Result": {"Seed": {"Value": 1}},
                                          "ResultPath": "$.output", "Next": "Stacks"}
    assert s["Stacks"]["Next"] == "Stacks-Merge"
    assert s["Stacks-Merge"]["Resource"] == "attini:merge-output"
    assert s["Stacks-Merge"]["Next"] == "IsProduction"
    assert s["IsProduction"]["Choices"][0]["Next"] == "Approve"
    assert s["IsProduction"]["Default"] == "Smoke"
    assert s["Approve"]["Next"] == "Smoke"
    assert s["Smoke"]["Parameters"] == {
        "FunctionName.$": "States.Format('{}-smoke', $.stackParameters.AttiniEnvironmentName)"}
    assert s["Smoke"]["End"] is True


def test_simple_syntax_keeps_an_explicit_merge_after_a_parallel():
    plan = plan_from_definition([
        {"Name": "P", "Type": "Parallel", "Branches": [[{"Name": "A", "Type": "Pass"}], [{"Name": "B", "Type": "Pass"}]]},
        {"Name": "MyMerge", "Type": "AttiniMergeOutput"},
    ])
    assert plan.definition["States"]["P"]["Next"] == "MyMerge"
    assert "P-Merge" not in plan.definition["States"]


def test_simple_syntax_refuses_next_and_end():
    with pytest.raises(PlanError) as err:
        plan_from_definition([{"Name": "A", "Type": "Pass", "Next": "B"}, {"Name": "B", "Type": "Pass", "End": True}],
                             source="plan.yaml")
    fields = {(p.state, p.field) for p in err.value.problems}
    assert ("A", "Next") in fields and ("B", "End") in fields


@pytest.mark.parametrize("value, expected", [
    ({"Fn::Join": ["-", [{"Ref": "AttiniEnvironmentName"}, "app"]]},
     {"V.$": "States.Format('{}-app', $.stackParameters.AttiniEnvironmentName)"}),
    ({"Fn::Join": [":", ["a", "b"]]}, {"V": "a:b"}),
    ({"Fn::Select": [1, ["a", "b"]]}, {"V": "b"}),
    ({"Fn::Split": [",", "a,b"]}, {"V": ["a", "b"]}),
    ({"Fn::Split": [",", {"Ref": "Zones"}]}, {"V.$": "States.StringSplit($.stackParameters.Zones, ',')"}),
    ({"Fn::Base64": "hi"}, {"V": "aGk="}),
    ({"Fn::Base64": {"Ref": "Zones"}}, {"V.$": "States.Base64Encode($.stackParameters.Zones)"}),
    ({"Fn::FindInMap": ["Sizes", "dev", "Count"]}, {"V": 2}),
    ({"Fn::If": ["Always", "yes", "no"]}, {"V": "yes"}),
    ({"Fn::Sub": "${!Literal}-${AWS::Region}"}, {"V.$": "States.Format('$\\{Literal\\}-{}', $.stackParameters['AWS::Region'])"}),
    ({"Fn::Sub": ["${Name}-x", {"Name": "fixed"}]}, {"V": "fixed-x"}),
])
def test_intrinsic_functions_resolve_to_values_or_deploy_time_expressions(value, expected):
    template = {
        "Parameters": {"Zones": {"Type": "String"}},
        "Mappings": {"Sizes": {"dev": {"Count": 2}}},
        "Conditions": {"Always": {"Fn::Equals": ["a", "a"]}},
        "Resources": {"Plan": {"Type": "Attini::Deploy::DeploymentPlan", "Properties": {"DeploymentPlan": [
            {"Name": "S", "Type": "AttiniRunnerJob", "Properties": {"Commands": ["true"], "Environment": {"V": value}}},
        ]}}},
    }
    from attini_sdk.plan.loaders import load_template_data

    plan = load_template_data(template)
    assert plan.definition["States"]["S"]["Parameters"]["Environment"] == expected


def test_unresolvable_intrinsics_are_all_reported(tmp_path):
    text = """
        Parameters:
          Env: {Type: String}
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
        Resources:
          Topic: {Type: AWS::SNS::Topic}
          Plan:
            Type: Attini::Deploy::DeploymentPlan
            Properties:
              DeploymentPlan:
                - Name: S
                  Type: AttiniCfn
                  Properties:
                    StackName: !Ref Topic
                    Template: !GetAtt Topic.Arn
                    Region: !If [IsProd, eu-west-1, eu-north-1]
                    Parameters:
                      Missing: !Ref Nope
    """
    with pytest.raises(PlanError) as err:
        load_plan(write(tmp_path, "t.yaml", text), source="t.yaml")
    by_field = {p.field: p.what for p in err.value.problems}
    assert "Ref to resource 'Topic'" in by_field["Properties.StackName"]
    assert "Fn::GetAtt" in by_field["Properties.Template"]
    assert "use a Choice state" in by_field["Properties.Region"]
    assert "not a parameter of the template" in by_field["Properties.Parameters.Missing"]
    assert all(p.file == "t.yaml" and p.state == "S" for p in err.value.problems)


def test_refs_in_choice_rules_and_wait_become_path_fields():
    from attini_sdk.plan.loaders import load_template_data

    template = {"Parameters": {"Gate": {"Type": "String"}, "Hold": {"Type": "Number"}},
                "Resources": {"Plan": {"Type": "Attini::Deploy::DeploymentPlan", "Properties": {"DeploymentPlan": {
                    "StartAt": "Check", "States": {
                        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.deploymentOriginData.environment",
                                                                 "StringEquals": {"Ref": "Gate"}, "Next": "Hold"}],
                                  "Default": "Hold"},
                        "Hold": {"Type": "Wait", "Seconds": {"Ref": "Hold"}, "End": True}}}}}}}
    s = load_template_data(template).definition["States"]
    assert s["Check"]["Choices"][0]["StringEqualsPath"] == "$.stackParameters.Gate"
    assert s["Hold"] == {"Type": "Wait", "SecondsPath": "$.stackParameters.Hold", "End": True}


def test_a_template_needs_exactly_one_deployment_plan(tmp_path):
    with pytest.raises(PlanError, match="exactly one Attini::Deploy::DeploymentPlan"):
        load_plan(write(tmp_path, "t.yaml", "Resources: {A: {Type: AWS::SNS::Topic}}"))


def test_raw_asl_json_and_yaml_are_plans(tmp_path):
    asl = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 1, "Next": "Deploy"},
                                         "Deploy": {"Type": "Task", "Resource": "attini:cfn", "End": True,
                                                    "Parameters": {"StackName": "s", "Template": "/s.yaml"}}}}
    from_json = load_plan(write(tmp_path, "plan.asl.json", json.dumps(asl)))
    from_yaml = load_plan(write(tmp_path, "plan.asl.yaml", """
        StartAt: Wait
        States:
          Wait: {Type: Wait, Seconds: 1, Next: Deploy}
          Deploy: {Type: Task, Resource: "attini:cfn", End: true, Parameters: {StackName: s, Template: /s.yaml}}
    """))
    assert from_json == from_yaml
    assert from_json.definition == asl


def test_a_python_plan_module_is_run_for_its_plan(tmp_path):
    path = write(tmp_path, "deployment_plan.py", """
        from attini_sdk.plan import Plan, Cfn
        plan = Plan(Cfn("Vpc", stack_name="vpc", template="/vpc.yaml"))
    """)
    plan = load_plan(path, source="deployment_plan.py", files=["vpc.yaml"])
    assert plan.state_names() == ["Vpc"]
    assert plan.source == "deployment_plan.py"


def test_a_python_module_without_plan_or_that_fails_says_so(tmp_path):
    with pytest.raises(PlanError, match="defines no 'plan'"):
        load_plan(write(tmp_path, "a.py", "x = 1\n"))
    with pytest.raises(PlanError, match="ZeroDivisionError"):
        load_plan(write(tmp_path, "b.py", "1 / 0\n"))
    with pytest.raises(PlanError, match="does not exist"):
        load_plan(tmp_path / "missing.yaml")


def test_a_python_plan_with_step_errors_names_the_file(tmp_path):
    path = write(tmp_path, "deployment_plan.py", """
        from attini_sdk.plan import Plan, Cfn
        plan = Plan(Cfn("Vpc", stack_name="vpc"))
    """)
    with pytest.raises(PlanError) as err:
        load_plan(path, source="deployment_plan.py")
    assert err.value.problems[0].file == "deployment_plan.py"
    assert err.value.problems[0].state == "Vpc"
