"""Build JSONPaths into Attini's payload, and quote literals for intrinsic functions.

Step names often hold spaces or dashes, so segments that are not plain
identifiers use bracket notation, as Attini's own examples do::

    >>> payload_path("output", "Deploy Vpc", "VpcId")
    "$.output['Deploy Vpc'].VpcId"
    >>> intrinsic_string("it's {x}")
    "'it\\\\'s \\\\{x\\\\}'"
"""

from __future__ import annotations

import re

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def segment(name: str) -> str:
    """One JSONPath segment: ``.name`` for identifiers, ``['name']`` otherwise.

    >>> segment("VpcId"), segment("my-step")
    ('.VpcId', "['my-step']")
    """
    if _IDENTIFIER.match(name):
        return f".{name}"
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"['{escaped}']"


def payload_path(*names: str) -> str:
    """A JSONPath from the payload root through ``names``.

    >>> payload_path("deploymentOriginData", "environment")
    '$.deploymentOriginData.environment'
    """
    return "$" + "".join(segment(n) for n in names)


def step_output_path(step_name: str, *keys: str) -> str:
    """Where an Attini step's result lands: ``$.output.<Step>`` (then ``keys``).

    >>> step_output_path("Network", "VpcId")
    '$.output.Network.VpcId'
    """
    return payload_path("output", step_name, *keys)


def intrinsic_string(text: str) -> str:
    """Quote ``text`` as a string literal inside an intrinsic function call.

    The States Language reserves ``' { } \\`` in intrinsic strings; each is
    escaped with a backslash.

    >>> intrinsic_string("a-b")
    "'a-b'"
    """
    out = []
    for ch in text:
        if ch in "'{}\\":
            out.append("\\")
        out.append(ch)
    return "'" + "".join(out) + "'"
