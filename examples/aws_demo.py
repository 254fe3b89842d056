"""`make demo-aws`: the AWS backend, end to end, without an AWS account.

    python examples/aws_demo.py            # or: make demo-aws

What it does, every step through `Environment.aws` (and one `attini deploy continue`):

1. starts a moto server on 127.0.0.1 (a free port) and installs the backend into it with
   `infra_pulumi.emulate` (the same Pulumi program as `pulumi up`, each resource created in moto);
2. runs `attini_sdk.backends.aws.emulate`, which plays what moto cannot run: init-deploy's event source,
   finalize's EventBridge rule and the ECS runner service (the runner as a subprocess, `python -m
   attini_sdk.runner`);
3. creates environments dev (test) and prod (production) on the backend;
4. deploys examples/platform network -> database -> app to dev: each deploy uploads the artifact under
   deploy/, init-deploy starts a Step Functions execution of the lowered plan, the runner runs its steps;
5. promotes the same artifacts to prod, where the app waits for its ManualApproval until
   `attini deploy continue` approves it;
6. deploys a broken app 0.4.0 to dev (it fails) and rolls it back;
7. prints the inventory and the landscape.

It exits non-zero if any step does not end the way the demo expects.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
PLATFORM = EXAMPLES / "platform"
REGION = "eu-west-1"


class DemoFailed(Exception):
    """A step did not end as the demo expects."""


def say(text: str) -> None:
    on, off = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")
    print(f"\n{on}== {text}{off}", flush=True)


def expect(deployment, status: str) -> None:
    print(f"   {deployment.distribution} {deployment.record.version} in {deployment.environment}: "
          f"revision {deployment.revision}, {deployment.status}", flush=True)
    if deployment.status != status:
        raise DemoFailed(f"{deployment.distribution} ended {deployment.status} ({deployment.record.error}: "
                         f"{deployment.record.cause}), expected {status}")


def start_moto() -> tuple:
    import requests
    from moto.server import ThreadedMotoServer

    # moto answers a request that raced another with a 500 (and a traceback); the SDK retries it
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION, MOTO_PORT=str(port))
    os.environ.pop("AWS_PROFILE", None)
    requests.post(f"{endpoint}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=10)
    return server, endpoint


def broken_app(workdir: Path) -> Path:
    copy = workdir / "app-0.4.0"
    shutil.copytree(PLATFORM / "app", copy, ignore=shutil.ignore_patterns("attini_dist"))
    config = copy / "attini-config.yaml"
    config.write_text(re.sub(r"(?m)^version: .*$", "version: 0.4.0", config.read_text()))
    template = copy / "app.yaml"
    typo = "          LOG_LEVEL: !Ref LogLevel\n"
    text = template.read_text()
    if typo not in text:
        raise DemoFailed("examples/platform/app/app.yaml changed: the demo cannot break it the same way")
    template.write_text(text.replace(typo, typo + "          QUEUE_ARN: !GetAtt WorkQueu.Arn   # typo\n"))
    return copy


def walkthrough(endpoint: str, workdir: Path) -> None:
    import attini_sdk as at
    from attini_sdk.cli import main as attini

    say("Environments on the AWS backend: dev (test) and prod (production)")
    envs = {}
    for name, kind in (("dev", "test"), ("prod", "production")):
        envs[name] = at.Environment.create(name, type=kind, backend="aws", endpoint_url=endpoint, region=REGION)
        envs[name].parameters["DatabasePath"] = str(workdir / name / "items.db")
        print(f"   {name}: {envs[name].record.type}")

    say("Deploy network -> database -> app to dev (upload → init-deploy → Step Functions → runner → finalize)")
    artifacts = {}
    for name in ("network", "database", "app"):
        artifacts[name] = at.Distribution.from_path(PLATFORM / name).package(workdir / "dist" / name)
        expect(envs["dev"].deploy(artifacts[name]), "succeeded")

    say("Promote the same artifacts to prod; the app waits for its ManualApproval")
    for name in ("network", "database"):
        expect(envs["prod"].deploy(artifacts[name]), "succeeded")
    waiting = envs["prod"].deploy(artifacts["app"])
    expect(waiting, "waiting_approval")
    print("$ attini deploy continue -n app -e prod --step-name ApproveRelease -m 'approved in the demo'")
    if attini(["deploy", "continue", "-n", "app", "-e", "prod", "--step-name", "ApproveRelease",
               "-m", "approved in the demo"]) != 0:
        raise DemoFailed("attini deploy continue failed")
    expect(waiting.wait(), "succeeded")

    say("A broken app 0.4.0 fails in dev, and is rolled back")
    broken = at.Distribution.from_path(broken_app(workdir)).package(workdir / "dist" / "broken")
    expect(envs["dev"].deploy(broken), "failed")
    expect(envs["dev"].rollback("app"), "succeeded")

    say("What runs where (from DynamoDB)")
    print(envs["prod"].inventory()[["distribution", "version", "revision", "status"]].to_string(index=False))
    print()
    print(at.landscape(list(envs.values())).to_string(index=False))


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="attini-aws-demo-"))
    os.environ["ATTINI_HOME"] = str(workdir / "attini-home")
    server, endpoint = start_moto()
    emulator = None
    try:
        from infra_pulumi.emulate import install

        from attini_sdk.backends.aws.emulate import Emulator, enable_execution

        say(f"Install the backend into a moto server at {endpoint} (infra_pulumi.emulate)")
        enable_execution(endpoint)
        installation = install(endpoint, region=REGION, err=io.StringIO())
        print(f"   {len(installation.created)} resources created; contract in SSM /attini/backend")
        emulator = Emulator(endpoint, region=REGION, runner="subprocess", cache_dir=workdir / "runner").start()
        walkthrough(endpoint, workdir)
    except DemoFailed as err:
        print(f"\ndemo failed: {err}", file=sys.stderr)
        return 1
    finally:
        if emulator is not None:
            emulator.stop()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nDemo finished in {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
