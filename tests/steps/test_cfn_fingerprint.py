"""A Cfn step's fingerprint changes exactly when what it would deploy changes."""

from __future__ import annotations

import boto3
import pytest

from attini_sdk.steps import cfn

from .cfn_fixtures import QUEUE_TEMPLATE
from .conftest import REGION

pytestmark = pytest.mark.usefixtures("moto")

PROPERTIES = {"StackName": "q", "Template": "/queue.yaml", "ConfigFile": "/config/queue.yaml"}


@pytest.fixture
def project(dist):
    dist.write("/queue.yaml", QUEUE_TEMPLATE)
    dist.write("/config/base.yaml", "tags: {Team: core}\n")
    dist.write("/config/queue.yaml", "extends: /config/base.yaml\nparameters:\n  QueueName: ${name}\n")
    return dist


def test_the_same_step_in_the_same_state_has_the_same_fingerprint(project, make_ctx):
    ctx = make_ctx(variables={"name": "jobs"})

    first = cfn.fingerprint(PROPERTIES, ctx)

    assert first == cfn.fingerprint(dict(PROPERTIES), make_ctx(variables={"name": "jobs"}, deployment_id="dep-2"))
    assert first.startswith("sha256:") and len(first) == 71


@pytest.mark.parametrize("change", ["template", "config file", "extended config file", "variable", "property"])
def test_any_input_of_the_step_changes_the_fingerprint(project, make_ctx, change):
    ctx = make_ctx(variables={"name": "jobs"})
    properties = dict(PROPERTIES)
    before = cfn.fingerprint(properties, ctx)

    if change == "template":
        project.write("/queue.yaml", QUEUE_TEMPLATE + "\n# a comment is a change too\n")
    elif change == "config file":
        project.write("/config/queue.yaml", "extends: /config/base.yaml\nparameters:\n  QueueName: other\n")
    elif change == "extended config file":
        project.write("/config/base.yaml", "tags: {Team: platform}\n")
    elif change == "variable":
        ctx = make_ctx(variables={"name": "orders"})
    else:
        properties["OutputPath"] = "queue"

    assert cfn.fingerprint(properties, ctx) != before


def test_a_changed_ssm_value_changes_the_fingerprint(project, make_ctx):
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name="/shared/name", Value="one", Type="String")
    properties = {**PROPERTIES, "Parameters": {"QueueName": {"value": "/shared/name", "type": "ssm-parameter"}}}
    before = cfn.fingerprint(properties, make_ctx())

    ssm.put_parameter(Name="/shared/name", Value="two", Type="String", Overwrite=True)

    assert cfn.fingerprint(properties, make_ctx()) != before


def test_framework_values_count_only_when_the_template_declares_them(project, dist, make_ctx):
    undeclared = cfn.fingerprint(PROPERTIES, make_ctx(distribution_id="sha256:1", variables={"name": "a"}))
    assert undeclared == cfn.fingerprint(PROPERTIES, make_ctx(distribution_id="sha256:2", variables={"name": "a"}))

    dist.write("/queue.yaml", QUEUE_TEMPLATE.replace("Parameters:\n", "Parameters:\n  AttiniDistributionId: {Type: String}\n"))

    declared = cfn.fingerprint(PROPERTIES, make_ctx(distribution_id="sha256:1", variables={"name": "a"}))
    assert declared != cfn.fingerprint(PROPERTIES, make_ctx(distribution_id="sha256:2", variables={"name": "a"}))


def test_a_template_asking_for_a_random_string_is_never_unchanged(dist, make_ctx):
    dist.write("/t.yaml", "Parameters:\n  AttiniRandomString: {Type: String}\nResources: {}\n")
    properties = {"StackName": "s", "Template": "/t.yaml"}

    assert cfn.fingerprint(properties, make_ctx(deployment_id="a")) != cfn.fingerprint(
        properties, make_ctx(deployment_id="b"))


def test_a_template_is_parsed_once_per_content_its_parameter_names_kept_by_sha256(project, make_ctx, monkeypatch,
                                                                                  tmp_path):
    """A no-op redeploy fingerprints every Cfn step: the names a template declares are kept by its content, in the
    process and in $ATTINI_HOME/cache, so the next process reads the template's bytes and parses nothing."""
    import json

    from attini_sdk.steps import cfn_template

    monkeypatch.setenv("ATTINI_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(cfn_template, "_DECLARED", {})
    parse = cfn_template.parse_template
    first = cfn.fingerprint(PROPERTIES, make_ctx(variables={"name": "jobs"}))
    kept = list((tmp_path / "home" / "cache" / "cfn-parameters").glob("*.json"))
    names = sorted(cfn_template.declared_parameters(parse(QUEUE_TEMPLATE.encode())))

    assert [p.stem for p in kept] == [cfn_template.hashlib.sha256(QUEUE_TEMPLATE.encode()).hexdigest()]
    assert json.loads(kept[0].read_text()) == names and names

    monkeypatch.setattr(cfn_template, "_DECLARED", {})  # a new process: the file answers
    monkeypatch.setattr(cfn_template, "parse_template", lambda *a, **k: pytest.fail("parsed again"))
    assert cfn.fingerprint(PROPERTIES, make_ctx(variables={"name": "jobs"})) == first

    kept[0].write_text("{broken")  # a damaged cache entry is parsed again, and rewritten
    monkeypatch.setattr(cfn_template, "_DECLARED", {})
    monkeypatch.setattr(cfn_template, "parse_template", parse)
    assert cfn.fingerprint(PROPERTIES, make_ctx(variables={"name": "jobs"})) == first
    assert json.loads(kept[0].read_text()) == names


def test_a_broken_template_fails_the_fingerprint_and_is_not_kept(project, make_ctx, monkeypatch, tmp_path):
    from attini_sdk.steps import cfn_template

    monkeypatch.setenv("ATTINI_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(cfn_template, "_DECLARED", {})
    project.write("/queue.yaml", "Resources: [unclosed\n")

    with pytest.raises(cfn.StepFailed, match="template cannot be parsed"):
        cfn.fingerprint(PROPERTIES, make_ctx(variables={"name": "jobs"}))
    assert not (tmp_path / "home" / "cache" / "cfn-parameters").exists()
