"""Two stacks: a DynamoDB table (Data) and a Python Lambda function that uses it (Api).

Api depends on Data (it imports the table's name), and its code is a file asset (handler/).
"""

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from constructs import Construct


class DataStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, **kwargs):
        super().__init__(scope, id, **kwargs)
        self.table = dynamodb.Table(self, "Items", partition_key=dynamodb.Attribute(
            name="id", type=dynamodb.AttributeType.STRING))
        cdk.CfnOutput(self, "TableName", value=self.table.table_name)


class ApiStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, *, table: dynamodb.Table, **kwargs):
        super().__init__(scope, id, **kwargs)
        greeting = cdk.CfnParameter(self, "Greeting", type="String", default="hello")  # StackConfiguration sets it
        handler = lambda_.Function(self, "Handler", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                                   code=lambda_.Code.from_asset("handler"),
                                   environment={"TABLE": table.table_name, "GREETING": greeting.value_as_string})
        table.grant_read_write_data(handler)
        cdk.CfnOutput(self, "FunctionName", value=handler.function_name)


app = cdk.App()
environment = app.node.try_get_context("environment") or "dev"
data = DataStack(app, "Data", stack_name=f"{environment}-inventory-data")
ApiStack(app, "Api", stack_name=f"{environment}-inventory-api", table=data.table)
app.synth()
