"""The ``attini`` command line: a thin layer over the library, same names.

Every command group lives in its own module and is registered in :mod:`attini_sdk.cli.app`.
"""

from attini_sdk.cli.app import app, main

__all__ = ["app", "main"]
