"""Read CloudFormation YAML: short tags (``!Sub``, ``!Ref`` ...) become their long form.

    >>> load_yaml("Name: !Sub '${AttiniEnvironmentName}-vpc'\\nZone: !Select [0, !GetAZs '']")
    {'Name': {'Fn::Sub': '${AttiniEnvironmentName}-vpc'}, 'Zone': {'Fn::Select': [0, {'Fn::GetAZs': ''}]}}
    >>> load_yaml("Arn: !GetAtt Topic.Arn")
    {'Arn': {'Fn::GetAtt': ['Topic', 'Arn']}}

Timestamps stay strings (ASL ``Timestamp`` fields need the text), and a key
repeated in one mapping is an error rather than silently overwritten.
"""

from __future__ import annotations

from typing import Any

import yaml

from attini_sdk.config.limits import LimitExceeded
from attini_sdk.config.yaml_doc import DuplicateKeys, GuardedLoader, load_document, yaml_problem
from attini_sdk.errors import PlanError, Problem

SHORT_TAGS = ("Sub", "Join", "If", "Select", "Split", "GetAZs", "ImportValue", "FindInMap", "Base64", "Equals",
              "And", "Or", "Not", "Cidr", "Transform", "Length", "ToJsonString")
"""``!X`` tags that become ``{"Fn::X": value}`` (plus ``!Ref``, ``!Condition`` and ``!GetAtt``)."""


class _Loader(GuardedLoader):
    """The guarded SafeLoader (limits, duplicate keys) with CloudFormation tags and no timestamp conversion."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _value(loader: _Loader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _fn(name: str):
    def construct(loader: _Loader, node: yaml.Node) -> dict:
        return {f"Fn::{name}": _value(loader, node)}

    return construct


def _ref(loader: _Loader, node: yaml.Node) -> dict:
    return {"Ref": _value(loader, node)}


def _condition(loader: _Loader, node: yaml.Node) -> dict:
    return {"Condition": _value(loader, node)}


def _get_att(loader: _Loader, node: yaml.Node) -> dict:
    value = _value(loader, node)
    if isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::GetAtt": value}


for _tag in SHORT_TAGS:
    _Loader.add_constructor(f"!{_tag}", _fn(_tag))
_Loader.add_constructor("!Ref", _ref)
_Loader.add_constructor("!Condition", _condition)
_Loader.add_constructor("!GetAtt", _get_att)


def load_yaml(text: str, *, file: str | None = None) -> Any:
    """Parse CloudFormation-flavoured YAML (or JSON) text; raise PlanError on bad syntax or duplicate keys.

    >>> load_yaml("a: 1\\na: 2", file="t.yaml")
    Traceback (most recent call last):
    ...
    attini_sdk.errors.PlanError: the deployment plan has 1 problem:
      - t.yaml: field 'a': key 'a' appears twice in one mapping (lines 1 and 2)
      hint: fix each listed problem and package again
    """
    try:
        return load_document(text, _Loader)
    except yaml.YAMLError as err:
        raise PlanError([Problem(f"not valid YAML: {yaml_problem(err)}", file=file)],
                        hint="fix the YAML syntax (indentation, quotes, tags)") from None
    except DuplicateKeys as err:
        raise PlanError([Problem(f"key '{k}' appears twice in one mapping (lines {first} and {second})", file=file,
                                 field=k) for k, first, second in err.duplicates]) from None
    except LimitExceeded as err:
        raise PlanError([Problem(f"the document {err}", file=file)], hint=LIMIT_HINT) from None


LIMIT_HINT = "keep plans and templates within the limits listed under Limits in docs/artifacts.md"
