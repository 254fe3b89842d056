"""The examples in the plan modules' docstrings run and show what they say."""

import doctest
import importlib
import pkgutil

import pytest

import attini_sdk.plan

MODULES = sorted(m.name for m in pkgutil.iter_modules(attini_sdk.plan.__path__, "attini_sdk.plan."))


@pytest.mark.parametrize("name", ["attini_sdk.plan", *MODULES])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
