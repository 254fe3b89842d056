"""Writers racing on one store (threads sharing it): one lock holder at a time, revisions without gaps or
duplicates. On DynamoDB this is the conditional transactions' job, on SQLite the write lock's."""

from __future__ import annotations

import threading

import pytest

from attini_sdk.errors import LockError


@pytest.fixture(autouse=True)
def one_request_at_a_time_in_moto(store, monkeypatch):
    """moto's in-process DynamoDB is not thread-safe (its dicts change under concurrent requests), while the
    real service makes each request atomic. Serialise requests, not the store's logic: between two requests
    of one thread, any other thread's requests still run, which is the interleaving the store must survive."""
    if not hasattr(store, "_call"):
        return
    original = store._call
    guard = threading.Lock()

    def atomic(name, **kwargs):
        with guard:
            return original(name, **kwargs)

    monkeypatch.setattr(store, "_call", atomic)


def test_racing_deployers_get_one_lock_and_gapless_revisions(store):
    store.create_environment("dev")
    outcomes: list[str] = []
    guard = threading.Lock()

    def deployer(n: int) -> None:
        for attempt in range(3):
            try:
                d, lock = store.start_deployment("dev", "app", distribution_id=f"sha256:{n}-{attempt}",
                                                 version=f"1.{n}.{attempt}", wait_for_lock=20)
            except LockError:
                with guard:
                    outcomes.append("lock")
                continue
            assert store.get_lock("dev", "app").deployment_id == d.id  # nobody else holds it meanwhile
            store.finish_deployment(d.id, "succeeded", lock=lock)
            with guard:
                outcomes.append("deployed")

    threads = [threading.Thread(target=deployer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    revisions = sorted(d.revision for d in store.list_deployments("dev"))
    assert outcomes.count("deployed") == len(revisions) and revisions == list(range(1, len(revisions) + 1))
    assert len(revisions) == 12
    assert store.get_lock("dev", "app") is None
    assert store.current_deployment("dev", "app").revision == 12


def test_racing_step_runs_of_one_deployment_are_all_kept(store):
    store.create_environment("dev")
    d, _ = store.start_deployment("dev", "app", distribution_id="sha256:a", version="1.0.0")

    def run(n: int) -> None:
        for i in range(5):
            r = store.start_step_run(d.id, f"Step{n}", "attini:runner", attempt=i + 1)
            store.finish_step_run(r.id, "succeeded", output={"n": n, "i": i})

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    runs = store.step_runs(d.id)
    assert len(runs) == 20 and len({r.id for r in runs}) == 20
    assert all(r.status == "succeeded" for r in runs)
