"""Environments and their parameters, as the local state store keeps them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from attini_sdk.backends.local import db
from attini_sdk.backends.local.state_core import ENV_COLUMNS, StoreCore, check_name, to_datetime
from attini_sdk.backends.records import ENVIRONMENT_TYPES, EnvironmentRecord, Parameter
from attini_sdk.errors import ConfigError, ConflictError, NotFoundError

__all__ = ["EnvironmentOps"]


class EnvironmentOps(StoreCore):
    """Create, read, change and remove environments; set and read their parameters."""

    def create_environment(self, name: str, type: str = "test", *, require_signature: bool = False,
                           trusted_keys: Sequence[str] = (), keep_versions: int = 10, keep_days: int = 10,
                           exist_ok: bool = False) -> EnvironmentRecord:
        """Create environment ``name``; with ``exist_ok`` an existing one is returned unchanged.

        >>> import tempfile
        >>> from attini_sdk.backends.local.state import SqliteStateStore
        >>> SqliteStateStore.open(tempfile.mkdtemp()).create_environment("acc").type
        'test'
        """
        check_name("environment", name)
        _check_settings(name, type, keep_versions, keep_days)
        conn = self._conn()
        with db.transaction(conn):
            existing = self._environment_row(conn, name)
            if existing is not None:
                if exist_ok:
                    return _environment(existing)
                raise ConflictError(f"environment '{name}' already exists", where=f"environment '{name}'",
                                    hint="pick another name, or change it with update_environment")
            conn.execute(f"INSERT INTO environments ({ENV_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (name, type, self._now(), int(require_signature), json.dumps(list(trusted_keys)),
                          keep_versions, keep_days))
            return _environment(self._environment_row(conn, name))

    def update_environment(self, name: str, *, type: str | None = None, require_signature: bool | None = None,
                           trusted_keys: Sequence[str] | None = None, keep_versions: int | None = None,
                           keep_days: int | None = None) -> EnvironmentRecord:
        """Change an environment's type or policies; arguments left as None stay as they are."""
        _check_settings(name, type, keep_versions, keep_days)
        changes = {"type": type, "keep_versions": keep_versions, "keep_days": keep_days,
                   "require_signature": None if require_signature is None else int(require_signature),
                   "trusted_keys": None if trusted_keys is None else json.dumps(list(trusted_keys))}
        changes = {k: v for k, v in changes.items() if v is not None}
        conn = self._conn()
        with db.transaction(conn):
            self._require_environment(conn, name)
            if changes:
                assignments = ", ".join(f"{k} = ?" for k in changes)
                conn.execute(f"UPDATE environments SET {assignments} WHERE name = ?", [*changes.values(), name])
            return _environment(self._environment_row(conn, name))

    def get_environment(self, name: str) -> EnvironmentRecord:
        """The environment ``name``; :class:`NotFoundError` if there is none."""
        return _environment(self._require_environment(self._conn(), name))

    def list_environments(self) -> list[EnvironmentRecord]:
        """Every local environment, by name."""
        rows = self._conn().execute(f"SELECT {ENV_COLUMNS} FROM environments ORDER BY name").fetchall()
        return [_environment(row) for row in rows]

    def environment_counts(self) -> dict[str, tuple[int, int]]:
        """``{environment: (deployments, in progress)}`` for listings, without reading the deployments.

        Revisions count the deployments of each (environment, distribution) from 1 with no gap (a new one is
        MAX + 1 under the write lock, none is ever deleted alone), and the inventory points at the last one, so
        the sum of the last revisions is the count: one row per distribution, however long the history. The
        deployments in progress are the few rows of the ``deployments_active`` partial index.
        """
        rows = self._conn().execute(
            "SELECT e.name, (SELECT COALESCE(SUM(l.revision), 0) FROM inventory i JOIN deployments l "
            "ON l.id = i.last_id WHERE i.environment = e.name), (SELECT count(*) FROM deployments d "
            "WHERE d.environment = e.name AND d.status IN ('pending', 'running', 'waiting_approval')) "
            "FROM environments e").fetchall()
        return {name: (total, running) for name, total, running in rows}

    def remove_environment(self, name: str) -> None:
        """Forget an environment and its history; refused while any of its deployments is in progress."""
        conn = self._conn()
        with db.transaction(conn):
            self._require_environment(conn, name)
            active = conn.execute(
                "SELECT distribution, revision, status FROM deployments "
                "WHERE environment = ? AND status IN ('pending', 'running', 'waiting_approval')", (name,)).fetchall()
            if active:
                listed = ", ".join(f"{d} revision {r} ({s})" for d, r, s in active)
                raise ConflictError(
                    f"environment '{name}' has deployments in progress: {listed}", where=f"environment '{name}'",
                    hint="wait for them, approve or abort the waiting ones, or if their process died run "
                         f"`attini deploy unlock -e {name} -n DISTRIBUTION` first")
            conn.execute("DELETE FROM environments WHERE name = ?", (name,))

    # -- parameters -----------------------------------------------------------------------------------

    def set_parameter(self, environment: str, key: str, value: Any, *, secret: bool = False) -> Parameter:
        """Set one environment parameter; ``secret`` ones are never shown by listings or DataFrames."""
        if not key or not isinstance(key, str):
            raise ConfigError("a parameter needs a non-empty text key", where=f"environment '{environment}'")
        conn = self._conn()
        with db.transaction(conn):
            self._require_environment(conn, environment)
            conn.execute(
                "INSERT INTO environment_parameters (environment, key, value, secret, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (environment, key) DO UPDATE SET "
                "value = excluded.value, secret = excluded.secret, updated_at = excluded.updated_at",
                (environment, key, self._stored_value(environment, key, value, secret), int(secret), self._now()))
        return Parameter(key, value, secret)

    def get_parameter(self, environment: str, key: str) -> Parameter:
        """One parameter with its real value (secret or not): for resolving, never for display."""
        row = self._conn().execute(
            "SELECT key, value, secret FROM environment_parameters WHERE environment = ? AND key = ?",
            (environment, key)).fetchone()
        if row is None:
            raise NotFoundError(f"environment '{environment}' has no parameter '{key}'",
                                where=f"environment '{environment}'", hint="set it with env.parameters[KEY] = VALUE",
                                cli_hint=f"set it: attini environment param set KEY VALUE -e {environment}")
        return Parameter(row[0], self._parameter_value(environment, row[0], row[1]), bool(row[2]))

    def remove_parameter(self, environment: str, key: str) -> None:
        """Delete one parameter; :class:`NotFoundError` if it is not set."""
        conn = self._conn()
        with db.transaction(conn):
            gone = conn.execute("DELETE FROM environment_parameters WHERE environment = ? AND key = ?",
                                (environment, key)).rowcount
        if not gone:
            self.get_parameter(environment, key)  # raises the NotFoundError

    def parameters(self, environment: str) -> list[Parameter]:
        """Every parameter of ``environment`` by key, secret values replaced by ``***``."""
        return [Parameter(p.key, p.display_value, p.secret) for p in self._all_parameters(environment)]

    def resolved_parameters(self, environment: str) -> dict[str, Any]:
        """``{key: real value}`` for building a deployment's payload. Never display this."""
        return {p.key: p.value for p in self._all_parameters(environment)}

    def _all_parameters(self, environment: str) -> list[Parameter]:
        conn = self._conn()
        self._require_environment(conn, environment)
        rows = conn.execute("SELECT key, value, secret FROM environment_parameters WHERE environment = ? "
                            "ORDER BY key", (environment,)).fetchall()
        return [Parameter(k, self._parameter_value(environment, k, v), bool(s)) for k, v, s in rows]


def _check_settings(name: str, type: str | None, keep_versions: int | None, keep_days: int | None) -> None:
    if type is not None and type not in ENVIRONMENT_TYPES:
        raise ConfigError(f"environment type must be 'test' or 'production', got {type!r}",
                          where=f"environment '{name}'")
    for field, value in (("keep_versions", keep_versions), ("keep_days", keep_days)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ConfigError(f"{field} must be a whole number >= 0, got {value!r}", where=f"environment '{name}'",
                              hint="0 and 0 keeps every artifact; Attini's default is 10 and 10")


def _environment(row: tuple) -> EnvironmentRecord:
    name, type_, created, signed, keys, keep_versions, keep_days = row
    return EnvironmentRecord(name, type_, to_datetime(created), bool(signed), tuple(json.loads(keys)),
                             keep_versions, keep_days)
