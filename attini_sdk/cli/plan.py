"""``attini distribution plan ZIP``: show the deployment plan an artifact carries."""

from pathlib import Path

import typer

from attini_sdk.cli import output, tables


def register(root: typer.Typer) -> None:
    """Add ``plan`` to the ``attini distribution`` group."""
    from attini_sdk.cli.distribution import app as distribution

    distribution.command("plan")(plan)


def plan(
    zip_path: Path = typer.Argument(..., metavar="ZIP", help="The artifact (.zip) whose plan to show."),
    json: bool = typer.Option(False, "--json", help="Print the compiled plan (ASL JSON)."),
    mermaid: bool = typer.Option(False, "--mermaid", help="Print a mermaid flowchart instead of the tree."),
    dot: bool = typer.Option(False, "--dot", help="Print a graphviz digraph instead of the tree."),
) -> None:
    """Show an artifact's deployment plan as a tree of steps (or JSON, mermaid, dot)."""
    from attini_sdk.artifacts.artifact import Artifact
    from attini_sdk.errors import NotFoundError
    from attini_sdk.plan import PlanDefinition

    output.state.json = json
    artifact = Artifact.open(zip_path)
    data = artifact.plan
    if data is None:
        raise NotFoundError(f"{artifact.label} has no deployment plan", where=str(zip_path),
                            hint="add 'plan:' to attini-config, or a DeploymentPlan resource to the init template")
    definition = PlanDefinition(data, source=str(zip_path))
    if json:
        output.emit_json({"id": artifact.id, "name": artifact.name, "version": artifact.version,
                          "plan_digest": artifact.manifest.plan, "plan": data})
        return
    if mermaid or dot:
        print(definition.to_mermaid() if mermaid else definition.to_dot())
        return
    console = output.console()
    console.print(f"[bold]{artifact.name}[/bold]{tables.version_suffix(artifact.version)}: "
                  f"{len(definition.state_names())} steps")
    console.print(definition.tree(), markup=False)
