"""tests/backends/test_locks.py, run on both stores (the ``store`` fixture of this folder)."""

from tests.backends.test_locks import *  # noqa: F401,F403
