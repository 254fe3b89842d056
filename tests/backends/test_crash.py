"""kill -9 a deployer mid transaction, mid deployment and at random points: the store stays consistent,
the deployment can be marked interrupted, and the lock recovered."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from attini_sdk.backends.local.state import SqliteStateStore
from attini_sdk.errors import LockError

from . import deployer_process

SCRIPT = str(Path(deployer_process.__file__))


@pytest.fixture
def live(home):
    """A store on the real clock (the killed processes use it too) with environment dev."""
    with SqliteStateStore.open(home) as store:
        store.create_environment("dev")
        yield store


def _spawn(home, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, SCRIPT, str(home), "dev", *map(str, args)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


def test_a_deployer_killed_inside_its_transaction_leaves_no_trace(live, home, tmp_path):
    proc = _spawn(home, "pause-in-transaction", "app", tmp_path)
    deployer_process._wait_for(tmp_path / "in-transaction")
    # while it sits in its transaction, others see only what it committed
    assert [d.revision for d in live.list_deployments("dev")] == [2, 1]

    _kill(proc)

    assert live.integrity_check() == ["ok"]
    assert [d.revision for d in live.list_deployments("dev")] == [2, 1]
    assert live.get_lock("dev", "app") is None
    assert live.latest_deployment("dev", "app").revision == 2
    d, lock = live.start_deployment("dev", "app", distribution_id="sha256:app-2", version="1.0.2")
    assert d.revision == 3


@pytest.fixture
def held(live, home, tmp_path):
    """A deployer killed while its deployment runs (stuck in a step), with the lock in hand."""
    proc = _spawn(home, "hold", "database", tmp_path)
    deployer_process._wait_for(tmp_path / "holding.json")
    deployment_id = json.loads((tmp_path / "holding.json").read_text())["deployment_id"]
    _kill(proc)
    return deployment_id


def test_a_killed_deployers_lock_is_reported_stale_but_never_taken_silently(live, held):
    lock = live.get_lock("dev", "database")
    assert lock.deployment_id == held
    assert "is not running on this host" in live.lock_stale_reason(lock)

    with pytest.raises(LockError) as info:
        live.start_deployment("dev", "database", distribution_id="sha256:db-4", version="4.0.0")
    assert "looks dead" in str(info.value) and "attini deploy unlock -e dev -n database" in info.value.cli_hint
    assert live.get_deployment(held).status == "running"  # nothing changed by merely looking
    assert live.integrity_check() == ["ok"]


def test_after_a_crash_the_deployment_is_interrupted_and_resumed(live, held):
    [interrupted] = live.mark_interrupted("dev")
    assert interrupted.id == held and interrupted.status == "interrupted"
    [step] = live.step_runs(held)
    assert step.status == "running"

    lock = live.claim_lock(held)  # `attini deploy resume` in a new process
    live.set_deployment_status(held, "running")
    live.finish_step_run(step.id, "succeeded", output={"TableName": "orders"})
    done = live.finish_deployment(held, "succeeded", lock=lock)

    assert done.status == "succeeded" and live.current_deployment("dev", "database").id == held
    assert live.get_lock("dev", "database") is None
    assert live.integrity_check() == ["ok"]


def test_after_a_crash_an_operator_unlocks_and_deploys_again(live, held):
    removed = live.unlock("dev", "database")
    assert removed.deployment_id == held
    assert live.get_deployment(held).status == "interrupted"
    d, lock = live.start_deployment("dev", "database", distribution_id="sha256:db-4", version="4.0.0")
    assert d.revision == 2
    assert live.integrity_check() == ["ok"]


@pytest.mark.slow
def test_kills_at_random_points_never_corrupt_the_store_or_lose_a_revision(live, home):
    rng = random.Random(20261127)
    for _ in range(6):
        before = _revision(live)
        proc = _spawn(home, "churn", "app")
        deadline = time.monotonic() + 60
        while _revision(live) <= before + 1 and time.monotonic() < deadline:  # it is up and deploying
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.3))  # somewhere in the middle of some deployment or transaction
        _kill(proc)

        assert live.integrity_check() == ["ok"]
        revisions = sorted(d.revision for d in live.list_deployments("dev", distribution="app"))
        assert revisions == list(range(1, len(revisions) + 1))  # no gaps, no duplicates
        unfinished = [d for d in live.list_deployments("dev", distribution="app") if d.active]
        assert len(unfinished) <= 1
        live.mark_interrupted("dev")
        live.unlock("dev", "app")  # the explicit recovery an operator runs
        assert live.get_lock("dev", "app") is None
        assert all(d.finished or d.status == "interrupted" for d in live.list_deployments("dev"))
    assert len(live.list_deployments("dev")) > 12


def _revision(store) -> int:
    latest = store.latest_deployment("dev", "app")
    return latest.revision if latest else 0
