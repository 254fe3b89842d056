"""Forge artifacts that pass verification but carry hostile content.

An attacker who can write a zip can also write a manifest whose digests match: verification proves
that the zip is internally consistent, not that its content is sane. ``forge`` writes exactly what
attini's own writer would (sorted entries, fixed headers, canonical manifest), so everything past
:func:`~attini_sdk.artifacts.verify.verify_zip` sees the hostile content.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.zip"
    >>> _ = forge(out, {"a.txt": b"hi"})
    >>> import attini_sdk as at
    >>> at.Artifact.open(out).name
    'hostile'
"""

from __future__ import annotations

import hashlib
import json
import zlib
from pathlib import Path
from typing import Any

from attini_sdk.artifacts.archive import STORED, Member, ZipWriter
from attini_sdk.artifacts.manifest import MANIFEST_PATH, PLAN_PATH, canonical_json

PASS_PLAN = {"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "End": True}}}


def _member(name: str, data: bytes, mode: int = 0o644) -> tuple[Member, bytes]:
    return Member(name, mode, STORED, zlib.crc32(data), len(data), len(data)), data


def manifest_data(files: dict[str, bytes], plan_bytes: bytes | None, overrides: dict | None = None) -> dict:
    """The manifest attini would write for ``files`` and ``plan_bytes``, with ``overrides`` on top."""
    data = {
        "schemaVersion": 1,
        "distributionName": "hostile",
        "version": "1.0.0",
        "distributionTags": {},
        "dependencies": [],
        "config": {"distributionName": "hostile", "version": "1.0.0"},
        "plan": "sha256:" + hashlib.sha256(plan_bytes).hexdigest() if plan_bytes is not None else None,
        "files": [{"path": p, "size": len(b), "mode": "0644", "sha256": hashlib.sha256(b).hexdigest()}
                  for p, b in sorted(files.items())],
        "tool": {"name": "attini_sdk", "version": "0"},
    }
    data.update(overrides or {})
    return data


def forge(path: Path, files: dict[str, bytes], *, plan: Any = PASS_PLAN, plan_bytes: bytes | None = None,
          manifest_bytes: bytes | None = None, manifest: dict | None = None) -> Path:
    """Write a verifiable artifact at ``path``: ``files``, a plan (``plan_bytes`` as given, else
    ``plan`` as canonical JSON, None for none) and a manifest (``manifest_bytes`` as given, else the
    matching one with the keys of ``manifest`` over it)."""
    if plan_bytes is None and plan is not None:
        plan_bytes = canonical_json(plan)
    if manifest_bytes is None:
        manifest_bytes = json.dumps(manifest_data(files, plan_bytes, manifest), sort_keys=True,
                                    separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    with open(path, "wb") as fh:
        writer = ZipWriter(fh)
        for name in sorted(files):
            member, data = _member(name, files[name])
            writer.add(member, [data])
        if plan_bytes is not None:
            writer.add(*_wrap(_member(PLAN_PATH, plan_bytes)))
        writer.add(*_wrap(_member(MANIFEST_PATH, manifest_bytes)))
        writer.close()
    return path


def _wrap(pair: tuple[Member, bytes]) -> tuple[Member, list[bytes]]:
    return pair[0], [pair[1]]
