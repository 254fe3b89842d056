"""Inventory, history, landscape, environments and step runs as plain rows: the DataFrames' columns, no pandas.

The CLI prints a page of rows, as a table or as JSON; importing pandas (and numpy) for that would cost more
than the query. So each view here reads the store's plain tables (``arrays=False``) and returns one dict per
row, with the same column names as the DataFrames of :mod:`attini_sdk.deploy.frames`, times as aware UTC
datetimes, durations as timedeltas and missing values as None::

    >>> import tempfile
    >>> from attini_sdk.deploy.environment import Environment
    >>> dev = Environment.local("dev", home=tempfile.mkdtemp())
    >>> inventory(dev), environments(dev.home)[0]["name"]
    ([], 'dev')

The landscape is computed here in plain Python for both: :func:`attini_sdk.deploy.frames.landscape` makes its
DataFrame from :func:`landscape_rows`.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from attini_sdk.backends.records import Table

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.backends.records import DeploymentRecord
    from attini_sdk.deploy.deployment import Deployment
    from attini_sdk.deploy.environment import Environment

__all__ = ["history", "inventory", "landscape", "landscape_of", "landscape_rows", "artifact_deployments",
           "environment_names", "environments",
           "steps", "version_key", "HISTORY_DURATION", "STEPS_DURATION"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: where the ``duration`` column goes: (start, end, the column it comes before), as in the DataFrames
HISTORY_DURATION = ("started_at", "finished_at", "deployed_by")
STEPS_DURATION = ("started_at", "finished_at", "fingerprint")
_HISTORY_TIMES = ("started_at", "finished_at")
_INVENTORY_TIMES = ("deployed_at", "last_started_at")


def history(env: Environment, *, distribution: str | None = None, since: datetime | None = None,
            status: str | Collection[str] | None = None, limit: int | None = None) -> list[dict]:
    """``env.history(...)`` as rows, newest first."""
    env._backend.detect_interrupted(env.name)
    table = env._backend.state.history_table(env.name, distribution=distribution, since=since, status=status,
                                             limit=limit, arrays=False)
    return _rows(table, _HISTORY_TIMES, HISTORY_DURATION)


def inventory(env: Environment) -> list[dict]:
    """``env.inventory()`` as rows: per distribution its current and last attempted deployment."""
    env._backend.detect_interrupted(env.name)
    return _rows(env._backend.state.inventory_table(env.name, arrays=False), _INVENTORY_TIMES)


def steps(deployment: Deployment) -> list[dict]:
    """``deployment.steps`` as rows, in the order the steps started (``output`` parsed, secrets redacted)."""
    import json

    d = deployment
    table = d._backend.orchestrator.steps_table(d.record, d._env._secret_values(), arrays=False)
    rows = _rows(table, _HISTORY_TIMES, STEPS_DURATION)
    for row in rows:
        row["output"] = None if row["output"] is None else json.loads(row["output"])
    return rows


def artifact_deployments(prefix: str, env: Environment | None = None, distribution: str | None = None, *,
                         home: str | os.PathLike | None = None) -> list[DeploymentRecord]:
    """Deployments (records), newest first, of the artifacts whose id starts with ``prefix``: in ``env`` (or
    any local environment) and of ``distribution`` (or any). Expands a short id without reading a history."""
    from attini_sdk.deploy.environment import default_backend

    backend = env._backend if env is not None else default_backend(home)
    return backend.state.artifact_deployments(prefix, None if env is None else env.name, distribution)


def environment_names(home: str | os.PathLike | None = None) -> list[str]:
    """Names of every environment (of the chosen backend, local by default), by name: the environments
    table alone."""
    from attini_sdk.deploy.environment import default_backend

    return [e.name for e in default_backend(home).state.list_environments()]


def environments(home: str | os.PathLike | None = None) -> list[dict]:
    """Every local environment by name: name, type, backend, created_at, deployments, running, and its
    retention and signature policy (keep_versions, keep_days, require_signature, trusted_keys: how many)."""
    from attini_sdk.deploy.environment import default_backend

    backend = default_backend(home)
    backend.detect_interrupted()
    counts = backend.state.environment_counts()
    return [{"name": e.name, "type": e.type, "backend": backend.name, "created_at": e.created_at,
             "deployments": counts.get(e.name, (0, 0))[0], "running": counts.get(e.name, (0, 0))[1],
             "keep_versions": e.keep_versions, "keep_days": e.keep_days, "require_signature": e.require_signature,
             "trusted_keys": len(e.trusted_keys)}
            for e in backend.state.list_environments()]


def landscape(envs: Iterable[Any] | None = None, home: str | os.PathLike | None = None) -> list[dict]:
    """``at.landscape(envs)`` as rows: one per distribution, a version column per environment, then
    ``newest``, ``drift`` and ``behind``."""
    from attini_sdk.deploy.environment import default_backend

    return landscape_of(default_backend(home).state, envs)


def landscape_of(store, envs: Iterable[Any] | None = None) -> list[dict]:
    """:func:`landscape` of the environments of one state store (all of them when ``envs`` is None)."""
    names = [e.name for e in store.list_environments()] if envs is None else [_name(e) for e in envs]
    return landscape_rows(_rows(store.landscape_table(names, arrays=False), ("deployed_at",)), names)


def landscape_rows(current: Sequence[dict], names: Sequence[str]) -> list[dict]:
    """Current deployments (environment, distribution, version, distribution_id, deployed_at) -> one row per
    distribution (by name) with the version in each of ``names``, the ``newest`` version (highest semver, the
    latest deployment among equals), ``drift`` (some environment runs another artifact than the newest, or
    none) and ``behind`` (those environments, in the order of ``names``).

    >>> at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> landscape_rows([{"environment": "dev", "distribution": "app", "version": "1.10.0",
    ...                  "distribution_id": "sha256:b", "deployed_at": at},
    ...                 {"environment": "acc", "distribution": "app", "version": "1.9.0",
    ...                  "distribution_id": "sha256:a", "deployed_at": at}], ["dev", "acc"])
    [{'distribution': 'app', 'dev': '1.10.0', 'acc': '1.9.0', 'newest': '1.10.0', 'drift': True, 'behind': ['acc']}]
    """
    by_distribution: dict[str, dict[str, dict]] = {}
    for row in current:
        by_distribution.setdefault(row["distribution"], {})[row["environment"]] = row
    out = []
    for distribution in sorted(by_distribution):
        here = by_distribution[distribution]
        # among equals the last one read wins (environments in name order), as a stable sort would have it
        newest = max(reversed(here.values()), key=lambda r: (version_key(r["version"]), r["deployed_at"] or _EPOCH))
        behind = [n for n in names if n not in here or here[n]["distribution_id"] != newest["distribution_id"]]
        out.append({"distribution": distribution, **{n: _label(here[n]) if n in here else None for n in names},
                    "newest": _label(newest), "drift": bool(behind), "behind": behind})
    return out


def _label(row: dict) -> str:
    """What a landscape cell shows: the version, or the short id of an artifact without one (which ranks below
    every version; drift compares ids, so it is the same with or without versions)."""
    version = row["version"]
    return version if isinstance(version, str) else row["distribution_id"][:19]


def version_key(version: str | None) -> tuple:
    """Sort key in semver precedence; text that is not semver sorts below every release, by text.

    >>> sorted(["1.10.0", "1.2.0", "1.2.0-rc.1", "1.2.0-rc.10", "1.2.0-beta"], key=version_key)
    ['1.2.0-beta', '1.2.0-rc.1', '1.2.0-rc.10', '1.2.0', '1.10.0']
    """
    from attini_sdk.config.semver import Version
    from attini_sdk.errors import ConfigError

    try:
        return (1, Version.parse(version), "")
    except ConfigError:
        return (0, None, version or "")


def _name(env: Any) -> str:
    """An environment name, or anything with a ``.name`` (an Environment, an EnvironmentRecord)."""
    return env if isinstance(env, str) else env.name


def _rows(table: Table, times: Collection[str] = (), duration: tuple[str, str, str] | None = None) -> list[dict]:
    """A plain :class:`Table` -> one dict per row: codes decoded, ``times`` (stored microseconds) as datetimes,
    and a ``duration`` column (end - start) placed before the column ``duration[2]`` names."""
    names = list(table.columns)
    columns = [[_time(v) for v in table.values(n)] if n in times else table.values(n) for n in names]
    if duration is not None:
        start, end, before = duration
        spans = [None if a is None or b is None else b - a
                 for a, b in zip(columns[names.index(start)], columns[names.index(end)])]
        at = names.index(before)
        names.insert(at, "duration")
        columns.insert(at, spans)
    return [dict(zip(names, values)) for values in zip(*columns)] if columns else []


def _time(us: int | None) -> datetime | None:
    return None if us is None else _EPOCH + timedelta(microseconds=us)
