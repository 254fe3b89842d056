"""``python -m attini_sdk.runner``: the runner worker as the ECS task (and the emulation) runs it.

Finds the backend in the SSM parameter ``$ATTINI_BACKEND_PARAMETER`` (default ``/attini/backend``), then polls
``runner-jobs`` until idle for ``$ATTINI_RUNNER_IDLE_TTL_SECONDS`` (the contract's value by default)::

    python -m attini_sdk.runner --endpoint-url http://127.0.0.1:5000 --region eu-west-1 --max-jobs 4
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from pathlib import Path


def read_contract(session, parameter: str) -> dict:
    """The backend's contract from SSM (``/attini/backend``), as JSON."""
    try:
        from attini_sdk.backends.aws.discovery import discover  # written with the state store (aws-store)
    except ImportError:
        discover = None
    if discover is not None:
        try:
            return discover(session, parameter=parameter)
        except TypeError:
            pass
    value = session.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"]
    return json.loads(value)


def state_store(session, contract: dict):
    """The DynamoDB state store of the backend."""
    from attini_sdk.backends.aws.state import DynamoStateStore

    return DynamoStateStore.from_contract(session, contract)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m attini_sdk.runner", description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"),
                        help="an AWS endpoint (a moto server) instead of AWS")
    parser.add_argument("--region", default=None, help="AWS region (default: AWS_REGION)")
    parser.add_argument("--parameter", default=os.environ.get("ATTINI_BACKEND_PARAMETER", "/attini/backend"),
                        help="the SSM parameter holding the backend's contract")
    parser.add_argument("--max-jobs", type=int, default=_int_env("ATTINI_RUNNER_MAX_JOBS"),
                        help="jobs at once (default: the contract's runner.max_concurrent_jobs)")
    parser.add_argument("--idle-ttl", type=float, default=_int_env("ATTINI_RUNNER_IDLE_TTL_SECONDS"),
                        help="exit after this many idle seconds (default: the contract's runner.idle_ttl_seconds)")
    parser.add_argument("--cache-dir", default=os.environ.get("ATTINI_RUNNER_CACHE"),
                        help="where artifacts are extracted and steps work (default: a temporary folder)")
    parser.add_argument("--wait-time", type=int, default=None, help="SQS long-poll seconds (default 20)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("attini").setLevel(logging.INFO)

    from attini_sdk.backends.aws.session import AwsSession
    from attini_sdk.runner.worker import RunnerSettings, RunnerWorker
    from attini_sdk.steps.base import AwsSettings

    session = AwsSession(region=args.region, endpoint_url=args.endpoint_url)
    contract = read_contract(session, args.parameter)
    settings = RunnerSettings.from_contract(contract, max_jobs=args.max_jobs, idle_ttl_seconds=args.idle_ttl,
                                            wait_time_seconds=args.wait_time)
    cache = Path(args.cache_dir or tempfile.mkdtemp(prefix="attini-runner-"))
    worker = RunnerWorker(session, state_store(session, contract), contract, cache_dir=cache, settings=settings,
                          aws=AwsSettings(region=session.region, endpoint_url=args.endpoint_url))
    handled = worker.run()
    logging.getLogger("attini.runner").info("handled %d job(s)", handled)
    return 0


def _int_env(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


if __name__ == "__main__":
    sys.exit(main())
