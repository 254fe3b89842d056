"""Steps of a Python plan: the base class and the Attini step types.

Each step is a frozen value; its properties are typed keyword arguments
(snake_case here, PascalCase in the compiled JSON), checked when it is built::

    >>> vpc = Cfn("Vpc", stack_name="vpc", template="/network/vpc.yaml")
    >>> vpc.state()["Resource"], vpc.state()["Parameters"]["Template"]
    ('attini:cfn', '/network/vpc.yaml')
    >>> Runner("Migrate", commands=["./migrate.sh"], after=[vpc]).depends_on()[0].name
    'Vpc'
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any, ClassVar

import attrs

from attini_sdk.errors import PlanError, Problem
from attini_sdk.plan import properties as props
from attini_sdk.plan.attini_types import attini_task
from attini_sdk.plan.file_paths import path_problem
from attini_sdk.plan.paths import step_output_path
from attini_sdk.plan.refs import Expr, Reference, StepOutput

__all__ = ["Step", "Cfn", "Runner", "LambdaInvoke", "ManualApproval", "Import", "MergeOutput", "Sam", "Cdk"]

_PARENT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""A nested step (in a branch or a catch handler) -> the step that holds it."""

DEFAULT_RESULT = "$.output.<Name>"
"""Marker for "the result goes to ``$.output.<Name>``" (the default)."""

_DYNAMIC = (Reference, Expr)


def _steps_tuple(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, Step):
        return (value,)
    return tuple(value)


def prop(asl: str, default: Any = None) -> Any:
    """Declare a step property stored in the JSON as ``asl`` (PascalCase)."""
    return attrs.field(default=default, metadata={"prop": asl})


def parent_of(step: Step) -> Step | None:
    """The step holding ``step`` in one of its branches, or None at top level."""
    return _PARENT.get(step)


def adopt(parent: Step, children: Iterable[Step], field: str) -> list[Problem]:
    """Record ``parent`` as the holder of ``children``; a step can be in one place only."""
    problems = []
    for child in children:
        if not isinstance(child, Step):
            problems.append(Problem(f"{child!r} is not a step", state=parent.name, field=field))
            continue
        holder = _PARENT.get(child)
        if holder is not None and holder is not parent:
            problems.append(Problem(f"step '{child.name}' is already inside '{holder.name}'; a step runs in one "
                                    f"place only: build another step, with its own name, for '{parent.name}'",
                                    state=parent.name, field=field))
        else:
            _PARENT[child] = parent
    return problems


@attrs.frozen(eq=False, kw_only=True)
class Step:
    """Base of every step: a unique ``name`` and explicit ``after`` edges.

    >>> a = MergeOutput("A"); b = MergeOutput("B", after=a)
    >>> [s.name for s in b.after]
    ['A']
    """

    name: str = attrs.field(kw_only=False)
    after: tuple[Step, ...] = attrs.field(default=(), converter=_steps_tuple)
    comment: str | None = None

    type_name: ClassVar[str] = "Step"
    terminal: ClassVar[bool] = False

    def __attrs_post_init__(self) -> None:
        problems = list(self._problems())
        if problems:
            raise PlanError(problems, hint="fix the step's arguments")

    # -- checks -------------------------------------------------------------
    def _problems(self) -> Iterable[Problem]:
        if not isinstance(self.name, str) or not self.name.strip():
            yield Problem(f"step name {self.name!r} must be a non-empty string", field="Name")
            return
        if len(self.name) > 80:
            yield Problem(f"step name is {len(self.name)} characters; the limit is 80", state=self.name, field="Name")
        for other in self.after:
            if not isinstance(other, Step):
                yield Problem(f"after= holds {other!r}, which is not a step", state=self.name, field="after")
        if self.comment is not None and not isinstance(self.comment, str):
            yield Problem("comment must be a string", state=self.name, field="Comment")

    def _require(self, field: str, asl: str, kinds: tuple, what: str, required: bool = False) -> Iterable[Problem]:
        value = getattr(self, field)
        if value is None:
            if required:
                yield Problem(f"{field}= is required", state=self.name, field=asl)
        elif not isinstance(value, kinds):
            yield Problem(f"{field}= must be {what}, got {type(value).__name__}", state=self.name, field=asl)

    # -- graph --------------------------------------------------------------
    def output(self, key: str | None = None) -> StepOutput:
        """A reference to this step's result (``$.output.<Name>.<key>``) and a dependency on it.

        >>> Cfn("Db", stack_name="db", template="/db.yaml").output("Endpoint").path
        '$.output.Db.Endpoint'
        """
        base = self.result_location()
        if base is None:
            raise PlanError([Problem("this step keeps no result to reference", state=self.name)],
                            hint="set result_path= on the step, or reference the steps inside it")
        if key is None:
            return StepOutput(base, step=self)
        return StepOutput(base + "".join(_key_segments(key)), step=self)

    def result_location(self) -> str | None:
        """Where this step's result lands in the payload (None: nowhere)."""
        return step_output_path(self.name)

    def nested(self) -> list[list[Step]]:
        """Step sequences held by this step (branches, iterator, catch handlers)."""
        return [steps for _, steps in self.places()]

    def places(self) -> list[tuple[str, list[Step]]]:
        """The step sequences held by this step, each with where it sits ("in branch 2 of Parallel 'Fan'").

        >>> MergeOutput("M").places()
        []
        """
        return []

    def own_values(self) -> list[Any]:
        """Field values that may hold references (for dependency discovery)."""
        skip = {"name", "after", "comment"}
        return [getattr(self, f.name) for f in attrs.fields(type(self)) if f.name not in skip]

    def depends_on(self) -> list[Step]:
        """Steps this one must run after: ``after=`` plus every step whose output it uses.

        >>> a = Cfn("A", stack_name="a", template="/a.yaml")
        >>> [s.name for s in Runner("B", commands=["echo"], environment={"X": a.output("X")}).depends_on()]
        ['A']
        """
        seen: dict[int, Step] = {id(s): s for s in self.after}
        for value in self.own_values():
            for ref in props.walk(value):
                for step in ref.steps():
                    seen.setdefault(id(step), step)
        return list(seen.values())

    def dependency_refs(self) -> list:
        """``dependency(...).output(...)`` references in this step's own properties."""
        out = []
        for value in self.own_values():
            out.extend(props.dependency_outputs(value))
        return out

    # -- compilation --------------------------------------------------------
    def state(self) -> dict:
        """The compiled ASL state, without ``Next``/``End``/``Catch`` targets."""
        raise NotImplementedError

    def _common(self, state: dict) -> dict:
        if self.comment:
            state["Comment"] = self.comment
        return state

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def _key_segments(key: str) -> list[str]:
    from attini_sdk.plan.paths import segment

    return [segment(part) for part in key.split(".")]


def _retry_problems(step: Step, retry: Any) -> Iterable[Problem]:
    if retry is None:
        return
    if not isinstance(retry, (list, tuple)) or not all(isinstance(r, dict) for r in retry):
        yield Problem("retry= must be a list of retriers ({'ErrorEquals': [...], ...})", state=step.name,
                      field="Retry")


@attrs.frozen(eq=False, kw_only=True)
class Guarded(Step):
    """A step that can fail and so accepts ``retry``, ``catch`` and ``timeout_seconds``.

    ``catch`` entries are ASL catchers whose ``Next`` may be a step or a list
    of steps (a handler chain, compiled next to the catching step).

    >>> Runner("Smoke", commands=["./smoke.sh"], timeout_seconds=300,
    ...        retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}]).state()["TimeoutSeconds"]
    300
    """

    retry: tuple[dict, ...] | None = attrs.field(default=None, converter=lambda v: None if v is None else tuple(v))
    catch: tuple[dict, ...] | None = attrs.field(default=None, converter=lambda v: None if v is None else tuple(v))
    timeout_seconds: int | Reference | None = None

    def _problems(self) -> Iterable[Problem]:
        yield from super()._problems()
        yield from _retry_problems(self, self.retry)
        for i, catcher in enumerate(self.catch or ()):
            if not isinstance(catcher, dict) or "Next" not in catcher:
                yield Problem(f"catch[{i}] must be a catcher with 'ErrorEquals' and 'Next'", state=self.name,
                              field="Catch")
                continue
            target = catcher["Next"]
            if not isinstance(target, str):
                yield from adopt(self, _steps_tuple(target), "Catch")
        t = self.timeout_seconds
        if t is not None and not isinstance(t, Reference) and (isinstance(t, bool) or not isinstance(t, int) or t <= 0):
            yield Problem(f"timeout_seconds must be a positive integer, got {t!r}", state=self.name,
                          field="TimeoutSeconds")

    def handlers(self) -> list[tuple[str, list[Step]]]:
        """Catch handler chains given as steps, with where they sit."""
        return [(f"in the catch[{i}] handler of '{self.name}'", list(_steps_tuple(c["Next"])))
                for i, c in enumerate(self.catch or ()) if not isinstance(c["Next"], str)]

    def places(self) -> list[tuple[str, list[Step]]]:
        return self.handlers()

    def own_values(self) -> list[Any]:
        return [v for v in super().own_values() if v is not self.catch]

    def _guards(self, state: dict) -> dict:
        if isinstance(self.timeout_seconds, Reference):
            state["TimeoutSecondsPath"] = self.timeout_seconds.path
        elif self.timeout_seconds is not None:
            state["TimeoutSeconds"] = self.timeout_seconds
        if self.retry:
            state["Retry"] = [dict(r) for r in self.retry]
        return self._common(state)


@attrs.frozen(eq=False, kw_only=True)
class AttiniStep(Guarded):
    """Base of the Attini step types: properties compile to ``Parameters``."""

    def properties(self) -> dict:
        """The step's ``Properties`` as compiled ASL (``.$`` keys for references).

        >>> from attini_sdk.plan import env
        >>> Runner("R", commands=["env"], environment={"ENV": env.name}).properties()
        {'Commands': ['env'], 'Environment': {'ENV.$': '$.deploymentOriginData.environment'}}
        """
        out: dict = {}
        for f in attrs.fields(type(self)):
            asl = f.metadata.get("prop")
            value = getattr(self, f.name)
            if asl and value is not None:
                props.put(out, asl, self._json(f.name, value), state=self.name, field=asl)
        return out

    def _json(self, field: str, value: Any) -> Any:
        props.template(value, state=self.name, field=field)  # type check only
        return value

    def state(self) -> dict:
        return self._guards(attini_task(self.type_name, self.name, self.properties()))


@attrs.frozen(eq=False, kw_only=True)
class Cfn(AttiniStep):
    """Deploy (or delete) a CloudFormation stack: ``AttiniCfn``. Result: the stack outputs.

    >>> Cfn("Vpc", stack_name="vpc", template="/vpc.yaml", parameters={"Cidr": "10.0.0.0/16"}).properties()
    {'StackName': 'vpc', 'Template': '/vpc.yaml', 'Parameters': {'Cidr': '10.0.0.0/16'}}
    """

    type_name: ClassVar[str] = "AttiniCfn"

    stack_name: str | Reference | Expr | None = prop("StackName")
    template: str | Reference | Expr | None = prop("Template")
    config_file: str | Reference | Expr | None = prop("ConfigFile")
    parameters: dict | None = prop("Parameters")
    variables: dict | None = prop("Variables")
    stack_role_arn: str | Reference | Expr | None = prop("StackRoleArn")
    execution_role_arn: str | Reference | Expr | None = prop("ExecutionRoleArn")
    region: str | Reference | Expr | None = prop("Region")
    output_path: str | None = prop("OutputPath")
    action: str | None = prop("Action")
    on_failure: str | None = prop("OnFailure")
    enable_termination_protection: bool | None = prop("EnableTerminationProtection")
    #: False deploys the stack even when nothing changed since its last successful run (default: skip)
    skip_unchanged: bool | None = prop("SkipUnchanged")

    def _problems(self) -> Iterable[Problem]:
        yield from super()._problems()
        text = (str, Reference, Expr)
        for field, asl in [("stack_name", "StackName"), ("template", "Template"), ("config_file", "ConfigFile"),
                           ("stack_role_arn", "StackRoleArn"), ("execution_role_arn", "ExecutionRoleArn"),
                           ("region", "Region")]:
            yield from self._require(field, asl, text, "a string or a reference")
        yield from self._require("parameters", "Parameters", (dict,), "a dict")
        yield from self._require("variables", "Variables", (dict,), "a dict")
        yield from self._require("output_path", "OutputPath", (str,), "a string")
        yield from self._require("enable_termination_protection", "EnableTerminationProtection", (bool,), "a bool")
        yield from self._require("skip_unchanged", "SkipUnchanged", (bool,), "a bool")
        if self.config_file is None:
            if self.stack_name is None:
                yield Problem("stack_name= is required (or a config_file= that sets it)", state=self.name,
                              field="StackName")
            if self.template is None:
                yield Problem("template= is required (or a config_file= that sets it)", state=self.name,
                              field="Template")
        for field, asl in [("template", "Template"), ("config_file", "ConfigFile")]:
            value = getattr(self, field)
            what = path_problem(f"{field}=", value, None, urls=field == "template") if isinstance(value, str) else None
            if what:
                yield Problem(what, state=self.name, field=asl)
        if self.action not in (None, "Deploy", "Delete"):
            yield Problem(f"action= must be 'Deploy' or 'Delete', got {self.action!r}", state=self.name, field="Action")
        if self.on_failure not in (None, "DELETE", "ROLLBACK", "DO_NOTHING"):
            yield Problem(f"on_failure= must be DELETE, ROLLBACK or DO_NOTHING, got {self.on_failure!r}",
                          state=self.name, field="OnFailure")

    def result_location(self) -> str | None:
        base = step_output_path(self.name)
        return base + "".join(_key_segments(self.output_path)) if self.output_path else base


@attrs.frozen(eq=False, kw_only=True)
class Runner(AttiniStep):
    """Run shell ``commands`` on a runner: ``AttiniRunnerJob``. Result: ``$ATTINI_OUTPUT``.

    >>> Runner("Migrate", commands=["sqlite3 app.db < migrate.sql"], runner="DbRunner").properties()["Runner"]
    'DbRunner'
    """

    type_name: ClassVar[str] = "AttiniRunnerJob"

    runner: str | None = prop("Runner")
    commands: list[str] | None = prop("Commands")
    environment: dict | None = prop("Environment")
    #: True reuses the last successful run's output when nothing changed (a runner job is run every time by default)
    skip_unchanged: bool | None = prop("SkipUnchanged")

    def _problems(self) -> Iterable[Problem]:
        yield from super()._problems()
        yield from self._require("runner", "Runner", (str,), "a runner name")
        yield from self._require("environment", "Environment", (dict,), "a dict")
        yield from self._require("skip_unchanged", "SkipUnchanged", (bool,), "a bool")
        c = self.commands
        if c is None:
            yield Problem("commands= is required", state=self.name, field="Commands")
        elif not isinstance(c, (list, tuple)) or not c or not all(isinstance(x, (str,) + _DYNAMIC) for x in c):
            yield Problem("commands= must be a non-empty list of strings", state=self.name, field="Commands")

    def _json(self, field: str, value: Any) -> Any:
        return list(value) if field == "commands" else super()._json(field, value)


@attrs.frozen(eq=False, kw_only=True)
class LambdaInvoke(AttiniStep):
    """Invoke a Lambda function: ``AttiniLambdaInvoke``. Result: ``{"result": <payload>}``.

    >>> LambdaInvoke("Smoke", function_name="app-smoke").output("result").path
    '$.output.Smoke.result'
    """

    type_name: ClassVar[str] = "AttiniLambdaInvoke"

    function_name: str | Reference | Expr | None = prop("FunctionName")
    payload: Any = prop("Payload")
    invocation_type: str | None = prop("InvocationType")
    client_context: str | None = prop("ClientContext")
    qualifier: str | None = prop("Qualifier")

    def _problems(self) -> Iterable[Problem]:
        yield from super()._problems()
        yield from self._require("function_name", "FunctionName", (str, Reference, Expr), "a string or reference",
                                 required=True)
        if self.invocation_type not in (None, "RequestResponse", "Event", "DryRun"):
            yield Problem(f"invocation_type= must be RequestResponse, Event or DryRun, got {self.invocation_type!r}",
                          state=self.name, field="InvocationType")


@attrs.frozen(eq=False, kw_only=True)
class ManualApproval(AttiniStep):
    """Pause until someone approves (or aborts): ``AttiniManualApproval``.

    >>> ManualApproval("Approve").state()
    {'Type': 'Task', 'Resource': 'attini:approval', 'ResultPath': '$.output.Approve'}
    """

    type_name: ClassVar[str] = "AttiniManualApproval"

    message: str | Reference | Expr | None = prop("Message")


@attrs.frozen(eq=False, kw_only=True)
class Import(AttiniStep):
    """Read outputs of another distribution in the same environment: ``AttiniImport``.

    ``mapping`` maps an output key to a JSONPath into that distribution's final
    payload. Usually generated for you by ``dependency("x").output(...)``.

    >>> Import("Net", distribution="network", mapping={"VpcId": "$.output.Vpc.VpcId"}).properties()["Source"]
    {'Name': 'network'}
    """

    type_name: ClassVar[str] = "AttiniImport"

    distribution: str | None = None
    bucket: str | None = None
    key: str | None = None
    mapping: dict | None = prop("Mapping")
    execution_role_arn: str | None = prop("ExecutionRoleArn")

    def _problems(self) -> Iterable[Problem]:
        yield from super()._problems()
        if (self.distribution is None) == (self.bucket is None):
            yield Problem("give either distribution= or bucket= and key=", state=self.name, field="Source")
        if self.bucket is not None and self.key is None:
            yield Problem("key= is required with bucket=", state=self.name, field="Source")
        if not isinstance(self.mapping, dict) or not self.mapping:
            yield Problem("mapping= must be a non-empty dict {output key: JSONPath}", state=self.name, field="Mapping")
        elif not all(isinstance(v, str) and v.startswith("$") for v in self.mapping.values()):
            yield Problem("every mapping= value must be a JSONPath starting with '$'", state=self.name, field="Mapping")

    def properties(self) -> dict:
        if self.distribution is not None:
            head = {"SourceType": "Distribution", "Source": {"Name": self.distribution}}
        else:
            head = {"SourceType": "S3", "Source": {"Bucket": self.bucket, "Key": self.key}}
        return {**head, **super().properties()}


@attrs.frozen(eq=False, kw_only=True)
class MergeOutput(AttiniStep):
    """Merge the array of payloads a Parallel produced: ``AttiniMergeOutput``.

    >>> MergeOutput("Merge").state()["ResultPath"]
    '$'
    """

    type_name: ClassVar[str] = "AttiniMergeOutput"

    def result_location(self) -> str | None:
        return None


@attrs.frozen(eq=False, kw_only=True)
class Sam(Cfn):
    """Build a SAM project, package its code and deploy it: ``AttiniSam``. Result: the stack outputs.

    ``project`` is ``{"Path": "/counter", "BuildDir": ..., "Template": ...}`` (Path required); every
    other argument is a :class:`Cfn` argument.

    >>> Sam("Counter", project={"Path": "/counter"}, stack_name="counter").properties()
    {'StackName': 'counter', 'Project': {'Path': '/counter'}}
    """

    type_name: ClassVar[str] = "AttiniSam"

    project: dict | None = prop("Project")
    runner: str | None = prop("Runner")

    def _problems(self) -> Iterable[Problem]:
        yield from Guarded._problems(self)
        if not isinstance(self.project, dict) or not isinstance(self.project.get("Path"), str):
            yield Problem('project= must be {"Path": "/folder", ...}', state=self.name, field="Project")
        if self.stack_name is None and self.config_file is None:
            yield Problem("stack_name= is required (or a config_file= that sets it)", state=self.name,
                          field="StackName")


_CDK_APPS: dict[str, Any] = {}
"""Step name -> the ``aws_cdk.App`` a plan gave ``Cdk(app=...)``, for ``attini_sdk.plan.cdk_app`` to synthesise."""


def _distribution_root(folder: Any) -> Any:
    """The nearest folder at or above ``folder`` holding an attini-config file (else ``folder``)."""
    from pathlib import Path

    start = Path(folder).resolve()
    for candidate in (start, *start.parents):
        if any((candidate / f"attini-config.{ext}").is_file() for ext in ("yaml", "yml", "json")):
            return candidate
    return start


def _caller_file() -> str | None:
    """The file of the code that built the step: the first frame outside attini_sdk, attrs and generated code."""
    import sys
    from pathlib import Path

    import attr

    libraries = tuple(str(Path(m.__file__).resolve().parents[i]) for m, i in ((sys.modules[__name__], 1), (attrs, 0),
                                                                               (attr, 0)))
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith("<") and not str(Path(name).resolve()).startswith(libraries):
            return name
        frame = frame.f_back
    return None


@attrs.frozen(eq=False, kw_only=True)
class Cdk(AttiniStep):
    """Synthesise a CDK app and deploy its stacks: ``AttiniCdk``. Result: ``{<stack name>: {<output>: value}}``.

    ``app`` is the command that synthesises the app in ``path`` (as in cdk.json), or an ``aws_cdk.App``
    built in the plan module itself: the step then synthesises that App by running the plan module
    again at deploy time (see ``docs/steps.md``). ``diff={"Enabled": True}`` asks for an approval first,
    only when a stack would change.

    >>> Cdk("Infra", path="/infra", app="python app.py", stacks=["dev-api"]).properties()
    {'Path': '/infra', 'App': 'python app.py', 'Stacks': ['dev-api']}
    """

    type_name: ClassVar[str] = "AttiniCdk"

    path: str | None = prop("Path")
    app: Any = prop("App")
    stacks: list | None = prop("Stacks")
    context: dict | None = prop("Context")
    stack_configuration: list | None = prop("StackConfiguration")
    build: str | None = prop("Build")
    environment: dict | None = prop("Environment")
    role_arn: str | Reference | Expr | None = prop("RoleArn")
    diff: dict | None = prop("Diff")
    force: bool | None = prop("Force")
    runner: str | None = prop("Runner")
    #: False deploys the stacks even when nothing changed since the step's last successful run (default: skip)
    skip_unchanged: bool | None = prop("SkipUnchanged")

    def __attrs_post_init__(self) -> None:
        if self.app is not None and not isinstance(self.app, (str, Reference, Expr)):
            self._adopt_app()
        super().__attrs_post_init__()

    def _adopt_app(self) -> None:
        """An ``aws_cdk.App`` object: remember it and synthesise it at deploy time from the plan module."""
        from pathlib import Path

        if not hasattr(self.app, "synth"):
            raise PlanError([Problem(f"app= must be a command or an aws_cdk.App, got {type(self.app).__name__}",
                                     state=self.name, field="App")])
        _CDK_APPS[self.name] = self.app
        module = _caller_file()
        if module is None:
            raise PlanError([Problem("Cdk(app=<App>) must be called from a plan module (a .py file)",
                                     state=self.name, field="App")],
                            hint="write the plan in a file that attini-config's plan: names")
        folder = Path(module).resolve().parent
        root = _distribution_root(folder)
        relative = folder.relative_to(root).as_posix()
        object.__setattr__(self, "path", self.path or ("/" + relative if relative != "." else "/"))
        object.__setattr__(self, "app", f"python -m attini_sdk.plan.cdk_app {Path(module).name} {self.name}")

    def _problems(self) -> Iterable[Problem]:
        yield from super()._problems()
        yield from self._require("path", "Path", (str,), "a string")
        yield from self._require("app", "App", (str, Reference, Expr), "a command or an aws_cdk.App")
        yield from self._require("context", "Context", (dict,), "a dict")
        yield from self._require("environment", "Environment", (dict,), "a dict")
        yield from self._require("build", "Build", (str,), "a command")
        yield from self._require("force", "Force", (bool,), "a bool")
        yield from self._require("skip_unchanged", "SkipUnchanged", (bool,), "a bool")
        if self.stacks is not None and not (isinstance(self.stacks, (list, tuple))
                                            and all(isinstance(s, str) for s in self.stacks)):
            yield Problem("stacks= must be a list of stack names", state=self.name, field="Stacks")
        if self.diff is not None and not (isinstance(self.diff, dict) and isinstance(self.diff.get("Enabled"), bool)):
            yield Problem('diff= must be {"Enabled": True|False}', state=self.name, field="Diff")
        if self.stack_configuration is not None and not (
                isinstance(self.stack_configuration, (list, tuple))
                and all(isinstance(c, dict) for c in self.stack_configuration)):
            yield Problem("stack_configuration= must be a list of {'StackName': ..., 'Parameters': {...}} "
                          "(an entry without StackName is for every stack)",
                          state=self.name, field="StackConfiguration")

    def _json(self, field: str, value: Any) -> Any:
        return list(value) if field in ("stacks", "stack_configuration") else super()._json(field, value)
