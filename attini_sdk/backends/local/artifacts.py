"""Artifacts on local disk: ``$ATTINI_HOME/artifacts/<id-hex>.zip``, stored by distribution id.

Content is kept once per id; every distinct valid signature of an id is kept beside it, one file per signing
key (``<id-hex>.sig/<sha256 of the public key>.json``), because a signature is not part of the content id: the
first copy stored must never decide which signature an environment sees (see
:mod:`attini_sdk.backends.admission`). The store keeps bytes only; opening and verifying an artifact is :meth:`attini_sdk.artifacts.artifact.Artifact.open`'s
job. Writes are atomic (a temporary file in the same directory, fsync, rename), so a reader never sees half
a zip and a crash leaves at most a hidden ``.part`` file behind::

    >>> import tempfile
    >>> store = FileArtifactStore(tempfile.mkdtemp())
    >>> aid = "sha256:" + "ab" * 32
    >>> store.put(aid, b"PK...").name
    'abababababababababababababababababababababababababababababababab.zip'
    >>> store.has(aid), store.list() == [aid]
    (True, True)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from attini_sdk.errors import ArtifactError, NotFoundError
from attini_sdk.home import attini_home, owner_only

__all__ = ["FileArtifactStore"]

_ID = re.compile(r"^sha256:([0-9a-f]{64})$")
_FILE = re.compile(r"^([0-9a-f]{64})\.zip$")


def _hex(artifact_id: str) -> str:
    match = _ID.match(artifact_id) if isinstance(artifact_id, str) else None
    if match is None:
        raise ArtifactError(f"{artifact_id!r} is not a distribution id", where="artifact store",
                            hint="a distribution id is 'sha256:' followed by 64 lowercase hex digits")
    return match.group(1)


class FileArtifactStore:
    """The local backend's :class:`~attini_sdk.backends.base.ArtifactStore`: one zip per distribution id.

    >>> import tempfile
    >>> FileArtifactStore.open(tempfile.mkdtemp()).root.name
    'artifacts'
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    @classmethod
    def open(cls, home: str | os.PathLike | None = None) -> FileArtifactStore:
        """The store under ``home`` (default ``$ATTINI_HOME`` or ``~/.attini``)."""
        return cls(attini_home(home) / "artifacts")

    def path(self, artifact_id: str) -> Path:
        """Where the artifact with this id lives (whether or not it is there)."""
        return self.root / f"{_hex(artifact_id)}.zip"

    def put(self, artifact_id: str, source: bytes | str | os.PathLike | BinaryIO) -> Path:
        """Store bytes, a file, or a readable binary stream under ``artifact_id``; a stored id is kept as is."""
        target = self.path(artifact_id)
        if target.exists():  # same id, same content: ids are content digests
            return target
        with owner_only():
            self.root.mkdir(parents=True, exist_ok=True)
        import tempfile  # only when something is stored: not on a redeploy of a stored artifact

        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{target.stem[:16]}-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                self._copy(source, out)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)  # owner-only, as everything under ATTINI_HOME
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    @staticmethod
    def _copy(source: bytes | str | os.PathLike | BinaryIO, out: BinaryIO) -> None:
        if isinstance(source, (bytes, bytearray, memoryview)):
            out.write(source)
        elif isinstance(source, (str, os.PathLike)):
            try:
                with open(source, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
            except FileNotFoundError as exc:
                raise NotFoundError(f"artifact file {os.fspath(source)} does not exist", where=os.fspath(source),
                                    hint="package the distribution first (attini distribution package)") from exc
        else:
            shutil.copyfileobj(source, out, 1 << 20)

    def get(self, artifact_id: str) -> Path:
        """The path of a stored artifact; :class:`NotFoundError` if it is not (or no longer) stored."""
        target = self.path(artifact_id)
        if not target.is_file():
            raise NotFoundError(f"artifact {artifact_id} is not in the local artifact store",
                                where=str(self.root),
                                hint="it was never stored here or retention deleted it; deploy it again from "
                                     "its zip or another environment")
        return target

    def has(self, artifact_id: str) -> bool:
        """True if the artifact is stored."""
        return self.path(artifact_id).is_file()

    def delete(self, artifact_id: str) -> bool:
        """Remove a stored artifact and its signatures; False if it was not there."""
        shutil.rmtree(self._signature_dir(artifact_id), ignore_errors=True)
        try:
            self.path(artifact_id).unlink()
        except FileNotFoundError:
            return False
        return True

    # -- signatures -----------------------------------------------------------------------------------

    def _signature_dir(self, artifact_id: str) -> Path:
        return self.root / f"{_hex(artifact_id)}.sig"

    def add_signature(self, artifact_id: str, document: Mapping[str, Any]) -> Path:
        """Keep a signature document of ``artifact_id`` (one per signing key; the caller checked it is valid).

        >>> import tempfile
        >>> store = FileArtifactStore(tempfile.mkdtemp())
        >>> aid = "sha256:" + "ab" * 32
        >>> _ = store.add_signature(aid, {"publicKey": "AAAA", "distributionId": aid})
        >>> [d["publicKey"] for d in store.signatures(aid)]
        ['AAAA']
        """
        key = base64.b64decode(str(document.get("publicKey", "")), validate=False)
        target = self._signature_dir(artifact_id) / f"{hashlib.sha256(key).hexdigest()}.json"
        if target.exists():
            return target
        with owner_only():
            target.parent.mkdir(parents=True, exist_ok=True)
            import tempfile

            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".sig-", suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(json.dumps(dict(document), sort_keys=True))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def signatures(self, artifact_id: str) -> list[dict[str, Any]]:
        """Every signature document kept for ``artifact_id`` (in a stable order); unreadable ones are skipped."""
        found = []
        folder = self._signature_dir(artifact_id)
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(doc, dict):
                found.append(doc)
        return found

    def list(self) -> list[str]:
        """Every stored artifact id, sorted."""
        if not self.root.is_dir():
            return []
        found = (_FILE.match(p.name) for p in self.root.iterdir())
        return sorted(f"sha256:{m.group(1)}" for m in found if m)
