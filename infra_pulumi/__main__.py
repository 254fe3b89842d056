"""The Pulumi program: `pulumi up` in this folder installs the attini AWS backend.

Reads the ``attini:*`` config (see README.md), builds the Lambda dependency layer with pip unless
``attini:lambdaLayerPath`` points at one, creates :class:`AttiniBackend` and exports the contract
(every key on its own, and the whole object as ``contract``).
"""

import sys
from pathlib import Path

# Pulumi runs this file from infra_pulumi/; the repository root holds the package and attini_sdk.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import attrs  # noqa: E402
import pulumi  # noqa: E402

from infra_pulumi import build, contract  # noqa: E402
from infra_pulumi.component import AttiniBackend, AttiniBackendArgs  # noqa: E402

args = AttiniBackendArgs.from_config(pulumi.Config("attini"))
if args.lambda_layer_path is None:
    args = attrs.evolve(args, lambda_layer_path=build.dependency_layer())

backend = AttiniBackend(args.name_prefix, args)
pulumi.export("contract", backend.contract)
for key in contract.SCHEMA:
    pulumi.export(key, backend.contract.apply(lambda value, key=key: value[key]))
