"""attini-config: loading and validating it (:mod:`.load`), its JSON schema (:mod:`.schema`), editing it
as ``attini configure set-*`` does (:mod:`.edit`), and npm-style version ranges (:mod:`.semver`).

The names of :mod:`attini_sdk.config.load` are re-exported here, so the public import path stays
``attini_sdk.config``::

    >>> from attini_sdk.config import load_config, AttiniConfig
    >>> load_config.__module__
    'attini_sdk.config.load'

This package imports only :mod:`attini_sdk.errors`: everything after it in the chain may use it.
"""

# the loader's public names are this package's: one list, kept in load.py
from attini_sdk.config.load import *  # noqa: F403
from attini_sdk.config.load import __all__  # noqa: F401
