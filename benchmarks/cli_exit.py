"""How long an ``attini deploy run ZIP`` process takes to end once its command is done, this tree against another.

The time from the end of the command (``cli.app._before_exit`` is called; in a tree without it, ``main()``
returned) until the parent sees the process gone: closing the databases, the interpreter's exit. Uses the
environment and zip a benchmark left (``ATTINI_HOME``, ``ZIP`` and ``ENV`` in the environment, a no-op
redeploy of an already deployed zip); the trees take turns.

    .venv/bin/python benchmarks/cli_exit.py --before /tmp/base [--runs 9]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = r'''
import importlib, os, sys, time
sys.argv = ["attini", "deploy", "run", os.environ["ZIP"], "-e", os.environ["ENV"]]
app = importlib.import_module("attini_sdk.cli.app")
stamp = []
before_exit = getattr(app, "_before_exit", None)
if before_exit is not None:
    def timed():
        stamp.append(time.time())
        before_exit()
    app._before_exit = timed
code = app.main()
stamp.append(time.time())
sys.stderr.write("ENDED %r\n" % stamp[0])
sys.exit(code)
'''

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--before", help="PYTHONPATH of the tree to compare with (its attini_sdk)")
parser.add_argument("--runs", type=int, default=9)
args = parser.parse_args()
trees = {**({"before": args.before} if args.before else {}), "this tree": str(Path(__file__).resolve().parents[1])}
exits: dict[str, list[float]] = {t: [] for t in trees}
for _ in range(args.runs):
    for tree, path in trees.items():
        env = {**os.environ, "PYTHONPATH": path}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True)
        gone = time.time()
        assert proc.returncode == 0 and "ENDED " in proc.stderr, proc.stderr
        exits[tree].append(gone - float(proc.stderr.split("ENDED ")[1].split()[0]))
print(f"end of the command -> process gone, {args.runs} runs each, load average {os.getloadavg()[0]:.1f}")
for tree, values in exits.items():
    print(f"  {tree:9} median {statistics.median(values) * 1000:5.0f} ms  (min {min(values) * 1000:.0f}, "
          f"max {max(values) * 1000:.0f})")
