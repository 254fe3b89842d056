"""Cfn step: what "skip unchanged" saves. Prints, measured side by side in one run on moto:

- the first deploy of N stacks (``cfn.execute``: create)
- a no-change redeploy of N stacks (``cfn.execute``: describe, SSM, change detection, outputs)
- computing the same N steps' fingerprints (``cfn.fingerprint``: config chain, template digest)

Run: .venv/bin/python benchmarks/steps_cfn.py [N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-1")

TEMPLATE = """\
Parameters:
  Name: {Type: String}
  AttiniEnvironmentName: {Type: String}
Resources:
  Note:
    Type: AWS::SSM::Parameter
    Properties: {Name: !Sub "/${AttiniEnvironmentName}/${Name}", Type: String, Value: !Ref Name}
Outputs:
  NoteName: {Value: !Ref Note}
"""


def main(n: int) -> None:
    from moto import mock_aws

    from attini_sdk.steps import cfn
    from attini_sdk.steps.base import AwsSettings, DeploymentContext, StepLog

    with tempfile.TemporaryDirectory() as tmp, mock_aws():
        root = Path(tmp)
        (root / "dist" / "config").mkdir(parents=True)
        (root / "dist" / "note.yaml").write_text(TEMPLATE)
        (root / "dist" / "config" / "base.yaml").write_text("tags: {Team: core}\n")
        (root / "dist" / "config" / "note.yaml").write_text("extends: /config/base.yaml\ntemplate: /note.yaml\n")
        ctx = DeploymentContext(environment="dev", distribution_name="bench", source_dir=root / "dist",
                                work_dir=root / "work", log_dir=root / "logs",
                                aws=AwsSettings(region="eu-west-1", change_sets=False))
        steps = [{"StackName": f"note-{i}", "ConfigFile": "/config/note.yaml", "Parameters": {"Name": f"n{i}"}}
                 for i in range(n)]
        with StepLog(root / "logs" / "bench.log") as log:
            started = time.perf_counter()
            for props in steps:
                cfn.execute(props, {}, ctx, step="Note", log=log)
            first = time.perf_counter() - started
            started = time.perf_counter()
            for props in steps:
                cfn.execute(props, {}, ctx, step="Note", log=log)
            redeploy = time.perf_counter() - started
        started = time.perf_counter()
        for props in steps:
            cfn.fingerprint(props, ctx)
        fingerprint = time.perf_counter() - started
    print(f"{n} Cfn steps on in-process moto")
    print(f"  first deploy (execute):       {first * 1000:8.1f} ms  ({first / n * 1000:.2f} ms/step)")
    print(f"  no-change redeploy (execute): {redeploy * 1000:8.1f} ms  ({redeploy / n * 1000:.2f} ms/step)")
    print(f"  fingerprint:                  {fingerprint * 1000:8.1f} ms  ({fingerprint / n * 1000:.2f} ms/step)")
    print(f"  ratio first deploy / fingerprint: {first / fingerprint:6.1f}x")
    print(f"  ratio redeploy / fingerprint:     {redeploy / fingerprint:6.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
