"""The example platform's plans: one per way of writing a plan, all packaged, the migrations really run."""

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

import attini_sdk as at
from attini_sdk.plan import PlanDefinition

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "platform"


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    out = tmp_path_factory.mktemp("examples")
    return {name: at.Distribution.from_path(EXAMPLES / name).package(out / name, cache=False)
            for name in ("network", "database", "app")}


def test_network_plan_in_simple_syntax_deploys_its_stack_with_per_environment_parameters(artifacts):
    plan = PlanDefinition(artifacts["network"].plan)
    network = plan.definition["States"]["Network"]
    assert plan.state_names() == ["Network"]
    assert network["Resource"] == "attini:cfn" and network["End"] is True
    assert network["Parameters"]["Template"] == "/network.yaml"
    assert network["Parameters"]["Parameters"]["CidrBlock.$"] == "$.stackParameters.CidrBlock"


def test_database_plan_in_python_imports_backs_up_then_migrates(artifacts):
    plan = PlanDefinition(artifacts["database"].plan)
    s = {name: body for name, body in _all_states(plan.definition)}

    assert plan.state_names()[:2] == ["ImportNetwork", "Database"]
    assert s["ImportNetwork"]["Parameters"]["Mapping"] == {"Network_VpcId": "$.output.Network.VpcId"}
    assert s["Database"]["Parameters"]["Parameters"] == {"VpcId.$": "$.output.ImportNetwork.Network_VpcId"}
    assert s["BackupTable"]["Resource"] == "arn:aws:states:::aws-sdk:dynamodb:createBackup"
    assert s["BackupTable"]["Parameters"]["TableName.$"] == "$.output.Database.TableName"
    assert plan.state_names()[-1] == "Migrate"
    sql_database = {"DATABASE_PATH.$": "$.parameters.DatabasePath", "DATABASE_URL.$": "$.parameters.DatabaseUrl"}
    assert s["Migrate"]["Parameters"]["Environment"] == sql_database
    assert s["BackupDatabase"]["Parameters"]["Environment"] == sql_database
    backups = next(body for body in s.values() if body["Type"] == "Parallel")  # side by side, before Migrate
    assert sorted(b["StartAt"] for b in backups["Branches"]) == ["BackupDatabase", "BackupTable"]


def test_app_plan_in_asl_form_approves_only_in_production_and_smoke_tests(artifacts):
    plan = PlanDefinition(artifacts["app"].plan)
    s = dict(_all_states(plan.definition))

    gate = s["IsProduction"]
    assert gate["Choices"] == [{"Variable": "$.deploymentOriginData.environmentType",
                                "StringEquals": "production", "Next": "ApproveRelease"}]
    assert gate["Default"] == "DeployStacks" and s["ApproveRelease"]["Resource"] == "attini:approval"
    assert [b["StartAt"] for b in s["DeployStacks"]["Branches"]] == ["App", "Alerts"]
    assert s["SmokeTest"]["Resource"] == "attini:lambda-invoke"
    assert s["SmokeTest"]["Parameters"]["FunctionName.$"] == "$.output.App.FunctionName"


def test_the_database_runner_commands_migrate_a_sqlite_file(artifacts, tmp_path):
    """Run the BackupDatabase and Migrate steps' commands as a runner would: bash -eo pipefail in a copy.

    DatabaseUrl is empty (its default), so they work on the SQLite file; tests/examples/ runs them on PostgreSQL.
    """
    plan = dict(_all_states(artifacts["database"].plan))
    source = artifacts["database"].extract(tmp_path / "source")
    db = tmp_path / "data" / "items.db"

    for step in ("BackupDatabase", "Migrate", "BackupDatabase", "Migrate"):  # the second round finds a database
        output = tmp_path / f"{step}.out"
        env = {**os.environ, "DATABASE_PATH": str(db), "DATABASE_URL": "", "ATTINI_OUTPUT": str(output),
               "ATTINI_DISTRIBUTION_VERSION": "1.2.0"}
        script = "\n".join(plan[step]["Parameters"]["Commands"])
        done = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=source, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr

    assert output.read_text().strip() == "002"
    assert (tmp_path / "data" / "items.db.before-1.2.0").exists()
    with sqlite3.connect(db) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "items" in tables


def test_cli_shows_a_packaged_plan_as_a_tree_and_as_json(artifacts, capsys):
    from attini_sdk.cli import main

    assert main(["distribution", "plan", str(artifacts["app"].path)]) == 0
    tree = capsys.readouterr().out
    assert "app 0.3.0: 11 steps" in tree
    assert "IsProduction  [Choice]  -> ApproveRelease, DeployStacks" in tree
    assert tree.index("ImportPlatform") < tree.index("SmokeTest")

    assert main(["distribution", "plan", str(artifacts["database"].path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "database" and data["plan_digest"].startswith("sha256:")
    assert "Migrate" in data["plan"]["States"]

    assert main(["distribution", "plan", str(artifacts["network"].path), "--mermaid"]) == 0
    assert capsys.readouterr().out.startswith("flowchart TD")


def test_cli_says_when_an_artifact_has_no_plan(tmp_path, capsys):
    from attini_sdk.cli import main

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    artifact = at.Distribution(name="bare", version="1.0.0", source=tmp_path / "src").package(tmp_path / "out")

    assert main(["distribution", "plan", str(artifact.path)]) == 1
    assert "has no deployment plan" in capsys.readouterr().err


def test_distribution_diff_shows_plan_changes_step_by_step(tmp_path, capsys):
    from attini_sdk.cli import main

    from tests.trees import write_tree

    def build(plan_yaml, out):
        src = write_tree(tmp_path / out / "src", {
            "attini-config.yaml": "distributionName: app\nversion: 1.0.0\nplan: plan.yaml\n",
            "plan.yaml": plan_yaml, "a.yaml": "Resources: {}\n", "b.yaml": "Resources: {}\n"})
        return at.Distribution.from_path(src).package(tmp_path / out / "dist")

    old = build("StartAt: A\nStates:\n  A: {Type: AttiniCfn, Properties: {StackName: a, Template: /a.yaml},"
                " End: true}\n", "old")
    new = build("StartAt: A\nStates:\n  A: {Type: AttiniCfn, Properties: {StackName: a, Template: /b.yaml},"
                " Next: W}\n  W: {Type: Wait, Seconds: 5, End: true}\n", "new")

    frame = old.diff(new)
    steps = frame[frame["kind"] == "plan step"].set_index("name")
    assert steps.loc["A", "change"] == "changed" and steps.loc["A", "new"] == "End, Next, Parameters.Template"
    assert steps.loc["W", "change"] == "added" and steps.loc["W", "new"] == "Wait"

    assert main(["distribution", "diff", str(old.path), str(new.path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["changes"]
    assert {"kind": "plan step", "name": "W", "change": "added", "old": None, "new": "Wait"} in rows


def _all_states(definition):
    from attini_sdk.plan.walk import states

    return [(s.name, s.body) for s in states(definition)]
