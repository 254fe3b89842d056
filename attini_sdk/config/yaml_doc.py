"""YAML documents read within the limits: no runaway nesting, no alias bombs or cycles, no duplicate keys.

:class:`GuardedLoader` is PyYAML's ``SafeLoader`` with four guards that run while the document is
composed, before any recursion can run away; :func:`load_document` adds the walk of
:func:`~attini_sdk.config.limits.check_document` over the result (aliases expanded, NaN refused)::

    >>> load_document("a: 1\\nb: [x, y]\\n")
    {'a': 1, 'b': ['x', 'y']}
    >>> load_document("name: a\\nversion: 1\\nname: b\\n")
    Traceback (most recent call last):
    ...
    attini_sdk.config.yaml_doc.DuplicateKeys: key 'name' appears twice in one mapping (lines 1 and 3)

Callers turn :class:`DuplicateKeys`, :class:`~attini_sdk.config.limits.LimitExceeded` and
``yaml.YAMLError`` into their own error naming the file.
"""

from __future__ import annotations

from typing import Any

import yaml

from attini_sdk.config.limits import MAX_DEPTH, MAX_VALUES, LimitExceeded, check_document

__all__ = ["GuardedLoader", "DuplicateKeys", "load_document", "yaml_problem"]


class DuplicateKeys(ValueError):
    """A key appears twice in one mapping; ``duplicates`` holds ``(key, first_line, second_line)``."""

    def __init__(self, duplicates: list[tuple[str, int, int]]):
        self.duplicates = duplicates
        super().__init__("; ".join(f"key '{k}' appears twice in one mapping (lines {a} and {b})"
                                   for k, a, b in duplicates))


class GuardedLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses nesting deeper than :data:`~attini_sdk.config.limits.MAX_DEPTH`,
    an alias to the collection it sits in (a cycle), and records every duplicate key with both lines."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []
        self._depth = 0
        self._open: set[str] = set()
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) and event.anchor in self._open:
            raise LimitExceeded(f"holds the alias *{event.anchor} (line {event.start_mark.line + 1}), which refers to the "
                                "collection it is inside, which would make the document infinite")
        anchor = getattr(event, "anchor", None) if isinstance(event, yaml.CollectionStartEvent) else None
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise LimitExceeded(f"is nested more than {MAX_DEPTH} levels deep (the limit; line "
                                f"{event.start_mark.line + 1})")
        if anchor:
            self._open.add(anchor)
        try:
            node = super().compose_node(parent, index)
            self._count(node)
            return node
        finally:
            self._depth -= 1
            if anchor:
                self._open.discard(anchor)

    def _count(self, node) -> None:
        # an alias reuses its anchor's node: count that node's values again each time, so that a
        # "billion laughs" is refused while composing, long before anything expands it
        if id(node) in self._sizes:
            return
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = []
        size = 1 + sum(self._sizes.get(id(child), 1) for child in children)
        if size > MAX_VALUES:
            raise LimitExceeded(f"expands to more than {MAX_VALUES:,} values once YAML aliases are expanded (the limit; "
                                f"line {node.start_mark.line + 1})")
        self._sizes[id(node)] = size

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        first: dict = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in first and key != "<<":
                self.duplicates.append((key, first[key], line))
            first.setdefault(key, line)
        return super().construct_mapping(node, deep=deep)


def yaml_problem(err: yaml.YAMLError) -> str:
    """``problem (line L, column C)`` of a PyYAML error."""
    mark = getattr(err, "problem_mark", None)
    at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    return f"{problem}{at}"


def load_document(text: str, loader: type[GuardedLoader] = GuardedLoader) -> Any:
    """Parse one YAML document with ``loader`` and check it against the limits.

    Raises ``yaml.YAMLError`` (bad syntax), :class:`DuplicateKeys` or
    :class:`~attini_sdk.config.limits.LimitExceeded`.
    """
    instance = loader(text)
    try:
        data = instance.get_single_data()
    except RecursionError:
        raise LimitExceeded(f"is nested more than {MAX_DEPTH} levels deep (the limit)") from None
    except (OverflowError, TypeError) as err:
        raise LimitExceeded(f"holds a value YAML cannot represent here ({err})") from None
    except ValueError as err:
        if isinstance(err, (LimitExceeded, DuplicateKeys)):
            raise
        raise LimitExceeded(f"holds a value that is too long ({err})") from None
    finally:
        instance.dispose()
    if instance.duplicates:
        raise DuplicateKeys(instance.duplicates)
    check_document(data)
    return data
