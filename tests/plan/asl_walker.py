"""A small walker over compiled ASL: what has certainly finished before each state starts.

Sequences follow ``Next``; a ``Parallel`` starts every branch with the same
finished set and, when it ends, everything in every branch has finished.
Good enough for plans made of Tasks, Parallels and merges (what the compiler
emits for a DAG of steps).
"""


def finished_before(machine: dict, done: frozenset = frozenset()) -> tuple[dict, frozenset]:
    """(state name -> set of names finished before it starts, names finished at the end)."""
    before: dict[str, frozenset] = {}
    name = machine["StartAt"]
    states = machine["States"]
    while name is not None:
        body = states[name]
        before[name] = done
        if body["Type"] == "Parallel":
            ends = []
            for branch in body["Branches"]:
                inner, end = finished_before(branch, done)
                assert not set(inner) & set(before), "a state appears twice"
                before.update(inner)
                ends.append(end)
            done = done.union(*ends)
        done = done | {name}
        name = body.get("Next")
    return before, done


def occurrences(machine: dict) -> list[str]:
    """Every state name, across all branches (duplicates kept)."""
    out = []
    for name, body in machine["States"].items():
        out.append(name)
        for branch in body.get("Branches", []):
            out.extend(occurrences(branch))
    return out


def states_by_name(machine: dict) -> dict[str, dict]:
    """Every state's body by name, across all branches (a later duplicate would win)."""
    out = {}
    for name, body in machine["States"].items():
        out[name] = body
        for branch in body.get("Branches", []):
            out.update(states_by_name(branch))
    return out
