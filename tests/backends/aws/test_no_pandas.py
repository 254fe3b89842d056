"""The Lambda layer has no pandas: the handlers, the runner and everything they load when they run do without."""

from __future__ import annotations

import subprocess
import sys

MODULES = [
    "attini_sdk.backends.aws.handlers.init_deploy", "attini_sdk.backends.aws.handlers.finalize",
    "attini_sdk.backends.aws.orchestrator", "attini_sdk.backends.aws.lowering", "attini_sdk.backends.aws.emulate",
    "attini_sdk.backends.aws.state", "attini_sdk.backends.aws.submit", "attini_sdk.runner.worker",
    "attini_sdk.runner.__main__",
    # what the handlers and the worker import inside their functions
    "attini_sdk.backends.inputs", "attini_sdk.backends.local.step_recorder", "attini_sdk.artifacts.artifact",
    "attini_sdk.steps.cfn", "attini_sdk.steps.runner", "attini_sdk.steps.imports", "attini_sdk.steps.approval",
    "attini_sdk.steps.merge", "attini_sdk.steps.lambda_invoke", "attini_sdk.asl",
]

BLOCK = """
import importlib.abc, sys
class NoPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("no pandas in the Lambda layer")
sys.meta_path.insert(0, NoPandas())
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
print("ok")
"""


def test_handlers_and_runner_import_without_pandas():
    result = subprocess.run([sys.executable, "-c", BLOCK, *MODULES], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
