"""The command reference in ``docs/cli.md``, generated from the Typer app so that it never drifts.

The reference sits between two marker lines in ``docs/cli.md``; everything around it is prose written by
hand. Regenerate it after changing a command, an option or a help text::

    python -m attini_sdk.cli.reference --write          # rewrites the block in docs/cli.md
    python -m attini_sdk.cli.reference --check          # exit 1 if docs/cli.md is out of date

A test runs the check.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["BEGIN", "END", "render", "update", "DOC"]

BEGIN = "<!-- BEGIN GENERATED REFERENCE: python -m attini_sdk.cli.reference --write -->"
END = "<!-- END GENERATED REFERENCE -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _root():
    import typer

    from attini_sdk.cli.app import _register, app

    _register()
    return typer.main.get_command(app)


def _walk(command, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], object]]:
    """Every visible leaf command under ``command``, depth first, in registration order."""
    children = getattr(command, "commands", None)
    if children is None:
        yield path, command
        return
    # groups first, then plain commands, each in registration order (the root registers commands first)
    ordered = sorted(children.items(), key=lambda item: getattr(item[1], "commands", None) is None)
    for name, child in ordered:
        if not getattr(child, "hidden", False):
            yield from _walk(child, (*path, name))


def _arguments(command) -> list:
    return [p for p in command.params if p.param_type_name == "argument"]


def _options(command) -> list:
    return [p for p in command.params if p.param_type_name == "option" and not getattr(p, "hidden", False)]


def _usage(path: tuple[str, ...], command) -> str:
    args = " ".join(a.metavar or a.name.upper() if a.required else f"[{a.metavar or a.name.upper()}]"
                    for a in _arguments(command))
    return " ".join(("attini", *path, *([args] if args else [])))


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n")[0].replace("|", "\\|").replace("<", "&lt;")


def _value(option) -> str:
    from attini_sdk.cli.metavars import value_name

    return "" if getattr(option, "is_flag", False) else value_name(option)


def _default(option) -> str:
    default = option.default
    if getattr(option, "is_flag", False) or default in (None, [], (), False) or option.required:
        return ""
    return f" (default: {default})"


def _row(option) -> str:
    names = ", ".join(f"`{n}`" for n in sorted(option.opts, key=len) + list(option.secondary_opts))
    more = " (repeatable)" if getattr(option, "multiple", False) and "repeatable" not in (option.help or "") else ""
    required = " **required**" if option.required else ""
    return f"| {names} | {_value(option)} | {_first_line(option.help)}{_default(option)}{more}{required} |"


def _section(path: tuple[str, ...], command) -> list[str]:
    lines = [f"### `{_usage(path, command)}`", "", (command.help or "").strip(), ""]
    for argument in _arguments(command):
        lines.append(f"- `{argument.metavar or argument.name.upper()}`: {_first_line(argument.help)}")
    if _arguments(command):
        lines.append("")
    options = [o for o in _options(command) if "--help" not in o.opts]
    if options:
        lines += ["| option | value | what it does |", "|---|---|---|", *(_row(o) for o in options), ""]
    return lines


def render() -> str:
    """The generated block: an index of every command, then each command with its arguments and options."""
    commands = list(_walk(_root(), ()))
    lines = [BEGIN, "", "## Command reference", "", "| command | what it does |", "|---|---|"]
    lines += [f"| `attini {' '.join(path)}` | {_first_line(command.help)} |" for path, command in commands]
    lines.append("")
    for path, command in commands:
        lines += _section(path, command)
    lines.append(END)
    return "\n".join(lines) + "\n"


def update(text: str) -> str:
    """``text`` (the whole docs/cli.md) with its generated block replaced by :func:`render`'s."""
    head, sep, rest = text.partition(BEGIN)
    if not sep:
        return text.rstrip("\n") + "\n\n" + render()
    _, sep, tail = rest.partition(END)
    return head + render().rstrip("\n") + tail if sep else head + render()


def main(argv: list[str]) -> int:
    """``--write`` rewrites docs/cli.md; ``--check`` reports whether it is up to date; neither prints the block."""
    if "--write" in argv:
        DOC.write_text(update(DOC.read_text()))
        return 0
    if "--check" in argv:
        current = DOC.read_text()
        if update(current) != current:
            print(f"{DOC} is out of date: run python -m attini_sdk.cli.reference --write", file=sys.stderr)
            return 1
        return 0
    print(render(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
