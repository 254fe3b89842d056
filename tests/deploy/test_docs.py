"""docs/environments.md covers the API; the docstring examples of the deploy modules run."""

from __future__ import annotations

import doctest
import importlib
import inspect
from pathlib import Path

import pytest

import attini_sdk as at
from attini_sdk.backends.records import DEPLOYMENT_STATUSES

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "environments.md").read_text()
MODULES = ["deploy.environment", "deploy.deployment", "deploy.flow", "deploy.frames", "deploy.rows",
           "backends.local.backend",
           "backends.local.continuation", "backends.local.orchestrator", "backends.local.step_recorder",
           "backends.local.plain_states", "steps.approval", "steps.imports"]
EVENTS = ["deployment_started", "step_started", "step_succeeded", "step_skipped", "step_failed", "approval_waiting",
          "approval_decided", "deployment_waiting_approval", "deployment_resumed", "deployment_finished"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch, tmp_path):
    monkeypatch.setenv("ATTINI_HOME", str(tmp_path))
    module = importlib.import_module(f"attini_sdk.{name}")
    assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0


def _public(cls) -> list[str]:
    return [n for n, _ in inspect.getmembers(cls) if not n.startswith("_")]


@pytest.mark.parametrize("cls", [at.Environment, at.Deployment])
def test_every_public_name_is_documented_with_a_docstring(cls):
    for name in _public(cls):
        member = getattr(cls, name)
        if callable(member) or isinstance(member, property):
            assert (member.fget if isinstance(member, property) else member).__doc__ or name in (
                "id", "environment", "distribution", "revision", "version", "distribution_id", "reason", "error",
                "cause", "started_at", "finished_at", "deployed_by", "execution_id", "tags", "backend", "name",
                "is_production"), f"{cls.__name__}.{name} has no docstring"


def test_the_environments_page_names_the_api_events_and_statuses():
    api = ["Environment.local", "Environment.create", "list_environments", "deploy(", "rollback(", "resume(",
           "unlock(", "prune(", "current(", "inventory()", "history(", "landscape(", ".approve(", ".abort(",
           ".wait()", ".steps", ".outputs", ".logs(", "pending_approvals", "SkipUnchanged", "wait_for_lock",
           "raise_on_failure", "parameters.set("]
    assert [name for name in api if name not in DOC] == []
    assert [e for e in EVENTS if f"`{e}`" not in DOC] == []
    assert [s for s in DEPLOYMENT_STATUSES if f"`{s}`" not in DOC] == []


def test_the_events_listed_are_the_events_emitted():
    code = "".join((ROOT / "attini_sdk" / "backends" / "local" / f).read_text()
                   for f in ("orchestrator.py", "continuation.py", "step_recorder.py"))
    emitted = {e for e in EVENTS if f'"{e}"' in code}
    assert emitted == set(EVENTS)
