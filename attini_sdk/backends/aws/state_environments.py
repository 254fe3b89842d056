"""Environments and their parameters in DynamoDB; secret values in SSM SecureString, never in the table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from attini_sdk.backends.aws import items as it
from attini_sdk.backends.aws.session import client_error_code
from attini_sdk.backends.aws.state_core import DynamoCore
from attini_sdk.backends.local.state_core import check_name
from attini_sdk.backends.records import ACTIVE_STATUSES, ENVIRONMENT_TYPES, EnvironmentRecord, Parameter
from attini_sdk.errors import BackendError, ConfigError, ConflictError, NotFoundError

__all__ = ["EnvironmentOps", "secret_reference"]


def secret_reference(key: str) -> str:
    """How a secret parameter travels through payloads, executions and queues: a reference, never its value.

    >>> secret_reference("DbPassword")
    '{{attini:secret:DbPassword}}'
    """
    return "{{attini:secret:" + key + "}}"


class EnvironmentOps(DynamoCore):
    """Create, read, change and remove environments; set and read their parameters."""

    def create_environment(self, name: str, type: str = "test", *, require_signature: bool = False,
                           trusted_keys: Sequence[str] = (), keep_versions: int = 10, keep_days: int = 10,
                           exist_ok: bool = False) -> EnvironmentRecord:
        """Create environment ``name`` (one conditional put); with ``exist_ok`` an existing one is returned."""
        check_name("environment", name)
        _check_settings(name, type, keep_versions, keep_days)
        record = EnvironmentRecord(name, type, it.to_datetime(self._now()), bool(require_signature),
                                   tuple(trusted_keys), keep_versions, keep_days)
        if self._put(it.environment_item(record), "attribute_not_exists(PK)"):
            return record
        if exist_ok:
            return self.get_environment(name)
        raise ConflictError(f"environment '{name}' already exists", where=f"environment '{name}'",
                            hint="pick another name, or change it with update_environment")

    def update_environment(self, name: str, *, type: str | None = None, require_signature: bool | None = None,
                           trusted_keys: Sequence[str] | None = None, keep_versions: int | None = None,
                           keep_days: int | None = None) -> EnvironmentRecord:
        """Change an environment's type or policies; arguments left as None stay as they are."""
        _check_settings(name, type, keep_versions, keep_days)
        changes = {"type": type, "keep_versions": keep_versions, "keep_days": keep_days,
                   "require_signature": None if require_signature is None else bool(require_signature),
                   "trusted_keys": None if trusted_keys is None else tuple(trusted_keys)}
        changes = {k: v for k, v in changes.items() if v is not None}
        current = it.environment_from_item(self._require_environment(name))
        if not changes:
            return current
        names = {f"#{k}": k for k in changes}
        values = {f":{k}": (list(v) if k == "trusted_keys" else v) for k, v in changes.items()}
        expression = "SET " + ", ".join(f"#{k} = :{k}" for k in changes)
        new = self._update(it.environment_key(name), expression, values, names=names,
                           condition="attribute_exists(PK)")
        if new is None:
            self._require_environment(name)  # raises the NotFoundError
        return it.environment_from_item(new)

    def get_environment(self, name: str) -> EnvironmentRecord:
        """The environment ``name``; :class:`NotFoundError` if there is none."""
        return it.environment_from_item(self._require_environment(name))

    def list_environments(self) -> list[EnvironmentRecord]:
        """Every environment in the table, by name."""
        return [it.environment_from_item(item) for item in self._query(it.ENVIRONMENTS, index="GSI1")]

    def environment_counts(self) -> dict[str, tuple[int, int]]:
        """``{environment: (deployments, in progress)}``: the revision counters summed, plus the active ones
        among each distribution's last deployment (only the last can be active: the lock serialises them)."""
        out = {}
        for name in self._environment_names():
            pointers = self._distributions(name)
            total = sum(int(p.get("last_revision", 0)) for p in pointers)
            last = self._deployments(p["last_id"] for p in pointers if p.get("last_id"))
            out[name] = (total, sum(1 for d in last.values() if d.status in ACTIVE_STATUSES))
        return out

    def remove_environment(self, name: str) -> None:
        """Forget an environment and its history; refused while any of its deployments is in progress.

        The environment item goes last: a crash half way leaves the environment in place, and removing it
        again finishes the job.
        """
        self._require_environment(name)
        pointers = self._distributions(name)
        last = self._deployments(p["last_id"] for p in pointers if p.get("last_id"))
        active = sorted((d for d in last.values() if d.status in ACTIVE_STATUSES), key=lambda d: d.distribution)
        if active:
            listed = ", ".join(f"{d.distribution} revision {d.revision} ({d.status})" for d in active)
            raise ConflictError(
                f"environment '{name}' has deployments in progress: {listed}", where=f"environment '{name}'",
                hint="wait for them, approve or abort the waiting ones, or if their deployer is gone run "
                     f"`attini deploy unlock -e {name} -n DISTRIBUTION` first")
        doomed = []
        for item in self._query(it.history_pk(name), index="GSI1"):
            deployment_id, artifact_id = item["id"]["S"], item["distribution_id"]["S"]
            for child in self._query(f"DEP#{deployment_id}", consistent=True):
                doomed.append(child)
                if child["SK"]["S"].startswith("STEP#"):
                    doomed.append(it.run_key(int(child["run_id"]["N"])))
            doomed.append({"PK": {"S": f"ART#{artifact_id}"}, "SK": {"S": f"DEP#{deployment_id}"}})
        for item in self._query(it.pending_pk(name), index="GSI1"):
            doomed.append(item)
        doomed += [it.lock_key(name, p["SK"][len("DIST#"):]) for p in pointers]
        secrets = []
        for item in self._query(f"ENV#{name}", consistent=True):
            if item["SK"]["S"] != "ENV":
                doomed.append(item)
                if item["SK"]["S"].startswith("PARAM#") and item.get("secret", {}).get("BOOL"):
                    secrets.append(item["reference"]["S"])
        self._batch_delete(doomed)
        for reference in secrets:
            self._delete_secret(reference)
        self._delete(it.environment_key(name))

    # -- parameters -----------------------------------------------------------------------------------

    def secret_parameter_name(self, environment: str, key: str) -> str:
        """The SSM SecureString that holds a secret parameter: ``<secrets_prefix><env>/<key>``.

        >>> from attini_sdk.backends.aws.session import AwsSession
        >>> EnvironmentOps(AwsSession(region="eu-west-1"), "t").secret_parameter_name("dev", "Db")
        '/attini/secrets/dev/Db'
        """
        return f"{self.secrets_prefix}{environment}/{key}"

    def set_parameter(self, environment: str, key: str, value: Any, *, secret: bool = False) -> Parameter:
        """Set one parameter; a ``secret`` one goes to SSM SecureString and the table keeps its name only."""
        if not key or not isinstance(key, str):
            raise ConfigError("a parameter needs a non-empty text key", where=f"environment '{environment}'")
        self._require_environment(environment)
        previous = self._get(it.parameter_key(environment, key))
        reference = None
        if secret:
            reference = self.secret_parameter_name(environment, key)
            self._ssm_call("put_parameter", Name=reference, Value=json.dumps(value), Type="SecureString",
                           Overwrite=True)
        self._put(it.parameter_item(environment, key, value, secret=secret, updated_us=self._now(),
                                    reference=reference))
        if previous is not None and previous.get("secret", {}).get("BOOL") and not secret:
            self._delete_secret(previous["reference"]["S"])
        return Parameter(key, value, secret)

    def get_parameter(self, environment: str, key: str) -> Parameter:
        """One parameter with its real value (a secret is read from SSM): for resolving, never for display."""
        item = self._get(it.parameter_key(environment, key))
        if item is None:
            raise NotFoundError(f"environment '{environment}' has no parameter '{key}'",
                                where=f"environment '{environment}'", hint="set it with env.parameters[KEY] = VALUE",
                                cli_hint=f"set it: attini environment param set KEY VALUE -e {environment}")
        return self._parameter(item, resolve=True)

    def remove_parameter(self, environment: str, key: str) -> None:
        """Delete one parameter (and its SSM secret); :class:`NotFoundError` if it is not set."""
        old = self._delete(it.parameter_key(environment, key))
        if old is None:
            self.get_parameter(environment, key)  # raises the NotFoundError
            return
        if old.get("secret", {}).get("BOOL"):
            self._delete_secret(old["reference"]["S"])

    def parameters(self, environment: str) -> list[Parameter]:
        """Every parameter of ``environment`` by key, secret values replaced by ``***`` (SSM is not read)."""
        self._require_environment(environment)
        items = self._query(f"ENV#{environment}", begins="PARAM#", consistent=True)
        return [self._parameter(item, resolve=False) for item in items]

    def resolved_parameters(self, environment: str) -> dict[str, Any]:
        """``{key: real value}``, secrets read from SSM. Never display this; never put it in an execution
        input (use :meth:`referenced_parameters` there)."""
        self._require_environment(environment)
        items = list(self._query(f"ENV#{environment}", begins="PARAM#", consistent=True))
        values = self._read_secrets([i["reference"]["S"] for i in items if i.get("secret", {}).get("BOOL")])
        out = {}
        for item in items:
            v = it.decode(item)
            out[v["key"]] = values[v["reference"]] if v.get("secret") else json.loads(v["value"])
        return out

    def referenced_parameters(self, environment: str) -> dict[str, Any]:
        """``{key: value}`` with every secret as its reference (``{{attini:secret:KEY}}``): what may travel in an
        execution input, an SQS message or a table item; the runner resolves references when it uses them."""
        self._require_environment(environment)
        out = {}
        for item in self._query(f"ENV#{environment}", begins="PARAM#", consistent=True):
            v = it.decode(item)
            out[v["key"]] = secret_reference(v["key"]) if v.get("secret") else json.loads(v["value"])
        return out

    def _parameter(self, item: dict, *, resolve: bool) -> Parameter:
        v = it.decode(item)
        if not v.get("secret"):
            return Parameter(v["key"], json.loads(v["value"]), False)
        if not resolve:
            return Parameter(v["key"], "***", True)
        return Parameter(v["key"], self._read_secrets([v["reference"]])[v["reference"]], True)

    def _secrets(self, environment: str) -> tuple[set[str], list[str]]:
        """(secret keys, secret values as text) of an environment, for redaction at the source."""
        items = [it.decode(i) for i in self._query(f"ENV#{environment}", begins="PARAM#", consistent=True)]
        secret = [v for v in items if v.get("secret")]
        if not secret:
            return set(), []
        values = self._read_secrets([v["reference"] for v in secret])
        texts = [v if isinstance(v, str) else json.dumps(v) for v in values.values()]
        return {v["key"] for v in secret}, texts

    # -- SSM ------------------------------------------------------------------------------------------

    def _ssm_call(self, name: str, **kwargs) -> dict:
        try:
            return getattr(self.session.client("ssm"), name)(**kwargs)
        except Exception as exc:
            code = client_error_code(exc)
            if code is None:
                raise
            raise BackendError(f"SSM {name} failed: {exc}", where=f"SSM ({self.session.describe()})",
                               hint="check that your role may read and write parameters under "
                                    f"{self.secrets_prefix}") from exc

    def _read_secrets(self, names: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for start in range(0, len(names), 10):
            chunk = names[start:start + 10]
            page = self._ssm_call("get_parameters", Names=chunk, WithDecryption=True)
            for p in page.get("Parameters", []):
                out[p["Name"]] = json.loads(p["Value"])
            for missing in page.get("InvalidParameters", []):
                raise NotFoundError(f"secret parameter {missing} is missing from SSM", where=f"SSM {missing}",
                                    hint="set the parameter again: env.parameters.set(KEY, VALUE, secret=True)",
                                    cli_hint="set the parameter again: attini environment param set KEY VALUE "
                                             "--secret -e ENV")
        return out

    def _delete_secret(self, name: str) -> None:
        try:
            self.session.client("ssm").delete_parameter(Name=name)
        except Exception as exc:
            if client_error_code(exc) != "ParameterNotFound":
                raise


def _check_settings(name: str, type: str | None, keep_versions: int | None, keep_days: int | None) -> None:
    if type is not None and type not in ENVIRONMENT_TYPES:
        raise ConfigError(f"environment type must be 'test' or 'production', got {type!r}",
                          where=f"environment '{name}'")
    for field, value in (("keep_versions", keep_versions), ("keep_days", keep_days)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ConfigError(f"{field} must be a whole number >= 0, got {value!r}", where=f"environment '{name}'",
                              hint="0 and 0 keeps every artifact; Attini's default is 10 and 10")

