"""Rows for people (tables that fit the terminal) and for machines (JSON with the DataFrames' column names).

Commands hand over rows (dicts, from :mod:`attini_sdk.deploy.rows`) and a :class:`Layout`: the columns in the
order they read and which matter most. A table shows the columns that fit the terminal's width, most important
first, with short ids, relative times (``3m ago``) and ``-`` for a missing value; an error is written on a line
of its own under its row. ``--wide`` shows every column in full. Nothing here imports pandas or numpy, and rich
only when writing to a terminal. JSON keeps every column under its DataFrame name; times become ISO 8601
strings, durations seconds, missing values ``null``::

    >>> from datetime import timedelta
    >>> records([{"version": "1.0.0", "duration": timedelta(seconds=2.5)}])
    [{'version': '1.0.0', 'duration': 2.5}]
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import textwrap
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

__all__ = ["Layout", "records", "value", "print_rows", "cell", "short_id", "when", "ago", "seconds",
           "version_text", "version_suffix", "STATUS_STYLES", "terminal_width"]

STATUS_STYLES = {"succeeded": "green", "failed": "red", "aborted": "red", "interrupted": "yellow",
                 "running": "cyan", "pending": "dim", "waiting_approval": "magenta", "skipped": "dim green"}
_GAP = "  "
_MISSING = "-"
_NARROW_CELL = 32  # without --wide, longer text is cut with "…"
#: shorter headers for narrow tables (--wide and JSON use the column names)
_HEADERS = {"distribution_id": "id", "revision": "rev", "last_revision": "last_rev", "require_signature": "signed"}


@attrs.frozen
class Layout:
    """How a table reads: ``columns`` in reading order; ``rank``, most important first, decides which columns
    stay when the terminal is narrow (default: reading order); ``below`` are columns written under their row
    (joined with ": ") instead of in it, such as errors.

    >>> Layout(("revision", "version", "status"), rank=("version", "status")).ranked()
    ('version', 'status', 'revision')
    """

    columns: tuple[str, ...]
    rank: tuple[str, ...] = ()
    below: tuple[str, ...] = ()

    def ranked(self) -> tuple[str, ...]:
        """Every column, most important first."""
        return (*self.rank, *(c for c in self.columns if c not in self.rank))


# -- JSON -------------------------------------------------------------------------------------------------


def value(item: Any) -> Any:
    """One cell as plain JSON: None for missing, ISO for times, seconds for durations, Python scalars."""
    if item is None or (isinstance(item, float) and math.isnan(item)):
        return None
    if type(item).__name__ in ("NaTType", "NAType"):  # pandas' missing values, if a DataFrame got here
        return None
    if isinstance(item, timedelta):
        return item.total_seconds()
    if isinstance(item, datetime):
        return item.isoformat()
    if isinstance(item, dict):
        return {str(k): value(v) for k, v in item.items()}
    if isinstance(item, (list, tuple)):
        return [value(v) for v in item]
    if hasattr(item, "item") and not isinstance(item, (str, bytes)):  # numpy scalars
        return item.item()
    return item


def records(rows: Iterable[dict]) -> list[dict]:
    """Every row as a dict of plain JSON values, keyed by the column names."""
    return [{str(name): value(item) for name, item in row.items()} for row in rows]


# -- cells --------------------------------------------------------------------------------------------------


def short_id(distribution_id: Any) -> str:
    """The first 12 hex digits of an id, for tables (JSON and ``--wide`` have the full id).

    >>> short_id("sha256:" + "ab" * 32)
    'abababababab'
    """
    text = value(distribution_id)
    return _MISSING if text is None else str(text).removeprefix("sha256:")[:12]


def when(stamp: Any) -> str:
    """A time as ``YYYY-MM-DD HH:MM:SS`` (UTC), or empty."""
    text = value(stamp)
    return "" if text is None else str(text)[:19].replace("T", " ")


def ago(stamp: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in the largest unit that fits: ``42s ago``, ``3m ago``, ``5h ago``, ``2d ago``; a date
    after 30 days.

    >>> t = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
    >>> ago(t - timedelta(minutes=3), t), ago(t - timedelta(days=2, hours=5), t), ago(t - timedelta(days=90), t)
    ('3m ago', '2d ago', '2025-11-02')
    """
    if stamp is None:
        return _MISSING
    age = ((now or datetime.now(timezone.utc)) - stamp).total_seconds()
    for unit, size in (("s", 1), ("m", 60), ("h", 3600), ("d", 86400)):
        if age < size * (60 if unit in "sm" else 24 if unit == "h" else 30):
            return f"{max(int(age // size), 0)}{unit} ago"
    return stamp.strftime("%Y-%m-%d")


def seconds(duration: Any) -> str:
    """A duration as ``2.3s`` or ``4m05s``, or empty.

    >>> seconds(125.0), seconds(2.34)
    ('2m05s', '2.3s')
    """
    total = value(duration)
    if total is None:
        return ""
    if total < 60:
        return f"{total:.1f}s"
    minutes, rest = divmod(int(round(total)), 60)
    return f"{minutes}m{rest:02d}s"


def version_text(version: Any) -> str:
    """A version for a table or a question: ``-`` for a distribution without one.

    >>> version_text("1.2.0"), version_text(None)
    ('1.2.0', '-')
    """
    text = value(version)
    return _MISSING if text is None or text == "" else str(text)


def version_suffix(version: Any) -> str:
    """`` 1.2.0`` to follow a distribution's name in a sentence; nothing for a distribution without a version.

    >>> "app" + version_suffix("1.2.0"), "app" + version_suffix(None)
    ('app 1.2.0', 'app')
    """
    text = value(version)
    return "" if text is None or text == "" else f" {text}"


def cell(column: str, item: Any, *, wide: bool = False, now: datetime | None = None) -> str:
    """One value as a table shows it: ids short and times relative unless ``wide``; ``-`` when missing.

    >>> cell("distribution_id", "sha256:" + "0f" * 32), cell("drift", True), cell("behind", ["acc", "prod"])
    ('0f0f0f0f0f0f', 'yes', 'acc, prod')
    """
    if item is None or value(item) is None:
        return _MISSING
    if column.endswith(("distribution_id", "deployment_id")) and not wide:
        return short_id(item)
    if column.endswith("_at") and isinstance(item, datetime):
        return when(item) if wide else ago(item, now)
    if isinstance(item, timedelta) or column == "duration":
        return seconds(item)
    if isinstance(item, bool):
        return "yes" if item else "no"
    if isinstance(item, (list, tuple)):
        return ", ".join(str(v) for v in item)
    if isinstance(item, dict):
        return json.dumps(value(item), separators=(",", ":"))
    return " ".join(str(item).split())  # one line: a cause's newlines would break the table


# -- tables -------------------------------------------------------------------------------------------------


def terminal_width() -> int:
    """The width to fit: ``$COLUMNS``, else the terminal's, else 160 (logs and pipes are not squeezed)."""
    return shutil.get_terminal_size((160, 24)).columns


def print_rows(rows: Sequence[dict], layout: Layout, *, title: str | None = None, empty: str = "Nothing to show.",
               wide: bool = False, highlight: str | None = None) -> None:
    """Print ``rows`` as a table fitted to the terminal (``wide``: every column, in full).

    ``highlight`` names a column whose true value marks the whole row (yellow), as ``drift`` does.
    """
    out = _Writer()
    if not rows:
        out.line([(empty, None)])
        return
    width = terminal_width()
    now = datetime.now(timezone.utc)
    below = () if wide else tuple(c for c in layout.below if c in rows[0])
    columns = list(rows[0]) if wide else [c for c in layout.columns if c in rows[0] and c not in below]
    texts = [{c: _fit(cell(c, row.get(c), wide=wide, now=now), wide) for c in columns} for row in rows]
    headers = {c: c if wide else _HEADERS.get(c, c) for c in columns}
    sizes = {c: max(len(headers[c]), *(len(t[c]) for t in texts)) for c in columns}
    shown = columns if wide else _choose(columns, layout.ranked(), sizes, width)
    if title:
        out.line([(title, "bold")])
    out.line(_joined([(headers[c].ljust(sizes[c]), "bold") for c in shown]))
    for row, text in zip(rows, texts):
        marked = "yellow" if highlight and row.get(highlight) else None
        out.line(_joined([(text[c].ljust(sizes[c]), _style(c, row.get(c)) or marked) for c in shown]))
        note = _below(row, below, width)
        if note:
            out.line([(note, "red")])
    hidden = [c for c in columns if c not in shown]
    if hidden:
        out.line([(f"({len(hidden)} more: {', '.join(hidden)}; --wide shows every column)", "dim")])


def _fit(text: str, wide: bool) -> str:
    return text if wide or len(text) <= _NARROW_CELL else text[: _NARROW_CELL - 1] + "…"


def _choose(columns: list[str], ranked: Sequence[str], sizes: dict[str, int], width: int) -> list[str]:
    """The columns that fit ``width``, taken most important first (the first one always)."""
    chosen: list[str] = []
    used = 0
    for column in (c for c in ranked if c in columns):
        size = sizes[column] + (len(_GAP) if chosen else 0)
        if not chosen or used + size <= width:
            chosen.append(column)
            used += size
    return [c for c in columns if c in chosen]


def _below(row: dict, columns: Sequence[str], width: int) -> str:
    """The ``below`` columns of a row as indented lines (a cause: its last line, where scripts say what broke)."""
    parts = [_last_line(row.get(c)) for c in columns if row.get(c)]
    if not parts:
        return ""
    return "\n".join(textwrap.wrap(": ".join(parts), width=max(width, 20), initial_indent="    ",
                                   subsequent_indent="      "))


def _last_line(text: Any) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _style(column: str, item: Any) -> str | None:
    return STATUS_STYLES.get(item) if column.endswith("status") and isinstance(item, str) else None


def _joined(cells: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for n, part in enumerate(cells):
        out.extend([(_GAP, None), part] if n else [part])
    if out:  # no trailing spaces
        text, style = out[-1]
        out[-1] = (text.rstrip(), style)
    return out


class _Writer:
    """Lines of (text, style) parts: styled through rich on a terminal, plain text (no rich) anywhere else."""

    def __init__(self):
        self._console = None
        if sys.stdout.isatty():
            from attini_sdk.cli import output

            self._console = output.console()

    def line(self, parts: list[tuple[str, str | None]]) -> None:
        if self._console is None:
            print("".join(text for text, _ in parts))
            return
        from rich.markup import escape

        self._console.print("".join(f"[{s}]{escape(t)}[/]" if s else escape(t) for t, s in parts))
