"""History over 100,000 deployments: the AWS backend's DynamoDB store (on moto) vs the local SQLite store.

Synthesises one environment with 50 distributions x 2,000 revisions = 100,000 deployments into SQLite
(``benchmarks/inventory.py``'s synthesis) and copies them into moto's DynamoDB as the items the DynamoDB store
writes, then times the same questions through the same protocol methods and DataFrame builders:

- ``history(env, limit=50)``: the first page, what ``attini deploy history`` shows;
- ``history(env, distribution=X)``: one distribution's 2,000 revisions (GSI2 on DynamoDB);
- ``history(env)``: all 100,000 rows, paginated (1,000 items a page on DynamoDB);
- ``inventory(env)``: 50 rows.

moto runs in this process (``mock_aws``: no HTTP), so DynamoDB's numbers are moto's query cost plus botocore's
(de)serialisation, not a network round trip: against real DynamoDB each page adds a round trip (~5-10 ms in
region) and a page holds at most 1 MB.

    .venv/bin/python benchmarks/aws_history.py                      # 100,000 deployments
    .venv/bin/python benchmarks/aws_history.py --revisions 200      # 10,000, for a quick look
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

def copy_to_dynamo(sqlite, store, environment: str) -> float:
    """Write the SQLite store's deployments of ``environment`` into DynamoDB as the DynamoDB store keeps them
    (environment, deployments, artifacts and their uses, distribution pointers)."""
    from attini_sdk.backends.aws import items

    started = time.perf_counter()
    batch: list[dict] = []

    def put(item: dict) -> None:
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            flush()

    def flush() -> None:
        # straight into moto's model: writing 200,000 items through moto's HTTP layer would take longer than
        # everything measured; the queries timed below all go through the DynamoDB API
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        model = dynamodb_backends[DEFAULT_ACCOUNT_ID][store.session.region]
        for entry in batch:
            model.put_item(store.table, entry["PutRequest"]["Item"])
        batch.clear()

    put(items.environment_item(sqlite.get_environment(environment)))
    seen_artifacts = set()
    for record in sqlite.list_deployments(environment):
        put(items.deployment_item(record))
        if record.distribution_id not in seen_artifacts:
            seen_artifacts.add(record.distribution_id)
            put(items.artifact_item(record.distribution_id, record.distribution, record.version,
                                    recorded_us=items.to_us(record.started_at)))
        put(items.artifact_use_item(record.distribution_id, record.id, environment))
    inventory = sqlite.inventory_table(environment, arrays=False).data
    for dist, current, revision, last, last_revision in zip(
            inventory["distribution"], inventory["deployment_id"], inventory["revision"],
            inventory["last_deployment_id"], inventory["last_revision"]):
        put({**items.distribution_key(environment, dist), **items.encode({
            "environment": environment, "distribution": dist, "last_revision": last_revision, "last_id": last,
            "current_id": current, "current_revision": revision})})
    if batch:
        flush()
    return time.perf_counter() - started


def timed(fn, runs: int) -> tuple[float, int]:
    fn()  # warm-up
    times, rows = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        rows = len(fn())
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distributions", type=int, default=50)
    parser.add_argument("--revisions", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for name, value in (("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x"), ("AWS_DEFAULT_REGION", "eu-west-1")):
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)

    import moto
    import pandas as pd
    from moto import mock_aws

    from attini_sdk.backends.aws.session import AwsSession
    from attini_sdk.backends.aws.state import DynamoStateStore
    from attini_sdk.backends.local.state import SqliteStateStore
    from attini_sdk.deploy import frames
    from inventory import synthesise

    total = args.distributions * args.revisions
    with tempfile.TemporaryDirectory() as home, mock_aws():
        sqlite = SqliteStateStore.open(home)
        built_sqlite = synthesise(sqlite, 1, args.distributions, args.revisions)
        dynamo = DynamoStateStore.create(AwsSession(region="eu-west-1"), "attini-state")
        built_dynamo = copy_to_dynamo(sqlite, dynamo, "env-000")
        print(f"synthesised {total:,} deployments: SQLite {built_sqlite:.1f} s, DynamoDB (moto) {built_dynamo:.1f} s")
        print()
        queries = [
            ("history(env, limit=50)", lambda s: frames.history(s, "env-000", limit=50)),
            (f"history(env, one distribution: {args.revisions:,})",
             lambda s: frames.history(s, "env-000", distribution="dist-07")),
            (f"history(env: all {total:,}, paginated)", lambda s: frames.history(s, "env-000")),
            ("inventory(env)", lambda s: frames.inventory(s, "env-000")),
        ]
        print(f"{'query':44} {'SQLite ms':>10} {'DynamoDB ms':>12} {'ratio':>7}  rows")
        for label, query in queries:
            runs = 1 if "all" in label else args.runs
            local_ms, local_rows = timed(lambda: query(sqlite), runs)
            remote_ms, remote_rows = timed(lambda: query(dynamo), runs)
            assert local_rows == remote_rows, (label, local_rows, remote_rows)
            print(f"{label:44} {local_ms:10.1f} {remote_ms:12.1f} {remote_ms / local_ms:6.0f}x  {remote_rows:,}")
        # the same frame from both: the first page, values equal
        a = frames.history(sqlite, "env-000", limit=50).drop(columns=["deployment_id"])
        b = frames.history(dynamo, "env-000", limit=50).drop(columns=["deployment_id"])
        pd.testing.assert_frame_equal(a, b, check_categorical=False)
        print()
        print(f"python {sys.version.split()[0]}, moto {moto.__version__}, pandas {pd.__version__}, "
              f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f}; medians of {args.runs} runs "
              "(1 for the full history) after a warm-up; first pages equal in both stores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
