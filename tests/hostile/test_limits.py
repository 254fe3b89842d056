"""The limits themselves: duplicate YAML keys name both lines (issue 13), and each guard refuses what it
should and lets ordinary input through."""

from __future__ import annotations

import pytest

from attini_sdk.cli import main
from attini_sdk.config import limits
from attini_sdk.config.load import load_config
from attini_sdk.errors import ConfigError, PlanError
from attini_sdk.plan.cfn_yaml import load_yaml
from attini_sdk.plan.loaders import plan_from_definition
from tests.hostile.corpus import run_case, summary, CASES


def test_a_key_given_twice_in_attini_config_is_an_error_naming_both_lines(tmp_path):
    (tmp_path / "attini-config.yaml").write_text("distributionName: network\nversion: 1.0.0\n"
                                                 "distributionName: database\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert err.value.where == str(tmp_path / "attini-config.yaml")
    assert "key 'distributionName' appears twice in one mapping (lines 1 and 3)" in err.value.what


def test_a_nested_duplicate_key_is_found_too_and_the_cli_exits_1(tmp_path, capsys):
    (tmp_path / "attini-config.yaml").write_text(
        "distributionName: network\ninitDeployConfig:\n  parameters:\n    default:\n      Size: small\n"
        "      Size: large\n")
    assert main(["config", "show", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "key 'Size' appears twice in one mapping (lines 5 and 6)" in err
    assert "attini-config.yaml" in err and "Traceback" not in err


def test_plans_name_both_lines_of_a_duplicate_key():
    with pytest.raises(PlanError, match=r"key 'Type' appears twice in one mapping \(lines 3 and 4\)"):
        load_yaml("StartAt: A\nStates:\n  A: {Type: Pass,\n      Type: Succeed}\n", file="plan.yaml")


def test_merge_keys_and_equal_keys_in_different_mappings_are_not_duplicates():
    assert load_yaml("a: &x {k: 1}\nb:\n  <<: *x\n  j: 2\nc: {k: 3}\n")["c"] == {"k": 3}


@pytest.mark.parametrize("pattern, safe", [
    (r"^[a-z0-9-]+$", True), (r"\d+(\.\d+)?", True), (r"(?:ab|cd)", True), (r"a{2,5}", True),
    (r"^(a+)+$", False), (r"(a|aa)*", False), (r"(x*)*y", False), (r"((ab)*)+", False), ("a" * 1001, False),
])
def test_regular_expressions_that_can_backtrack_catastrophically_are_refused(pattern, safe):
    if safe:
        limits.check_regex(pattern)
    else:
        with pytest.raises(limits.LimitExceeded):
            limits.check_regex(pattern)


@pytest.mark.parametrize("pattern, safe", [
    ("**/node_modules/**", True), ("*.py[cod]", True), ("build/", True),
    ("*/" * 17, False), ("a*" * 17, False), ("x" * 1025, False),
])
def test_ignore_patterns_are_limited_in_length_and_wildcards(pattern, safe):
    if safe:
        limits.check_ignore_pattern(pattern)
    else:
        with pytest.raises(limits.LimitExceeded):
            limits.check_ignore_pattern(pattern)


def _nested(depth: int) -> dict:
    inner = {"StartAt": "L", "States": {"L": {"Type": "Pass", "End": True}}}
    for i in range(depth):
        inner = {"StartAt": f"P{i}", "States": {f"P{i}": {"Type": "Parallel", "Branches": [inner], "End": True}}}
    return inner


def test_parallel_nesting_within_the_limit_compiles_and_beyond_it_names_the_state(monkeypatch):
    monkeypatch.setattr(limits, "MAX_DEPTH", 1000)  # let the state-nesting limit speak first
    plan_from_definition(_nested(limits.MAX_STATE_NESTING))
    with pytest.raises(PlanError, match=r"state 'P\d+' nests Parallel and Map states 21 deep, over the limit of 20"):
        plan_from_definition(_nested(limits.MAX_STATE_NESTING + 1))


def test_a_sample_of_the_corpus_prints_its_summary_line_with_no_crash(tmp_path):
    outcomes = [run_case(c, tmp_path / f"case-{i}") for i, c in enumerate(CASES[::12])]
    line = summary(outcomes)
    assert line.startswith(f"hostile corpus: tried {len(outcomes)}, rejected ")
    assert line.endswith(", crashed 0, written outside 0"), [o for o in outcomes if o.verdict == "crashed"]
