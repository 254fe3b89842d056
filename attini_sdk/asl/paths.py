"""Paths (spec section "Paths"): JSONPath over the state input, ``$$`` and variables.

A *Path* is a JSONPath (``$.items[0].id``, ``$.items[*].id``, ``$..id``,
``$.items[?(@.n > 2)]``) whose root is the state input ``$``, the context
object ``$$`` or, since Step Functions has variables, a variable ``$name``.
A *reference path* may only name one node: ``.field``, ``['field']`` and
``[index]`` steps, nothing else (``ResultPath`` uses them).

Paths are parsed once, when a definition is loaded, into a :class:`Path`
whose :meth:`Path.find` is cheap to call on every transition::

    >>> p = parse_path("$.order.items[1].sku")
    >>> p.find({"order": {"items": [{"sku": "a"}, {"sku": "b"}]}})
    'b'
    >>> parse_path("$.items[*].n").find({"items": [{"n": 1}, {"n": 2}]})
    [1, 2]

A definite path that selects nothing raises :class:`PathMissing`; an
indefinite one (wildcards, slices, filters, ``..``) returns a list, maybe empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from attini_sdk.asl.failures import PathSyntaxError

__all__ = ["Path", "PathMissing", "parse_path", "MISSING"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class PathMissing(Exception):
    """A definite path selected nothing in the data it was applied to."""

    def __init__(self, path: str):
        self.path = path
        super().__init__(path)


# --- steps ---------------------------------------------------------------------------------
# Each step maps one node to the nodes it selects (a list) for indefinite evaluation; definite
# steps also have a fast single-value form.


class _Key:
    __slots__ = ("name",)
    definite = True

    def __init__(self, name: str):
        self.name = name

    def one(self, node):
        if type(node) is dict:
            return node.get(self.name, MISSING)
        return MISSING

    def many(self, node, out: list) -> None:
        if type(node) is dict and self.name in node:
            out.append(node[self.name])


class _Index:
    __slots__ = ("index",)
    definite = True

    def __init__(self, index: int):
        self.index = index

    def one(self, node):
        if type(node) is list:
            try:
                return node[self.index]
            except IndexError:
                return MISSING
        return MISSING

    def many(self, node, out: list) -> None:
        value = self.one(node)
        if value is not MISSING:
            out.append(value)


class _Wildcard:
    __slots__ = ()
    definite = False

    def many(self, node, out: list) -> None:
        if type(node) is dict:
            out.extend(node.values())
        elif type(node) is list:
            out.extend(node)


class _Slice:
    __slots__ = ("bounds",)
    definite = False

    def __init__(self, start, stop, step):
        self.bounds = slice(start, stop, step)

    def many(self, node, out: list) -> None:
        if type(node) is list:
            out.extend(node[self.bounds])


class _Union:
    __slots__ = ("members",)
    definite = False

    def __init__(self, members):
        self.members = members

    def many(self, node, out: list) -> None:
        for member in self.members:
            member.many(node, out)


class _Descend:
    """``..`` followed by a step: apply the step to the node and every descendant."""

    __slots__ = ("step",)
    definite = False

    def __init__(self, step):
        self.step = step

    def many(self, node, out: list) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            self.step.many(current, out)
            if type(current) is dict:
                stack.extend(reversed(list(current.values())))
            elif type(current) is list:
                stack.extend(reversed(current))


class _Filter:
    __slots__ = ("test",)
    definite = False

    def __init__(self, test: Callable[[Any], bool]):
        self.test = test

    def many(self, node, out: list) -> None:
        items = node if type(node) is list else list(node.values()) if type(node) is dict else ()
        for item in items:
            try:
                if self.test(item):
                    out.append(item)
            except TypeError:
                continue


class _LastMinus:
    """``[(@.length-N)]``: the N-th item from the end."""

    __slots__ = ("offset",)
    definite = True

    def __init__(self, offset: int):
        self.offset = offset

    def one(self, node):
        if type(node) is list and 0 <= len(node) - self.offset < len(node):
            return node[len(node) - self.offset]
        return MISSING

    def many(self, node, out: list) -> None:
        value = self.one(node)
        if value is not MISSING:
            out.append(value)


# --- the compiled path ---------------------------------------------------------------------


class Path:
    """A parsed path: ``root`` is ``"$"``, ``"$$"`` or a variable name; ``definite`` is
    True when it can select at most one node.

    >>> p = parse_path("$$.Execution.Id")
    >>> p.root, p.definite
    ('$$', True)
    """

    __slots__ = ("text", "root", "steps", "definite", "keys")

    def __init__(self, text: str, root: str, steps: tuple):
        self.text = text
        self.root = root
        self.steps = steps
        self.definite = all(s.definite for s in steps)
        # The common case ($.a.b) gets a plain loop over dict keys.
        self.keys = tuple(s.name for s in steps) if all(type(s) is _Key for s in steps) else None

    def __repr__(self) -> str:
        return f"Path({self.text!r})"

    @property
    def is_variable(self) -> bool:
        """True for ``$name...`` paths that read a workflow variable."""
        return self.root not in ("$", "$$")

    def find(self, data: Any) -> Any:
        """Apply the steps to ``data`` (the root value).

        >>> parse_path("$.a").find({"a": None}) is None
        True
        """
        if self.keys is not None:
            node = data
            for key in self.keys:
                if type(node) is not dict:
                    raise PathMissing(self.text)
                node = node.get(key, MISSING)
                if node is MISSING:
                    raise PathMissing(self.text)
            return node
        if self.definite:
            node = data
            for step in self.steps:
                node = step.one(node)
                if node is MISSING:
                    raise PathMissing(self.text)
            return node
        nodes = [data]
        for step in self.steps:
            out: list = []
            for node in nodes:
                step.many(node, out)
            nodes = out
        return nodes

    def exists(self, data: Any) -> bool:
        """True when the path selects something (for a definite path) in ``data``."""
        try:
            self.find(data)
        except PathMissing:
            return False
        return True


# --- parsing -------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_INT = re.compile(r"-?\d+")


def parse_path(text: str, *, reference: bool = False) -> Path:
    """Parse a Path (or, with ``reference=True``, a Reference Path).

    Raises :class:`~attini_sdk.asl.failures.PathSyntaxError` (an ``ExecutionError``)
    on bad syntax, naming the path and the position.

    >>> parse_path("$.a[0]['b c']", reference=True).find({"a": [{"b c": 1}]})
    1
    >>> parse_path("$.a[*]", reference=True)
    Traceback (most recent call last):
    ...
    attini_sdk.asl.failures.PathSyntaxError: '$.a[*]': a reference path may only use .name, ['name'] and [index], found '[*]'
      hint: reference paths (ResultPath, ...) must select one node: remove wildcards, slices and filters
    """
    if not isinstance(text, str):
        raise PathSyntaxError(f"a path must be a string, got {type(text).__name__}",
                              hint="write a path such as '$.field'")
    return _Parser(text, reference).parse()


class _Parser:
    def __init__(self, text: str, reference: bool):
        self.text = text
        self.reference = reference
        self.pos = 0

    def fail(self, what: str, hint: str | None = None) -> PathSyntaxError:
        return PathSyntaxError(what, where=repr(self.text),
                               hint=hint or "paths look like $.field, $.list[0], $$.Execution.Id or $variable.field")

    def parse(self) -> Path:
        text = self.text
        if text.startswith("$$"):
            root, self.pos = "$$", 2
        elif (m := _VARIABLE.match(text)) is not None:
            root, self.pos = m.group(1), m.end()
        elif text.startswith("$"):
            root, self.pos = "$", 1
        else:
            raise self.fail("a path must start with '$'")
        steps = []
        while self.pos < len(text):
            start = self.pos
            step = self.step()
            if self.reference and not step.definite or self.reference and type(step) is _LastMinus:
                raise PathSyntaxError(
                    f"a reference path may only use .name, ['name'] and [index], found {text[start:self.pos]!r}",
                    where=repr(text),
                    hint="reference paths (ResultPath, ...) must select one node: remove wildcards, slices and filters")
            steps.append(step)
        return Path(text, root, tuple(steps))

    def step(self):
        text, pos = self.text, self.pos
        if text.startswith("..", pos):
            self.pos += 2
            if self.pos < len(text) and text[self.pos] == "[":
                return _Descend(self.bracket())
            return _Descend(self.dotted_name())
        if text[pos] == ".":
            self.pos += 1
            return self.dotted_name()
        if text[pos] == "[":
            return self.bracket()
        raise self.fail(f"unexpected {text[pos]!r} at position {pos}")

    def dotted_name(self):
        text, start = self.text, self.pos
        end = start
        while end < len(text) and text[end] not in ".[":
            end += 1
        name = text[start:end]
        if not name:
            raise self.fail(f"empty field name at position {start}")
        if name != name.strip() or any(c in name for c in "]'\""):
            raise self.fail(f"bad field name {name!r} at position {start}",
                            hint="use ['name with spaces'] for unusual field names")
        self.pos = end
        return _Wildcard() if name == "*" else _Key(name)

    def bracket(self):
        text, start = self.text, self.pos
        close = self._matching_close(start)
        inner = text[start + 1:close].strip()
        self.pos = close + 1
        if not inner:
            raise self.fail(f"empty [] at position {start}")
        if inner == "*":
            return _Wildcard()
        if inner.startswith("?(") and inner.endswith(")"):
            return _Filter(_FilterParser(inner[2:-1], self).parse())
        if inner.startswith("(") and inner.endswith(")"):
            m = re.fullmatch(r"@\.length\s*-\s*(\d+)", inner[1:-1].strip())
            if not m:
                raise self.fail(f"unsupported script expression {inner!r}", hint="only [(@.length-N)] is supported")
            return _LastMinus(int(m.group(1)))
        parts = _split_top(inner, ",")
        members = [self.member(p.strip(), start) for p in parts]
        if len(members) == 1:
            return members[0]
        return _Union(tuple(members))

    def member(self, part: str, at: int):
        if _INT.fullmatch(part):
            return _Index(int(part))
        if len(part) >= 2 and part[0] == part[-1] and part[0] in "'\"":
            return _Key(_unquote(part[1:-1]))
        if ":" in part:
            bounds = part.split(":")
            if len(bounds) > 3 or not all(b.strip() == "" or _INT.fullmatch(b.strip()) for b in bounds):
                raise self.fail(f"bad slice {part!r} at position {at}")
            nums = [int(b) if b.strip() else None for b in bounds] + [None] * (3 - len(bounds))
            if nums[2] == 0:
                raise self.fail(f"slice step cannot be 0 at position {at}")
            return _Slice(*nums)
        if part == "*":
            return _Wildcard()
        raise self.fail(f"bad subscript {part!r} at position {at}",
                        hint="use [0], ['name'], [*], [start:end] or [?(@.field == value)]")

    def _matching_close(self, start: int) -> int:
        text, depth, i, quote = self.text, 0, start, None
        while i < len(text):
            c = text[i]
            if quote:
                if c == "\\":
                    i += 1
                elif c == quote:
                    quote = None
            elif c in "'\"":
                quote = c
            elif c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        raise self.fail(f"'[' at position {start} is never closed")


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, quote, current = [], 0, None, []
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            current.append(c)
            if c == "\\" and i + 1 < len(text):
                current.append(text[i + 1])
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
            current.append(c)
        elif c in "([":
            depth += 1
            current.append(c)
        elif c in ")]":
            depth -= 1
            current.append(c)
        elif c == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    parts.append("".join(current))
    return parts


# --- filter expressions: [?( @.a > 1 && @.b == 'x' )] ----------------------------------------

_TOKEN = re.compile(r"""\s*(?:
    (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<str>'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")
  | (?P<op>==|!=|<=|>=|<|>|&&|\|\||!|\(|\))
  | (?P<word>true|false|null)
  | (?P<at>@(?:\.[A-Za-z0-9_\-$]+|\[[^\]]*\])*)
  | (?P<abs>\$(?:\.[A-Za-z0-9_\-$]+|\[[^\]]*\])*)
)""", re.X)

_COMPARE = {
    "==": lambda a, b: _json_equal(a, b),
    "!=": lambda a, b: not _json_equal(a, b),
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _json_equal(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


class _FilterParser:
    """Recursive descent over tokens: or := and ('||' and)*; and := unary ('&&' unary)*;
    unary := '!' unary | '(' or ')' | operand (op operand)?"""

    def __init__(self, text: str, owner: _Parser):
        self.owner = owner
        self.tokens = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise owner.fail(f"cannot read filter expression at {text[pos:]!r}")
            kind = m.lastgroup
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self):
        test = self.disjunction()
        if self.i != len(self.tokens):
            raise self.owner.fail(f"unexpected {self.peek()[1]!r} in filter expression")
        return test

    def disjunction(self):
        left = self.conjunction()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.conjunction()
            left = (lambda l, r: lambda x: l(x) or r(x))(left, right)
        return left

    def conjunction(self):
        left = self.unary()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.unary()
            left = (lambda l, r: lambda x: l(x) and r(x))(left, right)
        return left

    def unary(self):
        if self.peek() == ("op", "!"):
            self.take()
            inner = self.unary()
            return lambda x: not inner(x)
        if self.peek() == ("op", "("):
            self.take()
            inner = self.disjunction()
            if self.take() != ("op", ")"):
                raise self.owner.fail("missing ')' in filter expression")
            return inner
        left = self.operand()
        kind, value = self.peek()
        if kind == "op" and value in _COMPARE:
            self.take()
            right = self.operand()
            compare = _COMPARE[value]

            def test(x, left=left, right=right, compare=compare):
                a, b = left(x), right(x)
                if a is MISSING or b is MISSING:
                    return False
                return compare(a, b)
            return test
        return lambda x: left(x) is not MISSING and left(x) is not False and left(x) is not None

    def operand(self):
        kind, value = self.take()
        if kind == "num":
            number = float(value) if any(c in value for c in ".eE") else int(value)
            return lambda x: number
        if kind == "str":
            literal = _unquote(value[1:-1])
            return lambda x: literal
        if kind == "word":
            literal = {"true": True, "false": False, "null": None}[value]
            return lambda x: literal
        if kind == "at":
            sub = _Parser("$" + value[1:], False).parse()
            return lambda x: _find_or_missing(sub, x)
        raise self.owner.fail(f"unexpected {value!r} in filter expression")


def _find_or_missing(path: Path, data):
    try:
        return path.find(data)
    except PathMissing:
        return MISSING
