"""``__main__.py``, the program `pulumi up` runs, reads the attini: config and exports the contract."""

from __future__ import annotations

import runpy
from pathlib import Path

import pulumi
from pulumi.runtime import set_all_config

from infra_pulumi import build
from infra_pulumi.mocks import RecordingMocks, run_program

PROGRAM = Path(__file__).resolve().parents[2] / "infra_pulumi" / "__main__.py"


def test_the_program_installs_the_configured_backend():
    set_all_config({"attini:runnerImage": "public.ecr.aws/attini/runner:2", "attini:namePrefix": "attini-test",
                    "attini:runnerMaxTasks": "4",
                    # a prepared layer folder: the program must not run pip under test
                    "attini:lambdaLayerPath": str(build.layer_directory())})
    mocks = RecordingMocks()
    try:
        contract = run_program(mocks, lambda: runpy.run_path(str(PROGRAM), run_name="__main__")["backend"].contract)
    finally:
        set_all_config({})
    outputs = pulumi.runtime.settings.get_root_resource().outputs

    assert contract["name_prefix"] == "attini-test"
    assert contract["artifact_bucket"] == "attini-test-artifacts-123456789012-eu-west-1"
    target = next(r for r in mocks.registered if r.typ == "aws:appautoscaling/target:Target")
    assert target.inputs["maxCapacity"] == 4
    assert {"contract", "artifact_bucket", "runner_jobs_queue_url"} <= set(outputs)
