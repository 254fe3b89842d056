"""Pictures of a compiled plan: mermaid, graphviz dot and a text tree.

    >>> d = {"StartAt": "Vpc", "States": {
    ...     "Vpc": {"Type": "Task", "Resource": "attini:cfn", "Next": "Done"},
    ...     "Done": {"Type": "Succeed"}}}
    >>> print(to_mermaid(d))
    flowchart TD
      start((start)) --> s1
      s1["Vpc<br/><i>AttiniCfn</i>"]
      s2(["Done"])
      s1 --> s2
    >>> print(to_tree(d))
    Vpc  [AttiniCfn]
    Done  [Succeed]
"""

from __future__ import annotations

import itertools

from attini_sdk.plan.attini_types import BY_RESOURCE
from attini_sdk.plan.walk import branches, flow_targets, in_order


def kind(state: dict) -> str:
    """A state's type as a reader knows it: the Attini type for ``attini:`` tasks.

    >>> kind({"Type": "Task", "Resource": "attini:runner"}), kind({"Type": "Wait"})
    ('AttiniRunnerJob', 'Wait')
    """
    if not isinstance(state, dict):
        return "?"
    resource = state.get("Resource")
    if state.get("Type") == "Task" and isinstance(resource, str) and resource in BY_RESOURCE:
        return BY_RESOURCE[resource].type
    return str(state.get("Type", "?"))


def _label(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


class _Mermaid:
    def __init__(self) -> None:
        self.ids = (f"s{i}" for i in itertools.count())
        self.lines = ["flowchart TD"]
        self.edges: list[str] = []

    def machine(self, machine: dict, indent: str) -> tuple[str, list[str]]:
        """Draw one (sub-)machine; return the id of its first node and of its end nodes."""
        body = in_order(machine)
        ids = {name: next(self.ids) for name in body}
        ends: list[str] = []
        for name, state in body.items():
            node = ids[name]
            text = _label(name)
            t = state.get("Type") if isinstance(state, dict) else None
            if t == "Choice":
                self.lines.append(f'{indent}{node}{{"{text}"}}')
            elif t in ("Succeed", "Fail"):
                self.lines.append(f'{indent}{node}(["{text}"])')
            elif t in ("Parallel", "Map"):
                self.lines.append(f'{indent}subgraph {node} ["{text} ({t})"]')
                self.lines.append(f"{indent}  direction TB")
                for branch in branches(state):
                    first, _ = self.machine(branch, indent + "  ")
                    del first
                self.lines.append(f"{indent}end")
            else:
                self.lines.append(f'{indent}{node}["{text}<br/><i>{_label(kind(state))}</i>"]')
            targets = flow_targets(state)
            choices = {c.get("Next") for c in state.get("Choices") or [] if isinstance(c, dict)}
            for target in targets:
                if target in ids:
                    arrow = "-. catch .->" if _is_catch(state, target) else (
                        "-- yes -->" if target in choices else ("-- no -->" if t == "Choice" else "-->"))
                    self.edges.append(f"{indent}{node} {arrow} {ids[target]}")
            if not targets or (isinstance(state, dict) and state.get("End")):
                ends.append(node)
        return ids.get(machine.get("StartAt"), ""), ends


def _is_catch(state: dict, target: str) -> bool:
    if not isinstance(state, dict) or state.get("Next") == target:
        return False
    return any(isinstance(c, dict) and c.get("Next") == target for c in state.get("Catch") or [])


def to_mermaid(definition: dict) -> str:
    """A mermaid ``flowchart`` of the plan; Parallel and Map states are subgraphs."""
    m = _Mermaid()
    next(m.ids)
    first, _ = m.machine(definition, "  ")
    if first:
        m.lines.insert(1, f"  start((start)) --> {first}")
    return "\n".join(m.lines + m.edges)


def to_dot(definition: dict) -> str:
    """A graphviz ``digraph`` of the plan; Parallel and Map states are clusters.

    >>> "digraph plan" in to_dot({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    True
    """
    ids = (f"n{i}" for i in itertools.count())
    lines = ["digraph plan {", "  rankdir=TB;", '  node [shape=box, style=rounded, fontname="Helvetica"];']
    edges: list[str] = []

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace('"', '\\"')

    def machine(m: dict, indent: str) -> dict[str, str]:
        body = in_order(m)
        names = {name: next(ids) for name in body}
        for name, state in body.items():
            node = names[name]
            t = state.get("Type") if isinstance(state, dict) else None
            if t in ("Parallel", "Map"):
                lines.append(f"{indent}subgraph cluster_{node} {{")
                lines.append(f'{indent}  label="{esc(name)} ({t})";')
                lines.append(f'{indent}  {node} [label="{esc(name)}", shape=point];')
                for branch in branches(state):
                    inner = machine(branch, indent + "  ")
                    if branch.get("StartAt") in inner:
                        edges.append(f'  {node} -> {inner[branch["StartAt"]]} [style=dotted];')
                lines.append(f"{indent}}}")
            else:
                shape = {"Choice": "diamond", "Succeed": "doublecircle", "Fail": "doubleoctagon"}.get(t, "box")
                lines.append(f'{indent}{node} [label="{esc(name)}\\n{esc(kind(state))}", shape={shape}];')
            for target in flow_targets(state):
                if target in names:
                    style = " [style=dashed]" if _is_catch(state, target) else ""
                    edges.append(f"  {node} -> {names[target]}{style};")
        return names

    machine(definition, "  ")
    return "\n".join(lines + edges + ["}"])


def to_tree(definition: dict) -> str:
    """An indented text view: one line per state, branches under their holder.

    >>> print(to_tree({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
    ...     {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "attini:cfn", "End": True}}}]}}}))
    P  [Parallel]
      branch 1
        A  [AttiniCfn]
    """
    out: list[str] = []

    def machine(m: dict, indent: str) -> None:
        for name, state in in_order(m).items():
            extra = ""
            if isinstance(state, dict) and state.get("Type") == "Choice":
                extra = "  -> " + ", ".join(flow_targets(state))
            out.append(f"{indent}{name}  [{kind(state)}]{extra}")
            subs = branches(state)
            for i, branch in enumerate(subs, 1):
                if isinstance(state, dict) and state.get("Type") == "Parallel":
                    out.append(f"{indent}  branch {i}")
                    machine(branch, indent + "    ")
                else:
                    machine(branch, indent + "  ")

    machine(definition, "")
    return "\n".join(out)
