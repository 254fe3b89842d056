"""Which files of a distribution folder go into its artifact.

The rules are Attini's: patterns in ``.attini-ignore`` (gitignore syntax) leave files out; without
that file the defaults apply (``.*``, ``**/node_modules/**``, ``attini_dist/``). ``.git/`` and
``attini_dist/`` are never packaged, nor is the output folder. Symbolic links, special files and
names a zip cannot carry safely are skipped with a :class:`PackagingWarning`. Files are only
listed (with the ``stat`` data the repackage cache needs), never copied::

    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "template.yaml").write_text("Resources: {}")
    >>> _ = (root / ".env").write_text("SECRET=1")
    >>> [f.path for f in select_files(root)]
    ['template.yaml']
"""

from __future__ import annotations

import os
import re
import stat
import warnings
from collections.abc import Iterable
from pathlib import Path

import attrs

from attini_sdk.config import limits
from attini_sdk.errors import PackagingError

__all__ = ["DEFAULT_IGNORE", "IGNORE_FILE", "PackagingWarning", "SourceFile", "ignore_patterns", "select_files"]

IGNORE_FILE = ".attini-ignore"
DEFAULT_IGNORE = (".*", "**/node_modules/**", "attini_dist/")
ALWAYS_IGNORED = ("/.git/", "/attini_dist/")
RESERVED_DIR = "attini_data"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\\]")


class PackagingWarning(UserWarning):
    """A file was left out of the artifact (a symlink, a special file, an unsafe name)."""


@attrs.frozen
class SourceFile:
    """A file selected for packaging: its path in the zip and what ``stat`` said about it."""

    path: str
    abspath: str
    size: int
    mtime_ns: int
    inode: int
    mode: str

    @property
    def key(self) -> tuple[int, int, int]:
        """What the repackage cache compares: size, mtime and inode."""
        return (self.size, self.mtime_ns, self.inode)


def ignore_patterns(root: str | os.PathLike) -> list[str]:
    """The ignore patterns in force for ``root``: its ``.attini-ignore`` lines, else the defaults."""
    file = Path(root) / IGNORE_FILE
    if file.is_file():
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise PackagingError(f"cannot read {IGNORE_FILE}: {err}", where=str(file),
                                 hint="make it a UTF-8 text file of gitignore-style patterns") from None
        _check_patterns(lines, file)
    else:
        lines = list(DEFAULT_IGNORE)
    return [*ALWAYS_IGNORED, *lines]


def _check_patterns(lines: list[str], file: Path) -> None:
    # each pattern becomes a regular expression; many wildcards in one pattern backtrack badly
    if len(lines) > limits.MAX_IGNORE_LINES:
        raise PackagingError(f"{IGNORE_FILE} has {len(lines):,} lines, over the limit of {limits.MAX_IGNORE_LINES:,}",
                             where=str(file), hint="use fewer, broader patterns (e.g. 'build/' instead of each file)")
    for number, line in enumerate(lines, start=1):
        try:
            limits.check_ignore_pattern(line.strip())
        except limits.LimitExceeded as err:
            raise PackagingError(f"line {number}: {err}", where=str(file),
                                 hint="write the pattern with fewer wildcards (see Limits in docs/artifacts.md)") from None


def select_files(root: str | os.PathLike, *, exclude: Iterable[str | os.PathLike] = ()) -> list[SourceFile]:
    """The files under ``root`` that belong in the artifact, sorted by path.

    ``exclude`` lists folders (such as the output folder) that are never packaged.
    """
    import pathspec

    root = os.path.realpath(root)  # below it, paths are real: symlinked folders are not followed
    try:
        spec = pathspec.GitIgnoreSpec.from_lines(ignore_patterns(root))
    except (ValueError, re.error, RecursionError) as err:  # pathspec's GitWildMatchPatternError is a ValueError
        raise PackagingError(f"{IGNORE_FILE} holds a pattern that is not valid: {err}", where=str(Path(root) / IGNORE_FILE),
                             hint="fix the pattern (gitignore syntax)") from None
    excluded = {os.path.realpath(p) for p in exclude}
    found: list[SourceFile] = []
    _walk(root, "", spec, excluded, found)
    found.sort(key=lambda f: f.path)
    return found


def _walk(directory: str, prefix: str, spec, excluded: set[str], found: list[SourceFile]) -> None:
    try:
        entries = list(os.scandir(directory))
    except OSError as err:
        raise PackagingError(f"cannot list folder: {err.strerror}", where=directory,
                             hint="fix its permissions or add it to .attini-ignore") from None
    for entry in entries:
        rel = prefix + entry.name
        if not _safe_name(rel, entry.path):
            continue
        if entry.is_symlink():
            if not spec.match_file(rel):
                _skip(rel, "symbolic links are not packaged")
            continue
        if entry.is_dir(follow_symlinks=False):
            if spec.match_file(rel + "/") or entry.path in excluded:
                continue
            _walk(entry.path, rel + "/", spec, excluded, found)
        elif not spec.match_file(rel):
            source = _source_file(entry, rel)
            if source is not None:
                found.append(source)


def _source_file(entry: os.DirEntry, rel: str) -> SourceFile | None:
    st = entry.stat(follow_symlinks=False)
    if not stat.S_ISREG(st.st_mode):
        _skip(rel, "only regular files are packaged")
        return None
    if rel == RESERVED_DIR or rel.startswith(RESERVED_DIR + "/"):
        raise PackagingError(f"'{rel}' is inside attini_data/, which is reserved for files attini writes",
                             where=entry.path, hint="rename the folder or add 'attini_data/' to .attini-ignore")
    mode = "0755" if st.st_mode & 0o111 else "0644"
    return SourceFile(rel, entry.path, st.st_size, st.st_mtime_ns, st.st_ino, mode)


def _safe_name(rel: str, path: str) -> bool:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        _skip(os.fsencode(path).decode("utf-8", "replace"), "its name is not valid UTF-8")
        return False
    if _UNSAFE_NAME.search(rel):
        _skip(rel, "its name holds a backslash or a control character")
        return False
    return True


def _skip(rel: str, why: str) -> None:
    warnings.warn(f"'{rel}' is left out of the artifact: {why}", PackagingWarning, stacklevel=5)
