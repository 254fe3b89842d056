"""The main job, for now: package every example distribution and show what was built.

    python examples/demo.py            # or: make demo

Each folder under examples/ holding an attini-config is packaged into its attini_dist/ folder,
opened again (which verifies every file against the manifest), and its dependencies are checked
against the versions just built. Later issues extend this to deploying them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import attini_sdk as at
from attini_sdk.config import CONFIG_FILE_NAMES

EXAMPLES = Path(__file__).resolve().parent


def distributions(root: Path) -> list[Path]:
    """Every folder under ``root`` with an attini-config file, skipping build output."""
    found = {p.parent for name in CONFIG_FILE_NAMES for p in root.rglob(name) if "attini_dist" not in p.parts}
    return sorted(found)


def _plan_steps(artifact: at.Artifact) -> str:
    """How many states the compiled plan has (Python, Attini YAML or ASL: all compile to ASL)."""
    plan = artifact.plan
    return "-" if plan is None else str(len(at.PlanDefinition(plan).state_names()))


def main() -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 110)
    table = Table("distribution", "version", "id", "files", "bytes", "plan steps", "seconds", "needs")
    built: dict[str, at.Artifact] = {}
    for folder in distributions(EXAMPLES):
        start = time.perf_counter()
        artifact = at.Distribution.from_path(folder).package()
        verified = at.Artifact.open(artifact.path, expected_id=artifact.id)
        seconds = time.perf_counter() - start
        built[verified.name] = verified
        needs = ", ".join(f"{d.distribution_name} {d.version}" for d in verified.config.dependencies) or "-"
        table.add_row(verified.name, verified.version, verified.id[:19] + "…", str(len(verified.manifest.files)),
                      f"{verified.manifest.total_size:,}", _plan_steps(verified), f"{seconds:.2f}", needs)
    console.print(table)
    problems = [f"{name} needs {dep.distribution_name} {dep.version}, built {built[dep.distribution_name].version}"
                if dep.distribution_name in built else f"{name} needs {dep.distribution_name}, which is not built"
                for name, artifact in built.items() for dep in artifact.config.dependencies
                if dep.distribution_name not in built or not dep.accepts(built[dep.distribution_name].version)]
    for problem in problems:
        console.print(f"[red]dependency problem:[/red] {problem}")
    for artifact in built.values():
        console.print(f"  {artifact.path.relative_to(EXAMPLES.parent)}")
    console.print(f"Packaged {len(built)} distributions; every dependency satisfied." if not problems else "")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
