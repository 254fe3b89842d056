"""The manifest of an artifact (``attini_data/manifest.json``) and the distribution id.

The manifest lists everything that makes a distribution: name, version, tags, dependencies, the
validated config, the plan's digest and every file's path, size, mode and sha256. Its canonical
JSON (sorted keys, no spaces, UTF-8) is hashed into the **distribution id**, so the id depends on
content only, never on compression, time or machine::

    >>> m = Manifest(distribution_name="network", version="1.0.0",
    ...              files=(FileEntry("a.txt", 5, "0644", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),))
    >>> m.id.startswith("sha256:"), len(m.id)
    (True, 71)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from attini_sdk._version import __version__
from attini_sdk.config.limits import MAX_VERSION_LENGTH
from attini_sdk.errors import ArtifactError

__all__ = ["SCHEMA_VERSION", "MANIFEST_PATH", "PLAN_PATH", "SIGNATURE_PATH", "FileEntry", "Manifest",
           "canonical_json", "digest"]

SCHEMA_VERSION = 1
DATA_DIR = "attini_data/"
MANIFEST_PATH = "attini_data/manifest.json"
PLAN_PATH = "attini_data/plan.json"
SIGNATURE_PATH = "attini_data/signature.json"
MODES = ("0644", "0755")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value that ids and digests are computed over.

    >>> canonical_json({"b": 1, "a": "é"})
    b'{"a":"\\xc3\\xa9","b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def digest(data: bytes) -> str:
    """``"sha256:" + hex`` of ``data``.

    >>> digest(b"")[:15]
    'sha256:e3b0c442'
    """
    return "sha256:" + hashlib.sha256(data).hexdigest()


@attrs.frozen
class FileEntry:
    """One project file in the artifact: where, how big, executable or not, and its content hash.

    >>> FileEntry("run.sh", 10, "0755", "0" * 64).executable
    True
    """

    path: str
    size: int
    mode: str
    sha256: str

    @property
    def executable(self) -> bool:
        return self.mode == "0755"

    def to_data(self) -> dict:
        return {"path": self.path, "size": self.size, "mode": self.mode, "sha256": self.sha256}


def _frozen(value: Any) -> Any:
    return MappingProxyType(dict(value or {}))


@attrs.frozen(hash=False)
class Manifest:
    """What an artifact holds. ``id`` is the sha256 of :meth:`canonical`.

    ``version`` is None for a distribution without one (stored as ``null``: the id then tells it apart);
    ``dependencies`` are ``{"distributionName", "version"}`` mappings; ``config`` is the validated
    attini-config as data; ``plan`` is the digest of ``attini_data/plan.json`` or None.
    """

    distribution_name: str
    version: str | None = None
    distribution_tags: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    dependencies: tuple[Mapping[str, str], ...] = attrs.field(
        default=(), converter=lambda ds: tuple(_frozen(d) for d in ds))
    config: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen)
    plan: str | None = None
    files: tuple[FileEntry, ...] = ()
    tool: Mapping[str, str] = attrs.field(factory=lambda: {"name": "attini_sdk", "version": __version__},
                                          converter=_frozen)
    schema_version: int = SCHEMA_VERSION

    def to_data(self) -> dict:
        """The manifest as JSON-able data, exactly as stored in the artifact."""
        return {
            "schemaVersion": self.schema_version,
            "distributionName": self.distribution_name,
            "version": self.version,
            "distributionTags": dict(self.distribution_tags),
            "dependencies": [dict(d) for d in self.dependencies],
            "config": json.loads(json.dumps(dict(self.config), default=_plain)),
            "plan": self.plan,
            "files": [f.to_data() for f in self.files],
            "tool": dict(self.tool),
        }

    def canonical(self) -> bytes:
        """The canonical JSON bytes stored as ``attini_data/manifest.json``."""
        return canonical_json(self.to_data())

    @property
    def id(self) -> str:
        """The distribution id: ``"sha256:" + hex`` of the canonical manifest."""
        return digest(self.canonical())

    @property
    def total_size(self) -> int:
        """Sum of the project files' sizes, in bytes."""
        return sum(f.size for f in self.files)

    @classmethod
    def from_bytes(cls, data: bytes, *, where: str = MANIFEST_PATH) -> Manifest:
        """Parse and check a stored manifest; raises :class:`ArtifactError` saying what is wrong."""
        from attini_sdk.config import limits

        try:
            value = limits.json_loads(data)
        except limits.LimitExceeded as err:
            raise ArtifactError(f"the manifest {err}", where=where,
                                hint="the artifact is damaged or was not made by attini_sdk; package it again") from None
        except json.JSONDecodeError as err:
            raise ArtifactError(f"the manifest is not valid JSON ({err})", where=where,
                                hint="the artifact is damaged; package the distribution again") from None
        return cls.from_data(value, where=where)

    @classmethod
    def from_data(cls, value: Any, *, where: str = MANIFEST_PATH) -> Manifest:
        """Build a manifest from parsed JSON, checking every field's type."""
        check = _Checker(where)
        check.true(isinstance(value, dict), "", "must be a JSON object")
        if value.get("schemaVersion") != SCHEMA_VERSION:
            raise ArtifactError(f"schemaVersion {value.get('schemaVersion')!r} is not supported (expected "
                                f"{SCHEMA_VERSION})", where=where, hint="use the attini_sdk version that made it")
        for key, kind in (("distributionName", str), ("distributionTags", dict),
                          ("dependencies", list), ("config", dict), ("files", list), ("tool", dict)):
            check.true(isinstance(value.get(key), kind), key, f"must be a {kind.__name__}")
        check.true("version" in value and (value["version"] is None or isinstance(value["version"], str)),
                   "version", "must be a string or null")
        check.true(value.get("plan") is None or isinstance(value["plan"], str), "plan", "must be a digest or null")
        files = tuple(_file_entry(check, i, f) for i, f in enumerate(value["files"]))
        paths = [f.path for f in files]
        check.true(paths == sorted(set(paths)), "files", "paths must be unique and sorted")
        version = value["version"]
        check.true(version is None or _is_version(version), "version",
                   f"must be a semantic version of at most {MAX_VERSION_LENGTH} characters")
        for i, dep in enumerate(value["dependencies"]):
            check.true(isinstance(dep, dict) and all(isinstance(v, str) for v in dep.values())
                       and isinstance(dep.get("distributionName"), str), f"dependencies[{i}]",
                       "must map strings to strings, distributionName included")
        manifest = cls(
            distribution_name=value["distributionName"], version=value["version"],
            distribution_tags=value["distributionTags"], dependencies=value["dependencies"],
            config=value["config"], plan=value.get("plan"), files=files, tool=value["tool"],
        )
        return manifest


def _is_version(text: str) -> bool:
    from attini_sdk.config.semver import Version
    from attini_sdk.errors import ConfigError

    try:
        Version.parse(text)
    except ConfigError:
        return False
    return text == text.strip()


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


@attrs.define
class _Checker:
    where: str

    def true(self, condition: bool, key: str, what: str) -> None:
        if not condition:
            raise ArtifactError(f"{key or 'manifest'} {what}", where=self.where,
                                hint="the artifact is damaged or was not made by attini_sdk; package it again")


def _file_entry(check: _Checker, i: int, value: Any) -> FileEntry:
    key = f"files[{i}]"
    check.true(isinstance(value, dict) and set(value) == {"path", "size", "mode", "sha256"}, key,
               "must have exactly path, size, mode and sha256")
    check.true(isinstance(value["path"], str), f"{key}.path", "must be a string")
    check.true(type(value["size"]) is int and value["size"] >= 0, f"{key}.size", "must be a non-negative integer")
    check.true(value["mode"] in MODES, f"{key}.mode", "must be '0644' or '0755'")
    check.true(isinstance(value["sha256"], str) and bool(_HEX64.match(value["sha256"])), f"{key}.sha256",
               "must be 64 lowercase hex digits")
    return FileEntry(value["path"], value["size"], value["mode"], value["sha256"])
