"""tests/backends/test_steps_and_approvals.py, run on both stores (the ``store`` fixture of this folder)."""

from tests.backends.test_steps_and_approvals import *  # noqa: F401,F403

del test_step_output_never_keeps_a_secret  # noqa: F821  (reads SQL: see test_secrets.py)
