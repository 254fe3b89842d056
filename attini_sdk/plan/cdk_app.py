"""Synthesise the ``aws_cdk.App`` a Python plan gave ``Cdk(app=...)``: ``python -m attini_sdk.plan.cdk_app PLAN STEP``.

The Cdk step runs this as the app's command, in a copy of the plan module's folder, with ``CDK_OUTDIR``
set (as ``cdk synth`` would run ``python app.py``). It runs the plan module, finds the App the step
named ``STEP`` was given, and synthesises it into ``CDK_OUTDIR``::

    python -m attini_sdk.plan.cdk_app deployment_plan.py Infra
"""

from __future__ import annotations

import os
import runpy
import shutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run the plan module ``argv[0]`` and synthesise the App of step ``argv[1]``; the exit code."""
    if len(argv) != 2:
        print("usage: python -m attini_sdk.plan.cdk_app PLAN_MODULE STEP_NAME", file=sys.stderr)
        return 2
    module, step = argv
    from attini_sdk.plan.steps import _CDK_APPS

    sys.path.insert(0, str(Path(module).resolve().parent))
    runpy.run_path(module, run_name="attini_plan")
    app = _CDK_APPS.get(step)
    if app is None:
        print(f"{module} built no Cdk step named '{step}' with an aws_cdk.App", file=sys.stderr)
        return 1
    assembly = app.synth()
    wanted = os.environ.get("CDK_OUTDIR")
    if wanted and Path(assembly.directory).resolve() != Path(wanted).resolve():
        shutil.copytree(assembly.directory, wanted, dirs_exist_ok=True)  # the App was given its own outdir
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
