"""Distribution folders for tests: write files under a root, and the small ``network`` project.

Shared by the artifacts, plan and CLI tests (each conftest wraps ``network_project`` in a fixture).
"""

from __future__ import annotations

import os
from pathlib import Path


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


def network_project(root: Path) -> Path:
    """A small distribution folder: config, a template, a script, nested files and things to ignore."""
    return write_tree(root / "network", {
        "attini-config.yaml": NETWORK_CONFIG,
        "network.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n",
        "scripts/deploy.sh": "#!/bin/bash\necho deploy\n",
        "config/dev/vpc.json": '{"cidr": "10.0.0.0/16"}\n',
        "data/blob.bin": bytes(range(256)) * 64,
        "assets/logo.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        ".env": "SECRET=1\n",
        "node_modules/left-pad/index.js": "module.exports = 1\n",
    }, executable=("scripts/deploy.sh",))
