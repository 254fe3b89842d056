"""Distribution files a plan names: Template, ConfigFile, a ConfigFile's ``extends`` and ``template``.

Attini reads a Template ``my/template.yaml`` and ``/my/template.yaml`` alike, from the root of the
distribution; we read every file path that way (Attini refuses a ConfigFile path without the ``/``). A path
that climbs out of the distribution (``../x``, ``/a/../../x``) is refused, at package time and again at
deploy time; Attini would look such a key up in S3, we are stricter::

    >>> distribution_path("cfn/app.yaml"), distribution_path("/cfn/./app.yaml")
    ('cfn/app.yaml', 'cfn/app.yaml')
    >>> distribution_path("/a/../../x") is None
    True

At package time :func:`config_file_problems` also opens each ConfigFile a Cfn step names and checks the
files its ``extends`` chain and ``template`` name (paths with a ``${variable}`` are known only at deploy
time: they are checked for climbing out only).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import attrs

from attini_sdk.errors import Problem

__all__ = ["distribution_path", "is_dynamic", "path_problem", "config_file_problems"]

_URLS = ("https://", "s3://")
_CFN = ("attini:cfn", "attini:sam")


def distribution_path(value: str) -> str | None:
    """``value`` relative to the distribution root (a leading ``/`` or none), normalised; None when it
    climbs out of the distribution or names its root."""
    normal = posixpath.normpath(value.replace("\\", "/").lstrip("/"))
    if normal == "." or normal == ".." or normal.startswith("../"):
        return None
    return normal


def is_dynamic(value: str) -> bool:
    """True when the path holds a ``${variable}``, substituted at deploy time.

    >>> is_dynamic("/config/${env}.yaml"), is_dynamic("/config/dev.yaml")
    (True, False)
    """
    return "${" in value


def path_problem(key: str, value: Any, files: Collection[str] | None, *, urls: bool) -> str | None:
    """What is wrong with one file property (``Template``, ``ConfigFile``, ``extends``), or None.

    >>> path_problem("Template", "../t.yaml", None, urls=True)
    "Template '../t.yaml' climbs out of the distribution (paths are relative to its root, with or without a leading '/')"
    >>> path_problem("ConfigFile", "cfg/db.yaml", {"cfg/db.yaml"}, urls=False) is None
    True
    """
    if not isinstance(value, str):
        return f"{key} must be a string"
    if urls and value.startswith(_URLS):
        return None
    if "://" in value:
        allowed = "a path in the distribution" + (", an https:// or an s3:// URL" if urls else "")
        return f"{key} '{value}' must be {allowed}"
    relative = distribution_path(value)
    if relative is None:
        return (f"{key} '{value}' climbs out of the distribution (paths are relative to its root, with or "
                "without a leading '/')")
    if files is not None and not is_dynamic(value) and relative not in files:
        return f"{key} '{value}' is not in the distribution"
    return None


def config_file_problems(root: Path, definition: dict, *, files: Collection[str] | None,
                         display: Callable[[str], str] = str) -> list[Problem]:
    """Problems in the ConfigFiles that Cfn steps name: unreadable files, ``extends`` and ``template`` paths.

    Every problem names the config file (as ``display`` shows a distribution path), the step and the field.
    ``root`` is the distribution folder.
    """
    from attini_sdk.plan.walk import states

    problems: list[Problem] = []
    for ref in states(definition):
        body = ref.body
        params = body.get("Parameters") if body.get("Resource") in _CFN else None
        path = params.get("ConfigFile") if isinstance(params, dict) else None
        if isinstance(path, str) and not is_dynamic(path) and distribution_path(path) is not None:
            problems.extend(attrs.evolve(p, file=display(p.file)) for p in _chain(root, path, ref.name, files))
    return problems


def _chain(root: Path, path: str, state: str, files: Collection[str] | None) -> Iterator[Problem]:
    """Follow one ConfigFile's ``extends`` chain as far as it is known before deploy time."""
    seen: list[str] = []
    current: str | None = distribution_path(path)
    while current is not None and current not in seen:
        seen.append(current)
        data, error = _read(root / current)
        if error is not None:
            yield Problem(error, file=current, state=state)
            return
        for key, urls in (("template", True), ("templatePath", True)):
            value = data.get(key)
            if value is not None and not (isinstance(value, str) and is_dynamic(value)):
                what = path_problem(key, value, files, urls=urls)
                if what:
                    yield Problem(what, file=current, state=state, field=key)
        parent = data.get("extends")
        if parent is None:
            return
        what = path_problem("extends", parent, files, urls=False)
        if what:
            yield Problem(what, file=current, state=state, field="extends")
            return
        current = None if is_dynamic(parent) else distribution_path(parent)


def _read(file: Path) -> tuple[dict, str | None]:
    """A ConfigFile's mapping, read as the Cfn step reads it (.yaml/.yml YAML, anything else JSON)."""
    import yaml

    if not file.is_file():
        return {}, None  # its absence is reported against the step's ConfigFile (or the extends) already
    try:
        text = file.read_text(encoding="utf-8")
        data = yaml.safe_load(text) if file.suffix in (".yaml", ".yml") else json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as err:
        return {}, f"the config file cannot be read: {str(err).splitlines()[0]}"
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return {}, "a config file must hold a mapping of keys"
    return data, None
