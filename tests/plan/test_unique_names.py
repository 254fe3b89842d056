"""State names are unique in a whole plan: the Python API never makes two states with one name.

Step Functions refuses a duplicate anywhere in a state machine (DUPLICATE_STATE_NAME), and a
step's result lands at ``$.output.<Name>``. So the compiler refuses what the user named twice
(naming both places and how to fix it) and gives way with the names it makes up itself.
"""

import collections

import pytest

from attini_sdk.errors import PlanError
from attini_sdk.plan import Choice, Map, Parallel, Pass, Plan, Runner, dependency, env
from attini_sdk.plan.validate import validate_definition

from .asl_walker import occurrences, states_by_name


def refused(plan: Plan) -> str:
    with pytest.raises(PlanError) as err:
        plan.compile()
    return str(err.value)


def all_names(compiled) -> list[str]:
    return list(occurrences(compiled.definition))


def deploy(region: str, name: str | None = None) -> Runner:
    """A step builder, as users write them: one function called once per use."""
    return Runner(name or "Deploy", commands=[f"./deploy.sh {region}"])


def test_the_same_step_in_two_branches_is_refused_naming_both_branches():
    step = deploy("eu")

    message = refused(Plan(Parallel("Regions", branches=[[step], [step]])))

    assert ("step 'Deploy' is used twice, in branch 1 of Parallel 'Regions' and in branch 2 of Parallel "
            "'Regions'") in message
    assert "build a second step with its own name" in message


def test_a_step_builder_called_twice_with_one_name_is_refused_naming_both_places():
    message = refused(Plan(Parallel("Regions", branches=[[deploy("eu")], [deploy("us")]])))

    assert ("two steps are named 'Deploy', in branch 1 of Parallel 'Regions' and in branch 2 of Parallel "
            "'Regions'") in message
    assert "rename one of them" in message


def test_a_step_builder_that_takes_the_name_gives_unique_states():
    regions = Parallel("Regions", branches=[[deploy("eu", "DeployEu")], [deploy("us", "DeployUs")]])

    compiled = Plan(regions).compile()

    assert sorted(all_names(compiled)) == ["DeployEu", "DeployUs", "Regions", "Regions-Merge"]


def test_a_sub_plan_reused_twice_is_refused_and_a_prefixed_one_is_not():
    def stack_pair(prefix: str = "") -> list:
        network = Runner(f"{prefix}Network", commands=["./network.sh"])
        return [network, Runner(f"{prefix}App", commands=["./app.sh"], after=[network])]

    assert "two steps are named 'Network'" in refused(
        Plan(Parallel("Both", branches=[stack_pair(), stack_pair()])))
    shared = stack_pair()
    assert "step 'Network' is used twice" in refused(Plan(Parallel("Both", branches=[shared, shared])))

    compiled = Plan(Parallel("Both", branches=[stack_pair("Blue"), stack_pair("Green")])).compile()
    assert len(all_names(compiled)) == len(set(all_names(compiled))) == 6


def test_one_step_in_both_arms_of_a_choice_is_refused():
    notify = Runner("Notify", commands=["./notify.sh"])
    message = refused(Plan(Choice("IsProd", condition=env.type.equals("production"),
                                  is_true=[notify], is_false=[notify])))
    assert "step 'Notify' is used twice, in is_true of Choice 'IsProd' and in is_false of Choice 'IsProd'" in message


def test_one_step_in_a_branch_and_in_a_catch_handler_is_refused():
    cleanup = Runner("Cleanup", commands=["./cleanup.sh"])
    fan = Parallel("Fan", branches=[[cleanup]], catch=[{"ErrorEquals": ["States.ALL"], "Next": cleanup}])
    assert "in branch 1 of Parallel 'Fan' and in the catch[0] handler of 'Fan'" in refused(Plan(fan))


def test_one_step_in_two_maps_is_refused_when_the_second_map_is_built():
    item = Pass("Item")
    Map("First", items_path="$.a", iterator=[item])
    with pytest.raises(PlanError, match="step 'Item' is already inside 'First'; a step runs in one place only"):
        Map("Second", items_path="$.b", iterator=[item])


def test_generated_names_give_way_to_the_users_names():
    # Each user name below is a name the compiler would otherwise make up for itself.
    gate = Choice("Gate", condition=env.name.equals("dev"), is_true=[Pass("Yes")],
                  after=[Pass("Gate-Done")])                       # the Choice's own end state
    stacks = Parallel("Stacks", branches=[[Pass("A")]])              # followed by Stacks-Merge
    users = [Pass("Parallel-1"), Pass("Stacks-Merge", after=[stacks]), Pass("Parallel-2-Merge")]

    compiled = Plan(gate, *users).compile()

    names = all_names(compiled)
    assert len(names) == len(set(names)), collections.Counter(names).most_common(3)
    for user_name in ("Gate-Done", "Parallel-1", "Stacks-Merge", "Parallel-2-Merge"):
        assert states_by_name(compiled.definition)[user_name]["Type"] == "Pass"  # never replaced
    assert {"Gate-Done-2", "Stacks-Merge-2"} <= set(names)
    assert validate_definition(compiled.definition) == []


def test_a_step_named_like_a_generated_import_is_refused():
    use = Runner("ImportNetwork", commands=["env"], environment={"VPC": dependency("network").output("Vpc.VpcId")})
    message = refused(Plan(use))
    assert ("two steps are named 'ImportNetwork', at the top level and as the Import step generated for "
            "dependency('network')") in message
    assert "rename your step" in message
