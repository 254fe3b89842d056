"""One tree of errors: every failure a user can cause is an :class:`AttiniError`.

Each error says *what* was wrong, *where* (file, state, field, environment) and
*what to do*. ``str(error)`` renders all three, so the CLI can print it as is::

    >>> err = ConfigError("version must be semver, got '1.x'",
    ...                   where="examples/app/attini-config.yaml: version",
    ...                   hint="use MAJOR.MINOR.PATCH, e.g. 1.0.0")
    >>> print(err)
    examples/app/attini-config.yaml: version: version must be semver, got '1.x'
      hint: use MAJOR.MINOR.PATCH, e.g. 1.0.0

Two surfaces read these errors: the Python API and the ``attini`` CLI. Where the advice differs
between them (a keyword argument against a flag, a method against a command), the error carries
both: ``hint`` in Python's words, ``cli_hint`` in the CLI's. ``str(err)`` is the Python form; the
CLI prints ``err.render(cli=True)``, which falls back to ``hint`` when no ``cli_hint`` was given::

    >>> err = LockError("'app' is already being deployed", hint="pass wait_for_lock=SECONDS",
    ...                 cli_hint="add --wait-for-lock SECONDS")
    >>> print(err.render(cli=True))
    'app' is already being deployed
      hint: add --wait-for-lock SECONDS

A hint in Python syntax with no ``cli_hint`` fails ``tests/test_errors.py`` (outside the plan and
engine packages, whose hints are about code and definitions the user writes).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = [
    "AttiniError",
    "ConfigError",
    "PlanError",
    "Problem",
    "ArtifactError",
    "PackagingError",
    "SignatureError",
    "DependencyError",
    "LockError",
    "StepFailed",
    "BackendError",
    "NotFoundError",
    "DeploymentError",
    "DeploymentInterrupted",
    "ExecutionError",
    "ConflictError",
]


class AttiniError(Exception):
    """Base of every user-facing error.

    ``what`` is the problem in one sentence, ``where`` locates it (a file and
    key, a state and field, an environment), ``hint`` says what to do about it in Python, ``cli_hint``
    (when it differs) what to do about it on the command line.
    """

    def __init__(self, what: str, *, where: str | None = None, hint: str | None = None,
                 cli_hint: str | None = None):
        self.what = what
        self.where = where
        self.hint = hint
        self.cli_hint = cli_hint
        super().__init__(self.render())

    def hint_for(self, *, cli: bool) -> str | None:
        """The hint for one surface: the CLI's own if given, else the one hint there is."""
        return self.cli_hint if cli and self.cli_hint is not None else self.hint

    def render(self, *, cli: bool = False) -> str:
        """``where: what`` and the hint on its own line, in the words of the Python API or (``cli``) the CLI."""
        head = f"{self.where}: {self.what}" if self.where else self.what
        hint = self.hint_for(cli=cli)
        return f"{head}\n  hint: {hint}" if hint else head

    def to_dict(self, *, cli: bool = False) -> dict:
        """A JSON-friendly form (the CLI's ``--json`` error output uses ``cli=True``)."""
        return {"error": type(self).__name__, "what": self.what, "where": self.where,
                "hint": self.hint_for(cli=cli)}


class ConfigError(AttiniError):
    """attini-config (or a file it points at) is missing, malformed or invalid."""


@attrs.frozen
class Problem:
    """One thing wrong in a plan: where it is and what is wrong.

    >>> str(Problem(what="Next 'Deploy' does not exist", file="plan.yaml", state="Build", field="Next"))
    "plan.yaml: state 'Build', field 'Next': Next 'Deploy' does not exist"
    """

    what: str
    file: str | None = None
    state: str | None = None
    field: str | None = None

    def location(self) -> str:
        inside = []
        if self.state:
            inside.append(f"state '{self.state}'")
        if self.field:
            inside.append(f"field '{self.field}'")
        inner = ", ".join(inside)
        if self.file:
            return f"{self.file}: {inner}" if inner else self.file
        return inner

    def __str__(self) -> str:
        loc = self.location()
        return f"{loc}: {self.what}" if loc else self.what


class PlanError(AttiniError):
    """A deployment plan is invalid. Lists *every* problem found, not just the first.

    >>> err = PlanError([Problem("StartAt 'A' is not a state", file="plan.json", field="StartAt")])
    >>> len(err.problems)
    1
    """

    def __init__(
        self,
        problems: Iterable[Problem] | str,
        *,
        where: str | None = None,
        hint: str | None = None,
        cli_hint: str | None = None,
    ):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        n = len(self.problems)
        what = f"the deployment plan has {n} problem{'s' if n != 1 else ''}:\n" + "\n".join(
            f"  - {p}" for p in self.problems
        )
        super().__init__(what, where=where, hint=hint or "fix each listed problem and package again",
                         cli_hint=cli_hint)

    def to_dict(self, *, cli: bool = False) -> dict:
        d = super().to_dict(cli=cli)
        d["problems"] = [attrs.asdict(p) for p in self.problems]
        return d


class ArtifactError(AttiniError):
    """An artifact (distribution zip) is unreadable, tampered with or unsafe to extract."""


class PackagingError(AttiniError):
    """Packaging a distribution failed: a prePackage/postPackage command, an unreadable or reserved file."""


class SignatureError(ArtifactError):
    """An artifact's signature is missing, malformed or made by an untrusted key."""


class DependencyError(AttiniError):
    """A distribution's declared dependency is absent, too old/new, or last failed."""


class LockError(AttiniError):
    """Another deployment holds the (environment, distribution) lock."""


class StepFailed(AttiniError):
    """A step of a deployment plan failed; ``error`` and ``cause`` come from the engine."""

    def __init__(self, what: str, *, step: str | None = None, error: str | None = None,
                 cause: str | None = None, where: str | None = None, hint: str | None = None,
                 cli_hint: str | None = None):
        self.step = step
        self.error = error
        self.cause = cause
        super().__init__(what, where=where, hint=hint, cli_hint=cli_hint)


class BackendError(AttiniError):
    """A backend (local store, AWS services) cannot do what was asked."""


class NotFoundError(AttiniError):
    """Something named by the user (environment, deployment, artifact, step) does not exist."""


class DeploymentError(AttiniError):
    """A deployment cannot start or continue (wrong state, refused by policy, ...)."""


class DeploymentInterrupted(DeploymentError):
    """The deployment was stopped in this process (Ctrl-C): its running jobs were stopped, the steps that
    finished are kept, and it is recorded ``interrupted``: ``resume`` continues it where it stopped.

    ``deployment_id`` names it.
    """

    def __init__(self, what: str, *, deployment_id: str | None = None, where: str | None = None,
                 hint: str | None = None, cli_hint: str | None = None):
        self.deployment_id = deployment_id
        super().__init__(what, where=where, hint=hint, cli_hint=cli_hint)


class ExecutionError(AttiniError):
    """A state machine definition cannot be executed, or an execution was misused."""


class ConflictError(AttiniError):
    """The stored state forbids the change: the name is taken, deployments still run, already decided."""
