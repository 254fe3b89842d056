"""Many deployers at once on one environment: 20 threads and 4 processes deploying their own distributions,
while 5 processes race for the same one. No revision is lost or duplicated; each race has exactly one
winner and every loser gets LockError."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import attini_sdk as at
from attini_sdk.backends.local.state import SqliteStateStore

from .conftest import one_step, runner_step

DEPLOYER = str(Path(__file__).with_name("deployer.py"))
ROUNDS = 3


def _wait_for_files(folder: Path, pattern: str, count: int, timeout: float = 120.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while len(list(folder.glob(pattern))) < count:
        assert time.monotonic() < deadline, f"only {len(list(folder.glob(pattern)))} of {count} {pattern}"
        time.sleep(0.01)


@pytest.mark.slow
def test_threads_and_processes_deploy_side_by_side_and_racers_get_one_winner(home, project, tmp_path):
    env = at.Environment.local("dev")
    plan = one_step("Ok", {"Type": "Pass", "Result": "done", "ResultPath": "$.output.Ok"})
    threaded = [project(f"svc{i:02d}").package(plan) for i in range(20)]
    processed = [project(f"proc{i}").package(plan) for i in range(4)]
    race = tmp_path / "race"
    race.mkdir()
    # the winner holds the lock until every other racer has tried (and failed)
    hold = one_step("Hold", runner_step("Hold", [
        f'for i in $(seq 1 2400); do [ "$(ls {race}/result-*.json 2>/dev/null | wc -l)" -ge 4 ] && exit 0; '
        "sleep 0.05; done; exit 1"]))
    contested = project("contested").package(hold)

    start = tmp_path / "start"
    series = [subprocess.Popen([sys.executable, DEPLOYER, "series", "dev", str(a.path), str(ROUNDS), str(start)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for a in processed]
    racers = [subprocess.Popen([sys.executable, DEPLOYER, "race", "dev", str(contested.path), str(race), f"r{i}"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(5)]
    _wait_for_files(tmp_path, "ready-*", len(series))
    _wait_for_files(race, "ready-*", len(racers))

    barrier = threading.Barrier(len(threaded) + 1)
    revisions: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def deploy_series(artifact) -> None:
        try:
            barrier.wait()
            revisions[artifact.name] = [env.deploy(artifact).revision for _ in range(ROUNDS)]
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=deploy_series, args=(a,)) for a in threaded]
    for thread in threads:
        thread.start()
    start.touch()
    (race / "go").touch()
    barrier.wait()
    for thread in threads:
        thread.join(180)
    outputs = [p.communicate(timeout=180) for p in series + racers]

    assert errors == []
    assert all(p.returncode == 0 for p in series + racers), [err for _, err in outputs]
    assert revisions == {a.name: [1, 2, 3] for a in threaded}
    assert [json.loads(out) for out, _ in outputs[:len(series)]] == [[1, 2, 3]] * len(series)

    results = [json.loads(p.read_text()) for p in sorted(race.glob("result-*.json"))]
    winners = [r for r in results if r["won"]]
    assert len(results) == 5 and len(winners) == 1
    assert winners[0]["status"] == "succeeded" and winners[0]["revision"] == 1
    assert all(r["error"] == "LockError" and "is already being deployed" in r["message"]
               for r in results if not r["won"])

    history = env.history()
    per_distribution = history.groupby("distribution", observed=True)["revision"].apply(sorted).to_dict()
    assert per_distribution == {**{a.name: [1, 2, 3] for a in threaded + processed}, "contested": [1]}
    assert set(history["status"].astype(str)) == {"succeeded"}
    with SqliteStateStore.open(home) as store:
        assert store.integrity_check() == ["ok"]
        assert store.list_locks("dev") == []
