"""The CDK example: synth + deploy on a first run against a no-op rerun (target: the rerun >= 5x faster).

examples/cdk (a Python CDK app: a DynamoDB table stack and a Lambda function stack that depends on it, the
function's code a file asset) deployed to a local environment against a moto server on 127.0.0.1, through
``env.deploy`` (the whole deploy flow), in a fresh ATTINI_HOME each round (so the first run synthesises):

- first run: package, synthesise (aws-cdk-lib, Node's jsii runtime), publish the asset, create both stacks;
  the Diff approval the example asks for is answered by ``approve=True``
- no-op rerun: the same artifact again; the diff finds no change (no approval is asked) and the Cdk step's
  fingerprint equals its last run, so it is skipped without synthesising
- rerun_unchanged (the peer): the step runs again; the synthesis comes from the cache and every stack is
  found unchanged by its fingerprint tag, so nothing is deployed

Run: .venv/bin/python benchmarks/cdk.py [ROUNDS]
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cdk"


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main(rounds: int) -> None:
    import requests
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="eu-west-1", AWS_REGION="eu-west-1")
    import attini_sdk as at

    first, noop, forced = [], [], []
    try:
        for n in range(rounds):
            requests.post(f"{endpoint}/moto-api/reset", timeout=30)
            requests.post(f"{endpoint}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=30)
            work = Path(tempfile.mkdtemp(prefix="attini-bench-cdk-"))
            os.environ["ATTINI_HOME"] = str(work / "home")
            try:
                env = at.Environment.create("dev", home=work / "home")

                def first_run():
                    artifact = at.Distribution.from_path(EXAMPLE).package(work / "dist")
                    return artifact, env.deploy(artifact, approve=True)

                took, (artifact, deployment) = _timed(first_run)
                assert deployment.status == "succeeded", deployment.error
                first.append(took)
                took, again = _timed(lambda: env.deploy(artifact, approve=True))
                assert again.status == "succeeded" and "skipped" in set(again.steps["status"].astype(str))
                noop.append(took)
                took, rerun = _timed(lambda: env.deploy(artifact, approve=True, rerun_unchanged=True))
                assert rerun.status == "succeeded"
                forced.append(took)
                print(f"round {n + 1}: first {first[-1]:.2f} s, no-op {noop[-1]:.3f} s, "
                      f"rerun_unchanged {forced[-1]:.2f} s", flush=True)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    finally:
        server.stop()
    f, z, r = (statistics.median(x) for x in (first, noop, forced))
    print(f"\nmedian of {rounds}: first run (package + synth + deploy) {f:.2f} s | no-op rerun {z:.3f} s | "
          f"rerun_unchanged (cached synth, stacks unchanged) {r:.2f} s | first / no-op {f / z:.1f}x (target >= 5x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
