"""What a command acts on: the environment (``-e``), the distribution (``-n``) and the deployment.

``-e`` may be left out when exactly one environment exists, as in Attini; ``-n`` may be left out when
the environment holds exactly one distribution. A deployment is the latest of its distribution unless
``-i`` (a distribution id, or a unique prefix of one), ``--revision`` or ``--deployment-id`` says which::

    env = environment(None)                      # the only environment, or a clear error
    d = deployment(env, "app", revision=3)       # a Deployment handle
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from attini_sdk.errors import NotFoundError

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.deploy.environment import Environment

__all__ = ["ENVIRONMENT", "DISTRIBUTION", "DISTRIBUTION_ID", "JSON", "WIDE", "environment", "environment_names",
           "distribution", "deployment", "deployment_record", "full_id"]

ENVIRONMENT = typer.Option(None, "-e", "--environment",
                           help="The environment (may be left out when only one exists).")
DISTRIBUTION = typer.Option(None, "-n", "--distribution-name",
                            help="The distribution (may be left out when the environment holds only one).")
DISTRIBUTION_ID = typer.Option(None, "-i", "--distribution-id",
                               help="A distribution id (or a unique prefix of one): that artifact's latest "
                                    "deployment.")
JSON = typer.Option(False, "--json", help="Print the result as JSON (same names as the DataFrame columns).")
WIDE = typer.Option(False, "--wide", "-w", help="Show every column in full (ids, times, errors), however wide "
                                                "the table gets.")


def _home() -> str:
    from attini_sdk.home import attini_home

    return str(attini_home())


def environment_names() -> list[str]:
    """Names of the local environments, by name (read from the environments table alone)."""
    from attini_sdk.deploy import rows

    return rows.environment_names()


def environment(name: str | None) -> Environment:
    """The environment named by ``-e``, which must exist; without ``-e`` the only one there is.

    Naming one costs one indexed lookup, however many deployments the environments hold.

    >>> environment("nope")  # doctest: +SKIP
    NotFoundError: environment 'nope' does not exist ...
    """
    from attini_sdk.deploy.environment import Environment

    if name is not None:
        try:
            return Environment.existing(name)
        except NotFoundError:
            pass  # said below, with the names that do exist
    names = environment_names()
    if name is None:
        if len(names) == 1:
            name = names[0]
        elif not names:
            raise NotFoundError("there are no environments yet", where=f"ATTINI_HOME {_home()}",
                                hint="create one: attini environment create dev --env-type test")
        else:
            raise NotFoundError(f"which environment? There are {len(names)}: {', '.join(names)}",
                                where="option -e/--environment", hint="name one with -e ENV")
    elif name not in names:
        known = f"existing: {', '.join(names)}" if names else "there are none yet"
        raise NotFoundError(f"environment '{name}' does not exist ({known})", where=f"ATTINI_HOME {_home()}",
                            hint=f"create it: attini environment create {name} --env-type test|production")
    return Environment.existing(name)


def distribution(env: Environment, name: str | None) -> str:
    """The distribution named by ``-n``; without ``-n`` the only one deployed in ``env``."""
    from attini_sdk.deploy import rows

    if name is not None:
        return name
    names = [str(row["distribution"]) for row in rows.inventory(env)]
    if len(names) == 1:
        return names[0]
    if not names:
        raise NotFoundError(f"nothing is deployed in environment '{env.name}'", where="option -n",
                            hint=f"deploy something first: attini deploy run PATH -e {env.name}")
    raise NotFoundError(f"which distribution? Environment '{env.name}' holds {len(names)}: {', '.join(sorted(names))}",
                        where="option -n/--distribution-name", hint="name one with -n NAME")


def full_id(prefix: str, known: Any, *, where: str) -> str:
    """The one id in ``known`` that starts with ``prefix`` (with or without ``sha256:``).

    >>> full_id("ab", ["sha256:abcd", "sha256:ef01"], where="-i")
    'sha256:abcd'
    """
    wanted = prefix if prefix.startswith("sha256:") else f"sha256:{prefix}"
    matches = sorted({str(i) for i in known if isinstance(i, str) and i.startswith(wanted)})
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError(f"no deployed artifact has a distribution id starting with '{prefix}'", where=where,
                            hint="list ids with: attini deploy history -e ENV -n NAME")
    raise NotFoundError(f"'{prefix}' matches {len(matches)} distribution ids", where=where,
                        hint="give more characters of the id")


def deployment_record(env: Environment, name: str, *, distribution_id: str | None = None,
                      revision: int | None = None, deployment_id: str | None = None):
    """The chosen deployment (a record) of ``name``: the latest unless narrowed; one indexed lookup each."""
    from attini_sdk.deploy import rows

    try:
        if deployment_id is not None:
            what = f"deployment '{deployment_id}'"
            record = env.deployment(deployment_id).record
            return record if record.distribution == name else _none(env, name, what)
        if revision is not None:
            what = f"revision {revision}"
            return env.deployment(revision, name).record
    except NotFoundError:
        return _none(env, name, what)
    if distribution_id is not None:
        found = rows.artifact_deployments(distribution_id, env, name)
        wanted = full_id(distribution_id, {r.distribution_id for r in found}, where="option -i/--distribution-id")
        return next(r for r in found if r.distribution_id == wanted)
    return env.latest(name).record


def _none(env: Environment, name: str, what: str):
    raise NotFoundError(f"{name}: no {what} in environment '{env.name}'", where=f"environment {env.name}",
                        hint=f"list what is there: attini deploy history -e {env.name}")


def deployment(env: Environment, name: str | None, *, distribution_id: str | None = None,
               revision: int | None = None, deployment_id: str | None = None):
    """A :class:`~attini_sdk.deploy.deployment.Deployment` handle chosen as :func:`deployment_record` says."""
    name = distribution(env, name)
    record = deployment_record(env, name, distribution_id=distribution_id, revision=revision,
                               deployment_id=deployment_id)
    return env.deployment(record.id, distribution=name)
