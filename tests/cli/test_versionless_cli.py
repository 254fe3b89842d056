"""The CLI with a distribution that has no version: ``-`` in tables, ``null`` in JSON, never "None"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest


def hello(root: Path, *, text: str = "hi") -> Path:
    """A distribution folder without a version; ``text`` changes its content (and so its id)."""
    folder = root / "hello"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "attini-config.yaml").write_text("distributionName: hello\nplan: deployment_plan.py\n")
    (folder / "deployment_plan.py").write_text(
        "from attini_sdk.plan import Plan, Runner\n"
        f"plan = Plan(Runner('Greet', commands=['echo {text} > \"$ATTINI_OUTPUT\"']))\n")
    return folder


@pytest.fixture
def dev(attini):
    assert attini("environment", "create", "dev", "--env-type", "test").code == 0
    return "dev"


def test_package_says_name_and_id_without_a_version(attini, tmp_path):
    shown = attini("distribution", "package", hello(tmp_path))
    data = attini("distribution", "package", hello(tmp_path), "--json").json()

    assert shown.code == 0 and "Packaged hello: " in shown.out and "None" not in shown.out
    assert data["version"] is None
    assert attini("distribution", "inspect", data["path"]).out.startswith("hello  (verified)")


def test_deploy_history_and_inventory_show_a_dash(attini, tmp_path, dev):
    deployed = attini("deploy", "run", hello(tmp_path), "-e", "dev")
    history = attini("deploy", "history", "-e", "dev")
    inventory = attini("inventory", "-e", "dev")
    as_json = attini("deploy", "history", "-e", "dev", "--json").json()

    assert deployed.code == 0, deployed.err
    assert "Packaged hello (sha256:" in deployed.out and "hello → dev: revision 1" in deployed.out
    assert "None" not in deployed.out + history.out + inventory.out
    assert re.search(r"\bhello\s+-\s+[0-9a-f]{12}\b", history.out)  # distribution, version, short id
    assert re.search(r"\bhello\s+-\s+1\b", inventory.out)  # distribution, version, revision
    assert as_json[0]["version"] is None


def test_version_option_on_deploy_run_sets_one(attini, tmp_path, dev):
    data = attini("deploy", "run", hello(tmp_path), "-e", "dev", "-v", "1.4.0", "--json").json()
    zipped = attini("distribution", "package", hello(tmp_path), "--json").json()["path"]
    refused = attini("deploy", "run", zipped, "-e", "dev", "--distribution-version", "1.5.0")

    assert data["version"] == "1.4.0"
    assert refused.code == 1 and "already packaged" in refused.err


def test_production_question_shows_a_dash_for_the_missing_versions(attini, tmp_path):
    attini("environment", "create", "prod")
    assert attini("deploy", "run", hello(tmp_path), "-e", "prod", "-f").code == 0

    asked = attini("deploy", "run", hello(tmp_path, text="hello"), "-e", "prod", stdin="n\n")

    assert asked.code == 1
    assert "current: version -" in asked.err and "new:     version -" in asked.err
    assert "distribution id sha256:" in asked.err


def test_rollback_by_revision_works_and_by_version_says_why_not(attini, tmp_path, dev):
    attini("deploy", "run", hello(tmp_path), "-e", "dev")
    attini("deploy", "run", hello(tmp_path, text="hello"), "-e", "dev")

    by_version = attini("deploy", "rollback", "-n", "hello", "-e", "dev", "--to", "1.0.0")
    by_revision = attini("deploy", "rollback", "-n", "hello", "-e", "dev", "--to", "1", "--json")

    assert by_version.code == 1 and "has no version there" in by_version.err
    assert by_revision.code == 0 and by_revision.json()["reason"] == "Rollback to 1"


def test_landscape_shows_the_short_id(attini, tmp_path, dev):
    deployed = attini("deploy", "run", hello(tmp_path), "-e", "dev", "--json").json()

    landscape = attini("landscape", "--json").json()

    assert landscape == [{"distribution": "hello", "dev": deployed["distribution_id"][:19],
                          "newest": deployed["distribution_id"][:19], "drift": False, "behind": []}]


def test_promotion_by_id_asks_production_with_dashes_and_deploys(attini, tmp_path, dev):
    deployed = attini("deploy", "run", hello(tmp_path), "-e", "dev", "--json").json()
    attini("environment", "create", "prod")

    promoted = attini("deploy", "run", deployed["distribution_id"][7:19], "-e", "prod", stdin="y\n")

    assert promoted.code == 0, promoted.err
    assert "current: nothing deployed" in promoted.err and "new:     version -" in promoted.err
    assert attini("inventory", "-e", "prod", "--json").json()[0]["distribution_id"] == deployed["distribution_id"]
