"""Kill the deployer at seeded random moments, then check what a crash may and may not leave behind.

    python -m tests.faults.kill_harness --kills 200 --seed 1        # what `make soak` runs

Each kill deploys a small distribution (three Runner steps, each with a side effect: a line appended to a
counter file, and a fixed output) in a real deployer process (``deployer.py``), and kills it in one of
two modes:

- ``power``: a power cut. The deployer and every process it started (the job guards and jobs included) are
  frozen with SIGSTOP, then killed with SIGKILL, all at once.
- ``deployer``: only the deployer is killed (``kill -9``, an OOM kill); its jobs must die with it.

It kills after a random delay within an uninterrupted run's duration, or (one kill in three) at a named
pause point (``ATTINI_TEST_PAUSE_AT``, see ``attini_sdk/backends/local/pause_points.py``). After each kill:

- ``PRAGMA integrity_check`` is ``ok``;
- revisions are 1..n with no gap and no duplicate (none lost, none given twice);
- within 15 s no process of that deployer is left (``orphans`` counts those that were);
- ``resume`` (or, if the kill came before the deployment was recorded, a new deploy) ends ``succeeded`` with
  the outputs of an uninterrupted run (``mismatches`` counts those that did not), and nothing is left
  ``running``;
- every step recorded ``succeeded`` when the deployer died ran exactly once (``double_runs`` counts the
  others); a step killed mid-way may run again.

The last line is the summary: ``kills=N resumes=N integrity_failures=0 double_runs=0 mismatches=0 orphans=0``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs

DEPLOYER = str(Path(__file__).with_name("deployer.py"))
STEPS = ("Prepare", "Build", "Publish")
POINTS = ("deployment-recorded", "before-engine-start", "after-engine-start", "job-started", "step-finished")
ORPHAN_SECONDS = 15.0

PLAN = '''\
from attini_sdk.plan import Plan, Runner

def step(name, after):
    return Runner(name, commands=[
        "sleep 0.$(( RANDOM % 3 + 1 ))",
        f'echo {name} >> "$KILL_COUNTER"',
        f"echo '{{\\"{name}\\": \\"done\\"}}' > \\"$ATTINI_OUTPUT\\"",
    ], after=after)

prepare = step("Prepare", [])
build = step("Build", [prepare])
publish = step("Publish", [build])
plan = Plan(publish)
'''


@attrs.define
class Summary:
    kills: int = 0
    resumes: int = 0
    integrity_failures: int = 0
    double_runs: int = 0
    mismatches: int = 0
    orphans: int = 0
    problems: list = attrs.field(factory=list)

    def line(self) -> str:
        return (f"kills={self.kills} resumes={self.resumes} integrity_failures={self.integrity_failures} "
                f"double_runs={self.double_runs} mismatches={self.mismatches} orphans={self.orphans}")

    @property
    def ok(self) -> bool:
        return not (self.integrity_failures or self.double_runs or self.mismatches or self.orphans)


def _distribution(root: Path) -> Path:
    folder = root / "dist"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "attini-config.yaml").write_text("distributionName: killme\nversion: 1.0.0\nplan: deployment_plan.py\n")
    (folder / "deployment_plan.py").write_text(PLAN)
    return folder


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = collections.defaultdict(list)
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            data = Path(f"/proc/{name}/stat").read_bytes()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2:].split()
        tree[int(fields[1])].append(int(name))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def _tagged(tag: str) -> list[int]:
    """Live (not zombie) processes whose environment carries ``KILL_TAG=tag``."""
    marker = f"KILL_TAG={tag}".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            if marker not in Path(f"/proc/{name}/environ").read_bytes().split(b"\0"):
                continue
            data = Path(f"/proc/{name}/stat").read_bytes()
        except OSError:
            continue
        if data[data.rfind(b")") + 2:].split()[0] != b"Z":
            found.append(int(name))
    return found


def _power_cut(pid: int) -> None:
    """Freeze the deployer and everything it started, then kill them all: nobody gets to clean up."""
    frozen: set[int] = set()
    for _ in range(5):  # a process forked while we froze its parent is caught on the next pass
        fresh = [p for p in _descendants(pid) if p not in frozen]
        if not fresh:
            break
        for p in fresh:
            try:
                os.kill(p, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        frozen.update(fresh)
    for p in frozen:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _wait_file(path: Path, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.01)
    return False


class Harness:
    def __init__(self, root: Path, seed: int, log=print):
        self.root = root
        self.home = root / "home"
        self.random = random.Random(seed)
        self.log = log
        self.summary = Summary()
        os.environ["ATTINI_HOME"] = str(self.home)
        import attini_sdk as at

        self.at = at
        self.env = at.Environment.create("dev", "test")
        self.artifact = at.Distribution.from_path(_distribution(root)).package()
        self.reference, self.duration = self._reference()

    def _environ(self, counter: Path, tag: str, pause: str | None) -> dict:
        env = {**os.environ, "ATTINI_HOME": str(self.home), "KILL_COUNTER": str(counter), "KILL_TAG": tag}
        env.pop("ATTINI_TEST_PAUSE_AT", None)
        if pause:
            env["ATTINI_TEST_PAUSE_AT"] = pause
        return env

    def _reference(self) -> tuple[dict, float]:
        counter = self.root / "reference.txt"
        started = time.monotonic()
        proc = subprocess.run([sys.executable, DEPLOYER, str(self.artifact.path)], capture_output=True, text=True,
                              env=self._environ(counter, "reference", None), timeout=120)
        duration = time.monotonic() - started
        latest = self.env.latest("killme")
        if proc.returncode != 0 or latest.status != "succeeded":
            raise RuntimeError(f"the uninterrupted run failed: {proc.stderr[-2000:]}")
        return _outputs(latest), duration

    def kill_once(self, n: int) -> None:
        s = self.summary
        mode = self.random.choice(("power", "deployer"))
        point = self.random.choice(POINTS) if self.random.random() < 1 / 3 else None
        counter, tag = self.root / f"counter-{n}.txt", f"kill-{n}-{os.getpid()}"
        before = {d.revision for d in self.env._backend.state.list_deployments("dev", distribution="killme")}
        pause = f"{point}:kill" if point and mode == "deployer" else point
        proc = subprocess.Popen([sys.executable, DEPLOYER, str(self.artifact.path)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=self._environ(counter, tag, pause))
        if point and mode == "power":
            marker = self.home / f"paused-{point}"
            marker.unlink(missing_ok=True)
            _wait_file(marker, proc, 60)
            marker.unlink(missing_ok=True)
        elif not point:
            time.sleep(self.random.uniform(0.25, 1.05) * self.duration)
        if point and mode == "deployer":
            proc.wait(60)  # it kills itself at the point (or finishes when the point never comes)
        elif mode == "power":
            _power_cut(proc.pid)
        else:
            proc.kill()
        proc.wait(60)
        s.kills += 1
        what = f"kill {n} ({mode}{', at ' + point if point else ''})"

        deadline = time.monotonic() + ORPHAN_SECONDS
        while _tagged(tag) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = _tagged(tag)
        if left:
            s.orphans += 1
            s.problems.append(f"{what}: processes outlived the deployer: {left}")
            for p in left:
                os.kill(p, signal.SIGKILL)

        state = self.env._backend.state
        if state.integrity_check() != ["ok"]:
            s.integrity_failures += 1
            s.problems.append(f"{what}: integrity_check failed")
        self.env._backend.detect_interrupted("dev")
        records = state.list_deployments("dev", distribution="killme")
        revisions = sorted(d.revision for d in records)
        if revisions != list(range(1, len(revisions) + 1)):
            s.integrity_failures += 1
            s.problems.append(f"{what}: revisions {revisions} have a gap or a duplicate")
        new = [d for d in records if d.revision not in before]
        finished = set()
        os.environ["KILL_COUNTER"] = str(counter)
        if new:
            record = new[0]
            finished = {r.step for r in state.step_runs(record.id) if r.status == "succeeded"}
            if not record.finished:
                s.resumes += 1
                try:
                    self.env.resume("killme", record.id)
                except Exception as err:  # noqa: BLE001 - any failure to resume is what the harness counts
                    s.mismatches += 1
                    s.problems.append(f"{what}: resume failed: {err}")
                    return
        else:  # killed before the deployment was recorded: nothing happened; deploy it now
            record = self.env.deploy(self.artifact)
        record = state.get_deployment(record.id)
        outputs = _outputs(self.at.Deployment(self.env, record))
        if record.status != "succeeded" or outputs != self.reference:
            s.mismatches += 1
            s.problems.append(f"{what}: ended {record.status} {record.error}: {record.cause}; outputs {outputs}")
        running = [r.step for r in state.step_runs(record.id) if r.status in ("running", "pending")]
        active = [d.revision for d in state.list_deployments("dev", distribution="killme") if not d.finished]
        if running or active:
            s.mismatches += 1
            s.problems.append(f"{what}: left running: steps {running}, revisions {active}")
        counts = collections.Counter(counter.read_text().split()) if counter.exists() else collections.Counter()
        for step in STEPS:
            if counts[step] < 1:
                s.mismatches += 1
                s.problems.append(f"{what}: step {step} never ran")
            if step in finished and counts[step] > 1 or counts[step] > 2:
                s.double_runs += 1
                s.problems.append(f"{what}: step {step} ran {counts[step]} times (finished before the kill: "
                                  f"{step in finished})")

    def run(self, kills: int) -> Summary:
        for n in range(kills):
            self.kill_once(n)
            self.log(f"{n + 1}/{kills} {self.summary.line()}")
        return self.summary


def _outputs(deployment) -> dict:
    outputs = deployment.outputs or {}
    return {k: outputs.get(k) for k in ("output",)} if isinstance(outputs, dict) and "output" in outputs else outputs


def run(kills: int, seed: int, root: Path | None = None, log=lambda line: None) -> Summary:
    """Run ``kills`` seeded kills in a fresh ``ATTINI_HOME`` under ``root``; returns the summary."""
    root = Path(root or tempfile.mkdtemp(prefix="kill-harness-"))
    saved = {k: os.environ.get(k) for k in ("ATTINI_HOME", "KILL_COUNTER")}
    try:
        return Harness(root, seed, log).run(kills)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--root", type=Path, default=None)
    args = parser.parse_args(argv)
    started = time.monotonic()
    summary = run(args.kills, args.seed, args.root, log=lambda line: print(line, file=sys.stderr, flush=True))
    for problem in summary.problems:
        print(problem)
    print(f"seed={args.seed} seconds={time.monotonic() - started:.0f}")
    print(summary.line())
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
