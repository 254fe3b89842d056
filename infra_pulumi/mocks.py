"""Run the component without the Pulumi engine: mocks that answer like the AWS provider would.

:class:`FakeCloud` computes the ids and attributes (ARN, queue URL, …) the provider returns for each
resource type and answers the data-source invokes (account, region, default VPC). :class:`RecordingMocks`
keeps every registration, for assertions; :func:`run_program` runs a program to completion under
mocks and returns what it produced. The emulator (:mod:`infra_pulumi.emulate`) builds on the same
pieces and additionally creates each resource in a moto server.

    >>> cloud = FakeCloud()
    >>> cloud.outputs("aws:sqs/queue:Queue", "q", {"name": "attini-runner-jobs"})[1]["url"]
    'https://sqs.eu-west-1.amazonaws.com/123456789012/attini-runner-jobs'
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import pulumi

__all__ = ["FakeCloud", "Registered", "RecordingMocks", "plain", "run_program"]


@attrs.frozen
class Registered:
    """One resource the program registered: its type token, logical name, inputs and resulting state."""

    typ: str
    name: str
    inputs: dict
    id: str
    state: dict


@attrs.frozen
class FakeCloud:
    """The provider's answers, computed from the inputs (nothing is created anywhere)."""

    account: str = "123456789012"
    region: str = "eu-west-1"
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        return f"arn:{self.partition}:{service}:{self.region if regional else ''}:{self.account}:{resource}"

    def outputs(self, typ: str, name: str, inputs: dict) -> tuple[str, dict]:
        """``(id, state)`` for a resource of type ``typ``: the inputs plus the computed attributes."""
        computed = _COMPUTED.get(typ)
        extra = computed(self, inputs) if computed else {}
        state = {**inputs, **extra}
        ident = extra.pop("id", None) or inputs.get("name") or inputs.get("bucket") or f"{name}-id"
        state.setdefault("id", ident)
        return ident, state

    def invoke(self, token: str, args: dict) -> dict:
        """What a data source (``aws.get_*``) returns."""
        answers = {
            "aws:index/getCallerIdentity:getCallerIdentity": lambda: {
                "accountId": self.account, "arn": f"arn:{self.partition}:iam::{self.account}:user/emulator",
                "userId": "EMULATOR", "id": self.account},
            "aws:index/getRegion:getRegion": lambda: {
                "region": self.region, "name": self.region, "id": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com", "description": self.region},
            "aws:index/getPartition:getPartition": lambda: {
                "partition": self.partition, "dnsSuffix": "amazonaws.com", "id": self.partition,
                "reverseDnsPrefix": "com.amazonaws"},
            "aws:ec2/getVpc:getVpc": lambda: {"id": "vpc-00000000000000001", "default": True,
                                               "cidrBlock": "172.31.0.0/16"},
            "aws:ec2/getSubnets:getSubnets": lambda: {"id": self.region, "filters": args.get("filters"),
                                                      "ids": ["subnet-00000000000000001", "subnet-00000000000000002"]},
        }
        if token not in answers:
            raise KeyError(f"no mock answer for the data source {token}")
        return answers[token]()


def _digest(text: str, size: int) -> str:
    """A stable hex id derived from ``text`` (``hash()`` changes between processes)."""
    return hashlib.sha256(text.encode()).hexdigest()[:size]


def _lambda(cloud: FakeCloud, inputs: dict) -> dict:
    arn = cloud.arn("lambda", f"function:{inputs['name']}")
    invoke = f"arn:{cloud.partition}:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    return {"arn": arn, "qualifiedArn": f"{arn}:$LATEST", "version": "$LATEST", "invokeArn": invoke}


def _layer(cloud: FakeCloud, inputs: dict) -> dict:
    layer = cloud.arn("lambda", f"layer:{inputs['layerName']}")
    return {"id": f"{layer}:1", "arn": f"{layer}:1", "layerArn": layer, "version": "1"}


def _task_definition(cloud: FakeCloud, inputs: dict) -> dict:
    arn = cloud.arn("ecs", f"task-definition/{inputs['family']}:1")
    return {"id": inputs["family"], "arn": arn, "arnWithoutRevision": arn.rsplit(":", 1)[0], "revision": 1}


def _service(cloud: FakeCloud, inputs: dict) -> dict:
    cluster = str(inputs["cluster"]).rsplit("/", 1)[-1]
    arn = cloud.arn("ecs", f"service/{cluster}/{inputs['name']}")
    return {"id": arn, "arn": arn}


def _scaling_policy(cloud: FakeCloud, inputs: dict) -> dict:
    arn = cloud.arn("autoscaling", f"scalingPolicy:{uuid.uuid5(uuid.NAMESPACE_URL, inputs['name'])}:"
                                   f"resource/ecs/{inputs['resourceId']}:policyName/{inputs['name']}")
    return {"id": inputs["name"], "arn": arn}


_COMPUTED: dict[str, Callable[[FakeCloud, dict], dict]] = {
    "aws:s3/bucket:Bucket": lambda c, i: {"id": i["bucket"], "arn": f"arn:{c.partition}:s3:::{i['bucket']}",
                                          "bucketDomainName": f"{i['bucket']}.s3.amazonaws.com"},
    "aws:sqs/queue:Queue": lambda c, i: {
        "id": f"https://sqs.{c.region}.amazonaws.com/{c.account}/{i['name']}",
        "url": f"https://sqs.{c.region}.amazonaws.com/{c.account}/{i['name']}", "arn": c.arn("sqs", i["name"])},
    "aws:sqs/queuePolicy:QueuePolicy": lambda c, i: {"id": i["queueUrl"]},
    "aws:dynamodb/table:Table": lambda c, i: {"arn": c.arn("dynamodb", f"table/{i['name']}")},
    "aws:iam/role:Role": lambda c, i: {"arn": f"arn:{c.partition}:iam::{c.account}:role{i.get('path', '/')}{i['name']}",
                                       "uniqueId": "AROA" + _digest(i["name"], 16).upper()},
    "aws:iam/policy:Policy": lambda c, i: {
        "id": f"arn:{c.partition}:iam::{c.account}:policy{i.get('path', '/')}{i['name']}",
        "arn": f"arn:{c.partition}:iam::{c.account}:policy{i.get('path', '/')}{i['name']}"},
    "aws:iam/rolePolicy:RolePolicy": lambda c, i: {"id": f"{i['role']}:{i['name']}"},
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": lambda c, i: {
        "id": f"{i['role']}-{i['policyArn'].rsplit('/', 1)[-1]}"},
    "aws:cloudwatch/logGroup:LogGroup": lambda c, i: {"arn": c.arn("logs", f"log-group:{i['name']}")},
    "aws:lambda/function:Function": _lambda,
    "aws:lambda/layerVersion:LayerVersion": _layer,
    "aws:lambda/eventSourceMapping:EventSourceMapping": lambda c, i: {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{i['eventSourceArn']}|{i['functionName']}")), "state": "Enabled"},
    "aws:lambda/permission:Permission": lambda c, i: {"id": i.get("statementId") or "events"},
    "aws:cloudwatch/eventRule:EventRule": lambda c, i: {"arn": c.arn("events", f"rule/{i['name']}")},
    "aws:cloudwatch/eventTarget:EventTarget": lambda c, i: {"id": f"{i['rule']}-{i['targetId']}"},
    "aws:ecs/cluster:Cluster": lambda c, i: {"id": c.arn("ecs", f"cluster/{i['name']}"),
                                             "arn": c.arn("ecs", f"cluster/{i['name']}")},
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:ecs/service:Service": _service,
    "aws:ec2/securityGroup:SecurityGroup": lambda c, i: {
        "id": "sg-" + _digest(i["name"], 17), "arn": c.arn("ec2", f"security-group/{i['name']}")},
    "aws:appautoscaling/target:Target": lambda c, i: {"id": i["resourceId"],
                                                      "arn": c.arn("application-autoscaling", "scalable-target/x")},
    "aws:appautoscaling/policy:Policy": _scaling_policy,
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda c, i: {"arn": c.arn("cloudwatch", f"alarm:{i['name']}")},
    "aws:ssm/parameter:Parameter": lambda c, i: {"arn": c.arn("ssm", f"parameter{i['name']}"), "version": 1},
}


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers with :class:`FakeCloud` and keeps every registration in :attr:`registered`."""

    def __init__(self, cloud: FakeCloud | None = None):
        self.cloud = cloud or FakeCloud()
        self.registered: list[Registered] = []
        # The mock monitor registers resources from a thread pool.
        self._lock = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        # Secrets arrive wrapped (the provider marks e.g. an SSM parameter's value secret); the
        # assertions and the emulator want the values.
        args.inputs = plain(args.inputs)
        with self._lock:
            ident, state = self.create(args) if args.custom else ("", dict(args.inputs))
            self.registered.append(Registered(args.typ, args.name, dict(args.inputs), ident, state))
            return ident, state

    def create(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        """The provider's answer for one resource; the emulator overrides this to really create it."""
        return self.cloud.outputs(args.typ, args.name, args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return self.cloud.invoke(args.token, args.args)


def plain(value: Any) -> Any:
    """``value`` with every wrapped Pulumi secret replaced by what it holds."""
    from pulumi.runtime.rpc import unwrap_rpc_secret

    value = unwrap_rpc_secret(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _usable_event_loop() -> None:
    """Pulumi drives the program on the thread's event loop; make sure there is an open one."""
    import asyncio

    try:
        closed = asyncio.get_event_loop_policy().get_event_loop().is_closed()
    except RuntimeError:  # none set on this thread (e.g. after asyncio.run)
        closed = True
    if closed:
        asyncio.set_event_loop(asyncio.new_event_loop())


def run_program(mocks: pulumi.runtime.Mocks, program: Callable[[], pulumi.Output[Any]], *,
                project: str = "attini-backend", stack: str = "emulated") -> Any:
    """Run ``program`` under ``mocks`` until every registration is done; return its output's value.

    The mock monitor registers resources asynchronously; ``pulumi.runtime.test`` is Pulumi's public
    way to pump the event loop until the program's output and every outstanding RPC have finished.
    """
    _usable_event_loop()
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False)
    result: dict = {}

    @pulumi.runtime.test
    def run():
        return pulumi.Output.from_input(program()).apply(lambda value: result.setdefault("value", value))

    run()
    return result.get("value")
