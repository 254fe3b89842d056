"""Packaging a distribution into a deterministic, content-addressed artifact.

From a folder with an attini-config::

    >>> import attini_sdk as at
    >>> artifact = at.Distribution("examples/platform/network").package()  # doctest: +SKIP
    >>> artifact.id                                                                  # doctest: +SKIP
    'sha256:...'

or from Python, for scripts that build the distribution themselves::

    >>> dist = Distribution("examples/platform/network", name="network", version="1.0.0",
    ...                     dependencies=["base >=1.0.0"])
    >>> dist.dependencies[0].version
    '>=1.0.0'

``package()`` selects files (``.attini-ignore``), runs ``prePackage`` commands in a temporary copy,
resolves the plan, writes ``attini_dist/<name>.zip`` and returns the :class:`~attini_sdk.artifacts.artifact.Artifact`.
The same content always gives the same bytes and the same id.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from attini_sdk.artifacts.manifest import MANIFEST_PATH, PLAN_PATH, Manifest, canonical_json, digest
from attini_sdk.config.load import AttiniConfig, Dependency, load_config, parse_config
from attini_sdk.errors import ConfigError, PackagingError

__all__ = ["Distribution", "DEFAULT_OUT_DIR"]

DEFAULT_OUT_DIR = "attini_dist"
_DEP_RE = re.compile(r"^\s*([a-zA-Z][-a-zA-Z0-9]*)\s*(.*?)\s*$")


def _dependency(value: Any) -> Dependency:
    if isinstance(value, Dependency):
        return value
    if isinstance(value, Mapping):
        return Dependency(value.get("distributionName"), value.get("version", "*"))
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return Dependency(*value)
    if isinstance(value, str) and (m := _DEP_RE.match(value)):
        return Dependency(m[1], m[2] or "*")
    raise ConfigError(f"cannot read dependency {value!r}", where="Distribution(dependencies=...)",
                      hint="give 'network >=1.0.0', ('network', '>=1.0.0') or Dependency('network', '>=1.0.0')")


def _dependencies(values: Any) -> tuple[Dependency, ...]:
    return tuple(_dependency(v) for v in (values or ()))


@attrs.frozen(hash=False, init=False)
class Distribution:
    """A distribution to package: a source folder, a name, an optional version, dependencies, tags and a plan.

    Give it the folder of an Attini project and it reads the folder's attini-config (name, version,
    dependencies, tags, initDeployConfig, prePackage commands), then :meth:`package` it::

        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "attini-config.yaml").write_text("distributionName: network\\n")
        >>> dist = Distribution(folder)      # then dist.package().deploy(env)
        >>> dist.name, dist.version          # the version is optional, as in Attini
        ('network', None)

    Give it a ``name`` too and it is built from the arguments alone: the folder's attini-config is not
    read (no prePackage commands, no initDeployConfig)::

        >>> Distribution(".", name="app", version="1.2.0").version
        '1.2.0'

    ``plan`` is a :class:`~attini_sdk.plan.Plan`, a :class:`~attini_sdk.plan.PlanDefinition` or raw
    ASL data (a dict); it is compiled and validated when packaging. Every argument after the folder is
    keyword-only.
    """

    source: Path = attrs.field(converter=Path)
    name: str
    version: str | None = None
    plan: Any = attrs.field(default=None, eq=False)
    dependencies: tuple[Dependency, ...] = attrs.field(default=(), converter=_dependencies)
    tags: Mapping[str, str] = attrs.field(factory=dict, converter=lambda t: MappingProxyType(dict(t or {})))
    config: AttiniConfig | None = attrs.field(default=None, eq=False, repr=False)

    def __init__(self, source: str | os.PathLike = ".", *, name: str | None = None, version: str | None = None,
                 plan: Any = None, dependencies: Any = None, tags: Mapping[str, str] | None = None,
                 config: AttiniConfig | None = None, strict: bool = False) -> None:
        if name is None:  # an Attini project: its attini-config says what it is
            config = config or load_config(source, strict=strict)
            name = config.distribution_name
            version = version if version is not None else config.version
            dependencies = config.dependencies if dependencies is None else dependencies
            tags = config.distribution_tags if tags is None else tags
        self.__attrs_init__(source=source, name=name, version=version, plan=plan, dependencies=dependencies,
                            tags=tags, config=config)

    def __attrs_post_init__(self) -> None:
        self.effective_config()  # validate name, version, tags and dependencies now, not at package time

    @classmethod
    def from_path(cls, path: str | os.PathLike, *, version: str | None = None, strict: bool = False) -> Distribution:
        """The distribution in folder ``path``, described by its attini-config (same as ``Distribution(path)``).

        ``version`` sets or overrides the config's ``version`` (like ``attini distribution package -v``);
        ``strict`` makes unknown config keys errors.
        """
        return cls(path, version=version, strict=strict)

    def __repr__(self) -> str:
        """One line: name, version (if any), the source folder and how many dependencies.

        >>> Distribution("examples/platform/network", name="network", version="1.2.0")
        <Distribution network 1.2.0 at examples/platform/network>
        """
        version = f" {self.version}" if self.version else " (no version)"
        deps = len(self.dependencies)
        needs = f", {deps} dependenc{'y' if deps == 1 else 'ies'}" if deps else ""
        return f"<Distribution {self.name}{version} at {self.source}{needs}>"

    def _repr_html_(self) -> str:
        from attini_sdk.notebook.html import distribution_html  # up the chain: listed in docs/internals.md

        return distribution_html(self)

    def effective_config(self) -> AttiniConfig:
        """The config this distribution packages with: attini-config with this object's name,
        version, tags and dependencies (or a config made from them when there is no file)."""
        if self.config is None:
            data = {"distributionName": self.name, "version": self.version, "distributionTags": dict(self.tags),
                    "dependencies": [d.to_data() for d in self.dependencies]}
            return parse_config(data, source="Distribution(...)")
        cfg = parse_config({**_plain(self.config.to_data()), "distributionName": self.name,
                            "version": self.version, "distributionTags": dict(self.tags),
                            "dependencies": [d.to_data() for d in self.dependencies]},
                           source=self.config.source, warn=False)
        return attrs.evolve(cfg, raw=self.config.raw)

    def package(self, out_dir: str | os.PathLike | None = None, *, skip_commands: bool = False,
                cache: bool = True, workers: int | None = None):
        """Package into ``out_dir/<name>.zip`` (default ``<source>/attini_dist``) and return the Artifact.

        ``skip_commands`` skips prePackage/postPackage; ``cache=False`` ignores the repackage
        cache; ``workers`` sets the number of compression threads (default: one per core).
        """
        from attini_sdk.artifacts.hooks import run_commands, work_copy

        source = self.source.resolve()
        if not source.is_dir():
            raise PackagingError(f"'{self.source}' is not a folder", where="Distribution.source",
                                 hint="point source at the distribution's folder")
        out_path = Path(out_dir or source / DEFAULT_OUT_DIR).resolve() / f"{self.name}.zip"
        config = self.effective_config()
        hooks = config.package if not skip_commands else None
        if not hooks or not (hooks.pre_package or hooks.post_package):
            return self._build(source, config, out_path, cache=cache, workers=workers)
        env = {"ATTINI_DISTRIBUTION_NAME": self.name, "ATTINI_DISTRIBUTION_VERSION": self.version or "",
               "ATTINI_SOURCE_DIR": str(source)}
        with work_copy(source) as work:
            run_commands("prePackage", hooks.pre_package, work.path, where=config.source, env=env)
            config = self._reload(work.path, config)
            artifact = self._build(work.path, config, out_path, cache=cache, workers=workers,
                                   cache_root=source, origin=work.origin)
            env["ATTINI_DISTRIBUTION_ID"] = artifact.id
            env["ATTINI_DIST_FILE"] = str(artifact.path)
            run_commands("postPackage", hooks.post_package, work.path, where=config.source, env=env)
        return artifact

    def _reload(self, work: Path, config: AttiniConfig) -> AttiniConfig:
        # prePackage commands may have edited the copy's attini-config (attini configure ...).
        if self.config is None:
            return config
        fresh = load_config(work)
        changed = attrs.evolve(self, config=attrs.evolve(fresh, source=self.config.source),
                               dependencies=fresh.dependencies, tags=fresh.distribution_tags)
        return changed.effective_config()

    def _build(self, root: Path, config: AttiniConfig, out_path: Path, *, cache: bool, workers: int | None,
               cache_root: Path | None = None, origin: Mapping | None = None):
        from attini_sdk.artifacts.artifact import Artifact
        from attini_sdk.artifacts.selection import select_files
        from attini_sdk.artifacts.zip_build import PackCache, write_zip

        files = select_files(root, exclude=[out_path.parent])
        if origin:  # files the commands did not touch are cached under their source's key
            files = [_source_keyed(f, origin.get(f.path)) for f in files]
        plan = _resolve_plan(root, config, self.plan, files=[f.path for f in files],
                             dependencies=[d.distribution_name for d in self.dependencies])
        plan_bytes = canonical_json(plan) if plan is not None else None
        made: list[Manifest] = []

        def trailer(entries):
            manifest = Manifest(
                distribution_name=self.name, version=self.version, distribution_tags=dict(self.tags),
                dependencies=[d.to_data() for d in self.dependencies], config=config.to_data(),
                plan=digest(plan_bytes) if plan_bytes is not None else None, files=entries)
            made.append(manifest)
            members = [(PLAN_PATH, plan_bytes)] if plan_bytes is not None else []
            return [*members, (MANIFEST_PATH, manifest.canonical())]

        pack_cache = PackCache(cache_root or root) if cache else None
        write_zip(out_path, files, trailer, cache=pack_cache, workers=workers)
        return Artifact(path=out_path, manifest=made[0])


def _source_keyed(f, keys):
    if keys is None or f.key != keys[0]:
        return attrs.evolve(f, inode=-1)  # new or changed by a command: never a cache hit
    size, mtime_ns, inode = keys[1]
    return attrs.evolve(f, size=size, mtime_ns=mtime_ns, inode=inode)


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _resolve_plan(work_dir: Path, config: AttiniConfig, plan_arg: Any, *, files=None,
                  dependencies=None) -> dict | None:
    """The compiled, validated deployment plan as ASL data, or None when the distribution has none.

    The one place packaging learns about plans; ``attini_sdk.plan`` compiles Python, Attini YAML and
    ASL plans and validates them against the distribution's files and declared dependencies.
    """
    from attini_sdk.plan.resolve import resolve_plan

    return resolve_plan(work_dir, config, plan_arg, files=files, dependencies=dependencies)
