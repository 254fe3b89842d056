"""The examples in the packaging modules' docstrings run and show what they claim."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["semver", "config", "config_edit", "config_schema", "manifest", "archive", "signing", "file_selection",
           "package_hooks", "packaging", "zip_build", "artifact_diff", "home"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch, tmp_path):
    monkeypatch.setenv("ATTINI_HOME", str(tmp_path))
    module = importlib.import_module(f"attini_sdk.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
