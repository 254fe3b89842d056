"""Environments: named deployment targets with their parameters, inventory, history, locks and retention.

    >>> import attini_sdk as at
    >>> dev = at.Environment.local("dev")                     # doctest: +SKIP
    >>> dev.parameters.set("DbPassword", "hunter2", secret=True)   # doctest: +SKIP
    >>> dev.deploy("examples/platform/network").status        # doctest: +SKIP
    'succeeded'
    >>> dev.inventory()[["distribution", "version", "status"]]    # doctest: +SKIP
    >>> at.Environment.local("acc").deploy(dev.current("network"))  # promotion: the same artifact, by id  # doctest: +SKIP

The local backend keeps every environment in ``$ATTINI_HOME`` (default ``~/.attini``; ``home=`` overrides it):
``state.db``, ``artifacts/``, ``work/``, ``logs/`` (see ``docs/environments.md``). Reading an environment first
marks deployments whose deploying process died ``interrupted``, so what you see is never a dead "running".
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attini_sdk.backends.records import EnvironmentRecord
from attini_sdk.errors import ConfigError, NotFoundError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from attini_sdk.artifacts.artifact import Artifact
    from attini_sdk.deploy.deployment import Deployment

__all__ = ["Environment", "EnvironmentParameters", "list_environments", "landscape", "use_backend",
           "chosen_backend", "default_backend", "remembered_backends"]


_BACKENDS = ("local", "aws")
#: remembered AWS environments: ``$ATTINI_HOME/backends.json`` (name -> backend and where to reach it)
_REMEMBERED = "backends.json"


def _backend(backend: str, home: str | os.PathLike | None, **aws: Any):
    """The backend object: ``local`` (``$ATTINI_HOME``) or ``aws`` (found through SSM ``/attini/backend``;
    ``aws``: profile, region, endpoint_url)."""
    if backend == "aws":
        from attini_sdk.backends.aws.backend import AwsBackend

        return AwsBackend.open(home=home, **{k: v for k, v in aws.items() if v is not None})
    if backend != "local":
        raise ConfigError(f"backend {backend!r} is not available here", where="Environment.create(backend=...)",
                          hint="use backend='local' or backend='aws'", cli_hint="use --backend local or --backend aws")
    from attini_sdk.backends.local.backend import LocalBackend

    return LocalBackend.open(home)


def remembered_backends(home: str | os.PathLike | None = None) -> dict[str, dict]:
    """Environments this machine knows to live on AWS: ``{name: {"backend": "aws", "profile", "region",
    "endpoint_url"}}`` (written by :meth:`Environment.aws` and ``Environment.create(backend="aws")``).

    >>> import tempfile
    >>> remembered_backends(tempfile.mkdtemp())
    {}
    """
    import json

    from attini_sdk.home import attini_home

    path = attini_home(home) / _REMEMBERED
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _remember(name: str, home: str | os.PathLike | None, **where: Any) -> None:
    import json

    from attini_sdk.home import attini_home

    known = remembered_backends(home)
    entry = {"backend": "aws", **{k: v for k, v in where.items() if v is not None}}
    if known.get(name) == entry:
        return
    known[name] = entry
    path = attini_home(home) / _REMEMBERED
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(known, indent=2, sort_keys=True))
    os.replace(tmp, path)


_CHOSEN: dict[str, Any] = {}


def use_backend(backend: str | None = None, *, profile: str | None = None, region: str | None = None,
                endpoint_url: str | None = None) -> None:
    """Choose the backend of this process (the CLI's ``--backend``, ``--profile``, ``--region``,
    ``--endpoint-url``): environments named without a backend, listings and the landscape use it.
    None everywhere: ``ATTINI_BACKEND``, else each environment's remembered backend, else local.

    >>> use_backend(None); chosen_backend()
    'local'
    """
    _CHOSEN.clear()
    _CHOSEN.update({k: v for k, v in dict(backend=backend, profile=profile, region=region,
                                          endpoint_url=endpoint_url).items() if v is not None})


def chosen_backend() -> str:
    """``local`` or ``aws``: what :func:`use_backend` chose, else ``ATTINI_BACKEND``, else ``local``."""
    return _CHOSEN.get("backend") or os.environ.get("ATTINI_BACKEND") or "local"


def _aws_settings(**given: Any) -> dict[str, Any]:
    chosen = {k: v for k, v in _CHOSEN.items() if k != "backend"}
    return {**chosen, **{k: v for k, v in given.items() if v is not None}}


def default_backend(home: str | os.PathLike | None = None):
    """The backend object listings use when no environment names one (see :func:`use_backend`)."""
    return _backend(chosen_backend(), home, **_aws_settings())


def _forget(name: str, home: str | os.PathLike | None) -> None:
    """Stop remembering where ``name`` lives (it was removed)."""
    import json

    from attini_sdk.home import attini_home

    known = remembered_backends(home)
    if known.pop(name, None) is None:
        return
    path = attini_home(home) / _REMEMBERED
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(known, indent=2, sort_keys=True))
    os.replace(tmp, path)


def _backend_of(name: str, home: str | os.PathLike | None, backend: str | None = None, **aws: Any):
    """The backend environment ``name`` lives on: the one asked for (or chosen for the process, see
    :func:`use_backend`), else the one remembered for it, else local."""
    backend = backend or _CHOSEN.get("backend") or os.environ.get("ATTINI_BACKEND") or None
    aws = _aws_settings(**aws)
    remembered = remembered_backends(home).get(name)
    if backend is None and remembered:
        backend = remembered["backend"]
    if backend == "aws" and remembered:
        aws = {**{k: remembered.get(k) for k in ("profile", "region", "endpoint_url")},
               **{k: v for k, v in aws.items() if v is not None}}
    return _backend(backend or "local", home, **aws)


class EnvironmentParameters(MutableMapping):
    """An environment's parameters: given to every deployment's payload (``$.parameters``, ``$.stackParameters``).

    Reading shows secret values as ``***``; :meth:`reveal` returns the real value. Assigning keeps a secret
    key secret (rotating a password never makes it public); :meth:`set` chooses explicitly.

    >>> env.parameters["LogLevel"] = "DEBUG"                         # doctest: +SKIP
    >>> env.parameters.set("DbPassword", "hunter2", secret=True)     # doctest: +SKIP
    >>> dict(env.parameters)                                         # doctest: +SKIP
    {'DbPassword': '***', 'LogLevel': 'DEBUG'}
    """

    def __init__(self, environment: Environment):
        self._env = environment

    @property
    def _state(self):
        return self._env._backend.state

    def __getitem__(self, key: str) -> Any:
        for p in self._state.parameters(self._env.name):
            if p.key == key:
                return p.value
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value, secret=self.is_secret(key))

    def set(self, key: str, value: Any, *, secret: bool = False) -> None:
        """Set ``key``; ``secret=True`` keeps its value out of every listing, DataFrame, output and log."""
        self._state.set_parameter(self._env.name, key, value, secret=secret)

    def reveal(self, key: str) -> Any:
        """The real value of ``key``, secret or not. Never print it."""
        return self._state.get_parameter(self._env.name, key).value

    def is_secret(self, key: str) -> bool:
        """True if ``key`` exists and is secret."""
        return any(p.key == key and p.secret for p in self._state.parameters(self._env.name))

    def frame(self) -> pd.DataFrame:
        """The parameters as a DataFrame: key, value (``***`` for secrets), secret.

        >>> env.parameters.frame().to_dict("records")                    # doctest: +SKIP
        [{'key': 'DbPassword', 'value': '***', 'secret': True}, {'key': 'LogLevel', 'value': 'DEBUG', 'secret': False}]
        """
        import pandas as pd

        rows = [{"key": p.key, "value": p.value, "secret": p.secret} for p in self._state.parameters(self._env.name)]
        return pd.DataFrame(rows, columns=["key", "value", "secret"]).astype({"secret": bool})

    def __delitem__(self, key: str) -> None:
        try:
            self._state.remove_parameter(self._env.name, key)
        except NotFoundError:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter([p.key for p in self._state.parameters(self._env.name)])

    def __len__(self) -> int:
        return len(self._state.parameters(self._env.name))

    def __repr__(self) -> str:
        return f"EnvironmentParameters({dict(self)!r})"


class Environment:
    """A deployment target. Build one with :meth:`local` or :meth:`create`, never directly."""

    def __init__(self, name: str, backend):
        self.name = name
        self._backend = backend

    # -- getting one --------------------------------------------------------------------------------------

    @classmethod
    def local(cls, name: str, home: str | os.PathLike | None = None) -> Environment:
        """The local environment ``name``, created as type ``test`` if it does not exist yet.

        >>> import tempfile
        >>> Environment.local("dev", home=tempfile.mkdtemp()).type
        'test'
        """
        backend = _backend("local", home)
        backend.state.create_environment(name, "test", exist_ok=True)
        return cls(name, backend)

    @classmethod
    def aws(cls, name: str, *, profile: str | None = None, region: str | None = None,
            endpoint_url: str | None = None, home: str | os.PathLike | None = None) -> Environment:
        """The environment ``name`` on the AWS backend of this account and region, created as type ``test``
        if it does not exist yet; the same methods and DataFrames as :meth:`local`.

        The backend is found through the SSM parameter ``/attini/backend`` (``pulumi up`` in
        ``infra_pulumi/``, or ``python -m infra_pulumi.emulate --endpoint-url URL`` on a moto server).
        ``profile``/``region``/``endpoint_url`` default to the usual AWS settings (``AWS_PROFILE``,
        ``AWS_REGION``, ``AWS_ENDPOINT_URL``). This machine remembers that ``name`` lives there, so
        :meth:`existing` and the CLI find it by name.

        >>> prod = Environment.aws("prod", region="eu-west-1")     # doctest: +SKIP
        >>> prod.deploy("examples/platform/network").status       # doctest: +SKIP
        'succeeded'
        """
        backend = _backend("aws", home, profile=profile, region=region, endpoint_url=endpoint_url)
        backend.state.create_environment(name, "test", exist_ok=True)
        _remember(name, home, profile=profile, region=backend.session.region, endpoint_url=endpoint_url)
        return cls(name, backend)

    @classmethod
    def existing(cls, name: str, home: str | os.PathLike | None = None, *, backend: str | None = None,
                 **aws: Any) -> Environment:
        """The environment ``name``, which must exist (unlike :meth:`local`, it never creates one).

        It lives on ``backend`` if given (``ATTINI_BACKEND`` otherwise), else on the backend this machine
        remembers for it (:meth:`aws`), else locally. ``aws``: profile, region, endpoint_url. A read: no
        write lock is taken, so it works while other processes deploy.

        >>> import tempfile
        >>> home = tempfile.mkdtemp()
        >>> _ = Environment.create("dev", home=home)
        >>> Environment.existing("dev", home=home).type
        'test'
        """
        found = _backend_of(name, home, backend, **aws)
        found.state.get_environment(name)
        return cls(name, found)

    @classmethod
    def create(cls, name: str, type: str = "test", backend: str = "local", home: str | os.PathLike | None = None,
               require_signature: bool = False, trusted_keys: Sequence[str] = (), keep_versions: int = 10,
               keep_days: int = 10, *, profile: str | None = None, region: str | None = None,
               endpoint_url: str | None = None) -> Environment:
        """Create ``name`` (``type`` test or production) or, if it exists, bring its settings to these.

        ``backend``: ``local`` (``$ATTINI_HOME``) or ``aws`` (the backend installed in the account; reached
        with ``profile``/``region``/``endpoint_url``, and remembered for ``name``, as :meth:`aws` does).
        ``require_signature``/``trusted_keys``: the signature policy of deployments here (public keys as PEM
        text or file paths). ``keep_versions``/``keep_days``: artifact retention (0 and 0 keeps all).

        >>> import tempfile
        >>> Environment.create("prod", type="production", home=tempfile.mkdtemp(), keep_versions=5).record.keep_versions
        5
        """
        chosen = _backend(backend, home, **(_aws_settings(profile=profile, region=region, endpoint_url=endpoint_url)
                                            if backend == "aws" else {}))
        store = chosen.state
        keys = tuple(_key_text(k) for k in trusted_keys)
        settings = dict(require_signature=require_signature, trusted_keys=keys, keep_versions=keep_versions,
                        keep_days=keep_days)
        record = store.create_environment(name, type, exist_ok=True, **settings)
        wanted = {"type": type, **settings}
        if any(getattr(record, k) != v for k, v in wanted.items()):
            store.update_environment(name, **wanted)
        if backend == "aws":
            _remember(name, home, profile=chosen.session.profile, region=chosen.session.region,
                      endpoint_url=chosen.session.endpoint_url)
        return cls(name, chosen)

    # -- what it is ---------------------------------------------------------------------------------------

    @property
    def record(self) -> EnvironmentRecord:
        """The environment's settings as stored now."""
        return self._backend.state.get_environment(self.name)

    @property
    def type(self) -> str:
        """``test`` or ``production`` (the CLI asks before deploying to production)."""
        return self.record.type

    @property
    def is_production(self) -> bool:
        return self.record.is_production

    @property
    def home(self) -> Path:
        """The folder the local backend keeps this environment's data in (on AWS: the local cache of what
        this machine read from the backend)."""
        return self._backend.home

    @property
    def backend(self) -> str:
        return self._backend.name

    @property
    def parameters(self) -> EnvironmentParameters:
        """The environment's parameters (see :class:`EnvironmentParameters`)."""
        return EnvironmentParameters(self)

    def _secret_values(self) -> tuple[str, ...]:
        from attini_sdk.backends.inputs import secret_texts

        state = self._backend.state
        secret = {p.key for p in state.parameters(self.name) if p.secret}
        real = state.resolved_parameters(self.name) if secret else {}
        return secret_texts(real[k] for k in secret)

    def __repr__(self) -> str:
        where = self._backend.describe() if hasattr(self._backend, "describe") else self.home
        return f"<Environment {self.name} ({self.type}, {self.backend} in {where})>"

    def _repr_html_(self) -> str:
        from attini_sdk.notebook.html import environment_html  # up the chain: listed in docs/internals.md

        return environment_html(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Environment) and (self.name, self.home) == (other.name, other.home)

    def __hash__(self) -> int:
        return hash((self.name, self.home))

    def remove(self, force: bool = False) -> None:
        """Forget this environment and its history (its artifacts stay until retention removes them).

        Refused with :class:`~attini_sdk.errors.ConflictError` while deployments run; ``force=True`` first
        aborts deployments whose deployer is gone or that wait for an approval (never a live one).
        """
        backend = self._backend
        backend.detect_interrupted(self.name)
        state = backend.state
        if force:
            for d in state.list_deployments(self.name, status=("interrupted", "waiting_approval")):
                state.unlock(d.environment, d.distribution, force=d.status == "waiting_approval")
                state.finish_deployment(d.id, "aborted", error="EnvironmentRemoved",
                                        cause="aborted to remove the environment")
        ids = [d.id for d in state.list_deployments(self.name)]
        state.remove_environment(self.name)
        for deployment_id in ids:
            backend.forget_files(deployment_id, logs=True)
        if self.backend != "local":
            _forget(self.name, getattr(backend, "home_root", None))

    # -- deploying ----------------------------------------------------------------------------------------

    def deploy(self, target: Any, *, parameters: Mapping[str, Any] | None = None, rerun_unchanged: bool = False,
               wait: bool = True, approve: bool | Callable[[str], bool] | None = None, wait_for_lock: float = 0,
               reason: str | None = None, progress: Callable[[dict], None] | None = None,
               raise_on_failure: bool = False, force: bool | None = None) -> Deployment:
        """Deploy ``target`` here and return the :class:`~attini_sdk.deploy.deployment.Deployment`.

        ``target``: an Artifact, a Distribution (packaged first), a source folder, a ``.zip``, or a
        ``sha256:`` distribution id already stored (promotion). ``rerun_unchanged=True`` runs every step,
        even those unchanged since their last successful run (``force=`` is its deprecated old name: in
        Attini, and in ``attini deploy run -f``, "force" means "do not ask before changing production").
        ``wait=False`` returns at once (this process drives the deployment in a thread; ``.wait()`` joins).
        ``approve``: None pauses at each ManualApproval (status ``waiting_approval``), True approves all, a
        callable ``approve(step) -> bool`` answers each. ``wait_for_lock``: seconds to wait while another
        deployment of the distribution runs (else :class:`~attini_sdk.errors.LockError` at once).
        ``progress(event)`` receives step events. A failed deployment is returned with status ``failed``;
        ``raise_on_failure=True`` raises :class:`~attini_sdk.errors.StepFailed` instead.

        In a Jupyter notebook (ipywidgets installed), a waiting deploy without ``progress`` shows the live
        widget of :meth:`Deployment.watch` while it runs; elsewhere nothing is shown.
        """
        from attini_sdk.deploy.flow import deploy

        if force is not None:
            warnings.warn("Environment.deploy(force=...) is deprecated: pass rerun_unchanged=... (same meaning)",
                          DeprecationWarning, stacklevel=2)
            rerun_unchanged = rerun_unchanged or force
        live = wait and progress is None and _in_notebook()
        deployment = deploy(self, target, parameters=parameters, rerun_unchanged=rerun_unchanged,
                            wait=wait and not live, approve=approve, wait_for_lock=wait_for_lock, reason=reason,
                            progress=progress, raise_on_failure=raise_on_failure and not live)
        if live:
            deployment = deployment.watch().follow()
            if raise_on_failure and deployment.status in ("failed", "aborted"):
                from attini_sdk.deploy.flow import failure

                raise failure(deployment.record)
        return deployment

    def rollback(self, distribution: str, to: int | str | None = None, *, force: bool = False, wait: bool = True,
                 approve: bool | Callable[[str], bool] | None = None,
                 progress: Callable[[dict], None] | None = None) -> Deployment:
        """Deploy an earlier artifact of ``distribution`` again, as a new revision "Rollback to N".

        ``to``: None (the last good deployment: the current one when the latest attempt failed, else the
        successful one before it), a revision number, a version (``"1.2.0"``) or a distribution id. Refused
        when its artifact is gone (retention) or, unless ``force=True``, when it is not a successful
        deployment or a dependency's range no longer holds. In a notebook it shows the live widget, as
        :meth:`deploy` does.
        """
        from attini_sdk.deploy.flow import rollback

        live = wait and progress is None and _in_notebook()
        deployment = rollback(self, distribution, to, force=force, wait=wait and not live, approve=approve,
                              progress=progress)
        return deployment.watch().follow() if live else deployment

    def resume(self, distribution: str, deployment_id: str | None = None, *, wait: bool = True,
               approve: bool | Callable[[str], bool] | None = None,
               progress: Callable[[dict], None] | None = None) -> Deployment:
        """Continue an ``interrupted`` deployment (its deployer died) where it stopped, in this process.

        Steps that finished are not run again; the one in flight is run again (a Cfn step waits for its
        stack to settle first). Default: the latest deployment of ``distribution``. In a notebook it shows the
        live widget, as :meth:`deploy` does.
        """
        from attini_sdk.deploy.flow import resume

        live = wait and progress is None and _in_notebook()
        deployment = resume(self, distribution, deployment_id, wait=wait and not live, approve=approve,
                            progress=progress)
        return deployment.watch().follow() if live else deployment

    def unlock(self, distribution: str, force: bool = False):
        """Remove the lock of a deployment whose process is gone (``force``: even if it looks alive).

        Its deployment becomes ``interrupted`` (resume it with :meth:`resume`). Returns the removed lock
        (a :class:`~attini_sdk.backends.records.Lock`) or None when nothing was locked.
        """
        return self._backend.state.unlock(self.name, distribution, force=force)

    def prune(self, dry_run: bool = False) -> pd.DataFrame:
        """Delete artifacts of this environment's distributions that no environment's retention keeps.

        Columns: distribution, version, distribution_id, bytes, path. Runs after every successful
        deployment too (for the deployed distribution).
        """
        import pandas as pd

        names = list(self.inventory()["distribution"])
        rows = self._backend.prune(distributions=names, dry_run=dry_run) if names else []
        columns = ["distribution", "version", "distribution_id", "bytes", "path"]
        return pd.DataFrame(rows, columns=columns).astype({"bytes": "int64"})

    # -- reading ------------------------------------------------------------------------------------------

    def inventory(self) -> pd.DataFrame:
        """What runs here: one row per distribution (current and last attempted deployment)."""
        from attini_sdk.deploy import frames

        self._backend.detect_interrupted(self.name)
        return frames.inventory(self._backend.state, self.name)

    def history(self, distribution: str | None = None, since: datetime | None = None,
                status: str | Iterable[str] | None = None, limit: int | None = None) -> pd.DataFrame:
        """Deployments here, newest first (see ``docs/environments.md`` for the columns)."""
        from attini_sdk.deploy import frames

        self._backend.detect_interrupted(self.name)
        return frames.history(self._backend.state, self.name, distribution=distribution, since=since,
                                 status=status, limit=limit)

    def history_plot(self, distribution: str | None = None):
        """A matplotlib Figure of the deployments here over time: successes, failures and rollbacks marked.

        >>> at.Environment.local("acc").history_plot().savefig("history.png")     # doctest: +SKIP
        """
        from attini_sdk.notebook.plots import history_plot  # up the chain: listed in docs/internals.md

        return history_plot(self, distribution)

    def deployment(self, id_or_revision: str | int, distribution: str | None = None) -> Deployment:
        """One deployment: by id, or by revision number of ``distribution``."""
        from attini_sdk.deploy.deployment import Deployment

        self._backend.detect_interrupted(self.name)
        state = self._backend.state
        if isinstance(id_or_revision, int) and not isinstance(id_or_revision, bool):
            if distribution is None:
                raise ConfigError("a revision number needs the distribution it belongs to",
                                  where=f"environment '{self.name}'", hint="env.deployment(3, 'app')",
                                  cli_hint="name the distribution too: -n NAME --revision N")
            return Deployment(self, state.find_deployment(self.name, distribution, id_or_revision))
        record = state.get_deployment(str(id_or_revision))
        if record.environment != self.name:
            raise NotFoundError(f"deployment {id_or_revision} belongs to environment '{record.environment}'",
                                where=f"environment '{self.name}'",
                                hint=f"use Environment.local('{record.environment}').deployment(...)",
                                cli_hint=f"ask its environment: -e {record.environment}")
        return Deployment(self, record)

    def latest(self, distribution: str) -> Deployment:
        """The last attempted deployment of ``distribution`` here."""
        from attini_sdk.deploy.deployment import Deployment

        self._backend.detect_interrupted(self.name)
        record = self._backend.state.latest_deployment(self.name, distribution)
        if record is None:
            raise _never_deployed(self.name, distribution)
        return Deployment(self, record)

    def current(self, distribution: str) -> Artifact:
        """The artifact the current (last succeeded) deployment of ``distribution`` ran, from the store.

        Deploy it elsewhere to promote exactly that artifact: ``acc.deploy(dev.current("app"))``.
        """
        from attini_sdk.backends.admission import stored_copy

        record = self._backend.state.current_deployment(self.name, distribution)
        if record is None:
            raise _never_deployed(self.name, distribution, succeeded=True)
        # with the signature this environment trusts: the store keeps every valid signature of an id
        return stored_copy(self._backend.artifacts, self.record, record.distribution_id)

    def pending_approvals(self) -> pd.DataFrame:
        """Manual approvals nobody answered yet: deployment_id, distribution, revision, step, requested_at."""
        import pandas as pd

        state = self._backend.state
        rows = []
        for approval in state.pending_approvals(self.name):
            d = state.get_deployment(approval.deployment_id)
            rows.append({"deployment_id": d.id, "distribution": d.distribution, "revision": d.revision,
                         "step": approval.step, "requested_at": approval.requested_at})
        return pd.DataFrame(rows, columns=["deployment_id", "distribution", "revision", "step", "requested_at"])


def _in_notebook() -> bool:
    """True inside a Jupyter kernel that can show widgets (ipywidgets installed)."""
    import importlib.util
    import sys

    if "ipykernel" not in sys.modules:
        return False
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return getattr(shell, "kernel", None) is not None and importlib.util.find_spec("ipywidgets") is not None


def _never_deployed(environment: str, distribution: str, *, succeeded: bool = False) -> NotFoundError:
    what = "has never succeeded" if succeeded else "was never deployed"
    return NotFoundError(f"'{distribution}' {what} in environment '{environment}'",
                         where=f"environment '{environment}'",
                         hint=f"see what runs there with `attini inventory -e {environment}`")


def _key_text(key: Any) -> str:
    """A trusted key as stored: PEM text (a path is read)."""
    if hasattr(key, "to_pem"):
        return key.to_pem().decode()
    text = os.fspath(key) if isinstance(key, os.PathLike) else str(key)
    if "BEGIN" not in text and Path(text).is_file():
        return Path(text).read_text()
    return text


def list_environments(home: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every local environment: name, type, backend, created_at, deployments, running.

    Reads the environments table and one inventory row per distribution: its cost does not grow with the
    number of deployments ever made.

    >>> import tempfile
    >>> home = tempfile.mkdtemp()
    >>> _ = Environment.create("prod", type="production", home=home)
    >>> list_environments(home)[["name", "type", "deployments"]].to_dict("records")
    [{'name': 'prod', 'type': 'production', 'deployments': 0}]
    """
    import pandas as pd

    from attini_sdk.deploy import rows

    columns = ["name", "type", "backend", "created_at", "deployments", "running"]
    frame = pd.DataFrame([{k: r[k] for k in columns} for r in rows.environments(home)], columns=columns)
    return frame.astype({"deployments": "int64", "running": "int64", "created_at": "datetime64[ns, UTC]"})


def landscape(envs: Iterable[Any] | None = None, home: str | os.PathLike | None = None) -> pd.DataFrame:
    """Distribution x environment -> current version, with ``newest``, ``drift`` and ``behind`` columns.

    ``envs``: names or :class:`Environment` objects (default: every local environment).
    """
    from attini_sdk.deploy import frames

    envs = None if envs is None else list(envs)
    given = next((e for e in envs or () if isinstance(e, Environment)), None)
    if given is not None and given.backend != "local":  # environments on AWS: that backend's table
        return frames.landscape(given._backend.state, envs)
    if given is not None:
        return frames.landscape(_backend("local", given.home).state, envs)
    return frames.landscape(default_backend(home).state, envs)

