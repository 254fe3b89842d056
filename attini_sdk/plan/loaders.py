"""Load a plan from a file: a Python module, an Attini init template, or raw ASL.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "plan.asl.json").write_text(
    ...     '{"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "End": true}}}')
    >>> load_plan(folder / "plan.asl.json", source="plan.asl.json").state_names()
    ['Hi']
"""

from __future__ import annotations

import json
import runpy
import sys
from collections.abc import Collection
from pathlib import Path
from typing import Any

from attini_sdk.config import limits
from attini_sdk.errors import PlanError, Problem
from attini_sdk.plan.asl_form import attrs_with_file, compile_states_form
from attini_sdk.plan.cfn_intrinsics import Resolver
from attini_sdk.plan.cfn_yaml import LIMIT_HINT, load_yaml
from attini_sdk.plan.definition import PlanDefinition
from attini_sdk.plan.simple_syntax import is_simple, to_states_form
from attini_sdk.plan.validate import validate_definition

PLAN_TYPE = "Attini::Deploy::DeploymentPlan"
RUNNER_TYPE = "Attini::Deploy::Runner"


def load_plan(
    path: str | Path,
    *,
    source: str | None = None,
    files: Collection[str] | None = None,
    dependencies: Collection[str] | None = None,
    validate: bool = True,
) -> PlanDefinition:
    """Load, compile and (by default) validate the plan in ``path``.

    ``.py`` files are run and must define ``plan`` (a :class:`~attini_sdk.plan.Plan`,
    a :class:`PlanDefinition` or an ASL dict). YAML/JSON files holding
    ``Resources`` are Attini init templates; others must be ASL
    (``StartAt``/``States``). ``source`` is the name used in messages (default:
    the path). Raises PlanError listing every problem found.
    """
    path = Path(path)
    name = source or str(path)
    if not path.is_file():
        raise PlanError([Problem(f"plan file '{path}' does not exist", file=name)],
                        hint="check the 'plan' (or initDeployConfig.template) path in attini-config")
    if path.suffix == ".py":
        plan = _python_plan(path, name)
    else:
        data = _parse(read_document(path, name), path, name)
        if isinstance(data, dict) and "Resources" in data:
            plan = load_template_data(data, source=name, validate=False)
        elif isinstance(data, dict):
            plan = plan_from_definition(data, source=name, validate=False)
        else:
            raise PlanError([Problem("a plan file must be a mapping with StartAt and States (ASL), "
                                     "or a template with Resources", file=name)])
    return _validated(plan, name, files, dependencies) if validate else plan


def read_document(path: Path, name: str) -> str:
    """The UTF-8 text of a plan or template file, within the size limit; PlanError naming the file otherwise."""
    try:
        return limits.decode_text(path.read_bytes())
    except limits.LimitExceeded as err:
        raise PlanError([Problem(f"the file {err}", file=name)],
                        hint="save it as UTF-8 text (see Limits in docs/artifacts.md)") from None
    except OSError as err:
        raise PlanError([Problem(f"cannot read the file: {err.strerror}", file=name)]) from None


def _parse(text: str, path: Path, name: str) -> Any:
    if path.suffix == ".json":
        return parse_json(text, name)
    return load_yaml(text, file=name)


def parse_json(text: str, name: str) -> Any:
    """JSON plan or template text, parsed within the limits; PlanError naming the file otherwise."""
    try:
        return limits.json_loads(text)
    except json.JSONDecodeError as err:
        raise PlanError([Problem(f"invalid JSON: {err.msg} (line {err.lineno}, column {err.colno})",
                                 file=name)], hint="fix the JSON syntax") from None
    except limits.LimitExceeded as err:
        raise PlanError([Problem(f"the document {err}", file=name)], hint=LIMIT_HINT) from None


def _python_plan(path: Path, name: str) -> PlanDefinition:
    from attini_sdk.plan.builder import Plan

    sys.path.insert(0, str(path.parent))  # the module may import its neighbours
    try:
        namespace = runpy.run_path(str(path), run_name="attini_plan")
    except PlanError as err:
        raise PlanError([attrs_with_file(p, name) for p in err.problems]) from None
    except Exception as err:  # the user's module failed: say where, keep the cause
        raise PlanError([Problem(f"running the plan module failed: {type(err).__name__}: {err}", file=name)],
                        hint="run the module with python to see the traceback") from err
    finally:
        sys.path.remove(str(path.parent))
    plan = namespace.get("plan")
    if isinstance(plan, Plan):
        try:
            compiled = plan.compile(validate=False)
        except PlanError as err:
            raise PlanError([attrs_with_file(p, name) for p in err.problems]) from None
        return PlanDefinition(compiled.definition, source=name, depends_on=compiled.depends_on,
                              lost_concurrency=compiled.lost_concurrency)
    if isinstance(plan, PlanDefinition):
        return PlanDefinition(plan.definition, source=name, depends_on=plan.depends_on)
    if isinstance(plan, dict):
        return plan_from_definition(plan, source=name, validate=False)
    raise PlanError([Problem("the module defines no 'plan' (a Plan, PlanDefinition or ASL dict)", file=name,
                             field="plan")], hint="end the module with: plan = Plan(...)")


def _validated(plan: PlanDefinition, name: str, files, dependencies) -> PlanDefinition:
    problems = validate_definition(plan.definition, file=name, files=files, dependencies=dependencies)
    if problems:
        raise PlanError(problems)
    return plan


def plan_from_definition(definition: Any, *, source: str | None = None, validate: bool = True,
                         files: Collection[str] | None = None,
                         dependencies: Collection[str] | None = None) -> PlanDefinition:
    """Accept raw ASL (a dict); Attini step types in it are compiled too.

    >>> plan_from_definition({"StartAt": "A", "States": {"A": {"Type": "AttiniManualApproval", "End": True}}}
    ...                      ).definition["States"]["A"]["Resource"]
    'attini:approval'
    """
    _check_limits(definition, source)
    if is_simple(definition):
        form = to_states_form(definition, file=source)
        problems, definition = list(form.problems), form.definition
    else:
        problems = []
    if not isinstance(definition, dict) or "States" not in definition:
        raise PlanError([Problem("not a plan: expected StartAt/States (ASL), a list of steps (simple syntax) "
                                 "or a template with Resources", file=source)])
    resolver = Resolver(file=source)
    compiled = compile_states_form(definition, resolver)
    problems.extend(resolver.problems)
    if validate:
        problems.extend(validate_definition(compiled, file=source, files=files, dependencies=dependencies))
    if problems:
        raise PlanError(problems)
    return PlanDefinition(compiled, source=source)


def _check_limits(data: Any, source: str | None) -> None:
    # compiling and validating recurse into Parallel branches and Map processors: refuse runaway
    # nesting first, so that it is a PlanError and not a RecursionError
    try:
        limits.check_document(data)
        limits.check_state_nesting(data)
    except limits.LimitExceeded as err:
        raise PlanError([Problem(f"the plan {err}", file=source)], hint=LIMIT_HINT) from None


def load_template(path: str | Path, **kwargs: Any) -> PlanDefinition:
    """Load an Attini init template (``initDeployConfig.template``); same options as :func:`load_plan`."""
    return load_plan(path, **kwargs)


def load_template_data(template: dict, *, source: str | None = None, validate: bool = True,
                       files: Collection[str] | None = None,
                       dependencies: Collection[str] | None = None) -> PlanDefinition:
    """Compile the ``Attini::Deploy::DeploymentPlan`` of a parsed init template.

    >>> t = {"Parameters": {"AttiniEnvironmentName": {"Type": "String"}}, "Resources": {"Plan": {
    ...     "Type": "Attini::Deploy::DeploymentPlan", "Properties": {"DeploymentPlan": [
    ...         {"Name": "Hello", "Type": "AttiniRunnerJob", "Properties": {"Commands": ["echo hi"]}}]}}}}
    >>> load_template_data(t).definition["States"]["Hello"]["Resource"]
    'attini:runner'
    """
    problems: list[Problem] = []
    _check_limits(template, source)
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        raise PlanError([Problem("the template has no Resources", file=source, field="Resources")])
    plans = [(k, r) for k, r in resources.items() if isinstance(r, dict) and r.get("Type") == PLAN_TYPE]
    if len(plans) != 1:
        raise PlanError([Problem(f"the template must hold exactly one {PLAN_TYPE} resource, found {len(plans)}",
                                 file=source, field="Resources")],
                        hint="declare the deployment plan as a resource of that type")
    logical_id, resource = plans[0]
    props = resource.get("Properties") or {}
    runners = {k: (r.get("Properties") or {}) for k, r in resources.items()
               if isinstance(r, dict) and r.get("Type") == RUNNER_TYPE}
    resolver = Resolver(
        parameters=(template.get("Parameters") or {}).keys(),
        mappings=template.get("Mappings") or {},
        conditions=template.get("Conditions") or {},
        resources=resources.keys(),
        file=source,
    )
    body = props.get("DeploymentPlan")
    if body is None:
        raise PlanError([Problem("the DeploymentPlan property is missing", file=source, state=logical_id,
                                 field="Properties.DeploymentPlan")])
    if is_simple(body):
        form = to_states_form(body, file=source)
        problems.extend(form.problems)
        body = form.definition
    if not isinstance(body, dict) or "States" not in body:
        raise PlanError([Problem("DeploymentPlan must be a list of steps or an object with StartAt and States",
                                 file=source, state=logical_id, field="Properties.DeploymentPlan")])
    _check_limits(body, source)
    default_runner = props.get("DefaultRunner")
    if default_runner is not None and default_runner not in runners:
        problems.append(Problem(f"DefaultRunner '{default_runner}' is not a runner in this template",
                                file=source, state=logical_id, field="Properties.DefaultRunner"))
    definition = compile_states_form(body, resolver, default_runner=default_runner)
    definition = _with_payload_defaults(definition, props.get("PayloadDefaults"))
    if runners:
        definition["AttiniRunners"] = runners
    problems.extend(resolver.problems)
    if validate:
        problems.extend(validate_definition(definition, file=source, files=files, dependencies=dependencies))
    if problems:
        raise PlanError(problems)
    return PlanDefinition(definition, source=source)


def _with_payload_defaults(definition: dict, defaults: Any) -> dict:
    """Seed ``$.output`` from ``PayloadDefaults.output`` with a first Pass state (Attini does the same)."""
    if not isinstance(defaults, dict) or not isinstance(defaults.get("output"), dict):
        return definition
    first = "AttiniPayloadDefaults"
    states = {first: {"Type": "Pass", "Result": defaults["output"], "ResultPath": "$.output",
                      "Next": definition.get("StartAt")}}
    states.update(definition.get("States") or {})
    return {**definition, "StartAt": first, "States": states}
