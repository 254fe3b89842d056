"""The docs name what the code defines: config keys, contract keys, IAM exceptions."""

from __future__ import annotations

from pathlib import Path

import attrs

from infra_pulumi import contract
from infra_pulumi.component import AttiniBackendArgs, _config_key
from infra_pulumi.iam_exceptions import EXCEPTIONS

ROOT = Path(__file__).resolve().parents[2]
AWS_DOC = (ROOT / "docs" / "aws.md").read_text()
README = (ROOT / "infra_pulumi" / "README.md").read_text()


def test_every_setting_has_a_documented_config_key():
    keys = [_config_key(field.name) for field in attrs.fields(AttiniBackendArgs)]

    assert [key for key in keys if f"`{key}`" not in README] == []


def test_every_contract_key_is_explained():
    assert [key for key in contract.SCHEMA if f"`{key}`" not in AWS_DOC] == []


def exceptions_table(text: str) -> dict[str, str]:
    """The rows of the table that follows the ``| Sid |`` header in docs/aws.md, by Sid."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("| Sid |")) + 2
    rows = {}
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        rows[line.split("`")[1]] = line
    return rows


def test_the_wildcard_exceptions_in_the_docs_are_the_ones_in_the_code():
    rows = exceptions_table(AWS_DOC)

    assert set(rows) == {e.sid for e in EXCEPTIONS}
    assert "infra_pulumi/iam_exceptions.py" in AWS_DOC
    for entry in EXCEPTIONS:
        assert all(action.split(":")[1] in rows[entry.sid] for action in entry.actions), entry.sid
