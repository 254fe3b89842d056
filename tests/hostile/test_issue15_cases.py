"""Every hostile case listed in issue 15 (point 4) ends in a clean AttiniError: exit 1, one message
naming the file or the state, no traceback, nothing written outside the case folder.

Each case is one entry of the corpus (:mod:`tests.hostile.corpus`), run through ``attini`` in this
process exactly as a user would run it.
"""

from __future__ import annotations

import os
import re

import pytest

import attini_sdk as at
from attini_sdk.errors import ArtifactError
from tests.hostile.corpus import CASES, run_case
from tests.hostile.forge import forge

ISSUE_15 = [
    # artifacts that pass verification and then crashed on extract or deploy
    "zip: entry name component of 300 characters",
    "zip: entry path 40 folders of 120 characters",
    "zip: entries 'a' and 'a/b' together",
    "zip: plan.json that is truncated",
    "zip: plan.json that is a bare string",
    "zip: plan.json that is 100k levels of arrays",
    "zip: manifest config holding NaN",
    "zip: manifest config 5000 levels deep",
    "zip: manifest with a 5,000-digit version",
    # packaging crashes
    "pkg: invalid UTF-8 in the plan",
    "pkg: invalid UTF-8 in the init template",
    "pkg: init template in JSON that is truncated",
    "pkg: JSON plan 100000 levels deep",
    "pkg: YAML plan of flow sequences 5000 levels deep",
    "pkg: Parallel nested 200 deep in a JSON plan",
    "pkg: Parallel nested 1000 deep in a JSON plan",
    "pkg: NaN in a YAML plan",
    "pkg: version with 5,000 digits in attini-config",
    "pkg: version with 5,000 digits on the command line",
    # hangs
    "pkg: YAML billion laughs in the plan",
    "pkg: YAML billion laughs in the init template",
    "pkg: .attini-ignore with nested stars",
    "run: JSONata recursing forever in a Pass state",
    "run: JSONata looping over a huge range in a Pass state",
    "run: JSONata backtracking catastrophically in a Pass state",
    # slow
    "zip: 150,000 entries",
]
BY_NAME = {c.name: c for c in CASES}


def test_every_listed_case_is_in_the_corpus():
    assert [name for name in ISSUE_15 if name not in BY_NAME] == []


@pytest.mark.parametrize("name", ISSUE_15)
def test_a_hostile_input_ends_in_exit_1_naming_the_file_or_state(name, tmp_path):
    folder = tmp_path / "case"
    outcome = run_case(BY_NAME[name], folder)
    assert outcome.verdict == "rejected", outcome
    assert outcome.code == 1
    assert outcome.message.startswith("Error: ")
    assert "Traceback" not in outcome.message and "internal error" not in outcome.message
    named = str(folder) in outcome.message or re.search(r"(state|step) '\w+'", outcome.message)
    assert named, outcome.message
    assert not outcome.outside


def test_a_runaway_jsonata_expression_fails_its_state_with_query_evaluation_error(tmp_path):
    outcome = run_case(BY_NAME["run: JSONata recursing forever in a Pass state"], tmp_path / "case")
    assert "failed at step 'P': States.QueryEvaluationError" in outcome.message
    assert "ran longer than" in outcome.message


def test_extracting_into_a_dangling_symlink_is_refused_and_creates_nothing(tmp_path):
    artifact = at.Artifact.open(forge(tmp_path / "a.zip", {"a.txt": b"x"}))
    link = tmp_path / "target"
    os.symlink(tmp_path / "nowhere", link)
    with pytest.raises(ArtifactError, match="symbolic link to .*which does not exist"):
        artifact.extract(link)
    assert not (tmp_path / "nowhere").exists()


def test_extracting_into_a_too_long_path_is_an_artifact_error(tmp_path):
    artifact = at.Artifact.open(forge(tmp_path / "a.zip", {"d/" + "n" * 250: b"x"}))
    deep = tmp_path.joinpath(*["p" * 250] * 16)
    with pytest.raises(ArtifactError, match="cannot write"):
        artifact.extract(deep)
