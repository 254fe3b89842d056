"""The examples in the artifact modules' docstrings run and show what they claim."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["manifest", "archive", "signing", "selection", "hooks", "distribution", "zip_build", "diff"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch, tmp_path):
    monkeypatch.setenv("ATTINI_HOME", str(tmp_path))
    module = importlib.import_module(f"attini_sdk.artifacts.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
