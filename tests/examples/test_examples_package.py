"""The example platform: three distributions that package, and whose templates deploy on moto."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import attini_sdk as at

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "platform"


@pytest.fixture
def aws(monkeypatch):
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "eu-north-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


def test_every_example_packages_with_its_dependencies(tmp_path):
    artifacts = {name: at.Distribution.from_path(EXAMPLES / name).package(tmp_path / name, cache=False)
                 for name in ("network", "database", "app")}

    assert {n: a.version for n, a in artifacts.items()} == {"network": "1.0.0", "database": "1.2.0", "app": "0.3.0"}
    database, app = artifacts["database"].config, artifacts["app"].config
    assert [(d.distribution_name, d.version) for d in database.dependencies] == [("network", ">=1.0.0")]
    assert database.dependency("network").accepts(artifacts["network"].version)
    assert artifacts["app"].dependencies == app.dependencies
    assert artifacts["network"].tags == {"layer": "platform", "owner": "platform-team"}
    assert app.dependency("database").accepts(artifacts["database"].version)
    assert "migrations/002_add_item_status.sql" in set(artifacts["database"].files["path"])
    assert not any(p.startswith(".") for p in artifacts["app"].files["path"])
    assert len({a.id for a in artifacts.values()}) == 3


def deploy(cfn, name: str, template: str, parameters: dict[str, str]) -> dict[str, str]:
    cfn.create_stack(StackName=name, TemplateBody=template, Capabilities=["CAPABILITY_NAMED_IAM"],
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def test_templates_deploy_in_dependency_order_with_outputs_flowing(aws, tmp_path):
    import boto3

    cfn = boto3.client("cloudformation")
    files = {name: at.Distribution.from_path(EXAMPLES / name).package(tmp_path / name, cache=False)
             for name in ("network", "database", "app")}

    network = deploy(cfn, "dev-network", files["network"].read_text("network.yaml"),
                     {"AttiniEnvironmentName": "dev", **files["network"].config.init_deploy.parameters
                      .for_environment("dev")})
    database = deploy(cfn, "dev-database", files["database"].read_text("database.yaml"),
                      {"AttiniEnvironmentName": "dev", "VpcId": network["VpcId"]})
    app = deploy(cfn, "dev-app", files["app"].read_text("app.yaml"),
                 {"AttiniEnvironmentName": "dev", "TableName": database["TableName"],
                  "SubnetIds": network["SubnetIds"], "LogLevel": "DEBUG"})

    assert network["VpcId"].startswith("vpc-") and len(network["SubnetIds"].split(",")) == 2
    assert database["TableName"] == "dev-items"
    assert boto3.client("dynamodb").describe_table(TableName="dev-items")["Table"]["TableStatus"] == "ACTIVE"
    ssm = boto3.client("ssm")
    assert ssm.get_parameter(Name=database["SchemaVersionParameter"])["Parameter"]["Value"] == "002"
    assert app["FunctionName"] == "dev-app"
    function = boto3.client("lambda").get_function(FunctionName="dev-app")["Configuration"]
    assert function["Environment"]["Variables"]["TABLE_NAME"] == "dev-items"
    assert '"table": "dev-items"' in ssm.get_parameter(Name=app["ConfigParameterName"])["Parameter"]["Value"]


def test_database_migrations_apply_in_order_to_sqlite(tmp_path):
    db_path = tmp_path / "items.db"
    env = {**os.environ, "DATABASE_PATH": str(db_path)}
    script = EXAMPLES / "database" / "scripts" / "migrate.py"

    first = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, check=True)
    again = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, check=True)

    assert first.stdout.strip() == "002" and "applied 002_add_item_status.sql" in first.stderr
    assert again.stderr == ""  # nothing applied twice
    db = sqlite3.connect(db_path)
    db.execute("INSERT INTO items (id, name) VALUES ('1', 'first')")
    assert db.execute("SELECT status FROM items").fetchone() == ("open",)
    assert [r[0] for r in db.execute("SELECT version FROM schema_version ORDER BY version")] == ["001", "002"]
