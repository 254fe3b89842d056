"""The tabular queries behind the inventory DataFrames: indexed SQL, columns out, nothing built per row.

Python's sqlite3 driver spends ~0.1-0.3 µs per cell it hands over, which dominates a million-row history.
So queries return as few and as cheap cells as possible: statuses as small integer codes (a ``CASE``),
artifacts as integer keys decoded once per distinct artifact with numpy, and the garbage collector is paused
while the tuples are created (it would otherwise rescan them again and again). Column names here are the
DataFrame column names; :mod:`attini_sdk.deploy.frames` adds the dtypes.

Every query also has a plain form (``arrays=False``): the same columns as Python lists with the labels already
decoded, and no numpy. The CLI prints a page of rows that way without paying for numpy or pandas, and a page
costs what it returns: labels are looked up for the keys on the page only (:func:`_lookup`), never by reading
a whole table.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager

from attini_sdk.backends.records import DEPLOYMENT_STATUSES, STEP_STATUSES, Table

__all__ = ["HISTORY_COLUMNS", "INVENTORY_COLUMNS", "LANDSCAPE_COLUMNS", "STEP_COLUMNS", "history_query", "history",
           "inventory", "landscape", "steps"]

_STATUS_CODE = "CASE {col} " + " ".join(
    f"WHEN '{s}' THEN {i}" for i, s in enumerate(DEPLOYMENT_STATUSES)) + " END"
_STEP_STATUS_CODE = "CASE {col} " + " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STEP_STATUSES)) + " END"


@contextmanager
def _gc_paused() -> Iterator[None]:
    # creating a million row tuples triggers repeated full collections that find nothing to free
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _columns(cursor: sqlite3.Cursor, names: Sequence[str], dtypes: dict[str, str] | None = None, *,
             arrays: bool = True) -> dict:
    """Fetch every row and hand back one numpy array per column (``dtypes``: e.g. int64; default object).

    The row tuples never meet the garbage collector: it is paused while they exist, and numpy arrays (which
    it does not walk) are all that is left when it resumes. ``arrays=False``: plain lists, no numpy.
    """
    if not arrays:
        rows = cursor.fetchall()
        return {name: list(column) for name, column in zip(names, zip(*rows) if rows else [() for _ in names])}
    import numpy as np

    dtypes = dtypes or {}
    with _gc_paused():
        rows = cursor.fetchall()
        columns = list(zip(*rows)) if rows else [() for _ in names]
        del rows
        out = {name: np.array(column, dtype=dtypes.get(name, object)) for name, column in zip(names, columns)}
        del columns
    return out


def history_query(environment: str | None, *, distribution: str | None = None, since_us: int | None = None,
                  statuses: Collection[str] | None = None, limit: int | None = None,
                  select: str, joins: str = "") -> tuple[str, list]:
    """The SQL and arguments of a history query (newest first); ``select`` lists the columns."""
    where, args = [], []
    for clause, value in (("d.environment = ?", environment), ("d.distribution = ?", distribution),
                          ("d.started_at >= ?", since_us)):
        if value is not None:
            where.append(clause)
            args.append(value)
    if statuses:
        where.append(f"d.status IN ({', '.join('?' * len(statuses))})")
        args.extend(statuses)
    sql = f"SELECT {select} FROM deployments d {joins}" + (" WHERE " + " AND ".join(where) if where else "")
    # within one distribution, revisions are handed out under its lock in start order: ordering by revision
    # is the same order and lets SQLite walk the (environment, distribution, revision) index
    sql += " ORDER BY d.revision DESC" if environment is not None and distribution is not None \
        else " ORDER BY d.started_at DESC"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(int(limit))
    return sql, args


# The driver's per-cell cost dominates a million-row history, so one history row is 7 cells: the environment
# (its integer key) shares an integer with the start time (11 + 52 bits), the artifact (its integer key), the
# revision and the status code share another (31 + 28 + 4 bits). _fits checks the values fit.
_HISTORY_SELECT = ("d.id, (d.environment_key << 52) | d.started_at, (d.artifact << 32) | (d.revision << 4) | "
                   + _STATUS_CODE.format(col="d.status") + ", d.finished_at, d.deployed_by, d.reason, d.error")
_HISTORY_FETCHED = ("deployment_id", "env_started", "packed", "finished_at", "deployed_by", "reason", "error")
_HISTORY_DTYPES = {"env_started": "int64", "packed": "int64", "finished_at": "float64"}  # None -> NaN
_HISTORY_UNPACKED = ("d.id, d.environment_key, d.started_at, d.artifact, d.revision, "
                     + _STATUS_CODE.format(col="d.status") + ", d.finished_at, d.deployed_by, d.reason, d.error")
_UNPACKED_FETCHED = ("deployment_id", "environment", "started_at", "artifact", "revision", "status",
                     "finished_at", "deployed_by", "reason", "error")
_UNPACKED_DTYPES = {**_HISTORY_DTYPES, **dict.fromkeys(("environment", "started_at", "artifact", "revision",
                                                          "status"), "int64")}
_LOW_52 = 2**52 - 1
#: the columns of a history table, in DataFrame order
HISTORY_COLUMNS = ("deployment_id", "environment", "distribution", "revision", "version", "distribution_id",
                   "status", "started_at", "finished_at", "deployed_by", "reason", "error")


def history(conn: sqlite3.Connection, environment: str | None, *, arrays: bool = True, **filters) -> Table:
    """Deployments newest first; ``environment=None`` means every environment.

    ``filters``: ``distribution``, ``since_us``, ``statuses``, ``limit`` (see :func:`history_query`).
    Labels that repeat (environment, distribution, version, distribution_id, status) come back as integer
    codes with their categories in ``Table.codes``; with ``arrays=False`` as plain lists of their values
    (status still coded), for a page of rows.
    """
    if not arrays:
        return _history_rows(conn, environment, filters)
    if _fits(conn):
        sql, args = history_query(environment, select=_HISTORY_SELECT, **filters)
        data: dict = _columns(conn.execute(sql, args), _HISTORY_FETCHED, _HISTORY_DTYPES)
        env_started, packed = data.pop("env_started"), data.pop("packed")
        data["environment"], data["started_at"] = env_started >> 52, env_started & _LOW_52
        data["artifact"], data["revision"], data["status"] = packed >> 32, (packed >> 4) & (2**28 - 1), packed & 15
    else:
        sql, args = history_query(environment, select=_HISTORY_UNPACKED, **filters)
        data = _columns(conn.execute(sql, args), _UNPACKED_FETCHED, _UNPACKED_DTYPES)
    codes = {"status": DEPLOYMENT_STATUSES}
    environments = _decode(conn, data["environment"], "environments", "key", ("name",))
    data["environment"], codes["environment"] = environments["name"]
    artifacts = _decode(conn, data.pop("artifact"), "artifacts", "key",
                        ("distribution", "version", "distribution_id"), unique_columns=("distribution_id",))
    for name, (column, categories) in artifacts.items():
        data[name], codes[name] = column, categories
    return Table({name: data[name] for name in HISTORY_COLUMNS}, codes=codes)


def _history_rows(conn: sqlite3.Connection, environment: str | None, filters: dict) -> Table:
    """:func:`history` as plain lists: each environment and artifact on the page looked up once, by key."""
    sql, args = history_query(environment, select=_HISTORY_UNPACKED, **filters)
    data = _columns(conn.execute(sql, args), _UNPACKED_FETCHED, arrays=False)
    names = _lookup(conn, data["environment"], "environments", "key", ("name",))
    data["environment"] = [names[k][0] for k in data["environment"]]
    keys = data.pop("artifact")
    labels = ("distribution", "version", "distribution_id")
    artifacts = _lookup(conn, keys, "artifacts", "key", labels)
    for n, name in enumerate(labels):
        data[name] = [artifacts[k][n] for k in keys]
    return Table({name: data[name] for name in HISTORY_COLUMNS}, codes={"status": DEPLOYMENT_STATUSES})


def _fits(conn: sqlite3.Connection) -> bool:
    """True when the packed history columns hold every value: environment keys in 11 bits, start times in 52
    (non-negative microseconds, until the year 2112), artifact keys in 31, revisions in 28 (they never exceed
    the deployments' rowids). Each bound is one index lookup."""
    environments, first, last, artifacts, deployments = conn.execute(
        "SELECT (SELECT COALESCE(MAX(key), 0) FROM environments), (SELECT COALESCE(MIN(started_at), 0) "
        "FROM deployments), (SELECT COALESCE(MAX(started_at), 0) FROM deployments), (SELECT COALESCE(MAX(key), 0) "
        "FROM artifacts), (SELECT COALESCE(MAX(rowid), 0) FROM deployments)").fetchone()
    return environments < 2**11 and first >= 0 and last <= _LOW_52 and artifacts < 2**31 and deployments < 2**28


def _decode(conn: sqlite3.Connection, keys: Sequence[int], table: str, key: str, columns: Sequence[str],
            unique_columns: Collection[str] = ()) -> dict[str, tuple]:
    """Integer ``keys`` of ``table`` -> for each of ``columns``: (codes per row, categories), via numpy.

    Each distinct key is looked up once (:func:`_lookup`). Columns in ``unique_columns`` hold a different value
    for every key, so their categories need no sorting. A NULL (an artifact without a version) is code -1:
    missing. Returns ``{column: (codes, categories)}``.
    """
    import numpy as np

    keys = np.asarray(keys, dtype=np.int64)
    if not len(keys):
        return {name: (np.array([], dtype=np.int64), ()) for name in columns}
    unique, inverse = np.unique(keys, return_inverse=True)
    found = _lookup(conn, unique.tolist(), table, key, columns)
    per_key_rows = [found[k] for k in unique.tolist()]
    out = {}
    for i, name in enumerate(columns):
        per_key = np.array([row[i] for row in per_key_rows], dtype=object)
        if name in unique_columns:
            out[name] = (inverse, tuple(per_key.tolist()))
            continue
        categories = sorted({v for v in per_key.tolist() if v is not None})
        position = {value: n for n, value in enumerate(categories)}
        to_category = np.fromiter((position.get(v, -1) for v in per_key.tolist()), dtype=np.int64,
                                  count=len(per_key))
        out[name] = (to_category[inverse], tuple(categories))
    return out


def _lookup(conn: sqlite3.Connection, keys: Collection[int], table: str, key: str,
            columns: Sequence[str]) -> dict[int, tuple]:
    """``{key: (columns...)}`` for exactly these integer ``keys`` of ``table``: one primary-key lookup each.

    The keys travel as one JSON array (``json_each``), so a page of 10,000 rows reads its 10,000 artifacts and
    no more, whatever the table holds, and no statement grows past SQLite's limit on parameters.
    """
    unique = sorted(set(keys))
    if not unique:
        return {}
    sql = f"SELECT {key}, {', '.join(columns)} FROM {table} WHERE {key} IN (SELECT value FROM json_each(?))"
    return {row[0]: row[1:] for row in conn.execute(sql, (json.dumps(unique),))}


_INVENTORY = f"""
SELECT i.distribution,
       ca.version, ca.distribution_id, c.revision, c.finished_at, c.deployed_by,
       {_STATUS_CODE.format(col="l.status")}, l.revision, la.version, l.started_at, l.deployed_by, c.id, l.id
FROM inventory i
JOIN deployments l ON l.id = i.last_id
JOIN artifacts la ON la.key = l.artifact
LEFT JOIN deployments c ON c.id = i.current_id
LEFT JOIN artifacts ca ON ca.key = c.artifact
WHERE i.environment = ?
ORDER BY l.started_at DESC, i.distribution
"""
INVENTORY_COLUMNS = ("distribution", "version", "distribution_id", "revision", "deployed_at", "deployed_by",
                     "status", "last_revision", "last_version", "last_started_at", "last_deployed_by",
                     "deployment_id", "last_deployment_id")


def inventory(conn: sqlite3.Connection, environment: str, *, arrays: bool = True) -> Table:
    """Per distribution: the current (last succeeded) deployment and the last attempted one.

    ``status`` is the last attempt's status; ``version``/``revision``/``deployed_at`` describe the current
    deployment (empty when the distribution never succeeded here).
    """
    data = _columns(conn.execute(_INVENTORY, (environment,)), INVENTORY_COLUMNS, arrays=arrays)
    return Table(data, codes={"status": DEPLOYMENT_STATUSES})


LANDSCAPE_COLUMNS = ("environment", "distribution", "version", "distribution_id", "deployed_at")


def landscape(conn: sqlite3.Connection, environments: Sequence[str], *, arrays: bool = True) -> Table:
    """The current deployment of every distribution in each of ``environments``."""
    marks = ", ".join("?" * len(environments))
    sql = f"""
    SELECT i.environment, i.distribution, a.version, a.distribution_id, c.finished_at
    FROM inventory i JOIN deployments c ON c.id = i.current_id JOIN artifacts a ON a.key = c.artifact
    WHERE i.environment IN ({marks})
    """
    return Table(_columns(conn.execute(sql, list(environments)), LANDSCAPE_COLUMNS, arrays=arrays))


STEP_COLUMNS = ("step_run_id", "step", "type", "resource", "status", "attempt", "started_at", "finished_at",
                "fingerprint", "output", "log_path", "error", "cause")
_STEPS = f"""
SELECT id, step, type, {_STEP_STATUS_CODE.format(col="status")}, attempt, started_at, finished_at, fingerprint,
       output, log_path, error, cause
FROM step_runs WHERE deployment_id = ?
ORDER BY started_at, id
"""
_STEPS_FETCHED = tuple(name for name in STEP_COLUMNS if name != "type")


def steps(conn: sqlite3.Connection, deployment_id: str, *, arrays: bool = True) -> Table:
    """Every step run of one deployment in the order they started (``output`` is redacted JSON text).

    The store keeps each run's resource (``attini:cfn``); ``type`` is its Attini name (``AttiniCfn``), the
    ``Type`` a plan's author writes.
    """
    from attini_sdk.steps import type_name

    fetched = _columns(conn.execute(_STEPS, (deployment_id,)), _STEPS_FETCHED, arrays=arrays)
    names = [type_name("Task", resource) for resource in fetched["resource"]]
    if arrays:
        import numpy as np

        names = np.array(names, dtype=object)
    data = {name: names if name == "type" else fetched[name] for name in STEP_COLUMNS}
    return Table(data, codes={"status": STEP_STATUSES})
