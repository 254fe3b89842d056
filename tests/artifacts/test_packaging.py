"""Packaging: deterministic zips, content ids, ignore rules, prePackage in a copy, the repackage cache."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

import attini_sdk as at
from attini_sdk.artifacts.manifest import canonical_json
from attini_sdk.artifacts.selection import PackagingWarning
from attini_sdk.errors import ConfigError, PackagingError, PlanError
from attini_sdk.plan.definition import canonical_json as plan_canonical_json

from tests.trees import write_tree


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def copy_differently(src: Path, dst: Path, *, reverse: bool, mtime: int, umask: int) -> Path:
    """Copy a tree file by file in a given order, with a umask and one mtime for every file."""
    old = os.umask(umask)
    try:
        files = sorted((p for p in src.rglob("*") if p.is_file()), reverse=reverse)
        for p in files:
            target = dst / p.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(p.read_bytes())
            if os.stat(p).st_mode & 0o111:
                os.chmod(target, 0o777 & ~umask)
            os.utime(target, ns=(mtime, mtime))
    finally:
        os.umask(old)
    return dst


def test_same_tree_in_two_copies_gives_byte_identical_zips_and_the_same_id(project, tmp_path):
    a = copy_differently(project, tmp_path / "a" / "network", reverse=False, mtime=1_000_000_000 * 10**9, umask=0o022)
    b = copy_differently(project, tmp_path / "b" / "network", reverse=True, mtime=1_700_000_000 * 10**9, umask=0o077)

    first = at.Distribution.from_path(a).package(tmp_path / "out-a")
    second = at.Distribution.from_path(b).package(tmp_path / "out-b")

    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.id == second.id
    assert first.id == "sha256:" + hashlib.sha256(first.read_bytes("attini_data/manifest.json")).hexdigest()


def test_changing_one_byte_of_one_file_changes_the_id(project, tmp_path):
    before = at.Distribution.from_path(project).package(tmp_path / "out")
    path = project / "data" / "blob.bin"
    data = bytearray(path.read_bytes())
    data[1000] ^= 0x01
    path.write_bytes(bytes(data))

    after = at.Distribution.from_path(project).package(tmp_path / "out")

    assert after.id != before.id
    changed = before.diff(after)
    assert changed[["kind", "name", "change"]].values.tolist() == [["file", "data/blob.bin", "changed"]]


def test_default_ignores_leave_out_dotfiles_node_modules_and_the_output(project):
    artifact = at.Distribution.from_path(project).package()

    assert artifact.path == project / "attini_dist" / "network.zip"
    assert list(artifact.files["path"]) == [
        "assets/logo.png", "attini-config.yaml", "config/dev/vpc.json", "data/blob.bin",
        "network.yaml", "scripts/deploy.sh"]
    again = at.Distribution.from_path(project).package()
    assert again.id == artifact.id  # the zip in attini_dist/ is not packaged into the next one


def test_attini_ignore_replaces_the_defaults(project):
    write_tree(project, {".attini-ignore": "# comments are fine\nconfig/\n*.png\n!keep.png\n", "keep.png": b"png"})

    paths = list(at.Distribution.from_path(project).package().files["path"])

    assert "config/dev/vpc.json" not in paths and "assets/logo.png" not in paths
    assert "keep.png" in paths
    assert ".env" in paths and "node_modules/left-pad/index.js" in paths  # defaults no longer apply
    assert not any(p.startswith("attini_dist/") for p in paths)  # the output folder never is


def test_manifest_records_name_version_files_modes_and_config(project):
    artifact = at.Distribution.from_path(project).package()
    manifest = json.loads(artifact.read_bytes("attini_data/manifest.json"))

    assert list(manifest) == sorted(manifest)
    assert manifest["schemaVersion"] == 1
    assert manifest["distributionName"] == "network" and manifest["version"] == "1.0.0"
    assert manifest["distributionTags"] == {"team": "platform"}
    assert manifest["plan"] is None
    assert manifest["tool"] == {"name": "attini_sdk", "version": at.__version__}
    modes = {f["path"]: f["mode"] for f in manifest["files"]}
    assert modes["scripts/deploy.sh"] == "0755" and modes["network.yaml"] == "0644"
    blob = next(f for f in manifest["files"] if f["path"] == "data/blob.bin")
    assert blob["sha256"] == hashlib.sha256((project / "data/blob.bin").read_bytes()).hexdigest()
    assert manifest["config"]["initDeployConfig"]["stackName"] == "${environment}-network"


def test_zip_entries_are_sorted_with_fixed_times_and_normalised_modes(project):
    artifact = at.Distribution.from_path(project).package()

    with zipfile.ZipFile(artifact.path) as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names[-1] == "attini_data/manifest.json"
    assert names[:-1] == sorted(names[:-1])
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644, 0o100755}
    assert not any(n.endswith("/") for n in names)
    by_name = {i.filename: i for i in infos}
    assert by_name["assets/logo.png"].compress_type == zipfile.ZIP_STORED  # already compressed: stored
    assert by_name["data/blob.bin"].compress_type == zipfile.ZIP_DEFLATED


def test_version_option_overrides_the_config_and_changes_the_id(project, tmp_path):
    one = at.Distribution.from_path(project).package(tmp_path / "1")
    two = at.Distribution.from_path(project, version="1.1.0").package(tmp_path / "2")

    assert two.version == "1.1.0" and two.id != one.id
    assert two.config.version == "1.1.0"


def test_prepackage_output_is_included_and_the_source_stays_untouched(project, tmp_path):
    config = (project / "attini-config.yaml").read_text() + (
        "package:\n  prePackage:\n    commands:\n"
        "      - echo generated > generated.txt\n"
        "      - echo \"$ATTINI_WORK_DIR\" > work-dir.txt\n"
        "      - sed -i s/deploy/DEPLOY/ scripts/deploy.sh\n"
        "      - attini configure set-dist-id --random\n"
        "      - attini configure set-init-deploy-parameter --key Extra --value 42 -e prod\n"
    )
    write_tree(project, {"attini-config.yaml": config})
    before = tree_digest(project)

    artifact = at.Distribution.from_path(project).package(tmp_path / "out")

    assert tree_digest(project) == before
    assert artifact.read_text("generated.txt") == "generated\n"
    work_dir = artifact.read_text("work-dir.txt").strip()
    assert work_dir != str(project) and not Path(work_dir).exists()  # the copy is gone afterwards
    assert "DEPLOY" in artifact.read_text("scripts/deploy.sh")
    assert artifact.config.init_deploy.parameters.for_environment("prod")["Extra"] == "42"


def test_failing_prepackage_command_names_the_phase_and_shows_output(project, tmp_path):
    config = (project / "attini-config.yaml").read_text() + (
        "package:\n  prePackage:\n    commands:\n      - echo about to fail\n      - 'false'\n      - echo never\n")
    write_tree(project, {"attini-config.yaml": config})

    with pytest.raises(PackagingError) as err:
        at.Distribution.from_path(project).package(tmp_path / "out")

    message = str(err.value)
    assert "prePackage" in message and "exit code 1" in message and "about to fail" in message
    assert "never" not in message
    assert not (tmp_path / "out" / "network.zip").exists()


def test_skip_commands_packages_without_running_them(project, tmp_path):
    config = (project / "attini-config.yaml").read_text() + "package:\n  prePackage:\n    commands: ['exit 3']\n"
    write_tree(project, {"attini-config.yaml": config})

    artifact = at.Distribution.from_path(project).package(tmp_path / "out", skip_commands=True)

    assert artifact.name == "network"


def test_postpackage_runs_after_the_zip_exists(project, tmp_path):
    marker = tmp_path / "post.txt"
    config = (project / "attini-config.yaml").read_text() + (
        f"package:\n  postPackage:\n    commands:\n      - test -f \"$ATTINI_DIST_FILE\"\n"
        f"      - echo \"$ATTINI_DISTRIBUTION_ID\" > {marker}\n")
    write_tree(project, {"attini-config.yaml": config})

    artifact = at.Distribution.from_path(project).package(tmp_path / "out")

    assert marker.read_text().strip() == artifact.id


def test_repackaging_an_unchanged_tree_reuses_the_cache_and_gives_identical_bytes(
        project, tmp_path, attini_home, monkeypatch):
    from attini_sdk.artifacts import zip_build

    compressed = []
    real_prepare = zip_build._prepare
    monkeypatch.setattr(zip_build, "_prepare", lambda f, d: compressed.append(f.path) or real_prepare(f, d))
    dist = at.Distribution.from_path(project)
    first = dist.package(tmp_path / "out")
    first_bytes = first.path.read_bytes()
    assert list((attini_home / "cache" / "packaging").glob("*.json"))
    assert len(compressed) == 6

    second = dist.package(tmp_path / "out")
    second_bytes = second.path.read_bytes()
    assert len(compressed) == 6  # nothing read or compressed again
    (project / "network.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources: {X: 1}\n")
    third = dist.package(tmp_path / "out")
    assert compressed[6:] == ["network.yaml"]
    uncached = dist.package(tmp_path / "fresh", cache=False)

    assert second_bytes == first_bytes and second.id == first.id
    assert third.id != first.id
    assert uncached.path.read_bytes() == third.path.read_bytes()
    assert at.Artifact.open(third.path).id == third.id


def test_projects_with_prepackage_commands_reuse_the_cache_for_files_the_commands_left_alone(
        project, tmp_path, monkeypatch):
    from attini_sdk.artifacts import zip_build

    compressed = []
    real_prepare = zip_build._prepare
    monkeypatch.setattr(zip_build, "_prepare", lambda f, d: compressed.append(f.path) or real_prepare(f, d))
    config = (project / "attini-config.yaml").read_text() + (
        "package:\n  prePackage:\n    commands:\n"
        "      - attini configure set-dist-id --random\n"
        "      - date +%s%N > build-stamp.txt\n"
        "      - echo '# edited' >> network.yaml\n")
    write_tree(project, {"attini-config.yaml": config})
    dist = at.Distribution.from_path(project)

    first_stamp = dist.package(tmp_path / "out").read_text("build-stamp.txt")
    compressed.clear()
    second = dist.package(tmp_path / "out")

    assert sorted(compressed) == ["build-stamp.txt", "network.yaml"]
    assert second.read_text("network.yaml").endswith("# edited\n")
    assert second.read_text("build-stamp.txt") != first_stamp
    assert at.Artifact.open(second.path).id == second.id


def test_a_damaged_cache_only_costs_time(project, tmp_path, attini_home):
    dist = at.Distribution.from_path(project)
    first = dist.package(tmp_path / "out")
    for f in (attini_home / "cache" / "packaging").glob("*.json"):
        f.write_text("{not json")

    assert dist.package(tmp_path / "out").path.read_bytes() == first.path.read_bytes()


def test_distribution_built_in_python_with_a_plan(tmp_path):
    write_tree(tmp_path / "src", {"template.yaml": "Resources: {}\n"})
    plan = {"StartAt": "Deploy", "States": {"Deploy": {"Type": "Pass", "End": True}}}

    artifact = at.Distribution(name="app", version="2.0.0", source=tmp_path / "src", plan=plan,
                               dependencies=["network >=1.0.0", ("database", "^1.2")],
                               tags={"owner": "me"}).package(tmp_path / "out")

    assert artifact.plan == plan
    assert artifact.manifest.plan == "sha256:" + hashlib.sha256(
        json.dumps(plan, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert [dict(d) for d in artifact.manifest.dependencies] == [
        {"distributionName": "network", "version": ">=1.0.0"}, {"distributionName": "database", "version": "^1.2"}]
    with zipfile.ZipFile(artifact.path) as zf:
        assert zf.namelist()[-2:] == ["attini_data/plan.json", "attini_data/manifest.json"]


def test_plan_file_named_in_the_config_is_packaged_as_canonical_json(project, tmp_path):
    write_tree(project, {
        "attini-config.yaml": (project / "attini-config.yaml").read_text() + "plan: plan.yaml\n",
        "plan.yaml": "StartAt: A\nStates:\n  A: {Type: Succeed}\n"})

    artifact = at.Distribution.from_path(project).package(tmp_path / "out")

    assert artifact.read_bytes("attini_data/plan.json") == b'{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}'


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text()
                    | st.floats(allow_nan=False, allow_infinity=False),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20)


@given(JSON)
def test_plans_and_manifests_write_the_same_canonical_json(value):
    # plan/ keeps its own copy (plans come before artifacts); the plan digest in the manifest relies on them agreeing
    assert plan_canonical_json(value).encode("utf-8") == canonical_json(value)


@pytest.mark.parametrize("plan_line, files, message", [
    ("plan: missing.yaml\n", {}, "does not exist"),
    ("plan: plan.txt\n", {"plan.txt": "x\n"}, "is not a .py, .json, .yaml or .yml file"),
    ("plan: plan.py\n", {"plan.py": "x = 1\n"}, "defines no 'plan'"),
    ("plan: plan.yaml\n", {"plan.yaml": "- a\n- b\n"}, "must be a mapping"),
    ("plan: plan.json\n", {"plan.json": "{bad json"}, "invalid JSON"),
])
def test_bad_plan_files_are_plan_errors(project, tmp_path, plan_line, files, message):
    write_tree(project, {"attini-config.yaml": (project / "attini-config.yaml").read_text() + plan_line, **files})

    with pytest.raises(PlanError, match=message):
        at.Distribution.from_path(project).package(tmp_path / "out")


def test_symlinks_are_skipped_with_a_warning(project, tmp_path):
    os.symlink(project / "network.yaml", project / "link.yaml")

    with pytest.warns(PackagingWarning, match="link.yaml"):
        artifact = at.Distribution.from_path(project).package(tmp_path / "out")

    assert "link.yaml" not in set(artifact.files["path"])


def test_a_project_file_under_attini_data_is_refused(project, tmp_path):
    write_tree(project, {"attini_data/manifest.json": "{}"})

    with pytest.raises(PackagingError, match="reserved"):
        at.Distribution.from_path(project).package(tmp_path / "out")


def test_bad_python_arguments_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="not a semantic version"):
        at.Distribution(name="d", version="1.x", source=tmp_path)
    with pytest.raises(ConfigError, match="not a valid distribution name"):
        at.Distribution(name="9lives", version="1.0.0", source=tmp_path)
    with pytest.raises(ConfigError, match="cannot read dependency"):
        at.Distribution(name="d", version="1.0.0", dependencies=[42])


def test_packaging_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(PackagingError, match="is not a folder"):
        at.Distribution(name="d", version="1.0.0", source=tmp_path / "nope").package(tmp_path / "out")


def test_large_files_stream_through_and_verify(tmp_path):
    big = os.urandom(3 << 20) + b"a" * (3 << 20)
    write_tree(tmp_path / "src", {"big.bin": big, "big.gz": os.urandom(2 << 20)})

    artifact = at.Distribution(name="big", version="1.0.0", source=tmp_path / "src").package(tmp_path / "out")

    opened = at.Artifact.open(artifact.path)
    assert opened.read_bytes("big.bin") == big
    assert opened.files.set_index("path").loc["big.gz", "compression"] == "store"


def test_empty_folder_packages_to_an_artifact_with_only_a_manifest(tmp_path):
    (tmp_path / "empty").mkdir()

    artifact = at.Distribution(name="empty", version="0.0.1", source=tmp_path / "empty").package(tmp_path / "out")

    assert artifact.manifest.files == ()
    assert at.Artifact.open(artifact.path).id == artifact.id
