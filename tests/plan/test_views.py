"""Looking at a plan: mermaid, dot, a text tree, a DataFrame, and Jupyter's rich display."""

import pandas as pd

from attini_sdk.plan import Cfn, Choice, ManualApproval, Plan, Runner, env
from attini_sdk.plan.definition import PlanDefinition


def sample_plan():
    vpc = Cfn("Vpc", stack_name="vpc", template="/vpc.yaml")
    dns = Cfn("Dns", stack_name="dns", template="/dns.yaml")
    gate = Choice("IsProduction", condition=env.type.equals("production"), is_true=[ManualApproval("Approve")],
                  after=[vpc, dns])
    return Plan(Runner("App", commands=["./deploy.sh"], after=[gate]))


def test_mermaid_shows_every_step_and_the_parallel_as_a_subgraph():
    text = sample_plan().to_mermaid()
    assert text.startswith("flowchart TD")
    for name in ("Vpc", "Dns", "IsProduction", "Approve", "App", "Parallel-1-Merge"):
        assert f'"{name}' in text
    assert 'subgraph s1 ["Parallel-1 (Parallel)"]' in text
    assert "-- yes -->" in text and "-- no -->" in text


def test_dot_is_a_digraph_with_a_cluster_per_parallel():
    text = sample_plan().to_dot()
    assert text.startswith("digraph plan {") and text.rstrip().endswith("}")
    assert "subgraph cluster_" in text
    assert "shape=diamond" in text


def test_steps_dataframe_has_one_row_per_state():
    frame = sample_plan().steps
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns.tolist() == ["name", "type", "depends_on", "resource", "parent"]
    row = frame.set_index("name").loc["App"]
    assert row["type"] == "AttiniRunnerJob"
    assert row["depends_on"] == ["IsProduction"]
    assert row["resource"] == "attini:runner"
    assert frame.set_index("name").loc["Vpc", "parent"] == "Parallel-1"


def test_loaded_plans_get_depends_on_from_the_flow():
    plan = PlanDefinition({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}})
    assert plan.steps.set_index("name").loc["B", "depends_on"] == ["A"]


def test_tree_view_indents_branches():
    tree = sample_plan().compile().tree()
    assert tree.splitlines()[:4] == ["Parallel-1  [Parallel]", "  branch 1", "    Vpc  [AttiniCfn]", "  branch 2"]
    assert "IsProduction  [Choice]  -> Approve, App" in tree


def test_jupyter_shows_a_mermaid_block_and_an_invalid_plan_shows_its_errors():
    assert sample_plan()._repr_markdown_().startswith("```mermaid\nflowchart TD")
    assert "invalid plan" in Plan()._repr_markdown_()


def test_svg_needs_graphviz_and_is_none_without_it(monkeypatch):
    import attini_sdk.plan.definition as definition

    monkeypatch.setattr(definition.shutil, "which", lambda name: None)
    assert sample_plan()._repr_svg_() is None
