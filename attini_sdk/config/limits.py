"""Limits on what attini reads: every document, archive entry and expression has a budget.

Hostile or careless input (a plan nested 100,000 levels deep, a YAML "billion laughs", a 5,000-digit
version, an artifact with a 300-character file name, a JSONata expression that never returns) must end
in a clean :class:`~attini_sdk.errors.AttiniError` naming the file or state, never a crash or a hang.
The budgets are checked *before* recursion or backtracking can run away: parsers run under these
limits, every parsed document is walked once without recursion, and expressions carry a time and
depth budget. ``docs/artifacts.md`` ("Limits") lists them for users.

The checks raise :class:`LimitExceeded` (a ``ValueError``); each loader turns it into its own error
(``ConfigError``, ``PlanError``, ``ArtifactError``) with the file it read::

    >>> check_document({"a": [1, 2, {"b": None}]})
    >>> check_document(json_loads('[' * 200 + ']' * 200))
    Traceback (most recent call last):
    ...
    attini_sdk.config.limits.LimitExceeded: is nested more than 100 levels deep (the limit)
    >>> json_loads('{"x": NaN}')
    Traceback (most recent call last):
    ...
    attini_sdk.config.limits.LimitExceeded: holds NaN, which is not a JSON number (JSON has no NaN or Infinity)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_DEPTH",
    "MAX_VALUES",
    "MAX_STATE_NESTING",
    "MAX_NAME_BYTES",
    "MAX_PATH_BYTES",
    "MAX_ENTRIES",
    "MAX_VERSION_LENGTH",
    "MAX_IGNORE_LINES",
    "MAX_IGNORE_PATTERN",
    "MAX_IGNORE_WILDCARDS",
    "EXPRESSION_SECONDS",
    "EXPRESSION_DEPTH",
    "MAX_REGEX_LENGTH",
    "LimitExceeded",
    "check_document",
    "json_loads",
    "decode_text",
    "check_entry_name",
    "check_ignore_pattern",
    "check_regex",
    "check_state_nesting",
]

MAX_DOCUMENT_BYTES = 10 << 20
"""Largest plan, init template, ASL file, ConfigFile or step output read (attini-config: 1 MiB)."""
MAX_DEPTH = 100
"""Deepest nesting of mappings and lists in any YAML or JSON document."""
MAX_VALUES = 200_000
"""Most values (mappings, lists and scalars) one document may hold once YAML aliases are expanded."""
MAX_STATE_NESTING = 20
"""Deepest nesting of Parallel branches and Map item processors in one plan."""
MAX_NAME_BYTES = 255
"""Longest file or folder name (one path component) in an artifact, in UTF-8 bytes (Linux NAME_MAX)."""
MAX_PATH_BYTES = 1024
"""Longest path of a file in an artifact, in UTF-8 bytes (leaves room under Linux's PATH_MAX of 4096
for the folder it is extracted into)."""
MAX_ENTRIES = 20_000
"""Most entries in one artifact; opening verifies and extracting writes each (about 2 s and 6 s here)."""
MAX_VERSION_LENGTH = 256
"""Longest version or version range (npm's limit), so that no number has thousands of digits."""
MAX_IGNORE_LINES = 10_000
"""Most lines in ``.attini-ignore``."""
MAX_IGNORE_PATTERN = 1024
"""Longest pattern in ``.attini-ignore``, in characters."""
MAX_IGNORE_WILDCARDS = 16
"""Most ``*``/``?``/``**`` wildcards in one ``.attini-ignore`` pattern (each can make matching slower)."""
EXPRESSION_SECONDS = 2.0
"""Longest time one JSONata expression may evaluate (``States.QueryEvaluationError`` past it)."""
EXPRESSION_DEPTH = 300
"""Deepest JSONata evaluation (nested calls and recursion)."""
MAX_REGEX_LENGTH = 1000
"""Longest regular expression in a JSONata expression."""


class LimitExceeded(ValueError):
    """A document, name or expression is over one of the limits; the message says which."""


def _walk(data: Any) -> Iterator[tuple[Any, int]]:
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        yield node, depth
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
            stack.extend((k, depth + 1) for k in node if not isinstance(k, str))
        elif isinstance(node, (list, tuple)):
            stack.extend((v, depth + 1) for v in node)


def check_document(data: Any, *, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES) -> None:
    """Walk ``data`` once, without recursion: refuse deep nesting, too many values (YAML aliases
    expand: a "billion laughs" stops here), NaN and infinities, and numbers of thousands of digits.

    >>> check_document({"x": float("inf")})
    Traceback (most recent call last):
    ...
    attini_sdk.config.limits.LimitExceeded: holds inf, which is not a JSON number (JSON has no NaN or Infinity)
    """
    for count, (node, depth) in enumerate(_walk(data), start=1):
        if depth > max_depth:
            raise LimitExceeded(f"is nested more than {max_depth} levels deep (the limit)")
        if count > max_values:
            raise LimitExceeded(f"expands to more than {max_values:,} values once YAML aliases are expanded (the limit)")
        if isinstance(node, float) and not math.isfinite(node):
            raise LimitExceeded(f"holds {node}, which is not a JSON number (JSON has no NaN or Infinity)")
        if isinstance(node, int) and not isinstance(node, bool) and node.bit_length() > 1024:
            raise LimitExceeded("holds a number of more than 300 digits")


def _refuse_constant(name: str) -> Any:
    raise LimitExceeded(f"holds {name}, which is not a JSON number (JSON has no NaN or Infinity)")


def decode_text(data: bytes) -> str:
    """UTF-8 ``data`` as text (a leading byte-order mark is dropped); ``LimitExceeded`` says where it is not UTF-8.

    >>> decode_text(b"ok: 1\\n# \\xff")
    Traceback (most recent call last):
    ...
    attini_sdk.config.limits.LimitExceeded: is not UTF-8 text (invalid start byte at byte 8, line 2)
    """
    if len(data) > MAX_DOCUMENT_BYTES:
        raise LimitExceeded(f"is {len(data):,} bytes, over the limit of {MAX_DOCUMENT_BYTES:,}")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise LimitExceeded(f"is not UTF-8 text ({err.reason} at byte {err.start}, line {line})") from None


def json_loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON within the limits: no NaN/Infinity, no 4,300-digit integers, not nested too deep.

    Raises ``json.JSONDecodeError`` for bad syntax and :class:`LimitExceeded` for the rest.
    """
    if isinstance(text, bytes):
        text = decode_text(text)
    elif len(text) > MAX_DOCUMENT_BYTES:
        raise LimitExceeded(f"is {len(text):,} characters, over the limit of {MAX_DOCUMENT_BYTES:,} bytes")
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise LimitExceeded(f"is nested more than {max_depth} levels deep (the limit)") from None
    except json.JSONDecodeError:
        raise
    except ValueError as err:  # Python refuses integers of more than 4,300 digits
        if isinstance(err, LimitExceeded):
            raise
        raise LimitExceeded(f"holds a number that is too long ({err})") from None
    check_document(data, max_depth=max_depth)
    return data


def check_entry_name(name: str) -> None:
    """Refuse a file path whose name or whole path is longer than a file system takes.

    >>> check_entry_name("a/" + "b" * 300)
    Traceback (most recent call last):
    ...
    attini_sdk.config.limits.LimitExceeded: a name in the path is 300 bytes long, over the limit of 255
    """
    size = len(name.encode("utf-8"))
    if size > MAX_PATH_BYTES:
        raise LimitExceeded(f"the path is {size} bytes long, over the limit of {MAX_PATH_BYTES}")
    longest = max(len(part.encode("utf-8")) for part in name.split("/"))
    if longest > MAX_NAME_BYTES:
        raise LimitExceeded(f"a name in the path is {longest} bytes long, over the limit of {MAX_NAME_BYTES}")


_WILDCARD = re.compile(r"\*\*|\*|\?|\[")


def check_ignore_pattern(pattern: str) -> None:
    """Refuse an ``.attini-ignore`` pattern that is too long or holds too many wildcards
    (each wildcard becomes a backtracking point of the regular expression it is matched with).

    >>> check_ignore_pattern("**/node_modules/**")
    >>> check_ignore_pattern("a*" * 20)
    Traceback (most recent call last):
    ...
    attini_sdk.config.limits.LimitExceeded: the pattern holds 20 wildcards, over the limit of 16
    """
    if len(pattern) > MAX_IGNORE_PATTERN:
        raise LimitExceeded(f"the pattern is {len(pattern)} characters long, over the limit of {MAX_IGNORE_PATTERN}")
    count = len(_WILDCARD.findall(pattern))
    if count > MAX_IGNORE_WILDCARDS:
        raise LimitExceeded(f"the pattern holds {count} wildcards, over the limit of {MAX_IGNORE_WILDCARDS}")


def check_regex(pattern: str) -> None:
    """Refuse a regular expression that can backtrack catastrophically: a repeated group that holds
    another repetition or an alternative (``(a+)+``, ``(a|aa)*``), or one over :data:`MAX_REGEX_LENGTH`.

    >>> check_regex("^[a-z]+@[a-z]+$")
    >>> check_regex("^(a+)+$")
    Traceback (most recent call last):
    ...
    attini_sdk.config.limits.LimitExceeded: the regular expression /^(a+)+$/ repeats a group that itself repeats or branches (it can take exponential time)
    """
    if len(pattern) > MAX_REGEX_LENGTH:
        raise LimitExceeded(f"the regular expression is {len(pattern)} characters long, over the limit "
                            f"of {MAX_REGEX_LENGTH}")
    try:
        from re import _parser as sre_parse  # type: ignore[attr-defined]
    except ImportError:  # Python < 3.11
        import sre_parse  # type: ignore[no-redef]
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError) as err:
        raise LimitExceeded(f"the regular expression /{pattern}/ does not parse ({err})") from None
    if _risky(parsed, inside_repeat=False):
        raise LimitExceeded(f"the regular expression /{pattern}/ repeats a group that itself repeats or branches "
                            "(it can take exponential time)")


_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def _risky(items, *, inside_repeat: bool) -> bool:
    stack = [(items, inside_repeat)]
    while stack:
        seq, inside = stack.pop()
        for op, arg in seq:
            name = str(op)
            if name in _REPEATS:
                low, high, sub = arg
                repeats = high is None or high > 1 or str(high) == "MAXREPEAT"
                if inside and repeats:
                    return True
                stack.append((sub, inside or repeats))
            elif name == "BRANCH":
                if inside and len(arg[1]) > 1:
                    return True
                stack.extend((b, inside) for b in arg[1])
            elif name == "SUBPATTERN":
                stack.append((arg[-1], inside))
            elif name in ("ASSERT", "ASSERT_NOT"):
                stack.append((arg[1], inside))
    return False


def check_state_nesting(definition: Any, *, max_nesting: int = MAX_STATE_NESTING) -> None:
    """Refuse a state machine whose Parallel branches and Map item processors nest deeper than
    :data:`MAX_STATE_NESTING`; the message names the state where the limit is crossed.

    >>> inner = {"StartAt": "L", "States": {"L": {"Type": "Pass", "End": True}}}
    >>> for i in range(25):
    ...     inner = {"StartAt": f"P{i}", "States": {f"P{i}": {"Type": "Parallel", "Branches": [inner], "End": True}}}
    >>> check_state_nesting(inner)
    Traceback (most recent call last):
    ...
    attini_sdk.config.limits.LimitExceeded: state 'P4' nests Parallel and Map states 21 deep, over the limit of 20
    """
    stack = [(definition, 0)]
    while stack:
        machine, depth = stack.pop()
        states = machine.get("States") if isinstance(machine, dict) else None
        if not isinstance(states, dict):
            continue
        for name, state in states.items():
            if not isinstance(state, dict):
                continue
            inner = []
            if state.get("Type") == "Parallel" and isinstance(state.get("Branches"), list):
                inner = state["Branches"]
            elif state.get("Type") == "Map":
                inner = [state.get("ItemProcessor") or state.get("Iterator")]
            if inner and depth + 1 > max_nesting:
                raise LimitExceeded(f"state '{name}' nests Parallel and Map states {depth + 1} deep, over the "
                                    f"limit of {max_nesting}")
            stack.extend((m, depth + 1) for m in inner)
