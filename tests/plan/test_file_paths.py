"""Paths of distribution files: with or without a leading '/', never out of the distribution, checked early."""

from __future__ import annotations

import textwrap

import pytest

import attini_sdk as at
from attini_sdk.errors import ConfigError, PlanError

from tests.trees import write_tree

TEMPLATE = "Resources: {}\n"


def init_template(*steps: str) -> str:
    """An Attini init template whose plan (simple syntax) is ``steps``, each a YAML mapping on one line."""
    body = "".join(f"            - {s}\n" for s in steps)
    return textwrap.dedent("""\
        Resources:
          Plan:
            Type: Attini::Deploy::DeploymentPlan
            Properties:
              DeploymentPlan:
        """) + body


def project(tmp_path, files: dict[str, str], *steps: str, template_key: str = "deployment-plan.yaml"):
    config = f"distributionName: app\ninitDeployConfig:\n  template: {template_key}\n"
    return write_tree(tmp_path / "app", {"attini-config.yaml": config, "deployment-plan.yaml": init_template(*steps),
                                         **files})


def package(source, tmp_path):
    return at.Distribution(source).package(tmp_path / "out")


def test_paths_with_and_without_a_leading_slash_name_the_same_files(tmp_path):
    source = project(tmp_path, {"cfn/app.yaml": TEMPLATE, "cfn/app-config.yaml": "stackName: app\n"},
                     "{Name: A, Type: AttiniCfn, Properties: {StackName: a, Template: cfn/app.yaml}}",
                     "{Name: B, Type: AttiniCfn, Properties: {Template: /cfn/app.yaml, ConfigFile: cfn/app-config.yaml}}",
                     template_key="/deployment-plan.yaml")

    plan = package(source, tmp_path).plan

    assert plan["States"]["A"]["Parameters"]["Template"] == "cfn/app.yaml"
    assert plan["States"]["B"]["Parameters"]["ConfigFile"] == "cfn/app-config.yaml"


@pytest.mark.parametrize("field, value, message", [
    ("Template", "cfn/missing.yaml", "Template 'cfn/missing.yaml' is not in the distribution"),
    ("Template", "../app.yaml", "Template '../app.yaml' climbs out of the distribution"),
    ("Template", "/cfn/../../app.yaml", "climbs out of the distribution"),
    ("ConfigFile", "../cfg.yaml", "ConfigFile '../cfg.yaml' climbs out of the distribution"),
])
def test_a_step_path_that_is_missing_or_climbs_out_fails_packaging_naming_file_state_and_field(
        tmp_path, field, value, message):
    extra = ", Template: cfn/app.yaml" if field == "ConfigFile" else ""
    source = project(tmp_path, {"cfn/app.yaml": TEMPLATE},
                     f"{{Name: Db, Type: AttiniCfn, Properties: {{StackName: db, {field}: '{value}'{extra}}}}}")

    with pytest.raises(PlanError) as info:
        package(source, tmp_path)

    problem = info.value.problems[0]
    assert message in problem.what
    assert problem.file.endswith("/app/deployment-plan.yaml")
    assert (problem.state, problem.field) == ("Db", f"Parameters.{field}")


def test_a_config_files_extends_and_template_are_checked_at_package_time(tmp_path):
    source = project(tmp_path, {
        "cfn/app.yaml": TEMPLATE,
        "config/db.yaml": "extends: config/base.yaml\ntemplate: cfn/gone.yaml\n",
        "config/base.yaml": "extends: ../../etc/passwd\n",
    }, "{Name: Db, Type: AttiniCfn, Properties: {StackName: db, ConfigFile: config/db.yaml}}")

    with pytest.raises(PlanError) as info:
        package(source, tmp_path)

    found = {(p.file.split("/app/")[1], p.state, p.field): p.what for p in info.value.problems}
    assert found == {
        ("config/db.yaml", "Db", "template"): "template 'cfn/gone.yaml' is not in the distribution",
        ("config/base.yaml", "Db", "extends"): "extends '../../etc/passwd' climbs out of the distribution "
                                               "(paths are relative to its root, with or without a leading '/')",
    }


def test_a_missing_extends_and_a_broken_config_file_are_named(tmp_path):
    source = project(tmp_path, {
        "cfn/app.yaml": TEMPLATE,
        "a.yaml": "extends: /nope.yaml\n",
        "b.yaml": "parameters: [unclosed\n",
    }, "{Name: A, Type: AttiniCfn, Properties: {StackName: a, Template: cfn/app.yaml, ConfigFile: a.yaml}}",
       "{Name: B, Type: AttiniCfn, Properties: {StackName: b, Template: cfn/app.yaml, ConfigFile: b.yaml}}")

    with pytest.raises(PlanError) as info:
        package(source, tmp_path)

    found = {(p.file.split("/app/")[1], p.state, p.field): p.what for p in info.value.problems}
    assert found[("a.yaml", "A", "extends")] == "extends '/nope.yaml' is not in the distribution"
    assert found[("b.yaml", "B", None)].startswith("the config file cannot be read")


def test_paths_with_variables_are_left_for_deploy_time(tmp_path):
    source = project(tmp_path, {
        "cfn/app.yaml": TEMPLATE,
        "config/dev.yaml": "extends: /config/${Base}.yaml\ntemplate: cfn/${Env}.yaml\n",
    }, "{Name: Db, Type: AttiniCfn, Properties: {StackName: db, ConfigFile: '/config/${Env}.yaml', "
       "Template: cfn/app.yaml}}",
       "{Name: Other, Type: AttiniCfn, Properties: {StackName: o, ConfigFile: config/dev.yaml}}")

    assert set(package(source, tmp_path).plan["States"]) >= {"Db", "Other"}


@pytest.mark.parametrize("key", ["../deployment-plan.yaml", "/x/../../deployment-plan.yaml"])
def test_an_init_template_out_of_the_distribution_is_a_config_error(tmp_path, key):
    source = project(tmp_path, {}, "{Name: A, Type: AttiniRunnerJob, Properties: {Commands: ['true']}}",
                     template_key=key)

    with pytest.raises(ConfigError) as info:
        at.Distribution(source)

    assert "initDeployConfig.template" in info.value.where and "climbs out of the distribution" in info.value.what
