"""A compiled deployment plan: ASL JSON plus ways to look at it.

Every way of writing a plan (Python, Attini YAML, raw ASL) ends as a
:class:`PlanDefinition`; the artifact stores its ``to_json()`` as
``attini_data/plan.json``::

    >>> plan = PlanDefinition({"StartAt": "Hi", "States": {"Hi": {"Type": "Succeed"}}})
    >>> plan.to_json(indent=None)
    '{"StartAt": "Hi", "States": {"Hi": {"Type": "Succeed"}}}'
    >>> plan.digest()[:7]
    'sha256:'
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from typing import Any

import attrs

from attini_sdk.plan import diagrams
from attini_sdk.plan.walk import predecessors, states


def canonical_json(definition: Any) -> str:
    """The canonical JSON text of a plan: sorted keys, no spaces, UTF-8 characters kept.

    The artifact's manifest records the plan's digest over these bytes
    (:func:`attini_sdk.artifacts.manifest.canonical_json` is the same form; a test holds them equal).
    Defined here rather than imported so that plans do not depend on artifacts, which come after them.

    >>> canonical_json({"b": 1, "a": [1, 2], "c": "é"})
    '{"a":[1,2],"b":1,"c":"é"}'
    """
    return json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@attrs.frozen(eq=False, repr=False)
class PlanDefinition:
    """A compiled plan (ASL ``definition``) with its origin and the dependencies between its steps.

    ``source`` names the file it came from (None for Python plans built in
    memory); ``depends_on`` maps a step to the steps it was declared to run
    after (from the Python API), else to the states that flow into it.
    Two definitions are equal when their canonical JSON is.
    """

    definition: dict
    source: str | None = None
    depends_on: dict[str, list[str]] | None = attrs.field(default=None, repr=False)
    lost_concurrency: frozenset = attrs.field(default=frozenset(), repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PlanDefinition):
            return NotImplemented
        return canonical_json(self.definition) == canonical_json(other.definition)

    def __hash__(self) -> int:
        return hash(canonical_json(self.definition))

    # -- serialisation ------------------------------------------------------
    def to_json(self, indent: int | None = 2) -> str:
        """The plan as JSON text, keys in authoring order (``attini_data/plan.json``)."""
        return json.dumps(self.definition, indent=indent, ensure_ascii=False)

    def canonical(self) -> str:
        """Canonical JSON (sorted keys): compare plans with it."""
        return canonical_json(self.definition)

    def digest(self) -> str:
        """``sha256:<hex>`` of the canonical JSON (recorded in the manifest)."""
        return "sha256:" + hashlib.sha256(self.canonical().encode()).hexdigest()

    def validate(self, *, files=None, dependencies=None) -> PlanDefinition:
        """Raise :class:`~attini_sdk.errors.PlanError` listing every problem; return self if valid.

        >>> PlanDefinition({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}).validate().source is None
        True
        """
        from attini_sdk.plan.validate import check_definition

        check_definition(self.definition, file=self.source, files=files, dependencies=dependencies)
        return self

    # -- views --------------------------------------------------------------
    def state_names(self) -> list[str]:
        """Every state name, branches included, in reading order."""
        return [s.name for s in states(self.definition)]

    def to_mermaid(self) -> str:
        """A mermaid flowchart (paste into Markdown, or view in Jupyter)."""
        return diagrams.to_mermaid(self.definition)

    def to_dot(self) -> str:
        """A graphviz digraph (``dot -Tsvg``)."""
        return diagrams.to_dot(self.definition)

    def tree(self) -> str:
        """An indented text view, one line per state."""
        return diagrams.to_tree(self.definition)

    @property
    def steps(self):
        """A pandas DataFrame, one row per state: name, type, depends_on, resource, parent.

        >>> PlanDefinition({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}).steps.columns.tolist()
        ['name', 'type', 'depends_on', 'resource', 'parent']
        """
        import pandas as pd

        flow = predecessors(self.definition)
        rows = []
        for s in states(self.definition):
            deps = self.depends_on.get(s.name) if self.depends_on and s.name in self.depends_on else flow.get(s.name)
            resource = s.body.get("Resource") if isinstance(s.body, dict) else None
            rows.append({"name": s.name, "type": diagrams.kind(s.body), "depends_on": list(deps or []),
                         "resource": resource, "parent": s.parent})
        frame = pd.DataFrame(rows, columns=["name", "type", "depends_on", "resource", "parent"])
        return frame.astype({"name": "string", "type": "category", "resource": "string", "parent": "string"})

    def _repr_markdown_(self) -> str:
        return "```mermaid\n" + self.to_mermaid() + "\n```"

    def __repr__(self) -> str:
        """One line: how many states, the first few names, where it came from.

        >>> PlanDefinition({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
        PlanDefinition(1 state: A)
        """
        names = self.state_names()
        shown = ", ".join(names[:8]) + (f", … {len(names) - 8} more" if len(names) > 8 else "")
        source = f", source={self.source!r}" if self.source else ""
        return f"PlanDefinition({len(names)} state{'s' if len(names) != 1 else ''}: {shown}{source})"

    def _repr_svg_(self) -> str | None:
        return render_svg(self.to_dot())

    def _repr_html_(self) -> str | None:
        """The diagram as inline SVG when graphviz is installed; else None, so Jupyter shows the mermaid."""
        svg = self._repr_svg_()
        return None if svg is None else f'<div style="max-width:100%;overflow:auto">{svg}</div>'


def render_svg(dot: str) -> str | None:
    """SVG from graphviz's ``dot`` program, or None when it is not installed."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    done = subprocess.run([exe, "-Tsvg"], input=dot, capture_output=True, text=True, timeout=30)
    return done.stdout if done.returncode == 0 else None
