"""The CLI's first deploy and no-op redeploy, this tree against another, interleaved under the same load.

What benchmarks/redeploy.py measures through the CLI (a 50-step Cfn plan, moto server on 127.0.0.1, every
``attini deploy run ZIP -e ENV`` a fresh process), with the two trees taking turns (first deploys in fresh
homes, then no-ops alternating), so load from other work on a shared machine falls on both alike. The CPU time
(user + system) of the no-op process moves far less with that load than its wall time.

    # the tree before, e.g.: mkdir /tmp/base && git archive 736169d attini_sdk | tar -x -C /tmp/base
    .venv/bin/python benchmarks/redeploy_cli.py --before /tmp/base [--rounds 3] [--noops 5]
"""
from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from redeploy import TEMPLATE, _plan  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--before", help="PYTHONPATH of the tree to compare with (its attini_sdk)")
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--noops", type=int, default=5)
args = parser.parse_args()
from moto.server import ThreadedMotoServer  # noqa: E402
logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False); server.start()
host, port = server.get_host_and_port()
os.environ.update(AWS_ENDPOINT_URL=f"http://{host}:{port}", AWS_ACCESS_KEY_ID="b", AWS_SECRET_ACCESS_KEY="b",
                  AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="eu-west-1")
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
import attini_sdk as at  # noqa: E402
tmp = Path(tempfile.mkdtemp()); src = tmp / "notes"; src.mkdir()
(src / "note.yaml").write_text(TEMPLATE); (src / "attini-config.yaml").write_text("distributionName: notes\nversion: 1.0.0\n")
zip_path = at.Distribution(name="notes", version="1.0.0", source=src, plan=_plan(50)).package(tmp / "dist").path
TREES = {**({"before": args.before} if args.before else {}), "this tree": str(Path(__file__).resolve().parents[1])}
rounds, noops = args.rounds, args.noops
res = {k: {"first": [], "noop": [], "noop_cpu": []} for k in TREES}
def run(tree, home, *args):
    env = {**os.environ, "PYTHONPATH": TREES[tree], "ATTINI_HOME": str(home)}
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN); s = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "attini_sdk", *args], env=env, capture_output=True, text=True, cwd=tmp)
    w = time.perf_counter() - s; r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert p.returncode == 0, p.stderr
    return w, r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime, p.stdout
for n in range(rounds):
    for tree in (list(TREES) if n % 2 == 0 else list(TREES)[::-1]):
        home = tmp / f"home-{tree}-{n}"
        run(tree, home, "environment", "create", f"e{n}", "--env-type", "test")
        w, c, out = run(tree, home, "deploy", "run", str(zip_path), "-e", f"e{n}")
        res[tree]["first"].append(w)
    for i in range(noops):
        for tree in (list(TREES) if i % 2 == 0 else list(TREES)[::-1]):
            w, c, out = run(tree, tmp / f"home-{tree}-{n}", "deploy", "run", str(zip_path), "-e", f"e{n}")
            assert " skipped" in out
            res[tree]["noop"].append(w); res[tree]["noop_cpu"].append(c)
    print(f"round {n+1}: " + "; ".join(f"{t}: first {res[t]['first'][-1]:.2f} s, no-op {statistics.median(res[t]['noop'][-noops:]):.3f} s" for t in TREES), flush=True)
server.stop()
print(f"\n50-step Cfn plan through the CLI, {rounds} rounds x {noops} no-ops, interleaved; load average {os.getloadavg()[0]:.1f}")
for t in TREES:
    f, nw, nc = (statistics.median(res[t][k]) for k in ("first", "noop", "noop_cpu"))
    print(f"  {t:9} first {f:6.2f} s   no-op {nw:6.3f} s (CPU {nc:.3f} s, min wall {min(res[t]['noop']):.3f})   first/no-op {f/nw:5.1f}x")
