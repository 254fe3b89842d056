"""``Engine(valid_definitions=FOLDER)``: a definition the validator accepted is not validated again."""

from __future__ import annotations

import pytest

from attini_sdk.asl import Engine
from attini_sdk.errors import PlanError

DEFINITION = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": True}}}


def _spy_on_validator(monkeypatch) -> list[dict]:
    from attini_sdk.plan import validate

    calls: list[dict] = []
    real = validate.check_definition

    def check(spec, *args, **kwargs):
        calls.append(spec)
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(validate, "check_definition", check)
    return calls


def test_an_accepted_definition_is_remembered_by_content_across_engines(tmp_path, monkeypatch):
    calls = _spy_on_validator(monkeypatch)
    monkeypatch.setattr("attini_sdk.asl.engine._SEEN", set())  # as in a new process: the folder answers
    folder = tmp_path / "valid"

    assert Engine(valid_definitions=folder).start(DEFINITION).wait().output == 1
    assert len(calls) == 1 and len(list(folder.iterdir())) == 1

    monkeypatch.setattr("attini_sdk.asl.engine._SEEN", set())
    assert Engine(valid_definitions=folder).start(dict(DEFINITION)).wait().output == 1
    assert len(calls) == 1

    changed = {**DEFINITION, "Comment": "another definition"}
    assert Engine(valid_definitions=folder).start(changed).wait().output == 1
    assert len(calls) == 2 and len(list(folder.iterdir())) == 2


def test_without_the_folder_every_start_validates(monkeypatch):
    calls = _spy_on_validator(monkeypatch)
    engine = Engine()

    engine.start(DEFINITION).wait()
    engine.start(DEFINITION).wait()

    assert len(calls) == 2


def test_a_refused_definition_is_never_remembered(tmp_path):
    broken = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}
    folder = tmp_path / "valid"

    for _ in range(2):
        with pytest.raises(PlanError, match="Nowhere"):
            Engine(valid_definitions=folder).start(broken)
    assert not folder.exists() or not list(folder.iterdir())
