"""Redaction: every text form a secret value can take in what we show or store becomes ``***``.

A secret reaches people in more shapes than the value itself. :class:`Redactor` knows them all:

- its text: a string as it is, any other value as JSON (``4711``, ``true``, ``{"a": 1}``) and as ``str()``;
- its JSON-escaped form (what ``cat "$ATTINI_INPUT"`` prints for a secret with quotes, backslashes,
  newlines or non-ASCII characters), with and without ``\\uXXXX`` escapes;
- each line of a multi-line secret (a PEM key printed by a job reaches the log line by line), every line of
  at least :data:`MIN_LINE` characters, and the JSON-escaped form of each;
- a secret reference ``{{attini:secret:NAME}}`` (:mod:`attini_sdk.backends.secret_refs`), which is not the
  value but is shown as ``***`` too, so displays look the same whether a value or a reference was stored.

Text is redacted as a whole block (one pass of one pattern over a log file, not line by line), and JSON-like
values recursively; a number equal to a secret number becomes ``***`` as well::

    >>> r = Redactor(["hunter2", 4711, "-----BEGIN KEY-----\\nMIIBOgIBAAJBAK\\n-----END KEY-----"])
    >>> r.text('pw=hunter2 pin=4711 line=MIIBOgIBAAJBAK')
    'pw=*** pin=*** line=***'
    >>> r.value({"pin": 4711, "n": 1, "ref": "{{attini:secret:Db}}"})
    {'pin': '***', 'n': 1, 'ref': '***'}

Out of scope, said plainly: base64, URL-encoding, hashes or any other transformation a job applies to a
secret before printing it. Those are not recognised; a job that encodes a secret and prints it leaks it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["REDACTED", "MIN_LINE", "Redactor", "secret_forms", "redact"]

#: What a secret looks like wherever it is displayed or stored for display.
REDACTED = "***"
#: Lines of a multi-line secret shorter than this are not redacted on their own (``-`` or ``}`` would be).
MIN_LINE = 4
_REF = re.compile(r"\{\{attini:secret:[^{}\s]{1,256}\}\}")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _escaped(text: str) -> set[str]:
    """The forms ``text`` takes inside a JSON string literal (without the quotes)."""
    return {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}


def secret_forms(value: Any) -> set[str]:
    """Every text form of one secret value that :class:`Redactor` removes.

    >>> sorted(secret_forms('say "hi"'))
    ['say "hi"', 'say \\\\"hi\\\\"']
    >>> sorted(secret_forms(4711))
    ['4711']
    """
    if value is None or value == "" or isinstance(value, bool):
        return set()
    text = _text(value)
    forms = {text, str(value)} | _escaped(text)
    lines = text.splitlines()  # every line break a log splits on (\n, \r, \x85, \u2028, ...)
    if len(lines) > 1:
        for line in lines:
            line = line.strip()
            if len(line) >= MIN_LINE:
                forms.add(line)
                forms |= _escaped(line)
    return {f for f in forms if f}


class Redactor:
    """Redacts the secret ``values`` (any JSON-like values) from text and from JSON-like structures.

    ``refs=False`` leaves secret references alone (for what is stored, where a reference is what we want).
    """

    def __init__(self, values: Iterable[Any] = (), *, refs: bool = True):
        forms: set[str] = set()
        self._scalars: set[str] = set()
        for value in values:
            found = secret_forms(value)
            forms |= found
            if not isinstance(value, (str, bool)) and value is not None:
                self._scalars.add(_text(value))
            elif isinstance(value, str):
                self._scalars.add(value)
        self.forms = tuple(sorted(forms, key=len, reverse=True))
        self._refs = refs
        # a reference comes first: found whole, it is never cut by a secret that happens to be part of it
        parts = [f"(?P<ref>{_REF.pattern})"] + [re.escape(f) for f in self.forms]
        self._pattern = re.compile("|".join(parts)) if self.forms or refs else None

    def __bool__(self) -> bool:
        return bool(self.forms)

    def text(self, text: str) -> str:
        """``text`` with every form of every secret (and every secret reference) replaced by ``***``."""
        if not isinstance(text, str) or self._pattern is None:
            return text
        return self._pattern.sub(self._replace, text)

    def _replace(self, match: re.Match) -> str:
        if match.group("ref") is not None and not self._refs:
            return match.group(0)  # kept: what is stored holds references
        return REDACTED

    def value(self, value: Any) -> Any:
        """A copy of a JSON-like ``value`` with secrets redacted in every string and matching number."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        if isinstance(value, (int, float)) and not isinstance(value, bool) and _text(value) in self._scalars:
            return REDACTED
        return value


def redact(value: Any, secret_values: Iterable[Any]) -> Any:
    """Redact ``secret_values`` from ``value`` (text or JSON-like).

    >>> redact("key=a\\\\\\"b", ['a"b'])
    'key=***'
    """
    return Redactor(secret_values).value(value)
