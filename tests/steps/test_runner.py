"""Runner jobs: real bash subprocesses in fresh copies of the distribution, Attini's contract."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from attini_sdk.errors import StepFailed
from attini_sdk.steps import runner
from attini_sdk.steps.base import AwsSettings, StepLog


def run(ctx, log, *commands, step="Job", cancelled=None, payload=None, **properties):
    return runner.execute({"Commands": list(commands), **properties}, payload or {}, ctx,
                          step=step, log=log, cancelled=cancelled)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_the_job_sees_the_contracts_environment(ctx, log, monkeypatch):
    for name in ("ATTINI_HOME", "ATTINI_BACKEND_PARAMETER", "ATTINI_DEBUG"):  # a session fixture may have set them
        monkeypatch.delenv(name, raising=False)
    result = run(ctx, log, """python3 - <<'EOF' > "$ATTINI_OUTPUT"
import json, os
print(json.dumps({k: v for k, v in os.environ.items() if k.startswith(("ATTINI_", "STAGE", "RETRIES", "AWS_RE"))
                  and k != "ATTINI_CONTAINER_ENGINE"}))  # this machine's setting (tests/conftest.py), not the contract
EOF""", Environment={"STAGE": "dev", "RETRIES": 3})

    source = result["ATTINI_SOURCE_DIR"]
    assert result == {
        "ATTINI_ENVIRONMENT_NAME": "dev",
        "ATTINI_DISTRIBUTION_NAME": "app",
        "ATTINI_DISTRIBUTION_ID": ctx.distribution_id,
        "ATTINI_DISTRIBUTION_VERSION": "1.0.0",
        "ATTINI_STEP_NAME": "Job",
        "ATTINI_SOURCE_DIR": source,
        "ATTINI_INPUT": str(Path(source).parent / "input.json"),
        "ATTINI_OUTPUT": str(Path(source).parent / "output"),
        "STAGE": "dev",
        "RETRIES": "3",
        "AWS_REGION": "eu-west-1",
    }
    assert source.startswith(str(ctx.work_dir))


def test_the_payload_is_in_attini_input(ctx, log):
    payload = {"output": {"Network": {"VpcId": "vpc-1"}}, "environment": "dev"}

    assert run(ctx, log, 'cp "$ATTINI_INPUT" "$ATTINI_OUTPUT"', payload=payload) == payload


@pytest.mark.parametrize("command, result", [
    ("echo '{\"ready\": true}' > $ATTINI_OUTPUT", {"ready": True}),
    ("echo '[1, 2]' > $ATTINI_OUTPUT", [1, 2]),
    ("echo deployed version 2 > $ATTINI_OUTPUT", {"result": "deployed version 2"}),
    ("echo nothing to say", {}),
])
def test_attini_output_becomes_the_result(ctx, log, command, result):
    assert run(ctx, log, command) == result


def test_each_job_works_in_its_own_writable_copy_of_the_distribution(dist, ctx, log, request):
    dist.write("/scripts/build.sh", "echo building\n")
    (dist.root / "scripts" / "build.sh").chmod(0o555)
    (dist.root / "scripts").chmod(0o555)  # the extracted artifact is read-only
    request.addfinalizer(lambda: (dist.root / "scripts").chmod(0o755))

    first = run(ctx, log, "bash scripts/build.sh", "echo changed > scripts/build.sh", "cat scripts/build.sh > $ATTINI_OUTPUT")
    second = run(ctx, log, "cat scripts/build.sh > $ATTINI_OUTPUT")

    assert first == {"result": "changed"}
    assert second == {"result": "echo building"}
    assert (dist.root / "scripts" / "build.sh").read_text() == "echo building\n"
    assert list((ctx.work_dir / "jobs").iterdir()) == []  # finished jobs clean up after themselves


def test_output_reaches_the_log_line_by_line_interleaved(ctx, log):
    run(ctx, log, "echo one", "echo two >&2", "echo three")

    lines = log.path.read_text().splitlines()
    assert [line for line in lines if not line.startswith("[attini]")] == ["one", "two", "three"]


def test_the_log_is_written_while_the_job_still_runs(ctx, log, tmp_path):
    go = tmp_path / "go"

    def release_when_first_line_is_logged():
        for _ in range(400):
            if "first" in log.path.read_text():
                go.touch()
                return
            time.sleep(0.02)

    threading.Thread(target=release_when_first_line_is_logged, daemon=True).start()
    result = run(ctx, log, "echo first", f"for i in $(seq 400); do [ -f {go} ] && break; sleep 0.02; done",
                 f"[ -f {go} ] && echo released > $ATTINI_OUTPUT")

    assert result == {"result": "released"}


@pytest.mark.parametrize("commands", [
    ["echo before", "false", "echo never"],
    ["echo before", "false | true", "echo never"],  # pipefail
])
def test_a_failing_command_fails_the_step_with_the_last_lines(ctx, log, commands):
    with pytest.raises(StepFailed) as failed:
        run(ctx, log, *commands)

    assert failed.value.error == "ScriptExecutionError"
    assert "failed with exit code 1" in str(failed.value)
    assert failed.value.cause == "before"
    assert "never" not in log.path.read_text()
    kept = list((ctx.work_dir / "jobs").iterdir())
    assert len(kept) == 1 and f"job directory kept for inspection: {kept[0]}" in log.path.read_text()


def test_a_job_over_its_timeout_is_stopped_with_everything_it_started(make_ctx, log, tmp_path):
    ctx = make_ctx(runners={"Fast": {"RunnerConfiguration": {"JobTimeout": 0.5}}})
    pid_file = tmp_path / "child.pid"

    with pytest.raises(StepFailed) as failed:
        run(ctx, log, f"sleep 30 & echo $! > {pid_file}", "wait", Runner="Fast")

    assert failed.value.error == "RunnerJobTimeout"
    assert "longer than 0.5 s" in str(failed.value)
    assert not alive(int(pid_file.read_text()))


def test_a_cancelled_job_is_killed(ctx, log, tmp_path, cancelled):
    pid_file = tmp_path / "child.pid"

    def cancel_once_started():
        for _ in range(500):
            if pid_file.exists() and pid_file.read_text().strip():
                cancelled.set()
                return
            time.sleep(0.02)

    threading.Thread(target=cancel_once_started, daemon=True).start()
    with pytest.raises(StepFailed) as failed:
        run(ctx, log, f"sleep 30 & echo $! > {pid_file}", "wait", cancelled=cancelled)

    assert failed.value.error == "StepCancelled"
    assert not alive(int(pid_file.read_text()))


def test_a_runner_runs_at_most_its_max_concurrent_jobs(make_ctx, tmp_path):
    ctx = make_ctx(runners={"Pair": {"RunnerConfiguration": {"MaxConcurrentJobs": 2}}})
    running, counts = tmp_path / "running", tmp_path / "counts"
    running.mkdir()
    job = [
        'touch "$RUNNING/$ATTINI_STEP_NAME"',
        # wait (up to 5 s) until a second job is running too, then record how many run
        'for i in $(seq 100); do [ "$(ls "$RUNNING" | wc -l)" -ge 2 ] && break; sleep 0.05; done',
        'ls "$RUNNING" | wc -l >> "$COUNTS"',
        "sleep 0.2",
        'rm "$RUNNING/$ATTINI_STEP_NAME"',
    ]

    def one(i):
        with StepLog(tmp_path / f"job{i}.log") as log:
            return run(ctx, log, *job, step=f"Job{i}", Runner="Pair",
                       Environment={"RUNNING": str(running), "COUNTS": str(counts)})

    with ThreadPoolExecutor(max_workers=5) as pool:
        assert list(pool.map(one, range(5))) == [{}] * 5

    assert max(int(n) for n in counts.read_text().split()) == 2
    waited = [p for p in tmp_path.glob("job*.log") if "waiting for a free slot" in p.read_text()]
    assert waited


def test_startup_commands_run_once_per_runner_per_deployment(make_ctx, tmp_path):
    started = tmp_path / "started"
    runners = {"Tools": {"Startup": {"Commands": [f"echo $ATTINI_DISTRIBUTION_NAME >> {started}"]}}}
    ctx = make_ctx(runners=runners)

    with StepLog(tmp_path / "a.log") as log:
        for i in range(3):
            run(ctx, log, "true", step=f"Job{i}", Runner="Tools")
    resumed = make_ctx(runners=runners)  # a resumed deployment keeps its work directory
    with StepLog(tmp_path / "b.log") as log:
        run(resumed, log, "true", Runner="Tools")

    assert started.read_text() == "app\n"

    next_deployment = make_ctx(runners=runners, work_dir=tmp_path / "work-2")
    with StepLog(tmp_path / "c.log") as log:
        run(next_deployment, log, "true", Runner="Tools")
    assert started.read_text() == "app\napp\n"


def test_failed_startup_commands_fail_the_step_and_run_again_next_time(make_ctx, log, tmp_path):
    flag = tmp_path / "fixed"
    ctx = make_ctx(runners={"Tools": {"Startup": {"Commands": [f"test -f {flag}"]}}})

    with pytest.raises(StepFailed) as failed:
        run(ctx, log, "true", Runner="Tools")
    assert failed.value.error == "RunnerStartupError"

    flag.touch()
    assert run(ctx, log, "true", Runner="Tools") == {}


def test_the_deployments_aws_settings_reach_the_job(make_ctx, log):
    ctx = make_ctx(aws=AwsSettings(region="eu-north-1", endpoint_url="http://127.0.0.1:5999"))

    result = run(ctx, log, 'echo "$AWS_REGION $AWS_DEFAULT_REGION $AWS_ENDPOINT_URL" > $ATTINI_OUTPUT')

    assert result == {"result": "eu-north-1 eu-north-1 http://127.0.0.1:5999"}


@pytest.mark.parametrize("properties, message", [
    ({}, "needs Commands"),
    ({"Commands": []}, "needs Commands"),
    ({"Commands": ["true"], "Runner": "Nope"}, "runner 'Nope' is not defined"),
    ({"Commands": ["true"], "Command": "x"}, "unknown Runner property: Command"),
    ({"Commands": ["true"], "Environment": ["A=1"]}, "Environment must be a mapping"),
])
def test_a_misconfigured_step_is_an_error(ctx, log, properties, message):
    with pytest.raises(StepFailed, match=message) as failed:
        runner.execute(properties, {}, ctx, step="Job", log=log)

    assert failed.value.error == "Runner.ConfigError"


def test_an_invalid_runner_configuration_is_an_error(make_ctx, log):
    ctx = make_ctx(runners={"Bad": {"RunnerConfiguration": {"MaxConcurrentJobs": 0}}})

    with pytest.raises(StepFailed, match="MaxConcurrentJobs must be a positive number"):
        run(ctx, log, "true", Runner="Bad")


def test_the_fingerprint_follows_commands_and_files(dist, ctx):
    dist.write("/deploy.sh", "echo v1\n")
    properties = {"Commands": ["bash deploy.sh"]}
    before = runner.fingerprint(properties, ctx)

    assert runner.fingerprint(dict(properties), ctx) == before
    assert runner.fingerprint({"Commands": ["bash deploy.sh", "true"]}, ctx) != before
    dist.write("/deploy.sh", "echo v2\n")
    assert runner.fingerprint(properties, ctx) != before


def test_job_output_is_not_lost_when_the_process_writes_without_newline(ctx, log):
    run(ctx, log, "printf 'no newline at the end'")

    assert log.path.read_text().splitlines()[-1] == "no newline at the end"


def test_environment_is_inherited_so_tools_on_path_work(ctx, log, monkeypatch):
    monkeypatch.setenv("ATTINI_TEST_INHERITED", "yes")

    assert run(ctx, log, "echo $ATTINI_TEST_INHERITED > $ATTINI_OUTPUT") == {"result": "yes"}
    assert os.environ["ATTINI_TEST_INHERITED"] == "yes"

