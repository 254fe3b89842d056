"""`make demo`: the whole Attini workflow on one machine, through the `attini` CLI.

    python examples/demo.py            # or: make demo
    python examples/demo.py --keep     # keep the demo's ATTINI_HOME to explore it afterwards

What it does, printing every command as you would type it:

1. starts a moto server on 127.0.0.1 (a free port) as a stand-in for AWS: CloudFormation, Lambda, SSM,
   DynamoDB, SQS and IAM answer there. Deploying to real AWS is one environment variable away: do not set
   AWS_ENDPOINT_URL (and have credentials and a region), and the same commands talk to your account.
2. uses a fresh ATTINI_HOME in a temporary folder (printed), so your ~/.attini is not touched;
3. creates environments dev and acc (test) and prod (production);
4. packages and deploys examples/platform network -> database -> app to dev, then examples/sam (a SAM
   app) and examples/cdk (a Python CDK app with two stacks, behind a Diff approval) to dev;
5. promotes the very same artifacts, by distribution id, to acc;
6. deploys a broken app 0.4.0 (a typo in its template, built in a temporary copy) to acc, which fails;
7. shows the failure and rolls app back in acc;
8. promotes the platform to prod: production asks first (-f, as in Attini, answers it here); the app's plan
   pauses at its ManualApproval step until `attini deploy continue` approves it, from a fresh command;
9. prints the inventory and the landscape.

It exits non-zero if any step does not end the way the demo expects.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
PLATFORM = EXAMPLES / "platform"
REGION = "eu-north-1"


class DemoFailed(Exception):
    """A command did not end as the demo expects."""


def say(text: str) -> None:
    """A narration line (bold on a terminal)."""
    on, off = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")
    print(f"\n{on}== {text}{off}", flush=True)


def attini(*args: str, expect: int = 0, capture: bool = False) -> str:
    """Run one `attini` command in this process, echoing it; fail the demo on an unexpected exit code."""
    import contextlib
    import io

    from attini_sdk.cli import main

    print(f"$ attini {shlex.join(args)}", flush=True)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer) if capture else contextlib.nullcontext():
        code = main(list(args))
    if code != expect:
        raise DemoFailed(f"'attini {' '.join(args)}' exited {code}, expected {expect}")
    return buffer.getvalue()


def start_aws_stand_in():
    """A moto server on 127.0.0.1 and a free port; the environment points boto3 at it."""
    import logging

    import requests
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log lines in the demo's output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION)
    os.environ.pop("AWS_PROFILE", None)
    # moto runs no function code without Docker: Lambda invocations answer with their payload.
    requests.post(f"{endpoint}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=10)
    return server, endpoint


def broken_app(workdir: Path) -> Path:
    """A copy of the app, version 0.4.0, whose template refers to a resource that does not exist."""
    copy = workdir / "app-0.4.0"
    shutil.copytree(PLATFORM / "app", copy, ignore=shutil.ignore_patterns("attini_dist"))
    config = copy / "attini-config.yaml"
    config.write_text(re.sub(r"(?m)^version: .*$", "version: 0.4.0", config.read_text()))
    template = copy / "app.yaml"
    text = template.read_text()
    typo = "          LOG_LEVEL: !Ref LogLevel\n"
    if typo not in text:
        raise DemoFailed("examples/platform/app/app.yaml changed: the demo cannot break it the same way")
    template.write_text(text.replace(typo, typo + "          QUEUE_ARN: !GetAtt WorkQueu.Arn   # typo\n"))
    return copy


def current_ids(environment: str) -> dict[str, str]:
    """distribution -> current distribution id in ``environment``, read through `attini inventory --json`."""
    import json

    rows = json.loads(attini("inventory", "-e", environment, "--json", capture=True))
    return {row["distribution"]: row["distribution_id"] for row in rows}


def walkthrough(workdir: Path) -> None:
    """The demo proper: environments, deploys, promotion, a failure, a rollback, the views."""
    say("Environments: dev and acc for testing, prod for production")
    attini("environment", "create", "dev", "--env-type", "test")
    attini("environment", "create", "acc", "--env-type", "test")
    attini("environment", "create", "prod", "--env-type", "production")
    for env in ("dev", "acc", "prod"):  # keep the example's SQLite file inside the demo's folder
        attini("environment", "param", "set", "DatabasePath", str(workdir / env / "items.db"), "-e", env)
    attini("environment", "list")

    say("Package and deploy network -> database -> app to dev (each folder is packaged first)")
    for name in ("network", "database", "app"):
        attini("deploy", "run", str(PLATFORM / name), "-e", "dev")

    say("Serverless: a SAM app (AttiniSam) and a Python CDK app (AttiniCdk, two stacks) to dev")
    attini("deploy", "run", str(EXAMPLES / "sam"), "-e", "dev")
    attini("deploy", "run", str(EXAMPLES / "cdk"), "-e", "dev")  # Diff: a new stack waits for an approval
    attini("deploy", "continue", "-n", "cdk-inventory", "-e", "dev", "--step-name", "InfraApproveChanges",
           "-m", "two new stacks, approved in the demo")
    say("Deploy the CDK app again: nothing changed, so no approval is asked and the step is skipped")
    attini("deploy", "run", str(EXAMPLES / "cdk"), "-e", "dev")
    attini("deploy", "describe", "-n", "cdk-inventory", "-e", "dev")

    say("Promote the very same artifacts to acc, by distribution id")
    tested = current_ids("dev")
    for name in ("network", "database", "app"):
        attini("deploy", "run", tested[name], "-e", "acc")

    say("A broken app 0.4.0 (a typo in its template) goes to acc and fails")
    attini("deploy", "run", str(broken_app(workdir)), "-e", "acc", expect=1)
    attini("deploy", "history", "-n", "app", "-e", "acc")

    say("Roll app back in acc to its previous successful revision")
    attini("deploy", "rollback", "-n", "app", "-e", "acc")

    say("Promote to prod: production asks before each deploy (-f answers it here); app waits for approval")
    tested = current_ids("acc")
    for name in ("network", "database", "app"):
        attini("deploy", "run", tested[name], "-e", "prod", "-f")
    attini("deploy", "continue", "-n", "app", "-e", "prod", "--step-name", "ApproveRelease",
           "-m", "approved in the demo")

    say("What runs where")
    attini("inventory", "-e", "prod")
    attini("landscape")


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    keep = "--keep" in argv
    workdir = Path(tempfile.mkdtemp(prefix="attini-demo-"))
    os.environ["ATTINI_HOME"] = str(workdir / "attini-home")
    server, endpoint = start_aws_stand_in()
    print(f"AWS stand-in: a moto server at {endpoint} (AWS_ENDPOINT_URL). Nothing reaches AWS.\n"
          "  To deploy to real AWS instead, leave AWS_ENDPOINT_URL unset and use your usual credentials.\n"
          f"State: ATTINI_HOME={os.environ['ATTINI_HOME']} (a fresh temporary folder"
          f"{', kept' if keep else ', removed at the end; --keep keeps it'}).")
    try:
        walkthrough(workdir)
    except DemoFailed as err:
        print(f"\ndemo failed: {err}", file=sys.stderr)
        return 1
    finally:
        server.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nDemo finished in {time.perf_counter() - started:.1f} s.")
    if keep:
        print(f"Explore it: ATTINI_HOME={os.environ['ATTINI_HOME']} attini deploy history -e acc")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
