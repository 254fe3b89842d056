"""tests/backends/test_deployments.py, run on both stores (the ``store`` fixture of this folder)."""

from tests.backends.test_deployments import *  # noqa: F401,F403

del test_parameters_are_stored_redacted  # noqa: F821  (reads SQL: see test_secrets.py)
