"""Emulated creators for S3, SQS, DynamoDB and IAM (see :mod:`infra_pulumi.emulated_cloud`).

Each function takes the inputs Pulumi registered and returns what the provider would report.
"""

from __future__ import annotations

from collections.abc import Callable

from .emulated_cloud import EmulatedCloud, Unsupported, to_api

__all__ = ["CREATORS"]


# S3
def bucket(cloud: EmulatedCloud, i: dict) -> dict | None:
    s3 = cloud.client("s3")
    args = {} if cloud.region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": cloud.region}}
    try:
        s3.create_bucket(Bucket=i["bucket"], **args)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    return {}


def public_access_block(cloud: EmulatedCloud, i: dict) -> dict | None:
    config = {key: bool(i.get(key[:1].lower() + key[1:])) for key in
              ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")}
    cloud.client("s3").put_public_access_block(Bucket=i["bucket"], PublicAccessBlockConfiguration=config)


def versioning(cloud: EmulatedCloud, i: dict) -> dict | None:
    cloud.client("s3").put_bucket_versioning(
        Bucket=i["bucket"], VersioningConfiguration={"Status": i["versioningConfiguration"]["status"]})


def encryption(cloud: EmulatedCloud, i: dict) -> dict | None:
    cloud.client("s3").put_bucket_encryption(
        Bucket=i["bucket"],
        ServerSideEncryptionConfiguration={"Rules": to_api(i["rules"], {"sseAlgorithm": "SSEAlgorithm"})})


def bucket_policy(cloud: EmulatedCloud, i: dict) -> dict | None:
    if cloud.endpoint_url.startswith("http:") and "aws:SecureTransport" in i["policy"]:
        # moto evaluates the condition: over plain http the TLS-only policy refuses every request.
        raise Unsupported("the endpoint speaks plain http and moto enforces aws:SecureTransport, so this "
                          "TLS-only policy would refuse every request; use an https endpoint to install it")
    cloud.client("s3").put_bucket_policy(Bucket=i["bucket"], Policy=i["policy"])


def lifecycle(cloud: EmulatedCloud, i: dict) -> dict | None:
    cloud.client("s3").put_bucket_lifecycle_configuration(
        Bucket=i["bucket"], LifecycleConfiguration={"Rules": to_api(i["rules"], {"id": "ID"})})


def notification(cloud: EmulatedCloud, i: dict) -> dict | None:
    queues = [{"Id": q["id"], "QueueArn": q["queueArn"], "Events": list(q["events"]),
               "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": q["filterPrefix"]}]}}}
              for q in i.get("queues", [])]
    cloud.client("s3").put_bucket_notification_configuration(
        Bucket=i["bucket"], NotificationConfiguration={"QueueConfigurations": queues})


# SQS
def queue(cloud: EmulatedCloud, i: dict) -> dict | None:
    sqs = cloud.client("sqs")
    names = {"visibilityTimeoutSeconds": "VisibilityTimeout", "messageRetentionSeconds": "MessageRetentionPeriod",
             "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds", "redrivePolicy": "RedrivePolicy",
             "redriveAllowPolicy": "RedriveAllowPolicy", "sqsManagedSseEnabled": "SqsManagedSseEnabled"}
    attributes = {api: str(to_api(i[key])).lower() if isinstance(i[key], bool) else str(to_api(i[key]))
                  for key, api in names.items() if key in i}
    try:
        url = sqs.create_queue(QueueName=i["name"], Attributes=attributes)["QueueUrl"]
    except sqs.exceptions.QueueNameExists:
        url = sqs.get_queue_url(QueueName=i["name"])["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"id": url, "url": url, "arn": arn}


def queue_policy(cloud: EmulatedCloud, i: dict) -> dict | None:
    cloud.client("sqs").set_queue_attributes(QueueUrl=i["queueUrl"], Attributes={"Policy": i["policy"]})


# DynamoDB
def table(cloud: EmulatedCloud, i: dict) -> dict | None:
    ddb = cloud.client("dynamodb")
    keys = [{"AttributeName": i["hashKey"], "KeyType": "HASH"}, {"AttributeName": i["rangeKey"], "KeyType": "RANGE"}]
    indexes = [{"IndexName": g["name"], "Projection": {"ProjectionType": g["projectionType"]},
                "KeySchema": [{"AttributeName": g["hashKey"], "KeyType": "HASH"},
                              {"AttributeName": g["rangeKey"], "KeyType": "RANGE"}]}
               for g in i.get("globalSecondaryIndexes", [])]
    try:
        ddb.create_table(
            TableName=i["name"], BillingMode=i["billingMode"], KeySchema=keys, GlobalSecondaryIndexes=indexes,
            AttributeDefinitions=[{"AttributeName": a["name"], "AttributeType": a["type"]} for a in i["attributes"]],
            SSESpecification={"Enabled": bool(i["serverSideEncryption"]["enabled"])},
            DeletionProtectionEnabled=bool(i.get("deletionProtectionEnabled")))
    except ddb.exceptions.ResourceInUseException:
        pass
    ddb.update_continuous_backups(TableName=i["name"], PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": bool(i["pointInTimeRecovery"]["enabled"])})
    ttl = i["ttl"]
    current = ddb.describe_time_to_live(TableName=i["name"])["TimeToLiveDescription"]
    if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        ddb.update_time_to_live(TableName=i["name"], TimeToLiveSpecification={
            "AttributeName": ttl["attributeName"], "Enabled": bool(ttl["enabled"])})
    return {"arn": ddb.describe_table(TableName=i["name"])["Table"]["TableArn"]}


# IAM
def role(cloud: EmulatedCloud, i: dict) -> dict | None:
    iam = cloud.client("iam")
    try:
        role = iam.create_role(RoleName=i["name"], Path=i.get("path", "/"),
                               AssumeRolePolicyDocument=i["assumeRolePolicy"])["Role"]
    except iam.exceptions.EntityAlreadyExistsException:
        iam.update_assume_role_policy(RoleName=i["name"], PolicyDocument=i["assumeRolePolicy"])
        role = iam.get_role(RoleName=i["name"])["Role"]
    return {"arn": role["Arn"], "uniqueId": role["RoleId"]}


def managed_policy(cloud: EmulatedCloud, i: dict) -> dict | None:
    iam = cloud.client("iam")
    try:
        arn = iam.create_policy(PolicyName=i["name"], Path=i.get("path", "/"), PolicyDocument=i["policy"],
                                Description=i.get("description", ""))["Policy"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = f"arn:aws:iam::{cloud.account()}:policy{i.get('path', '/')}{i['name']}"
    return {"id": arn, "arn": arn}


def role_policy(cloud: EmulatedCloud, i: dict) -> dict | None:
    cloud.client("iam").put_role_policy(RoleName=i["role"], PolicyName=i["name"], PolicyDocument=i["policy"])


def role_policy_attachment(cloud: EmulatedCloud, i: dict) -> dict | None:
    cloud.client("iam").attach_role_policy(RoleName=i["role"], PolicyArn=i["policyArn"])


CREATORS: dict[str, Callable[[EmulatedCloud, dict], dict | None]] = {
    "aws:s3/bucket:Bucket": bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": public_access_block,
    "aws:s3/bucketVersioning:BucketVersioning": versioning,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": encryption,
    "aws:s3/bucketPolicy:BucketPolicy": bucket_policy,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": lifecycle,
    "aws:s3/bucketNotification:BucketNotification": notification,
    "aws:sqs/queue:Queue": queue,
    "aws:sqs/queuePolicy:QueuePolicy": queue_policy,
    "aws:dynamodb/table:Table": table,
    "aws:iam/role:Role": role,
    "aws:iam/policy:Policy": managed_policy,
    "aws:iam/rolePolicy:RolePolicy": role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": role_policy_attachment,
}
