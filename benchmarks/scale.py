"""Queries that stay flat as history grows: 1k / 10k / 100k / 1M deployments, one artifact per deployment.

Every build is a new artifact (as in real use), 100 environments with 10 distributions each. For each size the
rows are written straight into a real ``state.db`` through the store's own schema (one ``executemany``
transaction), then each query users and the CLI run is timed (median of several runs after a warm-up):

- ``env.history(limit=100)``, ``env.inventory()``, ``at.landscape(100 envs)``, ``at.list_environments()``
  (DataFrames, the Python API), and the history of every environment limited to 10,000 rows (a page that
  spans 10,000 artifacts)
- the CLI's ``-e`` resolution (``attini_sdk.cli.selection.environment``, in this process) and the CLI's page
  of history (``deploy.rows.history(env, limit=10)``, what ``attini deploy history`` prints)
- peers, the same questions asked the way they were before (issue 10): the environment listing as a
  ``GROUP BY`` over every deployment, and the 10,000-row page decoded by reading the whole artifacts table
  (what the decoder did past 900 distinct artifacts)

The growth factor is the time at the largest size over the time at 10k (target <= 1.5x from 10k to 1M).
At the largest size one real CLI process runs too: ``attini deploy history -e ENV --json``.

    .venv/bin/python benchmarks/scale.py                    # 1k, 10k, 100k, 1M (about 3 minutes to build)
    .venv/bin/python benchmarks/scale.py --sizes 1k,10k     # a quick look
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENVIRONMENTS = 100
DISTRIBUTIONS = 10  # per environment: 1,000 (environment, distribution) pairs
BASE_US = 1_700_000_000 * 1_000_000
STATUSES = ("succeeded",) * 8 + ("failed", "aborted")


def parse_size(text: str) -> int:
    """``1k`` -> 1000, ``1M`` -> 1000000, ``2500`` -> 2500."""
    scale = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale != 1 else text) * scale)


def synthesise(home: Path, total: int) -> float:
    """``total`` deployments, each with its own artifact, spread over 100 x 10 (environment, distribution)."""
    from attini_sdk.backends.local import db
    from attini_sdk.backends.local.state import SqliteStateStore

    started = time.perf_counter()
    store = SqliteStateStore.open(home)
    conn = store._conn()
    pairs = ENVIRONMENTS * DISTRIBUTIONS
    with db.transaction(conn):
        conn.executemany("INSERT INTO environments (key, name, type, created_at) VALUES (?, ?, 'test', ?)",
                         [(e + 1, f"env-{e:03d}", BASE_US) for e in range(ENVIRONMENTS)])
        conn.executemany(
            "INSERT INTO artifacts (key, distribution_id, distribution, version, recorded_at) VALUES (?, ?, ?, ?, ?)",
            ((n + 1, f"sha256:{n:064x}", f"dist-{n % pairs % DISTRIBUTIONS:02d}", f"1.{n // pairs}.{n % 7}",
              BASE_US) for n in range(total)))
        conn.executemany(
            "INSERT INTO deployments (id, environment, environment_key, distribution, revision, artifact, status, "
            "started_at, finished_at, deployed_by, reason, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _deployments(total))
        # the pointers the deploy flow maintains: last attempt and last success per (environment, distribution)
        conn.execute("""
            INSERT INTO inventory (environment, distribution, current_id, last_id)
            SELECT e.name, d.distribution,
                   (SELECT id FROM deployments s WHERE s.environment = e.name AND s.distribution = d.distribution
                      AND s.status = 'succeeded' ORDER BY revision DESC LIMIT 1),
                   (SELECT id FROM deployments s WHERE s.environment = e.name AND s.distribution = d.distribution
                      ORDER BY revision DESC LIMIT 1)
            FROM environments e, (SELECT DISTINCT distribution FROM artifacts) d
            WHERE EXISTS (SELECT 1 FROM deployments s WHERE s.environment = e.name
                          AND s.distribution = d.distribution)""")
    conn.execute("ANALYZE")
    store.close()
    return time.perf_counter() - started


def _deployments(total: int):
    """In time order, one minute apart, round robin over the (environment, distribution) pairs."""
    pairs = ENVIRONMENTS * DISTRIBUTIONS
    for n in range(total):
        pair = n % pairs
        e, d = pair // DISTRIBUTIONS, pair % DISTRIBUTIONS
        started = BASE_US + n * 60_000_000
        status = STATUSES[n % len(STATUSES)]
        yield (f"{started:014x}{n:010x}", f"env-{e:03d}", e + 1, f"dist-{d:02d}", n // pairs + 1, n + 1, status,
               started, started + 90_000_000, f"ci@runner-{e % 4}", None,
               "States.TaskFailed" if status == "failed" else None)


def median_ms(fn, repeat: int) -> float:
    fn()  # warm the page cache and the imports once
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _group_by_counts(home: Path):
    """The peer of list_environments: what it asked before (a GROUP BY over every deployment)."""
    conn = sqlite3.connect(home / "state.db")
    try:
        return conn.execute("SELECT environment, count(*), SUM(status IN ('pending', 'running', 'waiting_approval')) "
                            "FROM deployments GROUP BY environment").fetchall()
    finally:
        conn.close()


def _whole_artifacts_decode(home: Path):
    """The peer of the 10,000-row page: the page, then the whole artifacts table read to decode it (as the
    decoder did before past 900 distinct artifacts)."""
    conn = sqlite3.connect(home / "state.db")
    try:
        page = conn.execute("SELECT id, artifact FROM deployments ORDER BY started_at DESC LIMIT 10000").fetchall()
        labels = {k: (d, v, i) for k, d, v, i in conn.execute(
            "SELECT key, distribution, version, distribution_id FROM artifacts ORDER BY key")}
        return [labels[a] for _, a in page]
    finally:
        conn.close()


def measure(home: Path, repeat: int) -> dict[str, float]:
    """Milliseconds per query on the database in ``home``."""
    os.environ["ATTINI_HOME"] = str(home)
    import attini_sdk as at
    from attini_sdk.backends.local.backend import LocalBackend
    from attini_sdk.cli import selection
    from attini_sdk.deploy import frames, rows

    LocalBackend.open(home)  # opened once per process, as the CLI and a notebook do
    env = at.Environment.existing("env-042", home=home)
    names = [f"env-{e:03d}" for e in range(ENVIRONMENTS)]
    cases = {
        "history(limit=100)": lambda: env.history(limit=100),
        "inventory()": lambda: env.inventory(),
        f"landscape({ENVIRONMENTS} envs)": lambda: at.landscape(names, home=home),
        "list_environments()": lambda: at.list_environments(home),
        "history(every env, limit=10,000)": lambda: frames.history(env._backend.state, limit=10_000),
        "CLI -e resolution": lambda: selection.environment("env-042"),
        "CLI history page (rows, 10)": lambda: rows.history(env, limit=10),
        "peer: GROUP BY counts (before)": lambda: _group_by_counts(home),
        "peer: 10,000 + whole artifacts (before)": lambda: _whole_artifacts_decode(home),
    }
    return {name: median_ms(fn, repeat) for name, fn in cases.items()}


def cli_process(home: Path, repeat: int) -> float:
    """Median seconds of one real ``attini deploy history -e env-042 --json`` process."""
    env = {**os.environ, "ATTINI_HOME": str(home)}
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "attini_sdk", "deploy", "history", "-e", "env-042", "--json"],
                       env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,10k,100k,1M", help="deployments per run, e.g. 1k,10k,100k,1M")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--root", type=Path, help="keep the databases here (default: a temp dir)")
    args = parser.parse_args(argv)
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    root = args.root or Path(tempfile.mkdtemp(prefix="attini-scale-"))

    results: dict[int, dict[str, float]] = {}
    for size in sizes:
        home = root / f"home-{size}"
        if not (home / "state.db").exists():
            build = synthesise(home, size)
            print(f"synthesised {size:,} deployments and artifacts in {build:.1f} s "
                  f"[{(home / 'state.db').stat().st_size / 2**20:.0f} MiB]", flush=True)
        # each size in a fresh process: nothing cached from another database
        out = subprocess.run([sys.executable, __file__, "--measure", str(home), str(args.repeat)], check=True,
                             capture_output=True, text=True).stdout
        results[size] = {name: float(ms) for name, ms in (line.rsplit("\t", 1) for line in out.splitlines())}
    _report(results, sizes)
    largest = sizes[-1]
    seconds = cli_process(root / f"home-{largest}", max(3, args.repeat // 2))
    print(f"\none CLI process at {largest:,}: attini deploy history -e env-042 --json  {seconds:.3f} s (median)")
    print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, {os.cpu_count()} cpus, "
          f"load average {os.getloadavg()[0]:.1f}; databases in {root}")


def _report(results: dict[int, dict[str, float]], sizes: list[int]) -> None:
    names = list(results[sizes[0]])
    head = "".join(f"{_label(s):>10}" for s in sizes)
    base = 10_000 if 10_000 in results else sizes[0]
    print(f"\n{'ms (median)':40}{head}   growth {_label(base)}->{_label(sizes[-1])}")
    for name in names:
        cells = "".join(f"{results[s][name]:10.2f}" for s in sizes)
        growth = results[sizes[-1]][name] / results[base][name]
        verdict = "" if name.startswith("peer") else ("  ok" if growth <= 1.5 else "  MISSED (target <= 1.5x)")
        print(f"{name:40}{cells}   {growth:6.2f}x{verdict}")


def _label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 and size % 1_000_000 == 0 else (
        f"{size // 1_000}k" if size % 1_000 == 0 else str(size))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        for query, ms in measure(Path(sys.argv[2]), int(sys.argv[3])).items():
            print(f"{query}\t{ms}")
    else:
        main()
