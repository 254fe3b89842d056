"""The deploying process the kill harness kills: ``python deployer.py ARTIFACT`` deploys to ``dev``.

ATTINI_HOME, the side-effect counter (``KILL_COUNTER``) and the pause points (``ATTINI_TEST_PAUSE_AT``) come
from the environment.
"""

from __future__ import annotations

import sys

import attini_sdk as at

if __name__ == "__main__":
    deployment = at.Environment.local("dev").deploy(sys.argv[1])
    print(deployment.status)
