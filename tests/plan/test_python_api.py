"""Writing a plan in Python: steps, references, parallelism, and the errors a user meets."""

import pytest

from attini_sdk.errors import PlanError
from attini_sdk.plan import (
    Cfn, Choice, Fail, Import, LambdaInvoke, ManualApproval, Map, MergeOutput, Parallel, Pass, Plan, Runner,
    Succeed, Task, Wait, all_of, dependency, deployment, env, fmt, intrinsic, stack_parameter,
)


def states(plan):
    return plan.compile().definition["States"]


def test_an_output_used_as_a_property_becomes_a_path_and_an_edge():
    vpc = Cfn("Vpc", stack_name="vpc", template="/vpc.yaml")
    db = Cfn("Db", stack_name="db", template="/db.yaml", parameters={"VpcId": vpc.output("VpcId")})

    compiled = Plan(db).compile()

    assert compiled.state_names() == ["Vpc", "Db"]
    assert compiled.definition["States"]["Vpc"]["Next"] == "Db"
    assert compiled.definition["States"]["Db"]["Parameters"]["Parameters"] == {"VpcId.$": "$.output.Vpc.VpcId"}
    assert compiled.depends_on["Db"] == ["Vpc"]


def test_payload_references_point_into_attinis_payload():
    step = Runner("Show", commands=["env"], environment={
        "ENV": env.name, "TYPE": env.type, "DOMAIN": env.param("domain"),
        "DIST": deployment.distribution_id, "NAME": deployment.distribution_name, "VERSION": deployment.version,
        "STACK_ENV": stack_parameter("AttiniEnvironmentName"),
    })

    environment = states(Plan(step))["Show"]["Parameters"]["Environment"]

    assert environment == {
        "ENV.$": "$.deploymentOriginData.environment",
        "TYPE.$": "$.deploymentOriginData.environmentType",
        "DOMAIN.$": "$.parameters.domain",
        "DIST.$": "$.deploymentOriginData.distributionId",
        "NAME.$": "$.deploymentOriginData.distributionName",
        "VERSION.$": "$.deploymentOriginData.version",
        "STACK_ENV.$": "$.stackParameters.AttiniEnvironmentName",
    }


def test_step_names_that_are_not_identifiers_use_bracket_paths():
    first = Cfn("Deploy Vpc", stack_name="vpc", template="/vpc.yaml")
    second = Runner("Use it", commands=["true"], environment={"V": first.output("Vpc-Id")})

    env_ = states(Plan(second))["Use it"]["Parameters"]["Environment"]

    assert env_ == {"V.$": "$.output['Deploy Vpc']['Vpc-Id']"}


def test_fmt_builds_states_format_and_folds_literals():
    stack = fmt("{}-{}-{}", env.name, "db", deployment.version)
    assert stack.text == ("States.Format('{}-db-{}', $.deploymentOriginData.environment, "
                          "$.deploymentOriginData.version)")
    assert fmt("a{}c", "b") == "abc"
    with pytest.raises(PlanError, match="2 '\\{\\}' but 1 arguments"):
        fmt("{}-{}", env.name)


def test_literal_braces_and_quotes_are_escaped_in_intrinsics():
    expr = fmt("it's {x}-{}", env.name)
    assert expr.text == "States.Format('it\\'s \\{x\\}-{}', $.deploymentOriginData.environment)"
    assert intrinsic("States.JsonToString", env.param("tags")).text == "States.JsonToString($.parameters.tags)"


def test_formatting_a_reference_into_an_fstring_is_refused_with_a_hint():
    with pytest.raises(PlanError, match="fmt"):
        f"{env.name}-vpc"


def test_independent_steps_run_in_parallel_then_merge():
    vpc = Cfn("Vpc", stack_name="vpc", template="/vpc.yaml")
    dns = Cfn("Dns", stack_name="dns", template="/dns.yaml")
    app = Runner("App", commands=["./deploy.sh"], after=[vpc, dns])

    s = states(Plan(app))

    assert list(s) == ["Parallel-1", "Parallel-1-Merge", "App"]
    assert [b["StartAt"] for b in s["Parallel-1"]["Branches"]] == ["Vpc", "Dns"]
    assert s["Parallel-1-Merge"] == {"Type": "Task", "Resource": "attini:merge-output", "ResultPath": "$",
                                     "Next": "App"}


def test_steps_join_the_plan_through_their_dependencies_like_pulumi():
    base = Cfn("Base", stack_name="b", template="/b.yaml")
    top = Runner("Top", commands=["true"], environment={"X": base.output("X")})

    plan = Plan()
    plan.add(top)

    assert plan.compile().state_names() == ["Base", "Top"]


def test_dependency_outputs_compile_to_one_import_step_per_distribution():
    net = dependency("network")
    db = Cfn("Db", stack_name="db", template="/db.yaml",
             parameters={"VpcId": net.output("Vpc.VpcId"), "Subnet": net.output("SubnetId", step="Vpc")})

    s = states(Plan(db))

    assert s["ImportNetwork"]["Parameters"] == {
        "SourceType": "Distribution", "Source": {"Name": "network"},
        "Mapping": {"Vpc_SubnetId": "$.output.Vpc.SubnetId", "Vpc_VpcId": "$.output.Vpc.VpcId"},
    }
    assert s["Db"]["Parameters"]["Parameters"] == {
        "VpcId.$": "$.output.ImportNetwork.Vpc_VpcId", "Subnet.$": "$.output.ImportNetwork.Vpc_SubnetId"}
    assert s["ImportNetwork"]["Next"] == "Db"


def test_dependency_output_without_a_step_name_is_refused():
    with pytest.raises(PlanError, match="does not say which step"):
        dependency("network").output("VpcId")


def test_an_explicit_import_step():
    imp = Import("Net", distribution="network", mapping={"VpcId": "$.output.Vpc.VpcId"})
    s = states(Plan(imp))
    assert s["Net"]["Resource"] == "attini:import"
    assert s["Net"]["Parameters"]["Source"] == {"Name": "network"}


def test_a_list_with_references_becomes_states_array():
    step = Cfn("S", stack_name="s", template="/s.yaml", parameters={"Zones": ["a", env.param("zone")]})
    assert states(Plan(step))["S"]["Parameters"]["Parameters"] == {
        "Zones.$": "States.Array('a', $.parameters.zone)"}


def test_choice_runs_a_branch_then_continues():
    deploy = Cfn("Deploy", stack_name="app", template="/app.yaml")
    gate = Choice("IsProduction", condition=env.type.equals("production"),
                  is_true=[ManualApproval("Approve")], after=[deploy])
    smoke = LambdaInvoke("Smoke", function_name="smoke", after=[gate])

    s = states(Plan(smoke))

    assert s["IsProduction"]["Choices"] == [{"Variable": "$.deploymentOriginData.environmentType",
                                              "StringEquals": "production", "Next": "Approve"}]
    assert s["IsProduction"]["Default"] == "Smoke"
    assert s["Approve"]["Next"] == "Smoke"


def test_choice_as_the_last_step_ends_an_empty_branch_with_succeed():
    gate = Choice("Gate", condition=all_of(env.type.equals("production"), env.param("go").is_true()),
                  is_true=[ManualApproval("Approve")])
    s = states(Plan(gate))
    assert s["Gate"]["Default"] == "Gate-Done"
    assert s["Gate-Done"] == {"Type": "Succeed"}
    assert s["Approve"]["End"] is True


def test_explicit_parallel_gets_a_merge_step():
    p = Parallel("Stacks", branches=[[Cfn("A", stack_name="a", template="/a.yaml")],
                                     [Cfn("B", stack_name="b", template="/b.yaml"), Wait("Settle", seconds=5)]])
    s = states(Plan(p))
    assert s["Stacks"]["Next"] == "Stacks-Merge"
    assert s["Stacks"]["Branches"][1]["States"]["B"]["Next"] == "Settle"
    assert s["Stacks-Merge"]["End"] is True


def test_map_iterates_its_steps_per_item():
    m = Map("PerRegion", items_path=env.param("regions"), max_concurrency=2,
            iterator=[Pass("Item", parameters={"region.$": "$"})])
    s = states(Plan(m))["PerRegion"]
    assert s["ItemsPath"] == "$.parameters.regions"
    assert s["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}
    assert s["ItemProcessor"]["StartAt"] == "Item"
    assert s["ResultPath"] == "$.output.PerRegion"


def test_retry_catch_and_timeout_are_accepted_on_attini_steps():
    cleanup = Runner("Cleanup", commands=["./cleanup.sh"])
    step = Runner("Migrate", commands=["./migrate.sh"], timeout_seconds=600,
                  retry=[{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2}],
                  catch=[{"ErrorEquals": ["States.ALL"], "Next": [cleanup, Fail("Failed", error="Migration")]}])
    s = states(Plan(step))
    assert s["Migrate"]["TimeoutSeconds"] == 600
    assert s["Migrate"]["Retry"] == [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2}]
    assert s["Migrate"]["Catch"] == [{"ErrorEquals": ["States.ALL"], "Next": "Cleanup"}]
    assert s["Cleanup"]["Next"] == "Failed"


def test_plain_states_pass_through():
    plan = Plan(Task("Notify", resource="arn:aws:states:::sns:publish", parameters={"Message": "hi"},
                     heartbeat_seconds=10, timeout_seconds=60))
    plan.add(Wait("Hold", timestamp="2026-01-01T00:00:00Z", after=[plan._steps[0]]))
    s = states(plan)
    assert s["Notify"]["Resource"] == "arn:aws:states:::sns:publish"
    assert s["Hold"] == {"Type": "Wait", "Timestamp": "2026-01-01T00:00:00Z", "End": True}


def test_succeed_and_fail_end_the_plan():
    ok = Succeed("Done")
    assert states(Plan(ok))["Done"] == {"Type": "Succeed"}
    with pytest.raises(PlanError, match="ends the plan"):
        Plan(Runner("After", commands=["true"], after=[Fail("Stop", error="X")])).compile()


def test_merge_output_can_be_placed_by_hand():
    assert states(Plan(MergeOutput("Merge")))["Merge"]["ResultPath"] == "$"


def test_runners_travel_in_the_plan():
    plan = Plan(Runner("Job", commands=["true"], runner="Db"))
    plan.runner("Db", Image="python:3.11")
    assert plan.compile().definition["AttiniRunners"] == {"Db": {"Image": "python:3.11"}}


def test_an_undeclared_runner_is_a_validation_error():
    plan = Plan(Runner("Job", commands=["true"], runner="Missing"))
    plan.runner("Other", Image="python:3.11")
    with pytest.raises(PlanError, match="Runner 'Missing' is not declared"):
        plan.compile()


@pytest.mark.parametrize("build, field, message", [
    (lambda: Cfn("X", template="/x.yaml"), "StackName", "stack_name= is required"),
    (lambda: Cfn("X", stack_name="x"), "Template", "template= is required"),
    (lambda: Cfn("X", stack_name="x", template="../x.yaml"), "Template", "climbs out of the distribution"),
    (lambda: Cfn("X", stack_name="x", config_file="/a/../../x.yaml"), "ConfigFile", "climbs out of the"),
    (lambda: Cfn("X", stack_name="x", template="ftp://h/x.yaml"), "Template", "an https:// or an s3:// URL"),
    (lambda: Cfn("X", stack_name="x", template="/x.yaml", action="Remove"), "Action", "Deploy' or 'Delete'"),
    (lambda: Cfn("X", stack_name="x", template="/x.yaml", on_failure="KEEP"), "OnFailure", "DELETE, ROLLBACK"),
    (lambda: Cfn("X", stack_name=5, template="/x.yaml"), "StackName", "must be a string"),
    (lambda: Runner("X"), "Commands", "commands= is required"),
    (lambda: Runner("X", commands="make"), "Commands", "non-empty list"),
    (lambda: LambdaInvoke("X"), "FunctionName", "function_name= is required"),
    (lambda: Import("X", mapping={"a": "$.a"}), "Source", "distribution= or bucket="),
    (lambda: Import("X", distribution="n", mapping={"a": "a"}), "Mapping", "JSONPath"),
    (lambda: Wait("X"), "Seconds", "exactly one"),
    (lambda: Task("X"), "Resource", "resource="),
    (lambda: Runner("X" * 81, commands=["true"]), "Name", "limit is 80"),
    (lambda: Runner("X", commands=["true"], timeout_seconds=0), "TimeoutSeconds", "positive integer"),
    (lambda: Choice("X", is_true=[Pass("P")]), "Condition", "condition= is required"),
    (lambda: Parallel("X", branches=[]), "Branches", "non-empty"),
    (lambda: Runner("X", commands=["true"], after=["Other"]), "after", "not a step"),
])
def test_steps_are_checked_when_built(build, field, message):
    with pytest.raises(PlanError) as err:
        build()
    assert any(p.field == field and message in p.what for p in err.value.problems), err.value.problems


def test_duplicate_step_names_are_reported():
    a = Runner("Same", commands=["a"])
    b = Runner("Same", commands=["b"], after=[a])
    with pytest.raises(PlanError, match="two steps are named 'Same'"):
        Plan(b).compile()


def test_a_cycle_through_a_choice_is_rejected_naming_the_cycle():
    inner = Runner("Inner", commands=["true"])
    middle = Runner("Middle", commands=["true"], after=[inner])
    gate = Choice("Gate", condition=env.name.equals("dev"), is_true=[inner], after=[middle])

    with pytest.raises(PlanError) as err:
        Plan(gate).compile()

    assert "cycle" in str(err.value)
    assert "Gate -> Middle -> Gate" in str(err.value) or "Middle -> Gate -> Middle" in str(err.value)


def test_a_step_cannot_use_a_step_in_a_sibling_branch():
    a = Runner("A", commands=["true"])
    b = Runner("B", commands=["true"], environment={"X": a.output("x")})
    with pytest.raises(PlanError, match="another branch of 'P'"):
        Plan(Parallel("P", branches=[[a], [b]])).compile()


def test_a_step_can_sit_in_one_place_only():
    a = Runner("A", commands=["true"])
    Parallel("P", branches=[[a]])
    with pytest.raises(PlanError, match="already inside 'P'"):
        Parallel("Q", branches=[[a]])


def test_an_empty_plan_is_an_error():
    with pytest.raises(PlanError, match="no steps"):
        Plan().compile()


def test_a_parallel_has_no_output_of_its_own():
    p = Parallel("P", branches=[[Pass("A")]])
    with pytest.raises(PlanError, match="no output of its own"):
        p.output("x")


def test_output_path_nests_cfn_outputs():
    vpc = Cfn("Vpc", stack_name="vpc", template="/vpc.yaml", output_path="Net")
    assert vpc.output("VpcId").path == "$.output.Vpc.Net.VpcId"
