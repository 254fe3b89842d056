"""Runners with an Image: in a container when an engine works here (a stand-in docker), else on this host."""

from __future__ import annotations

import doctest
import json
import os
from pathlib import Path

import pytest

from attini_sdk.errors import StepFailed
from attini_sdk.steps import container_engine, runner, runner_container
from attini_sdk.steps.base import AwsSettings, StepLog
from tests.fake_docker import FakeDocker

IMAGE = "public.ecr.aws/docker/library/amazonlinux:2023"
SHOW = ('python3 -c "import json, os; print(json.dumps({k: v for k, v in os.environ.items() '
        'if k != \'PATH\'}))" > "$ATTINI_OUTPUT"')


class Notes(StepLog):
    """A step log that keeps what it was told to say to the person deploying."""

    def __init__(self, path):
        self.notices: list[str] = []
        super().__init__(path, on_notice=self.notices.append)


@pytest.fixture
def notes(tmp_path):
    log = Notes(tmp_path / "logs" / "Job.log")
    yield log
    log.close()


@pytest.fixture
def docker(tmp_path, monkeypatch) -> FakeDocker:
    """The stand-in docker first on PATH, found by detection (ATTINI_CONTAINER_ENGINE unset)."""
    stand_in = FakeDocker.install(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{stand_in.path.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv(container_engine.ENGINE_VARIABLE)
    return stand_in


def run(ctx, log, *commands, step="Job", **properties):
    return runner.execute({"Commands": list(commands), "Runner": "Custom", **properties}, {"environment": "dev"},
                          ctx, step=step, log=log)


def custom(startup: list[str] | None = None, **extra) -> dict:
    definition = {"Image": IMAGE, **extra}
    if startup:
        definition["Startup"] = {"Commands": startup}
    return {"Custom": definition}


def test_a_job_runs_in_the_image_with_its_folder_mounted_and_the_contract_passed(make_ctx, notes, docker,
                                                                                monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-test")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("HOST_ONLY", "not for containers")
    ctx = make_ctx(runners=custom(), aws=AwsSettings(region="eu-west-1", endpoint_url="http://127.0.0.1:5000"))

    seen = run(ctx, notes, SHOW, Environment={"STAGE": "dev"})

    [job] = docker.runs()
    source = Path(seen["ATTINI_SOURCE_DIR"])
    assert job.image == IMAGE and job.command[:3] == ["bash", "-eo", "pipefail"]
    assert job.has("--rm") and job.has("--init") and job.values("--network") == ["host"]
    assert job.values("-v") == [f"{source.parent}:{source.parent}"] and job.values("-w") == [str(source)]
    assert set(job.values("-e")) == {"ATTINI_ENVIRONMENT_NAME", "ATTINI_DISTRIBUTION_NAME", "ATTINI_DISTRIBUTION_ID",
                                     "ATTINI_DISTRIBUTION_VERSION", "ATTINI_STEP_NAME", "ATTINI_SOURCE_DIR",
                                     "ATTINI_INPUT", "ATTINI_OUTPUT", "AWS_REGION", "AWS_DEFAULT_REGION",
                                     "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "STAGE"}
    assert all("=" not in name for name in job.values("-e"))  # values never on the command line
    assert seen["ATTINI_INPUT"] == str(source.parent / "input.json") and seen["STAGE"] == "dev"
    assert seen["AWS_ACCESS_KEY_ID"] == "AKIA-test" and "HOST_ONLY" not in seen
    assert notes.notices == [] and f"in image {IMAGE}" in notes.path.read_text()


def test_startup_runs_once_in_the_image_and_jobs_start_from_what_it_left(make_ctx, notes, docker, tmp_path):
    marker = tmp_path / "installed"
    ctx = make_ctx(runners=custom([f"echo jq >> {marker}"]))

    first = run(ctx, notes, f"cat {marker} > $ATTINI_OUTPUT", step="One")
    second = run(ctx, notes, f"cat {marker} > $ATTINI_OUTPUT", step="Two")

    startup, *jobs = docker.runs()
    committed = runner_container.startup_image("Custom", "dep-1")
    assert (first, second) == ({"result": "jq"}, {"result": "jq"})
    assert marker.read_text() == "jq\n"  # once for the deployment
    assert startup.image == IMAGE and not startup.has("--rm")
    assert ["commit", startup.values("--name")[0], committed] in docker.calls()
    assert ["rm", "-f", startup.values("--name")[0]] in docker.calls()
    assert [job.image for job in jobs] == [committed, committed]


def test_the_end_of_a_deployment_removes_the_image_its_startup_made(make_ctx, notes, docker, tmp_path):
    ctx = make_ctx(runners=custom(["true"]))
    run(ctx, notes, "true")

    runner_container.release(ctx.work_dir)

    assert ["rmi", "-f", runner_container.startup_image("Custom", "dep-1")] in docker.calls()


def test_a_resumed_deployment_reuses_the_startup_image_while_it_exists(make_ctx, notes, docker, tmp_path):
    counter = tmp_path / "startups"
    ctx = make_ctx(runners=custom([f"echo x >> {counter}"]))
    run(ctx, notes, "true")
    (docker.path.parent / "docker-images.json").write_text("[]")  # the image is gone (pruned meanwhile)

    run(ctx, notes, "true")

    assert counter.read_text() == "x\nx\n"


def test_a_missing_command_in_the_image_names_it(make_ctx, notes, docker):
    ctx = make_ctx(runners=custom())

    with pytest.raises(StepFailed) as failed:
        run(ctx, notes, "no-such-tool-here --version")

    assert failed.value.cause.startswith(f"command 'no-such-tool-here' not found in image {IMAGE} (runner Custom)")
    assert "install 'no-such-tool-here' in the image" in failed.value.hint


def test_a_client_without_an_engine_counts_as_none_and_the_host_runs_it_saying_so_once(make_ctx, notes, tmp_path,
                                                                                     monkeypatch):
    down = FakeDocker.install(tmp_path / "bin", engine_up=False)
    monkeypatch.setenv("PATH", f"{down.path.parent}{os.pathsep}/usr/bin:/bin")
    monkeypatch.delenv(container_engine.ENGINE_VARIABLE)
    ctx = make_ctx(runners=custom(["echo started"]))

    first = run(ctx, notes, "echo one > $ATTINI_OUTPUT", step="One")
    second = run(ctx, notes, "echo two > $ATTINI_OUTPUT", step="Two")

    assert (first, second) == ({"result": "one"}, {"result": "two"})
    assert notes.notices == [
        f"runner Custom asks for image {IMAGE}; no container engine found (docker is installed but its engine "
        "does not answer: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker "
        "daemon running?), its commands run on this host"]
    assert [c for c in down.calls() if c[:1] != ["info"]] == []  # asked once, never used


def test_no_engine_on_path_is_said_too(make_ctx, notes, tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    for tool in ("bash", "python3", "cat"):
        (empty / tool).symlink_to(Path("/usr/bin", tool) if Path("/usr/bin", tool).exists() else Path("/bin", tool))
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv(container_engine.ENGINE_VARIABLE)

    assert run(make_ctx(runners=custom()), notes, "echo ok > $ATTINI_OUTPUT") == {"result": "ok"}
    assert notes.notices == [f"runner Custom asks for image {IMAGE}; no container engine found (neither docker "
                             "nor podman is on PATH), its commands run on this host"]


def test_a_missing_command_on_the_host_says_which_and_why_there(make_ctx, notes):
    ctx = make_ctx(runners=custom(["yum install -y jq"]))  # ATTINI_CONTAINER_ENGINE=none (tests/conftest.py)

    with pytest.raises(StepFailed) as failed:
        run(ctx, notes, "true")

    assert failed.value.error == "RunnerStartupError"
    assert failed.value.cause.startswith(f"command 'yum' not found on this host (runner Custom asks for image "
                                         f"{IMAGE}, and no container engine is available)")
    assert "start docker or podman" in failed.value.hint
    assert "container engines are turned off (ATTINI_CONTAINER_ENGINE=none)" in notes.notices[0]


def test_a_missing_command_of_a_runner_without_image_is_named_too(ctx, notes):
    with pytest.raises(StepFailed) as failed:
        runner.execute({"Commands": ["echo before", "helmfile-nowhere apply"]}, {}, ctx, step="Cdk", log=notes)

    assert failed.value.error == "ScriptExecutionError"
    assert failed.value.what == "the commands of step 'Cdk' failed: command 'helmfile-nowhere' not found on this host"
    assert notes.notices == []


def test_an_engine_asked_for_by_name_that_does_not_answer_fails_the_step(make_ctx, notes, tmp_path, monkeypatch):
    down = FakeDocker.install(tmp_path / "bin", engine_up=False, name="podman")
    monkeypatch.setenv(container_engine.ENGINE_VARIABLE, str(down.path))

    with pytest.raises(StepFailed) as failed:
        run(make_ctx(runners=custom()), notes, "true")

    assert failed.value.error == "Runner.ContainerEngineError"
    assert "podman is installed but its engine does not answer" in str(failed.value)


def test_the_engine_variable_chooses_an_engine_by_path(make_ctx, notes, tmp_path, monkeypatch):
    chosen = FakeDocker.install(tmp_path / "elsewhere", name="podman")
    monkeypatch.setenv(container_engine.ENGINE_VARIABLE, str(chosen.path))

    assert run(make_ctx(runners=custom()), notes, "echo in > $ATTINI_OUTPUT") == {"result": "in"}
    assert [r.image for r in chosen.runs()] == [IMAGE]


def test_the_image_is_part_of_the_fingerprint(make_ctx):
    one = runner.fingerprint({"Commands": ["true"], "Runner": "Custom"}, make_ctx(runners=custom()))
    other = runner.fingerprint({"Commands": ["true"], "Runner": "Custom"},
                               make_ctx(runners={"Custom": {"Image": "node:20"}}))

    assert one != other


def test_a_job_that_times_out_in_a_container_is_removed(make_ctx, notes, docker):
    ctx = make_ctx(runners=custom(RunnerConfiguration={"JobTimeout": 1}))

    with pytest.raises(StepFailed) as failed:
        run(ctx, notes, "sleep 30")

    [job] = docker.runs()
    assert failed.value.error == "RunnerJobTimeout"
    assert ["rm", "-f", job.values("--name")[0]] in docker.calls()


def test_engine_detection_is_asked_once_per_process(tmp_path, monkeypatch):
    stand_in = FakeDocker.install(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{stand_in.path.parent}{os.pathsep}/usr/bin:/bin")
    monkeypatch.delenv(container_engine.ENGINE_VARIABLE)

    found = [container_engine.find_engine() for _ in range(3)]

    assert found[0].path == str(stand_in.path) and found[0].name == "docker"
    assert stand_in.calls() == [["info"]]


def test_the_marker_records_the_startup_image(make_ctx, notes, docker):
    ctx = make_ctx(runners=custom(["true"]))
    run(ctx, notes, "true")

    marker = json.loads((ctx.work_dir / "runners" / "Custom" / "startup.json").read_text())

    assert marker["image"] == runner_container.startup_image("Custom", "dep-1")
    assert marker["engine"] == str(docker.path)


@pytest.mark.parametrize("module", [container_engine, runner_container])
def test_docstring_examples(module):
    assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0
