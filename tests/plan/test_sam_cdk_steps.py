"""Sam and Cdk steps in plans: the Python API, YAML, and the Diff expansion into diff, choice and approval."""

from __future__ import annotations

import pytest

from attini_sdk.errors import PlanError
from attini_sdk.plan import Cdk, Plan, Sam, plan_from_definition
from attini_sdk.plan.cdk_diff import expand_cdk_diffs


def test_a_python_cdk_step_with_diff_compiles_to_attinis_three_extra_states():
    plan = Plan()
    infra = plan.cdk("Infra", app="python app.py", path="/infra", diff={"Enabled": True})
    plan.add(Sam("Counter", project={"Path": "/counter"}, stack_name="counter",
                 parameters={"Table": infra.output("dev-data.TableName")}))

    states = plan.compile().definition["States"]

    assert list(states) == ["InfraCdkDiff", "InfraApproveChanges?", "InfraApproveChanges", "Infra", "Counter"]
    assert states["InfraCdkDiff"]["Parameters"] == {"Path": "/infra", "App": "python app.py", "DiffOnly": True}
    assert states["InfraApproveChanges?"]["Choices"] == [{"Variable": "$.output.InfraCdkDiff.result",
                                                          "StringEquals": "change-detected",
                                                          "Next": "InfraApproveChanges"}]
    assert states["InfraApproveChanges?"]["Default"] == "Infra"
    assert states["InfraApproveChanges"]["Resource"] == "attini:approval"
    assert states["Counter"]["Resource"] == "attini:sam"
    assert states["Counter"]["Parameters"]["Parameters"] == {"Table.$": "$.output.Infra['dev-data'].TableName"}


def test_a_yaml_plan_retargets_whatever_led_to_the_cdk_step():
    definition = plan_from_definition([
        {"Name": "Before", "Type": "Pass"},
        {"Name": "Infra", "Type": "AttiniCdk", "Properties": {"Path": "/infra", "Diff": {"Enabled": True}}},
    ]).definition

    assert definition["States"]["Before"]["Next"] == "InfraCdkDiff"
    assert definition["States"]["Infra"]["End"] is True


def test_expansion_reaches_parallel_branches_and_happens_once():
    branch = {"StartAt": "Infra", "States": {"Infra": {"Type": "Task", "Resource": "attini:cdk", "End": True,
                                                        "Parameters": {"Diff": {"Enabled": True}}}}}
    once = expand_cdk_diffs({"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "End": True,
                                                                   "Branches": [branch]}}})

    assert expand_cdk_diffs(once) == once
    assert once["States"]["Fan"]["Branches"][0]["StartAt"] == "InfraCdkDiff"


def test_a_disabled_diff_adds_nothing():
    plan = Plan(Cdk("Infra", app="python app.py", diff={"Enabled": False}))

    assert list(plan.compile().definition["States"]) == ["Infra"]


@pytest.mark.parametrize("kwargs, field", [
    ({"app": "x", "stacks": "dev-api"}, "Stacks"),
    ({"app": "x", "diff": {"Enabled": "yes"}}, "Diff"),
    ({"app": 42}, "App"),
])
def test_bad_cdk_arguments_are_plan_errors(kwargs, field):
    with pytest.raises(PlanError) as err:
        Cdk("Infra", **kwargs)

    assert any(p.field == field for p in err.value.problems)


def test_a_sam_step_needs_a_project_path():
    with pytest.raises(PlanError) as err:
        Sam("Counter", project={"BuildDir": "b"}, stack_name="c")

    assert [p.field for p in err.value.problems] == ["Project"]


def test_the_validator_checks_cdk_properties_against_the_distributions_files():
    with pytest.raises(PlanError) as err:
        plan_from_definition([{"Name": "Infra", "Type": "AttiniCdk",
                               "Properties": {"Path": "/infra", "Diff": {"On": True}}}], files=["app/app.py"])

    messages = " | ".join(str(p) for p in err.value.problems)
    assert "Path '/infra' is not a folder in the distribution" in messages
    assert "Diff must be {Enabled: true|false}" in messages
