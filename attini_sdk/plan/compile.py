"""Compile a Python plan (a graph of steps) to ASL.

Independent steps become ``Parallel`` branches followed by an
``AttiniMergeOutput``; every dependency edge is kept. ``dependency(...)``
references become one generated ``Import`` step per distribution.

State names are unique in the whole plan (Step Functions refuses duplicates,
and a step's result lands at ``$.output.<Name>``): two steps with one name, or
one step object used in two places, are refused naming both places; names the
compiler makes up (``Parallel-1``, ``<Parallel>-Merge``, ``<Choice>-Done``) give
way to the user's names by taking the next free ``-2``, ``-3`` suffix::

    >>> from attini_sdk.plan import Cfn, Runner
    >>> vpc = Cfn("Vpc", stack_name="vpc", template="/vpc.yaml")
    >>> dns = Cfn("Dns", stack_name="dns", template="/dns.yaml")
    >>> app = Runner("App", commands=["./deploy.sh"], after=[vpc, dns])
    >>> result = compile_steps([app])
    >>> result.definition["StartAt"], list(result.definition["States"])
    ('Parallel-1', ['Parallel-1', 'Parallel-1-Merge', 'App'])
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from attini_sdk.errors import PlanError, Problem
from attini_sdk.plan.attini_types import attini_task
from attini_sdk.plan.cdk_diff import expand_cdk_diffs
from attini_sdk.plan.graph import CycleError, Graph, Par, Seq
from attini_sdk.plan.refs import import_step_name
from attini_sdk.plan.states import Choice, Map, Parallel
from attini_sdk.plan.steps import Guarded, Import, Step, parent_of
from attini_sdk.plan.walk import ordered_states


@attrs.frozen
class Compiled:
    """The output of :func:`compile_steps`: the ASL definition and what was learnt on the way."""

    definition: dict
    depends_on: dict[str, list[str]]
    """Each step's direct dependencies (by name), as written in Python."""
    lost_concurrency: frozenset[tuple[str, str]]
    """Pairs of independent steps that the compiled plan runs one after the other."""


def _root(step: Step) -> Step:
    while (holder := parent_of(step)) is not None:
        step = holder
    return step


def _descendants(step: Step) -> list[Step]:
    out = []
    for seq in step.nested():
        for child in seq:
            out.append(child)
            out.extend(_descendants(child))
    return out


class _Compiler:
    def __init__(self, steps: Iterable[Step]):
        self.problems: list[Problem] = []
        self.top = self._closure(steps)
        self.imports = self._imports()
        self.top.extend(s for s in self.imports.values() if s not in self.top)
        self.names = self._check_names()
        self.counter = 0
        self.depends_on: dict[str, list[str]] = {}
        self.lost: set[tuple[str, str]] = set()

    # -- gathering ----------------------------------------------------------
    def _closure(self, steps: Iterable[Step]) -> list[Step]:
        """The explicit steps plus every step they depend on (Pulumi-style discovery)."""
        found: dict[int, Step] = {}
        todo = [_root(s) for s in steps]
        while todo:
            step = todo.pop(0)
            if id(step) in found:
                continue
            found[id(step)] = step
            for inner in [step, *_descendants(step)]:
                todo.extend(_root(d) for d in inner.depends_on())
        return list(found.values())

    def _imports(self) -> dict[str, Import]:
        mappings: dict[str, dict[str, str]] = {}
        for step in self.top:
            for inner in [step, *_descendants(step)]:
                for ref in inner.dependency_refs():
                    mappings.setdefault(ref.distribution, {})[ref.key] = ref.source
        return {dist: Import(import_step_name(dist), distribution=dist, mapping=dict(sorted(m.items())))
                for dist, m in sorted(mappings.items())}

    def _placed(self) -> Iterable[tuple[Step, str]]:
        """Every use of every step, with where it sits, in plan order."""
        imports = {id(s): dist for dist, s in self.imports.items()}

        def walk(step: Step, place: str):
            yield step, place
            for inner_place, steps in step.places():
                for inner in steps:
                    yield from walk(inner, inner_place)

        for step in self.top:
            dist = imports.get(id(step))
            yield from walk(step, f"as the Import step generated for dependency('{dist}')" if dist else
                            "at the top level")

    def _check_names(self) -> set[str]:
        """The names the user's steps take; two uses of one name are problems naming both places."""
        seen: dict[str, tuple[Step, str]] = {}
        for step, place in self._placed():
            if step.name not in seen:
                seen[step.name] = (step, place)
                continue
            other, first = seen[step.name]
            if other is step:
                what = (f"step '{step.name}' is used twice, {first} and {place}; a step runs in one place only: "
                        "build a second step with its own name (e.g. a function that makes the step from a name)")
            else:
                imported = {id(s) for s in self.imports.values()} & {id(step), id(other)}
                fix = ("rename your step (references to the dependency's outputs read that Import step by name)"
                       if imported else "rename one of them")
                what = (f"two steps are named '{step.name}', {first} and {place}; step names must be unique in "
                        f"the whole plan (each result lands at $.output.<Name>): {fix}")
            self.problems.append(Problem(what, state=step.name, field="Name"))
        return set(seen)

    def _deps(self, step: Step) -> list[Step]:
        deps = list(step.depends_on())
        deps.extend(self.imports[r.distribution] for r in step.dependency_refs())
        return deps

    # -- scopes -------------------------------------------------------------
    def scope(self, steps: list[Step], *, chain: bool, container: Step | None = None) -> object:
        """Decompose one list of steps (the plan, a branch) into a Seq/Par tree of steps."""
        member = {id(s): s for s in steps}
        owner: dict[int, Step] = {}
        for s in steps:
            for d in _descendants(s):
                owner[id(d)] = s
        foreign = {id(d) for d in _descendants(container)} if container else set()
        edges: set[tuple[int, int]] = set()
        for s in steps:
            direct = []
            for inner in [s, *_descendants(s)]:
                for dep in self._deps(inner):
                    target = member.get(id(dep)) or owner.get(id(dep))
                    if target is None and id(dep) in foreign:
                        self.problems.append(Problem(
                            f"uses '{dep.name}', which is in another branch of '{container.name}'",
                            state=inner.name, field="after"))
                    elif target is not None and target is not s:
                        edges.add((id(target), id(s)))
                    if inner is s:
                        direct.append(dep.name)
            self.depends_on[s.name] = list(dict.fromkeys(direct))
        if chain:
            edges.update((id(a), id(b)) for a, b in zip(steps, steps[1:]))
        for a, b in edges:
            if member[a].terminal:
                self.problems.append(Problem(f"'{member[b].name}' runs after it, but a {member[a].type_name} "
                                             "ends the plan", state=member[a].name))
        try:
            graph = Graph([id(s) for s in steps], edges, terminal=[id(s) for s in steps if s.terminal])
        except CycleError as err:
            names = " -> ".join(member[i].name for i in err.cycle)
            self.problems.append(Problem(f"steps depend on each other in a cycle: {names}",
                                         state=member[err.cycle[0]].name, field="after"))
            return Seq(tuple(steps))
        tree, lost = graph.decompose()
        self.lost.update((member[a].name, member[b].name) for a, b in lost)
        return _map_tree(tree, member)

    # -- emission -----------------------------------------------------------
    def fresh(self, base: str) -> str:
        """A numbered name for a generated Parallel (``Parallel-1``) whose ``-Merge`` is free too."""
        while True:
            self.counter += 1
            name = f"{base}-{self.counter}"
            if name not in self.names and f"{name}-Merge" not in self.names:
                self.names.update({name, f"{name}-Merge"})
                return name

    def generated(self, name: str) -> str:
        """``name`` for a state the compiler adds, or ``name-2``, ``name-3``... when a step already has it."""
        candidate, n = name, 1
        while candidate in self.names:
            n += 1
            candidate = f"{name}-{n}"
        self.names.add(candidate)
        return candidate

    def definition(self, steps: list[Step], *, chain: bool, container: Step | None = None) -> dict:
        tree = self.scope(steps, chain=chain, container=container)
        states: dict = {}
        start = self.emit(tree, states, None)
        return {"StartAt": start, "States": ordered_states(states, start)}

    def emit(self, tree: object, states: dict, next_name: str | None) -> str:
        if isinstance(tree, Seq):
            for item in reversed(tree.items):
                next_name = self.emit(item, states, next_name)
            return next_name
        if isinstance(tree, Par):
            name = self.fresh("Parallel")
            branches = []
            for item in tree.items:
                sub: dict = {}
                start = self.emit(item, sub, None)
                branches.append({"StartAt": start, "States": ordered_states(sub, start)})
            states[name] = {"Type": "Parallel", "Branches": branches, "Next": f"{name}-Merge"}
            states[f"{name}-Merge"] = _link(attini_task("AttiniMergeOutput", f"{name}-Merge", None), next_name)
            return name
        return self.emit_step(tree, states, next_name)

    def emit_step(self, step: Step, states: dict, next_name: str | None) -> str:
        state = step.state()
        if isinstance(step, Choice):
            yes = self._branch_start(step, step.is_true, states, next_name)
            no = self._branch_start(step, step.is_false, states, next_name)
            state["Choices"][0]["Next"] = yes
            state["Default"] = no
            states[step.name] = state
            return step.name
        if isinstance(step, Parallel):
            state["Branches"] = [self.definition(list(b), chain=True, container=step) for b in step.branches]
            if step.merge:
                merge = self.generated(step.merge_name)
                states[merge] = _link(attini_task("AttiniMergeOutput", merge, None), next_name)
                next_name = merge
        if isinstance(step, Map):
            inner = self.definition(list(step.iterator), chain=True, container=step)
            processor = {"ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **inner}}
            state = _insert_after(state, "ItemsPath", processor)
        if isinstance(step, Guarded) and step.catch:
            state["Catch"] = [self._catcher(step, c, states) for c in step.catch]
        states[step.name] = state if step.terminal else _link(state, next_name)
        return step.name

    def _branch_start(self, choice: Choice, steps: tuple[Step, ...], states: dict, next_name: str | None) -> str:
        if steps:
            tree = self.scope(list(steps), chain=True, container=choice)
            return self.emit(tree, states, next_name)
        if next_name is not None:
            return next_name
        done = self.generated(f"{choice.name}-Done")
        states[done] = {"Type": "Succeed"}
        return done

    def _catcher(self, step: Guarded, catcher: dict, states: dict) -> dict:
        out = dict(catcher)
        target = catcher["Next"]
        if not isinstance(target, str):
            chain = [target] if isinstance(target, Step) else list(target)
            tree = self.scope(chain, chain=True, container=step)
            out["Next"] = self.emit(tree, states, None)
        return out


def _map_tree(tree: object, member: dict[int, Step]) -> object:
    if isinstance(tree, Seq):
        return Seq(tuple(_map_tree(t, member) for t in tree.items))
    if isinstance(tree, Par):
        return Par(tuple(_map_tree(t, member) for t in tree.items))
    return member[tree]


def _link(state: dict, next_name: str | None) -> dict:
    out = {k: v for k, v in state.items() if k not in ("Next", "End")}
    if next_name is None:
        out["End"] = True
    else:
        out["Next"] = next_name
    return out


def _insert_after(state: dict, key: str, extra: dict) -> dict:
    out: dict = {}
    for k, v in state.items():
        out[k] = v
        if k == key:
            out.update(extra)
    if not any(k in out for k in extra):
        out.update(extra)
    return out


def compile_steps(steps: Iterable[Step], *, comment: str | None = None, runners: dict | None = None) -> Compiled:
    """Compile the given steps (and every step they depend on) to an ASL definition.

    Raises :class:`~attini_sdk.errors.PlanError` listing every problem (cycles,
    duplicate names, steps after a Succeed/Fail, cross-branch references).
    """
    compiler = _Compiler(steps)
    if not compiler.top:
        raise PlanError([Problem("the plan has no steps")], hint="add steps with plan.add(...)")
    if compiler.problems:  # a step used twice cannot be laid out: stop before emitting anything
        raise PlanError(list(dict.fromkeys(compiler.problems)))
    body = compiler.definition(compiler.top, chain=False)
    if compiler.problems:
        raise PlanError(list(dict.fromkeys(compiler.problems)))
    definition: dict = {}
    if comment:
        definition["Comment"] = comment
    definition.update(expand_cdk_diffs(body))
    if runners:
        definition["AttiniRunners"] = runners
    return Compiled(definition, compiler.depends_on, frozenset(compiler.lost))
