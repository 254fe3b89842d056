"""``at.Distribution("path").package().deploy(env)``: the shape the README promises."""

from __future__ import annotations

import attrs
import pytest

import attini_sdk as at

PLAN = "StartAt: Hello\nStates:\n  Hello: {Type: Pass, Result: hi, ResultPath: $.output.Hello, End: true}\n"


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "app"
    path.mkdir()
    (path / "attini-config.yaml").write_text("distributionName: app\nversion: 1.0.0\nplan: plan.yaml\n"
                                             "distributionTags: {team: web}\n")
    (path / "plan.yaml").write_text(PLAN)
    return path


def test_a_distribution_made_from_a_path_packages_and_deploys(home, folder):
    deployment = at.Distribution(folder).package().deploy(at.Environment.local("dev"))

    assert (deployment.status, deployment.label, deployment.tags) == ("succeeded", "app 1.0.0", {"team": "web"})
    assert deployment.outputs["output"]["Hello"] == "hi"


def test_the_path_is_positional_and_everything_else_keyword_only(folder):
    dist = at.Distribution(folder)

    assert dist == at.Distribution.from_path(folder) == at.Distribution(source=folder)
    assert (dist.name, dist.version, dict(dist.tags), dist.config.plan) == ("app", "1.0.0", {"team": "web"},
                                                                           "plan.yaml")
    with pytest.raises(TypeError):
        at.Distribution(folder, "app")


def test_keywords_override_the_config_and_a_name_skips_reading_it(folder, tmp_path):
    bumped = at.Distribution(folder, version="1.1.0")
    evolved = attrs.evolve(at.Distribution(folder), version="2.0.0")
    named = at.Distribution(tmp_path / "nowhere", name="tool", version="0.1.0")

    assert (bumped.version, bumped.config is not None) == ("1.1.0", True)
    assert (evolved.version, evolved.config.plan) == ("2.0.0", "plan.yaml")
    assert (named.name, named.config, named.source) == ("tool", None, tmp_path / "nowhere")


def test_a_folder_without_attini_config_is_a_clear_error(tmp_path):
    with pytest.raises(at.ConfigError, match="no attini-config.yaml"):
        at.Distribution(tmp_path)
