"""The list of CLI command modules; each exposes ``register(app)``."""

from __future__ import annotations

MODULES: list = []
