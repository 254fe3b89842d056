"""The Lambda dependency layer: what goes in, where it is kept, and that pip runs once per set."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from attini_sdk.errors import BackendError
from infra_pulumi import build


def test_the_layer_holds_the_sdk_requirements_but_boto3_and_pandas():
    reqs = build.requirements()

    assert any(r.startswith("attrs") for r in reqs) and any(r.startswith("PyYAML") for r in reqs)
    assert not any(r.startswith(("boto3", "pandas")) for r in reqs)


def test_the_layer_folder_changes_with_the_requirements(tmp_path):
    one = build.layer_directory(["attrs>=23.2"], tmp_path)
    same = build.layer_directory(["attrs>=23.2"], tmp_path)
    other = build.layer_directory(["attrs>=24.1"], tmp_path)

    assert one == same != other
    assert one.parent == tmp_path


def test_pip_targets_lambdas_python_and_cpu_with_wheels_only(tmp_path):
    command = build.pip_command(tmp_path / "python", ["attrs>=23.2"])

    assert command[1:4] == ["-m", "pip", "install"]
    assert "--only-binary=:all:" in command
    assert command[command.index("--python-version") + 1] == "3.11"
    assert command[command.index("--target") + 1] == str(tmp_path / "python")


class FakePip:
    """Stands in for the pip subprocess: records the call and lays out what pip would."""

    def __init__(self, returncode: int = 0):
        self.calls: list[list[str]] = []
        self.returncode = returncode

    def __call__(self, command, **_):
        self.calls.append(command)
        if self.returncode == 0:
            target = command[command.index("--target") + 1]
            (Path(target) / "attrs").mkdir(parents=True)
        return subprocess.CompletedProcess(command, self.returncode, "", "ERROR: no matching distribution")


def test_a_built_layer_is_reused_and_a_failed_build_leaves_nothing(tmp_path):
    pip = FakePip()
    first = build.dependency_layer(["attrs>=23.2"], tmp_path, run=pip)
    second = build.dependency_layer(["attrs>=23.2"], tmp_path, run=pip)

    assert first == second and len(pip.calls) == 1
    assert (Path(first) / "python" / "attrs").is_dir()

    with pytest.raises(BackendError) as caught:
        build.dependency_layer(["nothing-such==0"], tmp_path, run=FakePip(returncode=1))
    assert "no matching distribution" in caught.value.what
    assert not build.layer_directory(["nothing-such==0"], tmp_path).exists()
