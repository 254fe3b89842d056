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
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import attrs

from attini_sdk.errors import PackagingError

__all__ = ["WorkCopy", "work_copy", "run_commands"]

# Attini never copies these into the work copy.
_NOT_COPIED = {".git", "node_modules", "attini_dist", ".DS_Store", ".vscode"}
_OUTPUT_TAIL = 20


@attrs.frozen
class WorkCopy:
    """A temporary copy of a distribution folder.

    ``origin`` maps each copied file's path to ``(work_key, source_key)``, the ``(size, mtime_ns,
    inode)`` of the copy and of its source: a file whose key is still ``work_key`` after the
    commands ran is unchanged, so the repackage cache may look it up under ``source_key``.
    """

    path: Path
    origin: Mapping[str, tuple[tuple[int, int, int], tuple[int, int, int]]]


@contextlib.contextmanager
def work_copy(source: Path) -> Iterator[WorkCopy]:
    """A temporary copy of ``source`` (without .git, node_modules, attini_dist, symlinks); removed after.

    >>> import pathlib, tempfile
    >>> src = pathlib.Path(tempfile.mkdtemp()); _ = (src / "a.txt").write_text("a")
    >>> with work_copy(src) as work:
    ...     sorted(p.name for p in work.path.iterdir()), list(work.origin)
    (['a.txt'], ['a.txt'])
    """
    base = Path(tempfile.mkdtemp(prefix="attini-package-"))
    try:
        work = base / source.name
        origin: dict = {}
        _copy_tree(str(source), str(work), "", origin)
        _write_shim(base / "bin")
        yield WorkCopy(work, origin)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _copy_tree(src: str, dst: str, prefix: str, origin: dict) -> None:
    os.mkdir(dst)
    for entry in os.scandir(src):
        if entry.name in _NOT_COPIED or entry.is_symlink():
            continue
        target = os.path.join(dst, entry.name)
        if entry.is_dir():
            _copy_tree(entry.path, target, f"{prefix}{entry.name}/", origin)
        elif entry.is_file():
            st = entry.stat()
            shutil.copyfile(entry.path, target)
            os.chmod(target, stat.S_IMODE(st.st_mode))
            os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
            copied = os.stat(target)
            origin[prefix + entry.name] = ((copied.st_size, copied.st_mtime_ns, copied.st_ino),
                                           (st.st_size, st.st_mtime_ns, st.st_ino))


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
