"""Create the component's resources in an AWS-compatible endpoint (a moto server) with boto3.

One method per Pulumi resource type, named after it in :data:`CREATORS`. Each takes the inputs the
program registered (Pulumi's wire form: camelCase keys, numbers as floats) and returns the attributes
the real provider would report (ARN, queue URL, revision, …). Every method reuses what already
exists, so installing twice against one endpoint changes nothing.

What the endpoint cannot do raises :class:`Unsupported`; the emulator reports it and carries on.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

__all__ = ["EmulatedCloud", "Unsupported", "CREATORS", "to_api"]


class Unsupported(Exception):
    """The endpoint does not implement what a resource needs."""


def to_api(value: Any, renames: dict[str, str] | None = None) -> Any:
    """Pulumi's wire form → the AWS API's: PascalCase keys, whole floats as ints.

    >>> to_api({"noncurrentVersionExpiration": {"noncurrentDays": 10.0}, "id": "x"}, {"id": "ID"})
    {'NoncurrentVersionExpiration': {'NoncurrentDays': 10}, 'ID': 'x'}
    """
    renames = renames or {}
    if isinstance(value, dict):
        return {renames.get(k, k[:1].upper() + k[1:]): to_api(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [to_api(v, renames) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _code(name: str) -> bytes:
    """A tiny package standing in for the Lambda code: moto stores functions but runs none."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("EMULATED.txt", f"{name}: created by infra_pulumi.emulate; the code runs in "
                                         "python -m attini_sdk.backends.aws.emulate\n")
    return buffer.getvalue()


def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


class EmulatedCloud:
    """boto3 clients on one endpoint and region, and a creator per resource type."""

    def __init__(self, endpoint_url: str, region: str):
        import boto3

        # Fixed dummy credentials: an emulated install must never pick up (or leak) real ones.
        self._session = boto3.session.Session(aws_access_key_id="emulator", aws_secret_access_key="emulator",
                                              region_name=region)
        self.endpoint_url = endpoint_url
        self.region = region
        self._clients: dict[str, Any] = {}
        self.notes: list[str] = []

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = self._session.client(service, endpoint_url=self.endpoint_url)
        return self._clients[service]

    def account(self) -> str:
        return self.client("sts").get_caller_identity()["Account"]

    def create(self, typ: str, inputs: dict) -> dict:
        creator = CREATORS.get(typ)
        if creator is None:
            raise Unsupported("the emulator has no creator for this type")
        return creator(self, inputs) or {}

    # --- data sources --------------------------------------------------------------------------
    def default_vpc(self) -> dict:
        vpcs = self.client("ec2").describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
        if not vpcs:
            raise Unsupported("the endpoint has no default VPC")
        return {"id": vpcs[0]["VpcId"], "default": True, "cidrBlock": vpcs[0]["CidrBlock"]}

    def subnets(self, filters: list[dict]) -> dict:
        api_filters = [{"Name": f["name"], "Values": list(f["values"])} for f in filters or []]
        found = self.client("ec2").describe_subnets(Filters=api_filters)["Subnets"]
        return {"id": self.region, "ids": sorted(s["SubnetId"] for s in found), "filters": filters}

    # --- S3 ------------------------------------------------------------------------------------
    def bucket(self, i: dict) -> dict:
        s3 = self.client("s3")
        args = {} if self.region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": self.region}}
        try:
            s3.create_bucket(Bucket=i["bucket"], **args)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        return {}

    def public_access_block(self, i: dict) -> dict:
        config = {key: bool(i.get(key[:1].lower() + key[1:])) for key in
                  ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")}
        self.client("s3").put_public_access_block(Bucket=i["bucket"], PublicAccessBlockConfiguration=config)

    def versioning(self, i: dict) -> dict:
        self.client("s3").put_bucket_versioning(
            Bucket=i["bucket"], VersioningConfiguration={"Status": i["versioningConfiguration"]["status"]})

    def encryption(self, i: dict) -> dict:
        self.client("s3").put_bucket_encryption(
            Bucket=i["bucket"], ServerSideEncryptionConfiguration={"Rules": to_api(i["rules"], {"sseAlgorithm": "SSEAlgorithm"})})

    def bucket_policy(self, i: dict) -> dict:
        if self.endpoint_url.startswith("http:") and "aws:SecureTransport" in i["policy"]:
            # moto evaluates the condition: over plain http the TLS-only policy refuses every request.
            raise Unsupported("the endpoint speaks plain http and moto enforces aws:SecureTransport, so this "
                              "TLS-only policy would refuse every request; use an https endpoint to install it")
        self.client("s3").put_bucket_policy(Bucket=i["bucket"], Policy=i["policy"])

    def lifecycle(self, i: dict) -> dict:
        self.client("s3").put_bucket_lifecycle_configuration(
            Bucket=i["bucket"], LifecycleConfiguration={"Rules": to_api(i["rules"], {"id": "ID"})})

    def notification(self, i: dict) -> dict:
        queues = [{"Id": q["id"], "QueueArn": q["queueArn"], "Events": list(q["events"]),
                   "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": q["filterPrefix"]}]}}}
                  for q in i.get("queues", [])]
        self.client("s3").put_bucket_notification_configuration(
            Bucket=i["bucket"], NotificationConfiguration={"QueueConfigurations": queues})

    # --- SQS -----------------------------------------------------------------------------------
    def queue(self, i: dict) -> dict:
        sqs = self.client("sqs")
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

    def queue_policy(self, i: dict) -> dict:
        self.client("sqs").set_queue_attributes(QueueUrl=i["queueUrl"], Attributes={"Policy": i["policy"]})

    # --- DynamoDB ------------------------------------------------------------------------------
    def table(self, i: dict) -> dict:
        ddb = self.client("dynamodb")
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

    # --- IAM -----------------------------------------------------------------------------------
    def role(self, i: dict) -> dict:
        iam = self.client("iam")
        try:
            role = iam.create_role(RoleName=i["name"], Path=i.get("path", "/"),
                                   AssumeRolePolicyDocument=i["assumeRolePolicy"])["Role"]
        except iam.exceptions.EntityAlreadyExistsException:
            iam.update_assume_role_policy(RoleName=i["name"], PolicyDocument=i["assumeRolePolicy"])
            role = iam.get_role(RoleName=i["name"])["Role"]
        return {"arn": role["Arn"], "uniqueId": role["RoleId"]}

    def managed_policy(self, i: dict) -> dict:
        iam = self.client("iam")
        try:
            arn = iam.create_policy(PolicyName=i["name"], Path=i.get("path", "/"), PolicyDocument=i["policy"],
                                    Description=i.get("description", ""))["Policy"]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:
            arn = f"arn:aws:iam::{self.account()}:policy{i.get('path', '/')}{i['name']}"
        return {"id": arn, "arn": arn}

    def role_policy(self, i: dict) -> dict:
        self.client("iam").put_role_policy(RoleName=i["role"], PolicyName=i["name"], PolicyDocument=i["policy"])

    def role_policy_attachment(self, i: dict) -> dict:
        self.client("iam").attach_role_policy(RoleName=i["role"], PolicyArn=i["policyArn"])

    # --- CloudWatch Logs, Lambda, EventBridge --------------------------------------------------
    def log_group(self, i: dict) -> dict:
        logs = self.client("logs")
        try:
            logs.create_log_group(logGroupName=i["name"])
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
        logs.put_retention_policy(logGroupName=i["name"], retentionInDays=int(i["retentionInDays"]))

    def layer(self, i: dict) -> dict:
        lam = self.client("lambda")
        versions = lam.list_layer_versions(LayerName=i["layerName"])["LayerVersions"]
        if versions:
            latest = max(versions, key=lambda v: v["Version"])
            arn, version = latest["LayerVersionArn"], latest["Version"]
        else:
            made = lam.publish_layer_version(LayerName=i["layerName"], Content={"ZipFile": _code(i["layerName"])},
                                             CompatibleRuntimes=list(i.get("compatibleRuntimes", [])))
            arn, version = made["LayerVersionArn"], made["Version"]
        return {"id": arn, "arn": arn, "layerArn": arn.rsplit(":", 1)[0], "version": str(version)}

    def function(self, i: dict) -> dict:
        lam = self.client("lambda")
        config = {"Runtime": i["runtime"], "Role": i["role"], "Handler": i["handler"], "Timeout": int(i["timeout"]),
                  "MemorySize": int(i["memorySize"]), "Environment": {"Variables": dict(i["environment"]["variables"])},
                  "Layers": list(i.get("layers", [])), "TracingConfig": {"Mode": i["tracingConfig"]["mode"]}}
        try:
            made = lam.create_function(FunctionName=i["name"], Code={"ZipFile": _code(i["name"])}, **config)
        except lam.exceptions.ResourceConflictException:
            made = lam.update_function_configuration(FunctionName=i["name"], **config)
        return {"arn": made["FunctionArn"]}

    def event_source_mapping(self, i: dict) -> dict:
        lam = self.client("lambda")
        found = lam.list_event_source_mappings(EventSourceArn=i["eventSourceArn"],
                                               FunctionName=i["functionName"])["EventSourceMappings"]
        # Disabled on purpose: an enabled mapping makes moto take each message off the queue and
        # "invoke" a function it cannot run; the SDK's emulator polls the queue in its place.
        self.notes.append("event source mapping deploy-events -> init-deploy created disabled: moto runs no "
                          "Lambda code, `python -m attini_sdk.backends.aws.emulate` polls deploy-events instead")
        if found:
            mapping = found[0]
        else:
            mapping = lam.create_event_source_mapping(
                EventSourceArn=i["eventSourceArn"], FunctionName=i["functionName"], Enabled=False,
                BatchSize=int(i["batchSize"]), FunctionResponseTypes=list(i.get("functionResponseTypes", [])))
        return {"id": mapping["UUID"], "uuid": mapping["UUID"], "state": mapping.get("State", "Disabled")}

    def permission(self, i: dict) -> dict:
        lam = self.client("lambda")
        sid = i.get("statementId") or "events"
        try:
            lam.add_permission(FunctionName=i["function"], StatementId=sid, Action=i["action"],
                               Principal=i["principal"], SourceArn=i["sourceArn"])
        except lam.exceptions.ResourceConflictException:
            pass
        return {"id": sid, "statementId": sid}

    def event_rule(self, i: dict) -> dict:
        made = self.client("events").put_rule(Name=i["name"], EventPattern=i["eventPattern"],
                                              Description=i.get("description", ""), State="ENABLED")
        return {"arn": made["RuleArn"]}

    def event_target(self, i: dict) -> dict:
        self.client("events").put_targets(Rule=i["rule"], Targets=[{"Id": i["targetId"], "Arn": i["arn"]}])

    # --- ECS, EC2, scaling, alarms, SSM --------------------------------------------------------
    def cluster(self, i: dict) -> dict:
        settings = [{"name": s["name"], "value": s["value"]} for s in i.get("settings", [])]
        arn = self.client("ecs").create_cluster(clusterName=i["name"], settings=settings)["cluster"]["clusterArn"]
        return {"id": arn, "arn": arn}

    def security_group(self, i: dict) -> dict:
        ec2 = self.client("ec2")
        found = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [i["name"]]},
                                                      {"Name": "vpc-id", "Values": [i["vpcId"]]}])["SecurityGroups"]
        group = found[0]["GroupId"] if found else ec2.create_security_group(
            GroupName=i["name"], Description=i["description"], VpcId=i["vpcId"])["GroupId"]
        return {"id": group, "arn": f"arn:aws:ec2:{self.region}:{self.account()}:security-group/{group}"}

    def task_definition(self, i: dict) -> dict:
        ecs = self.client("ecs")
        try:
            current = ecs.describe_task_definition(taskDefinition=i["family"])["taskDefinition"]
        except Exception as exc:  # moto: ClientException when the family is unknown
            if _error_code(exc) not in ("ClientException", "InvalidParameterException"):
                raise
            current = ecs.register_task_definition(
                family=i["family"], networkMode=i["networkMode"], cpu=i["cpu"], memory=i["memory"],
                requiresCompatibilities=list(i["requiresCompatibilities"]), taskRoleArn=i["taskRoleArn"],
                executionRoleArn=i["executionRoleArn"], containerDefinitions=json.loads(i["containerDefinitions"]),
                runtimePlatform=dict(i["runtimePlatform"]))["taskDefinition"]
        arn = current["taskDefinitionArn"]
        return {"id": i["family"], "arn": arn, "arnWithoutRevision": arn.rsplit(":", 1)[0],
                "revision": current["revision"]}

    def service(self, i: dict) -> dict:
        ecs = self.client("ecs")
        found = [s for s in ecs.describe_services(cluster=i["cluster"], services=[i["name"]])["services"]
                 if s["status"] == "ACTIVE"]
        if not found:
            network = i["networkConfiguration"]
            found = [ecs.create_service(
                cluster=i["cluster"], serviceName=i["name"], taskDefinition=i["taskDefinition"],
                desiredCount=int(i["desiredCount"]), launchType=i["launchType"], propagateTags=i["propagateTags"],
                enableECSManagedTags=bool(i["enableEcsManagedTags"]),
                networkConfiguration={"awsvpcConfiguration": {
                    "subnets": list(network["subnets"]), "securityGroups": list(network["securityGroups"]),
                    "assignPublicIp": "ENABLED" if network.get("assignPublicIp") else "DISABLED"}})["service"]]
        arn = found[0]["serviceArn"]
        return {"id": arn, "arn": arn}

    def scaling_target(self, i: dict) -> dict:
        self.client("application-autoscaling").register_scalable_target(
            ServiceNamespace=i["serviceNamespace"], ResourceId=i["resourceId"],
            ScalableDimension=i["scalableDimension"], MinCapacity=int(i["minCapacity"]),
            MaxCapacity=int(i["maxCapacity"]))

    def scaling_policy(self, i: dict) -> dict:
        config = to_api(i["stepScalingPolicyConfiguration"])
        for step in config.get("StepAdjustments", []):
            for bound in ("MetricIntervalLowerBound", "MetricIntervalUpperBound"):
                if bound in step:
                    step[bound] = float(step[bound])
        made = self.client("application-autoscaling").put_scaling_policy(
            PolicyName=i["name"], ServiceNamespace=i["serviceNamespace"], ResourceId=i["resourceId"],
            ScalableDimension=i["scalableDimension"], PolicyType=i["policyType"],
            StepScalingPolicyConfiguration=config)
        return {"arn": made["PolicyARN"]}

    def alarm(self, i: dict) -> dict:
        args = {"AlarmName": i["name"], "AlarmDescription": i.get("alarmDescription", ""),
                "AlarmActions": list(i.get("alarmActions", [])), "EvaluationPeriods": int(i["evaluationPeriods"]),
                "Threshold": float(i["threshold"]), "ComparisonOperator": i["comparisonOperator"],
                "TreatMissingData": i["treatMissingData"]}
        if "datapointsToAlarm" in i:
            args["DatapointsToAlarm"] = int(i["datapointsToAlarm"])
        if "metricQueries" in i:
            args["Metrics"] = [_metric_query(q) for q in i["metricQueries"]]
        else:
            args.update(Namespace=i["namespace"], MetricName=i["metricName"], Statistic=i["statistic"],
                        Period=int(i["period"]),
                        Dimensions=[{"Name": k, "Value": v} for k, v in i.get("dimensions", {}).items()])
        cloudwatch = self.client("cloudwatch")
        cloudwatch.put_metric_alarm(**args)
        alarm = cloudwatch.describe_alarms(AlarmNames=[i["name"]])["MetricAlarms"][0]
        return {"arn": alarm["AlarmArn"]}

    def parameter(self, i: dict) -> dict:
        ssm = self.client("ssm")
        ssm.put_parameter(Name=i["name"], Value=i["value"], Type=i["type"], Tier=i.get("tier", "Standard"),
                          Description=i.get("description", ""), Overwrite=True)
        found = ssm.get_parameter(Name=i["name"])["Parameter"]
        return {"arn": found["ARN"], "version": found["Version"]}


def _metric_query(query: dict) -> dict:
    if "expression" in query:
        return {"Id": query["id"], "Expression": query["expression"], "Label": query.get("label", query["id"]),
                "ReturnData": bool(query.get("returnData"))}
    metric = query["metric"]
    return {"Id": query["id"], "ReturnData": bool(query.get("returnData", False)), "MetricStat": {
        "Metric": {"Namespace": metric["namespace"], "MetricName": metric["metricName"],
                   "Dimensions": [{"Name": k, "Value": v} for k, v in metric.get("dimensions", {}).items()]},
        "Period": int(metric["period"]), "Stat": metric["stat"]}}


CREATORS: dict[str, Callable[[EmulatedCloud, dict], dict | None]] = {
    "aws:s3/bucket:Bucket": EmulatedCloud.bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": EmulatedCloud.public_access_block,
    "aws:s3/bucketVersioning:BucketVersioning": EmulatedCloud.versioning,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": EmulatedCloud.encryption,
    "aws:s3/bucketPolicy:BucketPolicy": EmulatedCloud.bucket_policy,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": EmulatedCloud.lifecycle,
    "aws:s3/bucketNotification:BucketNotification": EmulatedCloud.notification,
    "aws:sqs/queue:Queue": EmulatedCloud.queue,
    "aws:sqs/queuePolicy:QueuePolicy": EmulatedCloud.queue_policy,
    "aws:dynamodb/table:Table": EmulatedCloud.table,
    "aws:iam/role:Role": EmulatedCloud.role,
    "aws:iam/policy:Policy": EmulatedCloud.managed_policy,
    "aws:iam/rolePolicy:RolePolicy": EmulatedCloud.role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": EmulatedCloud.role_policy_attachment,
    "aws:cloudwatch/logGroup:LogGroup": EmulatedCloud.log_group,
    "aws:lambda/layerVersion:LayerVersion": EmulatedCloud.layer,
    "aws:lambda/function:Function": EmulatedCloud.function,
    "aws:lambda/eventSourceMapping:EventSourceMapping": EmulatedCloud.event_source_mapping,
    "aws:lambda/permission:Permission": EmulatedCloud.permission,
    "aws:cloudwatch/eventRule:EventRule": EmulatedCloud.event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": EmulatedCloud.event_target,
    "aws:ecs/cluster:Cluster": EmulatedCloud.cluster,
    "aws:ec2/securityGroup:SecurityGroup": EmulatedCloud.security_group,
    "aws:ecs/taskDefinition:TaskDefinition": EmulatedCloud.task_definition,
    "aws:ecs/service:Service": EmulatedCloud.service,
    "aws:appautoscaling/target:Target": EmulatedCloud.scaling_target,
    "aws:appautoscaling/policy:Policy": EmulatedCloud.scaling_policy,
    "aws:cloudwatch/metricAlarm:MetricAlarm": EmulatedCloud.alarm,
    "aws:ssm/parameter:Parameter": EmulatedCloud.parameter,
}
