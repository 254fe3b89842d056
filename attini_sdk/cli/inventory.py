"""``attini inventory`` and ``attini landscape``: what runs where.

``inventory`` is one environment: per distribution the current (last succeeded) deployment and the last
attempted one. ``landscape`` is every environment side by side, with ``drift`` marking distributions
whose environments run different artifacts (``behind`` says which environments differ from the newest).
"""

from __future__ import annotations

from typing import Optional

import typer

from attini_sdk.cli import output, selection, tables

INVENTORY_COLUMNS = ["distribution", "version", "distribution_id", "revision", "deployed_at", "deployed_by",
                     "status", "last_version", "last_revision"]


def register(root: typer.Typer) -> None:
    """Attach ``attini inventory`` and ``attini landscape`` to the root app."""
    root.command()(inventory)
    root.command()(landscape)


def inventory(
    environment: Optional[str] = selection.ENVIRONMENT,
    json: bool = selection.JSON,
) -> None:
    """What runs in an environment: per distribution its current and last attempted deployment."""
    output.state.json = json
    env = selection.environment(environment)
    frame = env.inventory()
    if json:
        output.emit_json(tables.records(frame))
        return
    tables.print_frame(frame, INVENTORY_COLUMNS, title=f"Inventory of {env.name} ({env.type})",
                       empty=f"Nothing deployed in {env.name} yet.")


def landscape(
    environment: list[str] = typer.Option([], "-e", "--environment",
                                          help="Only these environments, in this order (repeatable; default: all)."),
    json: bool = selection.JSON,
) -> None:
    """Every distribution's current version in every environment, with drift from the newest."""
    import attini_sdk as at

    output.state.json = json
    for name in environment:
        selection.environment(name)  # a clear error for a name that does not exist
    frame = at.landscape(environment or None)
    if json:
        output.emit_json(tables.records(frame))
        return
    tables.print_frame(frame, title="Landscape", styles=[("drift", "yellow")],
                       empty="Nothing deployed anywhere yet.")
