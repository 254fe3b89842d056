"""SAM templates deploy on endpoints without transforms by translating them client-side."""

from __future__ import annotations

import boto3
import pytest

from attini_sdk.errors import StepFailed
from attini_sdk.steps import cfn
from attini_sdk.steps.base import AwsSettings

from .cfn_fixtures import cloudformation, stack
from .conftest import REGION

pytestmark = pytest.mark.usefixtures("moto")

SAM_APP = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  AttiniEnvironmentName: {Type: String}
  Greeting: {Type: String}
Resources:
  Counters:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey: {Name: id, Type: String}
  Counter:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {"ok": True}
      Policies:
        - DynamoDBCrudPolicy: {TableName: !Ref Counters}
      Environment:
        Variables:
          TABLE: !Ref Counters
          GREETING: !Sub "${Greeting} from ${AttiniEnvironmentName}"
Outputs:
  FunctionName: {Value: !Ref Counter}
  TableName: {Value: !Ref Counters}
"""


def test_a_sam_function_and_table_deploy_on_moto(dist, ctx, log):
    dist.write("/app/template.yaml", SAM_APP)

    result = cfn.execute({"StackName": "dev-counter", "Template": "/app/template.yaml",
                          "Parameters": {"Greeting": "hej"}}, {}, ctx, step="Counter", log=log)

    function = boto3.client("lambda", region_name=REGION).get_function(FunctionName=result["FunctionName"])
    variables = function["Configuration"]["Environment"]["Variables"]
    assert variables == {"TABLE": result["TableName"], "GREETING": "hej from dev"}
    assert result["TableName"] in boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"]
    resources = cloudformation().describe_stack_resources(StackName="dev-counter")["StackResources"]
    assert {r["ResourceType"] for r in resources} >= {"AWS::Lambda::Function", "AWS::IAM::Role",
                                                      "AWS::DynamoDB::Table"}
    assert "translated the AWS::Serverless template client-side" in log.path.read_text()


@pytest.mark.filterwarnings("ignore:Tried to parse AWS")  # moto skips what it cannot expand
def test_against_aws_the_transform_is_left_to_cloudformation(dist, make_ctx, log):
    ctx = make_ctx(aws=AwsSettings(region=REGION, change_sets=False))  # no endpoint: real AWS rules
    dist.write("/app/template.yaml", SAM_APP)

    cfn.execute({"StackName": "dev-counter", "Template": "/app/template.yaml",
                 "Parameters": {"Greeting": "hej"}}, {}, ctx, step="Counter", log=log)

    sent = cloudformation().get_template(StackName="dev-counter")["TemplateBody"]
    assert "Transform: AWS::Serverless-2016-10-31" in sent
    assert "translated" not in log.path.read_text()
    assert stack("dev-counter")["StackName"] == "dev-counter"


def test_an_invalid_sam_resource_fails_with_the_translators_reason(dist, ctx, log):
    dist.write("/bad.yaml", "Transform: AWS::Serverless-2016-10-31\nResources:\n"
                            "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                            "      Runtime: python3.12\n")

    with pytest.raises(StepFailed) as failed:
        cfn.execute({"StackName": "bad", "Template": "/bad.yaml"}, {}, ctx, step="Bad", log=log)

    assert failed.value.error == "Cfn.TemplateError"
    assert "SAM template is invalid" in str(failed.value)
    assert "Fn" in str(failed.value)
