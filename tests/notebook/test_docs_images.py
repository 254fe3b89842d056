"""``make docs-img`` draws the README's two pictures (the timeline of a failed deployment and the landscape
heatmap) again from the demo's story, in a sandbox; the committed ones are the pictures README.md shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PICTURES = ("timeline.png", "landscape.png")


def test_the_readme_and_the_notebook_docs_show_the_committed_pictures():
    readme, notebooks = (ROOT / "README.md").read_text(), (ROOT / "docs" / "notebooks.md").read_text()

    for name in PICTURES:
        assert f"](docs/img/{name})" in readme and f"](img/{name})" in notebooks
        assert (ROOT / "docs" / "img" / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.slow
def test_docs_img_draws_both_pictures_again_the_size_of_the_committed_ones(tmp_path):
    from matplotlib.image import imread

    done = subprocess.run([sys.executable, str(ROOT / "examples" / "docs_images.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["wrote", str(tmp_path / PICTURES[0]), "wrote", str(tmp_path / PICTURES[1])]
    for name in PICTURES:
        assert imread(tmp_path / name).shape == imread(ROOT / "docs" / "img" / name).shape
