"""The live deployment widget: it follows the store from a thread that stops when the deployment ends, and
its Approve/Abort buttons answer a waiting ManualApproval through the public Deployment API."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import ipywidgets as widgets

from attini_sdk.notebook.live import DeploymentWatcher


def test_the_watcher_of_a_finished_deployment_shows_it_whole_and_does_not_poll(envs, src):
    deployment = envs["dev"].deploy(src("hello", "1.0.0"))

    watcher = deployment.watch()

    assert isinstance(watcher, widgets.VBox) and isinstance(watcher.progress, widgets.IntProgress)
    assert not watcher.polling
    assert (watcher.progress.value, watcher.progress.max) == (watcher.size, watcher.size)
    assert watcher.progress.bar_style == "success"
    assert "Greet" in watcher.steps_view.value and "Check" in watcher.steps_view.value
    assert "checking 1.0.0" in watcher.log_view.value  # the tail of the last step's log
    assert watcher.approval.layout.display == "none"


def test_the_polling_thread_follows_a_running_deployment_and_stops_when_it_ends(envs, src):
    folder = src("slow", "1.0.0", commands=["sleep 1", "echo done"])
    deployment = envs["dev"].deploy(folder, wait=False)

    watcher = DeploymentWatcher(deployment, interval=0.05)

    assert watcher.polling
    assert watcher.join(timeout=60)  # ended by itself
    assert deployment.status == "succeeded"
    assert watcher.progress.bar_style == "success" and watcher.counter.value.startswith(str(watcher.size))
    assert "done" in watcher.log_view.value


def test_approve_answers_the_waiting_step_and_the_deployment_finishes(envs, src):
    acc = envs["acc"]
    deployment = acc.deploy(src("gated", "1.0.0", gated=True))
    assert deployment.status == "waiting_approval"
    watcher = DeploymentWatcher(deployment, interval=0.05, waiting_interval=0.05)
    assert watcher.approval.layout.display == "flex" and watcher.step_picker.options == ("Approve",)
    assert watcher.polling  # waiting is not the end: someone may approve elsewhere

    watcher.message.value = "looks good"
    watcher.approve_button.click()

    assert watcher.join(timeout=60)
    assert acc.deployment(deployment.id).status == "succeeded"
    assert list(acc.inventory()["status"].astype(str)) == ["succeeded"]
    step = acc.deployment(deployment.id).steps.set_index("step").loc["Approve"]
    assert step["status"] == "succeeded" and "looks good" in str(step["output"])
    assert watcher.approval.layout.display == "none"


def test_abort_fails_the_waiting_step_and_the_thread_stops(envs, src):
    acc = envs["acc"]
    deployment = acc.deploy(src("gated", "1.0.0", gated=True))
    watcher = DeploymentWatcher(deployment, interval=0.05, waiting_interval=0.05)

    watcher.abort_button.click()

    assert watcher.join(timeout=60)
    assert acc.deployment(deployment.id).status == "aborted"
    assert watcher.progress.bar_style == "danger"
    assert "aborted Approve" in watcher.notice.value


def test_stop_ends_the_thread_of_a_deployment_that_keeps_waiting(envs, src):
    deployment = envs["acc"].deploy(src("gated", "1.0.0", gated=True))
    watcher = DeploymentWatcher(deployment, interval=0.05, waiting_interval=0.05)

    watcher.stop()

    assert watcher.join(timeout=10)
    assert deployment.refresh().status == "waiting_approval"


def test_resume_in_a_notebook_shows_the_live_widget_and_follows_the_deployment_to_its_end(envs, src, home,
                                                                                          monkeypatch):
    deployer = Path(__file__).parents[1] / "deploy" / "deployer.py"
    folder = src("hello", "1.0.0")
    proc = subprocess.Popen([sys.executable, str(deployer), "deploy", "dev", str(folder)],
                            env={**os.environ, "ATTINI_TEST_PAUSE_AT": "after-engine-start"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    paused = home / "paused-after-engine-start"
    deadline = time.monotonic() + 90
    while not paused.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert paused.exists(), proc.stderr.read()
    proc.kill()
    proc.wait(30)
    dev = envs["dev"]
    assert dev.latest("hello").status == "interrupted"
    shown = []
    monkeypatch.setattr("attini_sdk.deploy.environment._in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda *objects, **_: shown.extend(objects))

    resumed = dev.resume("hello")

    assert resumed.status == "succeeded"
    [watcher] = shown  # the live widget, displayed while it ran
    assert isinstance(watcher, DeploymentWatcher) and watcher.deployment.id == resumed.id
    assert watcher.join(timeout=30)  # its polling thread ended with the deployment
    assert watcher.progress.bar_style == "success" and watcher.counter.value == f"{watcher.size}/{watcher.size}"
    assert "Greet" in watcher.steps_view.value and "Check" in watcher.steps_view.value


def test_outside_a_notebook_deploy_shows_nothing_and_loads_no_widget_or_plot_library(home, src):
    import subprocess
    import sys

    folder = src("hello", "1.0.0")
    code = ("import sys, attini_sdk as at\n"
            f"d = at.Environment.local('dev').deploy({str(folder)!r})\n"
            "print(d.status, 'ipywidgets' in sys.modules, 'matplotlib' in sys.modules)")

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)

    assert done.stdout.split() == ["succeeded", "False", "False"], done.stderr
