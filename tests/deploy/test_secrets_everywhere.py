"""Secrets of every shape stay secret in everything a person can read (issue 15 point 1, issue 13 point 2).

Four secret environment parameters (plain text, a number set through the API, a multi-line PEM key, text full
of JSON-special characters) reach runner steps that print them, return them and fail with them. Afterwards no
form of any of them appears in CLI output (tables and ``--json``), logs, DataFrames, or any byte of any file
under ``$ATTINI_HOME`` (the SQLite database pages and WAL included: stored values are encrypted at rest), every
file and folder there is owner-only, and a deployment that used them resumes after its deployer was killed.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import attini_sdk as at
from attini_sdk.cli import main

from .conftest import runner_step

PLAIN = "hunter2-plain-7c1d9e"
NUMBER = 918273645501
PEM = ("-----BEGIN PRIVATE KEY-----\n"
       "MC4CAQAwBQYDK2VwBCIEIOx3Vf0hZ7yQ8kqzJ3a9bKpRt1nWx2oC4sLmUe5dFgh\n"
       "QmVuIGlzIGEgdGVzdCBrZXkgbm90IGEgcmVhbCBvbmUgYXQgYWxsIGZvciBzdXJl\n"
       "-----END PRIVATE KEY-----\n")
SPECIAL = 'q"uo\\te\tw\u00f6rd\u2603-x9/<&>'
SECRETS = {"Plain": PLAIN, "Pin": NUMBER, "Pem": PEM, "Special": SPECIAL}
ENVIRONMENT = {"PLAIN.$": "$.parameters.Plain", "PIN.$": "$.parameters.Pin", "PEM.$": "$.parameters.Pem",
               "SPECIAL.$": "$.parameters.Special"}
PRINT = ['echo "plain=$PLAIN pin=$PIN special=$SPECIAL"', 'echo "$PEM"', 'cat "$ATTINI_INPUT"',
         'printf "%s" "$PEM" | head -c 40']

DEPLOYER = str(Path(__file__).with_name("deployer.py"))

#: a step prints the secrets and returns them (also inside a longer string); the next one receives them from
#: that output, prints them again and checks it got the real values
PRINTS = {"StartAt": "Print", "States": {
    "Print": {**runner_step("Print", [*PRINT, 'jq -n --arg p "$PLAIN" --argjson n "$PIN" --arg k "$PEM" '
                                              '--arg s "$SPECIAL" \'{p: $p, n: $n, k: $k, s: $s, '
                                              'url: ("db://u:" + $p + "@h")}\' > "$ATTINI_OUTPUT"'],
                              Environment=ENVIRONMENT), "Next": "Check"},
    "Check": {**runner_step("Check", [
        'echo "got $P and $U"',
        'test "$P" = "$PLAIN" && test "$U" = "db://u:$PLAIN@h" && test "$K" = "$PEM" && test "$N" = "$PIN"',
        'echo \'{"same": true}\' > "$ATTINI_OUTPUT"'],
        Environment={**ENVIRONMENT, "P.$": "$.output.Print.p", "U.$": "$.output.Print.url",
                     "K.$": "$.output.Print.k", "N.$": "$.output.Print.n"}), "End": True}}}
#: a step prints the secrets, to stderr too, and fails
FAILS = {"StartAt": "Fail", "States": {"Fail": {**runner_step(
    "Fail", [*PRINT, 'echo "failing with $PLAIN and $SPECIAL" >&2', "exit 3"], Environment=ENVIRONMENT),
    "End": True}}}


def forms() -> list[str]:
    """Every text a secret must never appear as: the value, its JSON-escaped forms, each line of the PEM key."""
    found = set()
    for value in SECRETS.values():
        text = value if isinstance(value, str) else json.dumps(value)
        found |= {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    found |= {line for line in PEM.splitlines() if len(line) > 8}
    return sorted(found)


def leaks(text: str) -> list[str]:
    return [form for form in forms() if form in text]


def file_leaks(home: Path) -> list[str]:
    """``path: form`` for every file under ``home`` whose raw bytes hold a form of a secret."""
    found = []
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path.relative_to(home)}: {form!r}" for form in forms() if form.encode() in data]
    return found


def not_owner_only(home: Path) -> list[str]:
    """Every file or folder under ``home`` (and home itself) that anyone but its owner may read."""
    found = []
    for path in [home, *home.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if stat.S_IMODE(mode) & 0o077:
            found.append(f"{path.relative_to(home)}: {oct(stat.S_IMODE(mode))}")
    return found


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private ATTINI_HOME, created by attini itself; runner steps only, so no AWS."""
    path = tmp_path / "attini-home"
    monkeypatch.setenv("ATTINI_HOME", str(path))
    monkeypatch.delenv("ATTINI_DEBUG", raising=False)
    return path


@pytest.fixture
def cli(capsys):
    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out + err

    return run


def _env_with_secrets() -> at.Environment:
    env = at.Environment.create("dev", type="test")
    for key, value in SECRETS.items():
        env.parameters.set(key, value, secret=True)
    return env


def test_secrets_of_every_shape_never_reach_cli_output_logs_frames_or_files(home, project, cli):
    env = _env_with_secrets()
    app = project("app")
    good, bad = app.package(PRINTS, "1.0.0"), app.package(FAILS, "2.0.0")

    seen = []
    code, out = cli("deploy", "run", good.path, "-e", "dev", "--json")
    seen.append(out)
    assert code == 0, out
    assert json.loads(out)["status"] == "succeeded"
    code, out = cli("deploy", "run", bad.path, "-e", "dev", "--json")
    seen.append(out)
    assert code == 1 and json.loads(out)["status"] == "failed"
    code, out = cli("deploy", "rollback", "-e", "dev", "-n", "app", "--json")
    seen.append(out)
    assert code == 0 and json.loads(out)["status"] == "succeeded", out
    for args in (["deploy", "describe"], ["deploy", "describe", "--json"], ["deploy", "output"],
                 ["deploy", "logs"], ["deploy", "logs", "--json"], ["deploy", "history", "--json", "-w"],
                 ["deploy", "describe", "-r", "2", "--json"], ["deploy", "logs", "-r", "2"],
                 ["deploy", "output", "-r", "1"], ["inventory", "--json"], ["environment", "param", "list", "--json"],
                 ["environment", "param", "list"]):
        code, out = cli(*args, "-e", "dev", *(["-n", "app"] if args[0] == "deploy" else []))
        assert code == 0, (args, out)
        seen.append(out)
    deployments = [env.deployment(i) for i in env.history("app")["deployment_id"]]
    for d in deployments:
        seen += [d.steps.to_json(date_format="iso"), json.dumps(d.outputs), json.dumps(d.summary(), default=str),
                 repr(d), d._repr_html_(), *(d.logs(step) for step in set(d.steps["step"]))]
    seen += [env.history().to_json(date_format="iso"), env.inventory().to_json(date_format="iso"),
             env.parameters.frame().to_json(), repr(env.parameters)]

    everything = "\n".join(seen)
    assert "***" in everything
    assert leaks(everything) == []
    assert deployments[0].outputs["output"]["Check"] == {"same": True}  # the steps got the real values
    assert file_leaks(home) == []
    assert not_owner_only(home) == []
    assert env.parameters.reveal("Pin") == NUMBER and env.parameters.reveal("Pem") == PEM


def _until(condition, what: str, proc: subprocess.Popen, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            raise AssertionError(f"the deployer exited ({proc.returncode}) before {what}: {proc.stderr.read()!r}")
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def test_a_deployment_that_used_secrets_resumes_after_its_deployer_was_killed(home, project, tmp_path):
    marker, pidfile = tmp_path / "started", tmp_path / "job.pid"
    env = _env_with_secrets()
    plan = {"StartAt": "Before", "States": {
        "Before": {**runner_step("Before", [*PRINT, 'jq -n --arg p "$PLAIN" --argjson n "$PIN" '
                                                    '\'{p: $p, n: $n}\' > "$ATTINI_OUTPUT"'],
                                 Environment=ENVIRONMENT), "Next": "Job"},
        "Job": {**runner_step("Job", [
            f'if [ -f {marker} ]; then test "$P" = "$PLAIN" && test "$N" = "$PIN" && test "$K" = "$PEM" '
            '&& echo \'{"second": true}\' > "$ATTINI_OUTPUT"; exit $?; fi',
            f"echo $$ > {pidfile}", f"touch {marker}", "sleep 120"],
            Environment={**ENVIRONMENT, "P.$": "$.output.Before.p", "N.$": "$.output.Before.n",
                         "K.$": "$.parameters.Pem"}), "End": True}}}
    artifact = project("jobs").package(plan)

    proc = subprocess.Popen([sys.executable, DEPLOYER, "deploy", "dev", str(artifact.path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _until(lambda: marker.exists() and pidfile.exists() and pidfile.read_text().strip(), "the job runs", proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    try:
        os.killpg(int(pidfile.read_text()), signal.SIGKILL)
    except ProcessLookupError:
        pass  # the job died with its deployer

    # the checkpoints and events of the interrupted execution hold references; only the input of the job that
    # was in flight holds values (owner-only) until resume puts references back
    assert [leak for leak in file_leaks(home) if not leak.startswith("work/")] == []
    assert not_owner_only(home) == []
    resumed = env.resume("jobs")

    assert resumed.status == "succeeded", (resumed.error, resumed.cause)
    assert resumed.outputs["output"]["Job"] == {"second": True}
    assert resumed.outputs["output"]["Before"] == {"p": "***", "n": "***"}
    assert file_leaks(home) == []
    assert not_owner_only(home) == []


SECURE = "ssm-secure-9d2f61"
NOECHO_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  AttiniEnvironmentName: {Type: String}
  ApiKey: {Type: String, NoEcho: true}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AttiniEnvironmentName}-keyed"
Outputs:
  QueueUrl: {Value: !Ref Queue}
"""


def test_a_securestring_from_ssm_reaches_the_stack_and_nothing_a_person_reads(home, project, cli, aws):
    import boto3

    from .conftest import cloudformation

    boto3.client("ssm").put_parameter(Name="/app/api-key", Value=SECURE, Type="SecureString")
    _env_with_secrets()
    app = project("app").write("/keyed.yaml", NOECHO_TEMPLATE)
    plan = {"StartAt": "Stack", "States": {"Stack": {
        "Type": "Task", "Resource": "attini:cfn", "ResultPath": "$.output.Stack", "End": True,
        "Parameters": {"StackName": "keyed", "Template": "/keyed.yaml",
                       "Parameters": {"ApiKey": {"value": "/app/api-key", "type": "ssm-parameter"}}}}}}

    code, out = cli("deploy", "run", app.package(plan).path, "-e", "dev", "--json")

    assert code == 0 and json.loads(out)["status"] == "succeeded", out
    stack = cloudformation().describe_stacks(StackName="keyed")["Stacks"][0]
    assert "ApiKey" in {p["ParameterKey"] for p in stack["Parameters"]}
    seen = [out]
    for args in (["deploy", "describe", "--json"], ["deploy", "logs"], ["deploy", "output"]):
        seen.append(cli(*args, "-e", "dev", "-n", "app")[1])
    assert SECURE not in "\n".join(seen)
    assert [p for p in home.rglob("*") if p.is_file() and SECURE.encode() in p.read_bytes()] == []
    assert not_owner_only(home) == []


def test_a_rotated_secret_runs_a_skip_unchanged_step_again(home, project, tmp_path):
    counter = tmp_path / "runs.txt"
    env = at.Environment.create("dev")
    env.parameters.set("Token", "first-token-1a2b", secret=True)
    plan = {"StartAt": "Use", "States": {"Use": {**runner_step("Use", [f"echo run >> {counter}"],
                                                               SkipUnchanged=True), "End": True}}}
    artifact = project("app").package(plan)

    env.deploy(artifact)
    env.deploy(artifact)  # nothing changed: skipped
    env.parameters.set("Token", "second-token-3c4d", secret=True)
    env.deploy(artifact)  # the payload holds the same reference, but the secret behind it changed

    assert counter.read_text().split() == ["run", "run"]
    assert [s for s in env.history("app")["status"].astype(str)] == ["succeeded"] * 3
