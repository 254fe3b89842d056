"""The AWS backend's modules are imported by Lambda handlers, which have no pandas (docs/aws.md): importing
them must not import pandas (nor, until a client is needed, boto3)."""

from __future__ import annotations

import subprocess
import sys

MODULES = ("items", "session", "discovery", "state", "artifacts", "submit", "backend")


def test_the_aws_backend_imports_without_pandas_or_boto3():
    code = ("import sys\n" + "".join(f"import attini_sdk.backends.aws.{m}\n" for m in MODULES)
            + "print(sorted(m for m in ('pandas', 'boto3', 'botocore', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_aws_backend_docstring_examples_hold():
    import doctest
    import importlib

    for name in MODULES:
        module = importlib.import_module(f"attini_sdk.backends.aws.{name}")
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, name
