"""Building the artifact zip fast: hash and deflate in parallel, reuse what did not change.

Each file is read once, in chunks, by a worker thread that computes its sha256 and CRC-32 and
deflates it (zlib and hashlib release the GIL, so two cores do twice the work). Files that are
already compressed (``.zip``, ``.gz``, ``.png``, ...) and files that deflate would not shrink are
stored. The main thread writes members in order as they become ready, so memory stays bounded:
small files are held in memory, large ones go through a temporary file.

The **repackage cache** (``$ATTINI_HOME/cache/packaging/``) remembers, per source folder, each
file's ``(size, mtime, inode)``, digests, and where its compressed bytes sit in the artifact built
last time. When that artifact is still there, unchanged files are copied from it byte for byte
instead of being read and compressed again.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import attrs

from attini_sdk.artifacts.archive import DEFLATED, STORED, Member, ZipWriter
from attini_sdk.artifacts.manifest import FileEntry
from attini_sdk.artifacts.selection import SourceFile
from attini_sdk.errors import PackagingError
from attini_sdk.home import cache_dir, owner_only

__all__ = ["ALREADY_COMPRESSED", "BuildResult", "PackCache", "write_zip"]

LEVEL = 6
CHUNK = 1 << 20
SMALL = 1 << 20
ALREADY_COMPRESSED = frozenset(
    ".zip .gz .tgz .bz2 .tbz .xz .txz .zst .lz4 .lzma .br .7z .rar .jar .war .ear .whl .egg .nupkg .apk "
    ".png .jpg .jpeg .gif .webp .avif .heic .mp3 .mp4 .m4a .mov .avi .mkv .webm .ogg .woff .woff2 "
    ".docx .xlsx .pptx .odt .ods".split()
)
_CACHE_FORMAT = 1
SAMPLE = 16 << 10
INCOMPRESSIBLE = 0.97  # a sample that deflates to more than this fraction of its size: store the file


@attrs.frozen
class _Prepared:
    """A member ready to be written: metadata plus where its stored bytes come from."""

    source: SourceFile
    method: int
    crc32: int
    size: int
    compressed_size: int
    sha256: str
    data: bytes | None = None  # small members, in memory
    spool: object | None = None  # large deflated members, in a temporary file
    reuse: tuple[int, int] | None = None  # (offset, length) in the previous artifact


@attrs.frozen
class BuildResult:
    """What :func:`write_zip` wrote: the project files' entries and the trailing members' bytes."""

    entries: tuple[FileEntry, ...]
    reused: int
    compressed: int


def _already_compressed(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in ALREADY_COMPRESSED


def _worth_deflating(head: bytes) -> bool:
    # Deflating random or already-compressed data costs as much CPU as text and gains nothing.
    # Files larger than two samples are stored when their first 16 KiB does not deflate; the
    # decision depends on content only, so the zip stays deterministic.
    if len(head) < SAMPLE:
        return True
    return len(zlib.compress(head[:SAMPLE], 1, -15)) < INCOMPRESSIBLE * SAMPLE


def _prepare(f: SourceFile, tmp_dir: str) -> _Prepared:
    deflate = not _already_compressed(f.path)
    try:
        with open(f.abspath, "rb") as fh:
            if f.size <= SMALL:
                return _prepare_small(f, fh.read(), deflate)
            return _prepare_large(f, fh, deflate, tmp_dir)
    except OSError as err:
        raise PackagingError(f"cannot read '{f.path}': {err.strerror}", where=f.abspath,
                             hint="fix its permissions or add it to .attini-ignore") from None


def _prepare_small(f: SourceFile, data: bytes, deflate: bool) -> _Prepared:
    sha, crc = hashlib.sha256(data).hexdigest(), zlib.crc32(data)
    if deflate and len(data) > 2 * SAMPLE:
        deflate = _worth_deflating(data)
    if deflate and data:
        packed = zlib.compress(data, LEVEL, -15)
        if len(packed) < len(data):
            return _Prepared(f, DEFLATED, crc, len(data), len(packed), sha, data=packed)
    return _Prepared(f, STORED, crc, len(data), len(data), sha, data=data)


def _prepare_large(f: SourceFile, fh, deflate: bool, tmp_dir: str) -> _Prepared:
    sha, crc, size, csize = hashlib.sha256(), 0, 0, 0
    first = fh.read(CHUNK)
    deflate = deflate and _worth_deflating(first)
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15) if deflate else None
    spool = tempfile.TemporaryFile(dir=tmp_dir) if deflate else None
    try:
        chunk = first
        while chunk:
            sha.update(chunk)
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            if compressor is not None:
                out = compressor.compress(chunk)
                spool.write(out)
                csize += len(out)
            chunk = fh.read(CHUNK)
        if compressor is not None:
            out = compressor.flush()
            spool.write(out)
            csize += len(out)
        if spool is not None and csize < size:
            spool.seek(0)
            return _Prepared(f, DEFLATED, crc, size, csize, sha.hexdigest(), spool=spool)
    except BaseException:
        if spool is not None:
            spool.close()
        raise
    if spool is not None:
        spool.close()
    return _Prepared(f, STORED, crc, size, size, sha.hexdigest())


class PackCache:
    """The repackage cache of one source folder (see the module docs).

    >>> cache = PackCache("/tmp/some-distribution")
    >>> cache.lookup(SourceFile("a.txt", "/tmp/some-distribution/a.txt", 1, 2, 3, "0644")) is None
    True
    """

    def __init__(self, source: str | os.PathLike):
        key = hashlib.sha256(os.path.realpath(source).encode("utf-8", "surrogateescape")).hexdigest()[:40]
        self.file = cache_dir("packaging") / f"{key}.json"
        self._files: dict[str, list] = {}
        self._artifact_fd: int | None = None
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
            if data.get("format") != _CACHE_FORMAT or data.get("zlib") != zlib.ZLIB_RUNTIME_VERSION:
                return
            art = data["artifact"]
            fd = os.open(art["path"], os.O_RDONLY)
            st = os.fstat(fd)
            if [st.st_size, st.st_mtime_ns, st.st_ino] != [art["size"], art["mtimeNs"], art["inode"]]:
                os.close(fd)
                return
            self._artifact_fd, self._files = fd, data["files"]
        except (OSError, ValueError, KeyError, TypeError):
            self._files = {}  # a missing or damaged cache only costs time

    def lookup(self, f: SourceFile) -> _Prepared | None:
        """The cached member for ``f`` if its size, mtime and inode are unchanged."""
        row = self._files.get(f.path)
        if row is None or f.inode < 0 or tuple(row[:3]) != f.key:
            return None
        _, _, _, sha, crc, method, csize, offset = row
        return _Prepared(f, method, crc, f.size, csize, sha, reuse=(offset, csize))

    def read(self, offset: int, length: int):
        """Yield the bytes of a reused member from the previous artifact."""
        end = offset + length
        while offset < end:
            chunk = os.pread(self._artifact_fd, min(CHUNK, end - offset), offset)
            if not chunk:
                raise PackagingError("the previous artifact was truncated while reading it",
                                     hint="package again; the cache will be rebuilt")
            offset += len(chunk)
            yield chunk

    def save(self, artifact: Path, rows: dict[str, list]) -> None:
        """Remember ``rows`` (path -> [size, mtime, inode, sha256, crc, method, csize, offset])."""
        st = artifact.stat()
        data = {"format": _CACHE_FORMAT, "zlib": zlib.ZLIB_RUNTIME_VERSION,
                "artifact": {"path": str(artifact.resolve()), "size": st.st_size,
                             "mtimeNs": st.st_mtime_ns, "inode": st.st_ino}, "files": rows}
        try:
            with owner_only():
                self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=self.file.name, suffix=".tmp", dir=self.file.parent)
            with open(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(data, separators=(",", ":")))
            os.replace(tmp, self.file)
        except OSError:
            pass  # the cache is an optimisation; failing to write it is not an error

    def close(self) -> None:
        if self._artifact_fd is not None:
            os.close(self._artifact_fd)
            self._artifact_fd = None


def write_zip(
    out_path: Path,
    files: list[SourceFile],
    trailer: Callable[[tuple[FileEntry, ...]], list[tuple[str, bytes]]],
    *,
    cache: PackCache | None = None,
    workers: int | None = None,
) -> BuildResult:
    """Write the artifact at ``out_path``: ``files`` in order, then the members ``trailer`` returns
    (called with every file's entry, to build the manifest). The file appears atomically."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 2
    fd, name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    tmp = Path(name)
    rows: dict[str, list] = {}
    try:
        os.fchmod(fd, 0o644)
        with open(fd, "wb", buffering=CHUNK) as raw, tempfile.TemporaryDirectory(prefix="attini-zip-") as spool_dir:
            writer = ZipWriter(raw)
            entries, reused = _write_files(writer, files, cache, workers, spool_dir, rows)
            for name, data in trailer(entries):
                _write_bytes(writer, name, data)
            writer.close()
        os.replace(tmp, out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if cache is not None:
            cache.close()
    if cache is not None:
        cache.save(out_path, rows)
    return BuildResult(entries=entries, reused=reused, compressed=len(files) - reused)


def _write_files(writer: ZipWriter, files: list[SourceFile], cache: PackCache | None, workers: int,
                 spool_dir: str, rows: dict[str, list]) -> tuple[tuple[FileEntry, ...], int]:
    entries: list[FileEntry] = []
    reused = 0
    window: collections.deque[Future | _Prepared] = collections.deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="attini-pack") as pool:
        try:
            for f in files:
                hit = cache.lookup(f) if cache is not None else None
                window.append(hit if hit is not None else pool.submit(_prepare, f, spool_dir))
                while len(window) > workers * 8:
                    reused += _write_member(writer, _ready(window.popleft()), cache, entries, rows)
            while window:
                reused += _write_member(writer, _ready(window.popleft()), cache, entries, rows)
        except BaseException:
            for item in window:
                if isinstance(item, Future):
                    item.cancel()
            raise
    return tuple(entries), reused


def _ready(item: Future | _Prepared) -> _Prepared:
    return item.result() if isinstance(item, Future) else item


def _write_member(writer: ZipWriter, p: _Prepared, cache: PackCache | None, entries: list, rows: dict) -> int:
    f = p.source
    member = Member(f.path, int(f.mode, 8), p.method, p.crc32, p.size, p.compressed_size)
    if p.reuse is not None:
        chunks = cache.read(*p.reuse)
    elif p.data is not None:
        chunks = (p.data,)
    elif p.spool is not None:
        chunks = _spooled(p.spool)
    else:
        chunks = _reread(f, p.crc32, p.size)
    offset = writer.add(member, chunks)
    entries.append(FileEntry(f.path, p.size, f.mode, p.sha256))
    if f.inode >= 0:  # a negative inode marks a file that must never be a cache hit
        rows[f.path] = [f.size, f.mtime_ns, f.inode, p.sha256, p.crc32, p.method, p.compressed_size, offset]
    return 1 if p.reuse is not None else 0


def _spooled(spool):
    try:
        while chunk := spool.read(CHUNK):
            yield chunk
    finally:
        spool.close()


def _reread(f: SourceFile, crc_expected: int, size_expected: int):
    # Large stored members are copied from the source a second time instead of being spooled;
    # the CRC proves the bytes are the ones that were hashed.
    crc, size = 0, 0
    with open(f.abspath, "rb") as fh:
        while chunk := fh.read(CHUNK):
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)
            if size > size_expected:
                break
            yield chunk
    if crc != crc_expected or size != size_expected:
        raise PackagingError(f"'{f.path}' changed while it was being packaged", where=f.abspath,
                             hint="stop whatever writes to it and package again")


def _write_bytes(writer: ZipWriter, name: str, data: bytes) -> None:
    crc = zlib.crc32(data)
    packed = zlib.compress(data, LEVEL, -15)
    if len(packed) < len(data):
        writer.add(Member(name, 0o644, DEFLATED, crc, len(data), len(packed)), (packed,))
    else:
        writer.add(Member(name, 0o644, STORED, crc, len(data), len(data)), (data,))
