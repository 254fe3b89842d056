"""``package.prePackage`` / ``postPackage``: shell commands run in a temporary copy of the source.

Like Attini, the commands of one phase run as one ``bash`` script with ``set -e``, in a copy of
the distribution folder whose path is in ``ATTINI_WORK_DIR``; the source folder is never modified.
``attini`` on the ``PATH`` is this SDK's CLI, so ``attini configure set-init-deploy-parameter ...``
edits the copy's config as Attini's CLI would.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from attini_sdk.errors import PackagingError

__all__ = ["work_copy", "run_commands"]

# Attini never copies these into the work copy.
_NOT_COPIED = {".git", "node_modules", "attini_dist", ".DS_Store", ".vscode"}
_OUTPUT_TAIL = 20


@contextlib.contextmanager
def work_copy(source: Path) -> Iterator[Path]:
    """A temporary copy of ``source`` (without .git, node_modules, attini_dist, symlinks); removed after.

    >>> import pathlib, tempfile
    >>> src = pathlib.Path(tempfile.mkdtemp()); _ = (src / "a.txt").write_text("a")
    >>> with work_copy(src) as work:
    ...     sorted(p.name for p in work.iterdir())
    ['a.txt']
    """
    base = Path(tempfile.mkdtemp(prefix="attini-package-"))
    try:
        work = base / source.name
        shutil.copytree(source, work, ignore=_ignore, symlinks=True)
        _write_shim(base / "bin")
        yield work
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _ignore(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in _NOT_COPIED or os.path.islink(os.path.join(directory, n))}


def _write_shim(bin_dir: Path) -> None:
    bin_dir.mkdir()
    shim = bin_dir / "attini"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m attini_sdk "$@"\n')
    shim.chmod(0o755)


def run_commands(phase: str, commands: tuple[str, ...], work: Path, *, where: str,
                 env: Mapping[str, str] | None = None) -> None:
    """Run ``commands`` as one ``set -e`` bash script in ``work``; a failure raises
    :class:`PackagingError` with the script's last lines of output."""
    if not commands:
        return
    script = work.parent / f"attini-{phase}.sh"
    script.write_text("set -e\n" + "\n".join(commands) + "\n", encoding="utf-8")
    environment = {**os.environ, **(env or {}), "ATTINI_WORK_DIR": str(work)}
    environment["PATH"] = f"{work.parent / 'bin'}{os.pathsep}{environment.get('PATH', '')}"
    bash = shutil.which("bash") or "/bin/bash"
    result = subprocess.run([bash, str(script)], cwd=work, env=environment, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        lines = result.stdout.decode("utf-8", "replace").rstrip().splitlines()[-_OUTPUT_TAIL:]
        output = "\n".join(f"    | {line}" for line in lines) or "    | (no output)"
        raise PackagingError(
            f"a {phase} command failed with exit code {result.returncode}; its last output:\n{output}",
            where=f"{where}: package.{phase}.commands",
            hint="fix the command (it runs with 'set -e' in a copy of the folder, $ATTINI_WORK_DIR), "
                 "or package with --skip-commands",
        )
