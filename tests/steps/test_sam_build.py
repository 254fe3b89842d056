"""Building and packaging a SAM project without the SAM CLI: code folders copied, paths rewritten, uploaded once."""

from __future__ import annotations

import io
import zipfile

import boto3
import pytest
import yaml

from attini_sdk.errors import StepFailed
from attini_sdk.steps import sam_build
from attini_sdk.steps.asset_store import AssetStore

from .conftest import REGION

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {CodeUri: shared/, Runtime: python3.12}
Resources:
  Reader:
    Type: AWS::Serverless::Function
    Properties: {Handler: read.handler}
  Writer:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: writer/, Handler: write.handler}
  Inline:
    Type: AWS::Serverless::Function
    Properties: {InlineCode: "def handler(e, c): return e", Handler: index.handler}
  Spec:
    Type: AWS::Serverless::Api
    Properties: {StageName: prod, DefinitionUri: api.yaml}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTINI_HOME", str(tmp_path / "home"))
    root = tmp_path / "svc"
    (root / "shared").mkdir(parents=True)
    (root / "writer").mkdir()
    (root / "shared" / "read.py").write_text("def handler(e, c):\n    return 1\n")
    (root / "writer" / "write.py").write_text("def handler(e, c):\n    return 2\n")
    (root / "api.yaml").write_text("openapi: 3.0.1\n")
    (root / "template.yaml").write_text(TEMPLATE)
    return root


def test_our_builder_gives_every_function_its_own_code_folder_globals_included(project, log, monkeypatch):
    monkeypatch.setattr(sam_build.shutil, "which", lambda name: None)

    built = sam_build.build(project, template=None, build_dir=None, step="Svc", log=log)

    template = yaml.safe_load(built.read_text())
    assert template["Resources"]["Reader"]["Properties"]["CodeUri"] == "Reader"
    assert template["Resources"]["Writer"]["Properties"]["CodeUri"] == "Writer"
    assert "CodeUri" not in template["Resources"]["Inline"]["Properties"]
    assert (built.parent / "Reader" / "read.py").is_file() and (built.parent / "Writer" / "write.py").is_file()
    assert sam_build.build(project, template=None, build_dir=None, step="Svc", log=log) == built  # cached
    assert "unchanged since it was last built" in log.path.read_text()


@pytest.mark.usefixtures("moto")
def test_packaging_uploads_each_folder_once_and_points_the_template_at_it(project, log, monkeypatch):
    monkeypatch.setattr(sam_build.shutil, "which", lambda name: None)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="store", CreateBucketConfiguration={"LocationConstraint": REGION})
    store = AssetStore(s3, "store", "dev/svc")
    built = sam_build.build(project, template=None, build_dir=None, step="Svc", log=log)

    packaged = yaml.safe_load(sam_build.package(built, store, log=log, step="Svc"))
    again = yaml.safe_load(sam_build.package(built, store, log=log, step="Svc"))

    reader = packaged["Resources"]["Reader"]["Properties"]["CodeUri"]
    assert reader.startswith("s3://store/dev/svc/sam-assets/") and reader.endswith(".zip")
    key = reader.removeprefix("s3://store/")
    code = zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket="store", Key=key)["Body"].read()))
    assert code.namelist() == ["read.py"]
    assert packaged["Resources"]["Spec"]["Properties"]["DefinitionUri"]["Bucket"] == "store"
    assert packaged == again
    assert log.path.read_text().count("uploaded Reader's code") == 1


def test_a_missing_code_folder_names_the_function(project, log, monkeypatch):
    monkeypatch.setattr(sam_build.shutil, "which", lambda name: None)
    (project / "writer" / "write.py").unlink()
    (project / "writer").rmdir()

    with pytest.raises(StepFailed) as failed:
        sam_build.build(project, template=None, build_dir=None, step="Svc", log=log)

    assert failed.value.error == "Sam.ConfigError" and "Writer's CodeUri 'writer/'" in str(failed.value)


@pytest.mark.usefixtures("moto")
def test_the_sam_step_deploys_then_deletes_its_stack(project, ctx, log, monkeypatch, dist):
    import shutil

    from attini_sdk.steps import sam

    monkeypatch.setattr(sam_build.shutil, "which", lambda name: None)
    shutil.copytree(project, dist.root / "svc")
    (dist.root / "svc" / "template.yaml").write_text(TEMPLATE.replace(
        "  Spec:\n    Type: AWS::Serverless::Api\n    Properties: {StageName: prod, DefinitionUri: api.yaml}\n", "")
        + "Outputs:\n  Reader: {Value: !Ref Reader}\n")
    properties = {"Project": {"Path": "/svc"}, "StackName": "dev-svc"}

    outputs = sam.execute(properties, {}, ctx, step="Svc", log=log)
    deleted = sam.execute({**properties, "Action": "Delete"}, {}, ctx, step="Svc", log=log)

    assert outputs["Reader"].startswith("dev-svc-Reader")
    assert deleted == {}
    stacks = boto3.client("cloudformation", region_name=REGION).list_stacks()["StackSummaries"]
    assert [s["StackStatus"] for s in stacks if s["StackName"] == "dev-svc"] == ["DELETE_COMPLETE"]
