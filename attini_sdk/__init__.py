"""attini_sdk: package infrastructure-as-code with its deployment plan; deploy it from inside each environment.

    >>> import attini_sdk as at
    >>> at.__version__ >= "0.1.0"
    True

The public API is re-exported here lazily so ``import attini_sdk`` stays fast:
heavy modules (pandas, boto3) load only when a name that needs them is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from attini_sdk._version import __version__
from attini_sdk.errors import (
    AttiniError,
    ArtifactError,
    BackendError,
    ConfigError,
    ConflictError,
    DependencyError,
    DeploymentError,
    DeploymentInterrupted,
    ExecutionError,
    LockError,
    NotFoundError,
    PackagingError,
    PlanError,
    SignatureError,
    StepFailed,
)

# public name -> module that defines it; filled in as features land.
_LAZY: dict[str, str] = {
    "Distribution": "attini_sdk.artifacts.distribution",
    "Artifact": "attini_sdk.artifacts.artifact",
    "Limits": "attini_sdk.artifacts.artifact",
    "Manifest": "attini_sdk.artifacts.manifest",
    "AttiniConfig": "attini_sdk.config",
    "Dependency": "attini_sdk.config",
    "load_config": "attini_sdk.config",
    "SigningKey": "attini_sdk.artifacts.signing",
    "PublicKey": "attini_sdk.artifacts.signing",
    "generate_key": "attini_sdk.artifacts.signing",
    "Plan": "attini_sdk.plan",
    "PlanDefinition": "attini_sdk.plan",
    "Environment": "attini_sdk.deploy.environment",
    "EnvironmentParameters": "attini_sdk.deploy.environment",
    "list_environments": "attini_sdk.deploy.environment",
    "landscape": "attini_sdk.deploy.environment",
    "Deployment": "attini_sdk.deploy.deployment",
    # the notebook surface (extra `notebook`: ipywidgets, matplotlib)
    "explore": "attini_sdk.notebook.explorer",
    "landscape_plot": "attini_sdk.notebook.plots",
}

__all__ = [
    "__version__",
    "AttiniError",
    "ArtifactError",
    "BackendError",
    "ConfigError",
    "ConflictError",
    "DependencyError",
    "DeploymentError",
    "DeploymentInterrupted",
    "ExecutionError",
    "LockError",
    "NotFoundError",
    "PackagingError",
    "PlanError",
    "SignatureError",
    "StepFailed",
    *_LAZY,
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'attini_sdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover
    pass
