"""What Python syntax looks like in a message, so tests can keep it out of everything the CLI prints.

Used by ``tests/test_errors.py`` (every hint written in the code) and ``tests/cli/test_cli_words.py``
(every user error the CLI can be made to raise)::

    >>> python_syntax("pass wait_for_lock=SECONDS, or env.unlock('app')")
    ['wait_for_lock=', 'env.unlock(']
    >>> python_syntax("add --wait-for-lock SECONDS, or: attini deploy unlock -e dev -n app --param Key=VALUE")
    []
"""

from __future__ import annotations

import re

__all__ = ["PYTHON_SYNTAX", "python_syntax"]

PYTHON_SYNTAX = re.compile(r"""
      \b[A-Za-z_][\w.]*\([^()]*?\b[a-z_]\w*=(?!=)   # a call with a keyword argument: create(backend=...)
    | \w\(\)                                         # an empty call: history()
    | \b[A-Za-z_]\w*\.[A-Za-z_]\w*\(                 # a method or class call: artifact.sign(, Environment.local(
    | \b(?:True|False)\b                             # Python's booleans
    | \b(?:env|at)\.\w                               # the API's usual names: env.history, at.landscape
    | (?<![\w-])[a-z_]\w*=(?!=)                      # a keyword argument on its own: pass to=, force=True
""", re.VERBOSE)


def python_syntax(text: str) -> list[str]:
    """Every piece of ``text`` that reads as Python rather than as a command line."""
    return [m.group(0) for m in PYTHON_SYNTAX.finditer(text)]
