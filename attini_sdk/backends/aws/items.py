"""The DynamoDB item model of the AWS backend: keys, encoding and decoding, as pure functions.

One table holds every record (``docs/aws.md``, "Items in the state table"). Keys are strings: ``PK``/``SK``
plus two overloaded indexes, ``GSI1`` (``GSI1PK``/``GSI1SK``) and ``GSI2`` (``GSI2PK``/``GSI2SK``).
Items here are in DynamoDB's low-level attribute-value form (``{"S": "dev"}``, ``{"N": "3"}``), the form the
boto3 *client* takes, so nothing here needs boto3::

    >>> from datetime import datetime, timezone
    >>> from attini_sdk.backends.records import EnvironmentRecord
    >>> item = environment_item(EnvironmentRecord("dev", "test", datetime(2026, 1, 1, tzinfo=timezone.utc)))
    >>> item["PK"], item["SK"], item["GSI1PK"], item["GSI1SK"]
    ({'S': 'ENV#dev'}, {'S': 'ENV'}, {'S': 'ENVS'}, {'S': 'dev'})
    >>> environment_from_item(item).name
    'dev'

Nested values (tags, parameters, outputs, step output) are stored as compact JSON text, times as integer
microseconds since the epoch (UTC) except the TTL attribute ``expires_at``, which DynamoDB wants in epoch
seconds. Item layout:

=====================  ==============================  ===============================  ===========================
item                   PK / SK                         GSI1PK / GSI1SK                  GSI2PK / GSI2SK
=====================  ==============================  ===============================  ===========================
environment            ``ENV#<env>`` / ``ENV``          ``ENVS`` / ``<env>``
parameter              ``ENV#<env>`` / ``PARAM#<key>``
distribution pointer   ``ENV#<env>`` / ``DIST#<dist>``
reuse pointer          ``ENV#<env>`` / ``REUSE#<dist>#<step>``
deployment             ``DEP#<id>`` / ``DEP``           ``HIST#<env>`` / ``<µs 20>#<id>``  ``HIST#<env>#<dist>`` / ``REV#<rev 10>``
step run               ``DEP#<id>`` / ``STEP#<µs 20>#<step>#<attempt>``
step run pointer       ``RUN#<run id>`` / ``RUN``
approval               ``DEP#<id>`` / ``APPROVAL#<step>``  ``PENDING#<env>`` / ``<µs 20>#<id>`` while pending
lock                   ``LOCK#<env>#<dist>`` / ``LOCK``
artifact               ``ART#<id>`` / ``ART``           ``ARTS`` / ``<id>``
artifact use           ``ART#<id>`` / ``DEP#<id>``
=====================  ==============================  ===============================  ===========================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from attini_sdk.backends.records import Approval, DeploymentRecord, EnvironmentRecord, Lock, StepRun

__all__ = [
    "ENVIRONMENTS",
    "ARTIFACTS",
    "TTL_ATTRIBUTE",
    "OUTPUTS_INLINE_LIMIT",
    "attr",
    "plain",
    "decode",
    "encode",
    "to_us",
    "to_datetime",
    "time_key",
    "revision_key",
    "environment_key",
    "environment_item",
    "environment_from_item",
    "parameter_key",
    "parameter_item",
    "distribution_key",
    "reuse_key",
    "deployment_key",
    "deployment_item",
    "deployment_from_item",
    "history_pk",
    "revisions_pk",
    "step_sk",
    "step_item",
    "step_from_item",
    "run_key",
    "approval_key",
    "approval_item",
    "approval_from_item",
    "pending_pk",
    "lock_key",
    "lock_item",
    "lock_from_item",
    "artifact_key",
    "artifact_item",
    "artifact_use_item",
    "table_definition",
]

#: GSI1 partition listing every environment
ENVIRONMENTS = "ENVS"
#: GSI1 partition listing every artifact id
ARTIFACTS = "ARTS"
#: the table's TTL attribute (epoch seconds), see infra_pulumi/table.py
TTL_ATTRIBUTE = "expires_at"
#: outputs up to this size (bytes of JSON) live on the deployment item; larger ones in S3 ``outputs/<id>.json``
OUTPUTS_INLINE_LIMIT = 300 * 1024


# -- attribute values --------------------------------------------------------------------------------


def attr(value: Any) -> dict:
    """One Python value -> a DynamoDB attribute value (str, int, bool, None; anything else as JSON text).

    >>> attr("x"), attr(3), attr(True), attr(None), attr({"a": 1})
    ({'S': 'x'}, {'N': '3'}, {'BOOL': True}, {'NULL': True}, {'S': '{"a":1}'})
    """
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    return {"S": _json(value)}


def plain(value: dict) -> Any:
    """A DynamoDB attribute value -> Python (the inverse of :func:`attr` for str, int, bool, None).

    >>> plain({"N": "12"}), plain({"S": "a"}), plain({"NULL": True}), plain({"L": [{"S": "k"}]})
    (12, 'a', None, ['k'])
    """
    kind, raw = next(iter(value.items()))
    if kind == "S":
        return raw
    if kind == "N":
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if kind == "BOOL":
        return raw
    if kind == "NULL":
        return None
    if kind == "L":
        return [plain(v) for v in raw]
    if kind == "M":
        return {k: plain(v) for k, v in raw.items()}
    if kind == "SS":
        return set(raw)
    raise ValueError(f"unsupported DynamoDB attribute type {kind}")


def encode(values: Mapping[str, Any]) -> dict:
    """A dict of plain values -> an item (attributes whose value is None are left out).

    >>> encode({"PK": "ENV#dev", "n": 2, "gone": None})
    {'PK': {'S': 'ENV#dev'}, 'n': {'N': '2'}}
    """
    return {k: attr(v) for k, v in values.items() if v is not None}


def decode(item: Mapping[str, dict]) -> dict:
    """An item -> a dict of plain values."""
    return {k: plain(v) for k, v in item.items()}


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _loads(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)


# -- times and sortable keys -------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_us(value: datetime | None) -> int | None:
    """An aware datetime -> integer microseconds since the epoch (exact).

    >>> to_us(datetime(1970, 1, 1, 0, 0, 1, tzinfo=timezone.utc))
    1000000
    """
    if value is None:
        return None
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def to_datetime(us: int | None) -> datetime | None:
    """Integer microseconds -> aware UTC datetime."""
    return None if us is None else datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc)


def time_key(us: int, suffix: str = "") -> str:
    """A sort key that orders by time: 20 zero-padded digits of microseconds, then ``#suffix``.

    >>> time_key(5, "d1")
    '00000000000000000005#d1'
    """
    return f"{us:020d}#{suffix}" if suffix else f"{us:020d}"


def revision_key(revision: int) -> str:
    """``REV#`` and 10 zero-padded digits, so revisions sort as numbers.

    >>> revision_key(42)
    'REV#0000000042'
    """
    return f"REV#{revision:010d}"


# -- environments and parameters ---------------------------------------------------------------------


def environment_key(name: str) -> dict:
    return {"PK": {"S": f"ENV#{name}"}, "SK": {"S": "ENV"}}


def environment_item(record: EnvironmentRecord) -> dict:
    """An environment as an item; listed by ``GSI1PK = ENVS``."""
    return {**environment_key(record.name), **encode({
        "GSI1PK": ENVIRONMENTS, "GSI1SK": record.name, "kind": "environment", "name": record.name,
        "type": record.type, "created_at": to_us(record.created_at), "require_signature": record.require_signature,
        "trusted_keys": list(record.trusted_keys), "keep_versions": record.keep_versions,
        "keep_days": record.keep_days})}


def environment_from_item(item: Mapping[str, dict]) -> EnvironmentRecord:
    v = decode(item)
    return EnvironmentRecord(v["name"], v["type"], to_datetime(v["created_at"]), bool(v["require_signature"]),
                             tuple(_loads(v.get("trusted_keys"), [])), int(v["keep_versions"]), int(v["keep_days"]))


def parameter_key(environment: str, key: str) -> dict:
    return {"PK": {"S": f"ENV#{environment}"}, "SK": {"S": f"PARAM#{key}"}}


def parameter_item(environment: str, key: str, value: Any, *, secret: bool, updated_us: int,
                   reference: str | None = None) -> dict:
    """A parameter; a secret one stores only ``reference`` (the SSM parameter name), never its value.

    >>> item = parameter_item("dev", "Db", None, secret=True, updated_us=0, reference="/attini/secrets/dev/Db")
    >>> sorted(decode(item))
    ['PK', 'SK', 'key', 'kind', 'reference', 'secret', 'updated_at']
    """
    values = {"kind": "parameter", "key": key, "secret": secret, "updated_at": updated_us}
    if secret:
        values["reference"] = reference
    else:
        values["value"] = _json(value)
    return {**parameter_key(environment, key), **encode(values)}


# -- distributions (revision counter, current pointer) and reuse pointers ----------------------------


def distribution_key(environment: str, distribution: str) -> dict:
    """Per (environment, distribution): ``last_revision``, ``last_id``, ``current_id``, ``current_revision``."""
    return {"PK": {"S": f"ENV#{environment}"}, "SK": {"S": f"DIST#{distribution}"}}


def reuse_key(environment: str, distribution: str, step: str) -> dict:
    """The last successful run of a step in (environment, distribution): "skip unchanged" in one read."""
    return {"PK": {"S": f"ENV#{environment}"}, "SK": {"S": f"REUSE#{distribution}#{step}"}}


# -- deployments -------------------------------------------------------------------------------------


def deployment_key(deployment_id: str) -> dict:
    return {"PK": {"S": f"DEP#{deployment_id}"}, "SK": {"S": "DEP"}}


def history_pk(environment: str) -> str:
    """GSI1 partition of an environment's history (sort key: start time, newest last)."""
    return f"HIST#{environment}"


def revisions_pk(environment: str, distribution: str) -> str:
    """GSI2 partition of one distribution's deployments in an environment (sort key: revision)."""
    return f"HIST#{environment}#{distribution}"


def deployment_item(record: DeploymentRecord, *, request_id: str | None = None,
                    execution_arn: str | None = None, outputs: Any = None, outputs_key: str | None = None) -> dict:
    """A deployment; on GSI1 (environment history by start time) and GSI2 (by revision).

    >>> d = DeploymentRecord("0001", "dev", "app", 3, "sha256:ab", "1.0.0", "running",
    ...                      datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> item = deployment_item(d, request_id="r-1")
    >>> item["GSI2SK"]["S"], deployment_from_item(item) == d, decode(item)["request_id"]
    ('REV#0000000003', True, 'r-1')
    """
    started = to_us(record.started_at)
    return {**deployment_key(record.id), **encode({
        "GSI1PK": history_pk(record.environment), "GSI1SK": time_key(started or 0, record.id),
        "GSI2PK": revisions_pk(record.environment, record.distribution), "GSI2SK": revision_key(record.revision),
        "kind": "deployment", "id": record.id, "environment": record.environment,
        "distribution": record.distribution, "revision": record.revision,
        "distribution_id": record.distribution_id, "version": record.version, "status": record.status,
        "started_at": started, "finished_at": to_us(record.finished_at), "deployed_by": record.deployed_by,
        "reason": record.reason, "error": record.error, "cause": record.cause, "execution_id": record.execution_id,
        "tags": dict(record.tags), "parameters": dict(record.parameters), "request_id": request_id,
        "execution_arn": execution_arn, "outputs": None if outputs is None else _json(outputs),
        "outputs_key": outputs_key})}


def deployment_from_item(item: Mapping[str, dict]) -> DeploymentRecord:
    v = decode(item)
    return DeploymentRecord(
        v["id"], v["environment"], v["distribution"], int(v["revision"]), v["distribution_id"], v.get("version"),
        v["status"], to_datetime(v.get("started_at")), to_datetime(v.get("finished_at")), v.get("deployed_by", ""),
        v.get("reason"), v.get("error"), v.get("cause"), v.get("execution_id"), _loads(v.get("tags"), {}),
        _loads(v.get("parameters"), {}))


# -- step runs ---------------------------------------------------------------------------------------


def step_sk(started_us: int, step: str, attempt: int, run_id: int) -> str:
    """``STEP#<µs 20>#<step>#<attempt>#<run id>``: a deployment's runs in start order (the run id keeps two
    runs started in the same microsecond apart)."""
    return f"STEP#{started_us:020d}#{step}#{attempt}#{run_id}"


def run_key(run_id: int) -> dict:
    """The pointer from a step run id to its deployment (``finish_step_run`` gets only the id)."""
    return {"PK": {"S": f"RUN#{run_id}"}, "SK": {"S": "RUN"}}


def step_item(run: StepRun, *, started_us: int, redacted: bool = False) -> dict:
    """A step run under its deployment's partition.

    >>> run = StepRun(7, "d1", "Db", "attini:cfn", "succeeded", to_datetime(5), to_datetime(9), output={"a": 1})
    >>> step_from_item(step_item(run, started_us=5)) == run
    True
    """
    return {"PK": {"S": f"DEP#{run.deployment_id}"}, "SK": {"S": step_sk(started_us, run.step, run.attempt, run.id)},
            **encode({"kind": "step", "run_id": run.id, "deployment_id": run.deployment_id, "step": run.step,
                      "type": run.type, "status": run.status, "started_at": to_us(run.started_at),
                      "finished_at": to_us(run.finished_at), "attempt": run.attempt, "fingerprint": run.fingerprint,
                      "output": None if run.output is None else _json(run.output), "redacted": redacted,
                      "log_path": run.log_path, "error": run.error, "cause": run.cause})}


def step_from_item(item: Mapping[str, dict]) -> StepRun:
    v = decode(item)
    return StepRun(int(v["run_id"]), v["deployment_id"], v["step"], v["type"], v["status"],
                   to_datetime(v.get("started_at")), to_datetime(v.get("finished_at")), int(v.get("attempt", 1)),
                   v.get("fingerprint"), _loads(v.get("output")), v.get("log_path"), v.get("error"), v.get("cause"))


# -- approvals ---------------------------------------------------------------------------------------


def approval_key(deployment_id: str, step: str) -> dict:
    return {"PK": {"S": f"DEP#{deployment_id}"}, "SK": {"S": f"APPROVAL#{step}"}}


def pending_pk(environment: str) -> str:
    """GSI1 partition of the approvals still waiting in an environment."""
    return f"PENDING#{environment}"


def approval_item(approval: Approval, environment: str) -> dict:
    """An approval; while pending it is on GSI1 under ``PENDING#<env>``, oldest first."""
    values = {"kind": "approval", "deployment_id": approval.deployment_id, "step": approval.step,
              "token": approval.token, "requested_at": to_us(approval.requested_at), "environment": environment,
              "decided_at": to_us(approval.decided_at), "decision": approval.decision, "message": approval.message}
    if approval.pending:
        values.update(GSI1PK=pending_pk(environment),
                      GSI1SK=time_key(to_us(approval.requested_at) or 0, approval.deployment_id))
    return {**approval_key(approval.deployment_id, approval.step), **encode(values)}


def approval_from_item(item: Mapping[str, dict]) -> Approval:
    v = decode(item)
    return Approval(v["deployment_id"], v["step"], v["token"], to_datetime(v.get("requested_at")),
                    to_datetime(v.get("decided_at")), v.get("decision"), v.get("message"))


# -- locks -------------------------------------------------------------------------------------------


def lock_key(environment: str, distribution: str) -> dict:
    return {"PK": {"S": f"LOCK#{environment}#{distribution}"}, "SK": {"S": "LOCK"}}


def lock_item(lock: Lock) -> dict:
    """A lock; ``expires_at`` (epoch seconds, rounded up) lets DynamoDB's TTL sweep abandoned ones, and
    ``expires_us`` is the exact expiry the SDK compares. A parked lock has neither: it never expires.

    >>> lock = Lock("dev", "app", "o1", 12, "h", to_datetime(1), to_datetime(1), to_datetime(2_500_000), "d1")
    >>> decode(lock_item(lock))["expires_at"], lock_from_item(lock_item(lock)) == lock
    (3, True)
    """
    expires = to_us(lock.expires_at)
    return {**lock_key(lock.environment, lock.distribution), **encode({
        "kind": "lock", "environment": lock.environment, "distribution": lock.distribution, "owner": lock.owner,
        "pid": lock.pid, "host": lock.host, "acquired_at": to_us(lock.acquired_at),
        "heartbeat_at": to_us(lock.heartbeat_at), "expires_us": expires,
        TTL_ATTRIBUTE: None if expires is None else -(-expires // 1_000_000), "deployment_id": lock.deployment_id})}


def lock_from_item(item: Mapping[str, dict]) -> Lock:
    v = decode(item)
    return Lock(v["environment"], v["distribution"], owner=v["owner"], pid=v.get("pid"), host=v.get("host"),
                acquired_at=to_datetime(v.get("acquired_at")), heartbeat_at=to_datetime(v.get("heartbeat_at")),
                expires_at=to_datetime(v.get("expires_us")), deployment_id=v.get("deployment_id"))


# -- artifacts ---------------------------------------------------------------------------------------


def artifact_key(artifact_id: str) -> dict:
    return {"PK": {"S": f"ART#{artifact_id}"}, "SK": {"S": "ART"}}


def artifact_item(artifact_id: str, distribution: str, version: str | None, *, recorded_us: int,
                  signatures: list | tuple = ()) -> dict:
    """An artifact's identity (recorded once, at its first deployment); listed by ``GSI1PK = ARTS``.

    >>> decode(artifact_item("sha256:ab", "app", None, recorded_us=0))["GSI1SK"]
    'sha256:ab'
    """
    return {**artifact_key(artifact_id), **encode({
        "GSI1PK": ARTIFACTS, "GSI1SK": artifact_id, "kind": "artifact", "distribution_id": artifact_id,
        "distribution": distribution, "version": version, "recorded_at": recorded_us,
        "signatures": list(signatures)})}


def artifact_use_item(artifact_id: str, deployment_id: str, environment: str) -> dict:
    """One deployment of an artifact, under the artifact's partition (``artifact_in_use``, prefix searches)."""
    return {"PK": {"S": f"ART#{artifact_id}"}, "SK": {"S": f"DEP#{deployment_id}"},
            **encode({"kind": "artifact_use", "deployment_id": deployment_id, "environment": environment})}


# -- the table itself --------------------------------------------------------------------------------


def table_definition(name: str) -> dict:
    """``create_table`` arguments for a table laid out as ``infra_pulumi/table.py`` installs it (tests,
    benchmarks and emulation; a real account gets its table from ``pulumi up``).

    >>> sorted(table_definition("t"))
    ['AttributeDefinitions', 'BillingMode', 'GlobalSecondaryIndexes', 'KeySchema', 'TableName']
    """
    keys = ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"]
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k in keys],
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [
            {"IndexName": index, "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": f"{index}PK", "KeyType": "HASH"},
                           {"AttributeName": f"{index}SK", "KeyType": "RANGE"}]}
            for index in ("GSI1", "GSI2")],
    }
