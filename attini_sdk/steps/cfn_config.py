"""The configuration of one Cfn step: inline properties over a ConfigFile chain, variables substituted.

Attini's layering, lowest priority first: the file named by ``extends`` (recursively), the
``ConfigFile`` itself, then the step's inline ``Properties``. ``${name}`` is replaced by a
variable from ``initDeployConfig.variables`` merged with the step's ``Variables``::

    >>> import tempfile, pathlib
    >>> src = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (src / "base.yaml").write_text("tags: {team: core}\\nparameters: {Size: 1}\\n")
    >>> _ = (src / "db.yaml").write_text("extends: /base.yaml\\nparameters: {Name: ${env}-db}\\n")
    >>> cfg = resolve_config({"StackName": "db", "Template": "/db.tpl", "ConfigFile": "/db.yaml"},
    ...                      source_dir=src, variables={"env": "dev"}, step="Db")
    >>> cfg.parameters["Name"].value, cfg.parameters["Size"].value, cfg.tags["team"].value
    ('dev-db', '1', 'core')
    >>> cfg.files
    ('/db.yaml', '/base.yaml')
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import attrs

from attini_sdk.steps.base import StepFailed

__all__ = ["ParamSpec", "StackConfig", "resolve_config", "substitute", "read_distribution_file"]

CONFIG_ERROR = "Cfn.ConfigError"

_INLINE = {
    "StackName": "stackName",
    "Template": "template",
    "Region": "region",
    "ExecutionRoleArn": "executionRoleArn",
    "StackRoleArn": "stackRoleArn",
    "OutputPath": "outputPath",
    "Action": "action",
    "OnFailure": "onFailure",
    "EnableTerminationProtection": "enableTerminationProtection",
}
_INLINE_OTHER = {"ConfigFile", "Parameters", "Tags", "Variables"}
_FILE_KEYS = {*_INLINE.values(), "extends", "parameters", "tags"}
# Attini's documentation spells two keys differently from its code; accept both.
_FILE_ALIASES = {"templatePath": "template", "executionRole": "executionRoleArn"}
_ACTIONS = ("Deploy", "Delete")
_ON_FAILURE = ("DELETE", "ROLLBACK", "DO_NOTHING")
_VALUE_TYPES = ("string", "ssm-parameter")
_VARIABLE = re.compile(r"\$(\$?)\{([^}]+)\}")


@attrs.frozen
class ParamSpec:
    """One parameter or tag value: a literal, or the name of an SSM parameter to read.

    ``fallback`` keeps the value already on the stack (``UsePreviousValue``) when there is one.

    >>> ParamSpec("/shared/vpc-id", type="ssm-parameter", default="vpc-0").type
    'ssm-parameter'
    """

    value: str
    type: str = "string"
    default: str | None = None
    fallback: bool = False


@attrs.frozen
class StackConfig:
    """Everything a Cfn step needs to know, fully layered and substituted.

    >>> StackConfig(stack_name="app", template="/app.yaml").action
    'Deploy'
    """

    stack_name: str
    template: str
    action: str = "Deploy"
    region: str | None = None
    execution_role_arn: str | None = None
    stack_role_arn: str | None = None
    output_path: str | None = None
    on_failure: str | None = None
    termination_protection: bool | None = None
    parameters: dict[str, ParamSpec] = attrs.field(factory=dict)
    tags: dict[str, ParamSpec] = attrs.field(factory=dict)
    files: tuple[str, ...] = ()
    file_digests: dict[str, str] = attrs.field(factory=dict)
    unresolved: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """A JSON-able form (for fingerprints and logs)."""
        return attrs.asdict(self)


def substitute(text: str, variables: dict[str, str], missing: set[str] | None = None) -> str:
    """Replace ``${name}`` by ``variables[name]``; ``$${x}`` stays a literal ``${x}``.

    Unknown names are left in place (as Attini does) and collected into ``missing``.

    >>> substitute("${env}-db-${unknown}-$${literal}", {"env": "dev"})
    'dev-db-${unknown}-${literal}'
    """

    def replace(match: re.Match) -> str:
        escaped, name = match.group(1), match.group(2)
        if escaped:
            return "${" + name + "}"
        if name in variables:
            return variables[name]
        if missing is not None:
            missing.add(name)
        return match.group(0)

    return _VARIABLE.sub(replace, text)


def _fail(what: str, *, step: str, where: str | None = None, hint: str | None = None) -> StepFailed:
    return StepFailed(what, step=step, error=CONFIG_ERROR, cause=what, where=where, hint=hint)


def read_distribution_file(source_dir: Path, path: str, *, step: str, what: str) -> bytes:
    """Read a file of the distribution: ``/some/file`` and ``some/file`` both start at its root (as in
    Attini); a path that climbs out of it is refused (Attini does not check; packaging refuses it too).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "t.yaml").write_text("x")
    >>> read_distribution_file(d, "/t.yaml", step="S", what="template"), read_distribution_file(d, "t.yaml", step="S", what="template")
    (b'x', b'x')
    """
    root = Path(source_dir).resolve()
    target = (root / path.lstrip("/")).resolve()
    if not target.is_relative_to(root) or target == root:
        raise _fail(f"{what} path '{path}' climbs out of the distribution", step=step,
                    hint="reference files inside the distribution only, by their path from its root")
    if not target.is_file():
        raise _fail(
            f"{what} '{path}' does not exist in the distribution",
            step=step,
            where=str(root),
            hint=f"check the path; it is relative to the distribution root ({root})",
        )
    return target.read_bytes()


def _parse_config_file(path: str, raw: bytes, *, step: str) -> dict:
    import yaml

    from attini_sdk.config import limits
    from attini_sdk.config.yaml_doc import load_document

    try:
        text = limits.decode_text(raw)
        if path.endswith((".yaml", ".yml")):
            data = load_document(text)
        else:
            data = limits.json_loads(text)
    except (ValueError, yaml.YAMLError) as exc:  # LimitExceeded and DuplicateKeys are ValueErrors
        raise _fail(f"config file cannot be parsed: {exc}", step=step, where=path,
                    hint="fix the syntax; .yaml/.yml files are YAML, anything else JSON") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _fail("config file must hold a mapping of keys", step=step, where=path)
    normalised = {}
    for key, value in data.items():
        key = _FILE_ALIASES.get(key, key)
        if key not in _FILE_KEYS:
            raise _fail(
                f"unknown key '{key}' in config file",
                step=step,
                where=path,
                hint="known keys: " + ", ".join(sorted(_FILE_KEYS)),
            )
        normalised[key] = value
    for section in ("parameters", "tags"):
        if not isinstance(normalised.get(section, {}), dict):
            raise _fail(f"'{section}' must be a mapping", step=step, where=f"{path}: {section}")
    return normalised


def _load_chain(source_dir: Path, path: str, variables: dict, *, step: str) -> tuple[dict, list, dict]:
    """Load ``path`` and its ``extends`` ancestors; return the layered mapping."""
    chain: list[str] = []
    digests: dict[str, str] = {}
    layers: list[dict] = []
    current: str | None = substitute(path, variables)
    while current is not None:
        if current in chain:
            cycle = " -> ".join([*chain, current])
            raise _fail(f"config files extend each other in a cycle: {cycle}", step=step,
                        where=chain[-1], hint="remove one 'extends' so the chain ends")
        chain.append(current)
        raw = read_distribution_file(source_dir, current, step=step, what="config file")
        digests[current] = hashlib.sha256(raw).hexdigest()
        data = _parse_config_file(current, raw, step=step)
        layers.append(data)
        parent = data.get("extends")
        if parent is not None and not isinstance(parent, str):
            raise _fail("'extends' must be a path string", step=step, where=f"{current}: extends")
        current = substitute(parent, variables) if parent else None
    merged: dict[str, Any] = {"parameters": {}, "tags": {}}
    for data in reversed(layers):  # the root ancestor first, the named file last
        for key, value in data.items():
            if key in ("parameters", "tags"):
                merged[key].update(value or {})
            elif key != "extends":
                merged[key] = value
    return merged, chain, digests


def _scalar_text(value: Any, *, step: str, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value):
        return ",".join(_scalar_text(v, step=step, where=where) for v in value)
    raise _fail(f"value must be a string, number, boolean or list of those, got {value!r}",
                step=step, where=where)


def _param_spec(value: Any, variables: dict, missing: set, *, step: str, where: str) -> ParamSpec:
    if not isinstance(value, dict):
        return ParamSpec(substitute(_scalar_text(value, step=step, where=where), variables, missing))
    unknown = set(value) - {"value", "type", "default", "fallback"}
    if unknown or "value" not in value:
        raise _fail(
            "a parameter object needs 'value' and may have 'type', 'default', 'fallback'"
            + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else ""),
            step=step, where=where,
            hint="e.g. {value: /my/ssm/name, type: ssm-parameter, default: x, fallback: true}",
        )
    kind = str(value.get("type", "string"))
    if kind not in _VALUE_TYPES:
        raise _fail(f"type '{kind}' is not one of {', '.join(_VALUE_TYPES)}", step=step, where=where)
    fallback = value.get("fallback", False)
    if not isinstance(fallback, bool):
        raise _fail("'fallback' must be true or false", step=step, where=where)
    default = value.get("default")
    return ParamSpec(
        value=substitute(_scalar_text(value["value"], step=step, where=where), variables, missing),
        type=kind,
        default=None if default is None else substitute(_scalar_text(default, step=step, where=where),
                                                        variables, missing),
        fallback=fallback,
    )


def _text(value: Any, variables: dict, missing: set, *, step: str, where: str) -> str | None:
    if value is None:
        return None
    return substitute(_scalar_text(value, step=step, where=where), variables, missing)


def _bool(value: str | None, *, step: str, where: str) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _fail(f"'{value}' is not true or false", step=step, where=where)


def _check_inline(properties: dict, *, step: str) -> None:
    unknown = set(properties) - set(_INLINE) - _INLINE_OTHER
    if unknown:
        raise _fail(
            f"unknown Cfn propert{'ies' if len(unknown) > 1 else 'y'}: {', '.join(sorted(unknown))}",
            step=step,
            where=f"step '{step}': Properties",
            hint="known properties: " + ", ".join(sorted({*_INLINE, *_INLINE_OTHER})),
        )
    for key in ("Parameters", "Tags", "Variables"):
        if not isinstance(properties.get(key) or {}, dict):
            raise _fail(f"'{key}' must be a mapping", step=step, where=f"step '{step}': {key}")


def resolve_config(properties: dict, *, source_dir: Path, variables: dict, step: str) -> StackConfig:
    """Layer the ConfigFile chain and the inline properties into one :class:`StackConfig`.

    ``variables`` are the environment's ``initDeployConfig.variables``; the step's own
    ``Variables`` are merged over them.
    """
    _check_inline(properties, step=step)
    variables = {str(k): _scalar_text(v, step=step, where=f"Variables.{k}")
                 for k, v in {**(variables or {}), **(properties.get("Variables") or {})}.items()}
    missing: set[str] = set()
    merged: dict[str, Any] = {"parameters": {}, "tags": {}}
    chain: list[str] = []
    digests: dict[str, str] = {}
    if properties.get("ConfigFile"):
        merged, chain, digests = _load_chain(source_dir, str(properties["ConfigFile"]), variables, step=step)
    for inline, key in _INLINE.items():
        if properties.get(inline) is not None:
            merged[key] = properties[inline]
    merged["parameters"].update(properties.get("Parameters") or {})
    merged["tags"].update(properties.get("Tags") or {})

    def text(key: str) -> str | None:
        return _text(merged.get(key), variables, missing, step=step, where=key)

    config = StackConfig(
        stack_name=text("stackName") or "",
        template=text("template") or "",
        action=text("action") or "Deploy",
        region=text("region"),
        execution_role_arn=text("executionRoleArn"),
        stack_role_arn=text("stackRoleArn"),
        output_path=text("outputPath"),
        on_failure=text("onFailure"),
        termination_protection=_bool(text("enableTerminationProtection"), step=step,
                                     where="enableTerminationProtection"),
        parameters={k: _param_spec(v, variables, missing, step=step, where=f"parameters.{k}")
                    for k, v in merged["parameters"].items()},
        tags={k: _param_spec(v, variables, missing, step=step, where=f"tags.{k}")
              for k, v in merged["tags"].items()},
        files=tuple(chain),
        file_digests=digests,
        unresolved=tuple(sorted(missing)),
    )
    _validate(config, step=step)
    return config


def _validate(config: StackConfig, *, step: str) -> None:
    where = f"step '{step}'"
    if not config.stack_name:
        raise _fail("no stack name", step=step, where=where,
                    hint="set StackName in the step's Properties or stackName in its ConfigFile")
    if not config.template and config.action == "Deploy":
        raise _fail("no template", step=step, where=where,
                    hint="set Template (a /path in the distribution, https:// or s3:// URL) or 'template' in the ConfigFile")
    if config.action not in _ACTIONS:
        raise _fail(f"Action '{config.action}' is not Deploy or Delete", step=step, where=f"{where}: Action")
    if config.on_failure is not None and config.on_failure not in _ON_FAILURE:
        raise _fail(f"OnFailure '{config.on_failure}' is not one of {', '.join(_ON_FAILURE)}",
                    step=step, where=f"{where}: OnFailure")
