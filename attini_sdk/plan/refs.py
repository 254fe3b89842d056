"""References: values that are known only at deploy time.

A reference compiles to a JSONPath into the payload. Used as a property value
it becomes a ``Key.$`` entry; when it points at a step's output it also adds a
dependency edge, like a Pulumi ``Output``::

    >>> from attini_sdk.plan import Cfn, env, fmt
    >>> vpc = Cfn("Vpc", stack_name=fmt("{}-vpc", env.name), template="/vpc.yaml")
    >>> vpc.output("VpcId").path
    '$.output.Vpc.VpcId'
    >>> env.name.path
    '$.deploymentOriginData.environment'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import attrs

from attini_sdk.errors import PlanError, Problem
from attini_sdk.plan.paths import intrinsic_string, payload_path, step_output_path

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.plan.steps import Step

__all__ = [
    "Reference",
    "StepOutput",
    "DependencyOutput",
    "Expr",
    "Condition",
    "env",
    "deployment",
    "dependency",
    "fmt",
    "intrinsic",
    "stack_parameter",
    "all_of",
    "any_of",
    "not_",
]


class _Comparisons:
    """Choice conditions built from a reference (``ref.equals("production")``)."""

    path: str

    def _rule(self, op: str, value: Any) -> Condition:
        if isinstance(value, Reference):
            return Condition({"Variable": self.path, f"{op}Path": value.path}, refs=(self, value))
        return Condition({"Variable": self.path, op: value}, refs=(self,))

    def equals(self, value: Any) -> Condition:
        """True when the value equals ``value`` (string, number or boolean).

        >>> env.type.equals("production").rule
        {'Variable': '$.deploymentOriginData.environmentType', 'StringEquals': 'production'}
        """
        if isinstance(value, bool):
            return self._rule("BooleanEquals", value)
        if isinstance(value, (int, float)):
            return self._rule("NumericEquals", value)
        return self._rule("StringEquals", value)

    def matches(self, pattern: str) -> Condition:
        """True when the string matches a ``*`` wildcard pattern (``StringMatches``).

        >>> env.name.matches("prod-*").rule["StringMatches"]
        'prod-*'
        """
        return self._rule("StringMatches", pattern)

    def greater_than(self, value: float) -> Condition:
        """True when the number is greater than ``value`` (``NumericGreaterThan``).

        >>> env.param("replicas").greater_than(2).rule["NumericGreaterThan"]
        2
        """
        return self._rule("NumericGreaterThan", value)

    def less_than(self, value: float) -> Condition:
        """True when the number is less than ``value`` (``NumericLessThan``).

        >>> env.param("replicas").less_than(2).rule["NumericLessThan"]
        2
        """
        return self._rule("NumericLessThan", value)

    def is_present(self, present: bool = True) -> Condition:
        """True when the path exists in the payload (``IsPresent``).

        >>> env.param("debug").is_present().rule
        {'Variable': '$.parameters.debug', 'IsPresent': True}
        """
        return self._rule("IsPresent", present)

    def is_true(self) -> Condition:
        """True when the value is the boolean ``true``.

        >>> env.param("debug").is_true().rule["BooleanEquals"]
        True
        """
        return self._rule("BooleanEquals", True)


@attrs.frozen
class Reference(_Comparisons):
    """A JSONPath into the payload, resolved by the engine at deploy time.

    >>> Reference("$.parameters.domain").path
    '$.parameters.domain'
    """

    path: str

    def steps(self) -> tuple[Step, ...]:
        """Steps this reference depends on (none for payload data)."""
        return ()

    def __format__(self, spec: str) -> str:
        raise PlanError(
            [Problem(f"reference {self.path} was formatted into a string at package time")],
            hint="its value exists only at deploy time: use fmt('{}-suffix', ref) instead of an f-string",
        )


@attrs.frozen
class StepOutput(Reference):
    """An output of a step: ``$.output.<Step>.<Key>``; also a dependency edge.

    >>> from attini_sdk.plan import Runner
    >>> build = Runner("Build", commands=["make"])
    >>> build.output("result").steps()[0].name
    'Build'
    """

    step: Step = attrs.field(eq=False, repr=False, kw_only=True)

    def steps(self) -> tuple[Step, ...]:
        return (self.step,)


_IMPORT_KEY = re.compile(r"[^A-Za-z0-9_]+")


@attrs.frozen
class DependencyOutput(Reference):
    """An output of another distribution, read by a generated Import step.

    ``source`` is a JSONPath into that distribution's final payload (its
    ``output.json``), e.g. ``$.output.Network.VpcId``.

    >>> ref = dependency("network").output("Network.VpcId")
    >>> ref.path, ref.import_step_name, ref.source
    ('$.output.ImportNetwork.Network_VpcId', 'ImportNetwork', '$.output.Network.VpcId')
    """

    distribution: str = attrs.field(kw_only=True)
    source: str = attrs.field(kw_only=True)
    key: str = attrs.field(kw_only=True)

    @property
    def import_step_name(self) -> str:
        return import_step_name(self.distribution)


def import_step_name(distribution: str) -> str:
    """Name of the Import step generated for ``dependency(distribution)``.

    >>> import_step_name("shared-network")
    'ImportSharedNetwork'
    """
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", distribution) if p]
    return "Import" + "".join(p[0].upper() + p[1:] for p in parts)


@attrs.frozen
class Dependency:
    """Another distribution deployed in the same environment; see :func:`dependency`."""

    name: str

    def output(self, key: str, *, step: str | None = None) -> DependencyOutput:
        """Reference an output of this dependency's last deployment.

        ``key`` is ``"Step.Key"`` (an output of one of its steps), or a JSONPath
        starting with ``$`` into its final payload; ``step=`` names the step
        separately.

        >>> dependency("network").output("VpcId", step="Network").source
        '$.output.Network.VpcId'
        """
        if key.startswith("$"):
            source = key
            label = re.sub(r"^\$\.?(output\.)?", "", key)
        else:
            if step is None:
                if "." not in key:
                    raise PlanError(
                        [Problem(f"dependency('{self.name}').output('{key}') does not say which step produced it")],
                        hint=f"write dependency('{self.name}').output('<Step>.{key}') or pass step='<Step>'",
                    )
                step, key = key.split(".", 1)
            source = step_output_path(step, *key.split("."))
            label = f"{step}.{key}"
        out_key = _IMPORT_KEY.sub("_", label).strip("_") or "value"
        return DependencyOutput(
            payload_path("output", import_step_name(self.name), out_key),
            distribution=self.name,
            source=source,
            key=out_key,
        )


def dependency(name: str) -> Dependency:
    """A declared dependency (``dependencies`` in attini-config), for reading its outputs.

    >>> dependency("network").output("Network.VpcId").distribution
    'network'
    """
    return Dependency(name)


@attrs.frozen
class _Environment:
    """The environment being deployed to (``env`` in plans)."""

    @property
    def name(self) -> Reference:
        """``$.deploymentOriginData.environment``: e.g. ``dev``.

        >>> env.name.path
        '$.deploymentOriginData.environment'
        """
        return Reference(payload_path("deploymentOriginData", "environment"))

    @property
    def type(self) -> Reference:
        """``$.deploymentOriginData.environmentType``: ``production`` or ``test``.

        >>> env.type.path
        '$.deploymentOriginData.environmentType'
        """
        return Reference(payload_path("deploymentOriginData", "environmentType"))

    def param(self, key: str) -> Reference:
        """A resolved ``initDeployConfig.parameters`` value: ``$.parameters.<key>``.

        >>> env.param("domain").path
        '$.parameters.domain'
        """
        return Reference(payload_path("parameters", key))


@attrs.frozen
class _Deployment:
    """The deployment running the plan (``deployment`` in plans)."""

    @property
    def distribution_id(self) -> Reference:
        """``$.deploymentOriginData.distributionId``.

        >>> deployment.distribution_id.path
        '$.deploymentOriginData.distributionId'
        """
        return Reference(payload_path("deploymentOriginData", "distributionId"))

    @property
    def distribution_name(self) -> Reference:
        """``$.deploymentOriginData.distributionName``.

        >>> deployment.distribution_name.path
        '$.deploymentOriginData.distributionName'
        """
        return Reference(payload_path("deploymentOriginData", "distributionName"))

    @property
    def version(self) -> Reference:
        """``$.deploymentOriginData.version``.

        >>> deployment.version.path
        '$.deploymentOriginData.version'
        """
        return Reference(payload_path("deploymentOriginData", "version"))

    @property
    def id(self) -> Reference:
        """``$.deploymentOriginData.deploymentId``.

        >>> deployment.id.path
        '$.deploymentOriginData.deploymentId'
        """
        return Reference(payload_path("deploymentOriginData", "deploymentId"))


env = _Environment()
deployment = _Deployment()


def stack_parameter(name: str) -> Reference:
    """An init-stack parameter (``AttiniEnvironmentName`` ...): ``$.stackParameters.<name>``.

    >>> stack_parameter("AttiniEnvironmentName").path
    '$.stackParameters.AttiniEnvironmentName'
    """
    return Reference(payload_path("stackParameters", name))


@attrs.frozen
class Expr:
    """An intrinsic-function expression such as ``States.Format(...)``.

    >>> fmt("{}-vpc", env.name).text
    "States.Format('{}-vpc', $.deploymentOriginData.environment)"
    """

    text: str
    refs: tuple[Reference, ...] = attrs.field(default=(), eq=False, repr=False)

    def steps(self) -> tuple[Step, ...]:
        return tuple(s for r in self.refs for s in r.steps())

    def __format__(self, spec: str) -> str:
        raise PlanError(
            [Problem(f"expression {self.text} was formatted into a string at package time")],
            hint="nest it instead: fmt('{}-x', expr) or intrinsic(...)",
        )


def _argument(value: Any) -> tuple[str, tuple[Reference, ...]]:
    if isinstance(value, Reference):
        return value.path, (value,)
    if isinstance(value, Expr):
        return value.text, value.refs
    if isinstance(value, bool):
        return ("true" if value else "false"), ()
    if value is None:
        return "null", ()
    if isinstance(value, (int, float)):
        return repr(value), ()
    if isinstance(value, str):
        return intrinsic_string(value), ()
    raise PlanError([Problem(f"{value!r} cannot be an intrinsic function argument")],
                    hint="use a string, number, boolean, None, a reference or another expression")


def intrinsic(function: str, *args: Any) -> Expr:
    """Call any intrinsic function, e.g. ``intrinsic("States.JsonToString", ref)``.

    >>> intrinsic("States.ArrayLength", env.param("zones")).text
    'States.ArrayLength($.parameters.zones)'
    """
    texts, refs = [], []
    for a in args:
        t, r = _argument(a)
        texts.append(t)
        refs.extend(r)
    return Expr(f"{function}({', '.join(texts)})", tuple(refs))


def fmt(template: str, *args: Any) -> Expr | str:
    """``States.Format``: fill each ``{}`` with the next argument at deploy time.

    Literal arguments are folded into the template; with no references left the
    result is a plain string.

    >>> fmt("{}-{}-db", env.name, "main").text
    "States.Format('{}-main-db', $.deploymentOriginData.environment)"
    >>> fmt("plain-{}", "text")
    'plain-text'
    """
    pieces = template.split("{}")
    if len(pieces) - 1 != len(args):
        raise PlanError([Problem(f"fmt({template!r}) has {len(pieces) - 1} '{{}}' but {len(args)} arguments")],
                        hint="pass one argument per '{}'")
    return format_parts(pieces, args)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def format_parts(literals: list[str], values: list[Any] | tuple) -> Expr | str:
    """Interleave ``literals`` and ``values`` (one fewer) into ``States.Format`` (or a plain string).

    Literal text is escaped (``' { } \\`` get a backslash), so braces in it stay braces.

    >>> format_parts(["db-", "-", ""], [env.name, 2]).text
    "States.Format('db-{}-2', $.deploymentOriginData.environment)"
    """
    literal = [literals[0]]
    dynamic: list[Any] = []
    for arg, piece in zip(values, literals[1:]):
        if isinstance(arg, (Reference, Expr)):
            dynamic.append(arg)
            literal.append(piece)
        else:
            literal[-1] += _text(arg) + piece
    if not dynamic:
        return literal[0]
    escaped = "{}".join(intrinsic_string(p)[1:-1] for p in literal)
    texts, refs = [], []
    for a in dynamic:
        t, r = _argument(a)
        texts.append(t)
        refs.extend(r)
    return Expr(f"States.Format('{escaped}', {', '.join(texts)})", tuple(refs))


@attrs.frozen
class Condition:
    """A Choice rule (ASL ``Variable`` + comparison), built from references.

    >>> all_of(env.type.equals("production"), env.param("approve").is_true()).rule["And"][0]["StringEquals"]
    'production'
    """

    rule: dict
    refs: tuple[Reference, ...] = attrs.field(default=(), eq=False, repr=False)

    def steps(self) -> tuple[Step, ...]:
        return tuple(s for r in self.refs for s in r.steps())


def _combine(op: str, conditions: tuple[Condition | dict, ...]) -> Condition:
    rules, refs = [], []
    for c in conditions:
        if isinstance(c, Condition):
            rules.append(c.rule)
            refs.extend(c.refs)
        else:
            rules.append(dict(c))
    return Condition({op: rules}, tuple(refs))


def all_of(*conditions: Condition | dict) -> Condition:
    """ASL ``And``: every condition holds.

    >>> list(all_of(env.name.equals("a"), env.name.equals("b")).rule)
    ['And']
    """
    return _combine("And", conditions)


def any_of(*conditions: Condition | dict) -> Condition:
    """ASL ``Or``: at least one condition holds.

    >>> list(any_of(env.name.equals("a"), env.name.equals("b")).rule)
    ['Or']
    """
    return _combine("Or", conditions)


def not_(condition: Condition | dict) -> Condition:
    """ASL ``Not``.

    >>> not_(env.type.equals("production")).rule["Not"]["StringEquals"]
    'production'
    """
    if isinstance(condition, Condition):
        return Condition({"Not": condition.rule}, condition.refs)
    return Condition({"Not": dict(condition)})
