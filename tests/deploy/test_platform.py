"""The three example distributions deployed in order, as a user does it; dependencies refused out of order."""

from __future__ import annotations

import pytest

import attini_sdk as at

from .conftest import example_env, stack_status


def test_network_then_database_then_app_deploy_and_show_up_in_the_inventory(dev, platform):
    deployments = [dev.deploy(platform[name]) for name in ("network", "database", "app")]

    assert [(d.distribution, d.status, d.revision) for d in deployments] == [
        ("network", "succeeded", 1), ("database", "succeeded", 1), ("app", "succeeded", 1)]
    inventory = dev.inventory().set_index("distribution")
    assert inventory.loc["app", "version"] == "0.3.0"
    assert inventory.loc["database", "distribution_id"] == platform["database"].id
    assert list(inventory["status"].astype(str)) == ["succeeded"] * 3
    assert stack_status("dev-network") == stack_status("dev-app") == "CREATE_COMPLETE"


def test_outputs_flow_from_network_to_database_to_app(dev, platform):
    network = dev.deploy(platform["network"])
    database = dev.deploy(platform["database"])
    app = dev.deploy(platform["app"])

    vpc = network.outputs["output"]["Network"]["VpcId"]
    assert vpc.startswith("vpc-")
    assert database.outputs["output"]["ImportNetwork"] == {"Network_VpcId": vpc}
    assert database.outputs["output"]["Migrate"] == {"result": "002"}
    assert app.outputs["output"]["ImportDatabase"] == {"TableName": "dev-items"}
    assert app.outputs["dependencies"]["network"]["outputs"]["Network"]["VpcId"] == vpc
    assert app.outputs["output"]["SmokeTest"]["result"] == {"id": "smoke-test"}  # moto's Lambda echoes


def test_steps_list_every_state_that_ran_attini_steps_and_plain_states(dev, platform):
    dev.deploy(platform["network"])
    dev.deploy(platform["database"])

    steps = dev.deploy(platform["app"]).steps

    assert set(steps["step"]) == {"ImportPlatform", "ImportNetwork", "ImportDatabase", "MergeImports",
                                  "IsProduction", "DeployStacks", "App", "Alerts", "MergeStacks", "SmokeTest"}
    kinds = dict(zip(steps["step"], steps["type"]))
    assert (kinds["App"], kinds["IsProduction"], kinds["ImportPlatform"]) == ("AttiniCfn", "Choice", "Parallel")
    assert set(steps["status"].astype(str)) == {"succeeded"}
    assert steps["started_at"].is_monotonic_increasing  # the order they started, as the CLI shows them


def test_history_lists_every_deployment_newest_first(dev, platform):
    for name in ("network", "database", "network"):
        dev.deploy(platform[name])

    history = dev.history()

    assert list(zip(history["distribution"], history["revision"])) == [("network", 2), ("database", 1),
                                                                      ("network", 1)]
    assert list(dev.history(distribution="network")["revision"]) == [2, 1]


def test_landscape_shows_versions_per_environment_and_drift(home, platform):
    dev, acc = example_env("dev", home), example_env("acc", home)
    dev.deploy(platform["network"])
    dev.deploy(platform["database"])
    acc.deploy(dev.current("network"))

    landscape = at.landscape(["dev", "acc"]).set_index("distribution")

    assert landscape.loc["network", "dev"] == landscape.loc["network", "acc"] == "1.0.0"
    assert not landscape.loc["network", "drift"]
    assert landscape.loc["database", "drift"] and landscape.loc["database", "behind"] == ["acc"]


def test_database_before_network_is_refused_naming_the_missing_dependency(dev, platform):
    with pytest.raises(at.DependencyError) as refused:
        dev.deploy(platform["database"])

    assert "'network' is not deployed in 'dev'" in str(refused.value)
    assert "deploy network >=1.0.0 to dev first" in str(refused.value)
    assert dev.history().empty  # nothing was recorded


def test_app_is_refused_while_its_database_last_failed(dev, platform, project):
    dev.deploy(platform["network"])
    dev.deploy(platform["database"])
    broken = project("database", "1.2.1")
    failed = dev.deploy(broken.package({"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Broken"}}}))
    assert failed.status == "failed" and failed.error == "Broken"

    with pytest.raises(at.DependencyError) as refused:
        dev.deploy(platform["app"])

    assert "the last deployment of 'database' in 'dev' (revision 2, 1.2.1) failed" in str(refused.value)


def test_a_dependency_outside_the_range_is_refused(dev, platform, project):
    dev.deploy(platform["network"])
    old = project("database", "1.1.0")
    dev.deploy(old.package({"StartAt": "Ok", "States": {"Ok": {"Type": "Succeed"}}}))

    with pytest.raises(at.DependencyError) as refused:
        dev.deploy(platform["app"])

    assert "'database' 1.1.0 runs in 'dev', outside the range ^1.2.0" in str(refused.value)
