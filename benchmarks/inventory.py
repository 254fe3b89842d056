"""Scale benchmark of the local state store: 100 environments x 50 distributions x 200 deployments.

Synthesises 1,000,000 deployments into a real state database (one executemany transaction), then times the
DataFrame queries users run against a peer in the same run: the same questions answered the naive way, from
a copy of the table with no indexes (sqlite-utils' default) read with ``pandas.read_sql`` and grouped in
pandas. Prints medians and ratios; targets from issue 5 are printed next to ours.

    .venv/bin/python benchmarks/inventory.py                # full size (takes a few minutes to build)
    .venv/bin/python benchmarks/inventory.py --envs 10      # smaller, for a quick look
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from attini_sdk.backends.local import db
from attini_sdk.backends.local.state import SqliteStateStore
from attini_sdk.deploy import frames

STATUSES = ("succeeded",) * 15 + ("failed", "aborted")
BASE_US = 1_700_000_000 * 1_000_000
HOUR_US = 3600 * 1_000_000


def synthesise(store: SqliteStateStore, envs: int, dists: int, deploys: int) -> float:
    """Fill the store: environments, one artifact per (distribution, version), deployments, inventory."""
    started = time.perf_counter()
    conn = store._conn()
    with db.transaction(conn):
        conn.executemany("INSERT INTO environments (key, name, type, created_at) VALUES (?, ?, ?, ?)",
                         [(e + 1, f"env-{e:03d}", "production" if e == 0 else "test", BASE_US) for e in range(envs)])
        conn.executemany(
            "INSERT INTO artifacts (key, distribution_id, distribution, version, recorded_at) VALUES (?, ?, ?, ?, ?)",
            ((d * deploys + v + 1, f"sha256:{d:04x}{v:060x}", f"dist-{d:02d}", f"1.{v // 10}.{v % 10}", BASE_US)
             for d in range(dists) for v in range(deploys)))
        conn.executemany(
            "INSERT INTO deployments (id, environment, environment_key, distribution, revision, artifact, status, "
            "started_at, finished_at, deployed_by, reason, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _deployments(envs, dists, deploys))
        # the inventory pointers the deploy flow maintains: last attempt and last success per distribution
        conn.execute("""
            INSERT INTO inventory (environment, distribution, current_id, last_id)
            SELECT environment, distribution,
                   (SELECT id FROM deployments s WHERE s.environment = d.environment
                      AND s.distribution = d.distribution AND s.status = 'succeeded' ORDER BY revision DESC LIMIT 1),
                   (SELECT id FROM deployments s WHERE s.environment = d.environment
                      AND s.distribution = d.distribution ORDER BY revision DESC LIMIT 1)
            FROM (SELECT DISTINCT environment, distribution FROM deployments) d""")
    return time.perf_counter() - started


def _deployments(envs: int, dists: int, deploys: int):
    """In time order, as a real system writes them; environment e lags e % 7 versions behind."""
    n = 0
    for r in range(1, deploys + 1):
        for e in range(envs):
            for d in range(dists):
                started = BASE_US + r * HOUR_US + (e * dists + d) * 1000
                status = STATUSES[(r * 7 + e + d) % len(STATUSES)]
                version = max(0, r - 1 - e % 7)
                n += 1
                yield (f"{started:014x}{n:010x}", f"env-{e:03d}", e + 1, f"dist-{d:02d}", r, d * deploys + version + 1,
                       status, started, started + 120_000_000, f"ci@runner-{e % 4}",
                       "Rollback to 3" if r % 50 == 0 else None, "States.TaskFailed" if status == "failed" else None)


def naive_copy(store: SqliteStateStore, path: Path) -> sqlite3.Connection:
    """The peer: one flat table, no indexes, no inventory pointers."""
    conn = sqlite3.connect(path)
    conn.execute(f"ATTACH DATABASE '{store.path}' AS src")
    conn.execute("""CREATE TABLE deployments AS
        SELECT d.id, d.environment, d.distribution, d.revision, a.version, a.distribution_id, d.status,
               d.started_at, d.finished_at, d.deployed_by, d.reason, d.error
        FROM src.deployments d JOIN src.artifacts a ON a.key = d.artifact""")
    conn.commit()
    conn.execute("DETACH DATABASE src")
    return conn


def naive_history(conn, env=None) -> pd.DataFrame:
    sql = "SELECT * FROM deployments" + (" WHERE environment = ?" if env else "") + " ORDER BY started_at DESC"
    frame = pd.read_sql(sql, conn, params=(env,) if env else None)
    for col in ("started_at", "finished_at"):
        frame[col] = pd.to_datetime(frame[col], unit="us", utc=True)
    return frame


def naive_inventory(conn, env) -> pd.DataFrame:
    rows = naive_history(conn, env)
    last = rows.sort_values("revision").groupby("distribution").tail(1).set_index("distribution")
    ok = rows[rows["status"] == "succeeded"].sort_values("revision").groupby("distribution").tail(1)
    return ok[["distribution", "version", "revision"]].merge(last[["status", "version"]].reset_index(),
                                                             on="distribution", suffixes=("", "_last"))


def naive_landscape(conn, envs) -> pd.DataFrame:
    rows = pd.read_sql("SELECT environment, distribution, revision, version, status FROM deployments "
                       "WHERE status = 'succeeded'", conn)
    rows = rows[rows["environment"].isin(envs)]
    current = rows.sort_values("revision").groupby(["environment", "distribution"]).tail(1)
    return current.pivot(index="distribution", columns="environment", values="version")


def median_ms(fn, repeat: int) -> tuple[float, object]:
    fn()  # warm the page cache and imports once
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, default=100)
    parser.add_argument("--dists", type=int, default=50)
    parser.add_argument("--deploys", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--home", type=Path, help="keep the databases here (default: a temp dir)")
    args = parser.parse_args(argv)

    home = args.home or Path(tempfile.mkdtemp(prefix="attini-bench-"))
    store = SqliteStateStore.open(home)
    total = args.envs * args.dists * args.deploys
    build = synthesise(store, args.envs, args.dists, args.deploys)
    print(f"synthesised {total:,} deployments ({args.envs} envs x {args.dists} distributions x "
          f"{args.deploys}) in {build:.1f} s  [{store.path.stat().st_size / 2**20:.0f} MiB]")
    naive = naive_copy(store, home / "naive.db")

    env = "env-042" if args.envs > 42 else "env-000"
    envs = [e.name for e in store.list_environments()]
    cases = [
        (f"history(one env: {total // args.envs:,} rows)", 100, lambda: frames.history(store, env),
         lambda: naive_history(naive, env), args.repeat),
        ("inventory(one env)", 20, lambda: frames.inventory(store, env), lambda: naive_inventory(naive, env),
         args.repeat),
        (f"landscape({len(envs)} envs)", 300, lambda: frames.landscape(store, envs),
         lambda: naive_landscape(naive, envs), args.repeat),
        (f"history(all {total:,} rows)", 3000, lambda: frames.history(store), lambda: naive_history(naive),
         max(1, args.repeat // 2)),
    ]
    print(f"\n{'query':34} {'ours ms':>9} {'target':>8} {'peer ms':>9} {'peer/ours':>10}  rows")
    for name, target, ours, peer, repeat in cases:
        ours_ms, frame = median_ms(ours, repeat)
        peer_ms, _ = median_ms(peer, repeat)
        verdict = "ok" if ours_ms < target else "MISSED"
        print(f"{name:34} {ours_ms:9.1f} {'<' + str(target):>8} {peer_ms:9.1f} {peer_ms / ours_ms:9.1f}x  "
              f"{len(frame):,} {verdict}")
    print("\npeer = the same question on a copy of the table with no indexes, pandas.read_sql + groupby")
    print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, pandas {pd.__version__}, "
          f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f} (other work on the machine slows both sides)")


if __name__ == "__main__":
    main()
