"""Dependency graphs of steps and their series-parallel decomposition.

The compiler needs a tree of *sequences* and *parallel groups*. A graph that
is series-parallel decomposes exactly. One that is not (the "N" shape:
a->c, b->c, b->d) still decomposes *correctly*, never dropping an edge, but
some pairs of independent steps then run one after the other; those pairs are
reported as ``lost``::

    >>> g = Graph(["a", "b", "c", "d"], {("a", "c"), ("b", "c"), ("b", "d")})
    >>> tree, lost = g.decompose()
    >>> tree
    Seq(items=(Par(items=('a', 'b')), Par(items=('c', 'd'))))
    >>> sorted(lost)
    [('a', 'd')]
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import attrs


@attrs.frozen
class Seq:
    """Run ``items`` one after the other."""

    items: tuple


@attrs.frozen
class Par:
    """Run ``items`` side by side."""

    items: tuple


class CycleError(Exception):
    """The graph has a cycle; ``cycle`` lists its nodes, first repeated last."""

    def __init__(self, cycle: list):
        self.cycle = cycle
        super().__init__(" -> ".join(map(str, cycle)))


def _bits(mask: int) -> Iterable[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class Graph:
    """A DAG over ``nodes`` (kept in the given order) with ``(before, after)`` edges.

    >>> Graph(["x", "y"], [("x", "y")]).decompose()[0]
    Seq(items=('x', 'y'))
    """

    def __init__(self, nodes: Iterable[Hashable], edges: Iterable[tuple[Hashable, Hashable]],
                 terminal: Iterable[Hashable] = ()):
        self.nodes = list(nodes)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        n = len(self.nodes)
        self.succ = [0] * n
        self.pred = [0] * n
        for a, b in edges:
            i, j = self.index[a], self.index[b]
            self.succ[i] |= 1 << j
            self.pred[j] |= 1 << i
        self.terminal = 0
        for t in terminal:
            if not self.succ[self.index[t]]:  # a terminal step with successors is reported by the caller
                self.terminal |= 1 << self.index[t]
        self.order = self._topological()
        self.reach = self._closure()

    # -- structure ----------------------------------------------------------
    def _topological(self) -> list[int]:
        """Kahn's algorithm, smallest index first; raises CycleError naming a cycle."""
        import heapq

        indeg = [bin(p).count("1") for p in self.pred]
        ready = [i for i, d in enumerate(indeg) if d == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            i = heapq.heappop(ready)
            order.append(i)
            for j in _bits(self.succ[i]):
                indeg[j] -= 1
                if indeg[j] == 0:
                    heapq.heappush(ready, j)
        if len(order) < len(self.nodes):
            raise CycleError([self.nodes[i] for i in self._find_cycle(set(range(len(self.nodes))) - set(order))])
        return order

    def _find_cycle(self, remaining: set[int]) -> list[int]:
        # Every node left after Kahn's algorithm has a predecessor left: walk back until one repeats.
        start = min(remaining)
        path, seen = [start], {start: 0}
        while True:
            prev = min(j for j in _bits(self.pred[path[-1]]) if j in remaining)
            if prev in seen:
                cycle = path[seen[prev]:] + [prev]
                return list(reversed(cycle))
            seen[prev] = len(path)
            path.append(prev)

    def _closure(self) -> list[int]:
        reach = [0] * len(self.nodes)
        for i in reversed(self.order):
            r = 0
            for j in _bits(self.succ[i]):
                r |= (1 << j) | reach[j]
            reach[i] = r
        return reach

    # -- decomposition ------------------------------------------------------
    def decompose(self) -> tuple[Any, set[tuple]]:
        """The Seq/Par tree of node names and the independent pairs it serialises."""
        lost: set[tuple[int, int]] = set()
        full = (1 << len(self.nodes)) - 1
        tree = self._split(full, lost) if self.nodes else Seq(())
        return tree, {(self.nodes[a], self.nodes[b]) for a, b in lost}

    def _split(self, mask: int, lost: set) -> Any:
        members = list(_bits(mask))
        if len(members) == 1:
            return self.nodes[members[0]]
        parts = self._components(mask)
        if len(parts) > 1:
            return Par(tuple(self._split(p, lost) for p in parts))
        segments = self._series(mask, lost)
        items: list = []
        for seg in segments:
            sub = self._split(seg, lost)
            items.extend(sub.items if isinstance(sub, Seq) else [sub])
        return Seq(tuple(items))

    def _components(self, mask: int) -> list[int]:
        parts, left = [], mask
        while left:
            seed = left & -left
            comp, frontier = seed, seed
            while frontier:
                nxt = 0
                for i in _bits(frontier):
                    nxt |= (self.succ[i] | self.pred[i]) & mask
                frontier = nxt & ~comp
                comp |= nxt
            parts.append(comp)
            left &= ~comp
        return sorted(parts, key=lambda m: (m & -m))

    def _levels(self, mask: int, forward: bool) -> dict[int, int]:
        """Longest-path level of each node inside ``mask`` (from the sources, or the sinks)."""
        level: dict[int, int] = {}
        order = self.order if forward else list(reversed(self.order))
        for i in order:
            if mask >> i & 1:
                near = (self.pred[i] if forward else self.succ[i]) & mask
                level[i] = max((level[j] + 1 for j in _bits(near)), default=0)
        return level

    def _cut_cost(self, before: int, mask: int) -> int:
        after = mask & ~before
        return sum(bin(after & ~self.reach[a]).count("1") for a in _bits(before))

    def _series(self, mask: int, lost: set) -> list[int]:
        """Split a connected node set into segments that run one after the other.

        Candidate cuts are down-sets by longest path from the sources, or
        up-sets by longest path to the sinks; every lossless split of a
        series-parallel graph is among the former. Terminal steps (Succeed,
        Fail) must stay in the last segment.
        """
        depth = self._levels(mask, forward=True)
        cuts: list[tuple[int, int]] = []  # (cost, before-mask)
        for k in range(max(depth.values())):
            before = sum(1 << i for i, d in depth.items() if d <= k)
            if not before & self.terminal:
                cuts.append((self._cut_cost(before, mask), before))
        lossless = [b for c, b in cuts if c == 0]
        if lossless:
            bounds = sorted(lossless, key=lambda b: bin(b).count("1"))
            segments, prev = [], 0
            for b in bounds:
                segments.append(b & ~prev)
                prev = b
            segments.append(mask & ~prev)
            return segments
        height = self._levels(mask, forward=False)
        for k in range(max(height.values())):
            before = sum(1 << i for i, h in height.items() if h > k)
            if not before & self.terminal:
                cuts.append((self._cut_cost(before, mask), before))
        cost, before = min(cuts, key=lambda cb: (cb[0], -bin(cb[1]).count("1")))
        after = mask & ~before
        for a in _bits(before):
            for b in _bits(after & ~self.reach[a]):
                lost.add((a, b))
        return [before, after]
