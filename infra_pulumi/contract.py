"""The contract between the installed backend and the SDK: the JSON in SSM ``/attini/backend``.

The SDK (``Environment.aws``) reads this one parameter and finds everything else from it. The
schema below is the whole contract; ``docs/aws.md`` describes each key. Changing the meaning of
a key means a new ``schema`` number; adding a key does not.

    >>> c = build(**{key: "x" for key in RESOURCE_KEYS}, retention_days=10, retention_versions=10,
    ...           max_concurrent_jobs=4, idle_ttl_seconds=900, cpu=1024, memory=2048)
    >>> c["schema"], c["table_gsis"], c["secrets_prefix"], c["runner"]["visibility_timeout_seconds"]
    (1, ['GSI1', 'GSI2'], '/attini/secrets/', 300)
    >>> problems(c)
    []
"""

from __future__ import annotations

__all__ = ["SCHEMA", "RESOURCE_KEYS", "SETTING_KEYS", "SCHEMA_VERSION", "PARAMETER_NAME", "SECRETS_PREFIX",
           "TABLE_GSIS",
           "RUNNER_VISIBILITY_TIMEOUT", "RUNNER_HEARTBEAT_SECONDS", "build", "problems"]

SCHEMA_VERSION = 1
PARAMETER_NAME = "/attini/backend"
SECRETS_PREFIX = "/attini/secrets/"
TABLE_GSIS = ["GSI1", "GSI2"]

# A runner holds a job's message while it works and extends its visibility at every heartbeat;
# a runner that dies stops extending, so the job reappears after at most this long (see docs/aws.md).
RUNNER_HEARTBEAT_SECONDS = 60
RUNNER_VISIBILITY_TIMEOUT = 5 * RUNNER_HEARTBEAT_SECONDS

# key -> type of its value, or a nested schema. Every key is required.
SCHEMA: dict = {
    "schema": int,
    "region": str,
    "account_id": str,
    "name_prefix": str,
    "artifact_bucket": str,
    "table": str,
    "table_gsis": list,
    "deploy_events_queue_url": str,
    "deploy_events_dlq_url": str,
    "runner_jobs_queue_url": str,
    "runner_jobs_dlq_url": str,
    "state_machine_role_arn": str,
    "state_machine_prefix": str,
    "state_machine_log_group_arn": str,
    "init_deploy_function": str,
    "finalize_function": str,
    "event_rule": str,
    "cluster": str,
    "runner_task_definition": str,
    "runner_service": str,
    "runner_log_group": str,
    "deployer_policy_arn": str,
    "operator_policy_arn": str,
    "retention": {"days": int, "versions": int},
    "runner": {"max_concurrent_jobs": int, "idle_ttl_seconds": int, "cpu": int, "memory": int,
               "visibility_timeout_seconds": int, "heartbeat_seconds": int},
    "secrets_prefix": str,
}

# The constants above are filled in by build(); these keys come from the resources...
RESOURCE_KEYS = tuple(key for key, kind in SCHEMA.items() if kind is str and key != "secrets_prefix")
# ...and these from the settings (AttiniBackendArgs), flattened into the nested sections.
_NESTED = {"retention_days": ("retention", "days"), "retention_versions": ("retention", "versions"),
           "max_concurrent_jobs": ("runner", "max_concurrent_jobs"),
           "idle_ttl_seconds": ("runner", "idle_ttl_seconds"), "cpu": ("runner", "cpu"),
           "memory": ("runner", "memory")}
SETTING_KEYS = tuple(_NESTED)


def build(**values) -> dict:
    """The contract from resolved resource outputs and settings; raises ``ValueError`` if incomplete.

    Flat keyword arguments: every key of :data:`RESOURCE_KEYS` and :data:`SETTING_KEYS`.
    """
    unknown = sorted(set(values) - set(RESOURCE_KEYS) - set(SETTING_KEYS))
    if unknown:
        raise ValueError(f"not contract inputs: {', '.join(unknown)}")
    contract: dict = {"schema": SCHEMA_VERSION, "table_gsis": list(TABLE_GSIS), "secrets_prefix": SECRETS_PREFIX,
                      "retention": {}, "runner": {"visibility_timeout_seconds": RUNNER_VISIBILITY_TIMEOUT,
                                                  "heartbeat_seconds": RUNNER_HEARTBEAT_SECONDS}}
    for key, value in values.items():
        if key in _NESTED:
            section, field = _NESTED[key]
            contract[section][field] = int(value)
        else:
            contract[key] = value
    found = problems(contract)
    if found:
        raise ValueError("backend contract is incomplete: " + "; ".join(found))
    return contract


def problems(contract: dict, schema: dict | None = None, where: str = "") -> list[str]:
    """What is missing, extra or of the wrong type in ``contract`` (empty when it is valid)."""
    schema = SCHEMA if schema is None else schema
    found = []
    for key, kind in schema.items():
        name = f"{where}{key}"
        if key not in contract:
            found.append(f"{name} is missing")
        elif isinstance(kind, dict):
            value = contract[key]
            found += problems(value, kind, f"{name}.") if isinstance(value, dict) else [f"{name} is not an object"]
        elif not isinstance(contract[key], kind) or (kind is str and not contract[key]):
            found.append(f"{name} should be a non-empty {kind.__name__}, got {contract[key]!r}")
    found += [f"{where}{key} is not part of schema {SCHEMA_VERSION}" for key in contract if key not in schema]
    return found
