"""``--help`` in the CLI's words: ``TEXT``, ``INTEGER``, ``NAME`` beside an option, nothing beside a flag.

Typer labels every parameter in ``--help`` with its Python type: ``--yes <bool>``, ``-e <str>``,
``NAME <str>``. The root command of ``attini`` is a :class:`CliGroup`, which, once the command tree is
built, gives every parameter a value name the way click always has: flags none, options without a
``metavar`` one named after their type, arguments their own name in capitals. The same names head the
value column of ``docs/cli.md`` (:func:`value_name`)::

    app = typer.Typer(cls=CliGroup)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePath

from typer.core import TyperArgument, TyperCommand, TyperGroup

from attini_sdk.cli._rich_help import load_rich_utils

__all__ = ["CliGroup", "value_name"]


def value_name(param) -> str:
    """The value name of an option that takes a value: its ``metavar``, else TEXT, INTEGER, NUMBER or PATH
    after its type (``int`` and ``Optional[int]`` are INTEGER, ``list[Path]`` is PATH)."""
    if param.metavar:
        return param.metavar
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", str)
    inner = getattr(annotation, "__args__", None)  # list[int], Optional[Path]
    kind = inner[0] if inner else annotation
    if isinstance(kind, type) and issubclass(kind, PurePath):
        return "PATH"
    return {int: "INTEGER", float: "NUMBER"}.get(kind, "TEXT")


class _Quiet:
    """An argument's type that shows no ``<str>`` in ``--help`` (typer 0.28 prints the type's metavar, else
    ``<name>``, beside every argument); everything else is the wrapped click type's."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def get_metavar(self, *args, **kwargs) -> str:
        return ""

    def __call__(self, *args, **kwargs):
        return self.inner(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


class _Argument(TyperArgument):
    """An argument shown by its name alone (``NAME``), with no Python type beside it."""

    __slots__ = ()

    def display_type_rich(self, ctx) -> None:
        return None


def _as_flag(option):
    """``--help`` is built late, when first shown: it is a flag like any other (typer shows ``<bool>``)."""
    if option is not None:
        option.metavar = ""
    return option


class _Command(TyperCommand):
    __slots__ = ()

    def get_help_option(self, ctx):
        return _as_flag(super().get_help_option(ctx))

    def format_help(self, ctx, formatter) -> None:
        load_rich_utils()  # typer's renderer, without Markdown and rich tracebacks (never used here)
        return super().format_help(ctx, formatter)


class _Group(TyperGroup):
    __slots__ = ()

    def get_help_option(self, ctx):
        return _as_flag(super().get_help_option(ctx))

    def format_help(self, ctx, formatter) -> None:
        load_rich_utils()
        return super().format_help(ctx, formatter)


def _commands(command) -> Iterator:
    yield command
    for child in (getattr(command, "commands", None) or {}).values():
        yield from _commands(child)


def _speak_cli(param) -> None:
    if isinstance(param, TyperArgument):
        param.metavar = param.metavar or param.name.upper()
        param.__class__ = _Argument
        if not isinstance(param.type, _Quiet):
            param.type = _Quiet(param.type)
    elif getattr(param, "is_flag", False) or getattr(param, "count", False):
        param.metavar = ""  # a flag takes no value: nothing to show beside it
    else:
        param.metavar = value_name(param)


class CliGroup(_Group):
    """The root group: once the whole tree is built, every command and parameter speaks the CLI.

    Typer gives no way to choose the class of a parameter, nor of a command in a sub-app, so the
    few that need another behaviour get a subclass of their own class (which only overrides display).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for command in _commands(self):
            if type(command) in (TyperCommand, TyperGroup):
                command.__class__ = _Group if isinstance(command, TyperGroup) else _Command
            for param in command.params:
                _speak_cli(param)
