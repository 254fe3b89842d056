"""The zip writer: readable by zipfile and Info-ZIP, Zip64 when counts or sizes need it."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
import zlib

import pytest

from attini_sdk.artifacts import archive


def write(members: list[tuple[archive.Member, bytes]]) -> bytes:
    buf = io.BytesIO()
    writer = archive.ZipWriter(buf)
    for member, data in members:
        writer.add(member, [data])
    writer.close()
    return buf.getvalue()


def stored(name: str, data: bytes, mode: int = 0o644) -> tuple[archive.Member, bytes]:
    return archive.Member(name, mode, archive.STORED, zlib.crc32(data), len(data), len(data)), data


def test_members_read_back_with_fixed_time_modes_and_utf8_names(tmp_path):
    text = "été ☃\n".encode() * 50
    packed = zlib.compress(text, 6, -15)
    blob = write([stored("run.sh", b"#!/bin/sh\n", 0o755),
                  (archive.Member("docs/été.txt", 0o644, archive.DEFLATED, zlib.crc32(text), len(text), len(packed)),
                   packed)])

    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        assert zf.testzip() is None
        assert zf.read("docs/été.txt") == text
        assert [(i.filename, i.date_time, i.external_attr >> 16) for i in zf.infolist()] == [
            ("run.sh", (1980, 1, 1, 0, 0, 0), 0o100755), ("docs/été.txt", (1980, 1, 1, 0, 0, 0), 0o100644)]
    pieces, offsets, total = archive.layout([m for m, _ in [stored("run.sh", b"#!/bin/sh\n", 0o755)]])
    assert total < len(blob) and offsets[0] == 30 + len("run.sh")
    if shutil.which("unzip"):
        (tmp_path / "a.zip").write_bytes(blob)
        assert subprocess.run(["unzip", "-tqq", str(tmp_path / "a.zip")]).returncode == 0


def test_more_than_65535_members_use_zip64_end_records():
    members = [stored(f"f{i:05d}", b"") for i in range(70_000)]

    blob = write(members)

    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        assert len(zf.infolist()) == 70_000
    assert archive.layout([m for m, _ in members])[2] == len(blob)
    assert b"PK\x06\x06" in blob[-200:]


def test_a_member_over_4_gib_gets_zip64_sizes():
    mib = bytes(1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(mib) + comp.flush(zlib.Z_FULL_FLUSH)
    stream = block * 4097 + comp.flush()
    huge = archive.Member("huge.bin", 0o644, archive.DEFLATED, 0, 4097 << 20, len(stream))

    blob = write([(huge, stream), stored("after.txt", b"after")])

    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        info = zf.getinfo("huge.bin")
        assert info.file_size == 4097 << 20 and info.compress_size == len(stream)
        assert zf.read("after.txt") == b"after"
    assert archive.layout([huge, stored("after.txt", b"after")[0]])[2] == len(blob)


def test_writing_fewer_bytes_than_declared_is_a_bug_caught_at_once():
    member = archive.Member("a", 0o644, archive.STORED, 0, 10, 10)
    with pytest.raises(ValueError, match="expected 10"):
        archive.ZipWriter(io.BytesIO()).add(member, [b"short"])
