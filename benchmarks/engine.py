"""Benchmarks for the local ASL engine, measured side by side with moto's interpreter in one run.

    .venv/bin/python benchmarks/engine.py            # full sizes (about a minute)
    .venv/bin/python benchmarks/engine.py --quick    # smaller sizes

(a) a Pass/Choice counting loop: transitions per second, ours vs moto (same definition);
(b) a Map over 1,000 items, MaxConcurrency 100, each a Task sleeping 0.2 s: wall time vs the ideal 2 s;
(c) checkpointing to SQLite vs the in-memory store on (a).
Targets (issue 4): (a) >= 20,000 transitions/s and >= 20x moto; (b) <= 1.3x ideal; (c) <= 2x.

The engine runs with AWS's payload quota on (every output measured against 256 KiB) but with the
25,000-event history quota off for (a): its 20,003 transitions make 40,014 events, which Step
Functions itself would refuse (`--history-quota` keeps it on and runs a loop that fits instead).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from attini_sdk.asl import Engine, MemoryStore  # noqa: E402
from attini_sdk.backends.local.checkpoints import SqliteCheckpointStore  # noqa: E402

COUNTING_LOOP = {
    "Comment": "count from 0 to $.n: each round is one Choice and one Pass transition",
    "StartAt": "Init",
    "States": {
        "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThanPath": "$.n", "Next": "Inc"}],
                  "Default": "Done"},
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "$.n", "i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"},
    },
}

SLEEPY_MAP = {
    "StartAt": "Fan",
    "States": {"Fan": {"Type": "Map", "MaxConcurrency": 100, "ItemsPath": "$.items",
                       "ItemProcessor": {"StartAt": "Nap", "States": {
                           "Nap": {"Type": "Task", "Resource": "bench:sleep", "End": True}}},
                       "End": True}},
}


def transitions(n: int) -> int:
    """Transitions of COUNTING_LOOP for bound n: Init + n x (Check, Inc) + final Check + Done."""
    return 1 + 2 * n + 1 + 1


def run_ours(store, n: int, history_quota: bool = False) -> float:
    engine = Engine(store=store, **({} if history_quota else {"max_history_events": None}))
    started = time.perf_counter()
    execution = engine.start(COUNTING_LOOP, {"n": n}).wait()
    elapsed = time.perf_counter() - started
    assert execution.status == "SUCCEEDED" and execution.output["i"] == n, execution
    return elapsed


def run_moto(n: int) -> float:
    import boto3
    from moto import mock_aws

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions")
        arn = sfn.create_state_machine(name="loop", definition=json.dumps(COUNTING_LOOP),
                                       roleArn="arn:aws:iam::123456789012:role/sfn")["stateMachineArn"]
        started = time.perf_counter()
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"n": n}))["executionArn"]
        while True:
            status = sfn.describe_execution(executionArn=execution)["status"]
            if status != "RUNNING":
                break
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        assert status == "SUCCEEDED", status
    return elapsed


def best(fn, repeats: int) -> float:
    return min(fn() for _ in range(repeats))


def bench_loop(n: int, moto_n: int, repeats: int, history_quota: bool = False) -> dict:
    memory = best(lambda: run_ours(MemoryStore(), n, history_quota), repeats)
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1000))
        sqlite = best(lambda: run_ours(SqliteCheckpointStore(os.path.join(tmp, f"s{next(counter)}.db")), n,
                                       history_quota), repeats)
    moto = run_moto(moto_n)
    ours_rate = transitions(n) / memory
    moto_rate = transitions(moto_n) / moto
    return {"ours_tps": ours_rate, "moto_tps": moto_rate, "speedup_vs_moto": ours_rate / moto_rate,
            "sqlite_tps": transitions(n) / sqlite, "sqlite_overhead": sqlite / memory,
            "memory_s": memory, "sqlite_s": sqlite, "moto_s": moto, "n": n, "moto_n": moto_n}


def bench_map(items: int, seconds: float) -> dict:
    engine = Engine({"bench:sleep": lambda inv: time.sleep(seconds) or inv.input}, max_workers=100)
    started = time.perf_counter()
    execution = engine.start(SLEEPY_MAP, {"items": list(range(items))}).wait()
    elapsed = time.perf_counter() - started
    assert execution.status == "SUCCEEDED" and execution.output == list(range(items)), execution
    ideal = items / 100 * seconds
    return {"wall_s": elapsed, "ideal_s": ideal, "ratio": elapsed / ideal}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--history-quota", action="store_true",
                        help="keep the 25,000-event history quota on (the loop then counts to 6,248: 12,499 transitions)")
    args = parser.parse_args()
    n, moto_n, repeats = (2_000, 200, 1) if args.quick else (10_000, 1_000, 3)
    if args.history_quota:
        n = min(n, 6_248)  # 4n + 8 = 25,000 events: the longest loop the quota allows
    loop = bench_loop(n, moto_n, repeats, args.history_quota)
    print(f"(a) Pass/Choice loop: ours {loop['ours_tps']:,.0f} transitions/s ({transitions(n):,} transitions), "
          f"moto {loop['moto_tps']:,.0f} transitions/s ({transitions(moto_n):,} transitions): "
          f"{loop['speedup_vs_moto']:.0f}x  [target >= 20,000/s and >= 20x]")
    print(f"(c) SQLite checkpoints: {loop['sqlite_tps']:,.0f} transitions/s, "
          f"{loop['sqlite_overhead']:.2f}x the in-memory time  [target <= 2x]")
    items = 200 if args.quick else 1_000
    mapped = bench_map(items, 0.2)
    print(f"(b) Map {items:,} x 0.2 s at MaxConcurrency 100: {mapped['wall_s']:.2f} s, "
          f"{mapped['ratio']:.2f}x the ideal {mapped['ideal_s']:.1f} s  [target <= 1.3x]")
    rounded = {k: {f: round(v, 3) for f, v in d.items()} for k, d in {"loop": loop, "map": mapped}.items()}
    print(json.dumps(rounded))


if __name__ == "__main__":
    main()
