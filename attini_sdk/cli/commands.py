"""The list of CLI command modules; each exposes ``register(app)``."""

from __future__ import annotations

from attini_sdk.cli import config_cmd, configure, deploy, distribution, environment, inventory, key, plan

MODULES: list = [distribution, key, config_cmd, configure, plan, environment, deploy, inventory]
