"""``--plot FILE`` on deploy describe, deploy history and landscape writes the notebook's picture as a file."""

from __future__ import annotations

import pytest

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def deployed(attini, dists):
    assert attini("environment", "create", "dev", "--env-type", "test").code == 0
    assert attini("environment", "create", "acc", "--env-type", "test").code == 0
    assert attini("deploy", "run", dists("hello", "1.0.0"), "-e", "dev").code == 0
    assert attini("deploy", "run", dists("hello", "1.1.0", broken=True), "-e", "dev").code == 1
    return attini


@pytest.mark.parametrize("args", [("deploy", "describe", "-e", "dev", "-n", "hello"),
                                  ("deploy", "history", "-e", "dev"),
                                  ("landscape",)])
def test_plot_writes_a_png_beside_the_usual_table(deployed, tmp_path, args):
    picture = tmp_path / "picture.png"

    result = deployed(*args, "--plot", picture)

    assert result.code == 0, result.err
    assert picture.read_bytes().startswith(PNG)
    assert f"Picture written to {picture}" in result.err
    assert "hello" in result.out  # the table is printed as usual


def test_plot_as_svg_keeps_json_output_clean(deployed, tmp_path):
    picture = tmp_path / "timeline.svg"

    result = deployed("deploy", "describe", "-e", "dev", "-n", "hello", "--json", "--plot", picture)

    assert result.json()["status"] == "failed"
    assert picture.read_text().lstrip().startswith("<?xml")


def test_plot_into_a_missing_folder_is_a_user_error(deployed, tmp_path):
    result = deployed("landscape", "--plot", tmp_path / "nowhere" / "x.png")

    assert result.code != 0
    assert "cannot write the picture" in result.err and "Traceback" not in result.err
