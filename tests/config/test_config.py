"""attini-config: every key, per-environment merge, substitution, and clear errors for bad files."""

from __future__ import annotations

import json
import warnings

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from attini_sdk.config import ConfigWarning, Dependency, load_config, parse_config
from attini_sdk.config.schema import config_schema
from attini_sdk.errors import AttiniError, ConfigError

pytestmark = pytest.mark.filterwarnings("ignore::attini_sdk.config.ConfigWarning")

FULL = """\
distributionName: database
distributionId: ignored-here
version: 2.1.0-rc.1+build.7
distributionTags:
  team: data
  tier: 1
  critical: true
dependencies:
  - distributionName: network
    version: ">=1.0.0"
  - distributionName: base
initDeployConfig:
  template: /ci-cd/deployment-plan.yaml
  stackName: ${environment}-${distributionName}-deployment-plan
  forceUpdate: true
  parameters:
    default:
      TableName: ${environment}-items
      ReadCapacity: 5
      VpcId:
        sourceType: Distribution
        source: {name: network, mapping: $.VpcId}
    prod:
      ReadCapacity: 50
  tags:
    default: {CostCenter: 42}
    prod: {Backup: daily}
  variables:
    default: {Retention: 7}
    acc: {Retention: 14}
package:
  prePackage:
    commands:
      - echo building ${distributionName}
  postPackage:
    commands: [echo done]
plan: plan.yaml
"""


def write(tmp_path, text, name="attini-config.yaml"):
    (tmp_path / name).write_text(text)
    return tmp_path


def test_every_documented_key_is_read(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = load_config(write(tmp_path, FULL))

    assert config.distribution_name == "database"
    assert config.version == "2.1.0-rc.1+build.7"
    assert dict(config.distribution_tags) == {"team": "data", "tier": "1", "critical": "true"}
    assert config.dependencies == (Dependency("network", ">=1.0.0"), Dependency("base", "*"))
    init = config.init_deploy
    assert init.template == "ci-cd/deployment-plan.yaml"  # leading '/' stripped, as Attini does
    assert init.stack_name == "${environment}-database-deployment-plan"
    assert init.force_update is True
    assert config.package.pre_package == ("echo building database",)
    assert config.package.post_package == ("echo done",)
    assert config.plan == "plan.yaml"
    assert config.distribution_type == "platform"
    assert config.source == str(tmp_path / "attini-config.yaml")
    assert [str(w.message) for w in caught if "distributionId" in str(w.message)]


def test_per_environment_values_merge_over_default(tmp_path):
    init = load_config(write(tmp_path, FULL)).init_deploy

    prod = init.parameters.for_environment("prod")
    assert prod["ReadCapacity"] == 50 and prod["TableName"] == "${environment}-items"
    assert init.parameters.for_environment("dev")["ReadCapacity"] == 5
    assert init.parameters.for_environment("dev")["VpcId"] == {
        "sourceType": "Distribution", "source": {"name": "network", "mapping": "$.VpcId"}}
    assert init.tags.for_environment("prod") == {"CostCenter": "42", "Backup": "daily"}
    assert init.variables.for_environment("acc") == {"Retention": 14}


def test_substitution_of_environment_name_and_id(tmp_path):
    config = load_config(write(tmp_path, FULL), environment="prod", distribution_id="sha256:abc")

    assert config.init_deploy.stack_name == "prod-database-deployment-plan"
    assert config.init_deploy.parameters.for_environment("prod")["TableName"] == "prod-items"
    later = load_config(tmp_path).substitute(environment="dev")
    assert later.init_deploy.stack_name == "dev-database-deployment-plan"
    text = FULL.replace("tier: 1", "id: ${distributionId}")
    assert load_config(write(tmp_path, text), distribution_id="sha256:1").distribution_tags["id"] == "sha256:1"


def test_json_and_yml_configs_are_read_too(tmp_path):
    write(tmp_path, json.dumps({"distributionName": "a", "version": "1.0.0"}), "attini-config.json")
    assert load_config(tmp_path).distribution_name == "a"
    (tmp_path / "attini-config.json").unlink()
    write(tmp_path, "distributionName: b\nversion: 1.0.0\n", "attini-config.yml")
    assert load_config(tmp_path).distribution_name == "b"


def test_two_config_files_is_an_error_naming_both(tmp_path):
    write(tmp_path, "distributionName: a\n")
    write(tmp_path, "{}", "attini-config.json")

    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert "'attini-config.yaml' and 'attini-config.json'" in str(err.value)


def test_no_config_file_is_an_error_with_a_hint(tmp_path):
    with pytest.raises(ConfigError, match="no attini-config.yaml") as err:
        load_config(tmp_path)
    assert "distributionName" in err.value.hint


def test_to_data_round_trips(tmp_path):
    config = load_config(write(tmp_path, FULL))
    again = parse_config(config.to_data(), warn=False)
    assert again == config


def test_unknown_keys_warn_with_did_you_mean_and_fail_when_strict(tmp_path):
    write(tmp_path, "distributionName: a\nversion: 1.0.0\ndependancies: []\ninitDeployConfig:\n  stackname: x\n")

    with pytest.warns(ConfigWarning) as caught:
        load_config(tmp_path)
    messages = [str(w.message) for w in caught]
    assert any("dependancies" in m and "did you mean 'dependencies'?" in m for m in messages)
    assert any("initDeployConfig.stackname" in m and "'stackName'" in m for m in messages)
    with pytest.raises(ConfigError, match="did you mean 'dependencies'") as err:
        load_config(tmp_path, strict=True)
    assert "attini-config.yaml: dependancies" in str(err.value)


def test_attini_keys_we_do_not_honour_yet_are_accepted_with_a_warning(tmp_path):
    write(tmp_path, "distributionName: a\nversion: 1.0.0\ndistributionType: app\nappDeploymentPlan: p\n"
                    "appConfig: {default: {x: 1}}\npackage: {container: {image: img}}\n")
    with pytest.warns(ConfigWarning, match="not honoured"):
        config = load_config(tmp_path, strict=True)
    assert config.distribution_type == "app"


MALFORMED = [
    ("distributionName: [a]\n", "distributionName", "must be a string"),
    ("version: 1.0.0\n", "distributionName", "missing"),
    ("distributionName: 1abc\nversion: 1.0.0\n", "distributionName", "not a valid distribution name"),
    ("distributionName: a_b\n", "distributionName", "not a valid distribution name"),
    ("distributionName: a b\n", "distributionName", "not a valid distribution name"),
    (f"distributionName: {'a' * 129}\n", "distributionName", "not a valid distribution name"),
    ("distributionName: a\nversion: 1.0\n", "version", "must be a string"),
    ("distributionName: a\nversion: '1.0'\n", "version", "not a semantic version"),
    ("distributionName: a\nversion: v1.0.0\n", "version", "not a semantic version"),
    ("distributionName: a\nversion: 1.0.0-\n", "version", "not a semantic version"),
    ("distributionName: a\nversion: 01.0.0\n", "version", "not a semantic version"),
    ("distributionName: a\ndistributionTags: [a]\n", "distributionTags", "must be a mapping"),
    ("distributionName: a\ndistributionTags: {a: {b: c}}\n", "distributionTags.a", "string, number or boolean"),
    ("distributionName: a\ndistributionTags: {a: null}\n", "distributionTags.a", "string, number or boolean"),
    ("distributionName: a\ndistributionType: library\n", "distributionType", "must be one of"),
    ("distributionName: a\ndependencies: network\n", "dependencies", "must be a list"),
    ("distributionName: a\ndependencies: [network]\n", "dependencies[0]", "must be a mapping"),
    ("distributionName: a\ndependencies: [{version: '1'}]\n", "dependencies[0].distributionName", "missing"),
    ("distributionName: a\ndependencies: [{distributionName: 9x}]\n", "dependencies[0].distributionName",
     "not a valid distribution name"),
    ("distributionName: a\ndependencies: [{distributionName: n, version: '>=1.0.0 <'}]\n",
     "dependencies[0].version", "version range"),
    ("distributionName: a\ndependencies: [{distributionName: n, version: 1}]\n", "dependencies[0].version",
     "must be a string"),
    ("distributionName: a\ndependencies: [{distributionName: n}, {distributionName: n}]\n", "dependencies[1]",
     "listed twice"),
    ("distributionName: a\ndependencies: [{distributionName: a}]\n", "dependencies", "depends on itself"),
    ("distributionName: a\ninitDeployConfig: []\n", "initDeployConfig", "must be a mapping"),
    ("distributionName: a\ninitDeployConfig: {forceUpdate: 'yes'}\n", "initDeployConfig.forceUpdate",
     "true or false"),
    ("distributionName: a\ninitDeployConfig: {template: 3}\n", "initDeployConfig.template", "non-empty string"),
    ("distributionName: a\ninitDeployConfig: {template: ../x.yaml}\n", "initDeployConfig.template",
     "inside the distribution"),
    ("distributionName: a\ninitDeployConfig: {stackName: ''}\n", "initDeployConfig.stackName", "non-empty string"),
    ("distributionName: a\ninitDeployConfig: {parameters: [1]}\n", "initDeployConfig.parameters", "must be a mapping"),
    ("distributionName: a\ninitDeployConfig: {parameters: {default: [1]}}\n",
     "initDeployConfig.parameters.default", "must be a mapping"),
    ("distributionName: a\ninitDeployConfig: {parameters: {'bad env!': {}}}\n",
     "initDeployConfig.parameters.bad env!", "not a valid environment name"),
    ("distributionName: a\ninitDeployConfig: {parameters: {default: {P: [1, 2]}}}\n",
     "initDeployConfig.parameters.default.P", "string, number or boolean"),
    ("distributionName: a\ninitDeployConfig: {parameters: {default: {P: {sourceType: S3}}}}\n",
     "initDeployConfig.parameters.default.P.sourceType", "must be 'Distribution'"),
    ("distributionName: a\ninitDeployConfig: {parameters: {default: {P: {sourceType: Distribution, "
     "source: {name: net, mapping: $.x}}}}}\n", "initDeployConfig.parameters.default.P.source.name",
     "not a declared dependency"),
    ("distributionName: a\ndependencies: [{distributionName: net}]\ninitDeployConfig: {parameters: {default: "
     "{P: {sourceType: Distribution, source: {name: net, mapping: x}}}}}\n",
     "initDeployConfig.parameters.default.P.source.mapping", "JSONPath"),
    ("distributionName: a\ninitDeployConfig: {tags: {default: {T: {a: 1}}}}\n", "initDeployConfig.tags.default.T",
     "string, number or boolean"),
    ("distributionName: a\npackage: [echo]\n", "package", "must be a mapping"),
    ("distributionName: a\npackage: {prePackage: {commands: {a: 1}}}\n", "package.prePackage.commands",
     "list of shell commands"),
    ("distributionName: a\npackage: {prePackage: {commands: [1]}}\n", "package.prePackage.commands[0]",
     "must be a string"),
    ("distributionName: a\nplan: ../outside.yaml\n", "plan", "inside the distribution"),
    ("distributionName: a\nplan: 42\n", "plan", "non-empty string"),
    ("- just\n- a list\n", "", "must be a mapping of keys"),
    ("", "", "is empty"),
    ("distributionName: a\n  bad: indent\n", "", "invalid YAML"),
    ("distributionName: [unclosed\n", "", "invalid YAML"),
    ("distributionName: a\n1: numeric key\n", "(top level)", "keys must be strings"),
]


@pytest.mark.parametrize("text, key, message", MALFORMED, ids=[f"{i}:{m[2]}" for i, m in enumerate(MALFORMED)])
def test_malformed_configs_name_the_file_and_the_key(tmp_path, text, key, message):
    write(tmp_path, text)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ConfigError) as err:
            load_config(tmp_path)

    rendered = str(err.value)
    assert message in rendered
    assert str(tmp_path / "attini-config.yaml") in rendered
    if key:
        assert f"attini-config.yaml: {key}:" in rendered


def test_malformed_json_reports_line_and_column(tmp_path):
    write(tmp_path, '{"distributionName": "a",\n  "version": }', "attini-config.json")
    with pytest.raises(ConfigError, match=r"invalid JSON: .*line 2, column 14"):
        load_config(tmp_path)


def test_not_utf8_and_too_large_files_are_errors(tmp_path):
    (tmp_path / "attini-config.yaml").write_bytes(b"distributionName: \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path)
    (tmp_path / "attini-config.yaml").write_text("a: " + "x" * (1 << 20))
    with pytest.raises(ConfigError, match="the limit is"):
        load_config(tmp_path)


def test_yaml_alias_bombs_are_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]"
              for i in range(1, 9)]
    write(tmp_path, "distributionName: a\n" + "\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="expands to more than"):
        load_config(tmp_path)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
known_keys = st.sampled_from(["distributionName", "version", "distributionTags", "dependencies",
                              "initDeployConfig", "package", "plan", "distributionType", "appConfig"])


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.dictionaries(known_keys, yaml_values, max_size=6))
def test_random_config_data_gives_a_config_or_a_config_error(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parse_config(data, source="random.yaml")
        except AttiniError:
            pass


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_random_file_content_never_raises_anything_but_attini_errors(tmp_path_factory, text):
    d = tmp_path_factory.mktemp("garbage")
    (d / "attini-config.yaml").write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            load_config(d)
        except AttiniError:
            pass


def test_the_published_schema_accepts_valid_configs_and_rejects_bad_ones():
    import jsonschema

    schema = config_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors(yaml.safe_load(FULL)))
    assert list(validator.iter_errors({"distributionName": "1abc"}))
    assert list(validator.iter_errors({"distributionName": "a", "version": "1.0"}))
    assert list(validator.iter_errors({"distributionName": "a", "initDeployConfig": {"forceUpdate": "yes"}}))
    assert set(schema["properties"]) >= {"distributionName", "version", "distributionTags", "dependencies",
                                         "initDeployConfig", "package", "plan"}
