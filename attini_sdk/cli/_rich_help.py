"""Load typer's help renderer without the parts ``attini`` never uses: Markdown and rich tracebacks.

``typer.rich_utils`` imports ``rich.markdown`` (markdown-it, pygments) and ``rich.traceback`` at module
level, ~60 ms of a 0.1 s ``attini --help``. Our help text is rich markup (never Markdown) and our
tracebacks are plain (``pretty_exceptions_enable=False``), so while ``typer.rich_utils`` is imported the
two modules are stand-ins whose classes load the real module the first time they are used; the
stand-ins leave ``sys.modules`` right after, so any later ``import rich.markdown`` gets the real one::

    load_rich_utils()          # then typer's format_help finds typer.rich_utils already imported
"""

from __future__ import annotations

import importlib
import sys
import types

__all__ = ["load_rich_utils"]

_STAND_INS = {"rich.markdown": ("Markdown",), "rich.traceback": ("Traceback",)}


def _real(module: str, name: str):
    loaded = sys.modules.get(module)
    if loaded is None or getattr(loaded, "_attini_stand_in", False):
        sys.modules.pop(module, None)
        loaded = importlib.import_module(module)
    return getattr(loaded, name)


class _LazyMeta(type):
    """A class that becomes the real one on first use: calling it or reading any attribute."""

    def __call__(cls, *args, **kwargs):
        return _real(cls._module, cls._name)(*args, **kwargs)

    def __getattr__(cls, attr: str):
        if attr.startswith("_") and attr in ("_module", "_name"):
            raise AttributeError(attr)
        return getattr(_real(cls._module, cls._name), attr)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, _real(cls._module, cls._name))


def _stand_in(module: str, names: tuple[str, ...]) -> types.ModuleType:
    stand_in = types.ModuleType(module)
    stand_in._attini_stand_in = True
    for name in names:
        setattr(stand_in, name, _LazyMeta(name, (), {"_module": module, "_name": name}))
    return stand_in


def load_rich_utils():
    """``typer.rich_utils``, imported (once) without loading Markdown or rich tracebacks.

    >>> load_rich_utils().__name__
    'typer.rich_utils'
    """
    if "typer.rich_utils" in sys.modules:
        return sys.modules["typer.rich_utils"]
    placed = [m for m in _STAND_INS if m not in sys.modules]
    for module in placed:
        sys.modules[module] = _stand_in(module, _STAND_INS[module])
    try:
        return importlib.import_module("typer.rich_utils")
    finally:
        for module in placed:
            if getattr(sys.modules.get(module), "_attini_stand_in", False):
                del sys.modules[module]
