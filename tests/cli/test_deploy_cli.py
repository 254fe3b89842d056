"""``attini deploy run|continue|rollback``: what a user sees when changing an environment."""

from __future__ import annotations

import pytest


@pytest.fixture
def dev(attini):
    assert attini("environment", "create", "dev", "--env-type", "test").code == 0
    return "dev"


def test_deploying_a_folder_packages_it_and_follows_every_step(attini, dists, dev):
    result = attini("deploy", "run", dists("hello", "1.0.0"), "-e", "dev")

    assert result.code == 0, result.err
    assert "Packaged hello 1.0.0 (sha256:" in result.out
    assert "Greet (AttiniRunnerJob) started" in result.out  # the live view, as plain lines: not a terminal
    assert "Check (AttiniRunnerJob) succeeded in" in result.out
    assert "hello 1.0.0 → dev: revision 1" in result.out and "succeeded" in result.out


def test_json_has_the_deployment_its_steps_and_outputs_under_the_dataframe_names(attini, dists, dev):
    data = attini("deploy", "run", dists("hello", "1.0.0"), "--json").json()  # -e: the only environment

    assert {"deployment_id", "environment", "distribution", "revision", "version", "distribution_id", "status",
            "started_at", "finished_at", "reason", "error", "duration", "steps", "outputs"} <= set(data)
    assert (data["environment"], data["distribution"], data["revision"], data["status"]) == (
        "dev", "hello", 1, "succeeded")
    assert data["distribution_id"].startswith("sha256:") and len(data["distribution_id"]) == 71
    steps = {s["step"]: s for s in data["steps"]}
    assert {"Greet", "Check"} <= set(steps)
    assert steps["Greet"]["status"] == "succeeded" and steps["Greet"]["type"] == "AttiniRunnerJob"
    assert steps["Greet"]["resource"] == "attini:runner" and steps["Greet"]["attempt"] == 1
    assert steps["Greet"]["output"] == {"greeting": "hi 1.0.0"}
    assert isinstance(steps["Greet"]["duration"], float)


def test_a_failed_deployment_exits_1_naming_the_step_and_what_to_do(attini, dists, dev):
    attini("deploy", "run", dists("hello", "1.0.0"))

    result = attini("deploy", "run", dists("hello", "1.1.0", broken=True))

    assert result.code == 1
    assert "Check (AttiniRunnerJob) failed" in result.out
    assert "hello 1.1.0 failed at step 'Check'" in result.err
    assert "attini deploy logs -n hello -e dev --step-name Check" in result.err
    assert "attini deploy rollback -n hello -e dev" in result.err
    assert "Traceback" not in result.err + result.out


def test_a_failed_deployment_in_json_is_the_deployment_with_status_failed(attini, dists, dev):
    result = attini("deploy", "run", dists("hello", "1.1.0", broken=True), "--json")

    assert result.code == 1
    data = result.json()
    assert data["status"] == "failed" and data["error"]
    assert [s["status"] for s in data["steps"] if s["step"] == "Check"] == ["failed"]


def test_an_artifact_zip_deploys_and_the_same_artifact_is_promoted_by_id(attini, dists, dev):
    zipped = attini("distribution", "package", dists("hello", "1.0.0"), "--json").json()
    attini("environment", "create", "acc", "--env-type", "test")

    first = attini("deploy", "run", zipped["path"], "-e", "dev", "--json").json()
    promoted = attini("deploy", "run", zipped["id"], "-e", "acc", "--json").json()
    short = attini("deploy", "run", zipped["id"][7:19], "-e", "acc", "--json").json()  # a unique prefix

    assert first["distribution_id"] == promoted["distribution_id"] == short["distribution_id"] == zipped["id"]
    assert (promoted["environment"], promoted["revision"], short["revision"]) == ("acc", 1, 2)


def test_a_target_that_is_neither_folder_zip_nor_id_is_a_clear_error(attini, dev):
    result = attini("deploy", "run", "no/such/folder", "-e", "dev")

    assert result.code == 1
    assert "'no/such/folder' is not a distribution folder, an artifact .zip or a distribution id" in result.err


def test_an_id_nobody_deployed_is_a_clear_error(attini, dev):
    result = attini("deploy", "run", "sha256:" + "0" * 64, "-e", "dev")

    assert result.code == 1 and "Traceback" not in result.err


def test_an_unknown_environment_is_refused_not_created(attini, dists, dev):
    result = attini("deploy", "run", dists("hello", "1.0.0"), "-e", "prd")

    assert result.code == 1 and "environment 'prd' does not exist (existing: dev)" in result.err
    assert [e["name"] for e in attini("environment", "list", "--json").json()] == ["dev"]


def test_a_missing_dependency_is_refused_saying_which(attini, dists, dev):
    result = attini("deploy", "run", dists("app", "1.0.0", needs={"hello": ">=1.0.0"}))

    assert result.code == 1 and "hello" in result.err and "Traceback" not in result.err


def test_bad_param_syntax_is_a_clear_error(attini, dists, dev):
    result = attini("deploy", "run", dists("hello", "1.0.0"), "--param", "LogLevel")

    assert result.code == 1 and "'LogLevel' is not KEY=VALUE" in result.err


def test_params_and_environment_parameters_reach_the_deployment(attini, dists, dev):
    attini("environment", "param", "set", "Size", "large")

    data = attini("deploy", "run", dists("echo", "1.0.0", echo_parameters=True), "--param", "Colour=blue",
                  "--json").json()

    echoed = [s["output"] for s in data["steps"] if s["step"] == "Echo"][0]
    assert echoed["Colour"] == "blue" and echoed["Size"] == "large"


# -- production --------------------------------------------------------------------------------------


@pytest.fixture
def prod(attini, dists):
    attini("environment", "create", "prod", "--env-type", "production")
    assert attini("deploy", "run", dists("hello", "1.0.0"), "-e", "prod", "-y").code == 0
    return "prod"


def test_production_shows_current_and_new_and_asks_before_deploying(attini, dists, prod):
    result = attini("deploy", "run", dists("hello", "1.1.0"), "-e", "prod", stdin="n\n")

    assert result.code == 1
    assert "'prod' is a production environment" in result.err
    assert "current: version 1.0.0" in result.err and "new:     version 1.1.0" in result.err
    assert "tags team=platform" in result.err and "Continue? (Y/N)" in result.err
    assert "Cancelled: nothing was deployed." in result.err
    assert attini("deploy", "history", "-e", "prod", "--json").json()[0]["version"] == "1.0.0"


def test_production_deploys_after_yes(attini, dists, prod):
    result = attini("deploy", "run", dists("hello", "1.1.0"), "-e", "prod", stdin="Y\n")

    assert result.code == 0 and "Continue? (Y/N)" in result.err
    assert "hello 1.1.0 → prod: revision 2" in result.out


def test_production_without_an_answer_refuses_and_says_about_force(attini, dists, prod):
    result = attini("deploy", "run", dists("hello", "1.1.0"), "-e", "prod", "--json")

    assert result.code == 1
    assert result.json()["error"] == "DeploymentError" and "-f (--force)" in result.json()["hint"]


@pytest.mark.parametrize("flag", ["-f", "--force", "-y", "--yes"])
def test_force_skips_the_question_as_in_attini_and_yes_is_its_alias(attini, dists, prod, flag):
    to_prod = attini("deploy", "run", dists("hello", "1.1.0"), "-e", "prod", flag)

    assert to_prod.code == 0 and "Continue?" not in to_prod.err
    assert [s["status"] for s in attini("deploy", "describe", "-e", "prod", "--json").json()["steps"]] == \
        ["succeeded", "succeeded"]


def test_test_environments_never_ask(attini, dists, prod):
    attini("environment", "create", "dev", "--env-type", "test")

    to_dev = attini("deploy", "run", dists("hello", "1.1.0"), "-e", "dev")

    assert to_dev.code == 0 and "Continue?" not in to_dev.err


def test_rollback_force_skips_the_question_too(attini, dists, prod):
    assert attini("deploy", "run", dists("hello", "1.1.0"), "-e", "prod", "-f").code == 0

    asked = attini("deploy", "rollback", "-n", "hello", "-e", "prod", stdin="n\n")
    forced = attini("deploy", "rollback", "-n", "hello", "-e", "prod", "-f")

    assert asked.code == 1 and "About to roll back 'hello'" in asked.err
    assert forced.code == 0 and "Continue?" not in forced.err
    assert attini("deploy", "history", "-e", "prod", "--json").json()[0]["reason"] == "Rollback to 1"


def test_rerun_unchanged_runs_a_step_that_skip_unchanged_would_skip(attini, tmp_path, dev):
    folder = tmp_path / "counter"
    folder.mkdir()
    (folder / "attini-config.yaml").write_text("distributionName: counter\nplan: deployment_plan.py\n")
    (folder / "deployment_plan.py").write_text(
        "from attini_sdk.plan import Plan, Runner\n"
        f"plan = Plan(Runner('Count', commands=['echo run >> {tmp_path / 'runs.txt'}'], skip_unchanged=True))\n")

    statuses = []
    for flags in ([], [], ["--rerun-unchanged"]):
        data = attini("deploy", "run", folder, "-e", "dev", *flags, "--json").json()
        statuses.append(data["steps"][0]["status"])

    assert statuses == ["succeeded", "skipped", "succeeded"]
    assert (tmp_path / "runs.txt").read_text().splitlines() == ["run", "run"]


# -- approval --------------------------------------------------------------------------------------


def test_a_manual_approval_pauses_and_continue_finishes_it(attini, dists, dev):
    paused = attini("deploy", "run", dists("gated", "1.0.0", gated=True))
    waiting = attini("deploy", "history", "-n", "gated", "--json").json()[0]
    approved = attini("deploy", "continue", "-n", "gated", "--step-name", "Approve", "-m", "looks good")

    assert paused.code == 0 and "waiting_approval" in paused.out
    assert "attini deploy continue -n gated -e dev --step-name Approve" in paused.out
    assert waiting["status"] == "waiting_approval"
    assert approved.code == 0, approved.err
    assert "gated 1.0.0 → dev: revision 1" in approved.out and "succeeded" in approved.out


def test_abort_at_an_approval_ends_the_deployment_aborted_and_exits_1(attini, dists, dev):
    attini("deploy", "run", dists("gated", "1.0.0", gated=True))

    text = attini("deploy", "continue", "-n", "gated", "--step-name", "Approve", "--abort", "-m", "not today")
    assert attini("deploy", "run", dists("gated", "1.0.2", gated=True)).code == 0
    as_json = attini("deploy", "continue", "-n", "gated", "--step-name", "Approve", "--abort", "--json")

    assert text.code == 1 and "gated 1.0.0 → dev: revision 1" in text.out and "aborted" in text.out
    assert "Error: " in text.err and "gated 1.0.0 aborted: ManuallyAborted" in text.err
    assert "attini inventory -e dev" in text.err and "Traceback" not in text.err
    assert as_json.code == 1 and as_json.json()["status"] == "aborted"
    assert [s["status"] for s in as_json.json()["steps"] if s["step"] == "Approve"] == ["aborted"]


def test_continue_when_nothing_waits_says_so(attini, dists, dev):
    attini("deploy", "run", dists("hello", "1.0.0"))

    result = attini("deploy", "continue", "-n", "hello", "--step-name", "Approve")

    assert result.code == 1 and "no deployment of 'hello' is waiting for approval" in result.err


def test_approve_runs_through_approval_steps(attini, dists, dev):
    data = attini("deploy", "run", dists("gated", "1.0.0", gated=True), "--approve", "--json").json()

    assert data["status"] == "succeeded"


# -- rollback --------------------------------------------------------------------------------------


def test_rollback_after_a_failure_goes_back_to_what_last_worked(attini, dists, dev):
    attini("deploy", "run", dists("hello", "1.0.0"))
    attini("deploy", "run", dists("hello", "1.1.0"))
    attini("deploy", "run", dists("hello", "1.2.0", broken=True))

    result = attini("deploy", "rollback", "-n", "hello", "--json")
    history = attini("deploy", "history", "-n", "hello", "--json").json()

    assert result.code == 0, result.err
    data = result.json()
    assert (data["revision"], data["version"], data["status"]) == (4, "1.1.0", "succeeded")
    assert data["reason"] == "Rollback to 2"
    assert [(h["revision"], h["status"]) for h in history] == [
        (4, "succeeded"), (3, "failed"), (2, "succeeded"), (1, "succeeded")]


def test_rollback_after_a_success_goes_to_the_successful_revision_before_it(attini, dists, dev):
    attini("deploy", "run", dists("hello", "1.0.0"))
    attini("deploy", "run", dists("hello", "1.1.0"))

    result = attini("deploy", "rollback", "-n", "hello")

    assert result.code == 0, result.err
    assert "hello 1.0.0 → dev: revision 3 (Rollback to 1)" in result.out


def test_rollback_to_a_revision_a_version_or_an_id(attini, dists, dev):
    one = attini("deploy", "run", dists("hello", "1.0.0"), "--json").json()
    attini("deploy", "run", dists("hello", "1.1.0"))

    by_revision = attini("deploy", "rollback", "--to", "1", "--json").json()  # -n: the only distribution
    by_version = attini("deploy", "rollback", "-n", "hello", "--to", "1.1.0", "--json").json()
    by_id = attini("deploy", "rollback", "-n", "hello", "-i", one["distribution_id"][:15], "--json").json()

    assert (by_revision["version"], by_version["version"], by_id["version"]) == ("1.0.0", "1.1.0", "1.0.0")
    assert by_id["distribution_id"] == one["distribution_id"]


def test_rollback_in_production_asks_first(attini, dists, prod):
    attini("deploy", "run", dists("hello", "1.1.0"), "-e", "prod", "-y")

    result = attini("deploy", "rollback", "-n", "hello", "-e", "prod", stdin="no\n")

    assert result.code == 1 and "About to roll back 'hello'" in result.err
    assert "current: version 1.1.0" in result.err and "new:     version 1.0.0" in result.err
    assert "Cancelled: nothing was rolled back." in result.err


def test_rollback_of_something_never_deployed_is_a_clear_error(attini, dev):
    result = attini("deploy", "rollback", "-n", "ghost")

    assert result.code == 1 and "Traceback" not in result.err and "ghost" in result.err


def test_rollback_takes_either_i_or_to(attini, dists, dev):
    attini("deploy", "run", dists("hello", "1.0.0"))

    result = attini("deploy", "rollback", "-n", "hello", "-i", "abc", "--to", "1")

    assert result.code == 1 and "give either -i or --to, not both" in result.err


def test_unlock_and_resume_with_nothing_to_do_say_so(attini, dists, dev):
    attini("deploy", "run", dists("hello", "1.0.0"))

    unlock = attini("deploy", "unlock", "-n", "hello")
    unlock_json = attini("deploy", "unlock", "-n", "hello", "--json").json()
    resume = attini("deploy", "resume", "-n", "hello")

    assert unlock.code == 0 and "hello is not locked in dev; nothing to do." in unlock.out
    assert unlock_json == {"environment": "dev", "distribution": "hello", "unlocked": False, "holder": None,
                           "deployment_id": None}
    assert resume.code == 1 and "only interrupted deployments resume" in resume.err
