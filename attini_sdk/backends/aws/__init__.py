"""The AWS backend: S3 (artifacts), DynamoDB (state) and Step Functions (orchestration), found through the
SSM parameter ``/attini/backend`` that ``infra_pulumi`` writes (``docs/aws.md``).

Nothing here imports pandas at module level (the Lambda handlers run without it), and botocore/boto3 are
imported only when a client is first needed.
"""
