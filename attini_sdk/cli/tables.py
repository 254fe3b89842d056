"""DataFrames for people (rich tables) and for machines (JSON records with the same column names).

JSON keeps every column under its DataFrame name; times become ISO 8601 strings, durations seconds,
missing values ``null``::

    >>> import pandas as pd
    >>> records(pd.DataFrame({"version": ["1.0.0"], "duration": [pd.Timedelta(seconds=2.5)]}))
    [{'version': '1.0.0', 'duration': 2.5}]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from attini_sdk.cli import output

__all__ = ["records", "value", "print_frame", "short_id", "when", "seconds", "version_text", "version_suffix",
           "STATUS_STYLES"]

STATUS_STYLES = {"succeeded": "green", "failed": "red", "aborted": "red", "interrupted": "yellow",
                 "running": "cyan", "pending": "dim", "waiting_approval": "magenta", "skipped": "dim green"}


def value(item: Any) -> Any:
    """One cell as plain JSON: None for missing, ISO for times, seconds for durations, Python scalars."""
    import pandas as pd

    if item is None or item is pd.NaT or item is pd.NA:
        return None
    if isinstance(item, float) and math.isnan(item):
        return None
    if isinstance(item, (pd.Timedelta, timedelta)):
        return item.total_seconds()
    if isinstance(item, (pd.Timestamp, datetime)):
        return item.isoformat()
    if isinstance(item, dict):
        return {str(k): value(v) for k, v in item.items()}
    if isinstance(item, (list, tuple)):
        return [value(v) for v in item]
    if hasattr(item, "item") and not isinstance(item, (str, bytes)):  # numpy scalars
        return item.item()
    return item


def records(frame) -> list[dict]:
    """Every row of ``frame`` as a dict of plain JSON values, keyed by the column names."""
    columns = [str(c) for c in frame.columns]
    return [{name: value(cell) for name, cell in zip(columns, row)}
            for row in frame.astype(object).itertuples(index=False, name=None)]


def short_id(distribution_id: Any) -> str:
    """``sha256:`` plus the first 12 hex digits, for tables (JSON always has the full id).

    >>> short_id("sha256:" + "ab" * 32)
    'sha256:abababababab'
    """
    text = value(distribution_id)
    return "" if text is None else str(text)[:19]


def when(stamp: Any) -> str:
    """A time as ``YYYY-MM-DD HH:MM:SS`` (UTC), or empty."""
    text = value(stamp)
    return "" if text is None else str(text)[:19].replace("T", " ")


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


#: columns that hold a version: a distribution without one shows ``-`` there
VERSION_COLUMNS = frozenset({"version", "last_version", "newest"})


def version_text(version: Any) -> str:
    """A version for a table or a question: ``-`` for a distribution without one.

    >>> version_text("1.2.0"), version_text(None)
    ('1.2.0', '-')
    """
    text = value(version)
    return "-" if text is None or text == "" else str(text)


def version_suffix(version: Any) -> str:
    """`` 1.2.0`` to follow a distribution's name in a sentence; nothing for a distribution without a version.

    >>> "app" + version_suffix("1.2.0"), "app" + version_suffix(None)
    ('app 1.2.0', 'app')
    """
    text = value(version)
    return "" if text is None or text == "" else f" {text}"


def _cell(column: str, item: Any) -> str:
    plain = value(item)
    if column in VERSION_COLUMNS:
        return version_text(plain)
    if plain is None:
        return ""
    if column.endswith("distribution_id"):
        return short_id(plain)
    if column.endswith("_at"):
        return when(plain)
    if column == "duration":
        return seconds(plain)
    if column.endswith("status") and plain in STATUS_STYLES:
        return f"[{STATUS_STYLES[plain]}]{plain}[/]"
    if isinstance(plain, bool):
        return "yes" if plain else ""
    if isinstance(plain, list):
        return ", ".join(str(p) for p in plain)
    return str(plain)


def print_frame(frame, columns: Sequence[str] | None = None, *, title: str | None = None,
                empty: str = "Nothing to show.", styles: Iterable[tuple[str, str]] = ()) -> None:
    """Print ``frame`` (or some of its columns) as a rich table; ``empty`` when it has no rows."""
    from rich.table import Table

    console = output.console()
    if not console.is_terminal:  # logs and pipes: do not squeeze tables into 80 columns
        console.width = max(console.width, 160)
    if frame.empty:
        console.print(empty)
        return
    names = [c for c in (columns or [str(c) for c in frame.columns]) if c in frame.columns]
    table = Table(*names, title=title, title_justify="left")
    row_styles = dict(styles)
    for row in frame[names].astype(object).itertuples(index=False, name=None):
        style = next((s for column, s in row_styles.items() if value(row[names.index(column)])), None)
        table.add_row(*(_cell(name, item) for name, item in zip(names, row)), style=style)
    console.print(table)
