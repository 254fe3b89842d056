"""What one deployment runs with: per-environment config, parameters, checked dependencies, the payload.

Everything here is decided before a deployment starts and reads the state store only through its protocol
(:class:`~attini_sdk.backends.base.StateStore`), so both backends build the same inputs::

    inputs = resolve_inputs(store, store.get_environment("dev"), artifact, {"LogLevel": "DEBUG"})
    inputs.parameters        # initDeployConfig default+dev, then environment parameters, then the call's
    inputs.dependencies      # {"network": DependencyState(...)}: present, in range, last attempt not failed
    payload = build_payload(inputs, deployment)   # the plan's execution input (docs/internals.md)

Parameters are layered lowest first: ``initDeployConfig.parameters`` (``default`` merged with the
environment's section; ``{sourceType: Distribution}`` values read from the dependency's recorded final
payload with the engine's JSONPath), the environment's parameters (``env.parameters``), the ``parameters=``
of the deploy call.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs

from attini_sdk.backends.records import DeploymentRecord, EnvironmentRecord
from attini_sdk.errors import DependencyError

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.artifacts.artifact import Artifact
    from attini_sdk.backends.base import StateStore

__all__ = ["DependencyState", "DeploymentInputs", "check_dependencies", "resolve_inputs", "build_payload",
           "secret_texts"]


@attrs.frozen
class DependencyState:
    """A declared dependency as found in the environment: its current deployment and recorded outputs.

    ``outputs`` is the dependency's final payload (what Import and ``sourceType: Distribution`` read).

    >>> d = DeploymentRecord("d1", "dev", "network", 2, "sha256:ab", "1.0.0", "succeeded", None)
    >>> DependencyState("network", ">=1.0.0", d, {"output": {"Network": {"VpcId": "vpc-1"}}}).version
    '1.0.0'
    """

    name: str
    range: str
    deployment: DeploymentRecord
    outputs: Any = None

    @property
    def version(self) -> str | None:
        return self.deployment.version

    @property
    def distribution_id(self) -> str:
        return self.deployment.distribution_id


@attrs.frozen
class DeploymentInputs:
    """The resolved inputs of one deployment of one artifact in one environment.

    ``parameters`` hold real values (never display them; ``secret_keys``/``secret_values`` say what to
    redact). ``variables`` feed ``${name}`` in Cfn ConfigFiles; ``tags`` are the distribution tags with
    ``initDeployConfig.tags`` merged over them; ``runners`` are the plan's runner definitions.
    """

    environment: EnvironmentRecord
    distribution: str
    distribution_id: str
    version: str | None
    distribution_tags: Mapping[str, str] = attrs.field(factory=dict)
    parameters: Mapping[str, Any] = attrs.field(factory=dict)
    secret_keys: frozenset[str] = frozenset()
    secret_values: tuple[str, ...] = ()
    #: secret keys whose value comes from the environment's store: the payload carries them as references
    referenced: frozenset[str] = frozenset()
    variables: Mapping[str, Any] = attrs.field(factory=dict)
    tags: Mapping[str, str] = attrs.field(factory=dict)
    dependencies: Mapping[str, DependencyState] = attrs.field(factory=dict)
    runners: Mapping[str, Any] = attrs.field(factory=dict)

    def dependency_outputs(self) -> dict[str, Any]:
        """``{name: final payload}`` of every declared dependency, for Import."""
        return {name: dep.outputs for name, dep in self.dependencies.items()}


def secret_texts(values: Any) -> tuple[str, ...]:
    """Secret values as the text they appear as in logs and outputs (JSON for non-strings).

    >>> secret_texts(["pw", 42, ""])
    ('pw', '42')
    """
    texts = (v if isinstance(v, str) else json.dumps(v) for v in values)
    return tuple(t for t in texts if t)


def check_dependencies(store: StateStore, environment: str, artifact: Artifact) -> dict[str, DependencyState]:
    """Every declared dependency of ``artifact`` in ``environment``: deployed, in range, last attempt not failed.

    Raises :class:`~attini_sdk.errors.DependencyError` naming the dependency, what was found and what to do.
    A dependency with a version range needs a deployed version in that range: a distribution deployed without
    a version does not satisfy it (Attini's rule); a dependency without a range (``*``) takes any deployment.
    """
    found = {}
    for dep in artifact.dependencies:
        name, wanted = dep.distribution_name, dep.version
        where = f"environment '{environment}', {artifact.label} needs {name} {wanted}"
        current = store.current_deployment(environment, name)
        latest = store.latest_deployment(environment, name)
        if current is None:
            tried = f" (its last attempt, revision {latest.revision}, {latest.status})" if latest else ""
            raise DependencyError(f"'{name}' is not deployed in '{environment}'{tried}", where=where,
                                  hint=f"deploy {name} {wanted} to {environment} first")
        if current.version is None and not dep.accepts(None):
            raise DependencyError(
                f"{artifact.name} needs '{name}' {wanted}, but the '{name}' that runs in '{environment}' "
                f"(revision {current.revision}, {current.distribution_id[:19]}…) has no version", where=where,
                hint=f"give {name} a version (version: in its attini-config, or -v when packaging) and deploy "
                     f"it again, or drop the range from {artifact.name}'s dependency on it")
        if not dep.accepts(current.version):
            raise DependencyError(
                f"'{name}' {current.version} runs in '{environment}', outside the range {wanted}", where=where,
                hint=f"deploy a version of {name} that satisfies {wanted}, or change the range in attini-config")
        if latest is not None and latest.status == "failed":
            raise DependencyError(
                f"the last deployment of '{name}' in '{environment}' (revision {latest.revision}, "
                f"{latest.version or latest.distribution_id[:19] + '…'}) failed: "
                f"{latest.error or 'no error recorded'}", where=where,
                hint=f"fix and redeploy {name}, or roll it back (attini deploy rollback -e {environment} -n {name})")
        found[name] = DependencyState(name, wanted, current, store.outputs(current.id, reveal=True))
    return found


def resolve_inputs(store: StateStore, environment: EnvironmentRecord, artifact: Artifact,
                   parameters: Mapping[str, Any] | None = None, *, check: bool = True) -> DeploymentInputs:
    """Resolve the per-environment config of ``artifact`` for ``environment`` and check its dependencies.

    ``check=False`` skips the dependency *checks* (a forced rollback) but still reads the outputs of the
    dependencies that are deployed.
    """
    name = environment.name
    config = artifact.config.substitute(environment=name, distribution_id=artifact.id)
    init = config.init_deploy
    dependencies = check_dependencies(store, name, artifact) if check else _present_dependencies(store, name, artifact)
    configured = init.parameters.for_environment(name) if init else {}
    merged = {key: _from_dependency(key, value, dependencies, artifact, name) for key, value in configured.items()}
    stored = store.resolved_parameters(name)
    merged.update(stored)
    merged.update(dict(parameters or {}))
    secret = {p.key for p in store.parameters(name) if p.secret}
    plan = artifact.plan or {}
    return DeploymentInputs(
        environment=environment, distribution=artifact.name, distribution_id=artifact.id, version=artifact.version,
        distribution_tags=dict(artifact.tags), parameters=merged, secret_keys=frozenset(secret),
        secret_values=secret_texts(stored[k] for k in secret if k in stored),
        referenced=frozenset(k for k in secret if k in stored and k not in (parameters or {})),
        variables=init.variables.for_environment(name) if init else {},
        tags={**artifact.tags, **(init.tags.for_environment(name) if init else {})},
        dependencies=dependencies, runners=dict(plan.get("AttiniRunners") or {}))


def _present_dependencies(store: StateStore, environment: str, artifact: Artifact) -> dict[str, DependencyState]:
    found = {}
    for dep in artifact.dependencies:
        current = store.current_deployment(environment, dep.distribution_name)
        if current is not None:
            found[dep.distribution_name] = DependencyState(dep.distribution_name, dep.version, current,
                                                           store.outputs(current.id, reveal=True))
    return found


def _from_dependency(key: str, value: Any, dependencies: Mapping[str, DependencyState], artifact: Artifact,
                     environment: str) -> Any:
    """A ``{sourceType: Distribution, source: {name, mapping}}`` parameter's value; other values as they are."""
    if not (isinstance(value, Mapping) and value.get("sourceType") == "Distribution"):
        return value
    from attini_sdk.asl.paths import PathMissing, parse_path

    source = value["source"]
    dep, path = source["name"], source["mapping"]
    where = f"environment '{environment}', {artifact.name} initDeployConfig.parameters.{key}"
    state = dependencies.get(dep)
    if state is None or state.outputs is None:
        raise DependencyError(f"parameter {key} reads {path} from '{dep}', which has no recorded outputs in "
                              f"'{environment}'", where=where, hint=f"deploy {dep} to {environment} first")
    try:
        return parse_path(path).find(state.outputs)
    except PathMissing:
        raise DependencyError(
            f"parameter {key} reads {path} from {state.deployment.label}, which has no such value", where=where,
            hint=f"check the mapping against `attini deploy output -e {environment} -n {dep}`") from None


def build_payload(inputs: DeploymentInputs, deployment: DeploymentRecord, *, random_string: str | None = None,
                  custom_data: Mapping[str, Any] | None = None) -> dict:
    """The execution input of the plan (Attini's payload layout, see ``docs/internals.md``).

    Secret environment parameters appear as references (``{{attini:secret:NAME}}``,
    :mod:`attini_sdk.backends.secret_refs`), resolved by the step recorder when a step uses them.
    ``stackParameters`` holds the parameters plus the framework's ``AttiniEnvironmentName``,
    ``AttiniDistributionName``, ``AttiniDistributionId`` and ``AttiniRandomString`` (which win over a
    parameter of the same name). ``dependencies.<name>.outputs`` is the ``output`` section of the
    dependency's final payload (Import and ``sourceType: Distribution`` read the whole payload).
    """
    from attini_sdk.backends.secret_refs import make_ref

    env = inputs.environment
    parameters = {k: make_ref(k) if k in inputs.referenced else v for k, v in inputs.parameters.items()}
    started = deployment.started_at or datetime.now(timezone.utc)
    framework = {"AttiniEnvironmentName": env.name, "AttiniDistributionName": inputs.distribution,
                 "AttiniDistributionId": inputs.distribution_id,
                 "AttiniRandomString": random_string or uuid.uuid4().hex}
    return {
        "deploymentOriginData": {
            "distributionName": inputs.distribution, "distributionId": inputs.distribution_id,
            "version": inputs.version, "environment": env.name, "environmentType": env.type,
            "deploymentId": deployment.id, "revision": deployment.revision,
            "deploymentTime": started.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "tags": dict(inputs.distribution_tags),
        },
        "environment": env.name,
        "output": {},
        "customData": dict(custom_data or {}),
        "dependencies": {name: {"distributionId": dep.distribution_id, "version": dep.version,
                                "outputs": _output_section(dep.outputs)}
                         for name, dep in inputs.dependencies.items()},
        "parameters": parameters,
        "stackParameters": {**parameters, **framework},
    }


def _output_section(final_payload: Any) -> Any:
    if isinstance(final_payload, Mapping):
        return final_payload.get("output", {})
    return {}
