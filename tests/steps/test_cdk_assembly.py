"""Reading a CDK cloud assembly: stacks, dependency order, asset manifests, what is not supported."""

from __future__ import annotations

import json

import pytest

from attini_sdk.errors import StepFailed
from attini_sdk.steps.cdk_assembly import read_assembly


def stack(deps=(), name=None, assets=None):
    body = {"type": "aws:cloudformation:stack", "dependencies": list(deps),
            "properties": {"templateFile": "t.json", **({"stackName": name} if name else {})}}
    return body


def write(folder, artifacts, assets=None):
    (folder / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    for name, data in (assets or {}).items():
        (folder / name).write_text(json.dumps(data))
    return read_assembly(folder)


def test_waves_put_every_stack_after_its_dependencies_and_independent_ones_together(tmp_path):
    assembly = write(tmp_path, {"Net": stack(), "Logs": stack(), "Db": stack(["Net"]), "Api": stack(["Db", "Logs"])})

    waves = [[s.artifact_id for s in wave] for wave in assembly.waves(list(assembly.stacks.values()))]

    assert waves == [["Net", "Logs"], ["Db"], ["Api"]]


def test_selecting_a_stack_brings_the_stacks_it_depends_on_by_name_or_glob(tmp_path):
    assembly = write(tmp_path, {"Net": stack(), "Db": stack(["Net"], name="dev-db"), "Api": stack(["Db"])})

    assert [s.stack_name for s in assembly.select(["dev-db"])] == ["Net", "dev-db"]
    assert [s.stack_name for s in assembly.select(["A*"])] == ["Net", "dev-db", "Api"]


def test_an_unknown_stack_name_lists_the_apps_stacks(tmp_path):
    assembly = write(tmp_path, {"Net": stack(), "Db": stack(["Net"])})

    with pytest.raises(StepFailed) as failed:
        assembly.select(["Web"], step="Infra")

    assert failed.value.error == "Cdk.ConfigError" and "Db, Net" in failed.value.hint


def test_file_assets_come_from_the_asset_manifest_without_the_template_itself(tmp_path):
    files = {"files": {
        "abc": {"source": {"path": "asset.abc", "packaging": "zip"},
                "destinations": {"d": {"bucketName": "cdk-assets-${AWS::AccountId}", "objectKey": "abc.zip"}}},
        "tpl": {"source": {"path": "t.json", "packaging": "file"},
                "destinations": {"d": {"bucketName": "cdk-assets-${AWS::AccountId}", "objectKey": "tpl.json"}}}},
        "dockerImages": {}}
    assembly = write(tmp_path, {"Api.assets": {"type": "cdk:asset-manifest", "properties": {"file": "a.json"}},
                                "Api": stack(["Api.assets"])}, {"a.json": files})

    api = assembly.stacks["Api"]

    assert [(a.id, a.packaging, a.key) for a in api.assets] == [("abc", "zip", "abc.zip")]
    assert api.dependencies == ()


def test_docker_images_and_stages_are_reported_not_skipped(tmp_path):
    images = {"files": {}, "dockerImages": {"img1": {}}}
    assembly = write(tmp_path, {"Api.assets": {"type": "cdk:asset-manifest", "properties": {"file": "a.json"}},
                                "Api": stack(["Api.assets"]), "Prod": {"type": "cdk:cloud-assembly"}},
                     {"a.json": images})

    assert set(assembly.unsupported) == {"nested assembly Prod (a CDK Stage)", "Docker image asset img1 (stack Api)"}


def test_a_dependency_cycle_is_an_assembly_error(tmp_path):
    assembly = write(tmp_path, {"A": stack(["B"]), "B": stack(["A"])})

    with pytest.raises(StepFailed, match="cycle"):
        assembly.waves(list(assembly.stacks.values()))
