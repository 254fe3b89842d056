"""The Step Functions quotas the engine enforces: payload size and history length.

AWS caps every payload (a state's input and output, a task's input and result,
the execution input) at 256 KiB "of data as a UTF-8 encoded string", and a
Standard execution's history at 25,000 events. The engine holds executions to
the same limits so a plan that outgrows them fails here first, not on AWS::

    >>> oversize('{"a":1}', 262_144) is None
    True
    >>> oversize('"' + "é" * 140_000 + '"', 262_144)   # 2 bytes per character in UTF-8
    280002

Measuring is cheap because the engine measures text it already has (each
transition serialises its output once for the history): the length of a string
bounds its UTF-8 size between 1 and 4 bytes per character, so bytes are counted
only for text that could be near the limit, and ASCII text is never encoded.
"""

from __future__ import annotations

from attini_sdk.asl.failures import DATA_LIMIT_EXCEEDED, Failure

__all__ = ["PAYLOAD_BYTES", "HISTORY_EVENTS", "oversize", "check_payload", "list_bytes", "payload_failure"]

PAYLOAD_BYTES = 262_144  # the guide's quota: "256 KiB of data as a UTF-8 encoded string"
HISTORY_EVENTS = 25_000  # the hard quota of a Standard execution's event history


def oversize(text: str, limit: int | None) -> int | None:
    """The UTF-8 size of ``text`` when it is more than ``limit`` bytes, else ``None``.

    ``limit`` ``None`` means no limit.

    >>> oversize("x" * 11, 10), oversize("x" * 10, 10), oversize("x" * 99, None)
    (11, None, None)
    """
    if limit is None:
        return None
    chars = len(text)
    if chars * 4 <= limit:  # even 4 bytes a character fit
        return None
    if chars <= limit and text.isascii():  # one byte a character
        return None
    # Near the limit, or over it (then the exact size is for the message: the failing path only).
    size = len(text.encode("utf-8", "surrogatepass"))
    return size if size > limit else None


def list_bytes(parts: list[str]) -> int:
    """The UTF-8 size of a JSON array made of the already-serialised ``parts``.

    >>> import json
    >>> parts = ['{"a":1}', '"é"', "null"]
    >>> list_bytes(parts) == len(json.dumps([{"a": 1}, "é", None], separators=(",", ":"),
    ...                                     ensure_ascii=False).encode())
    True
    """
    if not parts:
        return 2
    return sum(len(p) if p.isascii() else len(p.encode("utf-8", "surrogatepass")) for p in parts) + len(parts) + 1


def payload_failure(what: str, size: int, limit: int) -> Failure:
    """The ``States.DataLimitExceeded`` failure for a payload of ``size`` bytes.

    >>> payload_failure("the output of state 'Big'", 300_000, 262_144).cause
    "the output of state 'Big' is 300,000 bytes of UTF-8 JSON, over the payload quota of 262,144 bytes"
    """
    return Failure(DATA_LIMIT_EXCEEDED, f"{what} is {size:,} bytes of UTF-8 JSON, over the payload quota of "
                                        f"{limit:,} bytes")


def check_payload(text: str, limit: int | None, what: str) -> None:
    """Raise ``States.DataLimitExceeded`` when ``text`` is over ``limit`` bytes.

    ``what`` names the payload in the cause ("the output of state 'Fetch'").

    >>> check_payload('{"ok":true}', 262_144, "the output of state 'A'")
    >>> check_payload("x" * 20, 10, "the result")
    Traceback (most recent call last):
    ...
    attini_sdk.asl.failures.Failure: States.DataLimitExceeded: the result is 20 bytes of UTF-8 JSON, over the payload quota of 10 bytes
    """
    size = oversize(text, limit)
    if size is not None:
        raise payload_failure(what, size, limit)
