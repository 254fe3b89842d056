"""Artifacts: packaged distributions, verified when opened, extracted safely.

    >>> import attini_sdk as at
    >>> artifact = at.Artifact.open("attini_dist/network.zip")     # doctest: +SKIP
    >>> artifact.name, artifact.version, artifact.id[:7]            # doctest: +SKIP
    ('network', '1.0.0', 'sha256:')

Opening checks everything: every entry name is safe (no absolute paths, ``..``, links or
duplicates), sizes are within budget (zip bombs), every header is byte for byte what attini
writes, and every file's sha256 matches the manifest. Any difference raises
:class:`~attini_sdk.errors.ArtifactError` naming the entry.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from attini_sdk.artifacts import archive
from attini_sdk.artifacts.manifest import MANIFEST_PATH, PLAN_PATH, SIGNATURE_PATH, Manifest, canonical_json
from attini_sdk.config.limits import MAX_ENTRIES
from attini_sdk.errors import ArtifactError, SignatureError

__all__ = ["Artifact", "Limits", "size_text"]

_CHUNK = 1 << 20


@attrs.frozen
class Limits:
    """Budgets that protect against zip bombs and absurd artifacts.

    ``max_ratio`` applies to entries larger than ``ratio_floor`` bytes: deflate reaches about 1000:1
    only on degenerate data, real files stay far below 100:1.

    >>> Limits().max_total_size
    4294967296
    """

    max_total_size: int = 4 << 30
    max_entries: int = MAX_ENTRIES
    max_ratio: int = 200
    ratio_floor: int = 1 << 20
    max_manifest_size: int = 64 << 20


def size_text(size: int) -> str:
    """A byte count for people, in powers of 1024 with one decimal.

    >>> size_text(512), size_text(4198), size_text(3 * 1024 ** 2)
    ('512 B', '4.1 KB', '3.0 MB')
    """
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def _error(what: str, where: str, hint: str | None = None) -> ArtifactError:
    return ArtifactError(what, where=where, hint=hint or "do not use this artifact; package the distribution again")


@attrs.frozen(hash=False)
class Artifact:
    """One packaged distribution: a zip on disk and its manifest.

    Use :meth:`open` for a zip you did not just make (it verifies everything);
    :meth:`~attini_sdk.artifacts.distribution.Distribution.package` returns one directly.
    """

    path: Path = attrs.field(converter=Path)
    manifest: Manifest
    signature: Mapping[str, Any] | None = attrs.field(default=None, eq=False)

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike, *, trusted_keys: Iterable | None = None, require_signature: bool = False,
             expected_id: str | None = None, limits: Limits | None = None) -> Artifact:
        """Open and fully verify the artifact at ``path``.

        ``trusted_keys`` (public keys, PEM text or key files) checks the signature if there is one;
        ``require_signature=True`` also rejects unsigned artifacts. ``expected_id`` rejects an
        artifact whose id differs (e.g. when it was fetched by id).
        """
        from attini_sdk.artifacts.verify import verify_zip

        path = Path(path)
        manifest, signature = verify_zip(path, limits or Limits())
        artifact = cls(path=path, manifest=manifest, signature=signature)
        if expected_id is not None and artifact.id != expected_id:
            raise _error(f"its id is {artifact.id}, expected {expected_id}", str(path))
        if require_signature or trusted_keys is not None:
            artifact.verify_signature(trusted_keys or [], require=require_signature)
        return artifact

    def verify_signature(self, trusted_keys: Iterable, *, require: bool = True):
        """Check the signature against ``trusted_keys``; returns the signing key, or None when
        unsigned and not ``require``. Raises :class:`SignatureError`."""
        from attini_sdk.artifacts.signing import verify_document

        where = f"{self.path}: {SIGNATURE_PATH}"
        if self.signature is None:
            if require:
                raise SignatureError("the artifact is not signed", where=str(self.path),
                                     hint="sign it with artifact.sign(key) before deploying it",
                                     cli_hint="package it, sign the zip with 'attini distribution sign ZIP --key "
                                              "KEY_FILE' and deploy the signed zip")
            return None
        return verify_document(dict(self.signature), self.id, trusted_keys, where=where)

    # --- what it is ---------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The distribution id: sha256 of the canonical manifest."""
        return self.manifest.id

    @property
    def name(self) -> str:
        return self.manifest.distribution_name

    @property
    def version(self) -> str | None:
        """The author's version, or None (the distribution id alone identifies it then)."""
        return self.manifest.version

    @property
    def label(self) -> str:
        """Name and version for messages: ``network 1.0.0``, or ``network`` when it has no version."""
        return f"{self.name} {self.version}" if self.version else self.name

    @property
    def dependencies(self):
        """The declared dependencies, as :class:`~attini_sdk.config.Dependency` values."""
        if not self.manifest.dependencies:
            return ()  # without loading the config loader (a deploy asks every artifact)
        from attini_sdk.config.load import Dependency

        return tuple(Dependency(d["distributionName"], d.get("version", "*")) for d in self.manifest.dependencies)

    @property
    def tags(self) -> dict[str, str]:
        """The distribution tags."""
        return dict(self.manifest.distribution_tags)

    @property
    def config(self):
        """The validated attini-config recorded at package time, as :class:`~attini_sdk.config.AttiniConfig`."""
        from attini_sdk.config.load import parse_config

        return parse_config(dict(self.manifest.config), source=f"{self.path}: {MANIFEST_PATH} config", warn=False)

    @property
    def plan(self) -> dict | None:
        """The deployment plan (raw ASL data), or None."""
        import json

        from attini_sdk.config import limits

        if self.manifest.plan is None:
            return None
        where = f"{self.path}: {PLAN_PATH}"
        try:
            data = limits.json_loads(self.read_bytes(PLAN_PATH))
            if not isinstance(data, dict):
                raise limits.LimitExceeded(f"it is a JSON {type(data).__name__}, not an object with StartAt and States")
            limits.check_state_nesting(data)
        except (json.JSONDecodeError, limits.LimitExceeded) as err:
            raise _error(f"the plan is not a usable state machine: {err}", where) from None
        return data

    @property
    def files(self):
        """The project files as a DataFrame: path, size, mode, sha256, compressed_size, compression."""
        import pandas as pd

        infos = self._infos()
        rows = [{"path": f.path, "size": f.size, "mode": f.mode, "sha256": f.sha256,
                 "compressed_size": infos[f.path].compress_size if f.path in infos else None,
                 "compression": "deflate" if infos.get(f.path) and infos[f.path].compress_type else "store"}
                for f in self.manifest.files]
        frame = pd.DataFrame(rows, columns=["path", "size", "mode", "sha256", "compressed_size", "compression"])
        return frame.astype({"size": "int64", "compressed_size": "Int64"})

    def _infos(self) -> dict[str, zipfile.ZipInfo]:
        with zipfile.ZipFile(self.path) as zf:
            return {i.filename: i for i in zf.infolist()}

    def read_bytes(self, name: str) -> bytes:
        """The content of one entry (a project file or an ``attini_data/`` file)."""
        try:
            with zipfile.ZipFile(self.path) as zf:
                return zf.read(name)
        except KeyError:
            raise ArtifactError(f"no entry '{name}'", where=str(self.path),
                                hint="list the entries with artifact.files") from None
        except (zipfile.BadZipFile, OSError) as err:
            raise _error(f"cannot read entry '{name}': {err}", str(self.path)) from None

    def read_text(self, name: str) -> str:
        """The content of one entry, decoded as UTF-8."""
        return self.read_bytes(name).decode("utf-8")

    def __repr__(self) -> str:
        """One line: label, short id, size, signed or not, and the zip's path, e.g.
        ``<Artifact network 1.2.0 sha256:3f2a9b1c0d4e… (12 files, 4.1 KB, signed) at dist/network.zip>``."""
        files = self.manifest.files
        signed = "signed" if self.signature is not None else "unsigned"
        return (f"<Artifact {self.label} {self.id[:19]}… ({len(files)} file{'s' if len(files) != 1 else ''}, "
                f"{size_text(self.manifest.total_size)}, {signed}) at {self.path}>")

    def _repr_html_(self) -> str:
        from attini_sdk.notebook.html import artifact_html  # up the chain: listed in docs/internals.md

        return artifact_html(self)

    # --- doing things ---------------------------------------------------------------------------

    def extract(self, target: str | os.PathLike, *, limits: Limits | None = None, private: bool = False) -> Path:
        """Extract every entry into ``target`` (which must be missing or empty), checking each file's
        sha256 again while writing. Nothing is ever written outside ``target``. ``private`` makes every
        file owner-only (0600, 0700 for executables), as the local backend keeps them."""
        from attini_sdk.artifacts.verify import extract_zip

        return extract_zip(self, Path(target), limits or Limits(), private=private)

    def diff(self, other: Artifact):
        """What changed from ``self`` to ``other``, as a DataFrame with columns
        ``kind`` (file, config, plan, plan step, distribution), ``name``, ``change`` (added, removed, changed),
        ``old`` and ``new``."""
        from attini_sdk.artifacts.diff import diff_manifests

        frame = diff_manifests(self.manifest, other.manifest)
        if self.manifest.plan == other.manifest.plan:
            return frame
        import pandas as pd

        from attini_sdk.plan.diff import plan_diff_rows

        steps = pd.DataFrame(plan_diff_rows(self.plan, other.plan), columns=frame.columns)
        both = pd.concat([frame.astype(object), steps.astype(object)], ignore_index=True)
        return both.astype({"kind": "category", "change": "category"})

    def deploy(self, env, **options):
        """Deploy this artifact to ``env`` (an :class:`~attini_sdk.deploy.environment.Environment` or a local
        environment's name); the keywords are those of :meth:`Environment.deploy`.

        >>> artifact.deploy(at.Environment.local("dev"), approve=True).status    # doctest: +SKIP
        'succeeded'
        """
        if isinstance(env, str):
            from attini_sdk.deploy.environment import Environment  # up the chain: listed in docs/internals.md

            env = Environment.local(env)
        return env.deploy(self, **options)

    def sign(self, private_key) -> Artifact:
        """Add ``attini_data/signature.json`` (replacing an earlier one); the id does not change.

        ``private_key`` is a :class:`~attini_sdk.artifacts.signing.SigningKey` or the path of its PEM file.
        """
        from attini_sdk.artifacts.signing import SigningKey, sign_id

        key = private_key if isinstance(private_key, SigningKey) else SigningKey.load(private_key)
        Artifact.open(self.path, expected_id=self.id)  # only a verified, canonical zip is rewritten
        doc = sign_id(self.id, key)
        _rewrite_with(self.path, SIGNATURE_PATH, canonical_json(doc))
        return attrs.evolve(self, signature=doc)


def _rewrite_with(path: Path, name: str, data: bytes) -> None:
    """Copy every member except ``name`` byte for byte into a new zip, append ``name``, replace."""
    import zlib

    import tempfile

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o644)
        with open(path, "rb") as src, zipfile.ZipFile(src) as zf, open(fd, "wb") as out:
            writer = archive.ZipWriter(out)
            for info in zf.infolist():
                if info.filename == name:
                    continue
                member = archive.Member(info.filename, (info.external_attr >> 16) & 0o777, info.compress_type,
                                        info.CRC, info.file_size, info.compress_size)
                writer.add(member, _raw_chunks(src, info))
            writer.add(archive.Member(name, 0o644, archive.STORED, zlib.crc32(data), len(data), len(data)), (data,))
            writer.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _raw_chunks(fh, info: zipfile.ZipInfo):
    header = archive.local_header(archive.Member(info.filename, (info.external_attr >> 16) & 0o777,
                                                 info.compress_type, info.CRC, info.file_size, info.compress_size))
    offset, left = info.header_offset + len(header), info.compress_size
    while left:
        fh.seek(offset)
        chunk = fh.read(min(_CHUNK, left))
        if not chunk:
            raise _error("the artifact is truncated", str(info.filename))
        offset, left = offset + len(chunk), left - len(chunk)
        yield chunk
