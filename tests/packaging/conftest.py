"""Fixtures for packaging tests: a private ATTINI_HOME and small distribution folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def attini_home(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own $ATTINI_HOME, so caches never leak between tests."""
    home = tmp_path_factory.mktemp("attini-home")
    monkeypatch.setenv("ATTINI_HOME", str(home))
    return home


def write_tree(root: Path, files: dict[str, str | bytes], *, executable: tuple[str, ...] = ()) -> Path:
    """Create ``files`` (path -> content) under ``root``; paths listed in ``executable`` get mode 0755."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        os.chmod(path, 0o755 if rel in executable else 0o644)
    return root


NETWORK_CONFIG = """\
distributionName: network
version: 1.0.0
distributionTags:
  team: platform
initDeployConfig:
  template: network.yaml
  stackName: ${environment}-${distributionName}
  parameters:
    default:
      CidrBlock: 10.0.0.0/16
    prod:
      CidrBlock: 10.1.0.0/16
"""


@pytest.fixture
def project(tmp_path) -> Path:
    """A small distribution folder: config, a template, a script, nested files and things to ignore."""
    return write_tree(tmp_path / "network", {
        "attini-config.yaml": NETWORK_CONFIG,
        "network.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n",
        "scripts/deploy.sh": "#!/bin/bash\necho deploy\n",
        "config/dev/vpc.json": '{"cidr": "10.0.0.0/16"}\n',
        "data/blob.bin": bytes(range(256)) * 64,
        "assets/logo.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        ".env": "SECRET=1\n",
        "node_modules/left-pad/index.js": "module.exports = 1\n",
    }, executable=("scripts/deploy.sh",))
