"""Build the Lambda dependency layer: the SDK's third-party packages, for Lambda's Python and CPU.

`pulumi up` calls :func:`dependency_layer`, which runs pip once per set of requirements and keeps
the result in ``infra_pulumi/.build/layer-<digest>/python`` (the layout Lambda expects); later runs
reuse it. The requirements are the ``[project].dependencies`` of the repository's
``pyproject.toml``; pip downloads wheels for ``manylinux2014_x86_64`` / CPython 3.11 only
(``--only-binary=:all:``), so the layer matches the Lambda runtime whatever machine runs `pulumi up`.

The Lambda code itself is the repository's ``attini_sdk`` folder (see
:mod:`infra_pulumi.functions`); tests and the emulator use :func:`layer_directory` without building.

    >>> cmd = pip_command(Path("/tmp/layer"), ["attrs>=23.2"])
    >>> cmd[cmd.index("--platform") + 1], cmd[-1]
    ('manylinux2014_x86_64', 'attrs>=23.2')
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

__all__ = ["requirements", "layer_directory", "pip_command", "dependency_layer", "PYPROJECT", "BUILD_ROOT"]

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
BUILD_ROOT = Path(__file__).resolve().parent / ".build"
PYTHON_VERSION = "3.11"
PLATFORM = "manylinux2014_x86_64"
# Left out of the layer: boto3 is in the Lambda runtime already; pandas (with numpy, about 130 MB of
# Lambda's 250 MB unzipped limit) only serves DataFrames, which no handler builds. Handlers must not
# import pandas (the SDK imports it lazily, where DataFrames are made).
LEFT_OUT = ("boto3", "pandas")


def requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """The SDK's runtime requirements, minus :data:`LEFT_OUT`."""
    listed = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return [r for r in listed if not r.lower().startswith(LEFT_OUT)]


def layer_directory(reqs: list[str] | None = None, root: Path = BUILD_ROOT) -> Path:
    """Where the layer for ``reqs`` lives: named by their digest so a changed pin rebuilds it."""
    reqs = requirements() if reqs is None else reqs
    digest = hashlib.sha256("\n".join([PYTHON_VERSION, PLATFORM, *sorted(reqs)]).encode()).hexdigest()[:16]
    return root / f"layer-{digest}"


def pip_command(target: Path, reqs: list[str]) -> list[str]:
    return [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", str(target),
            "--platform", PLATFORM, "--implementation", "cp", "--python-version", PYTHON_VERSION,
            "--only-binary=:all:", *reqs]


def dependency_layer(reqs: list[str] | None = None, root: Path = BUILD_ROOT,
                     run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> str:
    """The layer folder for ``reqs``, building it with pip unless a complete one exists."""
    reqs = requirements() if reqs is None else reqs
    layer = layer_directory(reqs, root)
    # A marker beside (not inside) the folder, so it does not end up in the layer's zip.
    complete = layer.with_name(layer.name + ".complete")
    if complete.exists() and layer.is_dir():
        return str(layer)
    staging = layer.with_name(layer.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    done = run(pip_command(staging / "python", reqs), capture_output=True, text=True)
    if done.returncode != 0:
        from attini_sdk.errors import BackendError

        raise BackendError(f"pip could not build the Lambda dependency layer: {done.stderr.strip()[-2000:]}",
                           where=str(staging), hint="check network access to the package index, then run "
                                                    "`pulumi up` again")
    shutil.rmtree(layer, ignore_errors=True)
    staging.rename(layer)  # only a finished build gets the final name
    complete.write_text("\n".join(reqs) + "\n")
    return str(layer)
