"""The attini AWS backend as a Pulumi program (`pulumi up` in this folder) and its emulation on moto.

Modules, one concern each:

| module | holds |
|---|---|
| ``component`` | ``AttiniBackend`` (the ComponentResource) and ``AttiniBackendArgs`` |
| ``naming`` | every resource name and ARN, derived from the prefix, account and region |
| ``storage``, ``queues``, ``table``, ``functions``, ``compute``, ``scaling``, ``iam`` | the resources, by kind |
| ``policies``, ``iam_exceptions`` | IAM documents as plain dicts; the only ``Resource: "*"`` grants and why |
| ``contract`` | the JSON the SDK reads from SSM ``/attini/backend`` |
| ``build`` | the Lambda dependency layer (pip, at `pulumi up` time) |
| ``mocks``, ``emulated_*``, ``emulate`` | the program without the engine; ``python -m infra_pulumi.emulate`` |

Nothing is imported here, so ``infra_pulumi.contract`` stays usable without Pulumi installed.
"""
