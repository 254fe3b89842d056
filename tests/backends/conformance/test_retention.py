"""tests/backends/test_retention.py, run on both stores (the ``store`` fixture of this folder)."""

from tests.backends.test_retention import *  # noqa: F401,F403
