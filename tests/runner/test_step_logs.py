"""Step logs on the AWS backend: the runner ships each run's log to CloudWatch Logs while it runs, a deployer reads
it back (every attempt, in order), secrets never leave the runner, and the API's limits are kept."""

from __future__ import annotations

import threading
import time

import pytest

from attini_sdk.backends.aws.session import AwsSession
from attini_sdk.backends.aws.step_logs import MAX_EVENT_BYTES, read_step_log, stream_name
from attini_sdk.errors import BackendError
from attini_sdk.runner import RunnerSettings, RunnerWorker
from attini_sdk.steps.base import step_log_path
from tests.deploy.conftest import runner_step
from tests.runner.test_worker import LOG_GROUP, REGION, Launch, cloud, drive, project, state  # noqa: F401

pytestmark = pytest.mark.usefixtures("cloud")


def read(deployment_id: str, step: str, group: str = LOG_GROUP) -> str | None:
    return read_step_log(AwsSession(region=REGION), group, deployment_id, step)


def one_step(name: str, commands: list[str], **extra) -> dict:
    return {"StartAt": name, "States": {name: {**runner_step(name, commands, **extra), "End": True}}}


def test_a_steps_log_reads_back_from_cloudwatch_exactly_as_the_runner_wrote_it(cloud, state, project, tmp_path):
    clients, contract = cloud
    launch = Launch(clients, contract, state, project("app").package(one_step("Hello", [
        "echo 'hello from' $ATTINI_STEP_NAME", "echo", "echo 'grüße, ünïcode ✓'"])))
    worker = RunnerWorker(clients, state, contract, cache_dir=tmp_path / "cache")

    assert drive(worker, launch)["status"] == "SUCCEEDED"

    written = step_log_path(worker._prepared[launch.record.id].ctx.log_dir, "Hello").read_text(encoding="utf-8")
    assert read(launch.record.id, "Hello") == written
    assert "hello from Hello\n\ngrüße, ünïcode ✓\n" in written
    assert read(launch.record.id, "Nothing") is None


def test_a_secret_parameter_printed_by_a_runner_step_never_reaches_cloudwatch(cloud, state, project, tmp_path):
    clients, contract = cloud
    state.set_parameter("dev", "DbPassword", "hunter2-s3cr3t", secret=True)
    plan = one_step("Connect", ['echo "connecting with $PW"', 'echo "$PW" | rev'],
                    Environment={"PW.$": "$.parameters.DbPassword"})
    launch = Launch(clients, contract, state, project("app").package(plan))
    worker = RunnerWorker(clients, state, contract, cache_dir=tmp_path / "cache")

    assert drive(worker, launch)["status"] == "SUCCEEDED"

    logs = clients.client("logs")
    shipped = [event["message"] for stream in logs.describe_log_streams(logGroupName=LOG_GROUP)["logStreams"]
               for event in logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=stream["logStreamName"],
                                                startFromHead=True)["events"]]
    assert "connecting with ***\n" in shipped
    assert not [m for m in shipped if "hunter2" in m]
    assert "t3rc3s-2retnuh\n" in shipped  # what the secret redactor cannot know about is the job's own business


def test_long_output_goes_out_in_calls_and_events_within_the_api_limits(cloud, state, project, tmp_path):
    clients, contract = cloud
    plan = one_step("Chatty", ["seq 1 12000", "python3 -c \"print('é' * 150000)\"", "echo end"])
    launch = Launch(clients, contract, state, project("app").package(plan))
    worker = RunnerWorker(clients, state, contract, cache_dir=tmp_path / "cache")

    assert drive(worker, launch, seconds=60)["status"] == "SUCCEEDED"

    text = read(launch.record.id, "Chatty")
    assert text == step_log_path(worker._prepared[launch.record.id].ctx.log_dir, "Chatty").read_text(encoding="utf-8")
    assert "\n11999\n12000\n" + "é" * 150000 + "\nend\n" in text
    logs = clients.client("logs")
    name = stream_name(launch.record.id, "Chatty", 1)
    sizes, kwargs = [], {"logGroupName": LOG_GROUP, "logStreamName": name, "startFromHead": True}
    while True:
        page = logs.get_log_events(**kwargs)
        sizes += [len(e["message"].encode("utf-8")) for e in page["events"]]
        if page["nextForwardToken"] == kwargs.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextForwardToken"]
    assert len(sizes) > 10_000 and max(sizes) <= MAX_EVENT_BYTES  # the 300 KB line went out in two events


def test_a_running_steps_log_can_be_tailed_before_it_ends(cloud, state, project, tmp_path):
    clients, contract = cloud
    release = tmp_path / "release"
    plan = one_step("Slow", ["echo started", f"while [ ! -e {release} ]; do sleep 0.1; done", "echo finished"])
    launch = Launch(clients, contract, state, project("app").package(plan))
    worker = RunnerWorker(clients, state, contract, cache_dir=tmp_path / "cache",
                          settings=RunnerSettings(max_jobs=1, log_seconds=0.2, wait_time_seconds=0))
    runner = threading.Thread(target=drive, args=(worker, launch), daemon=True)
    runner.start()

    seen = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "started" not in (seen or ""):
        seen = read(launch.record.id, "Slow")
        time.sleep(0.1)
    release.touch()
    runner.join(60)

    assert "started\n" in seen and "finished" not in seen  # read while the step was still waiting
    assert read(launch.record.id, "Slow").endswith("started\nfinished\n")


def test_every_attempt_is_read_in_order_and_a_step_is_not_confused_with_one_below_it(cloud):
    clients, _ = cloud
    logs = clients.client("logs")
    now = int(time.time() * 1000)
    for name, text in [("d-1/Step/2", "second\n"), ("d-1/Step/10", "tenth\n"), ("d-1/Step/1", "first\n"),
                       ("d-1/Step/Sub/1", "another step\n")]:
        logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=name)
        logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=name, logEvents=[{"timestamp": now, "message": text}])

    assert read("d-1", "Step") == "first\nsecond\ntenth\n"
    assert read("d-1", "Step/Sub") == "another step\n"


def test_without_its_log_group_a_step_still_runs_and_reading_says_what_is_missing(cloud, state, project, tmp_path):
    clients, contract = cloud
    contract = {**contract, "runner_log_group": "/attini/removed/runner"}
    launch = Launch(clients, contract, state, project("app").package(one_step("Hello", ["echo hi"])))
    worker = RunnerWorker(clients, state, contract, cache_dir=tmp_path / "cache")

    assert drive(worker, launch)["status"] == "SUCCEEDED"

    with pytest.raises(BackendError) as caught:
        read(launch.record.id, "Hello", group="/attini/removed/runner")
    assert "log group does not exist" in caught.value.what and "pulumi up" in caught.value.hint
