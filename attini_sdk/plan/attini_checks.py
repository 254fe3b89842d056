"""Checks of Attini steps in a compiled plan: known type, properties, files, dependencies.

    >>> list(attini_problems("Db", {"Resource": "attini:cfn", "Parameters": {"StackName": "db",
    ...      "Template": "db.yaml"}}, files={"network.yaml"}, dependencies=None, runners=None))
    [("Template 'db.yaml' is not in the distribution", 'Parameters.Template')]
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator
from typing import Any

from attini_sdk.plan._syntax import path_error
from attini_sdk.plan.attini_types import BY_RESOURCE, DEFAULT_RUNNER
from attini_sdk.plan.file_paths import distribution_path, path_problem

Found = Iterator[tuple[str, str]]


def _plain(properties: dict) -> dict[str, Any]:
    """Property name -> value, folding ``Key.$`` onto ``Key`` (value None: known only at deploy time)."""
    out: dict[str, Any] = {}
    for key, value in properties.items():
        if key.endswith(".$"):
            out[key[:-2]] = None
        else:
            out[key] = value
    return out


def attini_problems(
    name: str,
    body: dict,
    *,
    files: Collection[str] | None,
    dependencies: Collection[str] | None,
    runners: Collection[str] | None,
) -> Found:
    """Problems of one ``attini:`` Task state, as ``(what, field)`` pairs."""
    resource = body["Resource"]
    kind = BY_RESOURCE.get(resource)
    if kind is None:
        known = ", ".join(sorted(BY_RESOURCE))
        close = difflib.get_close_matches(resource, list(BY_RESOURCE), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f"; known: {known}"
        yield f"unknown Attini step resource '{resource}'{hint}", "Resource"
        return
    raw = body.get("Parameters", {})
    if not isinstance(raw, dict):
        yield f"{kind.type} properties must be an object", "Parameters"
        return
    props = _plain(raw)
    for key in props:
        if key not in kind.properties:
            close = difflib.get_close_matches(key, list(kind.properties), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            yield f"{kind.type} has no property '{key}'{hint}", f"Parameters.{key}"
    for group in kind.required:
        if not any(k in props for k in group):
            alt = f" (or {' or '.join(group[1:])})" if len(group) > 1 else ""
            yield f"{kind.type} needs {group[0]}{alt}", "Parameters"
    check = _CHECKS.get(kind.type)
    if check:
        yield from check(props, files=files, dependencies=dependencies, runners=runners)


def _file(props: dict, key: str, files: Collection[str] | None, *, urls: bool) -> Found:
    value = props.get(key)
    if value is None:  # not given, or known only at deploy time (Key.$)
        return
    what = path_problem(key, value, files, urls=urls)
    if what:
        yield what, f"Parameters.{key}"


def _enum(props: dict, key: str, allowed: tuple[str, ...]) -> Found:
    value = props.get(key)
    if value is not None and value not in allowed:
        yield f"{key} must be one of {', '.join(allowed)}, got {value!r}", f"Parameters.{key}"


def _dict(props: dict, key: str) -> Found:
    value = props.get(key)
    if value is not None and not isinstance(value, dict):
        yield f"{key} must be an object", f"Parameters.{key}"


def _cfn(props: dict, *, files, dependencies, runners) -> Found:
    yield from _file(props, "Template", files, urls=True)
    yield from _file(props, "ConfigFile", files, urls=False)
    yield from _enum(props, "Action", ("Deploy", "Delete"))
    yield from _enum(props, "OnFailure", ("DELETE", "ROLLBACK", "DO_NOTHING"))
    yield from _dict(props, "Parameters")
    yield from _dict(props, "Variables")
    etp = props.get("EnableTerminationProtection")
    if etp is not None and not isinstance(etp, bool):
        yield "EnableTerminationProtection must be true or false", "Parameters.EnableTerminationProtection"
    yield from _flag(props, "SkipUnchanged")


def _flag(props: dict, key: str) -> Found:
    value = props.get(key)
    if value is not None and not isinstance(value, bool):
        yield f"{key} must be true or false", f"Parameters.{key}"


def _runner_name(props: dict, runners) -> Found:
    runner = props.get("Runner")
    if runner is None:
        return
    if not isinstance(runner, str):
        yield "Runner must be a runner name", "Parameters.Runner"
    elif runners is not None and runner != DEFAULT_RUNNER and runner not in runners:
        known = ", ".join(sorted(runners)) or "none"
        yield f"Runner '{runner}' is not declared (declared: {known})", "Parameters.Runner"


def _runner(props: dict, *, files, dependencies, runners) -> Found:
    commands = props.get("Commands")
    if "Commands" in props and commands is not None and (
            not isinstance(commands, list) or not commands or not all(isinstance(c, str) for c in commands)):
        yield "Commands must be a non-empty list of strings", "Parameters.Commands"
    yield from _dict(props, "Environment")
    yield from _flag(props, "SkipUnchanged")
    yield from _runner_name(props, runners)


def _lambda(props: dict, *, files, dependencies, runners) -> Found:
    yield from _enum(props, "InvocationType", ("RequestResponse", "Event", "DryRun"))


def _import(props: dict, *, files, dependencies, runners) -> Found:
    source_type = props.get("SourceType")
    yield from _enum(props, "SourceType", ("Distribution", "S3"))
    source = props.get("Source")
    if "Source" in props and source is not None:
        if not isinstance(source, dict):
            yield "Source must be an object", "Parameters.Source"
        elif source_type == "Distribution":
            dist = source.get("Name")
            if not isinstance(dist, str) or not dist:
                yield "Source.Name must name the distribution to import from", "Parameters.Source.Name"
            elif dependencies is not None and dist not in dependencies:
                declared = ", ".join(sorted(dependencies)) or "none"
                yield (f"imports from '{dist}', which is not a declared dependency (declared: {declared}); "
                       f"add it to dependencies in attini-config"), "Parameters.Source.Name"
        elif source_type == "S3":
            for key in ("Bucket", "Key"):
                if key not in source and f"{key}.$" not in source:
                    yield f"an S3 import needs Source.{key}", f"Parameters.Source.{key}"
    mapping = props.get("Mapping")
    if "Mapping" in props and mapping is not None:
        if not isinstance(mapping, dict) or not mapping:
            yield "Mapping must be a non-empty object {output key: JSONPath}", "Parameters.Mapping"
        else:
            for key, path in mapping.items():
                err = path_error(path)
                if err:
                    yield f"bad path: {err}", f"Parameters.Mapping.{key}"


def _sam(props: dict, *, files, dependencies, runners) -> Found:
    yield from _cfn({k: v for k, v in props.items() if k != "Template"}, files=files, dependencies=dependencies,
                    runners=runners)
    project = props.get("Project")
    if "Project" in props and project is not None:
        path = project.get("Path") if isinstance(project, dict) else None
        if not isinstance(path, str):
            yield "Project needs Path (the SAM project folder)", "Parameters.Project.Path"
        elif path.strip("/") and distribution_path(path) is None:
            yield f"Project.Path '{path}' climbs out of the distribution", "Parameters.Project.Path"
        elif files is not None:
            folder = path.strip("/").rstrip("/") + "/"
            if folder != "/" and not any(f.startswith(folder) for f in files):
                yield f"Project.Path '{path}' is not a folder in the distribution", "Parameters.Project.Path"
    yield from _runner_name(props, runners)


def _cdk(props: dict, *, files, dependencies, runners) -> Found:
    path = props.get("Path")
    if isinstance(path, str) and path.strip("/").removeprefix("./") and files is not None:
        folder = distribution_path(path)
        if folder is None:
            yield f"Path '{path}' climbs out of the distribution", "Parameters.Path"
        elif not any(f.startswith(folder.rstrip("/") + "/") for f in files):
            yield f"Path '{path}' is not a folder in the distribution", "Parameters.Path"
    stacks = props.get("Stacks")
    if "Stacks" in props and not (isinstance(stacks, list) and all(isinstance(s, str) for s in stacks)):
        yield "Stacks must be a list of stack names", "Parameters.Stacks"
    diff = props.get("Diff")
    if "Diff" in props and not (isinstance(diff, dict) and set(diff) <= {"Enabled"}
                                and isinstance(diff.get("Enabled", False), bool)):
        yield "Diff must be {Enabled: true|false}", "Parameters.Diff"
    yield from _dict(props, "Context")
    yield from _dict(props, "Environment")
    yield from _flag(props, "SkipUnchanged")
    yield from _runner_name(props, runners)


_CHECKS = {
    "AttiniCfn": _cfn,
    "AttiniRunnerJob": _runner,
    "AttiniLambdaInvoke": _lambda,
    "AttiniImport": _import,
    "AttiniSam": _sam,
    "AttiniCdk": _cdk,
}
