"""The AWS backend's Lambda handlers: ``init_deploy`` (an upload under ``deploy/`` → a started execution) and
``finalize`` (an execution's end → the deployment's status, outputs, inventory and lock release).

Both are plain functions of (event, context) over the same SDK code the local backend uses; the emulation
(``python -m attini_sdk.backends.aws.emulate``) calls them exactly as Lambda would. Neither imports pandas
(the Lambda layer has none). Both find the backend through ``$ATTINI_BACKEND_PARAMETER`` (``/attini/backend``).
"""

from __future__ import annotations

import json
import os

__all__ = ["backend_from_environment"]


def backend_from_environment(session=None, parameter: str | None = None):
    """(session, contract, state store) of the backend this function belongs to, from its environment
    (``parameter``, when given, instead of ``$ATTINI_BACKEND_PARAMETER``)."""
    from attini_sdk.backends.aws.session import AwsSession
    from attini_sdk.backends.aws.state import DynamoStateStore

    session = session or AwsSession()
    parameter = parameter or os.environ.get("ATTINI_BACKEND_PARAMETER", "/attini/backend")
    try:
        from attini_sdk.backends.aws.discovery import discover
    except ImportError:
        discover = None
    if discover is not None:
        contract = discover(session, parameter=parameter)
    else:
        contract = json.loads(session.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"])
    return session, contract, DynamoStateStore.from_contract(session, contract)
