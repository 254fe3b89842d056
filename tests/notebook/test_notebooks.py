"""The notebooks in notebooks/ run top to bottom, headless, in a kernel of this venv (nbclient), and show what
they promise: DataFrames with the expected rows, widget models, PNG pictures. They are committed without
outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.notebook.kernels import execute as run_notebook
from tests.notebook.kernels import write_kernelspec

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory) -> str:
    """A kernelspec for this interpreter in a temporary folder, found through JUPYTER_PATH (see kernels.py)."""
    folder = tmp_path_factory.mktemp("jupyter")
    name = write_kernelspec(folder)
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(folder))
    yield name
    mp.undo()


def execute(path: Path, kernel: str) -> nbformat.NotebookNode:
    return run_notebook(path, kernel, NOTEBOOKS)


def outputs(book, source_part: str) -> list[dict]:
    """The outputs of the one code cell whose source contains ``source_part``."""
    [cell] = [c for c in book.cells if c.cell_type == "code" and source_part in c.source]
    return cell.outputs


def data(book, source_part: str) -> dict:
    """Every mime type shown by that cell -> the last value shown with it."""
    found: dict = {}
    for out in outputs(book, source_part):
        found.update(out.get("data", {}))
    return found


def test_the_notebooks_are_there():
    assert [p.name for p in ALL] == ["01-quickstart.ipynb", "02-inventory.ipynb", "03-promote-and-rollback.ipynb"]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_committed_notebooks_have_no_outputs(path):
    book = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(book.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]

    assert dirty == [], (f"{path.name}: cells {dirty} hold outputs; clear them before committing "
                         f"(jupyter nbconvert --clear-output --inplace {path.relative_to(ROOT)})")
    assert "widgets" not in book.metadata


@pytest.mark.slow
def test_quickstart_deploys_and_shows_steps_a_live_widget_and_a_timeline(kernel):
    book = execute(NOTEBOOKS / "01-quickstart.ipynb", kernel)

    assert "Artifact network 1.0.0" in data(book, "artifact = dist.package()")["text/html"]
    assert WIDGET in data(book, "deployment = dev.deploy(artifact)")  # the live widget
    assert "widgets" in book.metadata  # its model state was stored
    steps = data(book, 'deployment.steps[["step"')["text/html"]
    assert "Network" in steps and "succeeded" in steps
    assert "VpcId" in data(book, 'deployment.outputs["output"]')["text/plain"]
    assert "image/png" in data(book, "deployment.timeline()")
    assert "network" in data(book, "dev.inventory()")["text/html"]


@pytest.mark.slow
def test_inventory_shows_the_landscape_its_heatmap_history_and_the_explorer(kernel):
    book = execute(NOTEBOOKS / "02-inventory.ipynb", kernel)

    landscape = data(book, 'at.landscape(["dev"')["text/html"]
    for row in ("app", "database", "network"):
        assert f"<td>{row}</td>" in landscape or f">{row}<" in landscape
    assert "image/png" in data(book, "at.landscape_plot(")
    assert "image/png" in data(book, "dev.history_plot()")
    assert WIDGET in data(book, "explorer = at.explore(")
    promoted = data(book, "explorer.promote_button.click()")["text/html"]
    assert "1.1.0" in promoted  # acc now runs network 1.1.0


@pytest.mark.slow
def test_promote_and_rollback_fails_rolls_back_and_approves_in_production(kernel):
    book = execute(NOTEBOOKS / "03-promote-and-rollback.ipynb", kernel)

    assert data(book, "broken = acc.deploy(")["text/plain"].startswith("('failed'")
    assert WIDGET in data(book, "broken = acc.deploy(")
    assert "image/png" in data(book, "broken.timeline()")
    assert data(book, 'rolled = acc.rollback("app")')["text/plain"] == "('succeeded', 'Rollback to 1')"
    assert WIDGET in data(book, 'rolled = acc.rollback("app")')  # rollback shows the live widget too
    assert data(book, "release = prod.deploy(")["text/plain"] == "('waiting_approval', ['ApproveRelease'])"
    assert data(book, 'release.approve("ApproveRelease"')["text/plain"] == "'succeeded'"
    assert "image/png" in data(book, "at.landscape_plot(")
