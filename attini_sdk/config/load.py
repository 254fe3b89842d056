"""attini-config: the file at the root of every distribution, loaded and validated.

A distribution folder holds exactly one ``attini-config.yaml``, ``.yml`` or ``.json``. It is read,
``${environment}``, ``${distributionName}`` and ``${distributionId}`` are substituted, and every key
is checked into frozen values::

    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "attini-config.yaml").write_text(
    ...     "distributionName: network\\nversion: 1.0.0\\n"
    ...     "initDeployConfig:\\n  parameters:\\n    default: {Size: small}\\n    prod: {Size: large}\\n")
    >>> config = load_config(d)
    >>> config.distribution_name, config.version
    ('network', '1.0.0')
    >>> config.init_deploy.parameters.for_environment("prod")
    {'Size': 'large'}

Errors are :class:`~attini_sdk.errors.ConfigError` naming the file and the key. Keys we do not know
give a :class:`ConfigWarning` with a did-you-mean (an error with ``strict=True``).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from attini_sdk.config import limits, semver
from attini_sdk.errors import ConfigError

__all__ = [
    "CONFIG_FILE_NAMES",
    "AttiniConfig",
    "ConfigWarning",
    "Dependency",
    "EnvironmentValues",
    "InitDeployConfig",
    "PackageConfig",
    "find_config_file",
    "load_config",
    "parse_config",
]

CONFIG_FILE_NAMES = ("attini-config.yaml", "attini-config.yml", "attini-config.json")
NAME_PATTERN = r"^[a-zA-Z][-a-zA-Z0-9]{0,127}$"
ENVIRONMENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_MAX_FILE_BYTES = 1 << 20
_MAX_NODES = 100_000
_VARIABLES = ("environment", "distributionName", "distributionId")
_MAX_UNKNOWN_NOTES = 20  # one warning per unknown key, then one for the rest


class ConfigWarning(UserWarning):
    """A key in attini-config is unknown or accepted but not honoured (yet)."""


def _frozen_map(value: Mapping | None) -> Mapping:
    return MappingProxyType(dict(value or {}))


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value


@attrs.frozen
class Dependency:
    """A distribution this one needs in the same environment, with an npm-style version range.

    >>> dep = Dependency("network", ">=1.0.0")
    >>> dep.accepts("1.2.0"), dep.accepts("0.9.0")
    (True, False)

    A distribution without a version satisfies only a dependency without a range (Attini's rule):

    >>> Dependency("network").accepts(None), dep.accepts(None)
    (True, False)
    """

    distribution_name: str
    version: str = "*"

    @property
    def range(self) -> semver.Range:
        """The parsed version range."""
        return semver.parse_range(self.version)

    @property
    def constrained(self) -> bool:
        """False when the range is ``*``, ``x`` or empty: any deployment of the dependency will do."""
        return all(self.range.sets)

    def accepts(self, version: str | None) -> bool:
        """Whether a deployed ``version`` of the dependency (None: it has none) satisfies the range."""
        if version is None:
            return not self.constrained
        return self.range.test(version)

    def to_data(self) -> dict:
        """Attini's form: ``{"distributionName": ..., "version": ...}``."""
        return {"distributionName": self.distribution_name, "version": self.version}


@attrs.frozen(hash=False)
class EnvironmentValues:
    """Values with a ``default`` section and per-environment sections merged over it.

    >>> v = EnvironmentValues(default={"A": "1", "B": "2"}, environments={"prod": {"B": "3"}})
    >>> v.for_environment("prod"), v.for_environment("dev")
    ({'A': '1', 'B': '3'}, {'A': '1', 'B': '2'})
    """

    default: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_map)
    environments: Mapping[str, Mapping[str, Any]] = attrs.field(
        factory=dict, converter=lambda m: MappingProxyType({k: _frozen_map(v) for k, v in (m or {}).items()})
    )

    def for_environment(self, environment: str | None) -> dict[str, Any]:
        """The default values with the environment's own values merged over them, key by key."""
        merged = _thaw(self.default)
        if environment is not None:
            merged.update(_thaw(self.environments.get(environment, {})))
        return merged

    def to_data(self) -> dict:
        data = {"default": _thaw(self.default)} if self.default else {}
        data.update({env: _thaw(v) for env, v in self.environments.items()})
        return data

    def __bool__(self) -> bool:
        return bool(self.default or self.environments)


@attrs.frozen(hash=False)
class InitDeployConfig:
    """``initDeployConfig``: the init template and per-environment parameters, tags and variables.

    >>> InitDeployConfig(template="deployment-plan.yaml").force_update
    False
    """

    template: str | None = None
    stack_name: str | None = None
    force_update: bool = False
    parameters: EnvironmentValues = attrs.field(factory=EnvironmentValues)
    tags: EnvironmentValues = attrs.field(factory=EnvironmentValues)
    variables: EnvironmentValues = attrs.field(factory=EnvironmentValues)

    def to_data(self) -> dict:
        data: dict[str, Any] = {}
        if self.template is not None:
            data["template"] = self.template
        if self.stack_name is not None:
            data["stackName"] = self.stack_name
        if self.force_update:
            data["forceUpdate"] = True
        for key in ("parameters", "tags", "variables"):
            if getattr(self, key):
                data[key] = getattr(self, key).to_data()
        return data


@attrs.frozen(hash=False)
class PackageConfig:
    """``package``: shell commands run before and after packaging, in a temporary copy.

    >>> PackageConfig(pre_package=("echo hi",)).pre_package
    ('echo hi',)
    """

    pre_package: tuple[str, ...] = ()
    post_package: tuple[str, ...] = ()
    container: Mapping[str, Any] | None = None

    def to_data(self) -> dict:
        data: dict[str, Any] = {}
        if self.container is not None:
            data["container"] = _thaw(self.container)
        if self.pre_package:
            data["prePackage"] = {"commands": list(self.pre_package)}
        if self.post_package:
            data["postPackage"] = {"commands": list(self.post_package)}
        return data


@attrs.frozen(hash=False)
class AttiniConfig:
    """A validated attini-config.

    ``to_data()`` gives it back in Attini's camelCase form (this is what the artifact's manifest
    records); ``substitute(environment=..., distribution_id=...)`` resolves the variables that are
    only known at deploy time.

    >>> cfg = parse_config({"distributionName": "app", "version": "1.0.0",
    ...                     "initDeployConfig": {"stackName": "${environment}-app"}})
    >>> cfg.substitute(environment="dev").init_deploy.stack_name
    'dev-app'
    """

    distribution_name: str
    version: str | None = None
    distribution_tags: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    dependencies: tuple[Dependency, ...] = ()
    init_deploy: InitDeployConfig | None = None
    package: PackageConfig = attrs.field(factory=PackageConfig)
    plan: str | None = None
    distribution_type: str = "platform"
    app_deployment_plan: str | None = None
    app_config: EnvironmentValues | None = None
    source: str = attrs.field(default="attini-config", eq=False)
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False, converter=_frozen_map)

    def to_data(self) -> dict:
        """The config as plain JSON-able data with Attini's key names; defaults are left out."""
        data: dict[str, Any] = {"distributionName": self.distribution_name}
        if self.version is not None:
            data["version"] = self.version
        if self.distribution_tags:
            data["distributionTags"] = _thaw(self.distribution_tags)
        if self.distribution_type != "platform":
            data["distributionType"] = self.distribution_type
        if self.app_deployment_plan is not None:
            data["appDeploymentPlan"] = self.app_deployment_plan
        if self.app_config is not None:
            data["appConfig"] = self.app_config.to_data()
        if self.dependencies:
            data["dependencies"] = [d.to_data() for d in self.dependencies]
        if self.init_deploy is not None:
            data["initDeployConfig"] = self.init_deploy.to_data()
        if self.package.to_data():
            data["package"] = self.package.to_data()
        if self.plan is not None:
            data["plan"] = self.plan
        return data

    def substitute(self, *, environment: str | None = None, distribution_id: str | None = None) -> AttiniConfig:
        """A copy with ``${environment}`` and ``${distributionId}`` replaced everywhere."""
        return parse_config(_thaw(self.raw), source=self.source, environment=environment,
                            distribution_id=distribution_id, warn=False)

    def dependency(self, name: str) -> Dependency | None:
        """The declared dependency called ``name``, or None."""
        return next((d for d in self.dependencies if d.distribution_name == name), None)


# --- loading ------------------------------------------------------------------------------


def find_config_file(directory: str | os.PathLike) -> Path:
    """The one attini-config file at the root of ``directory``.

    Raises :class:`ConfigError` when there is none, or more than one (naming both).
    """
    root = Path(directory)
    if not root.is_dir():
        raise ConfigError(f"'{root}' is not a directory",
                          hint="give the path of a distribution folder holding attini-config.yaml")
    found = [root / n for n in CONFIG_FILE_NAMES if (root / n).is_file()]
    if not found:
        raise ConfigError(f"no attini-config.yaml, .yml or .json in '{root}'",
                          hint="create attini-config.yaml with at least 'distributionName' (and 'version' if you want one)")
    if len(found) > 1:
        names = " and ".join(f"'{p.name}'" for p in found)
        raise ConfigError(f"{names} are both present in '{root}'; there must be exactly one",
                          hint="delete or rename all but one of them")
    return found[0]


def load_config(
    path: str | os.PathLike,
    *,
    environment: str | None = None,
    distribution_id: str | None = None,
    strict: bool = False,
) -> AttiniConfig:
    """Load and validate the attini-config of a distribution folder (or the file itself).

    ``${environment}`` and ``${distributionId}`` are substituted only when given; unknown keys warn
    (:class:`ConfigWarning`) unless ``strict=True``, which makes them errors.
    """
    path = Path(path)
    file = find_config_file(path) if path.is_dir() else path
    data = read_config_data(file)
    return parse_config(data, source=str(file), environment=environment,
                        distribution_id=distribution_id, strict=strict)


def read_config_data(file: Path) -> Any:
    """The parsed (not yet validated) content of a config file, YAML or JSON."""
    try:
        size = file.stat().st_size
        if size > _MAX_FILE_BYTES:
            raise ConfigError(f"the file is {size} bytes; the limit is {_MAX_FILE_BYTES}", where=str(file),
                              hint="attini-config holds settings, not data; move large content to other files")
        text = file.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", where=str(file), hint="check the path") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"not UTF-8 text ({err.reason} at byte {err.start})", where=str(file),
                          hint="save the file as UTF-8") from None
    except OSError as err:
        raise ConfigError(f"cannot read the file: {err.strerror}", where=str(file)) from None
    if file.suffix == ".json":
        try:
            return limits.json_loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"invalid JSON: {err.msg} (line {err.lineno}, column {err.colno})",
                              where=str(file), hint="fix the JSON syntax") from None
        except limits.LimitExceeded as err:
            raise ConfigError(f"the JSON {err}", where=str(file), hint=_LIMIT_HINT) from None
    return _load_yaml(text, file)


_LIMIT_HINT = "attini-config holds settings; keep it small and plain (see Limits in docs/artifacts.md)"


def _load_yaml(text: str, file: Path) -> Any:
    import yaml

    from attini_sdk.config.yaml_doc import DuplicateKeys, load_document, yaml_problem

    try:
        return load_document(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"invalid YAML: {yaml_problem(err)}", where=str(file), hint="fix the YAML syntax") from None
    except DuplicateKeys as err:
        raise ConfigError(str(err), where=str(file),
                          hint="keep one of them: YAML keeps only the last, so the first would be ignored "
                               "(Attini refuses such files too)") from None
    except limits.LimitExceeded as err:
        raise ConfigError(f"the YAML {err}", where=str(file), hint=_LIMIT_HINT) from None


def parse_config(
    data: Any,
    *,
    source: str = "attini-config",
    environment: str | None = None,
    distribution_id: str | None = None,
    strict: bool = False,
    warn: bool = True,
) -> AttiniConfig:
    """Validate already-parsed config data (a dict) into an :class:`AttiniConfig`.

    >>> parse_config({"distributionName": "db", "version": "2.1.0",
    ...               "dependencies": [{"distributionName": "network", "version": ">=1.0.0"}]}).dependencies
    (Dependency(distribution_name='network', version='>=1.0.0'),)
    """
    ctx = _Ctx(source, strict, warn)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {_typename(data)}"
        raise ConfigError(f"the file is {kind}; it must be a mapping of keys", where=source,
                          hint="start with 'distributionName: my-dist' (a 'version: 1.0.0' is optional)")
    _count_nodes(data, source)
    raw = data
    name = raw.get("distributionName")
    if isinstance(name, str) and "${" not in name:
        data = _substitute(data, {"distributionName": name, "environment": environment,
                                  "distributionId": distribution_id})
    return _build(ctx, data, raw)


def _count_nodes(data: Any, source: str) -> None:
    # YAML aliases can make a small file describe an enormous tree ("billion laughs").
    stack, seen = [data], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > _MAX_NODES:
            raise ConfigError(f"the config expands to more than {_MAX_NODES} values", where=source,
                              hint="YAML anchors/aliases are expanded; keep the config small")
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _substitute(value: Any, variables: dict[str, str | None]) -> Any:
    if isinstance(value, str):
        for key, replacement in variables.items():
            if replacement is not None:
                value = value.replace("${" + key + "}", replacement)
        return value
    if isinstance(value, dict):
        return {_substitute(k, variables): _substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, variables) for v in value]
    return value


# --- validation ---------------------------------------------------------------------------

TOP_LEVEL_KEYS = ("distributionName", "distributionId", "version", "distributionTags", "distributionType",
                  "appDeploymentPlan", "appConfig", "dependencies", "initDeployConfig", "package", "plan")
_INIT_KEYS = ("template", "stackName", "forceUpdate", "parameters", "tags", "variables")
_PACKAGE_KEYS = ("container", "prePackage", "postPackage")


@attrs.define
class _Ctx:
    source: str
    strict: bool
    warn: bool

    def error(self, key: str, what: str, hint: str | None = None) -> ConfigError:
        return ConfigError(what, where=f"{self.source}: {key}" if key else self.source, hint=hint)

    def note(self, key: str, message: str) -> None:
        if self.warn:
            text = f"{self.source}: {key}: {message}"
            if len(text) > 500:  # a hostile key can be a megabyte long
                text = f"{text[:300]}... ({len(text):,} characters)"
            warnings.warn(text, ConfigWarning, stacklevel=4)

    def check_keys(self, prefix: str, data: dict, known: tuple[str, ...]) -> None:
        import difflib

        unknown = 0
        for key in data:
            if not isinstance(key, str):
                raise self.error(prefix or "(top level)", f"key {key!r} is a {_typename(key)}, keys must be strings")
            if key in known:
                continue
            unknown += 1
            if unknown > _MAX_UNKNOWN_NOTES and not self.strict:
                self.note(prefix or "(top level)", f"{len(set(data) - set(known)) - _MAX_UNKNOWN_NOTES} more unknown "
                                                   "keys are ignored")
                return
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            mean = f"; did you mean '{close[0]}'?" if close else ""
            where = f"{prefix}.{key}" if prefix else key
            if self.strict:
                raise self.error(where, f"unknown key '{key}'{mean}",
                                 hint=f"known keys here: {', '.join(known)}; or run without --strict")
            self.note(where, f"unknown key '{key}' is ignored{mean}")


def _typename(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)


def _build(ctx: _Ctx, data: dict, raw: dict) -> AttiniConfig:
    ctx.check_keys("", data, TOP_LEVEL_KEYS)
    if "distributionId" in data:
        ctx.note("distributionId", "ignored: the distribution id is the digest of the packaged content")
    dist_type = _choice(ctx, data, "distributionType", ("platform", "app"), "platform")
    if dist_type == "app":
        ctx.note("distributionType", "app distributions are accepted but not honoured yet; packaged as platform")
    deps = _dependencies(ctx, data.get("dependencies"))
    name = _name(ctx, data)
    if any(d.distribution_name == name for d in deps):
        raise ctx.error("dependencies", f"'{name}' depends on itself", hint="remove that dependency")
    return AttiniConfig(
        distribution_name=name,
        version=_version(ctx, data.get("version")),
        distribution_tags=_string_map(ctx, "distributionTags", data.get("distributionTags")),
        dependencies=deps,
        init_deploy=_init_deploy(ctx, data.get("initDeployConfig"), deps),
        package=_package(ctx, data.get("package")),
        plan=_relative_path(ctx, "plan", data.get("plan")),
        distribution_type=dist_type,
        app_deployment_plan=_optional_str(ctx, "appDeploymentPlan", data.get("appDeploymentPlan")),
        app_config=_app_config(ctx, data.get("appConfig")),
        source=ctx.source,
        raw=raw,
    )


def _name(ctx: _Ctx, data: dict, key: str = "distributionName") -> str:
    if key not in data or data[key] is None:
        raise ctx.error(key, "distributionName is missing",
                        hint="add e.g. 'distributionName: network' (a letter, then letters, digits or '-')")
    return _check_name(ctx, key, data[key])


def _check_name(ctx: _Ctx, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ctx.error(key, f"must be a string, got {_typename(value)} {value!r}")
    if not re.match(NAME_PATTERN, value):
        raise ctx.error(key, f"'{value}' is not a valid distribution name",
                        hint="start with a letter, then letters, digits or '-', at most 128 characters")
    return value


def _version(ctx: _Ctx, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ctx.error("version", f"must be a string, got {_typename(value)} {value!r}",
                        hint="quote it, e.g. version: \"1.0.0\"")
    try:
        semver.Version.parse(value)
    except ConfigError as err:
        raise ctx.error("version", err.what, hint=err.hint) from None
    return value.strip()


def _choice(ctx: _Ctx, data: dict, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = data.get(key, default)
    if value not in allowed:
        raise ctx.error(key, f"must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _optional_str(ctx: _Ctx, key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ctx.error(key, f"must be a non-empty string, got {_typename(value)} {value!r}")
    if key == "appDeploymentPlan":
        ctx.note(key, "app deployment plans are accepted but not honoured yet")
    return value


def _relative_path(ctx: _Ctx, key: str, value: Any) -> str | None:
    """A file of the distribution: relative to its root with or without a leading ``/`` (as in Attini)."""
    value = _optional_str(ctx, key, value)
    if value is None:
        return None
    path = posixpath.normpath(value.lstrip("/"))
    if path in (".", "..") or path.startswith("../") or "\\" in value:
        raise ctx.error(key, f"'{value}' climbs out of the distribution: it must be a path inside the distribution",
                        hint="use a path relative to the folder holding attini-config, e.g. deployment-plan.yaml "
                             "(we are stricter than Attini here, which does not check)")
    return path


def _scalar(ctx: _Ctx, key: str, value: Any) -> str | int | float | bool:
    if isinstance(value, (str, bool, int, float)):
        return value
    raise ctx.error(key, f"must be a string, number or boolean, got {_typename(value)}",
                    hint="quote the value or remove the key")


def _mapping(ctx: _Ctx, key: str, value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ctx.error(key, f"must be a mapping, got {_typename(value)} {value!r}"[:200])
    for k in value:
        if not isinstance(k, str) or not k:
            raise ctx.error(key, f"key {k!r} must be a non-empty string")
    return value


def _string_map(ctx: _Ctx, key: str, value: Any) -> dict[str, str]:
    out = {}
    for k, v in _mapping(ctx, key, value).items():
        v = _scalar(ctx, f"{key}.{k}", v)
        out[k] = ("true" if v else "false") if isinstance(v, bool) else str(v)
    return out


def _dependencies(ctx: _Ctx, value: Any) -> tuple[Dependency, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ctx.error("dependencies", f"must be a list, got {_typename(value)}",
                        hint="write '- distributionName: network\\n  version: \">=1.0.0\"'")
    deps: list[Dependency] = []
    for i, item in enumerate(value):
        key = f"dependencies[{i}]"
        if not isinstance(item, dict):
            raise ctx.error(key, f"must be a mapping with distributionName and version, got {_typename(item)}")
        ctx.check_keys(key, item, ("distributionName", "version"))
        if item.get("distributionName") is None:
            raise ctx.error(f"{key}.distributionName", "distributionName is missing")
        name = _check_name(ctx, f"{key}.distributionName", item["distributionName"])
        version = item.get("version", "*")
        try:
            semver.Range.parse(version)
        except ConfigError as err:
            raise ctx.error(f"{key}.version", err.what, hint=err.hint) from None
        if any(d.distribution_name == name for d in deps):
            raise ctx.error(key, f"'{name}' is listed twice", hint="keep one entry per dependency")
        deps.append(Dependency(name, version))
    return tuple(deps)


def _env_values(ctx: _Ctx, key: str, value: Any, check) -> EnvironmentValues:
    sections = _mapping(ctx, key, value)
    default, envs = {}, {}
    for env, values in sections.items():
        if env != "default" and not re.match(ENVIRONMENT_PATTERN, env):
            raise ctx.error(f"{key}.{env}", f"'{env}' is not a valid environment name",
                            hint="use 'default' or an environment name (letters, digits, '-', '_', '.')")
        section = {}
        for k, v in _mapping(ctx, f"{key}.{env}", values).items():
            section[k] = check(f"{key}.{env}.{k}", v)
        if env == "default":
            default = section
        else:
            envs[env] = section
    return EnvironmentValues(default=default, environments=envs)


def _init_deploy(ctx: _Ctx, value: Any, deps: tuple[Dependency, ...]) -> InitDeployConfig | None:
    if value is None:
        return None
    data = _mapping(ctx, "initDeployConfig", value)
    ctx.check_keys("initDeployConfig", data, _INIT_KEYS)
    force = data.get("forceUpdate", False)
    if not isinstance(force, bool):
        raise ctx.error("initDeployConfig.forceUpdate", f"must be true or false, got {force!r}")

    def parameter(key: str, v: Any) -> Any:
        if isinstance(v, dict):
            return _distribution_parameter(ctx, key, v, deps)
        return _scalar(ctx, key, v)

    def tag(key: str, v: Any) -> str:
        v = _scalar(ctx, key, v)
        return ("true" if v else "false") if isinstance(v, bool) else str(v)

    return InitDeployConfig(
        template=_relative_path(ctx, "initDeployConfig.template", data.get("template")),
        stack_name=_optional_str(ctx, "initDeployConfig.stackName", data.get("stackName")),
        force_update=force,
        parameters=_env_values(ctx, "initDeployConfig.parameters", data.get("parameters"), parameter),
        tags=_env_values(ctx, "initDeployConfig.tags", data.get("tags"), tag),
        variables=_env_values(ctx, "initDeployConfig.variables", data.get("variables"),
                              lambda k, v: _scalar(ctx, k, v)),
    )


def _distribution_parameter(ctx: _Ctx, key: str, value: dict, deps: tuple[Dependency, ...]) -> dict:
    # {sourceType: Distribution, source: {name: <dependency>, mapping: <JSONPath>}}
    hint = "write {sourceType: Distribution, source: {name: <dependency>, mapping: $.SomeOutput}}"
    ctx.check_keys(key, value, ("sourceType", "source"))
    if value.get("sourceType") != "Distribution":
        raise ctx.error(f"{key}.sourceType", f"must be 'Distribution', got {value.get('sourceType')!r}", hint=hint)
    source = value.get("source")
    if not isinstance(source, dict):
        raise ctx.error(f"{key}.source", "must be a mapping with 'name' and 'mapping'", hint=hint)
    ctx.check_keys(f"{key}.source", source, ("name", "mapping"))
    name = _check_name(ctx, f"{key}.source.name", source.get("name"))
    if not any(d.distribution_name == name for d in deps):
        raise ctx.error(f"{key}.source.name", f"'{name}' is not a declared dependency",
                        hint=f"add '{name}' to dependencies")
    mapping = source.get("mapping")
    if not isinstance(mapping, str) or not mapping.startswith("$"):
        raise ctx.error(f"{key}.source.mapping", f"must be a JSONPath starting with '$', got {mapping!r}", hint=hint)
    return {"sourceType": "Distribution", "source": {"name": name, "mapping": mapping}}


def _commands(ctx: _Ctx, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    data = _mapping(ctx, key, value)
    ctx.check_keys(key, data, ("commands",))
    commands = data.get("commands", [])
    if isinstance(commands, str):
        commands = [commands]
    if not isinstance(commands, list):
        raise ctx.error(f"{key}.commands", f"must be a list of shell commands, got {_typename(commands)}")
    for i, c in enumerate(commands):
        if not isinstance(c, str):
            raise ctx.error(f"{key}.commands[{i}]", f"must be a string, got {_typename(c)} {c!r}",
                            hint="quote the command")
    return tuple(commands)


def _package(ctx: _Ctx, value: Any) -> PackageConfig:
    data = _mapping(ctx, "package", value)
    ctx.check_keys("package", data, _PACKAGE_KEYS)
    container = data.get("container")
    if container is not None:
        container = _mapping(ctx, "package.container", container)
        ctx.check_keys("package.container", container, ("image", "loginCommands", "options"))
        ctx.note("package.container", "container builds are not supported; commands run on this machine")
    return PackageConfig(
        pre_package=_commands(ctx, "package.prePackage", data.get("prePackage")),
        post_package=_commands(ctx, "package.postPackage", data.get("postPackage")),
        container=container,
    )


def _app_config(ctx: _Ctx, value: Any) -> EnvironmentValues | None:
    if value is None:
        return None
    ctx.note("appConfig", "accepted but not honoured yet")
    return _env_values(ctx, "appConfig", value, lambda k, v: v)
