"""Intrinsic functions (spec section "Intrinsic Functions"): ``States.Format(...)`` and friends.

An intrinsic call is parsed once into a tree of :class:`Call`, :class:`Literal`
and :class:`PathArg` nodes; evaluating it is a walk over that tree::

    >>> call = parse_intrinsic("States.Format('Hello {}!', $.name)")
    >>> call.name, len(call.args)
    ('States.Format', 2)
    >>> call.evaluate(lambda path: path.find({"name": "Ada"}))
    'Hello Ada!'

``SIGNATURES`` gives each function's (min, max) argument count (``None``: no
maximum); the plan validator checks calls with it. A call that fails at run
time raises :class:`~attini_sdk.asl.failures.Failure` with
``States.IntrinsicFailure``, the name the AWS documentation gives; a path argument
that selects nothing raises :class:`~attini_sdk.asl.paths.PathMissing` for the caller,
which fails the state with ``States.Runtime`` as Step Functions does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import uuid
from collections.abc import Callable
from typing import Any

from attini_sdk.asl.failures import INTRINSIC_FAILURE, Failure, IntrinsicSyntaxError
from attini_sdk.asl.paths import Path, parse_path
from attini_sdk.config import limits

__all__ = ["SIGNATURES", "Call", "Literal", "PathArg", "parse_intrinsic", "is_intrinsic"]

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

MAX_NESTING = 10
MAX_ARRAY_RANGE = 1000
MAX_ENCODE_INPUT = 10_000
HASH_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def is_intrinsic(text: Any) -> bool:
    """True when a ``.$`` value is an intrinsic call rather than a path.

    >>> is_intrinsic("States.Array(1, 2)"), is_intrinsic("$.a")
    (True, False)
    """
    return isinstance(text, str) and text.startswith("States.")


# --- nodes ---------------------------------------------------------------------------------

Resolver = Callable[[Path], Any]


class Literal:
    """A constant argument. ``raw`` keeps a string's escapes for States.Format."""

    __slots__ = ("value", "raw")

    def __init__(self, value: Any, raw: str | None = None):
        self.value = value
        self.raw = raw

    def evaluate(self, resolve: Resolver) -> Any:
        return self.value


class PathArg:
    """A path argument (``$.x``, ``$$.Execution.Id``, ``$var``)."""

    __slots__ = ("path",)

    def __init__(self, path: Path):
        self.path = path

    def evaluate(self, resolve: Resolver) -> Any:
        # A path that selects nothing raises PathMissing: the caller knows the field, and Step
        # Functions fails such a state with States.Runtime, not States.IntrinsicFailure.
        return resolve(self.path)


class Call:
    """A call ``States.Name(args...)``; ``evaluate(resolve)`` runs it, ``resolve(path)``
    reading paths against the current state's data."""

    __slots__ = ("name", "args", "text")

    def __init__(self, name: str, args: tuple, text: str):
        self.name = name
        self.args = args
        self.text = text

    def __repr__(self) -> str:
        return f"Call({self.text!r})"

    def evaluate(self, resolve: Resolver) -> Any:
        values = [arg.evaluate(resolve) for arg in self.args]
        try:
            return _FUNCTIONS[self.name](self, values)
        except Failure:
            raise
        except (TypeError, ValueError, IndexError, KeyError, OverflowError) as err:
            raise Failure(INTRINSIC_FAILURE, f"{self.text}: {err}") from None
        except RecursionError:
            raise Failure(INTRINSIC_FAILURE, f"{self.text}: the data is nested too deeply") from None


# --- parsing -------------------------------------------------------------------------------


def parse_intrinsic(text: str) -> Call:
    """Parse an intrinsic call; raises :class:`IntrinsicSyntaxError` on bad syntax,
    unknown functions and wrong argument counts.

    >>> parse_intrinsic("States.MathAdd(1)")
    Traceback (most recent call last):
    ...
    attini_sdk.asl.failures.IntrinsicSyntaxError: 'States.MathAdd(1)': States.MathAdd takes 2 arguments, got 1
      hint: see the intrinsic functions table in docs/engine.md
    """
    parser = _IntrinsicParser(text)
    call = parser.call(depth=1)
    parser.skip_space()
    if parser.pos != len(text):
        raise parser.fail(f"unexpected text after the call: {text[parser.pos:]!r}")
    return call


class _IntrinsicParser:
    def __init__(self, text: str):
        if not isinstance(text, str):
            raise IntrinsicSyntaxError("an intrinsic function call must be a string")
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> IntrinsicSyntaxError:
        return IntrinsicSyntaxError(what, where=repr(self.text), hint="see the intrinsic functions table in docs/engine.md")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\n":
            self.pos += 1

    def call(self, depth: int) -> Call:
        if depth > MAX_NESTING:
            raise self.fail(f"intrinsic functions nest at most {MAX_NESTING} deep")
        start = self.pos
        open_at = self.text.find("(", start)
        if open_at < 0:
            raise self.fail("missing '(' after the function name")
        name = self.text[start:open_at].strip()
        if name not in SIGNATURES:
            raise self.fail(f"unknown intrinsic function {name!r}")
        self.pos = open_at + 1
        args = []
        self.skip_space()
        if self.pos < len(self.text) and self.text[self.pos] == ")":
            self.pos += 1
        else:
            while True:
                self.skip_space()
                args.append(self.argument(depth))
                self.skip_space()
                if self.pos >= len(self.text):
                    raise self.fail(f"{name}( is never closed")
                c = self.text[self.pos]
                self.pos += 1
                if c == ")":
                    break
                if c != ",":
                    raise self.fail(f"expected ',' or ')' at position {self.pos - 1}, found {c!r}")
        low, high = SIGNATURES[name]
        if len(args) < low or (high is not None and len(args) > high):
            want = str(low) if low == high else f"{low}+" if high is None else f"{low} to {high}"
            raise self.fail(f"{name} takes {want} argument{'s' if want != '1' else ''}, got {len(args)}")
        return Call(name, tuple(args), self.text[start:self.pos])

    def argument(self, depth: int):
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise self.fail("an argument is missing")
        c = text[pos]
        if c == "'":
            return self.string()
        if c == "$":
            return PathArg(self.path())
        if text.startswith("States.", pos):
            return self.call(depth + 1)
        end = pos
        while end < len(text) and text[end] not in ",)":
            end += 1
        word = text[pos:end].strip()
        self.pos = end
        if word in ("true", "false", "null"):
            return Literal({"true": True, "false": False, "null": None}[word])
        try:
            number = json.loads(word)
        except ValueError:
            raise self.fail(f"cannot read argument {word!r}: expected 'string', number, true/false/null, a path or a call") from None
        if not isinstance(number, (int, float)) or isinstance(number, bool):
            raise self.fail(f"cannot read argument {word!r}")
        return Literal(number)

    def string(self) -> Literal:
        text, i = self.text, self.pos + 1
        raw, value = [], []
        while i < len(text):
            c = text[i]
            if c == "\\":
                if i + 1 >= len(text):
                    break
                nxt = text[i + 1]
                raw.append(c + nxt)
                value.append(nxt)
                i += 2
                continue
            if c == "'":
                self.pos = i + 1
                return Literal("".join(value), "".join(raw))
            raw.append(c)
            value.append(c)
            i += 1
        raise self.fail("a string argument is never closed (escape ' as \\')")

    def path(self) -> Path:
        text, start = self.text, self.pos
        depth, i, quote = 0, start, None
        while i < len(text):
            c = text[i]
            if quote:
                if c == "\\":
                    i += 1
                elif c == quote:
                    quote = None
            elif c in "'\"":
                quote = c
            elif c in "([":
                depth += 1
            elif c in ")]":
                if depth == 0:
                    break
                depth -= 1
            elif c == "," and depth == 0:
                break
            i += 1
        self.pos = i
        return parse_path(text[start:i].strip())


# --- the functions -------------------------------------------------------------------------


def _need(cond: bool, message: str) -> None:
    if not cond:
        raise Failure(INTRINSIC_FAILURE, message)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _to_string(value) -> str:
    """How States.Format renders an argument: strings as they are, objects and arrays
    the way Step Functions' Java runtime prints them (``{a=1, b=[x, y]}``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_to_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_to_string(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def _format(call: Call, values: list) -> str:
    template = values[0]
    _need(isinstance(template, str), f"{call.name}: the template must be a string")
    first = call.args[0]
    raw = first.raw if isinstance(first, Literal) and first.raw is not None else None
    out, n, i = [], 0, 0
    source = raw if raw is not None else template
    while i < len(source):
        c = source[i]
        if raw is not None and c == "\\" and i + 1 < len(source):
            out.append(source[i + 1])
            i += 2
            continue
        if source.startswith("{}", i):
            n += 1
            _need(n < len(values), f"{call.name}: the template has more {{}} than arguments")
            out.append(_to_string(values[n]))
            i += 2
            continue
        out.append(c)
        i += 1
    _need(n == len(values) - 1, f"{call.name}: {len(values) - 1} arguments for {n} {{}} placeholders")
    return "".join(out)


def _string_to_json(call, values):
    _need(isinstance(values[0], str), f"{call.name}: the argument must be a string")
    text = values[0].strip()
    return limits.json_loads(text) if text else None  # no NaN, no runaway nesting (LimitExceeded is a ValueError)


def _json_to_string(call, values):
    return json.dumps(values[0], separators=(",", ":"), ensure_ascii=False)


def _array_partition(call, values):
    array, size = values
    _need(isinstance(array, list), f"{call.name}: the first argument must be an array")
    _need(_is_int(size) and size > 0, f"{call.name}: the chunk size must be a positive integer")
    return [array[i:i + size] for i in range(0, len(array), size)]


def _array_contains(call, values):
    array, needle = values
    _need(isinstance(array, list), f"{call.name}: the first argument must be an array")
    return any(_same(item, needle) for item in array)


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _array_range(call, values):
    # The guide asks for integers and "a non-zero value for the third argument"; a negative
    # step counts down (moto and LocalStack accept only positive steps: a documented difference).
    _need(all(_is_int(v) for v in values), f"{call.name}: start, end and step must be integers")
    start, end, step = (int(v) for v in values)
    _need(step != 0, f"{call.name}: the step (third argument) must not be 0")
    span = range(start, end + (1 if step > 0 else -1), step)
    _need(len(span) <= MAX_ARRAY_RANGE, f"{call.name}: at most {MAX_ARRAY_RANGE} items, got {len(span)}")
    return list(span)


def _array_get_item(call, values):
    array, index = values
    _need(isinstance(array, list), f"{call.name}: the first argument must be an array")
    _need(_is_int(index) and 0 <= index < len(array),
          f"{call.name}: index {index!r} is out of bounds for an array of {len(array)} items")
    return array[index]


def _array_length(call, values):
    _need(isinstance(values[0], list), f"{call.name}: the argument must be an array")
    return len(values[0])


def _array_unique(call, values):
    _need(isinstance(values[0], list), f"{call.name}: the argument must be an array")
    seen, out = set(), []
    for item in values[0]:
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _base64_encode(call, values):
    data = values[0]
    _need(isinstance(data, str), f"{call.name}: the argument must be a string")
    _need(len(data) <= MAX_ENCODE_INPUT, f"{call.name}: input is limited to {MAX_ENCODE_INPUT} characters")
    return base64.b64encode(data.encode("utf-8")).decode("ascii")


def _base64_decode(call, values):
    data = values[0]
    _need(isinstance(data, str), f"{call.name}: the argument must be a string")
    _need(len(data) <= MAX_ENCODE_INPUT, f"{call.name}: input is limited to {MAX_ENCODE_INPUT} characters")
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise Failure(INTRINSIC_FAILURE, f"{call.name}: {data!r} is not valid base64") from None


def _hash(call, values):
    data, algorithm = values
    _need(isinstance(data, str), f"{call.name}: the data must be a string")
    _need(len(data) <= MAX_ENCODE_INPUT, f"{call.name}: input is limited to {MAX_ENCODE_INPUT} characters")
    _need(algorithm in HASH_ALGORITHMS,
          f"{call.name}: unknown algorithm {algorithm!r}; use one of {', '.join(HASH_ALGORITHMS)}")
    return hashlib.new(HASH_ALGORITHMS[algorithm], data.encode("utf-8")).hexdigest()


def _json_merge(call, values):
    first, second, deep = values
    _need(isinstance(first, dict) and isinstance(second, dict), f"{call.name}: both arguments must be objects")
    _need(deep is False, f"{call.name}: only shallow merge is supported; the third argument must be false")
    merged = dict(first)
    merged.update(second)
    return merged


def _math_random(call, values):
    _need(all(_is_int(v) for v in values), f"{call.name}: start, end (and seed) must be integers")
    start, end = values[0], values[1]
    _need(start <= end, f"{call.name}: start must not be greater than end")
    import random  # on first use: most plans never draw one

    generator = random.Random(values[2]) if len(values) == 3 else random
    return generator.randint(start, end)


def _java_round(value) -> int:
    # Math.round: half up towards positive infinity
    return int(math.floor(value + 0.5))


def _math_add(call, values):
    _need(all(_is_number(v) for v in values), f"{call.name}: both arguments must be numbers")
    a, b = (_java_round(v) if isinstance(v, float) else v for v in values)
    return a + b


def _string_split(call, values):
    text, separators = values
    _need(isinstance(text, str) and isinstance(separators, str), f"{call.name}: both arguments must be strings")
    parts, current = [], []
    for c in text:
        if c in separators:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
    parts.append("".join(current))
    return [p for p in parts if p]


def _uuid(call, values):
    return str(uuid.uuid4())


_FUNCTIONS: dict[str, Callable[[Call, list], Any]] = {
    "States.Format": _format,
    "States.StringToJson": _string_to_json,
    "States.JsonToString": _json_to_string,
    "States.Array": lambda call, values: list(values),
    "States.ArrayPartition": _array_partition,
    "States.ArrayContains": _array_contains,
    "States.ArrayRange": _array_range,
    "States.ArrayGetItem": _array_get_item,
    "States.ArrayLength": _array_length,
    "States.ArrayUnique": _array_unique,
    "States.Base64Encode": _base64_encode,
    "States.Base64Decode": _base64_decode,
    "States.Hash": _hash,
    "States.JsonMerge": _json_merge,
    "States.MathRandom": _math_random,
    "States.MathAdd": _math_add,
    "States.StringSplit": _string_split,
    "States.UUID": _uuid,
}
