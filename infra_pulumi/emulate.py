"""Install the backend into a moto server: the same component `pulumi up` runs, without the Pulumi CLI.

    python -m infra_pulumi.emulate --endpoint-url http://127.0.0.1:5000 [--region eu-west-1] [--name-prefix attini]

The program runs in-process under ``pulumi.runtime.set_mocks``; the mocks *create* each resource
in the endpoint through boto3 (:mod:`infra_pulumi.emulated_cloud`) and answer with the ids and ARNs
the endpoint gave, so the resources wired together afterwards are those `pulumi up` creates. The
contract (what ``/attini/backend`` holds) is printed as JSON on stdout; what the endpoint cannot
create is named on stderr (``skip ...``) and the contract still comes out. Running it twice
against one endpoint reuses what exists.

From Python::

    from infra_pulumi.emulate import install
    result = install("http://127.0.0.1:5000", region="eu-west-1")
    result.contract["artifact_bucket"]
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

import attrs

__all__ = ["install", "Installation", "main", "EMULATED_RUNNER_IMAGE"]

EMULATED_RUNNER_IMAGE = "attini-runner:emulated"


@attrs.frozen
class Installation:
    """What an emulated install produced: the contract, and what was created or skipped."""

    contract: dict
    created: tuple[str, ...]
    skipped: tuple[str, ...]
    notes: tuple[str, ...]


def install(endpoint_url: str, *, region: str = "eu-west-1", name_prefix: str = "attini",
            runner_image: str = EMULATED_RUNNER_IMAGE, err: TextIO | None = None) -> Installation:
    """Run :class:`~infra_pulumi.component.AttiniBackend` against ``endpoint_url``; return the result."""
    from .emulated_cloud import EmulatedCloud

    err = err or sys.stderr
    api = EmulatedCloud(endpoint_url, region)
    account = _reachable_account(api)  # before the heavy imports: a wrong URL fails fast

    from . import build
    from .component import AttiniBackend, AttiniBackendArgs
    from .mocks import run_program

    args = AttiniBackendArgs(name_prefix=name_prefix, runner_image=runner_image,
                             lambda_layer_path=str(build.layer_directory()))
    mocks = _moto_mocks(api, account, err)
    contract = run_program(mocks, lambda: AttiniBackend(name_prefix, args).contract, stack=f"emulated-{region}")
    for note in dict.fromkeys(api.notes):
        print(f"note: {note}", file=err)
    print(f"emulated install: {len(mocks.created)} resources created or reused, {len(mocks.skipped)} skipped",
          file=err)
    return Installation(contract=contract, created=tuple(mocks.created), skipped=tuple(mocks.skipped),
                        notes=tuple(dict.fromkeys(api.notes)))


def _reachable_account(api) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return api.account()
    except (BotoCoreError, ClientError) as exc:
        from attini_sdk.errors import BackendError

        raise BackendError(f"cannot reach an AWS endpoint at {api.endpoint_url}: {exc}", where="--endpoint-url",
                           hint="start a moto server first, e.g. `moto_server -p 5000`, and pass its URL") from exc


def _moto_mocks(api, account: str, err: TextIO):
    """Mocks whose registrations create the resource in ``api`` (built lazily: pulumi is heavy)."""
    from botocore.exceptions import ClientError

    from .emulated_cloud import Unsupported
    from .mocks import FakeCloud, RecordingMocks

    class MotoMocks(RecordingMocks):
        def __init__(self):
            super().__init__(FakeCloud(account=account, region=api.region))
            self.created: list[str] = []
            self.skipped: list[str] = []

        def create(self, args):
            ident, state = super().create(args)  # what the provider computes; real values override
            try:
                real = api.create(args.typ, args.inputs) or {}
            except (Unsupported, ClientError) as exc:
                self.skipped.append(f"{args.typ} {args.name}")
                print(f"skip {args.typ} {args.name}: {_reason(exc)}", file=err)
                return ident, state
            self.created.append(f"{args.typ} {args.name}")
            state.update(real)
            return real.get("id", ident), state

        def call(self, args):
            if args.token == "aws:ec2/getVpc:getVpc":
                return api.default_vpc()
            if args.token == "aws:ec2/getSubnets:getSubnets":
                return api.subnets(args.args.get("filters"))
            return super().call(args)

    return MotoMocks()


def _reason(exc: Exception) -> str:
    error = getattr(exc, "response", {}).get("Error", {})
    if error:
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    return str(exc)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra_pulumi.emulate",
                                     description="Install the attini AWS backend into a moto server and "
                                                 "print its contract (/attini/backend) as JSON.")
    parser.add_argument("--endpoint-url", required=True, help="the moto server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--region", default="eu-west-1", help="AWS region to install into (default: eu-west-1)")
    parser.add_argument("--name-prefix", default="attini", help="prefix of every resource name (default: attini)")
    parser.add_argument("--runner-image", default=EMULATED_RUNNER_IMAGE,
                        help="image named in the runner task definition (nothing pulls it in emulation)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    from attini_sdk.errors import AttiniError

    try:
        result = install(options.endpoint_url, region=options.region, name_prefix=options.name_prefix,
                         runner_image=options.runner_image)
    except AttiniError as exc:
        if options.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    json.dump(result.contract, sys.stdout, indent=2, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
