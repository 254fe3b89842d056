"""`make demo` end to end: a real process, its own moto server, a fresh ATTINI_HOME; every stage shows."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ATTINI_"))}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Run the demo once (with --keep, so its ATTINI_HOME can be inspected); remove what it kept after."""
    result = subprocess.run([sys.executable, str(DEMO), "--keep"], capture_output=True, text=True,
                            env=CLEAN_ENV, cwd=tmp_path_factory.mktemp("demo"), timeout=900)
    kept = re.search(r"ATTINI_HOME=(\S+) \(a fresh temporary folder, kept\)", result.stdout)
    yield result, Path(kept.group(1)) if kept else None
    if kept:
        shutil.rmtree(Path(kept.group(1)).parent, ignore_errors=True)


def inventory(home: Path, env: str) -> dict[str, dict]:
    out = subprocess.run([sys.executable, "-m", "attini_sdk", "inventory", "-e", env, "--json"], capture_output=True,
                         text=True, env={**CLEAN_ENV, "ATTINI_HOME": str(home)}, check=True).stdout
    return {row["distribution"]: row for row in json.loads(out)}


def test_the_demo_says_what_stands_in_for_aws_and_where_its_state_is(demo):
    result, home = demo

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"AWS stand-in: a moto server at http://127\.0\.0\.1:\d+ \(AWS_ENDPOINT_URL\)", result.stdout)
    assert "leave AWS_ENDPOINT_URL unset" in result.stdout
    assert (home / "state.db").is_file()
    assert re.search(r"Demo finished in \d+\.\d s\.", result.stdout)


def test_the_demo_deploys_promotes_fails_rolls_back_and_approves(demo):
    result, _ = demo
    out = result.stdout

    for env_name, kind in (("dev", "test"), ("acc", "test"), ("prod", "production")):
        assert f"Created {kind} environment {env_name}" in out
    for name, version in (("network", "1.0.0"), ("database", "1.2.0"), ("app", "0.3.0")):
        assert f"$ attini deploy run {DEMO.parent / 'platform' / name} -e dev" in out
        assert f"{name} {version} → dev: revision 1 succeeded" in out
        assert f"{name} {version} → acc: revision 1 succeeded" in out
    assert "app 0.4.0 → acc: revision 2 failed" in out
    assert "app 0.4.0 failed at step 'App'" in result.stderr and "WorkQueu" in result.stderr
    assert "app 0.3.0 → acc: revision 3 (Rollback to 1) succeeded" in out
    assert "Waiting for approval at step ApproveRelease" in out
    assert "app 0.3.0 → prod: revision 1 succeeded" in out
    landscape = out[out.index("$ attini landscape"):]
    assert all(word in landscape for word in ("network", "database", "app", "dev", "acc", "prod"))


def test_the_demo_deploys_a_sam_app_and_a_cdk_app_whose_rerun_asks_nothing(demo):
    result, home = demo
    out = result.stdout

    assert "sam-counter 1.0.0 → dev: revision 1 succeeded" in out
    assert "Waiting for approval at step InfraApproveChanges" in out
    assert "cdk-inventory 1.0.0 → dev: revision 1 succeeded" in out
    rerun = out[out.index("Deploy the CDK app again"):]
    assert "cdk-inventory 1.0.0 → dev: revision 2 succeeded" in rerun
    assert "Infra (AttiniCdk) skipped" in rerun and "InfraApproveChanges " not in rerun.split("$ attini deploy describe")[0]
    dev = inventory(home, "dev")
    assert dev["sam-counter"]["status"] == dev["cdk-inventory"]["status"] == "succeeded"


def test_what_the_demo_leaves_is_the_same_artifacts_everywhere(demo):
    _, home = demo

    dev, acc, prod = (inventory(home, env) for env in ("dev", "acc", "prod"))

    assert (acc["app"]["version"], acc["app"]["revision"], acc["app"]["last_revision"]) == ("0.3.0", 3, 3)
    for name in ("network", "database", "app"):
        assert dev[name]["distribution_id"] == acc[name]["distribution_id"] == prod[name]["distribution_id"]
