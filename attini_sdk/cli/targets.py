"""What ``deploy run`` and ``deploy rollback`` would deploy: a folder, a zip, an id, an earlier revision.

``resolve`` turns ``deploy run``'s argument into what ``Environment.deploy`` takes plus the
:class:`~attini_sdk.cli.confirmation.Change` the production question shows; ``rollback_target`` turns
``--to``/``-i`` into ``Environment.rollback``'s ``to=``::

    subject, change = resolve("examples/platform/network", quiet=True)   # packaged first
    change.distribution, change.version                                   # ('network', '1.0.0')
"""

from __future__ import annotations

from pathlib import Path

from attini_sdk.cli import output, selection, tables
from attini_sdk.cli.confirmation import Change
from attini_sdk.errors import ConfigError, NotFoundError

__all__ = ["resolve", "rollback_target", "rollback_change"]


def _known_ids(prefix: str) -> list[str]:
    """The distribution ids deployed in any local environment that start with ``prefix`` (to expand it)."""
    from attini_sdk.deploy import rows

    return sorted({r.distribution_id for r in rows.artifact_deployments(prefix)})


def _change_for_id(distribution_id: str) -> Change:
    """Name, version and tags of an artifact some local environment deployed (for the production question)."""
    from attini_sdk.deploy import rows

    for record in rows.artifact_deployments(distribution_id)[:1]:
        return Change(record.distribution, record.version, distribution_id, dict(record.tags))
    raise NotFoundError(f"no local environment has deployed {distribution_id}", where="PATH|ZIP|ID",
                        hint="find ids with: attini inventory -e ENV --json, or deploy a folder or .zip")


def _is_id(target: str) -> bool:
    text = target.removeprefix("sha256:")
    return target.startswith("sha256:") or (len(text) >= 6 and all(c in "0123456789abcdef" for c in text))


def resolve(target: str, *, quiet: bool, version: str | None = None):
    """What ``deploy run`` was given, as (what to pass to ``env.deploy``, the Change it makes).

    ``version`` (``-v``) sets the version of a folder packaged here; a packaged artifact keeps its own.
    """
    path = Path(target)
    if version is not None and not path.is_dir():
        raise ConfigError("-v/--distribution-version sets the version of a folder packaged now; "
                          f"'{target}' is already packaged", where="option -v/--distribution-version",
                          hint="drop -v, or give the distribution's folder")
    if path.is_dir():
        from attini_sdk.artifacts.distribution import Distribution

        with output.show_warnings():
            artifact = Distribution.from_path(path, version=version).package()
        if not quiet:
            output.console().print(f"Packaged [bold]{artifact.name}[/bold]{tables.version_suffix(artifact.version)} "
                                   f"({artifact.id})")
        return artifact, Change(artifact.name, artifact.version, artifact.id, dict(artifact.tags))
    if path.is_file():
        from attini_sdk.artifacts.artifact import Artifact

        artifact = Artifact.open(path)
        return artifact, Change(artifact.name, artifact.version, artifact.id, dict(artifact.tags))
    if _is_id(target):
        full = target if len(target) == 71 else selection.full_id(target, _known_ids(target), where="PATH|ZIP|ID")
        return full, _change_for_id(full)
    raise NotFoundError(f"'{target}' is not a distribution folder, an artifact .zip or a distribution id",
                        where="PATH|ZIP|ID",
                        hint="give a folder holding attini-config.yaml, a .zip from 'attini distribution package', "
                             "or an id (sha256:…) shown by 'attini inventory'")


def rollback_target(env, name: str, to: str | None, distribution_id: str | None):
    """``--to``/``-i`` as the API takes it: a revision (int), a version, or a full distribution id."""
    if distribution_id is not None:
        return _full_id(env, name, distribution_id, where="option -i/--distribution-id")
    if to is None:
        return None
    if to.isdigit():
        return int(to)
    if to.startswith("sha256:"):
        return _full_id(env, name, to, where="option --to")
    return to


def _full_id(env, name: str, prefix: str, *, where: str) -> str:
    from attini_sdk.deploy import rows

    known = {r.distribution_id for r in rows.artifact_deployments(prefix, env, name)}
    return selection.full_id(prefix, known, where=where)


def rollback_change(env, name: str, to) -> Change:
    """What the rollback would deploy, for the production question (best effort: the API decides)."""
    found = _rollback_record(env, name, to)
    if found is None:
        return Change(name, None, None)
    return Change(name, found.version, found.distribution_id, dict(found.tags))


def _rollback_record(env, name: str, to):
    """The deployment whose artifact ``env.rollback(name, to=to)`` would deploy again, or None."""
    from attini_sdk.deploy import rows

    if isinstance(to, int):
        try:
            return env.deployment(to, name).record
        except NotFoundError:
            return None
    done = rows.history(env, distribution=name, status="succeeded")
    if to is None:  # as the API decides: what last worked if the latest attempt failed, else the one before
        latest = rows.history(env, distribution=name, limit=1)
        latest_failed = bool(latest) and latest[0]["status"] != "succeeded"
        done = done if latest_failed or not done else done[1:]
    else:
        column = "distribution_id" if str(to).startswith("sha256:") else "version"
        done = [r for r in done if r[column] == to]
    return env.deployment(done[0]["deployment_id"]).record if done else None
