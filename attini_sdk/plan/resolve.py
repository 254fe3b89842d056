"""Find, compile and validate a distribution's plan at package time (called by packaging).

Where the plan comes from, first match wins:

1. ``Distribution(plan=...)``: a :class:`~attini_sdk.plan.Plan`, a
   :class:`~attini_sdk.plan.PlanDefinition` or raw ASL (a dict);
2. ``plan:`` in attini-config: a Python module (``.py``, exposing ``plan``), an
   Attini init template or raw ASL (``.json``/``.yaml``/``.yml``);
3. ``initDeployConfig.template`` (default ``ci-cd/attini-init-deploy.yaml`` when
   it exists) holding an ``Attini::Deploy::DeploymentPlan`` resource. An init
   template without one is a plain stack: the distribution then has no plan.

The result is validated against the distribution's files and declared
dependencies::

    >>> import tempfile, pathlib
    >>> from attini_sdk.config import parse_config
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "plan.yaml").write_text("StartAt: A\\nStates:\\n  A: {Type: Succeed}\\n")
    >>> resolve_plan(root, parse_config({"distributionName": "demo", "plan": "plan.yaml"}), files=["plan.yaml"])
    {'StartAt': 'A', 'States': {'A': {'Type': 'Succeed'}}}
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path, PurePosixPath
from typing import Any

from attini_sdk.errors import PlanError, Problem
from attini_sdk.plan.cfn_yaml import load_yaml
from attini_sdk.plan.definition import PlanDefinition
from attini_sdk.plan.file_paths import config_file_problems
from attini_sdk.plan.loaders import PLAN_TYPE, load_plan, parse_json, plan_from_definition, read_document

DEFAULT_TEMPLATE = "ci-cd/attini-init-deploy.yaml"
"""Attini's default ``initDeployConfig.template``."""

_SUFFIXES = (".py", ".json", ".yaml", ".yml")


def resolve_plan(
    work_dir: Path,
    config: Any,
    plan_arg: Any = None,
    *,
    files: Collection[str] | None = None,
    dependencies: Collection[str] | None = None,
) -> dict | None:
    """The compiled, validated plan as ASL data, or None when the distribution has none.

    ``config`` is the :class:`~attini_sdk.config.AttiniConfig`; ``files`` are the
    distribution's file paths and ``dependencies`` its declared dependency names
    (each check is skipped when None). Raises PlanError listing every problem.
    """
    plan = _from_argument(plan_arg, files, dependencies) if plan_arg is not None else None
    if plan is None and getattr(config, "plan", None):
        plan = _from_file(work_dir, config, config.plan, "plan", files, dependencies)
    if plan is None and plan_arg is None and not getattr(config, "plan", None):
        template = _template_path(work_dir, config)
        if template is not None:
            plan = _from_file(work_dir, config, template, "initDeployConfig.template", files, dependencies)
    if plan is None:
        return None
    problems = config_file_problems(work_dir, plan.definition, files=files,
                                    display=lambda relative: _display(config, relative))
    if problems:
        raise PlanError(problems, hint="ConfigFile paths (extends, template) are relative to the distribution "
                                       "root; fix each listed problem and package again")
    return json.loads(plan.to_json(indent=None))


def _from_argument(plan_arg: Any, files, dependencies) -> PlanDefinition:
    from attini_sdk.plan.builder import Plan

    where = "Distribution(plan=...)"
    if isinstance(plan_arg, Plan):
        compiled = plan_arg.compile(validate=False)
        plan_arg = compiled
    if isinstance(plan_arg, PlanDefinition):
        return _checked(PlanDefinition(plan_arg.definition, source=where), files, dependencies)
    if isinstance(plan_arg, dict):
        try:
            data = json.loads(json.dumps(plan_arg, allow_nan=False))
        except (TypeError, ValueError, RecursionError) as err:
            raise PlanError(f"the plan is not JSON data: {err}", where=where,
                            hint="use only mappings, lists, strings, numbers, booleans and null") from None
        return plan_from_definition(data, source=where, files=files, dependencies=dependencies)
    raise PlanError(f"plan must be a Plan, a PlanDefinition or ASL data (a dict), got {type(plan_arg).__name__}",
                    where=where)


def _checked(plan: PlanDefinition, files, dependencies) -> PlanDefinition:
    return plan.validate(files=files, dependencies=dependencies)


def _display(config: Any, relative: str) -> str:
    """``relative`` as the user knows it: next to the attini-config file when that has a folder."""
    source = str(getattr(config, "source", "") or "")
    parent = PurePosixPath(source.replace("\\", "/")).parent if "/" in source.replace("\\", "/") else None
    return str(parent / relative) if parent and str(parent) != "." else relative


def _from_file(work_dir: Path, config: Any, relative: str, key: str, files, dependencies) -> PlanDefinition:
    relative = relative.lstrip("/")
    where = f"{getattr(config, 'source', 'attini-config')}: {key}"
    path = work_dir / relative
    if path.suffix not in _SUFFIXES:
        raise PlanError(f"'{relative}' is not a .py, .json, .yaml or .yml file", where=where,
                        hint="point it at a Python plan module, an Attini init template or an ASL file")
    if not path.is_file():
        raise PlanError(f"plan file '{relative}' does not exist", where=where,
                        hint="create it or correct the path (relative to the folder holding attini-config)")
    return load_plan(path, source=_display(config, relative), files=files, dependencies=dependencies)


def _template_path(work_dir: Path, config: Any) -> str | None:
    init = getattr(config, "init_deploy", None)
    if init is None:
        return None
    relative = (init.template or DEFAULT_TEMPLATE).lstrip("/")
    path = work_dir / relative
    if not path.is_file():
        if init.template:
            raise PlanError(f"initDeployConfig.template '{relative}' does not exist",
                            where=f"{getattr(config, 'source', 'attini-config')}: initDeployConfig.template",
                            hint="create it or correct the path")
        return None
    if path.suffix not in (".json", ".yaml", ".yml", ".template"):
        return None
    if not _holds_deployment_plan(path, _display(config, relative)):
        return None
    return relative


def _holds_deployment_plan(path: Path, source: str) -> bool:
    text = read_document(path, source)
    if PLAN_TYPE not in text:
        return False
    data = parse_json(text, source) if path.suffix == ".json" else load_yaml(text, file=source)
    resources = data.get("Resources") if isinstance(data, dict) else None
    if not isinstance(resources, dict):
        raise PlanError([Problem("the init template has no Resources", file=source, field="Resources")])
    return any(isinstance(r, dict) and r.get("Type") == PLAN_TYPE for r in resources.values())
