"""JSONata query language: ``{% ... %}`` expressions in ``Arguments``, ``Output``, ``Assign``, ...

Step Functions evaluates JSONata 2.0.6 with ``$states`` bound to
``{input, result, errorOutput, context}`` and every visible workflow variable
bound by name. We use ``jsonata-python`` and add the functions AWS adds
(``$partition``, ``$range``, ``$hash``, ``$random([seed])``, ``$uuid``,
``$parse``); ``$eval`` is refused as AWS refuses it::

    >>> t = compile_value({"total": "{% $sum($states.input.n) + $bonus %}", "kind": "sum"}, "Output")
    >>> t({"states": {"input": {"n": [1, 2]}}, "bonus": 10})
    {'total': 13, 'kind': 'sum'}

A failing expression fails the state with ``States.QueryEvaluationError``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from attini_sdk.asl.failures import QUERY_EVALUATION_ERROR, DefinitionError, Failure
from attini_sdk.asl.templates import constant
from attini_sdk.config import limits

__all__ = ["is_expression", "compile_value", "compile_expression", "Expression"]

Builder = Callable[[dict], Any]


def is_expression(value: Any) -> bool:
    """True for a string that is one JSONata expression, ``"{% ... %}"``.

    >>> is_expression("{% $x %}"), is_expression("x")
    (True, False)
    """
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


class Expression:
    """One parsed JSONata expression. ``evaluate(bindings)`` is thread-safe."""

    def __init__(self, text: str, where: str):
        import jsonata

        self.text = text
        self.where = where
        if len(text) > limits.MAX_DOCUMENT_BYTES:
            raise DefinitionError("JSONata expression is too long", where=where)
        try:
            self._compiled = jsonata.Jsonata(text, _guarded_regex)
        except RecursionError:
            raise DefinitionError(f"JSONata expression is nested too deeply to parse (limit: about "
                                  f"{limits.EXPRESSION_DEPTH} levels)", where=where,
                                  hint="simplify the expression between {% and %}") from None
        except Exception as err:  # jsonata raises its own JException for syntax errors
            raise DefinitionError(f"JSONata expression does not parse: {err}", where=where,
                                  hint="check the expression between {% and %}") from None
        self._compiled.set_output_convert_nulls(False)
        for name, fn in _AWS_FUNCTIONS.items():
            self._compiled.register_lambda(name, fn)
        self._lock = threading.Lock()

    def evaluate(self, bindings: dict) -> Any:
        """Evaluate with ``bindings`` (``states`` and the variables); ``MISSING``-free JSON out.

        Raises :class:`Failure` (``States.QueryEvaluationError``) when JSONata fails or
        the expression yields nothing (JSONata's *undefined*).
        """
        from jsonata import Utils

        null = Utils.NULL_VALUE
        # jsonata-python reads a top-level binding of None as *undefined*; JSON null must stay null
        bindings = {k: null if v is None else v for k, v in bindings.items()}
        try:
            with self._lock:
                budget = _Budget(self.where)  # started once the lock is ours: waiting for it is not evaluating
                bindings["__evaluate_entry"] = budget.enter
                bindings["__evaluate_exit"] = budget.leave
                value = self._compiled.evaluate(None, bindings)
        except Failure:
            raise
        except RecursionError:
            raise Failure(QUERY_EVALUATION_ERROR, f"{self.where}: the JSONata expression recursed too deeply "
                                                  f"(limit: {limits.EXPRESSION_DEPTH} levels)") from None
        except MemoryError:
            raise Failure(QUERY_EVALUATION_ERROR, f"{self.where}: the JSONata expression ran out of memory") from None
        except Exception as err:
            raise Failure(QUERY_EVALUATION_ERROR, f"{self.where}: {err}") from None
        if value is None:
            raise Failure(QUERY_EVALUATION_ERROR,
                          f"{self.where}: the JSONata expression {{% {self.text.strip()} %}} returned nothing (undefined)")
        return _plain(value, null)


class _Budget:
    """The time and depth budget of one evaluation, checked each time JSONata enters or leaves a node.

    Bound per evaluation (jsonata-python looks ``__evaluate_entry``/``__evaluate_exit`` up in the
    bindings), so concurrent evaluations each have their own clock.
    """

    def __init__(self, where: str):
        self.where = where
        self.deadline = time.monotonic() + limits.EXPRESSION_SECONDS
        self.depth = 0

    def enter(self, expr, input, env) -> None:  # noqa: A002 - jsonata's callback signature
        self.depth += 1
        if self.depth > limits.EXPRESSION_DEPTH:
            raise Failure(QUERY_EVALUATION_ERROR, f"{self.where}: the JSONata expression nests or recurses more "
                                                  f"than {limits.EXPRESSION_DEPTH} levels deep (the limit)")
        self._clock()

    def leave(self, expr, input, env, result) -> None:  # noqa: A002
        self.depth -= 1
        self._clock()

    def _clock(self) -> None:
        if time.monotonic() > self.deadline:
            raise Failure(QUERY_EVALUATION_ERROR, f"{self.where}: the JSONata expression ran longer than "
                                                  f"{limits.EXPRESSION_SECONDS:g} s (the limit)")


class _RefusedPattern:
    """A regular expression refused by :func:`~attini_sdk.config.limits.check_regex`: using it fails the state."""

    def __init__(self, problem: str):
        self.problem = problem

    def _fail(self, *_args, **_kwargs):
        raise ValueError(self.problem)  # Expression.evaluate makes it a QueryEvaluationError naming the state

    search = finditer = sub = split = match = fullmatch = findall = _fail


def _guarded_regex(pattern: str, flags):
    # Python's re backtracks in C, where no timer can stop it: refuse patterns that can backtrack
    # catastrophically before they run (the state fails with States.QueryEvaluationError when used)
    from jsonata.regex_engine import default_regex_engine

    try:
        limits.check_regex(pattern)
    except limits.LimitExceeded as err:
        return _RefusedPattern(str(err))
    return default_regex_engine(pattern, flags)


def compile_expression(text: str, where: str) -> Expression:
    """Compile ``"{% expr %}"`` (or a bare expression) into an :class:`Expression`."""
    if is_expression(text):
        text = text[2:-2]
    return Expression(text, where)


def compile_value(value: Any, where: str) -> Builder:
    """Compile a JSONata *template*: every ``{% %}`` string inside objects and arrays is an
    expression, everything else a constant. Returns ``build(bindings) -> value``."""
    if is_expression(value):
        expression = compile_expression(value, where)
        return expression.evaluate
    if isinstance(value, dict):
        entries = tuple((k, compile_value(v, f"{where}.{k}")) for k, v in value.items())
        if all(getattr(fn, "constant", False) for _, fn in entries):
            return constant(value)
        return lambda bindings: {k: fn(bindings) for k, fn in entries}
    if isinstance(value, list):
        items = tuple(compile_value(v, f"{where}[{i}]") for i, v in enumerate(value))
        if all(getattr(fn, "constant", False) for fn in items):
            return constant(value)
        return lambda bindings: [fn(bindings) for fn in items]
    return constant(value)


def _plain(value, null):
    """jsonata-python returns list subclasses and a NULL marker; give back plain JSON."""
    if value is null:
        return None
    if isinstance(value, list):
        return [_plain(v, null) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, null) for k, v in value.items() if v is not None}
    return value


# --- functions AWS adds to JSONata ------------------------------------------------------------


def _fail(message: str):
    raise Failure(QUERY_EVALUATION_ERROR, message)


def _partition(array=None, size=None):
    if not isinstance(array, list) or not isinstance(size, (int, float)) or size <= 0 or int(size) != size:
        _fail("$partition(array, size) needs an array and a positive integer size")
    size = int(size)
    return [list(array[i:i + size]) for i in range(0, len(array), size)]


def _range(start=None, end=None, step=None):
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (start, end, step)):
        _fail("$range(start, end, step) needs three numbers")
    if step == 0:
        _fail("$range: step must not be 0")
    out, value = [], start
    while (value <= end) if step > 0 else (value >= end):
        out.append(value)
        value += step
        if len(out) > 1000:
            _fail("$range: at most 1000 items")
    return out


def _hash(data=None, algorithm=None):
    import hashlib

    names = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
    if not isinstance(data, str) or algorithm not in names:
        _fail(f"$hash(data, algorithm) needs a string and one of {', '.join(names)}")
    return hashlib.new(names[algorithm], data.encode("utf-8")).hexdigest()


def _random(seed=None):
    import random  # on first use: most plans never draw one

    return random.Random(seed).random() if seed is not None else random.random()


def _uuid():
    return str(uuid.uuid4())


def _parse(text=None):
    if not isinstance(text, str):
        _fail("$parse(text) needs a JSON string")
    try:
        return json.loads(text)
    except ValueError as err:
        _fail(f"$parse: not JSON: {err}")


def _eval(*_args):
    _fail("$eval is not supported by Step Functions")


_AWS_FUNCTIONS = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": _uuid,
    "parse": _parse,
    "eval": _eval,
}
