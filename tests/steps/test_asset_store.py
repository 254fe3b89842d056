"""Where Sam and Cdk steps publish code and templates: Attini's bucket locally, the backend's bucket on AWS."""

from __future__ import annotations

import boto3

from attini_sdk.steps.asset_store import AssetStore

from .conftest import REGION


def test_without_a_backend_bucket_attinis_bucket_is_created_and_used(moto, ctx, log):
    store = AssetStore.for_context(ctx, step="Infra", log=log)

    assert store.put(store.key("cdk-assets", "a.zip"), b"code") is True
    assert store.put(store.key("cdk-assets", "a.zip"), b"code") is False  # content-addressed: uploaded once
    keys = [o["Key"] for o in boto3.client("s3", region_name=REGION).list_objects_v2(
        Bucket="attini-artifact-store-eu-west-1-123456789012")["Contents"]]
    assert keys == ["dev/app/cdk-assets/a.zip"]


def test_the_backend_bucket_gets_everything_under_assets_and_no_other_bucket_is_made(moto, make_ctx, log):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="attini-artifacts-test", CreateBucketConfiguration={"LocationConstraint": REGION})
    ctx = make_ctx(asset_bucket="attini-artifacts-test")

    store = AssetStore.for_context(ctx, step="Infra", log=log)
    store.put(store.key("sam-assets", "b.zip"), b"code")

    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["attini-artifacts-test"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="attini-artifacts-test")["Contents"]] == [
        "assets/dev/app/sam-assets/b.zip"]
    assert store.url(store.key("x")) == "s3://attini-artifacts-test/assets/dev/app/x"
    assert AssetStore.named(ctx).key("x") == store.key("x")
