"""Race harness: many processes deploying, approving, rolling back and reading one environment at once.

Each worker is its own process running ``attini`` commands (the CLI in-process, one command after another)
chosen by a seeded random generator, against one shared ``$ATTINI_HOME``:

- ``deploy``: an artifact of ``alpha`` (a runner step that counts its runs, then a Pass) or of ``beta``
  (the same, then a ManualApproval), in one of three versions;
- ``approve`` / ``abort``: answer ``beta``'s waiting approval (``deploy continue [--abort]``);
- ``rollback``: ``deploy rollback`` of ``alpha`` or ``beta``;
- ``read``: ``inventory``, ``deploy history`` or ``deploy describe``, all ``--json``.

A command may succeed (exit 0) or be refused with an ``AttiniError`` (exit 1: the lock is held, nothing
waits for approval, no earlier revision); anything else is a crash. When every worker has finished, the
harness answers the approvals still waiting and checks the invariants:

- ``PRAGMA integrity_check`` of the state database is ``ok``;
- per distribution the revisions are exactly 1..N: none lost, none twice; every revision a worker was
  told it started is in the database once, for that worker's deployment;
- nothing is left running: no deployment or step run ``pending``/``running``/``waiting_approval``, no
  lock held, no process left in any worker's session (a runner job outliving its deployer);
- every runner step that the database records as succeeded ran exactly once (its side-effect counter).

The summary line::

    race harness: workers 4, operations 32, succeeded 15, refused 17, crashed 0, integrity failures 0,
    lost revisions 0, duplicated revisions 0, left running 0, double runs 0

``make test`` runs a reduced form (``tests/faults/test_race.py``: 4 workers x 8 operations); the full run
(documented in docs/RELIABILITY.md, "Races") is::

    .venv/bin/python -m tests.faults.race_harness --workers 12 --operations 40 --seed 1
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs

VERSIONS = ("1.0.0", "1.1.0", "1.2.0")
DISTRIBUTIONS = ("alpha", "beta")


def _plan(name: str, counters: Path) -> dict:
    # the runner step appends its deployment id to a counter file: a step that ran twice shows twice
    # (the job's source folder is $ATTINI_HOME/work/<deployment id>/jobs/<job>/source)
    count = f'd="${{ATTINI_SOURCE_DIR%/jobs/*}}"; echo "${{d##*/}} Work" >> {counters}/{name}.runs'
    states: dict = {"Work": {"Type": "Task", "Resource": "attini:runner",
                             "Parameters": {"Commands": [count]}, "Next": "Approve" if name == "beta" else "Done"},
                    "Done": {"Type": "Pass", "End": True}}
    if name == "beta":
        states["Approve"] = {"Type": "AttiniManualApproval", "Next": "Done"}
    return {"StartAt": "Work", "States": states}


def prepare(root: Path) -> dict[str, dict[str, str]]:
    """Create the environment and package every (distribution, version); returns name -> version -> zip."""
    counters = root / "counters"
    counters.mkdir(parents=True, exist_ok=True)
    zips: dict[str, dict[str, str]] = {}
    for name in DISTRIBUTIONS:
        src = root / "src" / name
        src.mkdir(parents=True, exist_ok=True)
        (src / "attini-config.yaml").write_text(f"distributionName: {name}\nplan: plan.json\n")
        (src / "plan.json").write_text(json.dumps(_plan(name, counters)))
        for version in VERSIONS:
            out = root / "zips" / f"{name}-{version}"
            code, text = cli(["distribution", "package", str(src), "-v", version, "-o", str(out), "--json",
                              "--no-cache"])
            assert code == 0, text
            zips.setdefault(name, {})[version] = json.loads(text)["path"]
    code, text = cli(["environment", "create", "dev", "-t", "test"])
    assert code == 0, text
    return zips


def cli(args: list[str]) -> tuple[int, str]:
    """Run ``attini ARGS`` in this process; returns the exit code and stdout + stderr."""
    from attini_sdk.cli import main

    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    except BaseException as exc:  # noqa: BLE001 - anything escaping main() is a crash
        return 99, f"{type(exc).__name__}: {exc}"
    return code, out.getvalue() + err.getvalue()


def _operation(rng: random.Random, zips: dict[str, dict[str, str]]) -> tuple[str, list[str]]:
    kind = rng.choices(["deploy", "approve", "abort", "rollback", "read"], weights=[5, 3, 1, 2, 3])[0]
    name = rng.choice(DISTRIBUTIONS)
    if kind == "deploy":
        return kind, ["deploy", "run", zips[name][rng.choice(VERSIONS)], "-e", "dev", "--yes", "--json"]
    if kind in ("approve", "abort"):
        return kind, ["deploy", "continue", "-n", "beta", "--step-name", "Approve", "-e", "dev", "--json",
                      *(["--abort", "-m", "race"] if kind == "abort" else [])]
    if kind == "rollback":
        return kind, ["deploy", "rollback", "-n", name, "-e", "dev", "--yes", "--json", "--skip-checks"]
    return kind, rng.choice([["inventory", "-e", "dev", "--json"],
                             ["deploy", "history", "-n", name, "-e", "dev", "--json"],
                             ["deploy", "describe", "-n", name, "-e", "dev", "--json"]])


def worker(number: int, seed: int, operations: int, zips_file: Path, go: Path, report: Path) -> None:
    """One racing process: wait for ``go``, run ``operations`` random commands, write one JSON line each."""
    zips = json.loads(zips_file.read_text())
    rng = random.Random(seed * 1000 + number)
    deadline = time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    with report.open("w") as fh:
        for _ in range(operations):
            kind, args = _operation(rng, zips)
            code, text = cli(args)
            row = {"worker": number, "kind": kind, "code": code}
            if code == 0 and kind in ("deploy", "rollback", "approve", "abort"):
                with contextlib.suppress(ValueError):
                    data = json.loads(text)
                    row.update(deployment_id=data.get("deployment_id"), revision=data.get("revision"),
                               distribution=data.get("distribution"), status=data.get("status"))
            if code not in (0, 1) or "Traceback" in text or "internal error" in text:
                row["crash"] = text[-2000:]
            fh.write(json.dumps(row) + "\n")
            fh.flush()


@attrs.define
class Summary:
    workers: int = 0
    operations: int = 0
    succeeded: int = 0
    refused: int = 0
    crashed: int = 0
    integrity_failures: int = 0
    lost_revisions: int = 0
    duplicated_revisions: int = 0
    left_running: int = 0
    double_runs: int = 0
    problems: list[str] = attrs.field(factory=list)

    def line(self) -> str:
        return (f"race harness: workers {self.workers}, operations {self.operations}, succeeded {self.succeeded}, "
                f"refused {self.refused}, crashed {self.crashed}, integrity failures {self.integrity_failures}, "
                f"lost revisions {self.lost_revisions}, duplicated revisions {self.duplicated_revisions}, "
                f"left running {self.left_running}, double runs {self.double_runs}")

    @property
    def ok(self) -> bool:
        return not (self.crashed or self.integrity_failures or self.lost_revisions or self.duplicated_revisions
                    or self.left_running or self.double_runs)


def _settle(rows: list[dict]) -> None:
    # answer what still waits for approval, so that nothing is left holding a lock
    for _ in range(3):
        code, text = cli(["deploy", "continue", "-n", "beta", "--step-name", "Approve", "-e", "dev", "--abort",
                          "-m", "harness end", "--json"])
        if code != 0:
            break


def check(home: Path, root: Path, rows: list[dict], sessions: list[int], summary: Summary) -> Summary:
    """Check the invariants after every worker has finished; fills ``summary``."""
    from attini_sdk.backends.local.db import state_db_path

    summary.operations = len(rows)
    summary.succeeded = sum(r["code"] == 0 for r in rows)
    summary.refused = sum(r["code"] == 1 and "crash" not in r for r in rows)
    crashes = [r for r in rows if "crash" in r]
    summary.crashed = len(crashes)
    summary.problems += [f"worker {r['worker']} {r['kind']}: {r['crash'][-300:]}" for r in crashes]
    _settle(rows)
    conn = sqlite3.connect(f"file:{state_db_path(home)}?mode=ro", uri=True)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchall()
        if integrity != [("ok",)]:
            summary.integrity_failures += 1
            summary.problems.append(f"integrity_check: {integrity[:5]}")
        deployments = conn.execute("SELECT id, distribution, revision, status FROM deployments").fetchall()
        steps = conn.execute("SELECT d.id, s.step, s.status FROM step_runs s JOIN deployments d "
                             "ON d.id = s.deployment_id").fetchall()
        locks = conn.execute("SELECT distribution, deployment_id FROM locks").fetchall()
    finally:
        conn.close()
    by_dist: dict[str, list[int]] = {}
    for _, dist, revision, _ in deployments:
        by_dist.setdefault(dist, []).append(revision)
    for dist, revisions in by_dist.items():
        dup = len(revisions) - len(set(revisions))
        gaps = set(range(1, max(revisions) + 1)) - set(revisions)
        summary.duplicated_revisions += dup
        summary.lost_revisions += len(gaps)
        if dup or gaps:
            summary.problems.append(f"{dist}: revisions {sorted(revisions)}")
    ids = {(dist, revision): did for did, dist, revision, _ in deployments}
    told: dict[tuple[str, int], str] = {}
    for r in rows:
        if r.get("revision") is None or r["kind"] not in ("deploy", "rollback"):
            continue
        key = (r["distribution"], r["revision"])
        if ids.get(key) != r["deployment_id"]:
            summary.lost_revisions += 1
            summary.problems.append(f"worker {r['worker']} was told {key} = {r['deployment_id']}, "
                                    f"the database holds {ids.get(key)}")
        if key in told and told[key] != r["deployment_id"]:
            summary.duplicated_revisions += 1
            summary.problems.append(f"{key} was given to two deployments")
        told[key] = r["deployment_id"]
    active = [d for d in deployments if d[3] in ("pending", "running", "waiting_approval")]
    active_steps = [s for s in steps if s[2] in ("pending", "running")]
    alive = [pgid for pgid in sessions if _session_alive(pgid)]
    summary.left_running = len(active) + len(active_steps) + len(locks) + len(alive)
    if summary.left_running:
        summary.problems.append(f"left running: deployments {active}, steps {active_steps}, locks {locks}, "
                                f"sessions {alive}")
    runs: dict[tuple[str, str], int] = {}
    for name in DISTRIBUTIONS:
        file = root / "counters" / f"{name}.runs"
        for line in file.read_text().splitlines() if file.exists() else []:
            did, step = line.split()
            runs[(did, step)] = runs.get((did, step), 0) + 1
    for did, step, status in steps:
        if status == "succeeded" and step == "Work" and runs.get((did, step), 0) != 1:
            summary.double_runs += 1
            summary.problems.append(f"step {step} of {did} succeeded and ran {runs.get((did, step), 0)} times")
    return summary


def _session_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run(workers: int, operations: int, seed: int, root: Path | None = None) -> Summary:
    """Prepare a fresh ``$ATTINI_HOME`` under ``root``, race ``workers`` processes, check, and summarise."""
    own = root is None
    root = Path(tempfile.mkdtemp(prefix="attini-race-")) if own else root
    home = root / "home"
    os.environ["ATTINI_HOME"] = str(home)
    zips = prepare(root)
    zips_file = root / "zips.json"
    zips_file.write_text(json.dumps(zips))
    go = root / "go"
    procs = []
    for number in range(workers):
        report = root / f"worker-{number}.jsonl"
        procs.append((subprocess.Popen(
            [sys.executable, "-m", "tests.faults.race_harness", "--worker", str(number), "--seed", str(seed),
             "--operations", str(operations), "--zips", str(zips_file), "--go", str(go), "--report", str(report)],
            env={**os.environ, "ATTINI_HOME": str(home)}, cwd=Path(__file__).resolve().parents[2],
            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), report))
    time.sleep(0.5)
    go.touch()
    summary = Summary(workers=workers)
    for proc, _ in procs:
        _, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            summary.crashed += 1
            summary.problems.append(f"worker exited {proc.returncode}: {err[-500:]}")
    time.sleep(0.2)  # let a job killed with its session be reaped
    rows = [json.loads(line) for _, report in procs if report.exists() for line in report.read_text().splitlines()]
    summary = check(home, root, rows, [p.pid for p, _ in procs], summary)
    if own and summary.ok:
        shutil.rmtree(root, ignore_errors=True)  # a failed run keeps its home for inspection
    elif own:
        summary.problems.append(f"kept for inspection: {root}")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=12)
    parser.add_argument("--operations", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--worker", type=int)
    parser.add_argument("--zips", type=Path)
    parser.add_argument("--go", type=Path)
    parser.add_argument("--report", type=Path)
    args = parser.parse_args(argv)
    if args.worker is not None:
        worker(args.worker, args.seed, args.operations, args.zips, args.go, args.report)
        return 0
    started = time.monotonic()
    summary = run(args.workers, args.operations, args.seed)
    for problem in summary.problems:
        print("  " + problem)
    print(summary.line() + f" ({time.monotonic() - started:.0f} s)")
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
