"""Backends: where an environment keeps artifacts and state, and runs plans.

    base      the three protocols: ArtifactStore, StateStore, Orchestrator
    records   the frozen values those protocols trade in (DeploymentRecord, StepRun, Lock, Table, ...)
    inputs    what one deployment runs with (per-environment parameters, checked dependencies) and
              the payload; built the same way by every backend, through the StateStore protocol
    local/    files + SQLite + the local ASL engine

The AWS backend (``aws/``) will sit beside ``local/``. See docs/internals.md for what may import what.
"""
