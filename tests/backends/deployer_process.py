"""A deployer for concurrency and crash tests: run in-process (threads) or as a real subprocess.

    python deployer_process.py HOME ENV series DIST N [START_FILE PARTIES]
    python deployer_process.py HOME ENV race DIST DIR NAME RACERS
    python deployer_process.py HOME ENV pause-in-transaction DIST DIR
    python deployer_process.py HOME ENV hold DIST DIR
    python deployer_process.py HOME ENV churn DIST

Each mode does what the deploy flow does to the store (start = lock + revision, step runs, finish = release)
and reports through files in DIR or JSON on stdout, so the test can check what every deployer saw.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from attini_sdk.backends.local.state import SqliteStateStore
from attini_sdk.errors import LockError


def _wait_for(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.005)


def _write(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.rename(path)  # readers never see half a result


def series(store: SqliteStateStore, env: str, dist: str, count: int, start: Path | None = None,
           parties: int = 0) -> list[int]:
    """Deploy ``dist`` ``count`` times (after ``start`` appears); returns the revisions received.

    With ``parties``, deployers move in lockstep: each deployment waits until all ``parties`` deployers have
    finished their previous one, so every round has them all contending for the database at once.
    """
    if start is not None:
        (start.parent / f"ready-{dist}").touch()
        _wait_for(start)
    revisions = []
    for n in range(count):
        if parties and n:
            while len(list(start.parent.glob(f"round-{n - 1}-*"))) < parties:
                time.sleep(0.002)
        d, lock = store.start_deployment(env, dist, distribution_id=f"sha256:{dist}-{n}", version=f"1.0.{n}")
        run = store.start_step_run(d.id, "Stack", "attini:cfn", fingerprint=f"fp-{n}")
        store.finish_step_run(run.id, "succeeded", output={"n": n})
        store.finish_deployment(d.id, "succeeded", outputs={"n": n}, lock=lock)
        revisions.append(d.revision)
        if parties:
            (start.parent / f"round-{n}-{dist}").touch()
    return revisions


def race(store: SqliteStateStore, env: str, dist: str, folder: Path, name: str, racers: int) -> dict:
    """Wait for the start signal, try to take ``dist``; the winner holds it until every racer has tried."""
    (folder / f"ready-{name}").touch()
    _wait_for(folder / "go")
    try:
        d, lock = store.start_deployment(env, dist, distribution_id=f"sha256:{dist}-{folder.name}",
                                         version="2.0.0", reason=f"race {folder.name}")
    except LockError as err:
        result = {"name": name, "won": False, "error": type(err).__name__, "message": str(err)}
        _write(folder / f"result-{name}.json", result)
        return result
    result = {"name": name, "won": True, "revision": d.revision, "owner": lock.owner}
    _write(folder / f"result-{name}.json", result)
    deadline = time.monotonic() + 60
    while len(list(folder.glob("result-*.json"))) < racers and time.monotonic() < deadline:
        time.sleep(0.005)
    store.finish_deployment(d.id, "succeeded", lock=lock)
    return result


def pause_in_transaction(store: SqliteStateStore, env: str, dist: str, folder: Path) -> None:
    """Commit two deployments, then stop dead inside the third one's transaction (before its lock row)."""
    series(store, env, dist, 2)
    conn = store._conn()

    def trace(sql: str) -> None:
        if sql.startswith("INSERT INTO locks"):
            (folder / "in-transaction").touch()
            time.sleep(3600)  # the test kills us here

    conn.set_trace_callback(trace)
    store.start_deployment(env, dist, distribution_id=f"sha256:{dist}-2", version="1.0.2")


def hold(store: SqliteStateStore, env: str, dist: str, folder: Path) -> None:
    """Start a deployment, begin its first step, then wait forever (as if stuck in a Cfn wait)."""
    d, _ = store.start_deployment(env, dist, distribution_id=f"sha256:{dist}-held", version="3.0.0")
    store.start_step_run(d.id, "Database", "attini:cfn", fingerprint="fp-held")
    _write(folder / "holding.json", {"deployment_id": d.id})
    time.sleep(3600)


def churn(store: SqliteStateStore, env: str, dist: str) -> None:
    """Deploy as fast as possible until killed."""
    n = 0
    while True:
        d, lock = store.start_deployment(env, dist, distribution_id=f"sha256:{dist}-churn-{n % 7}",
                                         version=f"4.0.{n % 7}")
        run = store.start_step_run(d.id, "Stack", "attini:cfn")
        store.finish_step_run(run.id, "succeeded", output={"n": n})
        store.finish_deployment(d.id, "succeeded", lock=lock)
        n += 1


def main(argv: list[str]) -> None:
    home, env, mode, dist, *rest = argv
    store = SqliteStateStore.open(home)
    if mode == "series":
        start = Path(rest[1]) if len(rest) > 1 else None
        parties = int(rest[2]) if len(rest) > 2 else 0
        print(json.dumps(series(store, env, dist, int(rest[0]), start, parties)))
    elif mode == "race":
        print(json.dumps(race(store, env, dist, Path(rest[0]), rest[1], int(rest[2]))))
    elif mode == "pause-in-transaction":
        pause_in_transaction(store, env, dist, Path(rest[0]))
    elif mode == "hold":
        hold(store, env, dist, Path(rest[0]))
    elif mode == "churn":
        churn(store, env, dist)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
