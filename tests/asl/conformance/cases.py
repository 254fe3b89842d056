"""Load the ASL conformance cases: YAML data files, one per area, grouped by source.

A case file looks like this::

    area: intrinsics
    title: The 18 intrinsic functions
    groups:
      - source: https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-math-operation
        cases:
          - name: math-add-rounds-half-up-like-java
            state: {Type: Pass, Parameters: {"r.$": "States.MathAdd($.a, 0)"}}
            input: {a: 2.5}
            output: {r: 3}
            moto: agree

Every case names a ``definition`` (a whole state machine) or one of two shorthands that expand
into one: ``state`` (a single state, run as ``{"StartAt": "S", "States": {"S": ...}}`` with
``End: true`` added where the state type allows it) and ``choice`` (one Choice Rule without
``Next``; a match ends in the Pass state ``Matched`` with result ``{"matched": true}``, otherwise
the ``Default`` Pass state ``NoMatch`` gives ``{"matched": false}``). The expectation is ``output`` (compared
exactly, JSON types included), or ``error`` (+ optional ``cause`` substring, + optional
``status``, default ``FAILED``), or ``rejected: true`` (AWS refuses the definition), or
``start_refused: true`` (AWS refuses the StartExecution call: no execution exists). ``xfail:
<engine bug>`` marks a case the engine gets wrong (strict unless ``xfail_strict: false``, used for
gaps another branch is expected to close).

Payloads near Step Functions' 256 KiB quota are written with the ``!repeat [text, times]`` tag,
a string of ``times`` copies of ``text``:

>>> yaml.load("blob: !repeat [ab, 3]", Loader=CaseLoader)
{'blob': 'ababab'}

>>> cases = load_cases()
>>> len(cases) >= 300
True
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import attrs
import yaml

CASES_DIR = Path(__file__).parent / "cases"

CASE_KEYS = {
    "name", "definition", "state", "choice", "input", "output", "error", "cause", "status",
    "rejected", "start_refused", "resources", "moto", "note", "xfail", "xfail_strict", "execution_name",
}
EXPECTATIONS = ("output", "error", "rejected", "start_refused")


class CaseLoader(yaml.SafeLoader):
    """YAML's safe loader plus ``!repeat [text, times]`` for large payloads."""


def _repeat(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    text, times = loader.construct_sequence(node)
    return str(text) * int(times)


CaseLoader.add_constructor("!repeat", _repeat)
NO_END_TYPES = {"Choice", "Succeed", "Fail"}
MOTO_VERDICTS = ("agree", "skip:", "differs:")


@attrs.frozen
class Case:
    """One conformance case: a definition, its input and what AWS does with it.

    >>> case = load_cases(area="paths")[0]
    >>> case.id.startswith("paths/")
    True
    """

    area: str
    name: str
    source: str
    definition: dict
    input: Any
    output: Any = None
    expects_output: bool = False
    error: str | None = None
    cause: str | None = None
    status: str = "SUCCEEDED"
    rejected: bool = False
    start_refused: bool = False
    resources: tuple[str, ...] = ()
    moto: str = ""
    note: str | None = None
    xfail: str | None = None
    xfail_strict: bool = True
    execution_name: str | None = None

    @property
    def id(self) -> str:
        return f"{self.area}/{self.name}"

    @property
    def moto_verdict(self) -> str:
        """``agree``, ``differs``, ``skip`` or ``unchecked`` (no ``moto:`` field)."""
        if not self.moto:
            return "skip" if self.resources else "unchecked"
        return self.moto.split(":", 1)[0].strip()

    def definition_json(self) -> str:
        return json.dumps(self.definition)


def load_cases(area: str | None = None, directory: Path = CASES_DIR) -> list[Case]:
    """Every case in ``directory`` (sorted by file, then file order), or one area's.

    >>> {case.area for case in load_cases(area="choice")}
    {'choice'}
    """
    cases: list[Case] = []
    for path in sorted(directory.glob("*.yaml")):
        cases.extend(_load_file(path))
    _check_unique(cases)
    return [case for case in cases if area is None or case.area == area]


def _load_file(path: Path) -> list[Case]:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=CaseLoader)
    area = document["area"]
    cases = []
    for group in document["groups"]:
        source = group.get("source")
        if not source:
            raise ValueError(f"{path.name}: every group needs a 'source' (URL and section)")
        for raw in group["cases"]:
            cases.append(_build_case(path.name, area, source, raw))
    return cases


def _build_case(file: str, area: str, source: str, raw: dict) -> Case:
    where = f"{file}: case {raw.get('name')!r}"
    unknown = set(raw) - CASE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    expectations = [key for key in EXPECTATIONS if key in raw]
    if len(expectations) != 1:
        raise ValueError(f"{where}: give exactly one of {' / '.join(EXPECTATIONS)}, got {expectations}")
    moto = str(raw.get("moto", "")).strip()
    if moto and not moto.startswith(MOTO_VERDICTS):
        raise ValueError(f"{where}: moto must be 'agree', 'skip: <why>' or 'differs: <what>'")
    error = raw.get("error")
    return Case(
        area=area,
        name=raw["name"],
        source=source,
        definition=_definition(raw, where),
        input=raw.get("input", {}),
        output=raw.get("output"),
        expects_output="output" in raw,
        error=error,
        cause=raw.get("cause"),
        status=raw.get("status", "FAILED" if error else "SUCCEEDED"),
        rejected=bool(raw.get("rejected", False)),
        start_refused=bool(raw.get("start_refused", False)),
        resources=tuple(raw.get("resources", ())),
        moto=moto,
        note=raw.get("note"),
        xfail=raw.get("xfail"),
        xfail_strict=bool(raw.get("xfail_strict", True)),
        execution_name=raw.get("execution_name"),
    )


def _definition(raw: dict, where: str) -> dict:
    shapes = [key for key in ("definition", "state", "choice") if key in raw]
    if len(shapes) != 1:
        raise ValueError(f"{where}: give exactly one of definition / state / choice, got {shapes}")
    if "definition" in raw:
        return copy.deepcopy(raw["definition"])
    if "state" in raw:
        state = copy.deepcopy(raw["state"])
        if state.get("Type") not in NO_END_TYPES and "Next" not in state:
            state.setdefault("End", True)
        return {"StartAt": "S", "States": {"S": state}}
    rule = dict(copy.deepcopy(raw["choice"]), Next="Matched")
    return {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [rule], "Default": "NoMatch"},
            "Matched": {"Type": "Pass", "Result": {"matched": True}, "End": True},
            "NoMatch": {"Type": "Pass", "Result": {"matched": False}, "End": True},
        },
    }


def _check_unique(cases: list[Case]) -> None:
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise ValueError(f"duplicate case id {case.id!r}")
        seen.add(case.id)


def canonical(value: Any) -> str:
    """JSON text that tells ``1`` from ``1.0`` and ``true`` from ``1`` (Python's ``==`` does not).

    >>> canonical({"b": 1, "a": 1.0}) == canonical({"a": 1.0, "b": 1})
    True
    >>> canonical(1) == canonical(1.0) or canonical(True) == canonical(1)
    False
    """
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
