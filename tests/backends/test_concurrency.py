"""Many deployers at once on one environment: 20 threads and 4 processes on their own distributions while
5 racers (threads and processes) fight over one distribution, round after round."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from attini_sdk.backends.local.state import SqliteStateStore

from . import deployer_process

SCRIPT = str(Path(deployer_process.__file__))
THREADS, PROCESSES, DEPLOYS_EACH = 20, 4, 10
ROUNDS, THREAD_RACERS, PROCESS_RACERS = 3, 3, 2


def _spawn(home, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, SCRIPT, str(home), "dev", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run_race(store, home, folder: Path) -> list[dict]:
    folder.mkdir()
    racers = THREAD_RACERS + PROCESS_RACERS
    results: list[dict] = []
    threads = [threading.Thread(target=lambda n=n: results.append(
        deployer_process.race(store, "dev", "shared", folder, f"thread-{n}", racers)))
        for n in range(THREAD_RACERS)]
    procs = [_spawn(home, "race", "shared", folder, f"process-{n}", racers) for n in range(PROCESS_RACERS)]
    for t in threads:
        t.start()
    deployer_process._wait_for(folder / "ready-process-0")  # everyone is at the start line ...
    for name in [f"ready-thread-{n}" for n in range(THREAD_RACERS)] + [f"ready-process-{n}" for n in
                                                                       range(PROCESS_RACERS)]:
        deployer_process._wait_for(folder / name)
    (folder / "go").touch()  # ... and off they go
    for t in threads:
        t.join(60)
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    return results


@pytest.mark.slow
def test_concurrent_deployers_never_lose_or_duplicate_a_revision(home, tmp_path):
    with SqliteStateStore.open(home) as store:  # the real clock: the processes use it too
        _concurrent_deployers(store, home, tmp_path)


def _concurrent_deployers(store, home, tmp_path):
    store.create_environment("dev")
    errors: list[BaseException] = []
    thread_revisions: dict[str, list[int]] = {}

    start = tmp_path / "start"

    def worker(dist):
        try:
            thread_revisions[dist] = deployer_process.series(store, "dev", dist, DEPLOYS_EACH, start,
                                                             THREADS + PROCESSES)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    procs = {f"proc-{n}": _spawn(home, "series", f"proc-{n}", DEPLOYS_EACH, start, THREADS + PROCESSES)
             for n in range(PROCESSES)}
    threads = [threading.Thread(target=worker, args=(f"thread-{n}",)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for name in [*procs, *(f"thread-{n}" for n in range(THREADS))]:
        deployer_process._wait_for(tmp_path / f"ready-{name}")
    start.touch()  # threads, processes and the first race all start together
    races = [_run_race(store, home, tmp_path / f"round-{r}") for r in range(ROUNDS)]
    for t in threads:
        t.join(120)
    process_revisions = {}
    for dist, p in procs.items():
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        process_revisions[dist] = json.loads(out)

    assert errors == []
    expected = list(range(1, DEPLOYS_EACH + 1))
    for dist, revisions in {**thread_revisions, **process_revisions}.items():
        assert revisions == expected, dist
        recorded = sorted(d.revision for d in store.list_deployments("dev", distribution=dist))
        assert recorded == expected, dist

    for n, results in enumerate(races, start=1):
        winners = [r for r in results if r["won"]]
        losers = [r for r in results if not r["won"]]
        assert len(results) == THREAD_RACERS + PROCESS_RACERS
        assert len(winners) == 1 and winners[0]["revision"] == n
        assert {r["error"] for r in losers} == {"LockError"}
        assert all(winners[0]["owner"] in r["message"] for r in losers)  # each loser is told who holds it

    shared = store.list_deployments("dev", distribution="shared")
    assert sorted(d.revision for d in shared) == list(range(1, ROUNDS + 1))
    total = THREADS * DEPLOYS_EACH + PROCESSES * DEPLOYS_EACH + ROUNDS
    assert len(store.list_deployments("dev")) == total
    assert {d.status for d in store.list_deployments("dev")} == {"succeeded"}
    assert store.list_locks() == []
    assert store.integrity_check() == ["ok"]
    # they moved in lockstep: all 24 deployers contended in every round (round n starts after round n-1 ends)
    workers = [*(f"thread-{n}" for n in range(THREADS)), *procs]
    by_round = [[store.find_deployment("dev", w, n) for w in workers] for n in range(1, DEPLOYS_EACH + 1)]
    for earlier, later in zip(by_round, by_round[1:]):
        assert max(d.finished_at for d in earlier) <= min(d.started_at for d in later)


def test_connections_of_finished_threads_are_closed(store):
    store.create_environment("dev")
    for _ in range(10):
        worker = threading.Thread(target=store.list_environments)
        worker.start()
        worker.join()
    # each new connection closes those of threads that have ended: the main thread's and the last one's remain
    assert len(store._connections) == 2
