"""``python -m attini_sdk.backends.aws.emulate --endpoint-url URL``: play what moto cannot run.

moto stores Lambda functions, ECS services and EventBridge rules but runs none of them. After
``python -m infra_pulumi.emulate`` has installed the backend into a moto server, this process stands in for
them, with the very same code:

- **the SQS event source of init-deploy**: it long-polls ``deploy-events`` and hands each message to
  :func:`~attini_sdk.backends.aws.handlers.init_deploy.process_message`, deleting it when handled (a failure
  leaves it for another try, and the DLQ after five, as the event source mapping would);
- **the EventBridge rule of finalize**: it lists the executions of the ``<prefix>*`` state machines and calls
  :func:`~attini_sdk.backends.aws.handlers.finalize.finalize_execution` for each that ended;
- **the ECS runner service**: it keeps a runner worker (``python -m attini_sdk.runner``) running as a
  subprocess while jobs wait, and lets it exit when idle, as the scaling policy would.

::

    moto_server -p 5000 &
    python -m infra_pulumi.emulate --endpoint-url http://127.0.0.1:5000 > contract.json
    python -m attini_sdk.backends.aws.emulate --endpoint-url http://127.0.0.1:5000 &
    attini --backend aws --endpoint-url http://127.0.0.1:5000 deploy run examples/platform/network -e dev

From Python (tests, the demo): ``with Emulator(endpoint_url): ...`` runs it in a thread of this process.
moto needs Step Functions execution switched on (``{"stepfunctions": {"execute_state_machine": true}}`` on
``/moto-api/config``); :func:`enable_execution` does that and the command does it at start.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

__all__ = ["Emulator", "enable_execution", "main"]

log = logging.getLogger("attini.emulate")


def enable_execution(endpoint_url: str) -> None:
    """Tell a moto server to execute state machines (it only records them otherwise)."""
    import urllib.request

    request = urllib.request.Request(f"{endpoint_url.rstrip('/')}/moto-api/config", method="POST",
                                     data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30):
        pass


class Emulator:
    """init-deploy's event source, finalize's rule and the runner service, for one backend on ``endpoint_url``.

    ``runner``: ``"subprocess"`` (like ECS: ``python -m attini_sdk.runner``), ``"thread"`` (a worker in this
    process, cheaper in tests) or None (no runner; run one yourself).
    """

    def __init__(self, endpoint_url: str, *, region: str | None = None, parameter: str = "/attini/backend",
                 runner: str | None = "subprocess", poll_seconds: float = 0.1, runner_idle_ttl: float = 30.0,
                 cache_dir: str | Path | None = None):
        from attini_sdk.backends.aws.handlers import backend_from_environment
        from attini_sdk.backends.aws.session import AwsSession

        self.endpoint_url = endpoint_url
        self.region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
        self.parameter = parameter
        self.session = AwsSession(region=self.region, endpoint_url=endpoint_url)
        _, self.contract, self.state = _backend(self.session, parameter, backend_from_environment)
        self.runner_mode = runner
        self.poll_seconds = poll_seconds
        self.runner_idle_ttl = runner_idle_ttl
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._finalized: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._runner_process: subprocess.Popen | None = None
        self._runner_thread: threading.Thread | None = None
        self.handled: list = []

    # -- one pass of each role ------------------------------------------------------------------------------

    def deliver_uploads(self) -> int:
        """init-deploy's event source: hand every waiting ``deploy-events`` message to the handler."""
        from attini_sdk.backends.aws.handlers.init_deploy import process_message

        sqs = self.session.client("sqs")
        queue = self.contract["deploy_events_queue_url"]
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                       VisibilityTimeout=60).get("Messages", [])
        for message in messages:
            try:
                self.handled.extend(process_message(self.session, self.contract, self.state, message["Body"]))
            except Exception:
                log.exception("init-deploy failed; the message returns to the queue")
                continue
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def finalize_ended(self) -> int:
        """finalize's rule: every ended execution of this backend's state machines, once."""
        from attini_sdk.backends.aws.handlers.finalize import finalize_execution

        sfn = self.session.client("stepfunctions")
        prefix = self.contract.get("state_machine_prefix", "attini-")
        done = 0
        for machine in _paged(sfn, "list_state_machines", "stateMachines"):
            if not machine["name"].startswith(prefix):
                continue
            for execution in _paged(sfn, "list_executions", "executions", stateMachineArn=machine["stateMachineArn"]):
                arn = execution["executionArn"]
                if execution["status"] == "RUNNING" or arn in self._finalized:
                    continue
                try:
                    finalize_execution(self.state, self.session, arn)
                except Exception:
                    log.exception("finalize failed for %s; trying again", arn)
                    continue
                self._finalized.add(arn)
                done += 1
        return done

    def keep_runner(self) -> None:
        """The runner service: a worker runs while jobs wait (started again after it exited idle)."""
        if self.runner_mode is None:
            return
        if self.runner_mode == "thread":
            if self._runner_thread is None or not self._runner_thread.is_alive():
                if self._jobs_waiting():
                    self._runner_thread = threading.Thread(target=self._run_worker, daemon=True, name="runner")
                    self._runner_thread.start()
            return
        if self._runner_process is not None and self._runner_process.poll() is None:
            return
        if self._jobs_waiting():
            self._runner_process = subprocess.Popen(
                [sys.executable, "-m", "attini_sdk.runner", "--endpoint-url", self.endpoint_url, "--region",
                 self.region, "--parameter", self.parameter, "--idle-ttl", str(self.runner_idle_ttl),
                 "--wait-time", "1"] + (["--cache-dir", str(self.cache_dir)] if self.cache_dir else []),
                env={**os.environ, "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region,
                     "ATTINI_BACKEND_PARAMETER": self.parameter})
            log.info("runner started (pid %s)", self._runner_process.pid)

    def _run_worker(self) -> None:
        import tempfile

        from attini_sdk.runner import worker as runner
        from attini_sdk.steps.base import AwsSettings

        settings = runner.RunnerSettings.from_contract(self.contract, idle_ttl_seconds=self.runner_idle_ttl,
                                                       wait_time_seconds=1)
        cache = self.cache_dir or Path(tempfile.mkdtemp(prefix="attini-runner-"))
        runner.RunnerWorker(self.session, self.state, self.contract, cache_dir=cache, settings=settings,
                            aws=AwsSettings(region=self.region, endpoint_url=self.endpoint_url)).run(stop=self._stop)

    def _jobs_waiting(self) -> bool:
        attributes = self.session.client("sqs").get_queue_attributes(
            QueueUrl=self.contract["runner_jobs_queue_url"], AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"].get("ApproximateNumberOfMessages", 0)) > 0

    def step(self) -> None:
        """One pass of every role."""
        self.deliver_uploads()
        self.keep_runner()
        self.finalize_ended()

    # -- running --------------------------------------------------------------------------------------------

    def run(self) -> None:
        """Until :meth:`stop` (or Ctrl-C)."""
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:
                log.exception("emulation pass failed; going on")
            self._stop.wait(self.poll_seconds)

    def start(self) -> Emulator:
        self._thread = threading.Thread(target=self.run, daemon=True, name="attini-emulate")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._runner_thread is not None:
            self._runner_thread.join()
        if self._runner_process is not None and self._runner_process.poll() is None:
            self._runner_process.terminate()
            try:
                self._runner_process.wait(10)
            except subprocess.TimeoutExpired:
                self._runner_process.kill()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _backend(session, parameter, backend_from_environment):
    # the parameter is passed, never put in os.environ: the emulation runs in threads beside other work
    # (tests, the demo) whose subprocesses would inherit it
    return backend_from_environment(session, parameter)


def _paged(client, operation: str, key: str, **kwargs):
    token = None
    while True:
        page = getattr(client, operation)(**kwargs, **({"nextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("nextToken")
        if not token:
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m attini_sdk.backends.aws.emulate",
                                     description="Play init-deploy, finalize and the runner for a backend on moto.")
    parser.add_argument("--endpoint-url", required=True, help="the moto server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--region", default=None, help="AWS region (default: AWS_REGION or eu-west-1)")
    parser.add_argument("--parameter", default="/attini/backend", help="the SSM parameter of the contract")
    parser.add_argument("--no-runner", action="store_true", help="do not start runner workers")
    parser.add_argument("--runner-idle-ttl", type=float, default=60.0, help="idle seconds before a runner exits")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("attini").setLevel(logging.INFO)
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        os.environ.setdefault(name, value)
    enable_execution(args.endpoint_url)
    emulator = Emulator(args.endpoint_url, region=args.region, parameter=args.parameter,
                        runner=None if args.no_runner else "subprocess", runner_idle_ttl=args.runner_idle_ttl)
    print(f"emulating init-deploy, finalize and the runner for {args.endpoint_url}; Ctrl-C stops", file=sys.stderr)
    try:
        emulator.run()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
