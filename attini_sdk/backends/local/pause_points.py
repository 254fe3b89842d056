"""Fault injection for tests: make the deployer stop at a named point, to kill it exactly there.

``ATTINI_TEST_PAUSE_AT`` lists points, each ``NAME`` or ``NAME:ACTION`` (comma-separated). When the deployer
reaches a listed point it

- ``pause`` (the default): writes its pid to ``$ATTINI_HOME/paused-NAME`` and sleeps until killed;
- ``kill``: kills itself with SIGKILL on the spot (a power cut of the deployer alone: its jobs live on
  until their guards stop them).

Points, in the order a deployment reaches them: ``deployment-recorded`` (the deployment and its lock are
recorded, the artifact not yet extracted), ``before-engine-start`` (the execution id is recorded),
``after-engine-start`` (the engine started the plan), ``job-started`` (a runner job process runs and is
recorded), ``step-finished`` (a step's success is recorded in the state store, not yet in the engine's
checkpoint). Unset, :func:`pause_point` costs one dictionary lookup::

    >>> import os
    >>> os.environ.pop(PAUSE_VARIABLE, None)
    >>> pause_point("after-engine-start")  # not listed: returns at once
"""

from __future__ import annotations

import os
import signal
import time

from attini_sdk.home import attini_home

__all__ = ["PAUSE_VARIABLE", "POINTS", "pause_point"]

PAUSE_VARIABLE = "ATTINI_TEST_PAUSE_AT"
POINTS = ("deployment-recorded", "before-engine-start", "after-engine-start", "job-started", "step-finished")


def pause_point(name: str) -> None:
    """Pause or die here if ``ATTINI_TEST_PAUSE_AT`` names this point (see the module docstring)."""
    spec = os.environ.get(PAUSE_VARIABLE)
    if not spec:
        return
    for item in spec.split(","):
        point, _, action = item.strip().partition(":")
        if point != name:
            continue
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        marker = attini_home() / f"paused-{name}"
        temporary = marker.with_name(marker.name + ".tmp")
        temporary.write_text(str(os.getpid()))
        temporary.replace(marker)
        while True:
            time.sleep(3600)
