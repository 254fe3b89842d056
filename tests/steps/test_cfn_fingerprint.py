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
