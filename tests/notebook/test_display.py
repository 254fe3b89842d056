"""Rich display: every core object has a compact HTML view (no script, no CDN) and a useful text repr."""

from __future__ import annotations

import re

import pytest

import attini_sdk as at
from attini_sdk.plan import Plan, Runner


def assert_self_contained(markup: str) -> None:
    assert markup.startswith("<div")
    assert "<script" not in markup and "http://" not in markup and "https://" not in markup


def test_a_deployment_shows_its_status_and_every_step(envs, src):
    deployment = envs["dev"].deploy(src("hello", "1.0.0", broken=True))

    markup = deployment._repr_html_()

    assert_self_contained(markup)
    assert "hello</b> 1.0.0 → <b>dev</b>, revision 1" in markup
    assert re.search(r"background:#cf222e\">failed<", markup)
    assert markup.count("<tr>") >= 1 + 2  # header + Greet + Check
    assert "Greet" in markup and "Check" in markup
    assert repr(deployment).startswith("<Deployment dev/hello 1.0.0 revision 1 failed (")


def test_an_environment_shows_what_runs_there_and_what_waits(envs, src):
    acc = envs["acc"]
    acc.deploy(src("hello", "1.0.0"))
    acc.deploy(src("gated", "1.0.0", gated=True))

    markup = acc._repr_html_()

    assert_self_contained(markup)
    assert "Environment acc" in markup and ">test<" in markup
    assert "hello" in markup and "gated" in markup
    assert "waiting for approval" in markup and "Approve" in markup
    assert ">production<" in envs["prod"]._repr_html_()
    assert "nothing deployed yet" in envs["prod"]._repr_html_()


def test_an_artifact_and_its_distribution_show_name_version_id_and_plan(src):
    dist = at.Distribution.from_path(src("hello", "1.2.0"))
    artifact = dist.package()

    dist_markup, artifact_markup = dist._repr_html_(), artifact._repr_html_()

    assert_self_contained(dist_markup)
    assert "Distribution hello</b> 1.2.0" in dist_markup and "team=platform" in dist_markup
    assert "deployment_plan.py" in dist_markup
    assert_self_contained(artifact_markup)
    assert "Artifact hello 1.2.0" in artifact_markup
    assert f'title="{artifact.id}"' in artifact_markup
    assert "Greet" in artifact_markup and "Check" in artifact_markup
    assert repr(artifact).startswith("<Artifact hello 1.2.0 sha256:")


def test_a_plan_shows_as_a_mermaid_diagram_and_as_svg_only_with_graphviz(monkeypatch):
    first = Runner("First", commands=["true"])
    plan = Plan(Runner("Second", commands=["true"], after=[first]))

    markdown = plan._repr_markdown_()

    assert markdown.startswith("```mermaid\nflowchart") and "First" in markdown and "Second" in markdown
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert plan._repr_html_() is None  # so Jupyter falls back to the mermaid markdown
    assert repr(plan) == "<Plan 2 states: First → Second>"


def test_a_display_never_raises(envs, src):
    deployment = envs["dev"].deploy(src("hello", "1.0.0"))
    deployment.record = None  # a broken handle

    markup = deployment._repr_html_()

    assert "display failed" in markup


@pytest.mark.parametrize("value, text", [(None, ""), (float("nan"), ""), ("<b>", "&lt;b&gt;")])
def test_missing_values_are_blank_and_text_is_escaped(value, text):
    from attini_sdk.notebook.html import esc

    assert esc(value) == text


def test_the_docstring_examples_of_the_notebook_modules_run():
    import doctest

    from attini_sdk.notebook import html

    assert doctest.testmod(html).failed == 0


def test_with_graphviz_a_plan_shows_as_inline_svg(tmp_path, monkeypatch):
    # a stand-in `dot` that answers like graphviz: SVG on stdout for the DOT text on stdin
    dot = tmp_path / "dot"
    dot.write_text("#!/bin/sh\ncat > /dev/null\necho '<svg xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>'\n")
    dot.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{__import__('os').environ['PATH']}")
    plan = Plan(Runner("Only", commands=["true"]))

    markup = plan._repr_html_()

    assert markup.startswith("<div") and "<svg" in markup and "<script" not in markup


def one_line(obj) -> str:
    text = repr(obj)
    assert "\n" not in text and len(text) < 240 and text.startswith("<") and text.endswith(">"), text
    return text


def test_the_five_core_objects_have_one_line_reprs_with_their_key_facts(envs, src):
    folder = src("hello", "1.2.0")
    dist = at.Distribution.from_path(folder)
    artifact = dist.package()
    signed = artifact.sign(at.generate_key())
    dev = envs["dev"]
    deployment = dev.deploy(artifact)
    first = Runner("First", commands=["true"])
    plan = Plan(Runner("Third", commands=["true"], after=[Runner("Second", commands=["true"], after=[first])]))

    assert one_line(dist) == f"<Distribution hello 1.2.0 at {folder}>"
    assert re.fullmatch(rf"<Artifact hello 1\.2\.0 {artifact.id[:19]}… \(\d+ files, [\d.]+ K?B, (un)?signed\) "
                        rf"at {re.escape(str(artifact.path))}>", one_line(artifact))
    assert "signed) at" in one_line(signed) and ", unsigned)" not in repr(signed)
    assert one_line(plan) == "<Plan 3 states: First → Second → Third>"
    assert one_line(dev).startswith("<Environment dev (test, local")
    assert one_line(envs["prod"]).startswith("<Environment prod (production, local")
    assert one_line(deployment) == "<Deployment dev/hello 1.2.0 revision 1 succeeded>"
    # a custom repr leaves equality as it was
    assert dist == at.Distribution.from_path(folder) and artifact == at.Artifact.open(artifact.path)
    for markup, facts in ((dist._repr_html_(), ["hello", "1.2.0"]),
                          (artifact._repr_html_(), ["hello 1.2.0", artifact.id[:19]]),
                          (dev._repr_html_(), ["Environment dev", "hello", "1.2.0"]),
                          (deployment._repr_html_(), ["hello", "1.2.0", "dev", "succeeded", "Greet", "Check"])):
        assert_self_contained(markup)
        assert all(fact in markup for fact in facts), (facts, markup)
    assert "First" in plan._repr_markdown_() and "Third" in plan._repr_markdown_()


def test_a_plan_with_parallel_branches_or_one_that_does_not_compile_still_reprs_in_one_line():
    both = Plan(Runner("Left", commands=["true"]), Runner("Right", commands=["true"]))
    first = Runner("Loop", commands=["true"])

    parallel = one_line(both)
    broken = one_line(Plan(first, Runner("Loop", commands=["true"])))  # two steps of the same name

    assert parallel.endswith("(parallel branches)>") and "Left" in parallel and "Right" in parallel
    assert "→" not in parallel
    assert broken.startswith("<Plan 2 step(s) added: Loop, Loop; does not compile")
