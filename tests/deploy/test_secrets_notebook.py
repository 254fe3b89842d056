"""Secrets stay secret in exported notebooks too (issue 13, the secrets test's notebook part).

A notebook written here deploys with the four secret environment parameters of
``test_secrets_everywhere.py`` (a step prints them, returns them and passes them on; a second release fails
printing them), and shows what a person would look at: the live widget ``env.deploy`` displays, the
deployment, its steps, outputs, logs and summary, the environment, its inventory, history and parameters, the
explorer. It runs headless with nbclient in this venv's python; the executed notebook (outputs and widget
state) is written as ``.ipynb`` and, when nbconvert is installed, as HTML. Neither holds any form of any
secret (the text, its JSON- and HTML-escaped forms, each line of the multi-line one), nor does any file under
``$ATTINI_HOME`` afterwards.
"""

from __future__ import annotations

import html
import importlib.util

import nbformat
import pytest

from tests.notebook.kernels import execute, write_kernelspec

from .test_secrets_everywhere import (FAILS, PRINTS, SECRETS, _env_with_secrets, file_leaks, forms,
                                     not_owner_only)
from .test_secrets_everywhere import home  # noqa: F401  (the fixture: a private ATTINI_HOME the kernel inherits)

WIDGET = "application/vnd.jupyter.widget-view+json"


def every_form() -> list[str]:
    """What :func:`forms` lists, and each of those as HTML shows it."""
    found = set(forms())
    found |= {html.escape(form) for form in found} | {html.escape(form, quote=False) for form in found}
    return sorted(found)


def leaks(text: str) -> list[str]:
    return [form for form in every_form() if form in text]


@pytest.fixture
def kernel(tmp_path, monkeypatch) -> str:
    folder = tmp_path / "jupyter"
    monkeypatch.setenv("JUPYTER_PATH", str(folder))
    return write_kernelspec(folder)


def code(*lines: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell("\n".join(lines))


@pytest.mark.slow
def test_an_exported_notebook_that_deployed_with_secrets_holds_none_of_them(home, project, kernel, tmp_path):
    env = _env_with_secrets()  # set here: a notebook that set them would hold them in its own source
    app = project("app")
    good, bad = app.package(PRINTS, "1.0.0"), app.package(FAILS, "2.0.0")
    book = nbformat.v4.new_notebook()
    book.cells = [
        code("import json", "import attini_sdk as at", "", 'dev = at.Environment.local("dev")',
             f"deployment = dev.deploy({str(good.path)!r})  # the live widget"),
        code("deployment"),
        code("deployment.steps"),
        code("deployment.outputs"),
        code('for step in deployment.steps["step"]:', "    print(step, deployment.logs(step))"),
        code("print(json.dumps(deployment.summary(), default=str))"),
        code("deployment.watch()"),
        code(f"failed = dev.deploy({str(bad.path)!r})", "failed"),
        code("failed.steps"),
        code('print(failed.cause, failed.logs("Fail"))'),
        code("dev"),
        code("dev.inventory()"),
        code("dev.history()"),
        code("dev.parameters.frame()"),
        code("dev.parameters"),
        code('at.explore(["dev"])'),
    ]

    executed = execute(book, kernel, tmp_path)
    exported = tmp_path / "exported.ipynb"
    nbformat.write(executed, exported)
    texts = {"ipynb": exported.read_text()}
    if importlib.util.find_spec("nbconvert") is not None:  # not a dependency: exported to HTML when present
        from nbconvert import HTMLExporter

        texts["html"], _ = HTMLExporter().from_notebook_node(executed)

    shown = [out for cell in executed.cells for out in cell.outputs]
    assert WIDGET in shown[0]["data"]  # env.deploy showed the live widget
    assert "widgets" in executed.metadata  # with its model state, stored in the export
    text = "\n".join(texts.values())
    assert "***" in text and "Print" in text and "succeeded" in text and "failed" in text
    assert {kind: leaks(value) for kind, value in texts.items()} == {kind: [] for kind in texts}
    assert file_leaks(home) == []
    assert not_owner_only(home) == []
    assert env.deployment(1, "app").outputs["output"]["Check"] == {"same": True}  # the steps got the values
    assert env.parameters.reveal("Pem") == SECRETS["Pem"]
