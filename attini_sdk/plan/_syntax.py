"""Syntax of JSONPaths and intrinsic-function calls, for the validator only.

Private: ``validate._check_path`` and ``validate._check_intrinsic`` call this
until the engine's parsers (``attini_sdk.asl.paths.parse_path``,
``attini_sdk.asl.intrinsics.parse_intrinsic``) replace it. Each function
returns an error message, or None when the text is well formed::

    >>> path_error("$.output['My Step'].VpcId") is None
    True
    >>> path_error("$.a[*]", reference=True)
    "'[*]' selects several nodes; a reference path must name exactly one"
    >>> intrinsic_error("States.Format('{}-vpc', $.env)") is None
    True
    >>> intrinsic_error("States.Fromat('x')")
    "unknown intrinsic function 'States.Fromat'"
"""

from __future__ import annotations

import re

SIGNATURES: dict[str, tuple[int, int | None]] = {
    "States.Format": (1, None),
    "States.StringToJson": (1, 1),
    "States.JsonToString": (1, 1),
    "States.Array": (0, None),
    "States.ArrayPartition": (2, 2),
    "States.ArrayContains": (2, 2),
    "States.ArrayRange": (3, 3),
    "States.ArrayGetItem": (2, 2),
    "States.ArrayLength": (1, 1),
    "States.ArrayUnique": (1, 1),
    "States.Base64Encode": (1, 1),
    "States.Base64Decode": (1, 1),
    "States.Hash": (2, 2),
    "States.JsonMerge": (3, 3),
    "States.MathRandom": (2, 3),
    "States.MathAdd": (2, 2),
    "States.StringSplit": (2, 2),
    "States.UUID": (0, 0),
}
"""Intrinsic function name -> (min, max) arguments (max None: any number)."""

_NAME = re.compile(r"[^.\[\]\s'\"(),*?@=<>!&|]+")
_INT = re.compile(r"-?\d+")
_SLICE = re.compile(r"-?\d*:-?\d*(:-?\d+)?")


def _quoted(text: str, i: int) -> int:
    """Index just past the quoted string starting at ``text[i]`` (a quote), or -1."""
    quote = text[i]
    i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    return -1


def _bracket_end(text: str, i: int) -> int:
    """Index of the ``]`` closing the bracket at ``text[i]``, honouring quotes and nesting; or -1."""
    depth = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            i = _quoted(text, i)
            if i < 0:
                return -1
            continue
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
            if depth == 0:
                return i if ch == "]" else -1
        i += 1
    return -1


def _bracket_error(inner: str, reference: bool) -> str | None:
    inner = inner.strip()
    if not inner:
        return "empty brackets '[]'"
    if inner[0] in "'\"":
        parts = _split_union(inner)
        if parts is None:
            return f"bad quoted name in [{inner}]"
        if reference and len(parts) > 1:
            return f"'[{inner}]' selects several nodes; a reference path must name exactly one"
        return None
    if _INT.fullmatch(inner):
        if reference and inner.startswith("-"):
            return f"'[{inner}]': a reference path needs a non-negative index"
        return None
    if reference:
        return f"'[{inner}]' selects several nodes; a reference path must name exactly one"
    if inner == "*" or _SLICE.fullmatch(inner):
        return None
    if all(_INT.fullmatch(p.strip()) for p in inner.split(",")):
        return None
    if inner.startswith("?(") and inner.endswith(")") and len(inner) > 3:
        return None
    if inner.startswith("(") and inner.endswith(")") and len(inner) > 2:
        return None
    return f"cannot read '[{inner}]'"


def _split_union(inner: str) -> list[str] | None:
    parts, i = [], 0
    while i < len(inner):
        if inner[i] not in "'\"":
            return None
        end = _quoted(inner, i)
        if end < 0:
            return None
        parts.append(inner[i:end])
        i = end
        while i < len(inner) and inner[i] == " ":
            i += 1
        if i < len(inner):
            if inner[i] != ",":
                return None
            i += 1
            while i < len(inner) and inner[i] == " ":
                i += 1
            if i == len(inner):
                return None
    return parts


def path_error(text: str, *, reference: bool = False) -> str | None:
    """Why ``text`` is not a JSONPath (a *reference path* when ``reference``), or None.

    >>> path_error("output.Vpc")
    "a path starts with '$', got 'output.Vpc'"
    >>> path_error("$..name") is None, path_error("$..name", reference=True) is not None
    (True, True)
    """
    if not isinstance(text, str):
        return f"a path must be a string, got {type(text).__name__}"
    if not text.startswith("$"):
        return f"a path starts with '$', got '{text}'"
    i = 2 if text.startswith("$$") else 1
    if reference and i == 2:
        return "a reference path cannot use the context object '$$'"
    while i < len(text):
        ch = text[i]
        if ch == ".":
            if text.startswith("..", i):
                if reference:
                    return "'..' (deep scan) selects several nodes; a reference path must name exactly one"
                i += 2
                if i < len(text) and text[i] == "[":
                    continue
            else:
                i += 1
            if i < len(text) and text[i] == "*":
                if reference:
                    return "'.*' selects several nodes; a reference path must name exactly one"
                i += 1
                continue
            m = _NAME.match(text, i)
            if not m:
                return f"expected a name after '.' at position {i} in '{text}'"
            i = m.end()
        elif ch == "[":
            end = _bracket_end(text, i)
            if end < 0:
                return f"unclosed '[' at position {i} in '{text}'"
            err = _bracket_error(text[i + 1:end], reference)
            if err:
                return err
            i = end + 1
        else:
            return f"unexpected '{ch}' at position {i} in '{text}'"
    return None


class _Parser:
    """Recursive-descent reader of one intrinsic call."""

    def __init__(self, text: str):
        self.text = text
        self.i = 0

    def fail(self, what: str) -> None:
        raise ValueError(what)

    def skip(self) -> None:
        while self.i < len(self.text) and self.text[self.i] in " \t":
            self.i += 1

    def call(self, depth: int) -> None:
        if depth > 10:
            self.fail("intrinsic functions nest more than 10 deep")
        m = re.compile(r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*").match(self.text, self.i)
        if not m:
            self.fail(f"expected a function name at position {self.i}")
        name = m.group(0)
        self.i = m.end()
        if name not in SIGNATURES:
            self.fail(f"unknown intrinsic function '{name}'")
        self.skip()
        if self.i >= len(self.text) or self.text[self.i] != "(":
            self.fail(f"expected '(' after {name}")
        self.i += 1
        args: list[str] = []
        self.skip()
        if self.i >= len(self.text):
            self.fail(f"missing ')' closing {name}(")
        if self.text[self.i] == ")":
            self.i += 1
        else:
            while True:
                self.skip()
                if self.i >= len(self.text):
                    self.fail(f"missing ')' closing {name}(")
                args.append(self.argument(depth))
                self.skip()
                if self.i >= len(self.text):
                    self.fail(f"missing ')' closing {name}(")
                if self.text[self.i] == ")":
                    self.i += 1
                    break
                if self.text[self.i] != ",":
                    self.fail(f"expected ',' or ')' at position {self.i}")
                self.i += 1
        low, high = SIGNATURES[name]
        if len(args) < low or (high is not None and len(args) > high):
            want = f"{low}" if low == high else (f"at least {low}" if high is None else f"{low} to {high}")
            self.fail(f"{name} takes {want} argument{'s' if want != '1' else ''}, got {len(args)}")
        if name == "States.Format" and args[0].startswith("'"):
            holes = len(re.findall(r"(?<!\\)\{\}", args[0]))
            if holes != len(args) - 1:
                self.fail(f"States.Format template has {holes} '{{}}' but {len(args) - 1} values")

    def argument(self, depth: int) -> str:
        start = self.i
        ch = self.text[self.i] if self.i < len(self.text) else ""
        if ch == "'":
            end = _quoted(self.text, self.i)
            if end < 0:
                self.fail("unterminated string argument")
            self.i = end
        elif ch == "$":
            self.i = self._path_end()
            err = path_error(self.text[start:self.i].rstrip())
            if err:
                self.fail(err)
        elif ch.isalpha():
            m = re.compile(r"(true|false|null)\b").match(self.text, self.i)
            if m:
                self.i = m.end()
            else:
                self.call(depth + 1)
        else:
            m = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?").match(self.text, self.i)
            if not m:
                self.fail(f"cannot read an argument at position {self.i}")
            self.i = m.end()
        return self.text[start:self.i]

    def _path_end(self) -> int:
        i, depth = self.i, 0
        while i < len(self.text):
            ch = self.text[i]
            if ch in "'\"":
                i = _quoted(self.text, i)
                if i < 0:
                    self.fail("unterminated quote in path argument")
                continue
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
            elif depth == 0 and ch in ",)":
                return i
            i += 1
        return i


def intrinsic_error(text: str) -> str | None:
    """Why ``text`` is not a well-formed intrinsic function call, or None.

    >>> intrinsic_error("States.UUID(1)")
    'States.UUID takes 0 arguments, got 1'
    >>> intrinsic_error("States.Format('{}-{}', $.a)")
    "States.Format template has 2 '{}' but 1 values"
    """
    if not isinstance(text, str):
        return "an intrinsic function call must be a string"
    parser = _Parser(text.strip())
    try:
        parser.call(1)
        parser.skip()
        if parser.i != len(parser.text):
            parser.fail(f"unexpected text after the call: '{parser.text[parser.i:]}'")
    except ValueError as err:
        return str(err)
    return None
