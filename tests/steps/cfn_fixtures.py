"""Templates and moto helpers shared by the Cfn step tests."""

from __future__ import annotations

import io
import json
import zipfile

import boto3

from .conftest import REGION

ACCOUNT = "123456789012"

QUEUE_TEMPLATE = """\
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  QueueName: {Type: String}
  Message: {Type: String, Default: hello}
  Retention: {Type: String, Default: "345600"}
  AttiniEnvironmentName: {Type: String}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub ${AttiniEnvironmentName}-${QueueName}
      MessageRetentionPeriod: !Ref Retention
  Note:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub /${AttiniEnvironmentName}/${QueueName}/note
      Type: String
      Value: !Ref Message
Outputs:
  QueueUrl: {Value: !Ref Queue}
  QueueArn: {Value: !GetAtt Queue.Arn}
  NoteName: {Value: !Ref Note}
"""

CUSTOM_RESOURCE_TEMPLATE = """\
Resources:
  Waiting:
    Type: Custom::Slow
    Properties:
      ServiceToken: !Sub arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:slow
Outputs:
  Answer: {Value: !GetAtt Waiting.Answer}
"""


def cloudformation(region: str = REGION):
    return boto3.client("cloudformation", region_name=region)


def stack(name: str, region: str = REGION) -> dict:
    return cloudformation(region).describe_stacks(StackName=name)["Stacks"][0]


def moto_stack(name: str, *, account: str = ACCOUNT, region: str = REGION):
    """moto's own record of a stack, to arrange states moto cannot reach by itself."""
    from moto.cloudformation.models import cloudformation_backends

    return cloudformation_backends[account][region].get_stack(name)


def create_slow_function(region: str = REGION) -> None:
    """The Lambda a custom resource calls; moto never answers for it, so the stack waits."""
    role = boto3.client("iam", region_name=region).create_role(
        RoleName="slow-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    # moto's Lambda writes the (failed) invocation to this log group
    boto3.client("logs", region_name=region).create_log_group(logGroupName="/aws/lambda/slow")
    boto3.client("lambda", region_name=region).create_function(
        FunctionName="slow", Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
    )


def note(name: str, region: str = REGION) -> str:
    """The value of an SSM parameter a stack wrote."""
    return boto3.client("ssm", region_name=region).get_parameter(Name=name)["Parameter"]["Value"]
