"""The examples in infra_pulumi's docstrings run and show what they claim."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["naming", "contract", "policies", "iam_exceptions", "storage", "functions", "compute", "scaling",
           "build", "mocks", "emulated_cloud"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"infra_pulumi.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
