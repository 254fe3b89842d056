"""Which fields each ASL state type accepts (JSONPath and JSONata modes).

    >>> "ResultSelector" in FIELDS["Task"], "Next" in FIELDS["Succeed"]
    (True, False)
"""

from __future__ import annotations

_IO = {"InputPath", "OutputPath"}
_JSONATA = {"Arguments", "Output", "Assign", "QueryLanguage"}
_FLOW = {"Next", "End"}
_GUARDS = {"Retry", "Catch"}

FIELDS: dict[str, frozenset[str]] = {
    name: frozenset(fields | {"Type", "Comment"})
    for name, fields in {
        "Pass": _FLOW | _IO | _JSONATA | {"ResultPath", "Parameters", "Result"},
        "Task": _FLOW | _IO | _JSONATA | _GUARDS | {
            "Resource", "ResultPath", "Parameters", "ResultSelector", "TimeoutSeconds", "TimeoutSecondsPath",
            "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials"},
        "Choice": _IO | _JSONATA | {"Choices", "Default"},
        "Wait": _FLOW | _IO | _JSONATA | {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
        "Succeed": _IO | {"Output", "QueryLanguage"},
        "Fail": {"Error", "ErrorPath", "Cause", "CausePath", "QueryLanguage"},
        "Parallel": _FLOW | _IO | _JSONATA | _GUARDS | {"Branches", "ResultPath", "Parameters", "ResultSelector"},
        "Map": _FLOW | _IO | _JSONATA | _GUARDS | {
            "Iterator", "ItemProcessor", "ItemsPath", "Items", "ItemSelector", "Parameters", "MaxConcurrency",
            "MaxConcurrencyPath", "ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath", "ToleratedFailureCount", "ToleratedFailureCountPath", "Label",
            "ResultPath", "ResultSelector"},
    }.items()
}
"""State type -> accepted fields."""

JSONPATH_ONLY = frozenset({"InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "ItemsPath"})
"""Fields that a JSONata state must not use (it has Arguments/Output instead)."""

JSONATA_ONLY = frozenset({"Arguments", "Output", "Items"})
"""Fields that only JSONata states use."""

TOP_LEVEL = frozenset({"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage",
                       "AttiniRunners"})
"""Fields of a state machine definition (AttiniRunners is ours, ignored by the engine)."""

FLOWS = frozenset({"Pass", "Task", "Wait", "Parallel", "Map"})
"""State types that need exactly one of Next/End."""

ERRORS = frozenset({
    "States.ALL", "States.Timeout", "States.HeartbeatTimeout", "States.TaskFailed", "States.Permissions",
    "States.ResultPathMatchFailure", "States.ParameterPathFailure", "States.BranchFailed",
    "States.NoChoiceMatched", "States.IntrinsicFailure", "States.ExceedToleratedFailureThreshold",
    "States.ItemReaderFailed", "States.ResultWriterFailed", "States.DataLimitExceeded", "States.Runtime",
    "States.QueryEvaluationError",
})
"""The built-in ``States.*`` error names ``ErrorEquals`` may name (``States.ParameterPathFailure`` is
in the spec's list, so a catcher may name it, but Step Functions never raises it)."""

RETRIER = frozenset({"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                     "JitterStrategy", "Comment"})
CATCHER = frozenset({"ErrorEquals", "Next", "ResultPath", "Assign", "Output", "Comment"})

COMPARATORS: dict[str, str] = {
    **{f"String{op}": "string" for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals",
                                           "GreaterThanEquals", "Matches")},
    **{f"Numeric{op}": "number" for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals",
                                            "GreaterThanEquals")},
    "BooleanEquals": "boolean",
    **{f"Timestamp{op}": "timestamp" for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals",
                                                 "GreaterThanEquals")},
    **{t: "boolean" for t in ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")},
}
"""Choice comparison operator -> type of its value (each also has a ``...Path`` form, except ``Is*`` and Matches)."""

for _op in list(COMPARATORS):
    if not _op.startswith("Is") and _op != "StringMatches":
        COMPARATORS[f"{_op}Path"] = "path"
