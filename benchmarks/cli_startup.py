"""The CLI's fixed cost: one ``attini`` process against ``python -c "import attini_sdk"``, bytecode cache on and off.

Every command is a fresh process (what a user or a CI job pays each time). Measured in interleaved rounds
(one run of each command per round, so load from other work on the machine spreads over all of them), medians
reported, next to the peers: ``python -c pass``, ``import attini_sdk`` (the baseline of the target: each
command <= 0.15 s over it with the cache on) and ``import pandas`` (what every command paid before issue 10).

- cache on: the ``__pycache__`` folders are written by a first run, as after any ``pip install``
- ours uncached: ``PYTHONDONTWRITEBYTECODE=1`` and a copy of ``attini_sdk`` without ``__pycache__`` first on
  ``PYTHONPATH``: our modules compile from source in every process, the libraries' bytecode (written by pip at
  install) is read. What a CI image with ``PYTHONDONTWRITEBYTECODE=1`` and ``pip install -e .`` pays
- nothing cached: ``PYTHONDONTWRITEBYTECODE=1`` with an empty ``PYTHONPYCACHEPREFIX``: every module, ours and
  the libraries', compiles from source in every process (the worst case)

    .venv/bin/python benchmarks/cli_startup.py              # 15 rounds
    .venv/bin/python benchmarks/cli_startup.py --rounds 5 --modes "cache on"
    # the peer "before": the tree before issue 10 and its typer, e.g.
    #   git archive 133523e attini_sdk | tar -x -C /tmp/base
    #   pip install --no-deps --target /tmp/typer29 typer==0.29.2
    .venv/bin/python benchmarks/cli_startup.py --before /tmp/typer29:/tmp/base
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
COMMANDS = {
    "python -c pass": [PY, "-c", "pass"],
    "python -c 'import attini_sdk'": [PY, "-c", "import attini_sdk"],
    "python -c 'import pandas' (peer)": [PY, "-c", "import pandas"],
    "attini --help": [PY, "-m", "attini_sdk", "--help"],
    "attini inventory --json (empty home: error)": [PY, "-m", "attini_sdk", "inventory", "--json"],
    "attini inventory -e dev --json": [PY, "-m", "attini_sdk", "inventory", "-e", "dev", "--json"],
    "attini deploy history -e dev --json": [PY, "-m", "attini_sdk", "deploy", "history", "-e", "dev", "--json"],
    "attini deploy history -e dev (table)": [PY, "-m", "attini_sdk", "deploy", "history", "-e", "dev"],
    "attini environment list": [PY, "-m", "attini_sdk", "environment", "list"],
    "attini deploy history -e nope (error)": [PY, "-m", "attini_sdk", "deploy", "history", "-e", "nope"],
    "attini no-such-command (usage error)": [PY, "-m", "attini_sdk", "no-such-command"],
    "attini deploy run --help": [PY, "-m", "attini_sdk", "deploy", "run", "--help"],
}
BASELINE = "python -c 'import attini_sdk'"


def _home(root: Path, name: str = "home", env: dict | None = None) -> Path:
    """A home with dev (three deployments of a one-step runner distribution) for the commands that read one,
    written by the code that will read it (``env``: its PYTHONPATH)."""
    home = root / name
    code = ("import attini_sdk as at, pathlib, sys\n"
            "src = pathlib.Path(sys.argv[1]); src.mkdir(exist_ok=True)\n"
            "(src / 'attini-config.yaml').write_text('distributionName: hello\\nversion: 1.0.0\\nplan: plan.py\\n')\n"
            "(src / 'plan.py').write_text('from attini_sdk.plan import Plan, Runner\\n"
            "plan = Plan(Runner(\"Hi\", commands=[\"true\"]))\\n')\n"
            "env = at.Environment.local('dev', home=sys.argv[2])\n"
            "for _ in range(3):\n    assert env.deploy(src).status == 'succeeded'\n")
    subprocess.run([PY, "-c", code, str(root / "src"), str(home)], check=True, env=env, cwd=root)
    return home


def _time(argv: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one process; run in ``cwd`` (a folder of its own: a source
    tree there would come first on ``sys.path`` for ``-c`` and ``-m``). The CPU time moves less than the wall
    time when other work shares the machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


MODES = ("cache on", "ours uncached", "nothing cached")
BEFORE = "before, cache on"


def _environment(mode: str, root: Path, home: Path, before: str | None = None) -> dict:
    base = {k: v for k, v in os.environ.items()
            if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONPATH")}
    base.update(AWS_DEFAULT_REGION="eu-west-1", AWS_CONFIG_FILE=str(home / "no-aws-config"))
    if mode == BEFORE:  # its bytecode is kept apart, so the tree it runs stays as it is
        base.update(PYTHONPATH=before, PYTHONPYCACHEPREFIX=str(root / "before-pycache"))
    elif mode == "ours uncached":
        import attini_sdk

        copy = root / "uncached"
        if not copy.exists():
            shutil.copytree(Path(attini_sdk.__file__).parent, copy / "attini_sdk",
                            ignore=shutil.ignore_patterns("__pycache__"))
        base.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(copy))
    elif mode == "nothing cached":
        base.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=tempfile.mkdtemp(prefix="no-pyc-"))
    return base


CPU: dict[str, dict[str, float]] = {}  # mode -> command -> median CPU seconds (filled by measure)


def measure(rounds: int, mode: str, root: Path, home: Path, empty: Path, before: str | None = None) -> dict:
    """Median wall seconds per command in one of :data:`MODES` (or :data:`BEFORE`); CPU medians go to :data:`CPU`."""
    base = _environment(mode, root, home, before)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for n in range(rounds + 1):  # the first round writes the bytecode (cache on) and is not counted
        for name, argv in COMMANDS.items():
            env = {**base, "ATTINI_HOME": str(empty if "empty home" in name else home)}
            seconds = _time(argv, env, root)
            if n:
                times[name].append(seconds)
    CPU[mode] = {name: statistics.median(cpu for _, cpu in values) for name, values in times.items()}
    return {name: statistics.median(wall for wall, _ in values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--before", help="PYTHONPATH of the tree to compare with (and its typer), cache on")
    parser.add_argument("--modes", default=",".join(MODES),
                        help=f"which of {', '.join(MODES)} to measure (comma-separated; 'cache on' always)")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="attini-startup-"))
    home, empty = _home(root), root / "empty-home"
    chosen = tuple(m for m in MODES if m == "cache on" or m in args.modes.split(","))
    modes = (*chosen, BEFORE) if args.before else chosen
    results = {mode: measure(args.rounds, mode, root, home, empty) for mode in chosen}
    if args.before:
        before_home = _home(root, "before-home", _environment(BEFORE, root, home, args.before))
        results[BEFORE] = measure(args.rounds, BEFORE, root, before_home, root / "before-empty", args.before)
    print(f"\nmedian of {args.rounds} rounds, seconds (+ over import attini_sdk)"
          + "".join(f"{mode:>22}" for mode in modes))
    for name in COMMANDS:
        cells = "".join(f"{results[m][name]:9.3f} ({results[m][name] - results[m][BASELINE]:+.3f})" for m in modes)
        over = results["cache on"][name] - results["cache on"][BASELINE]
        mark = ""
        if name.startswith("attini"):
            mark = "  ok" if over <= 0.15 else f"  MISSED by {over - 0.15:.3f} s (target <= 0.15 s, cache on)"
        print(f"{name:45} {cells}{mark}")
    print("\nCPU seconds (user + system), median (+ over import attini_sdk)"
          + "".join(f"{mode:>22}" for mode in modes))
    for name in COMMANDS:
        print(f"{name:45} " + "".join(f"{CPU[m][name]:9.3f} ({CPU[m][name] - CPU[m][BASELINE]:+.3f})" for m in modes))
    print(f"\npython {sys.version.split()[0]}, {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
