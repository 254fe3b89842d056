"""Inventory, history, landscape and step runs as pandas DataFrames (DESIGN §7).

Every frame has stable snake_case columns, times as ``datetime64[ns, UTC]``, statuses as categoricals
(in :data:`~attini_sdk.backends.records.DEPLOYMENT_STATUSES` order) and is sorted newest first. Frames are built from
whole columns the store hands over, never row by row, so a million-row history stays fast. Nothing secret is
in them: the store redacted it before it was written::

    >>> import tempfile
    >>> from attini_sdk.backends.local.state import SqliteStateStore
    >>> store = SqliteStateStore.open(tempfile.mkdtemp())
    >>> _ = store.create_environment("dev")
    >>> d, lock = store.start_deployment("dev", "app", distribution_id="sha256:1", version="1.0.0")
    >>> _ = store.finish_deployment(d.id, "succeeded", lock=lock)
    >>> inventory(store, "dev")[["distribution", "version", "revision", "status"]].to_dict("records")
    [{'distribution': 'app', 'version': '1.0.0', 'revision': 1, 'status': 'succeeded'}]
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attini_sdk.backends.records import Table
from attini_sdk.deploy import rows

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from attini_sdk.backends.base import StateStore

__all__ = ["history", "inventory", "landscape", "steps", "version_key"]

version_key = rows.version_key

_NAT = -(2**63)  # numpy's NaT as int64
#: version columns: text with pandas' NA (shown ``<NA>``) where a distribution has no version
_VERSIONS = frozenset({"version", "last_version"})


def _name(env: Any) -> str:
    """Accept an environment name or anything with a ``.name`` (an Environment, an EnvironmentRecord)."""
    return env if isinstance(env, str) else env.name


def history(store: StateStore, env: Any = None, distribution: str | None = None, since: datetime | None = None,
            status: str | Collection[str] | None = None, limit: int | None = None) -> pd.DataFrame:
    """Deployments of ``env`` (None: every environment), newest first.

    Columns: deployment_id, environment, distribution, revision, version, distribution_id, status,
    started_at, finished_at, duration, deployed_by, reason, error. Labels that repeat (environment,
    distribution, version, distribution_id, status) are categoricals, so a million rows stay small.
    ``version`` is ``<NA>`` for a distribution without one (its ``distribution_id`` tells them apart).

    >>> import tempfile
    >>> from attini_sdk.backends.local.state import SqliteStateStore
    >>> store = SqliteStateStore.open(tempfile.mkdtemp())
    >>> _ = store.create_environment("dev")
    >>> for v in ("1.0.0", "1.1.0"):
    ...     d, lock = store.start_deployment("dev", "app", distribution_id="sha256:" + v, version=v)
    ...     _ = store.finish_deployment(d.id, "succeeded", lock=lock)
    >>> history(store, "dev")[["revision", "version"]].values.tolist()
    [[2, '1.1.0'], [1, '1.0.0']]
    """
    table = store.history_table(None if env is None else _name(env), distribution=distribution, since=since,
                                status=status, limit=limit)
    return _frame(table, ints=("revision",), times=("started_at", "finished_at"),
                  durations={"duration": rows.HISTORY_DURATION})


def inventory(store: StateStore, env: Any) -> pd.DataFrame:
    """What runs in ``env``: one row per distribution, last activity first (Octopus-style).

    ``version``, ``distribution_id``, ``revision``, ``deployed_at``, ``deployed_by`` describe the *current*
    deployment (the last that succeeded; empty if none did); ``status``, ``last_revision``, ``last_version``,
    ``last_started_at``, ``last_deployed_by`` the *last attempted* one. ``deployment_id`` and
    ``last_deployment_id`` identify both. A distribution without a version has ``<NA>`` versions.
    """
    table = store.inventory_table(_name(env))
    return _frame(table, ints=("revision", "last_revision"), times=("deployed_at", "last_started_at"))


def steps(store: StateStore, deployment: Any) -> pd.DataFrame:
    """Step runs of one deployment (an id or anything with ``.id``), in the order they started.

    Columns: step_run_id, step, type (Attini's name, ``AttiniCfn``, or the ASL state type), resource
    (``attini:cfn``, an AWS Task's ARN; empty for other states), status, attempt (from 1), started_at,
    finished_at, duration, fingerprint, output (parsed, secrets redacted), log_path, error, cause.
    """
    deployment_id = deployment if isinstance(deployment, str) else deployment.id
    table = store.steps_table(deployment_id)
    data = dict(table.data)
    data["output"] = [None if text is None else json.loads(text) for text in data["output"]]
    frame = _frame(Table(data, table.codes), ints=("step_run_id", "attempt"), times=("started_at", "finished_at"),
                   durations={"duration": rows.STEPS_DURATION}, objects=("output",))
    return frame


def landscape(store: StateStore, envs: Iterable[Any] | None = None) -> pd.DataFrame:
    """Distribution x environment -> current version, with drift against the newest version.

    One row per distribution (by name), one column per environment (in the order given; all environments
    when ``envs`` is None) holding the current version there, then ``newest`` (the highest semver deployed
    anywhere, ties broken by the latest deployment), ``drift`` (True when some environment runs anything
    other than that exact artifact, or lacks the distribution) and ``behind`` (those environments). An artifact
    without a version is shown by its short id (``sha256:`` and 12 hex digits) and ranks below every version.
    The rows are :func:`attini_sdk.deploy.rows.landscape_rows`, the same the CLI prints.
    """
    import pandas as pd

    names = [e.name for e in store.list_environments()] if envs is None else [_name(e) for e in envs]
    found = rows.landscape_of(store, names)
    columns = {name: _strings([r[name] for r in found]) for name in ("distribution", *names, "newest")}
    columns["drift"] = pd.Series([r["drift"] for r in found], dtype=bool)
    columns["behind"] = pd.Series([r["behind"] for r in found], dtype=object)
    return pd.DataFrame(columns, copy=False)


# -- column conversion ---------------------------------------------------------------------------------


def _frame(table: Table, *, ints: Collection[str] = (), times: Collection[str] = (),
           durations: dict[str, tuple[str, str, str]] | None = None,
           objects: Collection[str] = ()) -> pd.DataFrame:
    """Give each column its dtype: times, nullable ints, categoricals for coded columns, strings otherwise.

    ``durations`` adds ``name: (start, end, insert_before)`` timedelta columns.
    """
    import pandas as pd

    columns: dict[str, Any] = {}
    for name, values in table.data.items():
        if name in times:
            columns[name] = _times(values)
        elif name in table.codes:
            columns[name] = _categorical(values, table.codes[name], strings=name in _VERSIONS)
        elif name in _VERSIONS:
            columns[name] = pd.Series(pd.array(list(values), dtype="string"))
        elif name in ints:
            columns[name] = _ints(values)
        elif name in objects:
            columns[name] = pd.Series(list(values), dtype=object)
        else:
            columns[name] = _strings(values)
    for name, (start, end, before) in (durations or {}).items():
        duration = pd.Series(columns[end] - columns[start])
        columns = _insert_before(columns, before, name, duration)
    return pd.DataFrame(columns, copy=False)


def _insert_before(columns: dict[str, Any], before: str, name: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, column in columns.items():
        if key == before:
            out[name] = value
        out[key] = column
    return out


def _times(values: Any) -> pd.Series:
    """Microseconds since the epoch (None for unknown) -> ``datetime64[ns, UTC]``."""
    import numpy as np
    import pandas as pd

    us = np.array(values, dtype=np.float64)  # None -> NaN; exact for every microsecond timestamp until 2255
    missing = np.isnan(us)
    ns = np.where(missing, 0, us).astype(np.int64) * 1000
    ns[missing] = _NAT
    return pd.Series(pd.to_datetime(ns, unit="ns", utc=True))


def _strings(values: Any) -> pd.Series:
    """Text (None for missing) -> pandas' default ``str`` dtype, validated in one vectorised pass."""
    import numpy as np
    import pandas as pd

    dtype = pd.StringDtype(na_value=np.nan)
    if dtype.storage != "python":  # e.g. pyarrow storage: let pandas convert
        return pd.Series(values, dtype="str")
    array = np.array(values, dtype=object)
    array[np.equal(array, None)] = np.nan
    return pd.Series(pd.arrays.StringArray(array, dtype=dtype))


def _ints(values: Any) -> pd.Series:
    import numpy as np
    import pandas as pd

    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return pd.Series(values.astype(np.int64, copy=False))
    if not any(v is None for v in values):
        return pd.Series(np.array(values, dtype=np.int64))
    return pd.Series(pd.array(list(values), dtype="Int64"))


def _categorical(codes: Any, categories: tuple[str, ...], *, strings: bool = False) -> pd.Series:
    """Integer codes (None or -1: missing) into ``categories`` -> a categorical column, no string hashing.

    ``strings``: the categories are pandas' ``string`` dtype, so a missing value shows as ``<NA>``.
    """
    import numpy as np
    import pandas as pd

    if not (isinstance(codes, np.ndarray) and codes.dtype.kind == "i"):
        as_float = np.array(codes, dtype=np.float64)
        codes = np.where(np.isnan(as_float), -1, as_float)
    dtype = np.int8 if len(categories) < 127 else np.int32 if len(categories) < 2**31 else np.int64
    if strings:
        kind = pd.CategoricalDtype(pd.Index(list(categories), dtype="string"))
        return pd.Series(pd.Categorical.from_codes(codes.astype(dtype), dtype=kind))
    return pd.Series(pd.Categorical.from_codes(codes.astype(dtype), categories=list(categories)))
