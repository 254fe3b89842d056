"""docs/cli.md documents every command: its reference block is generated from the CLI and must match."""

from __future__ import annotations

import subprocess
import sys

from attini_sdk.cli import reference


def test_docs_cli_md_is_up_to_date_with_the_cli():
    text = reference.DOC.read_text()

    assert reference.BEGIN in text and reference.END in text
    assert reference.update(text) == text, "run: python -m attini_sdk.cli.reference --write"


def test_every_visible_command_and_option_is_in_the_reference():
    block = reference.render()

    for path, command in reference._walk(reference._root(), ()):
        assert f"`attini {' '.join(path)}" in block
        for option in reference._options(command):
            assert f"`{option.opts[0]}`" in block or f"`{sorted(option.opts, key=len)[0]}`" in block


def test_the_issue_5_commands_and_attini_option_names_are_documented():
    block = reference.render()

    for command in ("environment create", "environment list", "environment remove", "environment param set",
                    "deploy run", "deploy history", "deploy describe", "deploy continue", "deploy rollback",
                    "deploy output", "deploy logs", "deploy resume", "deploy unlock", "inventory", "landscape"):
        assert f"`attini {command}" in block, command
    for option in ("`-n`, `--distribution-name`", "`-i`, `--distribution-id`", "`-e`, `--environment`",
                   "`--step-name`", "`-m`, `--message`", "`--abort`", "`-o`, `--output-limit`", "`--env-type`"):
        assert option in block, option


def test_check_mode_reports_a_stale_file(tmp_path, monkeypatch):
    stale = tmp_path / "cli.md"
    stale.write_text(f"# CLI\n\n{reference.BEGIN}\nold\n{reference.END}\n")
    monkeypatch.setattr(reference, "DOC", stale)

    assert reference.main(["--check"]) == 1
    assert reference.main(["--write"]) == 0
    assert reference.main(["--check"]) == 0
    assert stale.read_text().startswith("# CLI\n\n") and "attini deploy run" in stale.read_text()


def test_the_module_runs_as_a_script():
    result = subprocess.run([sys.executable, "-m", "attini_sdk.cli.reference", "--check"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
