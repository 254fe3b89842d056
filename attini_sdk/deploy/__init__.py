"""Deploying: environments, the deploy flow, deployment handles and the DataFrames about them.

    environment   :class:`~attini_sdk.deploy.environment.Environment`, ``EnvironmentParameters``,
                  ``list_environments``, ``landscape``
    flow          deploy, rollback and resume: target → stored artifact → inputs → lock → plan
    deployment    :class:`~attini_sdk.deploy.deployment.Deployment`: one run, its steps, approvals, logs
    frames        inventory, history, landscape and steps as pandas DataFrames
    rows          the same views as plain rows (dicts), without pandas: what the CLI prints

The public names are re-exported by :mod:`attini_sdk` (``at.Environment``, ``at.landscape``, ...). This is
the last stage of the library: it drives an environment's backend (:mod:`attini_sdk.backends`), and only
the surfaces (``cli``) come after it (docs/internals.md).
"""
