"""tests/backends/test_environments.py, run on both stores (the ``store`` fixture of this folder)."""

from tests.backends.test_environments import *  # noqa: F401,F403
