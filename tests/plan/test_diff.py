"""What changed in the plan between two versions of a distribution, step by step."""

from attini_sdk.plan import Cfn, Parallel, Plan, Runner
from attini_sdk.plan.diff import diff_plans, format_plan_diff


def test_added_removed_changed_and_moved_steps():
    vpc = Cfn("Vpc", stack_name="vpc", template="/vpc.yaml")
    old = Plan(Runner("Migrate", commands=["./migrate.sh"], after=[vpc]),
               Runner("Cleanup", commands=["./cleanup.sh"], after=[vpc])).compile().definition
    vpc2 = Cfn("Vpc", stack_name="vpc", template="/vpc.yaml", parameters={"Cidr": "10.1.0.0/16"})
    new = Plan(Parallel("Both", branches=[[Runner("Migrate", commands=["./migrate.sh", "./seed.sh"])],
                                          [Cfn("Dns", stack_name="dns", template="/dns.yaml")]], after=[vpc2])
               ).compile().definition

    changes = {c.step: c for c in diff_plans(old, new)}

    assert changes["Vpc"].change == "changed" and "Parameters.Parameters" in changes["Vpc"].fields
    assert changes["Migrate"].fields[-1] == "(moved)" and "Parameters.Commands" in changes["Migrate"].fields
    assert changes["Dns"].change == "added" and changes["Dns"].parent == "Both"
    assert changes["Cleanup"].change == "removed"
    assert "+ Dns [AttiniCfn] (in Both)" in format_plan_diff(list(changes.values()))


def test_identical_plans_have_no_changes_and_no_plan_means_all_added():
    plan = Plan(Cfn("Vpc", stack_name="vpc", template="/vpc.yaml")).compile().definition
    assert diff_plans(plan, plan) == []
    assert [c.change for c in diff_plans(None, plan)] == ["added"]
