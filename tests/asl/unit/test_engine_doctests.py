"""The examples in the engine's docstrings run and show what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import attini_sdk.asl

MODULES = [f"attini_sdk.asl.{m.name}" for m in pkgutil.iter_modules(attini_sdk.asl.__path__)] + [
    "attini_sdk.asl", "attini_sdk.backends.local.checkpoints"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
