"""Packaging a distribution compiles, validates and stores its plan, whichever way it is written."""

import textwrap

import pytest

import attini_sdk as at
from attini_sdk.errors import PlanError
from attini_sdk.plan import Cfn, Plan, Runner

from tests.trees import write_tree

CONFIG = """\
distributionName: app
version: 1.0.0
dependencies:
  - distributionName: network
    version: ">=1.0.0"
"""

PYTHON_PLAN = """\
from attini_sdk.plan import Plan, Cfn, Runner, dependency, env, fmt
from helpers import STACK_SUFFIX   # a neighbour module of the plan

stack = Cfn("App", stack_name=fmt("{}-" + STACK_SUFFIX, env.name), template="/app.yaml",
            parameters={"VpcId": dependency("network").output("Network.VpcId")})
plan = Plan(Runner("Smoke", commands=["./smoke.sh"], environment={"URL": stack.output("Url")}))
"""


def test_a_python_plan_is_run_at_package_time_and_the_artifact_carries_the_json(tmp_path):
    source = write_tree(tmp_path / "app", {
        "attini-config.yaml": CONFIG + "plan: deployment_plan.py\n",
        "deployment_plan.py": PYTHON_PLAN, "helpers.py": "STACK_SUFFIX = 'app'\n",
        "app.yaml": "Resources: {}\n", "smoke.sh": "true\n"})

    artifact = at.Distribution.from_path(source).package(tmp_path / "out")
    (source / "deployment_plan.py").write_text("raise SystemExit('never run again')\n")

    opened = at.Artifact.open(artifact.path)
    assert at.PlanDefinition(opened.plan).state_names() == ["ImportNetwork", "App", "Smoke"]
    assert opened.plan["States"]["App"]["Parameters"]["StackName.$"] == \
        "States.Format('{}-app', $.deploymentOriginData.environment)"
    assert opened.manifest.plan == at.PlanDefinition(opened.plan).digest()


def test_an_init_template_with_a_deployment_plan_is_the_plan(tmp_path):
    source = write_tree(tmp_path / "app", {
        "attini-config.yaml": CONFIG + "initDeployConfig:\n  template: /deploy/plan.yaml\n",
        "deploy/plan.yaml": textwrap.dedent("""
            Parameters: {AttiniEnvironmentName: {Type: String}}
            Resources:
              Plan:
                Type: Attini::Deploy::DeploymentPlan
                Properties:
                  DeploymentPlan:
                    - Name: App
                      Type: AttiniCfn
                      Properties: {StackName: !Sub "${AttiniEnvironmentName}-app", Template: /app.yaml}
        """),
        "app.yaml": "Resources: {}\n"})

    plan = at.Distribution.from_path(source).package(tmp_path / "out").plan

    assert plan["States"]["App"]["Parameters"]["StackName.$"] == \
        "States.Format('{}-app', $.stackParameters.AttiniEnvironmentName)"


def test_an_init_template_without_a_deployment_plan_means_no_plan(tmp_path):
    source = write_tree(tmp_path / "app", {
        "attini-config.yaml": CONFIG + "initDeployConfig:\n  template: stack.yaml\n",
        "stack.yaml": "Resources: {Topic: {Type: AWS::SNS::Topic}}\n"})
    assert at.Distribution.from_path(source).package(tmp_path / "out").plan is None


def test_package_time_validation_knows_the_files_and_the_declared_dependencies(tmp_path):
    source = write_tree(tmp_path / "app", {
        "attini-config.yaml": CONFIG + "plan: plan.yaml\n",
        "plan.yaml": textwrap.dedent("""
            StartAt: Import
            States:
              Import:
                Type: AttiniImport
                Properties: {SourceType: Distribution, Source: {Name: database}, Mapping: {T: $.output.Db.T}}
                Next: Deploy
              Deploy:
                Type: AttiniCfn
                Properties: {StackName: app, Template: /missing.yaml}
                End: true
        """)})

    with pytest.raises(PlanError) as err:
        at.Distribution.from_path(source).package(tmp_path / "out")

    located = {(p.file, p.state, p.field) for p in err.value.problems}
    plan_file = str(source / "plan.yaml")
    assert (plan_file, "Import", "Parameters.Source.Name") in located
    assert (plan_file, "Deploy", "Parameters.Template") in located
    assert "not a declared dependency (declared: network)" in str(err.value)


def test_a_distribution_built_in_python_takes_a_plan_object(tmp_path):
    write_tree(tmp_path / "src", {"vpc.yaml": "Resources: {}\n"})
    vpc = Cfn("Vpc", stack_name="vpc", template="/vpc.yaml")
    plan = Plan(Runner("Check", commands=["true"], after=[vpc]))

    artifact = at.Distribution(name="net", version="1.0.0", source=tmp_path / "src", plan=plan).package(
        tmp_path / "out")

    assert artifact.plan == plan.compile().definition


def test_a_plan_object_naming_a_missing_template_fails_packaging(tmp_path):
    write_tree(tmp_path / "src", {"other.yaml": "Resources: {}\n"})
    plan = Plan(Cfn("Vpc", stack_name="vpc", template="/vpc.yaml"))
    with pytest.raises(PlanError, match="'/vpc.yaml' is not in the distribution"):
        at.Distribution(name="net", version="1.0.0", source=tmp_path / "src", plan=plan).package(tmp_path / "o")
