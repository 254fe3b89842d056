"""Run notebooks headless in this venv's python, as the tests do (nbclient).

    >>> name = write_kernelspec(tmp_folder)       # then JUPYTER_PATH=tmp_folder   # doctest: +SKIP
    >>> book = execute(path, name)                                                 # doctest: +SKIP

The kernelspec lives in a temporary folder found through ``JUPYTER_PATH``, so the notebooks run in the venv's
python on a fresh clone, whatever kernels the machine has.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat

KERNEL = "attini-sdk-test"


def write_kernelspec(folder: Path) -> str:
    """Write a kernelspec for this interpreter under ``folder/kernels``; returns its name."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "attini_sdk (test venv)", "language": "python"}))
    return KERNEL


def execute(book: Path | nbformat.NotebookNode, kernel: str, cwd: Path, *,
            timeout: int = 120) -> nbformat.NotebookNode:
    """Execute a notebook (a path or a NotebookNode) top to bottom in ``cwd``; returns it with its outputs."""
    from nbclient import NotebookClient

    if not isinstance(book, nbformat.NotebookNode):
        book = nbformat.read(book, as_version=4)
    NotebookClient(book, kernel_name=kernel, timeout=timeout, resources={"metadata": {"path": str(cwd)}}).execute()
    return book
