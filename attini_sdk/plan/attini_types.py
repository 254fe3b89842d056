"""Attini step types: their ``attini:`` resources and the properties each accepts.

One table, read by the Python API, the YAML loaders and the validator::

    >>> ATTINI_TYPES["AttiniCfn"].resource
    'attini:cfn'
    >>> attini_task("AttiniCfn", "Vpc", {"StackName": "vpc", "Template": "/vpc.yaml"})["ResultPath"]
    '$.output.Vpc'
"""

from __future__ import annotations

import attrs

from attini_sdk.plan.paths import step_output_path


@attrs.frozen
class AttiniType:
    """One Attini step type: source ``Type``, ``Resource``, and its properties."""

    type: str
    resource: str
    properties: frozenset[str]
    required: tuple[tuple[str, ...], ...] = ()
    """Each tuple is a group of which at least one property must be present."""


def _t(type_: str, kind: str, props: str, required: tuple[tuple[str, ...], ...] = ()) -> AttiniType:
    return AttiniType(type_, f"attini:{kind}", frozenset(props.split()), required)


_CFN = ("StackName Template ConfigFile Parameters Variables StackRoleArn ExecutionRoleArn Region "
        "OutputPath Action OnFailure EnableTerminationProtection SkipUnchanged")

ATTINI_TYPES: dict[str, AttiniType] = {
    t.type: t
    for t in [
        _t("AttiniCfn", "cfn", _CFN, (("StackName", "ConfigFile"), ("Template", "ConfigFile"))),
        _t("AttiniRunnerJob", "runner", "Runner Commands Environment SkipUnchanged", (("Commands",),)),
        _t("AttiniLambdaInvoke", "lambda-invoke", "FunctionName Payload InvocationType ClientContext Qualifier",
           (("FunctionName",),)),
        _t("AttiniManualApproval", "approval", "Message"),
        _t("AttiniImport", "import", "SourceType Source Mapping ExecutionRoleArn",
           (("SourceType",), ("Source",), ("Mapping",))),
        _t("AttiniMergeOutput", "merge-output", ""),
        _t("AttiniSam", "sam", "Project Runner " + _CFN, (("Project",), ("StackName", "ConfigFile"))),
        _t("AttiniCdk", "cdk", "Path App Stacks Context StackConfiguration Runner Build Plugins BuildExclude "
           "NotificationArns Force Environment RoleArn Diff DiffOnly SkipUnchanged"),
    ]
}
"""Attini ``Type`` name -> :class:`AttiniType`."""

BY_RESOURCE: dict[str, AttiniType] = {t.resource: t for t in ATTINI_TYPES.values()}
"""``attini:<kind>`` -> :class:`AttiniType`."""

DEFAULT_RUNNER = "AttiniDefaultRunner"
"""The runner used by runner steps that name none (Attini's default)."""


def attini_task(type_: str, name: str, properties: dict | None, extra: dict | None = None) -> dict:
    """The compiled ASL state of an Attini step (without ``Next``/``End``).

    ``Parameters`` are the step's properties (omitted when there are none), the
    result goes to ``$.output.<name>`` (``$`` for MergeOutput, which replaces
    a Parallel's array with the merged payload). ``extra`` holds the other
    top-level keys (``Retry``, ``Catch``, ``TimeoutSeconds``, ``Comment``...).

    >>> attini_task("AttiniMergeOutput", "Merge", None)
    {'Type': 'Task', 'Resource': 'attini:merge-output', 'ResultPath': '$'}
    """
    kind = ATTINI_TYPES[type_]
    state: dict = {"Type": "Task", "Resource": kind.resource}
    if properties:
        state["Parameters"] = properties
    state["ResultPath"] = "$" if type_ == "AttiniMergeOutput" else step_output_path(name)
    # Attini copies the step's other top-level keys over its template.
    state.update({k: v for k, v in (extra or {}).items() if k not in ("Type", "Resource")})
    return state
