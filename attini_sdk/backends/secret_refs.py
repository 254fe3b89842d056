"""Secret references: secrets travel through payloads, checkpoints, events and outputs as ``{{attini:secret:NAME}}``.

A deployment's payload carries every secret environment parameter as a *reference*, never its value. The engine
checkpoints, the event history and the recorded outputs therefore hold references only, and a resumed
deployment still works: the value is read again when a step uses it. The step recorder resolves references in
a step's properties and input *at the moment of use*, and turns any secret value in the step's result back into
its reference before the engine sees it::

    >>> ref = make_ref("DbPassword")
    >>> ref
    '{{attini:secret:DbPassword}}'
    >>> parse_ref(ref), parse_ref("plain")
    ('DbPassword', None)
    >>> resolve({"pw": ref, "url": f"db://u:{ref}@h", "pin": make_ref("Pin")}, {"DbPassword": "pw1", "Pin": 4711})
    {'pw': 'pw1', 'url': 'db://u:pw1@h', 'pin': 4711}
    >>> to_refs({"echo": "db://u:pw1@h", "pin": 4711}, {"DbPassword": "pw1", "Pin": 4711})
    {'echo': 'db://u:{{attini:secret:DbPassword}}@h', 'pin': '{{attini:secret:Pin}}'}

A string that is exactly one reference resolves to the value with its type (a number stays a number); a
reference inside a longer string resolves to the value's text (JSON for non-strings).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from attini_sdk.errors import StepFailed

__all__ = ["make_ref", "parse_ref", "references", "resolve", "to_refs", "MissingSecret"]

_PREFIX, _SUFFIX = "{{attini:secret:", "}}"
_REF = re.compile(r"\{\{attini:secret:([^{}\s]{1,256})\}\}")


class MissingSecret(StepFailed):
    """A step uses a secret reference whose parameter is no longer set (or no longer secret)."""


def make_ref(name: str) -> str:
    """The reference that stands for the secret parameter ``name``."""
    return f"{_PREFIX}{name}{_SUFFIX}"


def parse_ref(text: Any) -> str | None:
    """The parameter name if ``text`` is exactly one reference, else None."""
    if not isinstance(text, str):
        return None
    match = _REF.fullmatch(text)
    return match.group(1) if match else None


def references(value: Any) -> set[str]:
    """The names of every secret referenced anywhere inside a JSON-like ``value``.

    >>> sorted(references({"a": [make_ref("X"), "y {{attini:secret:Y}}"]}))
    ['X', 'Y']
    """
    if isinstance(value, str):
        return set(_REF.findall(value))
    if isinstance(value, Mapping):
        return set().union(*(references(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(references(v) for v in value)) if value else set()
    return set()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def resolve(value: Any, secrets: Mapping[str, Any], *, step: str = "") -> Any:
    """A copy of ``value`` with every reference replaced by the secret's value (see the module doc)."""
    if isinstance(value, str):
        if _PREFIX not in value:
            return value
        whole = parse_ref(value)
        if whole is not None:
            return _lookup(whole, secrets, step)
        return _REF.sub(lambda m: _text(_lookup(m.group(1), secrets, step)), value)
    if isinstance(value, Mapping):
        return {k: resolve(v, secrets, step=step) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, secrets, step=step) for v in value]
    return value


def _lookup(name: str, secrets: Mapping[str, Any], step: str) -> Any:
    if name not in secrets:
        raise MissingSecret(f"the secret parameter '{name}' this step uses is not set (or no longer secret)",
                            step=step, error="Attini.SecretNotFound", cause=f"secret parameter '{name}' not found",
                            where=f"step '{step}'",
                            hint=f"set it again: env.parameters.set('{name}', VALUE, secret=True)",
                            cli_hint=f"set it again: attini environment param set {name} --secret -e ENV")
    return secrets[name]


def to_refs(value: Any, secrets: Mapping[str, Any]) -> Any:
    """A copy of ``value`` with every secret value replaced by its reference (the longest value first).

    References already in ``value`` are left whole, even when a secret's text is part of one:

    >>> to_refs("{{attini:secret:DbPassword}} and Password", {"DbPassword": "Password"})
    '{{attini:secret:DbPassword}} and {{attini:secret:DbPassword}}'
    """
    pairs = sorted(((_text(v), make_ref(k)) for k, v in secrets.items() if v not in (None, "") and
                    not isinstance(v, bool)), key=lambda p: len(p[0]), reverse=True)
    if not pairs:
        return value
    scalars = {text: ref for text, ref in pairs}
    pattern = re.compile("|".join([f"(?P<ref>{_REF.pattern})", *(re.escape(text) for text, _ in pairs)]))
    return _to_refs(value, pattern, scalars)


def _to_refs(value: Any, pattern: re.Pattern, scalars: dict[str, str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(lambda m: m.group(0) if m.group("ref") is not None else scalars[m.group(0)], value)
    if isinstance(value, Mapping):
        return {k: _to_refs(v, pattern, scalars) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_refs(v, pattern, scalars) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and json.dumps(value) in scalars:
        return scalars[json.dumps(value)]
    return value
