"""Writing deterministic zip files from members whose data is already compressed.

Python's :mod:`zipfile` compresses while it writes, one member at a time. Packaging compresses
members in parallel threads (and reuses members of an earlier artifact), so it needs a writer that
takes each member's CRC, sizes and deflated bytes as given. This module writes the zip format
(PKWARE APPNOTE 6.3) for exactly that, with nothing that depends on time or the machine:
fixed timestamps (1980-01-01 00:00), Unix permissions 0644/0755 only, no uid/gid extra fields,
no directory entries, UTF-8 names. Zip64 records are added only when sizes or counts need them.

    >>> import io, zlib, zipfile
    >>> buf = io.BytesIO()
    >>> w = ZipWriter(buf)
    >>> data = b"hello"
    >>> w.add(Member("a.txt", 0o644, STORED, zlib.crc32(data), len(data), len(data)), [data])
    35
    >>> w.close()
    >>> zipfile.ZipFile(buf).read("a.txt")
    b'hello'
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import BinaryIO

import attrs

__all__ = ["STORED", "DEFLATED", "Member", "ZipWriter", "layout", "FIXED_DATE", "FIXED_TIME"]

STORED = 0
DEFLATED = 8
FIXED_TIME = 0  # 00:00:00
FIXED_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the earliest DOS date
_UTF8_FLAG = 0x0800
_UNIX = 3
_LIMIT32 = 0xFFFFFFFF
_LIMIT16 = 0xFFFF
_S_IFREG = 0o100000


@attrs.frozen
class Member:
    """One file in the zip: its name, permissions and how its (already prepared) data is stored."""

    name: str
    mode: int
    method: int
    crc32: int
    size: int
    compressed_size: int


def local_header(member: Member) -> bytes:
    """The local file header our writer puts before ``member``'s data."""
    name = member.name.encode("utf-8")
    big = member.size >= _LIMIT32 or member.compressed_size >= _LIMIT32
    extra = struct.pack("<HHQQ", 1, 16, member.size, member.compressed_size) if big else b""
    return struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 45 if big else 20, _UTF8_FLAG, member.method, FIXED_TIME, FIXED_DATE,
        member.crc32, _LIMIT32 if big else member.compressed_size, _LIMIT32 if big else member.size,
        len(name), len(extra),
    ) + name + extra


def central_record(member: Member, header_offset: int) -> bytes:
    """The central directory record of ``member`` whose local header is at ``header_offset``."""
    name = member.name.encode("utf-8")
    fields, values = "", []
    for value in (member.size, member.compressed_size, header_offset):
        if value >= _LIMIT32:
            fields += "Q"
            values.append(value)
    extra = struct.pack(f"<HH{fields}", 1, 8 * len(values), *values) if values else b""
    version = 45 if values else 20
    return struct.pack(
        "<IHHHHHHIIIHHHHHII", 0x02014B50, (_UNIX << 8) | version, version, _UTF8_FLAG, member.method,
        FIXED_TIME, FIXED_DATE, member.crc32, min(member.compressed_size, _LIMIT32),
        min(member.size, _LIMIT32), len(name), len(extra), 0, 0, 0,
        (_S_IFREG | member.mode) << 16, min(header_offset, _LIMIT32),
    ) + name + extra


def end_records(count: int, start: int, size: int) -> bytes:
    """The end of central directory record(s) for ``count`` members whose directory is at ``start``."""
    out = b""
    if count >= _LIMIT16 or size >= _LIMIT32 or start >= _LIMIT32:
        zip64_end = start + size
        out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, (_UNIX << 8) | 45, 45, 0, 0, count, count, size, start)
        out += struct.pack("<IIQI", 0x07064B50, 0, zip64_end, 1)
    return out + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, _LIMIT16), min(count, _LIMIT16),
                             min(size, _LIMIT32), min(start, _LIMIT32), 0)


def layout(members: list[Member]) -> tuple[list[tuple[int, bytes, str]], list[int], int]:
    """Where our writer would put each header for ``members`` in this order.

    Returns ``(pieces, data_offsets, total_size)``: every ``(offset, header_bytes, label)`` piece of
    the file (each local header and central record labelled with its member's name, then the end
    records), the offset of each member's data, and the size of the whole zip. Reading verifies a
    zip against this, so that a changed byte anywhere in the file is noticed.
    """
    pieces, data_offsets, offset = [], [], 0
    for member in members:
        header = local_header(member)
        pieces.append((offset, header, member.name))
        data_offsets.append(offset + len(header))
        offset += len(header) + member.compressed_size
    start = offset
    for member, (header_offset, _, _) in zip(members, list(pieces)):
        record = central_record(member, header_offset)
        pieces.append((offset, record, member.name))
        offset += len(record)
    end = end_records(len(members), start, offset - start)
    pieces.append((offset, end, "end of central directory"))
    return pieces, data_offsets, offset + len(end)


class ZipWriter:
    """Append members to a binary stream and finish it with the central directory.

    The stream must be positioned at 0 and be written only through this writer.
    """

    def __init__(self, stream: BinaryIO):
        self._out = stream
        self._offset = 0
        self._central: list[bytes] = []

    @property
    def offset(self) -> int:
        """Bytes written so far; the next member's local header starts here."""
        return self._offset

    def add(self, member: Member, chunks: Iterable[bytes]) -> int:
        """Write ``member``'s local header, then its data. Returns where its data begins.

        ``chunks`` must yield exactly ``member.compressed_size`` bytes.
        """
        header_offset = self._offset
        self._write(local_header(member))
        data_offset = self._offset
        for chunk in chunks:
            self._write(chunk)
        written = self._offset - data_offset
        if written != member.compressed_size:
            raise ValueError(f"{member.name}: wrote {written} bytes, expected {member.compressed_size}")
        self._central.append(central_record(member, header_offset))
        return data_offset

    def close(self) -> None:
        """Write the central directory and the end records. The stream is not closed."""
        start = self._offset
        directory = b"".join(self._central)
        self._write(directory + end_records(len(self._central), start, len(directory)))

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._offset += len(data)
