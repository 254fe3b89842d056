"""Verifying an artifact zip and extracting it safely (used by :class:`~attini_sdk.artifacts.artifact.Artifact`).

Checks, in this order, each failing with an :class:`ArtifactError` that names the entry:

1. every entry name is safe: relative, ``/``-separated, no ``..``/``.``/empty parts, no backslash or
   control characters, no directories, no symlinks or other non-regular files, no duplicates,
   no encryption, only stored or deflated data;
2. budgets: entry count, declared total size, compression ratio of large entries (zip bombs);
3. the manifest parses, and the entries are exactly the manifest's files plus ``attini_data/``;
4. the entries are in canonical order and every header byte is what attini writes;
5. every file's size and sha256 match the manifest (CRC-32 too), and the plan's digest matches.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import struct
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from attini_sdk.artifacts import archive
from attini_sdk.artifacts.manifest import MANIFEST_PATH, PLAN_PATH, SIGNATURE_PATH, Manifest
from attini_sdk.config import limits as budgets
from attini_sdk.errors import ArtifactError

if TYPE_CHECKING:
    from attini_sdk.artifacts.artifact import Artifact, Limits

__all__ = ["verify_zip", "extract_zip"]

_CHUNK = 1 << 20
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_HINT = "do not use this artifact; package the distribution again"


def _err(what: str, where: str, hint: str = _HINT) -> ArtifactError:
    return ArtifactError(what, where=where, hint=hint)


def check_name(name: str, where: str) -> None:
    """Refuse entry names that could escape the target folder or mean something else on another OS."""
    what = None
    if not name or name.startswith("/") or _DRIVE.match(name):
        what = "has an absolute path"
    elif name.endswith("/"):
        what = "is a directory entry (attini artifacts have none)"
    elif _BAD_CHARS.search(name):
        what = "has a backslash or control character in its name"
    elif any(part in ("", ".", "..") for part in name.split("/")):
        what = "has a '..', '.' or empty path component"
    if what:
        raise _err(f"entry '{name}' {what}; refusing to use it", where)
    try:
        budgets.check_entry_name(name)
    except budgets.LimitExceeded as err:
        raise _err(f"entry '{_short(name)}': {err}; no file system would take it", where) from None


def _short(name: str) -> str:
    return name if len(name) <= 120 else f"{name[:60]}...{name[-40:]} ({len(name)} characters)"


_INLINE_BYTES = 1 << 20
"""Archives whose members hold at most this many compressed bytes are checked on the calling thread."""


def verify_zip(path: Path, limits: Limits) -> tuple[Manifest, dict | None]:
    """Verify the zip at ``path`` completely; return its manifest and signature document (or None)."""
    where = str(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            _check_declared_count(fh, size, limits, where)
        with open(path, "rb") as fh, zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            _check_entries(infos, limits, where)
            manifest, manifest_bytes = _read_manifest(zf, infos, limits, where)
            _check_membership(infos, manifest, where)
            offsets = _check_layout(fh, infos, size, where)
            signature, signature_bytes = _read_signature(zf, infos, where)
            read = {MANIFEST_PATH: manifest_bytes, SIGNATURE_PATH: signature_bytes}
            _check_contents(fh, infos, offsets, manifest, read, where)
    except ArtifactError:
        raise
    except FileNotFoundError:
        raise _err("file not found", where, "check the path") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError,
            OSError, UnicodeDecodeError, zlib.error) as err:
        raise _err(f"not a valid zip archive ({err})", where) from None
    return manifest, signature


def _check_declared_count(fh, size: int, limits: Limits, where: str) -> None:
    """Refuse a zip whose end record declares more entries than the budget, before its central
    directory is read (reading 150,000 records costs seconds and hundreds of MiB)."""
    if size < 22:
        return
    fh.seek(size - 22)
    end = fh.read(22)
    if end[:4] != b"PK\x05\x06":
        return  # not the end record where attini puts it: zipfile finds (and judges) it
    count = struct.unpack("<H", end[10:12])[0]
    if count == 0xFFFF and size >= 22 + 20 + 56:
        fh.seek(size - 22 - 20)
        locator = fh.read(20)
        if locator[:4] == b"PK\x06\x07":
            (offset,) = struct.unpack("<Q", locator[8:16])
            if offset <= size - 56:
                fh.seek(offset)
                record = fh.read(56)
                if record[:4] == b"PK\x06\x06":
                    count = struct.unpack("<Q", record[32:40])[0]
    if count > limits.max_entries:
        raise _err(f"{count} entries exceed the budget of {limits.max_entries}", where)


def _check_entries(infos: list[zipfile.ZipInfo], limits: Limits, where: str) -> None:
    if len(infos) > limits.max_entries:
        raise _err(f"{len(infos)} entries exceed the budget of {limits.max_entries}", where)
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        check_name(name, where)
        if name in seen:
            raise _err(f"entry '{name}' appears more than once", where)
        seen.add(name)
        kind = info.external_attr >> 16
        if stat.S_ISLNK(kind):
            raise _err(f"entry '{name}' is a symbolic link; refusing to use it", where)
        if stat.S_IFMT(kind) and not stat.S_ISREG(kind):
            raise _err(f"entry '{name}' is not a regular file", where)
        if info.flag_bits & 0x1:
            raise _err(f"entry '{name}' is encrypted", where)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _err(f"entry '{name}' uses compression method {info.compress_type}", where)
        total += info.file_size
        if total > limits.max_total_size:
            raise _err(f"entry '{name}' takes the uncompressed size over the budget of "
                       f"{limits.max_total_size} bytes (possible zip bomb)", where)
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise _err(f"entry '{name}' expands {info.file_size // max(info.compress_size, 1)}:1, over the "
                       f"limit of {limits.max_ratio}:1 (possible zip bomb)", where)
    _check_file_folder_clash(seen, where)


def _check_file_folder_clash(names: set[str], where: str) -> None:
    """Refuse ``a`` next to ``a/b``: one path cannot be both a file and a folder."""
    for name in sorted(names):
        parts = name.split("/")
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            if folder in names:
                raise _err(f"entry '{folder}' is a file, and entry '{_short(name)}' needs it to be a folder; "
                           "refusing to use it", where)


def _read_manifest(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: Limits,
                   where: str) -> tuple[Manifest, bytes]:
    info = next((i for i in infos if i.filename == MANIFEST_PATH), None)
    if info is None:
        raise _err(f"entry '{MANIFEST_PATH}' is missing; this is not an attini artifact", where,
                   "package the distribution with attini")
    if info.file_size > limits.max_manifest_size:
        raise _err(f"entry '{MANIFEST_PATH}' is {info.file_size} bytes, over {limits.max_manifest_size}", where)
    data = _read_entry(zf, info, where)
    return Manifest.from_bytes(data, where=f"{where}: {MANIFEST_PATH}"), data


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    try:
        return zf.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as err:
        raise _err(f"entry '{info.filename}' is damaged ({err})", where) from None


def _trailer_names(manifest: Manifest, signed: bool) -> list[str]:
    return ([PLAN_PATH] if manifest.plan is not None else []) + [MANIFEST_PATH] + ([SIGNATURE_PATH] if signed else [])


def _check_membership(infos: list[zipfile.ZipInfo], manifest: Manifest, where: str) -> None:
    names = [i.filename for i in infos]
    expected = {f.path for f in manifest.files} | set(_trailer_names(manifest, SIGNATURE_PATH in names))
    for name in names:
        if name not in expected:
            raise _err(f"entry '{name}' is not listed in the manifest", where)
    present = set(names)
    for name in sorted(expected):
        if name not in present:
            raise _err(f"entry '{name}' listed in the manifest is missing", where)


def _check_layout(fh, infos: list[zipfile.ZipInfo], size: int, where: str) -> list[int]:
    names = [i.filename for i in infos]
    n_files = len(names) - len([n for n in names if n in (PLAN_PATH, MANIFEST_PATH, SIGNATURE_PATH)])
    expected_order = sorted(names[:n_files]) + [n for n in (PLAN_PATH, MANIFEST_PATH, SIGNATURE_PATH) if n in names]
    if names != expected_order:
        bad = next(a for a, b in zip(names, expected_order) if a != b)
        raise _err(f"entry '{bad}' is out of order (attini writes files sorted, then attini_data/)", where)
    members = []
    for info in infos:
        mode = (info.external_attr >> 16) & 0o7777
        if mode not in (0o644, 0o755):
            raise _err(f"entry '{info.filename}' has mode {oct(mode)}; attini writes 0644 or 0755", where)
        members.append(archive.Member(info.filename, mode, info.compress_type, info.CRC, info.file_size,
                                      info.compress_size))
    pieces, offsets, total = archive.layout(members)
    if total != size:
        raise _err(f"the file is {size} bytes, its entries account for {total}", where)
    for offset, expected, label in pieces:
        fh.seek(offset)
        actual = fh.read(len(expected))
        if actual != expected:
            pos = offset + next((i for i, (a, b) in enumerate(zip(actual, expected)) if a != b), len(actual))
            raise _err(f"entry '{label}': header byte at offset {pos} differs from what attini writes", where)
    return offsets


def _check_contents(fh, infos: list[zipfile.ZipInfo], offsets: list[int], manifest: Manifest,
                    read: dict[str, bytes | None], where: str) -> None:
    # Inflate the raw member data ourselves rather than through zipfile: zipfile stops once it has
    # the declared size, so it never looks at the end of a deflate stream; here the stream must end
    # exactly where the member ends, and output beyond the declared size stops the check at once.
    by_name = {info.filename: (info, offset) for info, offset in zip(infos, offsets)}
    jobs = [(*by_name[f.path], f.size, f.sha256) for f in manifest.files]
    if manifest.plan is not None:
        plan, offset = by_name[PLAN_PATH]
        jobs.append((plan, offset, plan.file_size, manifest.plan.removeprefix("sha256:")))
    for name, data in read.items():  # already parsed; inflate them strictly too
        if data is not None:
            jobs.append((*by_name[name], len(data), hashlib.sha256(data).hexdigest()))
    for info, _, size, _ in jobs:
        if info.file_size != size:
            raise _err(f"entry '{info.filename}' is {info.file_size} bytes, the manifest says {size}", where)
    fd = fh.fileno()
    if sum(info.compress_size for info, *_ in jobs) <= _INLINE_BYTES:  # a few small files: threads cost more
        problems = (_check_one(fd, *job) for job in jobs)
        for problem in problems:
            if problem:
                raise _err(problem, where)
        return
    from concurrent.futures import ThreadPoolExecutor

    workers = min(os.cpu_count() or 2, 8)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for problem in pool.map(lambda job: _check_one(fd, *job), jobs):
            if problem:
                raise _err(problem, where)


def inflate(fd: int, info: zipfile.ZipInfo, offset: int, limit: int):
    """Yield the uncompressed bytes of a member whose data starts at ``offset``; raises ValueError if
    the data is damaged, does not end where the member ends, or inflates beyond ``limit`` bytes."""
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    pos, end, count = offset, offset + info.compress_size, 0
    while pos < end:
        chunk = os.pread(fd, min(_CHUNK, end - pos), pos)
        if not chunk:
            raise ValueError("the file is truncated")
        pos += len(chunk)
        if inflater is None:
            yield chunk
            continue
        while chunk:
            out = inflater.decompress(chunk, limit - count + 1)
            count += len(out)
            if count > limit:
                raise ValueError(f"it inflates beyond its declared {limit} bytes (possible zip bomb)")
            yield out
            chunk = inflater.unconsumed_tail
    if inflater is not None and (not inflater.eof or inflater.unused_data):
        raise ValueError("its deflate stream does not end where the entry ends")


def _check_one(fd: int, info: zipfile.ZipInfo, offset: int, size: int, sha256: str) -> str | None:
    sha, crc, count = hashlib.sha256(), 0, 0
    try:
        for chunk in inflate(fd, info, offset, size):
            sha.update(chunk)
            crc = zlib.crc32(chunk, crc)
            count += len(chunk)
    except (zlib.error, ValueError, OSError) as err:
        return f"entry '{info.filename}' is damaged: {err}"
    if count != size:
        return f"entry '{info.filename}' holds {count} bytes, the manifest says {size}"
    if sha.hexdigest() != sha256:
        return f"entry '{info.filename}' does not match its sha256 in the manifest (it was changed)"
    if crc != info.CRC:
        return f"entry '{info.filename}' does not match its CRC-32"
    return None


def _read_signature(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], where: str) -> tuple[dict | None, bytes | None]:
    info = next((i for i in infos if i.filename == SIGNATURE_PATH), None)
    if info is None:
        return None, None
    from attini_sdk.artifacts.signing import parse_document  # only for a signed artifact

    if info.file_size > 64 << 10:
        raise _err(f"entry '{SIGNATURE_PATH}' is too large", where)
    data = _read_entry(zf, info, where)
    return parse_document(data, where=f"{where}: {SIGNATURE_PATH}"), data


# --- extraction -------------------------------------------------------------------------------


def extract_zip(artifact: Artifact, target: Path, limits: Limits, *, private: bool = False) -> Path:
    """Write every entry of ``artifact`` under ``target``; see :meth:`Artifact.extract`."""
    where = str(artifact.path)
    if target.is_symlink() and not target.exists():
        raise _err(f"'{target}' is a symbolic link to '{os.readlink(target)}', which does not exist", where,
                   "extract into a new or empty folder (not through a link)")
    created = not target.exists()
    if not created and (not target.is_dir() or any(target.iterdir())):
        raise _err(f"'{target}' exists and is not an empty folder", where, "extract into a new or empty folder")
    expected = {f.path: f for f in artifact.manifest.files}
    try:
        target.mkdir(parents=True, exist_ok=True)
        root = target.resolve()
        with zipfile.ZipFile(artifact.path) as zf:
            infos = zf.infolist()
            _check_entries(infos, limits, where)
            made = {str(root)}
            for info in infos:
                entry = expected.get(info.filename)
                if entry is None and info.filename not in (PLAN_PATH, MANIFEST_PATH, SIGNATURE_PATH):
                    raise _err(f"entry '{info.filename}' is not listed in the manifest", where)
                _extract_one(zf, info, root, entry, where, made, private)
    except OSError as err:
        _clean(target, created)
        raise _err(f"cannot write '{_short(err.filename or str(target))}': {err.strerror}", where,
                   "extract into another folder (shorter path, free space, write permission)") from None
    except BaseException:
        _clean(target, created)
        raise
    return target


def _clean(target: Path, created: bool) -> None:
    if created:
        shutil.rmtree(target, ignore_errors=True)
    elif target.is_dir():
        for child in target.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()


def _extract_one(zf: zipfile.ZipFile, info: zipfile.ZipInfo, root: Path, entry, where: str,
                 made: set[str], private: bool = False) -> None:
    # ``made`` holds the folders created (and checked) so far: each folder is resolved once, not once per file
    top = str(root)
    parts = info.filename.split("/")
    parent = os.path.join(top, *parts[:-1])
    dest = os.path.join(parent, parts[-1])
    if os.path.commonpath([top, dest]) != top:  # defence in depth; check_name already refused this
        raise _err(f"entry '{info.filename}' would be written outside the target folder", where)
    if parent not in made:
        os.makedirs(parent, exist_ok=True)
        real = os.path.realpath(parent)
        if real != parent or os.path.commonpath([top, real]) != top:
            raise _err(f"entry '{info.filename}' would be written through a link", where)
        made.add(parent)
    mode = 0o755 if entry is not None and entry.executable else 0o644
    if private:
        mode &= 0o700
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    sha, count = hashlib.sha256(), 0
    with os.fdopen(fd, "wb") as out, zf.open(info) as src:
        os.fchmod(fd, mode)
        while chunk := src.read(_CHUNK):
            count += len(chunk)
            if count > info.file_size:
                raise _err(f"entry '{info.filename}' is larger than it declares (possible zip bomb)", where)
            sha.update(chunk)
            out.write(chunk)
    if entry is not None and (count != entry.size or sha.hexdigest() != entry.sha256):
        raise _err(f"entry '{info.filename}' does not match its sha256 in the manifest (it was changed)", where)
