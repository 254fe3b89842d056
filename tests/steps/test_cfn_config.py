"""A Cfn step's configuration: ConfigFile chains, inline overrides, variables, clear errors."""

from __future__ import annotations

import pytest

from attini_sdk.errors import StepFailed
from attini_sdk.steps.cfn_config import ParamSpec, resolve_config


def resolve(dist, variables=None, **properties):
    return resolve_config(properties, source_dir=dist.root, variables=variables or {}, step="Db")


def test_inline_properties_win_over_the_file_which_wins_over_what_it_extends(dist):
    dist.write("/config/base.yaml", "stackName: base\nregion: eu-north-1\n"
                                    "parameters: {Size: small, Engine: postgres}\ntags: {Team: core}\n")
    dist.write("/config/db.json", '{"extends": "/config/base.yaml", "template": "/db.yaml",'
                                  ' "parameters": {"Size": "large"}, "tags": {"Cost": "db"}}')

    config = resolve(dist, ConfigFile="/config/db.json", StackName="dev-db", Parameters={"Engine": "mysql"})

    assert config.stack_name == "dev-db"
    assert config.region == "eu-north-1"
    assert config.template == "/db.yaml"
    assert config.parameters == {"Size": ParamSpec("large"), "Engine": ParamSpec("mysql")}
    assert set(config.tags) == {"Team", "Cost"}
    assert config.files == ("/config/db.json", "/config/base.yaml")


def test_variables_fill_paths_and_values_and_the_steps_variables_win(dist):
    dist.write("/config/dev-db.yaml", "stackName: ${env}-db\ntemplate: /db.yaml\nparameters:\n  Table: ${table}\n")

    config = resolve(dist, variables={"env": "dev", "table": "from-environment"},
                     ConfigFile="/config/${env}-db.yaml", Variables={"table": "from-step"})

    assert config.stack_name == "dev-db"
    assert config.parameters["Table"].value == "from-step"


def test_unknown_variables_stay_as_written_and_are_reported(dist):
    config = resolve(dist, StackName="db-${missing}", Template="/db.yaml")

    assert config.stack_name == "db-${missing}"
    assert config.unresolved == ("missing",)


def test_a_cycle_of_extends_is_an_error_naming_the_chain(dist):
    dist.write("/a.yaml", "extends: /b.yaml\n")
    dist.write("/b.yaml", "extends: /c.yaml\n")
    dist.write("/c.yaml", "extends: /a.yaml\n")

    with pytest.raises(StepFailed) as failed:
        resolve(dist, ConfigFile="/a.yaml", StackName="s", Template="/t.yaml")

    assert failed.value.error == "Cfn.ConfigError"
    assert "/a.yaml -> /b.yaml -> /c.yaml -> /a.yaml" in str(failed.value)


def test_a_missing_config_file_says_where_it_was_looked_for(dist):
    with pytest.raises(StepFailed) as failed:
        resolve(dist, ConfigFile="/config/nope.yaml", StackName="s", Template="/t.yaml")

    assert "config file '/config/nope.yaml' does not exist in the distribution" in str(failed.value)
    assert str(dist.root) in str(failed.value)


@pytest.mark.parametrize("path", ["/../outside.yaml", "../outside.yaml", "config/../../outside.yaml"])
def test_config_paths_that_climb_out_of_the_distribution_are_refused_at_deploy_time(dist, path):
    (dist.root.parent / "outside.yaml").write_text("stackName: stolen\n")

    with pytest.raises(StepFailed, match="climbs out of the distribution"):
        resolve(dist, ConfigFile=path, StackName="s", Template="/t.yaml")


@pytest.mark.parametrize("config, base", [("config/db.yaml", "config/base.yaml"), ("/config/db.yaml", "base.yaml")])
def test_config_paths_without_a_leading_slash_start_at_the_distribution_root(dist, config, base):
    dist.write("config/base.yaml", "parameters: {Size: small}\n")
    dist.write("base.yaml", "parameters: {Size: medium}\n")
    dist.write("config/db.yaml", f"extends: {base}\nstackName: db\n")

    cfg = resolve(dist, ConfigFile=config, Template="t.yaml")

    assert cfg.parameters["Size"].value == ("small" if base.startswith("config/") else "medium")
    assert (cfg.stack_name, cfg.template, cfg.files) == ("db", "t.yaml", (config, base))


def test_an_unknown_key_in_a_config_file_is_an_error_listing_known_keys(dist):
    dist.write("/db.yaml", "stackname: oops\n")

    with pytest.raises(StepFailed) as failed:
        resolve(dist, ConfigFile="/db.yaml", Template="/t.yaml")

    assert "unknown key 'stackname'" in str(failed.value)
    assert "stackName" in failed.value.hint


def test_the_documented_spellings_templatepath_and_executionrole_are_accepted(dist):
    dist.write("/db.yaml", "stackName: s\ntemplatePath: /t.yaml\nexecutionRole: arn:aws:iam::1:role/x\n")

    config = resolve(dist, ConfigFile="/db.yaml")

    assert (config.template, config.execution_role_arn) == ("/t.yaml", "arn:aws:iam::1:role/x")


def test_an_unknown_inline_property_is_an_error(dist):
    with pytest.raises(StepFailed) as failed:
        resolve(dist, StackName="s", Template="/t.yaml", Stackrole="x")

    assert "unknown Cfn property: Stackrole" in str(failed.value)


def test_values_of_every_yaml_type_become_cloudformation_text(dist):
    dist.write("/db.yaml", "parameters:\n  Count: 3\n  Enabled: true\n  Zones: [a, b]\n  Ratio: 0.5\n")

    config = resolve(dist, ConfigFile="/db.yaml", StackName="s", Template="/t.yaml")

    assert {k: v.value for k, v in config.parameters.items()} == {
        "Count": "3", "Enabled": "true", "Zones": "a,b", "Ratio": "0.5"}


def test_value_objects_carry_type_default_and_fallback(dist):
    dist.write("/db.yaml", "parameters:\n  Vpc:\n    value: /net/${env}/vpc\n    type: ssm-parameter\n    default: vpc-0\n"
                           "  Password: {value: x, fallback: true}\n")

    config = resolve(dist, {"env": "dev"}, ConfigFile="/db.yaml", StackName="s", Template="/t.yaml")

    assert config.parameters["Vpc"] == ParamSpec("/net/dev/vpc", type="ssm-parameter", default="vpc-0")
    assert config.parameters["Password"] == ParamSpec("x", fallback=True)


@pytest.mark.parametrize("value, message", [
    ({"type": "ssm-parameter"}, "needs 'value'"),
    ({"value": "x", "type": "secret"}, "type 'secret' is not one of"),
    ({"value": "x", "fallback": "yes"}, "'fallback' must be true or false"),
    ({"value": "x", "when": 1}, "unknown: when"),
])
def test_malformed_value_objects_are_errors(dist, value, message):
    with pytest.raises(StepFailed, match=message):
        resolve(dist, StackName="s", Template="/t.yaml", Parameters={"P": value})


@pytest.mark.parametrize("properties, message", [
    ({"Template": "/t.yaml"}, "no stack name"),
    ({"StackName": "s"}, "no template"),
    ({"StackName": "s", "Template": "/t.yaml", "Action": "Destroy"}, "Action 'Destroy' is not Deploy or Delete"),
    ({"StackName": "s", "Template": "/t.yaml", "OnFailure": "PANIC"}, "OnFailure 'PANIC'"),
    ({"StackName": "s", "Template": "/t.yaml", "EnableTerminationProtection": "maybe"}, "'maybe' is not true or false"),
])
def test_incomplete_or_invalid_configuration_is_an_error(dist, properties, message):
    with pytest.raises(StepFailed, match=message) as failed:
        resolve(dist, **properties)

    assert failed.value.error == "Cfn.ConfigError"


def test_a_delete_needs_no_template(dist):
    assert resolve(dist, StackName="s", Action="Delete").action == "Delete"
