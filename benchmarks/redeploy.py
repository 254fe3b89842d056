"""Skip unchanged at the deployment level: a 50-step Cfn plan on moto, first deploy vs no-op redeploy.

Measured side by side in one run, against a moto server on 127.0.0.1 (the endpoint comes from
AWS_ENDPOINT_URL, as for any user):

- first deploy: the whole deploy flow, 50 stacks created
- no-op redeploy: the same artifact again; every step's fingerprint equals its last run, so all 50 are skipped
- forced redeploy (``rerun_unchanged=True``), the peer: every step asks CloudFormation, which finds no changes

through the Python API (one process, ``env.deploy``), then the same first deploy and no-op redeploy through
the CLI: ``attini deploy run ZIP -e ENV``, each a new process, as a user or a CI job runs it (the time
includes starting Python and the CLI).

Run: .venv/bin/python benchmarks/redeploy.py [STEPS] [ROUNDS]
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = """\
Parameters:
  Name: {Type: String}
  AttiniEnvironmentName: {Type: String}
Resources:
  Note:
    Type: AWS::SSM::Parameter
    Properties: {Name: !Sub "/${AttiniEnvironmentName}/${Name}", Type: String, Value: !Ref Name}
Outputs:
  NoteName: {Value: !Ref Note}
"""


def _plan(steps: int) -> dict:
    states = {}
    for i in range(steps):
        states[f"Note{i:02d}"] = {
            "Type": "Task", "Resource": "attini:cfn", "ResultPath": f"$.output.Note{i:02d}",
            "Parameters": {"StackName": f"note-{i:02d}", "Template": "/note.yaml", "Parameters": {"Name": f"n{i}"}},
            **({"Next": f"Note{i + 1:02d}"} if i + 1 < steps else {"End": True})}
    return {"StartAt": "Note00", "States": states}


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main(steps: int, rounds: int) -> None:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(AWS_ENDPOINT_URL=f"http://{host}:{port}", AWS_ACCESS_KEY_ID="bench",
                      AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="eu-west-1")
    import attini_sdk as at

    firsts, noops, forced, cli_firsts, cli_noops = [], [], [], [], []
    try:
        for n in range(rounds):
            with tempfile.TemporaryDirectory() as tmp:
                source = Path(tmp) / "notes"
                source.mkdir()
                (source / "note.yaml").write_text(TEMPLATE)
                (source / "attini-config.yaml").write_text("distributionName: notes\nversion: 1.0.0\n")
                artifact = at.Distribution(name="notes", version="1.0.0", source=source,
                                           plan=_plan(steps)).package(Path(tmp) / "dist")
                env = at.Environment.local(f"bench{n}", home=Path(tmp) / "home")
                seconds, first = _timed(lambda: env.deploy(artifact))
                assert first.status == "succeeded", first.cause
                firsts.append(seconds)
                seconds, again = _timed(lambda: env.deploy(artifact))
                assert set(again.steps["status"].astype(str)) == {"skipped"}
                noops.append(seconds)
                seconds, redo = _timed(lambda: env.deploy(artifact, rerun_unchanged=True))
                assert set(redo.steps["status"].astype(str)) == {"succeeded"}
                forced.append(seconds)
                cli_first, cli_noop = _through_the_cli(artifact.path, Path(tmp) / "cli-home")
                cli_firsts.append(cli_first)
                cli_noops.append(cli_noop)
                print(f"round {n + 1}: first {firsts[-1]:.2f} s, no-op redeploy {noops[-1]:.3f} s, "
                      f"forced redeploy {forced[-1]:.2f} s; CLI: first {cli_first:.2f} s, no-op {cli_noop:.3f} s",
                      flush=True)
    finally:
        server.stop()
    first, noop, force = (statistics.median(x) for x in (firsts, noops, forced))
    print(f"\n{steps}-step Cfn plan, median of {rounds} rounds")
    print(f"  first deploy        {first:7.3f} s  ({first / steps * 1000:.1f} ms/step)")
    print(f"  no-op redeploy      {noop:7.3f} s  ({noop / steps * 1000:.1f} ms/step)  "
          f"{first / noop:.1f}x faster than the first deploy (target >= 10x)")
    print(f"  forced redeploy     {force:7.3f} s  ({force / steps * 1000:.1f} ms/step)  "
          f"no-op is {force / noop:.1f}x faster")
    cli_first, cli_noop = statistics.median(cli_firsts), statistics.median(cli_noops)
    print(f"through the CLI (attini deploy run ZIP, one process each)")
    print(f"  first deploy        {cli_first:7.3f} s")
    print(f"  no-op redeploy      {cli_noop:7.3f} s  {cli_first / cli_noop:.1f}x faster than the first deploy "
          f"(target >= 10x)")


def _through_the_cli(zip_path: Path, home: Path) -> tuple[float, float]:
    """(first deploy, no-op redeploy) seconds of ``attini deploy run ZIP`` processes in a fresh home."""
    env = {**os.environ, "ATTINI_HOME": str(home)}

    def attini(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "attini_sdk", *args], env=env, capture_output=True, text=True)

    assert attini("environment", "create", "cli", "--env-type", "test").returncode == 0
    first_s, first = _timed(lambda: attini("deploy", "run", str(zip_path), "-e", "cli"))
    assert first.returncode == 0, first.stderr
    noop_s, noop = _timed(lambda: attini("deploy", "run", str(zip_path), "-e", "cli"))
    assert noop.returncode == 0 and " skipped" in noop.stdout and " succeeded" not in noop.stdout.replace(
        "succeeded in", ""), noop.stdout
    return first_s, noop_s


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
