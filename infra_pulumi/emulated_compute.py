"""Emulated creators for Logs, Lambda, EventBridge, ECS, EC2, scaling, alarms and SSM.

See :mod:`infra_pulumi.emulated_cloud`; each function takes the inputs Pulumi registered and returns
what the provider would report.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from .emulated_cloud import EmulatedCloud, code_placeholder, error_code, to_api

__all__ = ["CREATORS"]


# CloudWatch Logs, Lambda, EventBridge
def log_group(cloud: EmulatedCloud, i: dict) -> dict | None:
    logs = cloud.client("logs")
    try:
        logs.create_log_group(logGroupName=i["name"])
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.put_retention_policy(logGroupName=i["name"], retentionInDays=int(i["retentionInDays"]))


def layer(cloud: EmulatedCloud, i: dict) -> dict | None:
    lam = cloud.client("lambda")
    versions = lam.list_layer_versions(LayerName=i["layerName"])["LayerVersions"]
    if versions:
        latest = max(versions, key=lambda v: v["Version"])
        arn, version = latest["LayerVersionArn"], latest["Version"]
    else:
        made = lam.publish_layer_version(LayerName=i["layerName"],
                                         Content={"ZipFile": code_placeholder(i["layerName"])},
                                         CompatibleRuntimes=list(i.get("compatibleRuntimes", [])))
        arn, version = made["LayerVersionArn"], made["Version"]
    return {"id": arn, "arn": arn, "layerArn": arn.rsplit(":", 1)[0], "version": str(version)}


def function(cloud: EmulatedCloud, i: dict) -> dict | None:
    lam = cloud.client("lambda")
    config = {"Runtime": i["runtime"], "Role": i["role"], "Handler": i["handler"], "Timeout": int(i["timeout"]),
              "MemorySize": int(i["memorySize"]), "Environment": {"Variables": dict(i["environment"]["variables"])},
              "Layers": list(i.get("layers", [])), "TracingConfig": {"Mode": i["tracingConfig"]["mode"]}}
    try:
        made = lam.create_function(FunctionName=i["name"], Code={"ZipFile": code_placeholder(i["name"])}, **config)
    except lam.exceptions.ResourceConflictException:
        made = lam.update_function_configuration(FunctionName=i["name"], **config)
    return {"arn": made["FunctionArn"]}


def event_source_mapping(cloud: EmulatedCloud, i: dict) -> dict | None:
    lam = cloud.client("lambda")
    found = lam.list_event_source_mappings(EventSourceArn=i["eventSourceArn"],
                                           FunctionName=i["functionName"])["EventSourceMappings"]
    # Disabled on purpose: an enabled mapping makes moto take each message off the queue and
    # "invoke" a function it cannot run; the SDK's emulator polls the queue in its place.
    cloud.notes.append("event source mapping deploy-events -> init-deploy created disabled: moto runs no "
                      "Lambda code, `python -m attini_sdk.backends.aws.emulate` polls deploy-events instead")
    if found:
        mapping = found[0]
    else:
        mapping = lam.create_event_source_mapping(
            EventSourceArn=i["eventSourceArn"], FunctionName=i["functionName"], Enabled=False,
            BatchSize=int(i["batchSize"]), FunctionResponseTypes=list(i.get("functionResponseTypes", [])))
    return {"id": mapping["UUID"], "uuid": mapping["UUID"], "state": mapping.get("State", "Disabled")}


def permission(cloud: EmulatedCloud, i: dict) -> dict | None:
    lam = cloud.client("lambda")
    sid = i.get("statementId") or "events"
    try:
        lam.add_permission(FunctionName=i["function"], StatementId=sid, Action=i["action"],
                           Principal=i["principal"], SourceArn=i["sourceArn"])
    except lam.exceptions.ResourceConflictException:
        pass
    return {"id": sid, "statementId": sid}


def event_rule(cloud: EmulatedCloud, i: dict) -> dict | None:
    made = cloud.client("events").put_rule(Name=i["name"], EventPattern=i["eventPattern"],
                                          Description=i.get("description", ""), State="ENABLED")
    return {"arn": made["RuleArn"]}


def event_target(cloud: EmulatedCloud, i: dict) -> dict | None:
    cloud.client("events").put_targets(Rule=i["rule"], Targets=[{"Id": i["targetId"], "Arn": i["arn"]}])


# ECS, EC2, scaling, alarms, SSM
def cluster(cloud: EmulatedCloud, i: dict) -> dict | None:
    settings = [{"name": s["name"], "value": s["value"]} for s in i.get("settings", [])]
    arn = cloud.client("ecs").create_cluster(clusterName=i["name"], settings=settings)["cluster"]["clusterArn"]
    return {"id": arn, "arn": arn}


def security_group(cloud: EmulatedCloud, i: dict) -> dict | None:
    ec2 = cloud.client("ec2")
    found = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [i["name"]]},
                                                  {"Name": "vpc-id", "Values": [i["vpcId"]]}])["SecurityGroups"]
    group = found[0]["GroupId"] if found else ec2.create_security_group(
        GroupName=i["name"], Description=i["description"], VpcId=i["vpcId"])["GroupId"]
    return {"id": group, "arn": f"arn:aws:ec2:{cloud.region}:{cloud.account()}:security-group/{group}"}


def task_definition(cloud: EmulatedCloud, i: dict) -> dict | None:
    ecs = cloud.client("ecs")
    try:
        current = ecs.describe_task_definition(taskDefinition=i["family"])["taskDefinition"]
    except Exception as exc:  # moto: ClientException when the family is unknown
        if error_code(exc) not in ("ClientException", "InvalidParameterException"):
            raise
        current = ecs.register_task_definition(
            family=i["family"], networkMode=i["networkMode"], cpu=i["cpu"], memory=i["memory"],
            requiresCompatibilities=list(i["requiresCompatibilities"]), taskRoleArn=i["taskRoleArn"],
            executionRoleArn=i["executionRoleArn"], containerDefinitions=json.loads(i["containerDefinitions"]),
            runtimePlatform=dict(i["runtimePlatform"]))["taskDefinition"]
    arn = current["taskDefinitionArn"]
    return {"id": i["family"], "arn": arn, "arnWithoutRevision": arn.rsplit(":", 1)[0],
            "revision": current["revision"]}


def service(cloud: EmulatedCloud, i: dict) -> dict | None:
    ecs = cloud.client("ecs")
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


def scaling_target(cloud: EmulatedCloud, i: dict) -> dict | None:
    cloud.client("application-autoscaling").register_scalable_target(
        ServiceNamespace=i["serviceNamespace"], ResourceId=i["resourceId"],
        ScalableDimension=i["scalableDimension"], MinCapacity=int(i["minCapacity"]),
        MaxCapacity=int(i["maxCapacity"]))


def scaling_policy(cloud: EmulatedCloud, i: dict) -> dict | None:
    config = to_api(i["stepScalingPolicyConfiguration"])
    for step in config.get("StepAdjustments", []):
        for bound in ("MetricIntervalLowerBound", "MetricIntervalUpperBound"):
            if bound in step:
                step[bound] = float(step[bound])
    made = cloud.client("application-autoscaling").put_scaling_policy(
        PolicyName=i["name"], ServiceNamespace=i["serviceNamespace"], ResourceId=i["resourceId"],
        ScalableDimension=i["scalableDimension"], PolicyType=i["policyType"],
        StepScalingPolicyConfiguration=config)
    return {"arn": made["PolicyARN"]}


def alarm(cloud: EmulatedCloud, i: dict) -> dict | None:
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
    cloudwatch = cloud.client("cloudwatch")
    cloudwatch.put_metric_alarm(**args)
    alarm = cloudwatch.describe_alarms(AlarmNames=[i["name"]])["MetricAlarms"][0]
    return {"arn": alarm["AlarmArn"]}


def parameter(cloud: EmulatedCloud, i: dict) -> dict | None:
    ssm = cloud.client("ssm")
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
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:lambda/layerVersion:LayerVersion": layer,
    "aws:lambda/function:Function": function,
    "aws:lambda/eventSourceMapping:EventSourceMapping": event_source_mapping,
    "aws:lambda/permission:Permission": permission,
    "aws:cloudwatch/eventRule:EventRule": event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": event_target,
    "aws:ecs/cluster:Cluster": cluster,
    "aws:ec2/securityGroup:SecurityGroup": security_group,
    "aws:ecs/taskDefinition:TaskDefinition": task_definition,
    "aws:ecs/service:Service": service,
    "aws:appautoscaling/target:Target": scaling_target,
    "aws:appautoscaling/policy:Policy": scaling_policy,
    "aws:cloudwatch/metricAlarm:MetricAlarm": alarm,
    "aws:ssm/parameter:Parameter": parameter,
}
