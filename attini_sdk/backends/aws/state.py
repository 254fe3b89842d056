"""The AWS backend's state store: environments, deployments, step runs, outputs, approvals and locks in one
DynamoDB table (the item model is :mod:`attini_sdk.backends.aws.items`).

It keeps the whole :class:`~attini_sdk.backends.base.StateStore` protocol with the same records, tables and
errors as the SQLite store, so the environments, DataFrames and CLI work unchanged on either; the protocol
conformance suite (``tests/backends/conformance/``) runs against both. Multi-item changes are one
``TransactWriteItems`` with conditions (starting a deployment takes the lock, allocates revision n+1 and
records the deployment at once), so a crash never leaves half a change::

    >>> from moto import mock_aws
    >>> from attini_sdk.backends.aws.session import AwsSession
    >>> with mock_aws():
    ...     session = AwsSession(region="eu-west-1")
    ...     store = DynamoStateStore.create(session, "attini-state")
    ...     _ = store.create_environment("dev")
    ...     d, lock = store.start_deployment("dev", "app", distribution_id="sha256:ab", version="1.0.0")
    ...     _ = store.finish_deployment(d.id, "succeeded", outputs={"Url": "https://x"}, lock=lock)
    ...     store.current_deployment("dev", "app").revision, store.outputs(d.id)
    (1, {'Url': 'https://x'})

Secret parameters live in SSM SecureString (``<secrets_prefix><env>/<key>``); the table holds their names
only, and :meth:`~attini_sdk.backends.aws.state_environments.EnvironmentOps.referenced_parameters` gives the
form that may travel (``{{attini:secret:KEY}}``).
"""

from __future__ import annotations

from attini_sdk.backends.aws import items
from attini_sdk.backends.aws.session import AwsSession
from attini_sdk.backends.aws.state_deployments import DeploymentOps
from attini_sdk.backends.aws.state_environments import EnvironmentOps, secret_reference
from attini_sdk.backends.aws.state_locks import LockOps
from attini_sdk.backends.aws.state_steps import StepOps
from attini_sdk.backends.aws.state_tables import TableOps

__all__ = ["DynamoStateStore", "secret_reference"]


class DynamoStateStore(EnvironmentOps, DeploymentOps, LockOps, StepOps, TableOps):
    """The :class:`~attini_sdk.backends.base.StateStore` of the AWS backend.

    ``DynamoStateStore(session, table, bucket=None, secrets_prefix="/attini/secrets/", clock=time.time)``:
    ``bucket`` holds outputs too large for an item; ``clock`` returns Unix seconds (tests move time).
    Normally built from the backend contract: :meth:`from_contract`.
    """

    @classmethod
    def from_contract(cls, session: AwsSession, contract: dict, **kwargs) -> DynamoStateStore:
        """The store the contract (SSM ``/attini/backend``) names."""
        return cls(session, contract["table"], bucket=contract.get("artifact_bucket"),
                   secrets_prefix=contract.get("secrets_prefix", "/attini/secrets/"), **kwargs)

    @classmethod
    def create(cls, session: AwsSession, table: str, **kwargs) -> DynamoStateStore:
        """Create ``table`` laid out as ``infra_pulumi`` installs it (unless it exists) and open it: for
        tests, benchmarks and emulation. A real account gets its table from ``pulumi up``."""
        client = session.client("dynamodb")
        try:
            client.create_table(**items.table_definition(table))
        except client.exceptions.ResourceInUseException:
            pass
        return cls(session, table, **kwargs)
