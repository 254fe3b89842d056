"""The examples in the config modules' docstrings run and show what they claim."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["attini_sdk.config", "attini_sdk.config.semver", "attini_sdk.config.load", "attini_sdk.config.edit",
           "attini_sdk.config.limits", "attini_sdk.config.yaml_doc",
           "attini_sdk.config.schema", "attini_sdk.home"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch, tmp_path):
    monkeypatch.setenv("ATTINI_HOME", str(tmp_path))
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
