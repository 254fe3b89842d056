"""Per-step overhead: the same plan on the local backend and on the emulated AWS backend, side by side.

    python benchmarks/aws_overhead.py [--steps 10] [--runs 3]

A plan of N sequential Runner steps that run ``true`` is deployed to a local environment and to an
environment on the AWS backend installed into a moto server (``infra_pulumi.emulate``) and run by the
emulation (init-deploy, Step Functions on moto, the runner worker as a subprocess, finalize). Each run is timed
from the deploy call until the deployment is finished (as the SDK reports it); the per-step figure is
(run time) / N. One warm-up deployment per backend comes first (it starts the runner, fills caches).
What the AWS figure adds over the local one: the upload and init-deploy, one SQS round trip and one
SendTaskSuccess per step, finalize, and the SDK polling the table.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REGION = "eu-west-1"
# benchmarks/packaging.py would shadow the `packaging` distribution pulumi imports; the repository root instead
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE.parent)]


def plan(steps: int) -> dict:
    names = [f"Step{i:02d}" for i in range(1, steps + 1)]
    states = {}
    for i, name in enumerate(names):
        state = {"Type": "Task", "Resource": "attini:runner", "ResultPath": f"$.output.{name}",
                 "Parameters": {"Commands": ["true"]}}
        state.update({"Next": names[i + 1]} if i + 1 < len(names) else {"End": True})
        states[name] = state
    return {"StartAt": names[0], "States": states}


def package(workdir: Path, steps: int, version: str):
    import attrs
    import yaml

    import attini_sdk as at

    root = workdir / f"bench-{version}"
    root.mkdir(parents=True, exist_ok=True)
    (root / "attini-config.yaml").write_text(yaml.safe_dump({"distributionName": "bench", "version": version}))
    dist = attrs.evolve(at.Distribution.from_path(root), plan=plan(steps))
    return dist.package(workdir / "dist" / version)


def timed(env, artifact) -> float:
    started = time.perf_counter()
    deployment = env.deploy(artifact, rerun_unchanged=True)
    elapsed = time.perf_counter() - started
    if deployment.status != "succeeded":
        raise SystemExit(f"{env.name}: the deployment {deployment.status}: {deployment.record.error}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    import requests
    from moto.server import ThreadedMotoServer

    import attini_sdk as at
    from attini_sdk.backends.aws.emulate import Emulator, enable_execution
    from infra_pulumi.emulate import install

    workdir = Path(tempfile.mkdtemp(prefix="attini-aws-bench-"))
    os.environ["ATTINI_HOME"] = str(workdir / "home")
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION, MOTO_PORT=str(port))
    requests.post(f"{endpoint}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=10)
    enable_execution(endpoint)
    install(endpoint, region=REGION, err=io.StringIO())
    emulator = Emulator(endpoint, region=REGION, runner="subprocess", runner_idle_ttl=120,
                        cache_dir=workdir / "runner").start()
    try:
        local = at.Environment.create("bench-local", home=workdir / "home")
        aws = at.Environment.create("bench-aws", backend="aws", endpoint_url=endpoint, region=REGION)
        results = {}
        for label, env in (("local", local), ("aws (emulated)", aws)):
            timed(env, package(workdir, args.steps, "0.0.1"))  # warm-up
            runs = [timed(env, package(workdir, args.steps, f"1.0.{i}")) for i in range(args.runs)]
            results[label] = runs
        print(f"{args.steps} sequential Runner steps (`true`), {args.runs} runs each, after one warm-up; "
              f"cpus={os.cpu_count()}, load={os.getloadavg()[0]:.1f}")
        print("| backend | deployment (median) | per step | runs |")
        print("|---|---|---|---|")
        for label, runs in results.items():
            median = statistics.median(runs)
            print(f"| {label} | {median:.2f} s | {median / args.steps * 1000:.0f} ms | "
                  f"{', '.join(f'{r:.2f}' for r in runs)} |")
        ratio = statistics.median(results["aws (emulated)"]) / statistics.median(results["local"])
        print(f"emulated AWS / local: {ratio:.1f}x")
    finally:
        emulator.stop()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
