"""A distribution without a version (Attini's own projects have none) is identified by its id alone."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import attini_sdk as at

from .conftest import one_step, runner_step


def versionless(root: Path, name: str, plan: dict, *, comment: str = "", dependencies: str = "") -> at.Artifact:
    """Package ``name`` from a folder whose attini-config has no version; ``comment`` changes its content."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "attini-config.yaml").write_text(f"distributionName: {name}\n{dependencies}")
    (folder / "notes.txt").write_text(comment)
    return at.Distribution(folder, plan=plan).package(root / "out" / name / (comment or "first"))


OK = one_step("Ok", {"Type": "Pass"})


def test_it_packages_with_a_null_version_and_deploys(home, tmp_path):
    artifact = versionless(tmp_path, "app", OK)
    with zipfile.ZipFile(artifact.path) as archive:
        manifest = json.loads(archive.read("attini_data/manifest.json"))

    deployment = at.Environment.local("dev").deploy(artifact)

    assert artifact.version is None and manifest["version"] is None
    assert repr(artifact).startswith(f"<Artifact app {artifact.id[:19]}")
    assert (deployment.status, deployment.version, deployment.label) == ("succeeded", None, "app")
    assert deployment.summary()["version"] is None


def test_dataframes_show_a_missing_version_as_na(home, tmp_path):
    env = at.Environment.local("dev")
    env.deploy(versionless(tmp_path, "app", OK))
    env.deploy(versionless(tmp_path, "app", OK, comment="second"))

    history, inventory = env.history(), env.inventory()

    assert history["version"].isna().all() and history["distribution_id"].nunique() == 2
    assert "<NA>" in history[["revision", "version"]].to_string()
    assert inventory["version"].dtype == "string" and inventory["version"].iloc[0] is pd.NA
    assert inventory["last_version"].iloc[0] is pd.NA


def test_history_mixes_versioned_and_versionless_artifacts(home, tmp_path, project):
    env = at.Environment.local("dev")
    env.deploy(project("app").package(OK, "1.0.0"))
    env.deploy(versionless(tmp_path, "app", OK))

    history = env.history("app")

    assert history["version"].tolist()[1] == "1.0.0" and pd.isna(history["version"].tolist()[0])
    assert list(history["version"].cat.categories) == ["1.0.0"]


def test_landscape_shows_the_short_id_and_drift_by_id(home, tmp_path):
    dev, acc = at.Environment.local("dev"), at.Environment.local("acc")
    first = versionless(tmp_path, "app", OK)
    dev.deploy(first)
    acc.deploy(dev.current("app"))  # promotion by id
    same = at.landscape([dev, acc]).set_index("distribution").loc["app"]
    second = versionless(tmp_path, "app", OK, comment="second")
    dev.deploy(second)

    row = at.landscape([dev, acc]).set_index("distribution").loc["app"]

    assert (same["dev"], same["acc"], same["drift"]) == (first.id[:19], first.id[:19], False)
    assert (row["dev"], row["acc"], row["newest"]) == (second.id[:19], first.id[:19], second.id[:19])
    assert row["drift"] and row["behind"] == ["acc"]


def test_a_version_ranks_above_no_version_in_the_landscape(home, tmp_path, project):
    dev, acc = at.Environment.local("dev"), at.Environment.local("acc")
    versioned = project("app").package(OK, "1.0.0")
    dev.deploy(versioned)
    acc.deploy(versionless(tmp_path, "app", OK))

    row = at.landscape([dev, acc]).set_index("distribution").loc["app"]

    assert (row["dev"], row["newest"], row["behind"]) == ("1.0.0", "1.0.0", ["acc"])


def test_rollback_works_by_revision_and_id_but_a_version_finds_nothing(home, tmp_path):
    env = at.Environment.local("dev")
    first = versionless(tmp_path, "app", OK)
    env.deploy(first)
    env.deploy(versionless(tmp_path, "app", OK, comment="second"))

    back = env.rollback("app")
    by_id = env.rollback("app", to=first.id)
    by_revision = env.rollback("app", to=2)
    with pytest.raises(at.NotFoundError) as by_version:
        env.rollback("app", to="1.0.0")

    assert (back.distribution_id, back.reason) == (first.id, "Rollback to 1")
    assert by_id.distribution_id == first.id and by_revision.reason == "Rollback to 2"
    assert "'app' has no version there" in str(by_version.value)
    assert "roll back to a revision number or a distribution id" in by_version.value.hint


def test_a_range_on_a_versionless_dependency_is_a_clear_dependency_error(home, tmp_path):
    env = at.Environment.local("dev")
    network = env.deploy(versionless(tmp_path, "network", OK))
    ranged = versionless(tmp_path, "app", OK,
                         dependencies="dependencies:\n  - distributionName: network\n    version: '>=1.0.0'\n")

    with pytest.raises(at.DependencyError) as info:
        env.deploy(ranged)

    message = str(info.value)
    assert "app needs 'network' >=1.0.0" in message and "has no version" in message
    assert network.distribution_id[:19] in message
    assert "give network a version" in info.value.hint


def test_a_dependency_without_a_range_is_satisfied_by_a_versionless_distribution(home, tmp_path):
    env = at.Environment.local("dev")
    network = env.deploy(versionless(tmp_path, "network", OK))
    app = versionless(tmp_path, "app", one_step("Read", {"Type": "Pass", "InputPath": "$.dependencies"}),
                      dependencies="dependencies:\n  - distributionName: network\n")

    deployment = env.deploy(app)

    assert deployment.status == "succeeded"
    assert deployment.outputs == {"network": {"distributionId": network.distribution_id, "version": None,
                                              "outputs": {}}}


def test_the_payload_and_the_runner_environment_carry_no_version(home, tmp_path):
    plan = one_step("Show", runner_step("Show", [
        'python3 -c "import json,os; p=json.load(open(os.environ[\'ATTINI_INPUT\'])); '
        'print(json.dumps({\'payload\': p[\'deploymentOriginData\'][\'version\'], '
        '\'env\': os.environ[\'ATTINI_DISTRIBUTION_VERSION\']}))" > "$ATTINI_OUTPUT"']))

    deployment = at.Environment.local("dev").deploy(versionless(tmp_path, "app", plan))

    assert deployment.status == "succeeded", deployment.cause
    assert deployment.outputs["output"]["Show"] == {"payload": None, "env": ""}


def test_the_distribution_version_option_sets_one(home, tmp_path):
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "attini-config.yaml").write_text("distributionName: app\n")

    artifact = at.Distribution(folder, version="2.0.0", plan=OK).package(tmp_path / "out")

    assert artifact.version == "2.0.0"
    assert at.Environment.local("dev").deploy(artifact).label == "app 2.0.0"
