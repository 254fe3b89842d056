"""Invalid plans: each is refused with a PlanError naming file, state and field; all problems at once."""

import copy

import pytest

from attini_sdk.errors import PlanError
from attini_sdk.plan import plan_from_definition, validate_definition


def cfn(**extra):
    return {"Type": "Task", "Resource": "attini:cfn",
            "Parameters": {"StackName": "s", "Template": "/s.yaml"}, "End": True, **extra}


def one(state, name="S"):
    return {"StartAt": name, "States": {name: state}}


def two(first, second=None):
    return {"StartAt": "A", "States": {"A": {**first, "Next": "B"} if "End" not in first else first,
                                       "B": second or {"Type": "Succeed"}}}


def choice(rule):
    return {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [rule], "Default": "D"},
                                       "D": {"Type": "Succeed"}}}


def jsonata(states, start=None):
    """A state machine whose top-level QueryLanguage is JSONata."""
    return {"QueryLanguage": "JSONata", "StartAt": start or next(iter(states)), "States": states}


def processor(name="I"):
    return {"StartAt": name, "States": {name: {"Type": "Succeed"}}}


def with_params(**params):
    return one({"Type": "Task", "Resource": "attini:cfn", "End": True,
                "Parameters": {"StackName": "s", "Template": "/s.yaml", **params}})


CASES = [
    # (id, definition, state, field, words in the message)
    ("not an object", [1, 2], None, "DeploymentPlan", "each step"),
    ("unknown top-level field", {**one({"Type": "Succeed"}), "Startat": "S"}, None, "Startat", "did you mean 'StartAt'"),
    ("StartAt missing state", {"StartAt": "X", "States": {"S": {"Type": "Succeed"}}}, None, "StartAt", "'X' is not a state"),
    ("no StartAt", {"States": {"S": {"Type": "Succeed"}}}, None, "StartAt", "must name the first state"),
    ("empty States", {"StartAt": "S", "States": {}}, None, "States", "at least one state"),
    ("bad TimeoutSeconds", {**one({"Type": "Succeed"}), "TimeoutSeconds": -1}, None, "TimeoutSeconds", "positive"),
    ("bad QueryLanguage", {**one({"Type": "Succeed"}), "QueryLanguage": "SQL"}, None, "QueryLanguage", "JSONPath or JSONata"),
    ("unknown type", one({"Type": "Sleep", "End": True}), "S", "Type", "unknown state Type"),
    ("unknown Attini type", one({"Type": "AttiniCfnn", "End": True}), "S", "Type", "AttiniCfnn"),
    ("missing Next and End", one({"Type": "Pass"}), "S", "Next", "exactly one of Next or End"),
    ("both Next and End", one({"Type": "Pass", "Next": "S", "End": True}), "S", "Next", "both Next and End"),
    ("End false", one({"Type": "Pass", "End": False}), "S", "End", "End must be true"),
    ("Next to nowhere", {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nope"}, "B": {"Type": "Succeed"}}},
     "A", "Next", "'Nope' is not a state"),
    ("unreachable state", {"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}}},
     "B", None, "never reached"),
    ("no terminal state", {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}}, "A", None,
     "no reachable state ends"),
    ("state name too long", one({"Type": "Succeed"}, name="X" * 81), "X" * 81, None, "limit is 80"),
    ("unknown field", one({"Type": "Pass", "End": True, "Resutl": {}}), "S", "Resutl", "did you mean 'Result'"),
    ("Succeed with Next", two({"Type": "Succeed", "End": True}), "A", "End", "Succeed states have no field"),
    ("Fail with Error and ErrorPath", one({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}), "S", "Error", "not both"),
    ("Wait with nothing", one({"Type": "Wait", "End": True}), "S", "Seconds", "exactly one of Seconds"),
    ("Wait negative", one({"Type": "Wait", "Seconds": -5, "End": True}), "S", "Seconds", "non-negative"),
    ("Wait bad timestamp", one({"Type": "Wait", "Timestamp": "tomorrow", "End": True}), "S", "Timestamp", "RFC 3339"),
    ("Task without Resource", one({"Type": "Task", "End": True}), "S", "Resource", "needs a Resource"),
    ("Task bad Resource", one({"Type": "Task", "Resource": "lambda", "End": True}), "S", "Resource", "not a URI"),
    ("heartbeat above timeout", one({"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True,
                                     "TimeoutSeconds": 10, "HeartbeatSeconds": 20}), "S", "HeartbeatSeconds", "less than"),
    ("InputPath not a path", one({"Type": "Pass", "End": True, "InputPath": "input"}), "S", "InputPath", "must start with '$'"),
    ("ResultPath with wildcard", one({"Type": "Pass", "End": True, "ResultPath": "$.a[*]"}), "S", "ResultPath",
     "reference path"),
    ("ResultPath with context object", one({"Type": "Pass", "End": True, "ResultPath": "$$.Execution"}), "S",
     "ResultPath", "context object"),
    ("unclosed bracket", one({"Type": "Pass", "End": True, "OutputPath": "$.a['b'"}), "S", "OutputPath", "never closed"),
    (".$ value not a path", one({"Type": "Pass", "End": True, "Parameters": {"x.$": "output.a"}}), "S",
     "Parameters.x.$", "neither a path"),
    (".$ value not a string", one({"Type": "Pass", "End": True, "Parameters": {"x.$": 5}}), "S", "Parameters.x.$",
     "needs a path or intrinsic"),
    ("unknown intrinsic", one({"Type": "Pass", "End": True, "Parameters": {"x.$": "States.Fromat('a')"}}), "S",
     "Parameters.x.$", "unknown intrinsic function 'States.Fromat'"),
    ("intrinsic arity", one({"Type": "Pass", "End": True, "Parameters": {"x.$": "States.ArrayGetItem($.a)"}}), "S",
     "Parameters.x.$", "takes 2 arguments, got 1"),
    ("format holes", one({"Type": "Pass", "End": True, "Parameters": {"x.$": "States.Format('{}{}', $.a)"}}), "S",
     "Parameters.x.$", "2 '{}' but 1 values"),
    ("intrinsic unbalanced", one({"Type": "Pass", "End": True, "Parameters": {"x.$": "States.UUID("}}), "S",
     "Parameters.x.$", "argument is missing"),
    ("nested bad path", one({"Type": "Pass", "End": True, "Parameters": {"a": {"b": [{"c.$": "$.x["}]}}}), "S",
     "Parameters.a.b[0].c.$", "never closed"),
    ("Choice without Choices", {"StartAt": "C", "States": {"C": {"Type": "Choice", "Default": "D"},
                                                           "D": {"Type": "Succeed"}}}, "C", "Choices", "non-empty"),
    ("Choice rule without Next", {"StartAt": "C", "States": {"C": {"Type": "Choice", "Default": "D",
                                  "Choices": [{"Variable": "$.a", "IsPresent": True}]}, "D": {"Type": "Succeed"}}},
     "C", "Choices[0].Next", "needs Next"),
    ("Choice two comparisons", choice({"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1, "Next": "D"}),
     "C", "Choices[0]", "exactly one comparison"),
    ("Choice wrong value type", choice({"Variable": "$.a", "NumericEquals": "1", "Next": "D"}), "C",
     "Choices[0].NumericEquals", "needs a number"),
    ("Choice unknown operator", choice({"Variable": "$.a", "StringEqual": "x", "Next": "D"}), "C",
     "Choices[0].StringEqual", "did you mean 'StringEquals'"),
    ("Choice nested Next", choice({"And": [{"Variable": "$.a", "IsNull": True, "Next": "D"}], "Next": "D"}), "C",
     "Choices[0].And[0].Next", "only top-level"),
    ("Choice empty And", choice({"And": [], "Next": "D"}), "C", "Choices[0].And", "non-empty list"),
    ("Choice bad Variable", choice({"Variable": "a", "IsNull": True, "Next": "D"}), "C", "Choices[0].Variable",
     "must start with '$'"),
    ("Choice bad Default", {"StartAt": "C", "States": {"C": {"Type": "Choice", "Default": "Gone",
                            "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "D"}]}, "D": {"Type": "Succeed"}}},
     "C", "Default", "'Gone' is not a state"),
    ("Retry without ErrorEquals", one(cfn(Retry=[{"MaxAttempts": 2}])), "S", "Retry[0].ErrorEquals", "non-empty list"),
    ("Retry bad BackoffRate", one(cfn(Retry=[{"ErrorEquals": ["E"], "BackoffRate": 0.5}])), "S",
     "Retry[0].BackoffRate", ">= 1.0"),
    ("Retry unknown field", one(cfn(Retry=[{"ErrorEquals": ["E"], "MaxAttempt": 2}])), "S", "Retry[0].MaxAttempt",
     "did you mean 'MaxAttempts'"),
    ("States.ALL not last", one(cfn(Retry=[{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}])), "S",
     "Retry[0].ErrorEquals", "must be the last"),
    ("States.ALL not alone", one(cfn(Retry=[{"ErrorEquals": ["States.ALL", "E"]}])), "S", "Retry[0].ErrorEquals",
     "alone"),
    ("unknown States error", one(cfn(Retry=[{"ErrorEquals": ["States.Timout"]}])), "S", "Retry[0].ErrorEquals",
     "did you mean 'States.Timeout'"),
    ("JitterStrategy", one(cfn(Retry=[{"ErrorEquals": ["E"], "JitterStrategy": "SOME"}])), "S",
     "Retry[0].JitterStrategy", "FULL or NONE"),
    ("Catch to nowhere", one(cfn(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Gone"}])), "S", "Catch[0].Next",
     "'Gone' is not a state"),
    ("Catch bad ResultPath", two(cfn(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "B", "ResultPath": "$..e"}])),
     "A", "Catch[0].ResultPath", "found '..e'"),
    ("Parallel without branches", one({"Type": "Parallel", "End": True}), "S", "Branches", "non-empty"),
    ("Parallel branch Next leaves branch", {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "Z",
     "Branches": [{"StartAt": "In", "States": {"In": {"Type": "Pass", "Next": "Z"}}}]}, "Z": {"Type": "Succeed"}}},
     "In", "Next", "'Z' is not a state"),
    ("duplicate name across branches", {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "A",
     "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}]}, "A": {"Type": "Succeed"}}},
     "A", None, "DUPLICATE_STATE_NAME: state name 'A' is used twice, in branch 1 of Parallel 'P' and at the top level"),
    ("duplicate name in two branches", {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True,
     "Branches": [processor("Deploy"), processor("Deploy")]}}},
     "Deploy", None, "used twice, in branch 1 of Parallel 'P' and in branch 2 of Parallel 'P'"),
    ("duplicate name in a Map's item processor", {"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemProcessor": processor("Done"), "Next": "Done"}, "Done": {"Type": "Succeed"}}},
     "Done", None, "used twice, in the item processor of Map 'Each' and at the top level"),
    ("duplicate name in nested branches", {"StartAt": "Outer", "States": {"Outer": {"Type": "Parallel", "End": True,
     "Branches": [{"StartAt": "Inner", "States": {"Inner": {"Type": "Parallel", "End": True,
                                                          "Branches": [processor("X")]}}}, processor("X")]}}},
     "X", None, "in branch 1 of Parallel 'Inner' and in branch 2 of Parallel 'Outer'"),
    ("Map without processor", one({"Type": "Map", "End": True}), "S", "ItemProcessor", "exactly one"),
    ("Map bad MaxConcurrency", one({"Type": "Map", "End": True, "MaxConcurrency": -1, "ItemProcessor": {
        "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}), "S", "MaxConcurrency", "non-negative"),
    ("JSONata state with Parameters", one({"Type": "Pass", "End": True, "QueryLanguage": "JSONata",
                                          "Parameters": {}}), "S", "Parameters", "JSONPath field"),
    ("JSONata bad expression", one({"Type": "Pass", "End": True, "QueryLanguage": "JSONata",
                                    "Output": "{% $states.input. %}"}), "S", "Output", "bad JSONata"),
    ("Arguments in JSONPath", one({"Type": "Pass", "End": True, "Arguments": {}}), "S", "Arguments", "needs QueryLanguage"),
    ("JSONPath state in a JSONata machine", jsonata({"S": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}),
     "S", "QueryLanguage", "SCHEMA_VALIDATION_FAILED: QueryLanguage JSONPath is not allowed"),
    ("JSONPath field in a JSONata machine", jsonata({"S": {"Type": "Pass", "InputPath": "$.a", "End": True}}),
     "S", "InputPath", "the state machine's QueryLanguage is JSONata"),
    ("JSONPath branch in a JSONata machine", jsonata({"P": {"Type": "Parallel", "End": True, "Branches": [
        {**processor("B"), "QueryLanguage": "JSONPath"}]}}), "P", "Branches[0].QueryLanguage", "is not allowed"),
    ("JSONPath item processor in a JSONata machine", jsonata({"M": {"Type": "Map", "End": True, "ItemProcessor": {
        **processor(), "QueryLanguage": "JSONPath"}}}), "M", "ItemProcessor.QueryLanguage", "is not allowed"),
    ("$states.result in a Pass Output", jsonata({"S": {"Type": "Pass", "Output": {"v": "{% $states.result %}"},
                                                      "End": True}}),
     "S", "Output.v", "$states.result is not accessible in Output.v: a Pass state has no result"),
    ("$states.result in a Pass Assign (per state)", one({"Type": "Pass", "QueryLanguage": "JSONata", "End": True,
                                                         "Assign": {"x": "{% $states.result.x %}"}}),
     "S", "Assign.x", "a Pass state has no result"),
    ("$states.result in a Choice Condition", jsonata({"C": {"Type": "Choice", "Default": "D", "Choices": [
        {"Condition": "{% $states.result %}", "Next": "D"}]}, "D": {"Type": "Succeed"}}),
     "C", "Choices[0].Condition", "a Choice state has no result"),
    ("$states.result in a Choice Output", jsonata({"C": {"Type": "Choice", "Default": "D", "Output": "{% $states.result %}",
                                                        "Choices": [{"Condition": "{% true %}", "Next": "D"}]},
                                                  "D": {"Type": "Succeed"}}),
     "C", "Output", "a Choice state has no result"),
    ("$states.result in a Wait", jsonata({"W": {"Type": "Wait", "Seconds": "{% $states.result %}", "End": True}}),
     "W", "Seconds", "a Wait state has no result"),
    ("$states.result in a Succeed", jsonata({"S": {"Type": "Succeed", "Output": "{% $states.result %}"}}),
     "S", "Output", "a Succeed state has no result"),
    ("$states.result in a Fail", jsonata({"F": {"Type": "Fail", "Cause": "{% $string($states.result) %}"}}),
     "F", "Cause", "a Fail state has no result"),
    ("$states.result in Task Arguments", jsonata({"T": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                                                       "Arguments": {"Message": "{% $states.result %}"}, "End": True}}),
     "T", "Arguments.Message", "Arguments is evaluated before the Task has a result"),
    ("$states.result in a Task TimeoutSeconds", jsonata({"T": {
        "Type": "Task", "Resource": "arn:aws:states:::sns:publish", "TimeoutSeconds": "{% $states.result %}",
        "End": True}}), "T", "TimeoutSeconds", "evaluated before the Task has a result"),
    ("$states.result in Map Items", jsonata({"M": {"Type": "Map", "Items": "{% $states.result %}", "End": True,
                                                   "ItemProcessor": processor()}}),
     "M", "Items", "Items is evaluated before the Map has a result"),
    ("$states.result in Map ItemSelector", jsonata({"M": {"Type": "Map", "End": True, "ItemProcessor": processor(),
                                                          "ItemSelector": {"v": "{% $states.result %}"}}}),
     "M", "ItemSelector.v", "before the Map has a result"),
    ("$states.result in Parallel Arguments", jsonata({"P": {"Type": "Parallel", "End": True, "Branches": [processor()],
                                                            "Arguments": "{% $states.result %}"}}),
     "P", "Arguments", "before the Parallel has a result"),
    ("$states.result in a Catch", jsonata({"T": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True,
                                                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H",
                                                            "Output": "{% $states.result %}"}]},
                                           "H": {"Type": "Succeed"}}),
     "T", "Catch[0].Output", "a Catch has no result; it reads the error as $states.errorOutput"),
    ("$states.errorOutput in a Task Output", jsonata({"T": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                                                           "Output": "{% $states.errorOutput %}", "End": True}}),
     "T", "Output", "$states.errorOutput is not accessible in Output; it exists only in the Output and Assign of a Catch"),
    ("$states.errorOutput in a Pass", jsonata({"S": {"Type": "Pass", "Assign": {"e": "{% $states.errorOutput %}"},
                                                    "End": True}}),
     "S", "Assign.e", "only in the Output and Assign of a Catch"),
    ("$states.errorOutput in a Choice rule", jsonata({"C": {"Type": "Choice", "Default": "D", "Choices": [
        {"Condition": "{% true %}", "Assign": {"e": "{% $states.errorOutput %}"}, "Next": "D"}]},
        "D": {"Type": "Succeed"}}), "C", "Choices[0].Assign.e", "only in the Output and Assign of a Catch"),
    ("unknown attini resource", one({"Type": "Task", "Resource": "attini:cfm", "End": True}), "S", "Resource",
     "did you mean 'attini:cfn'"),
    ("Cfn missing StackName", one({"Type": "Task", "Resource": "attini:cfn", "End": True,
                                   "Parameters": {"Template": "/s.yaml"}}), "S", "Parameters", "needs StackName"),
    ("Cfn unknown property", with_params(Tags={"a": "b"}), "S", "Parameters.Tags", "has no property 'Tags'"),
    ("Cfn template out of the distribution", with_params(Template="../s.yaml"), "S", "Parameters.Template",
     "climbs out of the distribution"),
    ("Cfn config file out of the distribution", with_params(ConfigFile="/cfg/../../s.yaml"), "S",
     "Parameters.ConfigFile", "climbs out of the distribution"),
    ("Cfn bad Action", with_params(Action="Destroy"), "S", "Parameters.Action", "Deploy, Delete"),
    ("Cfn bad OnFailure", with_params(OnFailure="KEEP"), "S", "Parameters.OnFailure", "DELETE, ROLLBACK"),
    ("Runner without Commands", one({"Type": "Task", "Resource": "attini:runner", "End": True}), "S", "Parameters",
     "needs Commands"),
    ("Runner Commands a string", one({"Type": "Task", "Resource": "attini:runner", "End": True,
                                      "Parameters": {"Commands": "make"}}), "S", "Parameters.Commands", "list of strings"),
    ("Lambda without FunctionName", one({"Type": "Task", "Resource": "attini:lambda-invoke", "End": True,
                                         "Parameters": {"Payload": {}}}), "S", "Parameters", "needs FunctionName"),
    ("Import bad SourceType", one({"Type": "Task", "Resource": "attini:import", "End": True, "Parameters": {
        "SourceType": "Git", "Source": {"Name": "n"}, "Mapping": {"a": "$.a"}}}), "S", "Parameters.SourceType",
     "Distribution, S3"),
    ("Import bad mapping path", one({"Type": "Task", "Resource": "attini:import", "End": True, "Parameters": {
        "SourceType": "Distribution", "Source": {"Name": "n"}, "Mapping": {"a": "output.a"}}}), "S",
     "Parameters.Mapping.a", "must start with '$'"),
    ("output of a step that does not exist", [
        {"Name": "Network", "Type": "AttiniCfn", "Properties": {"StackName": "n", "Template": "/n.yaml"}},
        {"Name": "Use", "Type": "AttiniRunnerJob", "Properties": {
            "Commands": ["true"], "Environment": {"VPC.$": "$.output.Netwrok.VpcId"}}}],
     "Use", "Parameters.Environment.VPC.$", "did you mean 'Network'"),
    ("simple syntax step without Name", [{"Type": "Pass"}], None, "DeploymentPlan.Name", "has no Name"),
    ("simple syntax step without Type", [{"Name": "A"}], "A", "Type", "no Type"),
    ("simple syntax Choice without Condition", [{"Name": "C", "Type": "Choice", "IsTrue": [{"Name": "A", "Type": "Pass"}]}],
     "C", "Condition", "needs a Condition"),
    ("simple syntax step named like Attini's merge", [
        {"Name": "Fan", "Type": "Parallel", "Branches": [[{"Name": "A", "Type": "Pass"}]]},
        {"Name": "Next", "Type": "Pass"}, {"Name": "Fan-Merge", "Type": "Pass"}], "Fan-Merge", "Name",
     "Attini adds a state named 'Fan-Merge' after Parallel 'Fan'"),
    ("simple syntax duplicate names", [{"Name": "A", "Type": "Pass"}, {"Name": "A", "Type": "Pass"}], "A", "Name",
     "two steps are named"),
]


@pytest.mark.parametrize("definition, state, field, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_plan_is_refused_naming_file_state_and_field(definition, state, field, words):
    with pytest.raises(PlanError) as err:
        plan_from_definition(copy.deepcopy(definition), source="plan.yaml")

    problems = err.value.problems
    assert any(p.state == state and p.field == field and words in p.what for p in problems), \
        "\n".join(map(repr, problems))
    assert all(p.file == "plan.yaml" for p in problems)
    assert "plan.yaml" in str(err.value)


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


def test_every_problem_is_listed_at_once():
    definition = {"StartAt": "Deploy", "States": {
        "Deploy": {"Type": "Task", "Resource": "attini:cfn", "Parameters": {"StackName": "app"}, "Next": "Wiat"},
        "Wait": {"Type": "Wait", "Seconds": -1, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringEquals": 1, "Next": "Done"}]},
        "Done": {"Type": "Succeed", "End": True},
    }}
    problems = validate_definition(definition, file="plan.json")
    located = {(p.state, p.field) for p in problems}
    assert {("Deploy", "Next"), ("Deploy", "Parameters"), ("Wait", "Seconds"), ("Check", "Choices[0].StringEquals"),
            ("Done", "End"), ("Wait", None)} <= located
    assert len(problems) >= 6


def test_files_and_dependencies_are_checked_when_given():
    definition = {"StartAt": "Import", "States": {
        "Import": {"Type": "Task", "Resource": "attini:import", "Next": "Db", "Parameters": {
            "SourceType": "Distribution", "Source": {"Name": "network"}, "Mapping": {"VpcId": "$.output.Vpc.VpcId"}}},
        "Db": {"Type": "Task", "Resource": "attini:cfn", "End": True, "Parameters": {
            "StackName": "db", "Template": "/database/db.yaml", "ConfigFile": "/config/db-${Env}.yaml"}},
    }}
    assert validate_definition(definition) == []

    problems = validate_definition(definition, file="p.yaml", files=["database/other.yaml"], dependencies=["dns"])

    messages = {(p.state, p.field): p.what for p in problems}
    assert "not a declared dependency (declared: dns)" in messages[("Import", "Parameters.Source.Name")]
    assert "'/database/db.yaml' is not in the distribution" in messages[("Db", "Parameters.Template")]
    assert ("Db", "Parameters.ConfigFile") not in messages  # ${Env} is filled in at deploy time


def test_a_valid_plan_with_every_state_type_passes():
    definition = {"StartAt": "P", "TimeoutSeconds": 3600, "Version": "1.0", "States": {
        "P": {"Type": "Pass", "Parameters": {"a.$": "States.Array($.x, 'y', States.UUID())"}, "ResultPath": "$.p",
              "Next": "W"},
        "W": {"Type": "Wait", "SecondsPath": "$.p.wait", "Next": "T"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "TimeoutSecondsPath": "$.t",
              "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 2, "BackoffRate": 1.5,
                         "MaxDelaySeconds": 10, "JitterStrategy": "FULL"}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": "$.error"}], "Next": "M"},
        "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "ItemSelector": {"v.$": "$$.Map.Item.Value"},
              "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "I",
                                "States": {"I": {"Type": "Pass", "End": True}}}, "Next": "Par"},
        "Par": {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}], "Next": "C"},
        "C": {"Type": "Choice", "Choices": [
            {"And": [{"Variable": "$.a", "IsPresent": True}, {"Not": {"Variable": "$.a", "StringMatches": "x*"}}],
             "Next": "J"},
            {"Variable": "$.t", "TimestampLessThanPath": "$.u", "Next": "J"}], "Default": "F"},
        "J": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.a & 'x' %}", "Next": "S"},
        "S": {"Type": "Succeed"},
        "F": {"Type": "Fail", "Error": "Boom", "CausePath": "States.Format('bad {}', $.error.Cause)"},
    }}
    assert validate_definition(definition) == []


def test_states_result_and_error_output_pass_where_they_exist():
    definition = jsonata({
        "T": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Arguments": {"Message": "{% $states.input.m %}"},
              "Output": "{% $states.result.MessageId %}", "Assign": {"id": "{% $states.result.MessageId %}"},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "M", "Output": "{% $states.errorOutput %}",
                         "Assign": {"failed": "{% $states.errorOutput.Error %}", "was": "{% $states.input %}"}}],
              "Next": "M"},
        "M": {"Type": "Map", "Items": "{% [1, 2] %}", "ItemSelector": {"i": "{% $states.context.Map.Item.Value %}"},
              "ItemProcessor": processor(), "Output": "{% $count($states.result) %}", "Next": "P"},
        "P": {"Type": "Pass", "Output": {"n": "{% $states.input %}", "text": "'$states.result' is only text here"},
              "End": True}})
    assert validate_definition(definition) == []


def test_jsonpath_states_keep_working_in_a_jsonpath_machine_that_opts_one_state_into_jsonata():
    definition = {"StartAt": "Old", "States": {
        "Old": {"Type": "Pass", "Parameters": {"a.$": "$.a"}, "Next": "New"},
        "New": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.a %}", "End": True}}}
    assert validate_definition(definition) == []


def test_branch_states_default_to_the_machines_query_language_not_the_parallels():
    # The spec: states in a branch or item processor use the state machine's QueryLanguage unless they set
    # their own; a JSONata Parallel or Map in a JSONPath machine does not make its branches JSONata.
    jsonpath_branch = {"StartAt": "B", "States": {"B": {"Type": "Pass", "Parameters": {"a.$": "$.x"}, "End": True}}}
    jsonata_branch = {"StartAt": "B", "States": {"B": {"Type": "Pass", "Output": "{% $states.input %}", "End": True}}}
    parallel = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "QueryLanguage": "JSONata",
                                                "Branches": [jsonpath_branch], "End": True}}}
    mapped = {"StartAt": "M", "States": {"M": {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% [1] %}",
                                              "ItemProcessor": jsonpath_branch, "End": True}}}
    in_jsonpath_machine = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "QueryLanguage": "JSONata",
                                                           "Branches": [jsonata_branch], "End": True}}}

    assert validate_definition(parallel) == []
    assert validate_definition(mapped) == []
    problems = validate_definition(in_jsonpath_machine)
    assert [(p.state, p.field) for p in problems] == [("B", "Output")]
    assert "needs QueryLanguage JSONata" in problems[0].what
