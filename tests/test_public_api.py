"""The public API survives the layout: every exported name resolves, imports stay lazy, moved paths say where."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import attini_sdk

ROOT = Path(__file__).resolve().parents[1]
MOVES = re.findall(r"^\| `(attini_sdk[\w.]*)` \| `(attini_sdk[\w.]*)`", (ROOT / "CHANGELOG.md").read_text(), re.M)


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("name", attini_sdk.__all__)
def test_every_exported_name_resolves(name):
    assert getattr(attini_sdk, name) is not None


@pytest.mark.parametrize("name, module", sorted(attini_sdk._LAZY.items()))
def test_the_lazy_table_names_the_module_or_package_that_defines_each_name(name, module):
    defined_in = getattr(getattr(importlib.import_module(module), name), "__module__", module)

    assert defined_in == module or defined_in.startswith(module + "."), f"{name} is defined in {defined_in}"


def test_import_attini_sdk_loads_only_the_errors_and_the_version():
    ours = {m for m in loaded_after("import attini_sdk") if m.startswith("attini_sdk")}

    assert ours == {"attini_sdk", "attini_sdk._version", "attini_sdk.errors"}


def test_attini_help_loads_neither_the_library_nor_pandas_nor_boto3():
    code = "from attini_sdk.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    loaded = loaded_after(code)

    assert not {"pandas", "boto3", "attini_sdk.deploy", "attini_sdk.artifacts", "attini_sdk.plan"} & loaded


def test_the_config_package_keeps_its_public_path():
    from attini_sdk.config import AttiniConfig, load_config
    from attini_sdk.config import load

    assert (AttiniConfig, load_config) == (load.AttiniConfig, load.load_config)


def test_the_changelog_lists_every_move_and_each_new_path_exists():
    assert len(MOVES) == 20
    for old, new in MOVES:
        importlib.import_module(new)
        if old != "attini_sdk.config":  # still the package that re-exports the loader's names
            with pytest.raises(ModuleNotFoundError):
                importlib.import_module(old)
