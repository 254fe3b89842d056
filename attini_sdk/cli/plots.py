"""``--plot FILE`` on ``deploy describe``, ``deploy history`` and ``landscape``: the notebook's pictures as files.

The picture is drawn by :mod:`attini_sdk.notebook.plots` (matplotlib, the ``notebook`` extra), imported only
when ``--plot`` is given, so every other command stays as quick as before. The format follows the file's
suffix (``.png``, ``.svg``, ``.pdf``); the table or JSON is printed as usual and one line on stderr says where
the picture went::

    attini deploy describe -e acc -n app --plot timeline.png
    attini landscape --plot landscape.png
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from attini_sdk.cli import output
from attini_sdk.errors import ConfigError

__all__ = ["option", "save"]


def option(what: str) -> Any:
    """The ``--plot FILE`` option, its help naming the picture."""
    return typer.Option(None, "--plot", metavar="FILE",
                        help=f"Also draw {what} into FILE (.png, .svg or .pdf; needs matplotlib: the 'notebook' "
                             "extra).")


def save(path: Path | str, draw: Callable[[Any], Any]) -> Path:
    """Write ``draw(plots_module)``'s Figure to ``path`` and say so on stderr."""
    path = Path(path)
    try:
        from attini_sdk.notebook import plots
    except ImportError as err:
        raise ConfigError(f"--plot needs matplotlib ({err.name} is not installed)", where=f"--plot {path}",
                          hint="install the notebook extra: pip install 'attini-sdk[notebook]'",
                          cli_hint="install the notebook extra: pip install 'attini-sdk[notebook]'") from None
    figure = draw(plots)
    try:
        figure.savefig(path, dpi=120)
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot write the picture: {err}", where=f"--plot {path}",
                          hint="name a file in an existing folder, ending in .png, .svg or .pdf",
                          cli_hint="name a file in an existing folder, ending in .png, .svg or .pdf") from None
    output.stderr(f"Picture written to {path}")
    return path
