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

from attini_sdk.errors import PlanError, Problem

SHORT_TAGS = ("Sub", "Join", "If", "Select", "Split", "GetAZs", "ImportValue", "FindInMap", "Base64", "Equals",
              "And", "Or", "Not", "Cidr", "Transform", "Length", "ToJsonString")
"""``!X`` tags that become ``{"Fn::X": value}`` (plus ``!Ref``, ``!Condition`` and ``!GetAtt``)."""


class _Loader(yaml.SafeLoader):
    """SafeLoader with CloudFormation tags, no timestamp conversion, and duplicate-key detection."""

    duplicates: list[tuple[str, int]]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str) and key in seen:
                self.duplicates.append((key, key_node.start_mark.line + 1))
            if isinstance(key, str):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


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
      - t.yaml: field 'a': key 'a' appears twice in one mapping (line 2)
      hint: fix each listed problem and package again
    """
    loader = _Loader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise PlanError([Problem(f"not valid YAML: {problem}{where}", file=file)],
                        hint="fix the YAML syntax (indentation, quotes, tags)") from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise PlanError([Problem(f"key '{k}' appears twice in one mapping (line {line})", file=file, field=k)
                         for k, line in loader.duplicates])
    return data
