"""The (environment, distribution) lock: heartbeats, staleness, explicit recovery, parking for approvals."""

from __future__ import annotations

import subprocess
import sys

import pytest

from attini_sdk.errors import ConflictError, LockError


@pytest.fixture
def dev(store):
    store.create_environment("dev")
    return "dev"


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _hand_lock_to(store, lock, pid):
    # as if another process on this host had taken it
    store._conn().execute("UPDATE locks SET pid = ? WHERE owner = ?", (pid, lock.owner))


def test_a_live_lock_is_not_stale_and_heartbeats_extend_it(store, dev, clock):
    _, lock = store.start_deployment(dev, "app", distribution_id="sha256:a", version="1.0.0", lock_ttl=60)
    assert store.lock_stale_reason(lock) is None
    clock.advance(50)
    beat = store.heartbeat(lock, ttl=60)
    clock.advance(50)  # 100 s after start, but only 50 s after the heartbeat
    assert store.lock_stale_reason(beat) is None
    assert beat.expires_at > lock.expires_at


def test_an_expired_heartbeat_makes_the_lock_stale_but_it_is_never_stolen(store, dev, clock):
    store.start_deployment(dev, "app", distribution_id="sha256:a", version="1.0.0", lock_ttl=60)
    clock.advance(61)
    lock = store.get_lock(dev, "app")
    assert "heartbeat expired" in store.lock_stale_reason(lock)

    with pytest.raises(LockError) as info:
        store.start_deployment(dev, "app", distribution_id="sha256:b", version="1.1.0")
    assert "looks dead" in str(info.value) and "heartbeat expired" in str(info.value)
    assert "attini deploy unlock -e dev -n app" in info.value.cli_hint and "env.unlock('app')" in info.value.hint
    assert info.value.stale


def test_a_dead_holder_on_this_host_makes_the_lock_stale(store, dev):
    _, lock = store.start_deployment(dev, "app", distribution_id="sha256:a", version="1.0.0")
    pid = _dead_pid()
    _hand_lock_to(store, lock, pid)
    assert store.lock_stale_reason(store.get_lock(dev, "app")) == f"its process (pid {pid}) is not running on this host"


def test_unlock_refuses_a_live_lock_unless_forced(store, dev):
    d, lock = store.start_deployment(dev, "app", distribution_id="sha256:a", version="1.0.0")
    with pytest.raises(LockError) as info:
        store.unlock(dev, "app")
    assert "force=True" in info.value.hint
    assert store.get_lock(dev, "app") == lock

    assert store.unlock(dev, "app", force=True) == lock
    assert store.get_lock(dev, "app") is None
    assert store.get_deployment(d.id).status == "interrupted"
    assert "removed with force" in store.get_deployment(d.id).cause


def test_unlock_recovers_a_stale_lock_and_interrupts_its_deployment(store, dev, deploy):
    d, lock = store.start_deployment(dev, "app", distribution_id="sha256:a", version="1.0.0")
    _hand_lock_to(store, lock, _dead_pid())

    removed = store.unlock(dev, "app")

    assert removed.deployment_id == d.id
    interrupted = store.get_deployment(d.id)
    assert interrupted.status == "interrupted" and "is not running on this host" in interrupted.cause
    assert deploy(dev, "app", "1.1.0").revision == 2
    assert store.unlock(dev, "app") is None  # nothing left to recover


def test_a_lost_lock_cannot_be_heartbeated_or_parked(store, dev):
    _, lock = store.start_deployment(dev, "app", distribution_id="sha256:a", version="1.0.0")
    store.unlock(dev, "app", force=True)
    with pytest.raises(LockError, match="no longer held"):
        store.heartbeat(lock)
    with pytest.raises(LockError, match="no longer held"):
        store.park_lock(lock)
    assert store.release(lock) is False


def test_mark_interrupted_finds_deployments_whose_deployer_died(store, dev, clock):
    alive, _ = store.start_deployment(dev, "app", distribution_id="sha256:a", version="1.0.0")
    dead, dead_lock = store.start_deployment(dev, "db", distribution_id="sha256:d", version="1.0.0")
    _hand_lock_to(store, dead_lock, _dead_pid())
    waiting, waiting_lock = store.start_deployment(dev, "web", distribution_id="sha256:w", version="1.0.0")
    store.request_approval(waiting.id, "ApproveProd", token="t-1")
    store.park_lock(waiting_lock)
    clock.advance(3600)  # parked locks never expire; the others' heartbeats did

    marked = store.mark_interrupted(dev)

    assert sorted(d.distribution for d in marked) == ["app", "db"]
    assert all(d.status == "interrupted" for d in marked)
    assert store.get_deployment(waiting.id).status == "waiting_approval"
    assert store.get_deployment(alive.id).status == "interrupted"
    assert store.get_lock(dev, "db") is not None  # locks are only ever removed explicitly
    assert store.mark_interrupted() == []


def test_a_parked_lock_blocks_others_and_is_claimed_back_by_its_deployment(store, dev):
    d, lock = store.start_deployment(dev, "app", distribution_id="sha256:a", version="1.0.0")
    store.request_approval(d.id, "Approve", token="tok")
    parked = store.park_lock(lock)
    assert parked.parked and parked.expires_at is None and "waiting for approval" in parked.describe()

    with pytest.raises(LockError, match="waiting for approval"):
        store.start_deployment(dev, "app", distribution_id="sha256:b", version="1.1.0")
    with pytest.raises(LockError):
        store.unlock(dev, "app")

    claimed = store.claim_lock(d.id)  # e.g. `attini deploy continue` in a new process
    assert claimed.deployment_id == d.id and not claimed.parked and claimed.owner != lock.owner
    store.set_deployment_status(d.id, "running")
    assert store.finish_deployment(d.id, "succeeded", lock=claimed).status == "succeeded"
    assert store.get_lock(dev, "app") is None


def test_resume_claims_the_deployments_own_stale_lock_but_never_a_live_or_foreign_one(store, dev):
    d, lock = store.start_deployment(dev, "app", distribution_id="sha256:a", version="1.0.0")
    with pytest.raises(LockError):
        store.claim_lock(d.id)  # its holder (this process) is alive

    _hand_lock_to(store, lock, _dead_pid())
    store.mark_interrupted(dev)
    resumed = store.claim_lock(d.id)
    assert resumed.pid is not None and resumed.deployment_id == d.id
    assert store.set_deployment_status(d.id, "running").status == "running"

    other, _ = store.start_deployment(dev, "db", distribution_id="sha256:d", version="1.0.0")
    store.finish_deployment(d.id, "succeeded", lock=resumed)
    with pytest.raises(ConflictError, match="already succeeded"):
        store.claim_lock(d.id)
    assert other.status == "running"


def test_claim_lock_on_a_free_lock_after_unlock(store, dev):
    d, _ = store.start_deployment(dev, "app", distribution_id="sha256:a", version="1.0.0")
    store.unlock(dev, "app", force=True)
    assert store.claim_lock(d.id).deployment_id == d.id


def test_list_locks(store, dev):
    store.create_environment("acc")
    store.start_deployment(dev, "app", distribution_id="sha256:a", version="1.0.0")
    store.start_deployment("acc", "app", distribution_id="sha256:a", version="1.0.0")
    assert [(lk.environment, lk.distribution) for lk in store.list_locks("dev")] == [("dev", "app")]
    assert len(store.list_locks()) == 2
