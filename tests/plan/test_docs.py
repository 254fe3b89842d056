"""Every example in docs/plans.md runs, and printed output matches the text after it."""

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "plans.md"
BLOCK = re.compile(r"(?:<!-- plan-file: (?P<file>\S+) -->\n)?```(?P<lang>\w+)\n(?P<body>.*?)```", re.S)


def blocks():
    return [(m.group("file"), m.group("lang"), m.group("body")) for m in BLOCK.finditer(DOC.read_text())]


def test_docs_examples_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ran = 0
    expected_output = None
    for file, lang, body in blocks():
        if file:
            (tmp_path / file).write_text(body)
        elif lang == "python":
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(body, f"{DOC.name} block {ran}", "exec"), {})
            ran += 1
            expected_output = out.getvalue()
        elif lang == "text" and expected_output is not None:
            assert expected_output.strip() == body.strip()
            expected_output = None
    assert ran >= 8
