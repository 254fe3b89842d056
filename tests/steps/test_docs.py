"""docs/steps.md names every error an executor can raise, and every executor."""

from __future__ import annotations

import re
from pathlib import Path

from attini_sdk import steps

ROOT = Path(__file__).resolve().parents[2]


def test_every_error_name_raised_by_an_executor_is_documented():
    doc = (ROOT / "docs" / "steps.md").read_text()
    code = "".join(p.read_text() for p in (ROOT / "attini_sdk" / "steps").glob("*.py"))
    raised = set(re.findall(r'error="([A-Za-z.]+)"', code)) | {"StepCancelled", "Lambda.Unknown"}

    assert raised >= {"Cfn.ConfigError", "ScriptExecutionError", "RunnerJobTimeout", "Lambda.Unknown"}
    assert sorted(name for name in raised if f"`{name}`" not in doc) == []


def test_every_executor_has_a_section():
    doc = (ROOT / "docs" / "steps.md").read_text()

    assert all(f"`{resource}`" in doc for resource in steps.MODULES)
