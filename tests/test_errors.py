"""Errors say what, where and what to do."""

from attini_sdk.errors import AttiniError, ConfigError, PlanError, Problem


def test_error_renders_where_what_and_hint():
    err = ConfigError("version must be semver", where="a/attini-config.yaml: version", hint="use 1.0.0")
    assert str(err) == "a/attini-config.yaml: version: version must be semver\n  hint: use 1.0.0"
    assert isinstance(err, AttiniError)
    assert err.to_dict() == {
        "error": "ConfigError",
        "what": "version must be semver",
        "where": "a/attini-config.yaml: version",
        "hint": "use 1.0.0",
    }


def test_plan_error_lists_every_problem_with_its_location():
    err = PlanError([
        Problem("StartAt 'A' is not a state", file="plan.json", field="StartAt"),
        Problem("Next 'C' does not exist", file="plan.json", state="B", field="Next"),
        Problem("plan is empty"),
    ])
    text = str(err)
    assert "3 problems" in text
    assert "plan.json: field 'StartAt': StartAt 'A' is not a state" in text
    assert "plan.json: state 'B', field 'Next': Next 'C' does not exist" in text
    assert "  - plan is empty" in text
    assert len(err.to_dict()["problems"]) == 3
