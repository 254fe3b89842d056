"""``attini inventory`` and ``attini landscape``: what runs where.

``inventory`` is one environment: per distribution the current (last succeeded) deployment and the last
attempted one. ``landscape`` is every environment side by side, with ``drift`` marking distributions
whose environments run different artifacts (``behind`` says which environments differ from the newest).
"""

from pathlib import Path
from typing import Optional

import typer

from attini_sdk.cli import output, plots, selection, tables

INVENTORY = tables.Layout(
    ("distribution", "version", "distribution_id", "revision", "deployed_at", "deployed_by", "status", "last_version",
     "last_revision"),
    rank=("distribution", "version", "status", "deployed_at", "revision", "last_version", "last_revision",
          "distribution_id", "deployed_by"))


def register(root: typer.Typer) -> None:
    """Attach ``attini inventory`` and ``attini landscape`` to the root app."""
    root.command()(inventory)
    root.command()(landscape)


def inventory(
    environment: Optional[str] = selection.ENVIRONMENT,
    json: bool = selection.JSON,
    wide: bool = selection.WIDE,
) -> None:
    """What runs in an environment: per distribution its current and last attempted deployment."""
    from attini_sdk.deploy import rows

    output.state.json = json
    env = selection.environment(environment)
    found = rows.inventory(env)
    if json:
        output.emit_json(tables.records(found))
        return
    tables.print_rows(found, INVENTORY, title=f"Inventory of {env.name} ({env.type})", wide=wide,
                      empty=f"Nothing deployed in {env.name} yet.")


def landscape(
    environment: list[str] = typer.Option([], "-e", "--environment",
                                          help="Only these environments, in this order (repeatable; default: all)."),
    json: bool = selection.JSON,
    wide: bool = selection.WIDE,
    plot: Optional[Path] = plots.option("a heatmap: distribution x environment, coloured by versions behind the "
                                        "newest"),
) -> None:
    """Every distribution's current version in every environment, with drift from the newest."""
    from attini_sdk.deploy import rows

    output.state.json = json
    for name in environment:
        selection.environment(name)  # a clear error for a name that does not exist
    names = list(environment) or selection.environment_names()
    found = rows.landscape(names)
    if plot is not None:
        plots.save(plot, lambda p: p.landscape_plot(names))
    if json:
        output.emit_json(tables.records(found))
        return
    layout = tables.Layout(("distribution", *names, "newest", "drift", "behind"),
                           rank=("distribution", "drift", *names, "newest", "behind"))
    tables.print_rows(found, layout, title="Landscape", highlight="drift", wide=wide,
                      empty="Nothing deployed anywhere yet.")
