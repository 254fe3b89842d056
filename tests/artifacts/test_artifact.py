"""Artifacts: opening verifies everything; tampering and unsafe zips give ArtifactError naming the entry."""

from __future__ import annotations

import json
import stat
import zipfile
import zlib
from pathlib import Path

import pytest

import attini_sdk as at
from attini_sdk.artifacts import archive
from attini_sdk.errors import ArtifactError

from tests.trees import write_tree


@pytest.fixture
def artifact(project, tmp_path) -> at.Artifact:
    return at.Distribution.from_path(project).package(tmp_path / "out")


@pytest.fixture
def tiny(tmp_path) -> at.Artifact:
    write_tree(tmp_path / "tiny", {"a.txt": "alpha\n" * 20, "b/c.sh": "#!/bin/sh\necho c\n"}, executable=("b/c.sh",))
    plan = {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}
    return at.Distribution(name="tiny", version="1.0.0", source=tmp_path / "tiny", plan=plan).package(tmp_path / "o")


def rebuild(src: Path, dst: Path, *, drop=(), rename=None, add=None) -> Path:
    """Copy a zip entry by entry with Python's zipfile, dropping, renaming or adding entries."""
    rename = rename or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = zin.read(info)
            info.filename = rename.get(info.filename, info.filename)
            zout.writestr(info, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def evil_zip(path: Path, name: str, *, external_attr: int = 0o100644 << 16) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo(name)
        info.external_attr = external_attr
        zf.writestr(info, "evil")
        zf.writestr("attini_data/manifest.json", "{}")
    return path


def assert_refused(path: Path, entry: str, tmp_path: Path, match: str = "") -> ArtifactError:
    target = tmp_path / "extract" / "here"
    with pytest.raises(ArtifactError) as err:
        at.Artifact.open(path).extract(target)
    assert f"'{entry}'" in str(err.value)
    assert match in str(err.value)
    assert not target.exists()
    assert not list(tmp_path.rglob("evil*"))
    return err.value


def test_open_verifies_and_exposes_name_version_id_and_files(artifact):
    opened = at.Artifact.open(artifact.path)

    assert (opened.name, opened.version, opened.id) == ("network", "1.0.0", artifact.id)
    assert opened.manifest == artifact.manifest
    files = opened.files
    assert list(files.columns) == ["path", "size", "mode", "sha256", "compressed_size", "compression"]
    assert files.set_index("path").loc["scripts/deploy.sh", "mode"] == "0755"
    assert opened.config.init_deploy.parameters.for_environment("prod") == {"CidrBlock": "10.1.0.0/16"}
    assert opened.plan is None
    assert "network 1.0.0" in repr(opened)


def test_extract_writes_files_with_their_modes(artifact, tmp_path):
    target = artifact.extract(tmp_path / "x")

    assert (target / "network.yaml").read_text().startswith("AWSTemplateFormatVersion")
    assert stat.S_IMODE((target / "scripts/deploy.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((target / "network.yaml").stat().st_mode) == 0o644
    assert json.loads((target / "attini_data/manifest.json").read_text())["distributionName"] == "network"


def test_extract_refuses_a_folder_that_is_not_empty(artifact, tmp_path):
    write_tree(tmp_path / "busy", {"x": "1"})

    with pytest.raises(ArtifactError, match="not an empty folder"):
        artifact.extract(tmp_path / "busy")


def test_a_flipped_byte_in_a_file_names_that_file(artifact, tmp_path):
    with zipfile.ZipFile(artifact.path) as zf:
        info = zf.getinfo("data/blob.bin")
    data = bytearray(artifact.path.read_bytes())
    offset = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[offset] ^= 0xFF
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))

    assert_refused(damaged, "data/blob.bin", tmp_path)


def test_a_flipped_byte_anywhere_is_refused(tiny, tmp_path):
    original = tiny.path.read_bytes()
    damaged = tmp_path / "damaged.zip"
    for i in range(len(original)):
        data = bytearray(original)
        data[i] ^= 0xFF
        damaged.write_bytes(bytes(data))
        with pytest.raises(ArtifactError):
            at.Artifact.open(damaged)
    assert at.Artifact.open(tiny.path).id == tiny.id


def test_an_added_entry_is_refused(artifact, tmp_path):
    bad = rebuild(artifact.path, tmp_path / "added.zip", add={"evil.sh": "rm -rf /"})
    assert_refused(bad, "evil.sh", tmp_path, "not listed in the manifest")


def test_a_removed_entry_is_refused(artifact, tmp_path):
    bad = rebuild(artifact.path, tmp_path / "removed.zip", drop={"network.yaml"})
    assert_refused(bad, "network.yaml", tmp_path, "missing")


def test_a_renamed_entry_is_refused(artifact, tmp_path):
    bad = rebuild(artifact.path, tmp_path / "renamed.zip", rename={"network.yaml": "evil.yaml"})
    assert_refused(bad, "evil.yaml", tmp_path)


def test_a_rewritten_zip_with_the_same_content_is_refused_as_not_canonical(artifact, tmp_path):
    bad = rebuild(artifact.path, tmp_path / "rezipped.zip")
    with pytest.raises(ArtifactError, match="differs from what attini writes"):
        at.Artifact.open(bad)


@pytest.mark.parametrize("name, what", [
    ("../evil.txt", "'..'"),
    ("a/../../evil.txt", "'..'"),
    ("/tmp/evil.txt", "absolute path"),
    ("C:/evil.txt", "absolute path"),
    ("a\\..\\evil.txt", "backslash"),
    ("dir/", "directory entry"),
])
def test_unsafe_paths_are_refused(tmp_path, name, what):
    bad = evil_zip(tmp_path / "evil.zip", name)
    with pytest.raises(ArtifactError, match=what) as err:
        at.Artifact.open(bad).extract(tmp_path / "t")
    assert name in str(err.value)
    assert not list(tmp_path.parent.rglob("evil.txt"))


def test_a_symlink_entry_is_refused(tmp_path):
    bad = evil_zip(tmp_path / "link.zip", "evil-link", external_attr=(stat.S_IFLNK | 0o777) << 16)
    assert_refused(bad, "evil-link", tmp_path, "symbolic link")


def test_a_duplicate_entry_is_refused(artifact, tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        bad = rebuild(artifact.path, tmp_path / "dup.zip", add={"network.yaml": "evil"})
    assert_refused(bad, "network.yaml", tmp_path, "more than once")


def test_a_trusted_artifact_whose_file_was_swapped_still_extracts_nothing_unsafe(artifact, tmp_path):
    evil_zip(artifact.path, "../evil.txt")  # the file changed after package() returned

    with pytest.raises(ArtifactError, match="'../evil.txt'"):
        artifact.extract(tmp_path / "t")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "t").exists()


def zeros_deflated(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``size`` zero bytes and its CRC, built without deflating them all."""
    mib = bytes(1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(mib) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size >> 20):
        crc = zlib.crc32(mib, crc)
    return block * (size >> 20) + comp.flush(), crc


def test_a_one_gigabyte_zip_bomb_is_refused_before_it_is_inflated(artifact, tmp_path):
    stream, crc = zeros_deflated(1 << 30)
    bomb = tmp_path / "bomb.zip"
    with open(bomb, "wb") as fh:
        writer = archive.ZipWriter(fh)
        writer.add(archive.Member("evil.bin", 0o644, archive.DEFLATED, crc, 1 << 30, len(stream)), [stream])
        manifest = artifact.read_bytes("attini_data/manifest.json")
        writer.add(archive.Member("attini_data/manifest.json", 0o644, archive.STORED, zlib.crc32(manifest),
                                  len(manifest), len(manifest)), [manifest])
        writer.close()
    assert bomb.stat().st_size < 2 << 20

    err = assert_refused(bomb, "evil.bin", tmp_path, "zip bomb")
    assert "1024" in str(err) or "ratio" in str(err) or ":1" in str(err)


def test_a_bomb_lying_about_its_size_is_stopped_at_the_declared_size(artifact, tmp_path):
    stream, _ = zeros_deflated(64 << 20)
    original = artifact.manifest.files
    entry = next(f for f in original if f.path == "data/blob.bin")
    liar = tmp_path / "liar.zip"
    with zipfile.ZipFile(artifact.path) as zf, open(liar, "wb") as fh:
        writer = archive.ZipWriter(fh)
        for info in zf.infolist():
            if info.filename == "data/blob.bin":
                member = archive.Member(info.filename, 0o644, archive.DEFLATED, info.CRC, entry.size, len(stream))
                writer.add(member, [stream])
            else:
                data = zf.read(info)
                writer.add(archive.Member(info.filename, (info.external_attr >> 16) & 0o777, archive.STORED,
                                          zlib.crc32(data), len(data), len(data)), [data])
        writer.close()

    assert_refused(liar, "data/blob.bin", tmp_path)


def test_budgets_are_configurable(artifact):
    with pytest.raises(ArtifactError, match="budget"):
        at.Artifact.open(artifact.path, limits=at.Limits(max_total_size=1000))
    with pytest.raises(ArtifactError, match="entries exceed"):
        at.Artifact.open(artifact.path, limits=at.Limits(max_entries=3))


def test_not_a_zip_and_missing_file_are_clear_errors(tmp_path):
    (tmp_path / "junk.zip").write_text("hello")
    with pytest.raises(ArtifactError, match="not a valid zip"):
        at.Artifact.open(tmp_path / "junk.zip")
    with pytest.raises(ArtifactError, match="file not found"):
        at.Artifact.open(tmp_path / "missing.zip")
    with zipfile.ZipFile(tmp_path / "plain.zip", "w") as zf:
        zf.writestr("a.txt", "a")
    with pytest.raises(ArtifactError, match="not an attini artifact"):
        at.Artifact.open(tmp_path / "plain.zip")


def test_expected_id_guards_against_a_swapped_artifact(artifact):
    with pytest.raises(ArtifactError, match="expected sha256:0"):
        at.Artifact.open(artifact.path, expected_id="sha256:" + "0" * 64)


def test_diff_lists_added_removed_changed_files_config_and_plan(project, tmp_path):
    old = at.Distribution.from_path(project).package(tmp_path / "old")
    write_tree(project, {"new.txt": "new\n", "network.yaml": "changed\n",
                         "attini-config.yaml": (project / "attini-config.yaml").read_text().replace(
                             "10.1.0.0/16", "10.9.0.0/16") + "plan: plan.json\n",
                         "plan.json": '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}'})
    (project / "config/dev/vpc.json").unlink()
    new = at.Distribution.from_path(project, version="1.1.0").package(tmp_path / "new")

    changes = old.diff(new)

    rows = {(r.kind, r.name, r.change) for r in changes.itertuples()}
    assert ("file", "new.txt", "added") in rows
    assert ("file", "config/dev/vpc.json", "removed") in rows
    assert ("file", "network.yaml", "changed") in rows
    assert ("config", "version", "changed") in rows
    assert ("config", "initDeployConfig.parameters.prod.CidrBlock", "changed") in rows
    assert ("config", "plan", "added") in rows
    assert ("plan", "attini_data/plan.json", "added") in rows
    cidr = changes[changes.name == "initDeployConfig.parameters.prod.CidrBlock"].iloc[0]
    assert (cidr.old, cidr.new) == ('"10.1.0.0/16"', '"10.9.0.0/16"')
    assert old.diff(old).empty
